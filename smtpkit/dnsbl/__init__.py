"""DNS blocklists (RFC 5782): which lists to ask, how to ask them, and what an answer means.

Pure: no sockets. The checks (`smtpkit.checks.domain.dnsbl`) do the lookups
and turn these verdicts into findings.

Why this is more than "an A record means listed": lists answer questions
they refuse to serve with codes of their own (Spamhaus's 127.255.255.254
for a query through a public resolver), and a resolver that "helpfully"
rewrites NXDOMAIN to a search page answers every name with an address outside
127.0.0.0/8. Counting either as a listing is the classic bug (pydnsbl #27)
that sends people chasing listings that do not exist. So only a list's
documented listing codes mean "listed", error codes and foreign addresses
mean "could not check", and each list's RFC 5782 §5 test entries (127.0.0.2
must be listed, 127.0.0.1 must not) are asked alongside the real question to
prove the list is answering at all.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from smtpkit.errors import InvalidSettings
from smtpkit.net import address

__all__ = [
    "ANSWER_KINDS",
    "Blocklist",
    "Verdict",
    "builtin_lists",
    "choose_lists",
    "interpret",
    "is_public",
    "query_name",
    "rfc5782_entries",
]

#: What one list said about one address.
LISTED = "listed"
NOT_LISTED = "not listed"
REFUSED = "refused"  # the list's own error code: it would not answer this resolver
REWRITTEN = "rewritten"  # an answer outside 127/8: a resolver rewrote NXDOMAIN
UNKNOWN_CODE = "unknown code"  # inside 127/8 but not a code the list documents
FAILED = "lookup failed"  # timeout, SERVFAIL, REFUSED rcode
ANSWER_KINDS = (LISTED, NOT_LISTED, REFUSED, REWRITTEN, UNKNOWN_CODE, FAILED)

_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
#: Spamhaus's query-error range; lists that document no errors of their own use it too.
ERROR_RANGE = ipaddress.ip_network("127.255.255.0/24")


@dataclass(frozen=True)
class Blocklist:
    """One DNS blocklist: its zone, what its answers mean, and how to get off it.

    `listed` maps each documented listing code (an A record value) to its
    meaning; `errors` maps the list's query-error codes to theirs. A list the
    user names with ``--list ZONE`` and that smtpkit has no data for gets RFC
    5782's conventions (`documented` False): any answer in 127.0.0.0/8 outside
    127.255.255.0/24 is a listing with the list's own, unknown, meaning.
    """

    zone: str
    name: str
    operator: str = ""
    listed: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    delist: str = ""
    removal_url: str = ""
    documentation: str = ""
    note: str = ""
    severity: str = "warn"
    ipv6: bool = True
    default: bool = False
    documented: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", normalize_zone(self.zone))
        object.__setattr__(self, "listed", MappingProxyType(dict(self.listed)))
        object.__setattr__(self, "errors", MappingProxyType(dict(self.errors)))
        if self.severity not in ("fail", "warn"):
            raise InvalidSettings(f"blocklist {self.zone}: severity must be 'fail' or 'warn'", field="lists")

    @classmethod
    def custom(cls, zone: str) -> Blocklist:
        """A list smtpkit has no data for, read with RFC 5782's conventions."""
        z = normalize_zone(zone)
        return cls(
            zone=z,
            name=z,
            delist=f"See the web site of the list {z} for why the IP is listed and how to request removal.",
            severity="warn",
            documented=False,
        )

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Blocklist:
        return cls(
            zone=str(doc["zone"]),
            name=str(doc.get("name") or doc["zone"]),
            operator=str(doc.get("operator", "")),
            listed={str(k): str(v) for k, v in dict(doc.get("listed") or {}).items()},
            errors={str(k): str(v) for k, v in dict(doc.get("errors") or {}).items()},
            delist=str(doc.get("delist", "")),
            removal_url=str(doc.get("removal_url", "")),
            documentation=str(doc.get("documentation", "")),
            note=str(doc.get("note", "")),
            severity=str(doc.get("severity", "warn")),
            ipv6=bool(doc.get("ipv6", True)),
            default=bool(doc.get("default", False)),
        )


def normalize_zone(zone: str) -> str:
    """A list zone as typed (``zen.spamhaus.org.``, upper case) -> ``zen.spamhaus.org``; ValueError if not a name."""
    z = str(zone or "").strip().rstrip(".").lower()
    labels = z.split(".")
    if len(labels) < 2 or any(not lab or len(lab) > 63 for lab in labels) or len(z) > 200:
        raise InvalidSettings(f"{zone!r} is not a blocklist zone: give a DNS name like zen.spamhaus.org", field="lists")
    if any(c not in "abcdefghijklmnopqrstuvwxyz0123456789-_." for c in z):
        raise InvalidSettings(
            f"{zone!r} is not a blocklist zone: only letters, digits, '-', '_' and '.' are allowed", field="lists"
        )
    return z


@lru_cache(maxsize=1)
def builtin_lists() -> tuple[Blocklist, ...]:
    """Every list in the shipped data file (``smtpkit/dnsbl/lists.json``), defaults and named-only ones."""
    text = resources.files("smtpkit.dnsbl").joinpath("lists.json").read_text(encoding="utf-8")
    return tuple(Blocklist.from_dict(d) for d in json.loads(text)["lists"])


def choose_lists(extra: Iterable[str | Blocklist] = (), *, only: bool = False) -> list[Blocklist]:
    """The lists to ask: the default set plus `extra` (zones or Blocklists), or only `extra`.

    A zone smtpkit knows (in the data file) keeps its documented codes; an
    unknown zone gets RFC 5782 conventions. Duplicates are asked once.
    """
    known = {bl.zone: bl for bl in builtin_lists()}
    chosen: dict[str, Blocklist] = {}
    if not only:
        chosen.update((bl.zone, bl) for bl in builtin_lists() if bl.default)
    for item in extra:
        bl = item if isinstance(item, Blocklist) else known.get(normalize_zone(item)) or Blocklist.custom(item)
        chosen.setdefault(bl.zone, bl)
    if only and not chosen:
        raise InvalidSettings("only_lists (--only-lists) needs at least one list zone (--list ZONE)", field="lists")
    return list(chosen.values())


def is_public(ip: str) -> bool:
    """Whether a blocklist can know anything about `ip`: lists cover public addresses only."""
    return address.is_public(ip)


def query_name(ip: str, zone: str) -> str:
    """The name to look up for `ip` in `zone` (RFC 5782 §2.1 and §2.4).

    IPv4: the octets reversed (192.0.2.99 -> 99.2.0.192.zone). IPv6: the 32
    nibbles of the full address reversed, dot-separated.

    >>> query_name("192.0.2.99", "zen.spamhaus.org")
    '99.2.0.192.zen.spamhaus.org'
    """
    addr = ipaddress.ip_address(ip)
    if addr.version == 4:
        labels = str(addr).split(".")
    else:
        labels = list(addr.exploded.replace(":", ""))
    return ".".join(reversed(labels)) + "." + normalize_zone(zone)


def rfc5782_entries(version: int) -> tuple[str, str]:
    """RFC 5782 §5: the address every list must list, and the one it must never list."""
    if version == 6:
        return "::ffff:7f00:2", "::ffff:7f00:1"
    return "127.0.0.2", "127.0.0.1"


@dataclass(frozen=True)
class Verdict:
    """What one list's answer means: `kind` (one of ANSWER_KINDS), the codes and their meanings."""

    kind: str
    codes: tuple[str, ...] = ()
    meanings: tuple[str, ...] = ()

    @property
    def could_not_check(self) -> bool:
        return self.kind not in (LISTED, NOT_LISTED)


def interpret(bl: Blocklist, addresses: Sequence[str]) -> Verdict:
    """Read the A records a list returned for a query (an empty list means NXDOMAIN: not listed).

    Precedence: any answer outside 127/8 means the resolver rewrote the reply,
    so nothing in it can be trusted; then the list's error codes (and the
    127.255.255.0/24 error range); then its documented listing codes. One
    undocumented code among documented ones is kept and named.
    """
    if not addresses:
        return Verdict(NOT_LISTED)
    raw = tuple(dict.fromkeys(a.strip() for a in addresses))
    parsed = []
    for code in raw:
        try:
            parsed.append(ipaddress.ip_address(code))
        except ValueError:
            return Verdict(REWRITTEN, raw, (f"{code} is not an IPv4 address",))
    # DNS returns an RRset in any order: sort, so a listing reads the same every time
    parsed.sort(key=lambda a: (a.version, int(a)))
    codes = tuple(str(a) for a in parsed)
    foreign = [str(a) for a in parsed if a.version != 4 or a not in _LOOPBACK]
    if foreign:
        return Verdict(
            REWRITTEN,
            codes,
            tuple(f"{a} is outside 127.0.0.0/8, where lists answer: a resolver replaced the reply" for a in foreign),
        )
    errors = [c for c in codes if c in bl.errors or ipaddress.ip_address(c) in ERROR_RANGE]
    if errors:
        return Verdict(
            REFUSED,
            tuple(errors),
            tuple(bl.errors.get(c, "a query-error code (127.255.255.0/24): the list did not answer") for c in errors),
        )
    if not bl.documented:
        return Verdict(LISTED, codes, tuple(f"{c}: a listing (the list's own code)" for c in codes))
    known = [c for c in codes if c in bl.listed]
    unknown = [c for c in codes if c not in bl.listed]
    if known:
        meanings = [bl.listed[c] for c in known] + [f"{c}: a code {bl.name} does not document" for c in unknown]
        return Verdict(LISTED, tuple(known + unknown), tuple(meanings))
    return Verdict(
        UNKNOWN_CODE, codes, tuple(f"{c}: not one of the listing codes {bl.name} documents" for c in unknown)
    )
