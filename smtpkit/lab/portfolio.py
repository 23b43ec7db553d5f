"""A generated portfolio of lab domains for audits at scale: any number of copies of the lab's zones.

`smtpkit lab --audit-zones N` (and the `10_portfolio_audit` notebook) need
many domains with realistic, known problems. Each generated domain is a copy
of one template, a healthy or broken lab zone, under its own registrable name
``<template>--p<index>.test`` (``dmarc-none--p000042.test`` is a copy of
``dmarc-none.test``), so:

* the mix is known and reproducible: `portfolio(n, seed)` draws the
  templates with fixed weights (mostly healthy, self-run and provider-hosted,
  one share per broken zone) and a fraction of domains whose nameservers
  never answer (``dead--p…``) or answer SERVFAIL (``servfail--p…``);
* a row of an audit can be checked against its template: the copy must get
  the template's finding codes;
* nothing is stored per domain: the DNS server answers a copy's questions
  from a small zone set built from the template on first use (the few
  thousand most recent are kept), so N costs no memory and no start-up time,
  and any index answers.

Names outside the copied domain (the provider's MX hosts and SPF includes,
the report service) stay shared, so every copy of ``hosted.test`` uses the
same ``mailhost.test`` records, as real portfolios share their providers'.
"""

from __future__ import annotations

import collections
import random
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import dns.name
import dns.rcode

from smtpkit.lab.zoneset import TIMEOUT_TYPE, LookupResult, Record, ZoneSet, make_rdata, to_name

__all__ = [
    "DEAD",
    "DEAD_SHARE",
    "DEFAULT_SIZE",
    "SERVFAIL",
    "SERVFAIL_SHARE",
    "SELECTORS",
    "Member",
    "as_itself",
    "PortfolioZoneSet",
    "audit_options",
    "lab_portfolio",
    "portfolio",
    "portfolio_zoneset",
    "template_of",
]

DEFAULT_SIZE = 200
DEFAULT_SEED = 13
DEAD = "dead"  # every question about the domain goes unanswered (its nameservers are down)
SERVFAIL = "servfail"  # every question is answered SERVFAIL (a broken DNSSEC chain, a lame delegation)
DEAD_SHARE = 0.01  # the default share of DEAD domains (`smtpkit lab --dns-timeouts`)
SERVFAIL_SHARE = 0.005
# DKIM selectors that cover every template's keys: an audit of the portfolio passes these.
SELECTORS = ("default", "lab", "s1", "selector1")
# Lab zones that stand for other organisations (a report service, a provider), not for a customer's domain.
HELPER_ZONES = frozenset({"dkim-tenant.test", "dmarc-reports.test", "spf-relay.test", "mailhost.test"})
# Lessons whose servers know them by name (the MTA-STS policy host serves each sts-* domain's policy under
# a certificate for its own mta-sts name): a copy under another name could not be served the same way, so
# `lab_portfolio` lists each of these once, as itself, instead of copying it.
AS_ITSELF = ("sts-",)
# How often each template is drawn: most domains in a portfolio are fine, each mistake is one share.
WEIGHTS = {"smtpkit.test": 15, "hosted.test": 25}
OTHER_WEIGHT = 1

_NAME = re.compile(r"^(?P<template>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)--p(?P<index>\d{6})$")
_NAME_WIRE = re.compile(rb"(?P<template>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)--p\d{6}", re.IGNORECASE)
_REFERENCE_INDEX = b"000000"  # the copy whose answers every other copy's are remembered as (answer_memo)
_CACHED_ZONES = 4096


@dataclass(frozen=True)
class Member:
    """One generated domain: its name, its place in the portfolio, and the zone it copies."""

    index: int
    domain: str
    template: str  # the template apex ("dmarc-none.test"), or DEAD / SERVFAIL


def member_name(template: str, index: int) -> str:
    label = template[: -len(".test")] if template.endswith(".test") else template
    return f"{label}--p{index:06d}.test"


def template_of(domain: str) -> str | None:
    """The template a generated name copies (``dmarc-none.test``, ``dead``, ``servfail``), or None."""
    labels = domain.rstrip(".").lower().split(".")
    for label in labels:
        m = _NAME.match(label)
        if m:
            t = m.group("template")
            return t if t in (DEAD, SERVFAIL) else f"{t}.test"
    return None


def _customer(zone: str) -> bool:
    return zone.endswith(".test") and zone.count(".") == 1 and zone not in HELPER_ZONES


def _copyable(zones: Iterable[str]) -> list[str]:
    return sorted(z for z in zones if _customer(z) and not z.startswith(AS_ITSELF))


def as_itself(zones: Iterable[str]) -> list[str]:
    """The lab domains `lab_portfolio` lists as themselves (see `AS_ITSELF`)."""
    return sorted(z for z in zones if _customer(z) and z.startswith(AS_ITSELF))


def portfolio(
    n: int = DEFAULT_SIZE,
    *,
    seed: int = DEFAULT_SEED,
    templates: Iterable[str] | None = None,
    dead: float = DEAD_SHARE,
    servfail: float = SERVFAIL_SHARE,
) -> list[Member]:
    """`n` generated domains, the same list for the same arguments on every machine.

    `templates` defaults to every customer-like lab zone; `dead` and
    `servfail` are the shares of domains whose DNS never answers or fails.
    """
    if n < 0 or n > 1_000_000:
        raise ValueError(f"a portfolio has 0 to 1,000,000 domains, not {n}")
    if not (0 <= dead <= 1 and 0 <= servfail <= 1 and dead + servfail <= 1):
        raise ValueError("dead and servfail are shares between 0 and 1 that add up to at most 1")
    if templates is None:
        from smtpkit.lab.zones import lab_zoneset

        templates = lab_zoneset().zone_names()
    names = _copyable(templates)
    if not names:
        raise ValueError("no lab zone to copy")
    weights = [WEIGHTS.get(t, OTHER_WEIGHT) for t in names]
    rng = random.Random(seed)
    out: list[Member] = []
    for i in range(n):
        r = rng.random()
        if r < dead:
            template = DEAD
        elif r < dead + servfail:
            template = SERVFAIL
        else:
            template = rng.choices(names, weights)[0]
        out.append(Member(i, member_name(template, i), template))
    return out


def _substitute(text: str, pattern: re.Pattern[str], domain: str) -> str:
    return pattern.sub(domain, text)


def _copy_value(value: Any, pattern: re.Pattern[str], domain: str) -> Any:
    if isinstance(value, str):
        return _substitute(value, pattern, domain)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):  # MX (preference, host)
        return (value[0], _substitute(value[1], pattern, domain))
    if isinstance(value, list):
        return [_copy_value(v, pattern, domain) for v in value]
    return value


def _pattern(template: str) -> re.Pattern[str]:
    """`template` as a whole name inside a longer text (not as part of a longer label)."""
    return re.compile(r"(?<![A-Za-z0-9-])" + re.escape(template) + r"(?![A-Za-z0-9-])", re.IGNORECASE)


def _names(value: Any, pattern: re.Pattern[str]) -> bool:
    """Whether a record's value mentions the template (then each copy needs its own value)."""
    if isinstance(value, str):
        return bool(pattern.search(value))
    if isinstance(value, (tuple, list)):
        return any(_names(v, pattern) for v in value)
    return False


def _shared(record: Record, pattern: re.Pattern[str]) -> bool:
    """Whether every copy keeps the template's value as it is (parsed once, here).

    MX targets always are: a copy's mail goes to its template's mail hosts, the
    way customers of a provider share its MX hosts, so a probe of those hosts
    (``--probe-mx``) finds what it finds for the template, and is made once.
    """
    if record.rdtype.upper() == TIMEOUT_TYPE:
        return False
    return record.rdtype.upper() == "MX" or not _names(record.value, pattern)


def _parsed(record: Record) -> Record:
    """The record with its value as ready rdata, shared by every copy instead of parsed for each."""
    return Record(record.name, record.rdtype, make_rdata(record.rdtype.upper(), record.value), record.ttl)


def _mentions(name: str, template: str) -> bool:
    return name == template or name.endswith("." + template) or f".{template}." in f".{name}."


class PortfolioZoneSet(ZoneSet):
    """The lab's zones plus every generated copy of them (see the module docstring).

    `records` are all the lab's records (what `lab_zoneset` is built from):
    a template's copy is made of the records whose owner name mentions the
    template, with the template's name replaced by the copy's everywhere
    (owner names, MX targets, TXT text such as rua= addresses).
    """

    def __init__(self, base: ZoneSet, records: Callable[[], Iterable[Record]], *, size: int = DEFAULT_SIZE) -> None:
        # Everything of the lab's own zones is `base`'s: adopt its state instead of building it twice.
        self.__dict__.update(base.__dict__)
        self.size = size
        self._source = records  # read on the first question about a copy: a lab nobody audits pays nothing
        self._by_template: dict[str, list[Record]] | None = None
        self._copies: collections.OrderedDict[str, ZoneSet] = collections.OrderedDict()
        self._copies_lock = threading.Lock()

    def _templates(self) -> dict[str, list[Record]]:
        """Each template's records; values that do not name the template are parsed once, here."""
        with self._copies_lock:
            if self._by_template is None:
                recs = [Record.coerce(r) for r in self._source()]
                self._by_template = {}
                for t in _copyable(self.zone_names()):
                    pattern = _pattern(t)
                    self._by_template[t] = [
                        _parsed(r) if _shared(r, pattern) else r
                        for r in recs
                        if _mentions(str(r.name).rstrip(".").lower(), t)
                    ]
            return self._by_template

    def __repr__(self) -> str:
        return f"PortfolioZoneSet({len(self.zone_names())} lab zones, {self.size} generated domains)"

    @property
    def templates(self) -> list[str]:
        return sorted(self._templates())

    def _copy(self, label: str, template: str) -> ZoneSet | None:
        with self._copies_lock:
            zs = self._copies.get(label)
            if zs is not None:
                self._copies.move_to_end(label)
                return zs
        source = self._templates().get(template)
        if not source:
            return None
        domain = f"{label}.test"
        pattern = _pattern(template)
        copied = [
            Record(_substitute(str(r.name), pattern, domain), r.rdtype, _copy_value(r.value, pattern, domain), r.ttl)
            for r in source
        ]
        zs = ZoneSet(copied)
        with self._copies_lock:
            self._copies[label] = zs
            while len(self._copies) > _CACHED_ZONES:
                self._copies.popitem(last=False)
        return zs

    def swap_label(self, labels: list[bytes]) -> tuple[bytes, bytes] | None:
        """A copy's label and its template's reference copy's (index 000000): every copy of a template
        answers a question as the reference copy does, with its own name in place of the reference's
        (names of one template have one length). The label `lookup` goes by is the first that names a
        copy; one in capitals (a resolver's 0x20 casing) is left to a full answer."""
        for raw in labels:
            if b"--p" not in raw or _NAME_WIRE.fullmatch(raw) is None:
                continue
            if raw != raw.lower():
                return None
            return raw, raw[: -len(_REFERENCE_INDEX)] + _REFERENCE_INDEX
        return None

    def zone_of(self, name: str | dns.name.Name) -> dns.name.Name | None:
        """A copy is a zone of its own (so the lab's DNSSEC signer treats it as an unsigned child of test.)."""
        n = to_name(name)
        if len(n.labels) >= 3 and n.labels[-2] == b"test" and _NAME.match(n.labels[-3].decode("latin-1").lower()):
            return dns.name.Name(n.labels[-3:])
        return super().zone_of(n)

    def lookup(self, qname: str | dns.name.Name, qtype: str | int) -> LookupResult:
        name = to_name(qname)
        for raw in name.labels:
            m = _NAME.match(raw.decode("latin-1").lower()) if raw else None
            if m is None:
                continue
            template = m.group("template")
            if template == DEAD:
                return LookupResult(drop=True)
            if template == SERVFAIL:
                return LookupResult(rcode=dns.rcode.SERVFAIL, authoritative=False)
            copy = self._copy(m.group(0), f"{template}.test")
            if copy is None:
                return LookupResult(rcode=dns.rcode.REFUSED, authoritative=False)
            if copy.zone_of(name) is None:
                # the copy's name inside another zone (a report consent name at a report service) that the
                # copy has no record for: that zone answers, as it does for the template's own name
                break
            return copy.lookup(name, qtype)
        return super().lookup(name, qtype)


def lab_records(ip: str = "127.0.0.1") -> list[Record]:
    """Every record of every lab zone module (what `lab_zoneset` serves), for making copies."""
    import importlib

    from smtpkit.lab.zones import discover_zone_modules

    records: list[Record] = []
    for module_name in discover_zone_modules():
        records += [Record.coerce(r) for r in importlib.import_module(module_name).records(ip)]
    return records


def portfolio_zoneset(ip: str = "127.0.0.1", *, size: int = DEFAULT_SIZE) -> PortfolioZoneSet:
    """Every lab zone, plus the generated copies (`size` of them advertised; any index answers)."""
    from smtpkit.lab.zones import lab_zoneset

    return PortfolioZoneSet(lab_zoneset(ip), lambda: lab_records(ip), size=size)


def lab_portfolio(info: Any = None, n: int | None = None) -> list[str]:
    """The domains of a running lab's portfolio: `n` generated copies (`smtpkit lab --audit-zones N`; 200
    by default, with the lab's share of domains that time out, `--dns-timeouts`), then each lab domain
    listed as itself (`AS_ITSELF`: the MTA-STS lessons).

    `info` is a `LabInfo` (default: `smtpkit.lab.ensure_running()`). Every
    name resolves through the lab's DNS server.
    """
    if info is None:
        from smtpkit.lab import ensure_running

        info = ensure_running()
    dns_endpoint = getattr(info, "dns", None)
    if n is None:
        n = int(getattr(dns_endpoint, "portfolio", 0) or DEFAULT_SIZE)
    dead = float(getattr(dns_endpoint, "timeouts", DEAD_SHARE))
    return [m.domain for m in portfolio(n, dead=dead)] + as_itself(getattr(dns_endpoint, "zones", ()))


def audit_options(info: Any = None) -> dict[str, Any]:
    """`smtpkit.audit` settings that point every lookup and probe at a running lab (`smtpkit.audit(domains,
    **audit_options(lab))`): its DNS server, the selectors of its zones, its CA, its MTA-STS and MX ports."""
    if info is None:
        from smtpkit.lab import ensure_running

        info = ensure_running()
    options = info.domain_options()
    out: dict[str, Any] = {
        k: options[k] for k in ("cafile", "allow_private", "mta_sts_port", "mx_port", "trust_anchor") if k in options
    }
    out["nameservers"] = (info.nameserver,)
    out["selectors"] = SELECTORS
    return out
