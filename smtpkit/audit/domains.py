"""The portfolio as given: a list, a text file (one domain a line) or a CSV column, read safely.

People paste what they have: an export from a registrar with a header row, a
list with comments and blank lines, the same domain twice in different case,
an e-mail address, a URL. None of that may stop a run of ten thousand
domains. So reading never fails on a name: every line becomes either a name
to check (invalid names too, so they get a row saying why) or a noted
duplicate; only a file that cannot be read at all, or is beyond the caps, is
an error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from smtpkit.errors import InvalidSettings, UnreadableInput
from smtpkit.settings import validate_domain

MAX_DOMAINS = 10_000_000
MAX_LINE = 1000  # characters; a longer "domain" is noted as invalid, shortened
MAX_FILE = 2 * 1024**3  # bytes
_COLUMN_GUESSES = ("domain", "domains", "domain name", "domain_name", "name", "hostname", "zone")


@dataclass(frozen=True)
class Duplicate:
    name: str
    line: int  # 1-based line (or item) of the repeat
    first: int  # where it was first given


@dataclass
class DomainList:
    """The names to audit in input order (duplicates dropped), and what was dropped."""

    names: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    source: str = "a list"

    def __len__(self) -> int:
        return len(self.names)

    def fingerprint(self) -> str:
        """A digest of the names, so a resumed run can tell it is continuing the same input."""
        h = hashlib.sha256()
        for name in self.names:
            h.update(name.encode("utf-8", "surrogatepass") + b"\n")
        return h.hexdigest()

    def summary(self) -> dict[str, object]:
        return {
            "source": self.source,
            "domains": len(self.names),
            "duplicates": len(self.duplicates),
            "duplicate_examples": [f"{d.name} (item {d.line}, first at {d.first})" for d in self.duplicates[:5]],
        }


def _key(name: str) -> str:
    """What makes two spellings the same domain (case, trailing dot, Unicode or IDNA form)."""
    try:
        return validate_domain(name)
    except ValueError:
        return name.strip().lower()


def from_names(items: Iterable[str], source: str = "a list") -> DomainList:
    """Names as given (blank lines and # comments skipped, the same domain kept once)."""
    out = DomainList(source=source)
    seen: dict[str, int] = {}
    for number, raw in enumerate(items, 1):
        text = str(raw).strip()
        if not text or text.startswith("#"):
            continue
        if len(text) > MAX_LINE:
            text = text[:MAX_LINE]
        key = _key(text)
        if key in seen:
            out.duplicates.append(Duplicate(text, number, seen[key]))
            continue
        if len(out.names) >= MAX_DOMAINS:
            raise UnreadableInput(f"{source} has more than {MAX_DOMAINS:,} domains: split it into several runs")
        seen[key] = number
        out.names.append(text)
    return out


def _csv_names(text: str, column: str | None, source: str) -> list[str]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None:
        return []
    lowered = [h.strip().lower() for h in header]
    if column is not None:
        wanted = column.strip().lower()
        if wanted in lowered:
            index = lowered.index(wanted)
        elif wanted.isdigit() and 1 <= int(wanted) <= len(header):
            index = int(wanted) - 1
            rows = csv.reader(io.StringIO(text))  # a column number: the first row is data
        else:
            raise InvalidSettings(
                f"{source} has no column {column!r}; its columns are: {', '.join(h.strip() for h in header)}"
                " (or give the column's number, 1 for the first)",
                field="column",
            )
    else:
        guesses = [lowered.index(g) for g in _COLUMN_GUESSES if g in lowered]
        if guesses:
            index = guesses[0]
        else:
            index = 0
            rows = csv.reader(io.StringIO(text))  # no header we recognise: the first row is a domain too
    return [row[index] if index < len(row) else "" for row in rows]


def read_domains(source: str | os.PathLike[str] | Iterable[str], *, column: str | None = None) -> DomainList:
    """Read a portfolio: a list of names, a path ('-' is standard input), text or CSV.

    A CSV (a ``.csv`` file, or any file when `column` is given) is read by
    column: `column` names it (or numbers it, 1 for the first); without it a
    header such as ``domain`` is looked for, else the first column is used.
    """
    if not isinstance(source, (str, os.PathLike)):
        return from_names(source)
    label = "standard input" if str(source) == "-" else str(source)
    try:
        if str(source) == "-":
            text = sys.stdin.read(MAX_FILE + 1)
        else:
            path = Path(source).expanduser()
            if path.is_dir():
                raise UnreadableInput(f"{label} is a directory; give a file with one domain a line, or a CSV")
            if path.stat().st_size > MAX_FILE:
                raise UnreadableInput(f"{label} is larger than {MAX_FILE // 1024**3} GB: split it into several runs")
            text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise UnreadableInput(f"cannot read {label}: {exc.strerror or exc}") from None
    if len(text) > MAX_FILE:
        raise UnreadableInput(f"{label} is larger than {MAX_FILE // 1024**3} GB: split it into several runs")
    if "\x00" in text:
        raise UnreadableInput(f"{label} is not a text file (it contains NUL bytes)")
    is_csv = column is not None or str(source).lower().endswith(".csv")
    lines = _csv_names(text, column, label) if is_csv else text.splitlines()
    listed = from_names(lines, label)
    if not listed.names:  # a run of nothing would only say "0 domains audited"
        where = f"its column {column!r} is empty" if column is not None else "its domain column is empty"
        raise UnreadableInput(
            f"{label} holds no domain to audit ({where if is_csv else 'it is empty, blank or only comments'}):"
            " give one domain a line, or a CSV with a column of them"
        )
    return listed
