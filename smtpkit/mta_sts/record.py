"""The ``_mta-sts.<domain>`` TXT record (RFC 8461 §3.1): "this domain has a policy, and its id".

Senders look this record up before every delivery; only when its ``id``
changes do they fetch the policy again. RFC 8461 §3.1 decides what happens
with several TXT records: records that do not start with ``v=STSv1;`` are
discarded, and if not exactly one remains, or it is invalid, the domain is
treated as having no policy at all. `select_records` applies that rule and
`parse_record` the grammar, each problem in words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_EXT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_EXT_VALUE = re.compile(r"^[\x21-\x3a\x3c\x3e-\x7e]+$")
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_PREFIX = re.compile(r"^v=STSv1[ \t]*;")


@dataclass
class StsRecord:
    """One parsed record: its `id` (the policy's version), extensions, and every problem found."""

    text: str
    id: str = ""
    extensions: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def select_records(texts: Sequence[str]) -> list[str]:
    """RFC 8461 §3.1: keep the TXT records that begin with ``v=STSv1;`` (or are exactly ``v=STSv1``)."""
    return [t for t in texts if _PREFIX.match(t) or t.strip() == "v=STSv1"]


def parse_record(text: str) -> StsRecord:
    """Parse ``v=STSv1; id=20240101T000000;`` by the RFC 8461 §3.1 grammar; problems are sentences."""
    rec = StsRecord(text)
    parts = [p.strip(" \t") for p in text.split(";")]
    if parts and parts[-1] == "":
        parts.pop()  # one trailing ";" is allowed
    if not parts or parts[0] != "v=STSv1":
        rec.problems.append('the record must start with "v=STSv1;" exactly (case matters)')
        return rec
    seen: set[str] = set()
    for part in parts[1:]:
        if part == "":
            rec.problems.append('an empty field (";;"): remove the doubled semicolon')
            continue
        name, eq, value = part.partition("=")
        if not eq:
            rec.problems.append(f"{part!r} is not a name=value field")
            continue
        if name in seen:
            rec.problems.append(f"{name}= appears twice")
            continue
        seen.add(name)
        if name == "id":
            if not _ID.match(value):
                rec.problems.append(
                    f"id={value!r} is not 1-32 letters and digits (no dashes, dots or spaces), for example "
                    "id=20240131T120000"
                )
            rec.id = value
        elif not _EXT_NAME.match(name) or not _EXT_VALUE.match(value):
            rec.problems.append(f"{part!r} is not a valid extension field (name=value without spaces or ';')")
        else:
            rec.extensions[name] = value
    if "id" not in seen:
        rec.problems.append("the id= field is missing: senders cannot tell when the policy changes")
    return rec
