"""SMTP TLS Reporting (RFC 8460): the ``_smtp._tls.<domain>`` TXT record, parsed.

The record tells sending servers where to send their daily reports of TLS
failures (MTA-STS and DANE problems they met delivering to the domain):
``v=TLSRPTv1; rua=mailto:tls-reports@example.com``. Without it, a domain
that publishes MTA-STS or DANE never hears that its policy broke delivery.

As for MTA-STS, records that do not begin with ``v=TLSRPTv1`` are discarded
and anything but exactly one remaining record means "no TLS reporting"
(RFC 8460 §3). Reading the reports themselves is `smtpkit.reports`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

__all__ = ["TlsRptRecord", "parse_record", "select_records"]

_PREFIX = re.compile(r"^v=TLSRPTv1[ \t]*(;|$)")
_EXT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_EXT_VALUE = re.compile(r"^[\x21-\x3a\x3c\x3e-\x7e]+$")
_ADDRESS = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass
class TlsRptRecord:
    """One parsed record: its report destinations (`rua`) and every problem found."""

    text: str
    rua: list[str] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def destinations(self) -> list[str]:
        """The rua URIs in words: an address for mailto:, the URL for https:."""
        out = []
        for uri in self.rua:
            scheme = uri.split(":", 1)[0].lower()
            out.append(unquote(uri.split(":", 1)[1]) if scheme == "mailto" else uri)
        return out


def select_records(texts: Sequence[str]) -> list[str]:
    """RFC 8460 §3: keep the TXT records that begin with ``v=TLSRPTv1``."""
    return [t for t in texts if _PREFIX.match(t)]


def _uri_problem(uri: str) -> str | None:
    scheme, colon, rest = uri.partition(":")
    if not colon or not rest:
        return f"{uri!r} is not a URI: write mailto:address or https://host/path"
    scheme = scheme.lower()
    if scheme == "mailto":
        address = unquote(rest.split("?", 1)[0])
        if not _ADDRESS.match(address):
            return f"{uri!r}: {address!r} is not an e-mail address"
        return None
    if scheme == "https":
        parts = urlsplit(uri)
        if not parts.hostname:
            return f"{uri!r} has no host name"
        return None
    return f"{uri!r} uses the scheme {scheme!r}; TLS reports go to mailto: or https: only"


def parse_record(text: str) -> TlsRptRecord:
    """Parse ``v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/tls`` (RFC 8460 §3)."""
    rec = TlsRptRecord(text)
    parts = [p.strip(" \t") for p in text.split(";")]
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or parts[0] != "v=TLSRPTv1":
        rec.problems.append('the record must start with "v=TLSRPTv1;" exactly (case matters)')
        return rec
    rua_seen = False
    for part in parts[1:]:
        name, eq, value = part.partition("=")
        if not part:
            rec.problems.append('an empty field (";;"): remove the doubled semicolon')
        elif not eq:
            rec.problems.append(f"{part!r} is not a name=value field")
        elif name == "rua":
            if rua_seen:
                rec.problems.append("rua= appears twice; list every destination in one rua=, separated by commas")
                continue
            rua_seen = True
            for uri in (u.strip(" \t") for u in value.split(",")):
                problem = _uri_problem(uri)
                if problem:
                    rec.problems.append(problem)
                else:
                    rec.rua.append(uri)
        elif not _EXT_NAME.match(name) or not _EXT_VALUE.match(value):
            rec.problems.append(f"{part!r} is not a valid extension field (name=value without spaces or ';')")
        else:
            rec.extensions[name] = value
    if not rua_seen:
        rec.problems.append("the rua= field is missing: senders have nowhere to send their reports")
    return rec
