"""The data the practice lab's DNS server serves: a set of zones built from plain records.

Why our own little zone store instead of dnspython's `dns.zone`: the lab must
serve things a well-behaved zone file cannot say. The RFC 7208 test suite has
names that must *time out* (no answer at all), TXT strings with stray control
bytes, owner names with spaces, CNAME loops; the broken lab domains publish
records that are wrong on purpose. So a `ZoneSet` is a tolerant, in-memory map
``name -> type -> RRset`` (dnspython rdata, so the wire format stays
dnspython's job) plus the few rules an authoritative server needs
(`ZoneSet.lookup`): NXDOMAIN vs NODATA, empty non-terminals, CNAME chains,
wildcards, SOA in negative answers, REFUSED outside the served zones.

Writing a lab zone module (``smtpkit/lab/zones/<topic>.py``)
-----------------------------------------------------------
Every module of the package `smtpkit.lab.zones` is discovered by
`smtpkit.lab.zones.lab_zoneset()`; nothing has to be registered. A module exposes::

    ZONES = {                                   # optional but recommended
        "spf-plus-all.test": "SPF record ends in +all: anyone may send as this domain",
    }

    def records(ip: str) -> list[Record]:       # ip: the lab's loopback address
        return [
            Record("spf-plus-all.test", "TXT", "v=spf1 +all"),
            Record("spf-plus-all.test", "MX", (10, "mail.smtpkit.test")),
        ]

`ZONES` maps each zone apex the module owns to one line saying what it
demonstrates (shown by `smtpkit lab` and `ZoneSet.zone_descriptions()`).
Without `ZONES`, the apex of every record is inferred: the last two labels
(``<label>.test``), or for reverse names the label below ``in-addr.arpa`` /
``ip6.arpa`` (``127.in-addr.arpa``). Each zone gets a synthesized SOA and NS
(``ns.smtpkit.test``) unless the module gives its own. Two modules must not
define the same (name, type): scenarios stay independent. Each broken domain
should be its own registrable domain under ``.test`` so DMARC's
organizational-domain fallback does not blur scenarios.

`Record(name, rdtype, value, ttl=300)`; a plain tuple ``(name, rdtype, value)``
or ``(name, rdtype, value, ttl)`` is accepted too. Names are absolute (the
trailing dot is optional). Values per type:

==============  ==============================================================
A / AAAA        the address text: ``"127.0.0.1"``, ``"::1"``
MX              ``(10, "mail.example.test")`` or ``"10 mail.example.test"``;
                an empty exchange ``(0, "")`` is the root (a null MX is
                ``(0, ".")``)
TXT / SPF       a ``str`` (UTF-8) or ``bytes``: ONE record, split into
                255-byte character-strings automatically (long DKIM keys);
                a ``list``/``tuple`` of str/bytes: one record with exactly
                those character-strings (``[]`` is one empty string).
                Several records at a name = several `Record`s.
CNAME/PTR/NS    the target name
SOA             zone-file text ``"ns.x.test. hostmaster.x.test. 1 3600 600 86400 300"``
other types     zone-file presentation text, e.g. ``Record(n, "CAA", '0 issue "x"')``,
                or a ready ``dns.rdata.Rdata``
TIMEOUT         ``Record(name, "TIMEOUT")``: the server stays silent for every
                type of `name` not given *before* this record (RFC 7208 suite
                semantics); ``Record(name, "TIMEOUT", "TXT")`` silences one type
==============  ==============================================================

CNAME chains are followed inside the target's zone only (RFC 1034 §4.3.2 lets a
server go further; we do not, so that a lab domain CNAMEd to another lab domain
behaves like a real domain CNAMEd to a provider: the answer stops at the CNAME
and the client chases it). The RFC 7208 zone set is one root zone, so there every
chain is followed.

A wildcard owner (``*.example.test``) answers for names that do not exist
below its parent (RFC 4592). NS records below an apex are served as plain data,
not as delegations: the lab has no child servers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.SPF
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rrset

__all__ = [
    "DEFAULT_TTL",
    "HEALTHY_DOMAIN",
    "LAB_NAMESERVER",
    "LookupResult",
    "Record",
    "ZoneError",
    "ZoneSet",
    "is_reverse",
]

DEFAULT_TTL = 300
HEALTHY_DOMAIN = "smtpkit.test"
LAB_NAMESERVER = "ns.smtpkit.test"
_SOA_TIMERS = "1 3600 600 86400 300"  # serial refresh retry expire minimum (negative-caching TTL)
_MAX_CHAIN = 12  # CNAME hops the server follows inside its own data
_IN = dns.rdataclass.IN
_CNAME = dns.rdatatype.CNAME
_SOA = dns.rdatatype.SOA
_NS = dns.rdatatype.NS
_ANY = dns.rdatatype.ANY
TIMEOUT_TYPE = "TIMEOUT"
_WILD = b"*"


class ZoneError(ValueError):
    """A record or zone module that cannot be served, with the culprit named."""


@dataclass(frozen=True)
class Record:
    """One resource record as a zone module writes it (see the module docstring for values)."""

    name: str
    rdtype: str
    value: Any = None
    ttl: int = DEFAULT_TTL

    @classmethod
    def coerce(cls, item: Record | Sequence[Any]) -> Record:
        if isinstance(item, Record):
            return item
        if isinstance(item, (tuple, list)) and 2 <= len(item) <= 4:
            return cls(*item)
        raise ZoneError(f"not a record: {item!r} (expected Record(name, rdtype, value) or a 2-4 tuple)")

    def __str__(self) -> str:
        return f"{self.name} {self.rdtype} {self.value!r}"


@dataclass
class LookupResult:
    """What the server should send for one question; `drop` means send nothing (TIMEOUT)."""

    rcode: int = dns.rcode.NOERROR
    answer: list[dns.rrset.RRset] = field(default_factory=list)
    authority: list[dns.rrset.RRset] = field(default_factory=list)
    authoritative: bool = True
    drop: bool = False

    @property
    def rcode_text(self) -> str:
        return "dropped" if self.drop else dns.rcode.to_text(dns.rcode.Rcode(self.rcode))


# -- value conversion -------------------------------------------------------------------------


def to_name(text: str | dns.name.Name) -> dns.name.Name:
    """An absolute name from text, byte-faithful for odd test-suite names.

    dnspython's `from_text` would interpret backslash escapes; zone data
    from the RFC 7208 suite contains names with spaces, ``%`` and ``:`` that
    must reach the wire as written, so labels are taken literally (Latin-1 for
    code points below 256, IDNA for real international names).
    """
    if isinstance(text, dns.name.Name):
        return text if text.is_absolute() else text.concatenate(dns.name.root)
    s = str(text).strip()
    if s in ("", "."):
        return dns.name.root
    if s.endswith("."):
        s = s[:-1]
    try:
        if all(ord(c) < 256 for c in s):
            labels = [label.encode("latin-1") for label in s.split(".")]
            return dns.name.Name([*labels, b""])
        return dns.name.from_unicode(s + ".")
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise ZoneError(f"bad name {text!r}: {exc}") from None


def _text_bytes(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def split_txt(data: bytes) -> tuple[bytes, ...]:
    """Split one TXT value into RFC 1035 character-strings of at most 255 bytes."""
    if not data:
        return (b"",)
    return tuple(data[i : i + 255] for i in range(0, len(data), 255))


def _txt_strings(value: Any) -> tuple[bytes, ...]:
    if isinstance(value, (str, bytes)):
        return split_txt(_text_bytes(value))
    if isinstance(value, (list, tuple)):
        strings = tuple(_text_bytes(v) if isinstance(v, (str, bytes)) else str(v).encode() for v in value)
        for s in strings:
            if len(s) > 255:
                raise ZoneError(
                    f"a TXT character-string is {len(s)} bytes; the limit is 255 (give one str to auto-split)"
                )
        return strings or (b"",)
    if value is None:
        raise ZoneError("a TXT/SPF record needs a value")
    return split_txt(str(value).encode("utf-8"))


def make_rdata(rdtype: str, value: Any) -> dns.rdata.Rdata:
    """Turn a zone-module value into dnspython rdata (raises ZoneError with the reason)."""
    if isinstance(value, dns.rdata.Rdata):
        return value
    try:
        rdt = dns.rdatatype.RdataType.make(rdtype)
    except dns.rdatatype.UnknownRdatatype:
        raise ZoneError(f"unknown record type {rdtype!r}") from None
    try:
        if rdt == dns.rdatatype.TXT:
            return dns.rdtypes.ANY.TXT.TXT(_IN, rdt, _txt_strings(value))
        if rdt == dns.rdatatype.SPF:
            return dns.rdtypes.ANY.SPF.SPF(_IN, rdt, _txt_strings(value))
        if rdt == dns.rdatatype.A:
            return dns.rdtypes.IN.A.A(_IN, rdt, str(ipaddress.IPv4Address(str(value).strip())))
        if rdt == dns.rdatatype.AAAA:
            return dns.rdtypes.IN.AAAA.AAAA(_IN, rdt, str(ipaddress.IPv6Address(str(value).strip())))
        if rdt == dns.rdatatype.MX:
            if isinstance(value, str):
                pref_text, _, exchange = value.strip().partition(" ")
                pref: Any = pref_text
            else:
                pref, exchange = value
            return dns.rdtypes.ANY.MX.MX(_IN, rdt, int(pref), to_name(str(exchange or ".")))
        if rdt == _CNAME:
            return dns.rdtypes.ANY.CNAME.CNAME(_IN, rdt, to_name(str(value)))
        if rdt == dns.rdatatype.PTR:
            return dns.rdtypes.ANY.PTR.PTR(_IN, rdt, to_name(str(value)))
        if rdt == _NS:
            return dns.rdtypes.ANY.NS.NS(_IN, rdt, to_name(str(value)))
        return dns.rdata.from_text(_IN, rdt, str(value), origin=dns.name.root, relativize=False)
    except ZoneError:
        raise
    except (ValueError, TypeError, dns.exception.DNSException) as exc:
        raise ZoneError(f"bad {rdtype} value {value!r}: {exc}") from None


def default_apex(name: dns.name.Name) -> dns.name.Name:
    """The zone a record belongs to when its module does not say: ``<label>.test`` or ``127.in-addr.arpa``."""
    labels = name.labels
    for reverse in (b"in-addr", b"ip6"):
        if len(labels) >= 3 and labels[-3].lower() == reverse and labels[-2].lower() == b"arpa":
            keep = 4 if len(labels) >= 4 else 3
            return dns.name.Name(labels[-keep:])
    return dns.name.Name(labels[-3:]) if len(labels) >= 3 else name


# -- the zone set -----------------------------------------------------------------------------


class ZoneSet:
    """Zones served by the lab's `DnsServer`, answerable with `lookup()`.

    `answer_all=True` serves the root zone: every name is "ours", absent ones
    get NXDOMAIN. That is what RFC 7208 suite drivers expect; the lab itself
    uses explicit zones so a question about a real domain gets REFUSED instead
    of a misleading authoritative "does not exist".
    """

    def __init__(
        self,
        records: Iterable[Record | Sequence[Any]] = (),
        *,
        zones: Iterable[str] | None = None,
        answer_all: bool = False,
        descriptions: Mapping[str, str] | None = None,
        nameserver: str = LAB_NAMESERVER,
    ) -> None:
        self.answer_all = answer_all
        self._nodes: dict[dns.name.Name, dict[int, dns.rrset.RRset]] = {}
        self._timeout_all: dict[dns.name.Name, frozenset[int]] = {}  # name -> types still answered
        self._timeout_types: dict[dns.name.Name, set[int]] = {}
        self._descriptions: dict[dns.name.Name, str] = {}
        self._negative_soa: dict[dns.name.Name, dns.rrset.RRset] = {}  # per zone, built on first use
        explicit = [to_name(z) for z in zones] if zones is not None else []
        if answer_all:
            explicit.append(dns.name.root)
        recs = [Record.coerce(r) for r in records]
        for rec in recs:
            self._add(rec)
        apexes: set[dns.name.Name] = set(explicit)
        apexes.update(name for name, node in self._nodes.items() if _SOA in node)
        for name in list(self._nodes) + list(self._timeout_all) + list(self._timeout_types):
            if not any(name.is_subdomain(a) for a in apexes):
                if zones is not None:
                    raise ZoneError(
                        f"{name.to_text()} lies outside the declared zones {[z.to_text() for z in explicit]}"
                    )
                apexes.add(default_apex(name))
        self._apexes = sorted(apexes, key=lambda n: len(n.labels), reverse=True)
        ns_name = to_name(nameserver)
        for apex in self._apexes:
            node = self._nodes.setdefault(apex, {})
            if _SOA not in node:
                mname = ns_name.to_text()
                rname = "hostmaster." + (apex.to_text() if apex != dns.name.root else "smtpkit.test.")
                self._put(apex, make_rdata("SOA", f"{mname} {rname} {_SOA_TIMERS}"), DEFAULT_TTL)
            if _NS not in node:
                self._put(apex, make_rdata("NS", ns_name), DEFAULT_TTL)
        for key, text in (descriptions or {}).items():
            self._descriptions[to_name(key)] = text
        # Empty non-terminals: names that own nothing but have descendants (RFC 8020: NODATA, not NXDOMAIN).
        self._existing: set[dns.name.Name] = set(self._nodes) | set(self._timeout_all) | set(self._timeout_types)
        for name in list(self._existing):
            zone = self.zone_of(name)
            parent: dns.name.Name = name
            while zone is not None and parent != zone:
                parent = parent.parent()
                self._existing.add(parent)
        self._check_cnames()

    # -- building --------------------------------------------------------------------------
    def _add(self, rec: Record) -> None:
        name = to_name(rec.name)
        rdtype = str(rec.rdtype).strip().upper()
        if rdtype == TIMEOUT_TYPE:
            if rec.value in (None, ""):
                if name not in self._timeout_all:
                    self._timeout_all[name] = frozenset(self._nodes.get(name, {}))
            else:
                try:
                    rdt = dns.rdatatype.RdataType.make(str(rec.value).upper())
                except dns.rdatatype.UnknownRdatatype:
                    raise ZoneError(f"record {rec}: TIMEOUT names an unknown record type") from None
                self._timeout_types.setdefault(name, set()).add(rdt)
            return
        try:
            rdata = make_rdata(rdtype, rec.value)
        except ZoneError as exc:
            raise ZoneError(f"record {rec}: {exc}") from None
        if not isinstance(rec.ttl, int) or not 0 <= rec.ttl < 2**31:
            raise ZoneError(f"record {rec}: TTL must be an integer 0..2147483647")
        self._put(name, rdata, rec.ttl)

    def _put(self, name: dns.name.Name, rdata: dns.rdata.Rdata, ttl: int) -> None:
        node = self._nodes.setdefault(name, {})
        rrset = node.get(rdata.rdtype)
        if rrset is None:
            rrset = node[rdata.rdtype] = dns.rrset.RRset(name, _IN, rdata.rdtype)
            rrset.update_ttl(ttl)
        rrset.add(rdata, ttl)  # an RRset keeps the smallest TTL, as RFC 2181 §5.2 wants one TTL per set

    def _check_cnames(self) -> None:
        for name, node in self._nodes.items():
            if _CNAME in node and len(node[_CNAME]) > 1:
                raise ZoneError(
                    f"{name.to_text()} has {len(node[_CNAME])} CNAME records; a name can alias only one target"
                )
            if _CNAME in node and set(node) - {_CNAME}:
                others = ", ".join(
                    sorted(dns.rdatatype.to_text(dns.rdatatype.RdataType(t)) for t in node if t != _CNAME)
                )
                raise ZoneError(f"{name.to_text()} has a CNAME and other data ({others}); RFC 1034 §3.6.2 forbids that")

    # -- constructors ----------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Iterable[Record | Sequence[Any]], **kwargs: Any) -> ZoneSet:
        return cls(records, **kwargs)

    @classmethod
    def from_zonedata(cls, zonedata: Mapping[str, Any] | None, *, copy_spf_to_txt: bool = True) -> ZoneSet:
        """Serve one scenario's ``zonedata`` from ``rfc7208-tests.yml`` (already parsed from YAML).

        Follows the suite's reference driver (pyspf ``testspf.py``): a name with
        SPF records but no ``TXT`` entry of its own (``TXT: NONE`` counts as
        one) also gets each SPF record as TXT, appended after its other entries;
        ``TIMEOUT`` silences every type not listed before it; strings are sent
        byte for byte (YAML ``"\\xEF"`` escapes mean the byte 0xEF). Every scenario,
        "Selecting records" included, needs that copy: its tests ``empty``,
        ``nospace2``, ``multitxt2`` and ``case-insensitive`` only pass when SPF
        is copied to TXT. ``copy_spf_to_txt=False`` serves the data literally,
        to show what a TXT-only evaluator sees of type-99-only domains.
        """
        records: list[Record] = []
        for raw_name, entries in (zonedata or {}).items():
            name = str(raw_name)
            has_txt = False
            copies: list[Record] = []
            for entry in entries or []:
                if isinstance(entry, str):
                    if entry.strip().upper() != TIMEOUT_TYPE:
                        raise ZoneError(f"zonedata {name}: unknown entry {entry!r} (only TIMEOUT may stand alone)")
                    records.append(Record(name, TIMEOUT_TYPE))
                    continue
                if not isinstance(entry, Mapping):
                    raise ZoneError(f"zonedata {name}: entry {entry!r} is not a mapping like 'TXT: ...'")
                for rdtype, value in entry.items():
                    rdtype = str(rdtype).upper()
                    if rdtype == "TXT":
                        has_txt = True
                    if value == "NONE":
                        continue  # "no record of this type", but it still stops the SPF->TXT copy
                    if value == TIMEOUT_TYPE:
                        records.append(Record(name, TIMEOUT_TYPE, rdtype))
                        continue
                    value = _zonedata_value(rdtype, value)
                    records.append(Record(name, rdtype, value))
                    if rdtype == "SPF":
                        copies.append(Record(name, "TXT", value))
            if copy_spf_to_txt and not has_txt:
                records.extend(copies)
        return cls(records, answer_all=True)

    # -- questions -------------------------------------------------------------------------
    def swap_label(self, labels: list[bytes]) -> tuple[bytes, bytes] | None:
        """For a question name's labels: the label that may be swapped for another of the same length
        without changing the answer but for that label, and that other label (see `answer_memo`); None
        here: every name of a plain zone set is its own."""
        return None

    def zone_names(self) -> list[str]:
        """Served zone apexes: the healthy lab domain, the other domains, then reverse zones."""

        def order(apex: dns.name.Name) -> tuple[int, str]:
            text = apex.to_text(omit_final_dot=True)
            return (0 if text == HEALTHY_DOMAIN else 2 if is_reverse(apex) else 1, text)

        return [a.to_text(omit_final_dot=True) for a in sorted(self._apexes, key=order)]

    def zone_descriptions(self) -> dict[str, str]:
        """Apex -> what the zone demonstrates (from each module's ``ZONES``)."""
        return {name: self._descriptions.get(to_name(name), "") for name in self.zone_names()}

    def zone_of(self, name: str | dns.name.Name) -> dns.name.Name | None:
        qname = to_name(name)
        for apex in self._apexes:
            if qname.is_subdomain(apex):
                return apex
        return None

    def rrsets(self) -> list[dns.rrset.RRset]:
        return [rrset for _name, node in sorted(self._nodes.items()) for _t, rrset in sorted(node.items())]

    def rows(self) -> list[dict[str, Any]]:
        """Every record as a table row (name, type, ttl, value), for notebooks and `smtpkit lab`."""
        out = []
        for rrset in self.rrsets():
            for rdata in rrset:
                out.append(
                    {
                        "name": rrset.name.to_text(omit_final_dot=True),
                        "type": dns.rdatatype.to_text(rrset.rdtype),
                        "ttl": rrset.ttl,
                        "value": rdata.to_text(),
                    }
                )
        for name, allowed in sorted(self._timeout_all.items()):
            kept = ", ".join(sorted(dns.rdatatype.to_text(dns.rdatatype.RdataType(t)) for t in allowed)) or "none"
            out.append(
                {
                    "name": name.to_text(omit_final_dot=True),
                    "type": TIMEOUT_TYPE,
                    "ttl": 0,
                    "value": f"(no answer, except {kept})",
                }
            )
        for name, types in sorted(self._timeout_types.items()):
            for t in sorted(types):
                out.append(
                    {
                        "name": name.to_text(omit_final_dot=True),
                        "type": TIMEOUT_TYPE,
                        "ttl": 0,
                        "value": f"(no answer for {dns.rdatatype.to_text(dns.rdatatype.RdataType(t))})",
                    }
                )
        return out

    def to_text(self) -> str:
        """Zone-file-like text of everything served (TIMEOUT names as comments)."""
        lines = [rrset.to_text() for rrset in self.rrsets()]
        lines += [f"; {r['name']} {r['type']} {r['value']}" for r in self.rows() if r["type"] == TIMEOUT_TYPE]
        return "\n".join(lines) + "\n"

    def __len__(self) -> int:
        return sum(len(rrset) for rrset in self.rrsets())

    def __repr__(self) -> str:
        shown = self.zone_names()
        more = f" +{len(shown) - 6} more" if len(shown) > 6 else ""
        return f"ZoneSet(zones={shown[:6]}{more}, records={len(self)})"

    def lookup(self, qname: str | dns.name.Name, qtype: str | int) -> LookupResult:
        """Answer one question as an authoritative server would (pure: no sockets)."""
        name = to_name(qname)
        rdt = dns.rdatatype.RdataType.make(qtype)
        apex = self.zone_of(name)
        if apex is None:
            return LookupResult(rcode=dns.rcode.REFUSED, authoritative=False)
        result = LookupResult()
        seen: set[dns.name.Name] = set()
        current = name
        for hop in range(_MAX_CHAIN):
            if self._silenced(current, rdt):
                if hop == 0:
                    result.drop = True
                return result  # a chain into a silent name stops at the CNAME; the client's own query will hang
            seen.add(current)
            node, owner_exists = self._node(current)
            if node is None:
                if not owner_exists:
                    result.rcode = dns.rcode.NXDOMAIN
                self._add_soa(result, current)
                return result
            if rdt == _ANY:
                result.answer.extend(_renamed(rrset, current) for _t, rrset in sorted(node.items()))
                return result
            if rdt in node:
                result.answer.append(_renamed(node[rdt], current))
                return result
            if _CNAME in node and rdt != _CNAME:
                cname = _renamed(node[_CNAME], current)
                result.answer.append(cname)
                target = cname[0].target
                if target in seen or self.zone_of(target) != self.zone_of(current):
                    # A loop, or a target in another zone: stop at the CNAME and let the client chase,
                    # as it must on the internet where the target zone lives on another provider's server.
                    return result
                current = target
                continue
            self._add_soa(result, current)  # the name exists without this type: NODATA
            return result
        return result

    def _silenced(self, name: dns.name.Name, rdt: int) -> bool:
        allowed = self._timeout_all.get(name)
        if allowed is not None and rdt not in allowed:
            return True
        return rdt in self._timeout_types.get(name, ())

    def _node(self, name: dns.name.Name) -> tuple[dict[int, dns.rrset.RRset] | None, bool]:
        """The node owning `name` (or a wildcard's), and whether the name exists at all."""
        node = self._nodes.get(name)
        if node:
            return node, True
        if name in self._existing:
            return None, True  # an empty non-terminal, or a TIMEOUT-only name
        # RFC 4592: the closest encloser's wildcard answers for names that do not exist.
        apex = self.zone_of(name)
        encloser = name
        while apex is not None and encloser != apex:
            encloser = encloser.parent()
            if encloser in self._existing:
                break
        try:
            wild = dns.name.Name((_WILD, *encloser.labels))
        except dns.exception.DNSException:
            return None, False
        node = self._nodes.get(wild)
        if node:
            return node, True
        return None, False

    def _add_soa(self, result: LookupResult, name: dns.name.Name) -> None:
        apex = self.zone_of(name)
        if apex is None:
            return
        neg = self._negative_soa.get(apex)  # built once per zone: every negative answer shares it
        if neg is None:
            soa = self._nodes.get(apex, {}).get(_SOA)
            if soa is None:
                return
            # RFC 2308 §3: the SOA's TTL in a negative answer is min(SOA TTL, SOA MINIMUM).
            neg = dns.rrset.RRset(soa.name, _IN, _SOA)
            neg.update(soa)
            neg.ttl = min(soa.ttl, soa[0].minimum)
            self._negative_soa[apex] = neg
        result.authority.append(neg)


def _renamed(rrset: dns.rrset.RRset, owner: dns.name.Name) -> dns.rrset.RRset:
    """The rrset under the asked spelling of its owner (case, wildcard expansion)."""
    if rrset.name == owner and rrset.name.labels == owner.labels:
        return rrset
    copy = dns.rrset.RRset(owner, rrset.rdclass, rrset.rdtype)
    copy.update(rrset)
    return copy


def _zonedata_value(rdtype: str, value: Any) -> Any:
    """YAML value -> Record value, keeping the suite's bytes (``\\xEF`` is one byte, not UTF-8)."""

    def as_bytes(v: Any) -> bytes:
        s = v if isinstance(v, str) else str(v)
        try:
            return s.encode("latin-1")
        except UnicodeEncodeError:
            return s.encode("utf-8")

    if rdtype in ("TXT", "SPF"):
        if isinstance(value, (list, tuple)):
            return [as_bytes(v) for v in value]
        return as_bytes(value)
    if rdtype == "MX" and isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ZoneError(f"MX value {value!r} must be [preference, exchange]")
        return (int(value[0]), str(value[1] or "."))
    return str(value)


def is_reverse(name: dns.name.Name) -> bool:
    return name.is_subdomain(dns.name.from_text("in-addr.arpa.")) or name.is_subdomain(dns.name.from_text("ip6.arpa."))
