"""DNSSEC for the practice lab: a signed ``test.`` above the lab's zones, signed lab zones, one bogus signature.

Why the lab plays the parent zone too: DNSSEC is a chain, and teaching it
needs every link. The lab's trust anchor is the key of ``test.`` (written to
a file, like the root's), ``test.`` signs a DS for each signed lab zone and an
NSEC proof "no DS here" for every other one, each signed zone signs its own
records, and one signature is broken on purpose. A validator pointed at the
lab's DNS server (``--trust-anchor <the lab's file>``) then meets exactly what
it meets on the internet: secure, insecure (proven), and bogus answers.

The signer sits beside the `ZoneSet`, which stays unaware of DNSSEC: the DNS
server asks `answer()` first (the ``test.`` zone, DS and DNSKEY questions,
which belong to the parent side or to the keys only the signer holds), then
`sign()` adds RRSIGs to whatever went out, when the query set the DO bit.
Keys are ECDSA P-256 (algorithm 13), made at lab start; signatures are made by
dnspython's `dns.dnssec.sign` on first use and cached.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Iterable
from typing import Any

import dns.dnssec
import dns.dnssectypes
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.NSEC
import dns.rdtypes.dnskeybase
import dns.rrset
from cryptography.hazmat.primitives.asymmetric import ec

from smtpkit.lab.zoneset import LAB_NAMESERVER, LookupResult, ZoneSet

__all__ = ["ALGORITHM", "LabSigner"]

ALGORITHM = dns.dnssectypes.Algorithm.ECDSAP256SHA256
_TTL = 300
_IN = dns.rdataclass.IN


def _key() -> tuple[ec.EllipticCurvePrivateKey, Any]:
    private = ec.generate_private_key(ec.SECP256R1())
    flags = dns.rdtypes.dnskeybase.Flag.ZONE | dns.rdtypes.dnskeybase.Flag.SEP  # 257: a key-signing key
    dnskey = dns.dnssec.make_dnskey(private.public_key(), ALGORITHM, flags=flags)
    return private, dnskey


def _rrset(name: dns.name.Name, rdtype: int, rdatas: Iterable[Any]) -> dns.rrset.RRset:
    out = dns.rrset.RRset(name, _IN, dns.rdatatype.RdataType.make(rdtype))
    out.update_ttl(_TTL)
    for rd in rdatas:
        out.add(rd)
    return out


class LabSigner:
    """Keys for ``test.`` and each zone in `signed`; `bogus` names (owner, type) whose signature is broken."""

    def __init__(
        self,
        signed: Iterable[str],
        *,
        bogus: Iterable[tuple[str, str]] = (),
        parent: str = "test.",
    ) -> None:
        self.parent = dns.name.from_text(parent)
        self._keys: dict[dns.name.Name, tuple[ec.EllipticCurvePrivateKey, Any]] = {self.parent: _key()}
        for zone in signed:
            self._keys[dns.name.from_text(zone.rstrip(".") + ".")] = _key()
        self._bogus = {(dns.name.from_text(n.rstrip(".") + "."), dns.rdatatype.from_text(t)) for n, t in bogus}
        self._cache: dict[tuple[dns.name.Name, int, int], dns.rrset.RRset] = {}
        self._lock = threading.Lock()
        now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
        self._inception = now - _dt.timedelta(hours=1)
        self._expiration = now + _dt.timedelta(days=30)

    # -- what a validator needs from outside --------------------------------------------
    @property
    def signed_zones(self) -> list[str]:
        return [z.to_text(omit_final_dot=True) for z in self._keys if z != self.parent]

    def trust_anchor(self) -> str:
        """Zone-file text of the lab's trust anchor: the DS of ``test.``'s key (``--trust-anchor`` reads it)."""
        ds = dns.dnssec.make_ds(self.parent, self._keys[self.parent][1], "SHA256")
        return (
            "; the smtpkit practice lab's DNSSEC trust anchor (made at lab start): the key of test.\n"
            f"{self.parent.to_text()} IN DS {ds.to_text()}\n"
        )

    def ds(self, zone: str) -> str:
        """The DS text of a signed lab zone (for tests and teaching)."""
        name = dns.name.from_text(zone.rstrip(".") + ".")
        return str(dns.dnssec.make_ds(name, self._keys[name][1], "SHA256").to_text())

    # -- answering -------------------------------------------------------------------------
    def answer(self, zoneset: ZoneSet, qname: dns.name.Name, qtype: int) -> LookupResult | None:
        """The answers only the signer can give (``test.``, DS, DNSKEY), or None to let the zone set answer."""
        name = qname.canonicalize()
        if name == self.parent:
            return self._parent_zone(qtype)
        if qtype == dns.rdatatype.DS and name.parent() == self.parent and zoneset.zone_of(name) == name:
            if name in self._keys:
                ds = dns.dnssec.make_ds(name, self._keys[name][1], "SHA256")
                return LookupResult(answer=[_rrset(qname, dns.rdatatype.DS, [ds])])
            return LookupResult(authority=[self._soa(), self._no_ds(name)])
        if qtype == dns.rdatatype.DNSKEY and name in self._keys:
            return LookupResult(answer=[_rrset(qname, dns.rdatatype.DNSKEY, [self._keys[name][1]])])
        return None

    def _parent_zone(self, qtype: int) -> LookupResult:
        if qtype == dns.rdatatype.DNSKEY:
            return LookupResult(answer=[_rrset(self.parent, qtype, [self._keys[self.parent][1]])])
        if qtype == dns.rdatatype.SOA:
            return LookupResult(answer=[self._soa()])
        if qtype == dns.rdatatype.NS:
            ns = dns.rdata.from_text(_IN, dns.rdatatype.NS, LAB_NAMESERVER + ".")
            return LookupResult(answer=[_rrset(self.parent, qtype, [ns])])
        return LookupResult(authority=[self._soa()])

    def _soa(self) -> dns.rrset.RRset:
        soa = dns.rdata.from_text(
            _IN, dns.rdatatype.SOA, f"{LAB_NAMESERVER}. hostmaster.smtpkit.test. 1 3600 600 86400 300"
        )
        return _rrset(self.parent, dns.rdatatype.SOA, [soa])

    def _no_ds(self, name: dns.name.Name) -> dns.rrset.RRset:
        """An NSEC at the delegation listing NS but no DS: the signed parent's proof that `name` is unsigned."""
        successor = dns.name.Name((b"\x00", *name.labels))  # the next possible name (RFC 4470 white lies)
        windows = dns.rdtypes.ANY.NSEC.Bitmap.from_rdtypes([dns.rdatatype.NS, dns.rdatatype.RRSIG, dns.rdatatype.NSEC])
        nsec = dns.rdtypes.ANY.NSEC.NSEC(_IN, dns.rdatatype.NSEC, successor, windows)
        return _rrset(name, dns.rdatatype.NSEC, [nsec])

    # -- signing -----------------------------------------------------------------------------
    def sign(self, zoneset: ZoneSet, result: LookupResult) -> None:
        """Append an RRSIG RRset after every RRset of a signed zone in the answer and authority sections."""
        for section in (result.answer, result.authority):
            for rrset in list(section):
                zone = self._zone_for(zoneset, rrset)
                if zone is not None:
                    section.append(self._signature(zone, rrset))

    def _zone_for(self, zoneset: ZoneSet, rrset: dns.rrset.RRset) -> dns.name.Name | None:
        owner = rrset.name.canonicalize()
        if owner == self.parent or (
            rrset.rdtype in (dns.rdatatype.DS, dns.rdatatype.NSEC) and owner.parent() == self.parent
        ):
            return self.parent  # test. itself, and the parent side of each delegation
        apex = zoneset.zone_of(owner)
        return apex if apex in self._keys else None

    def _signature(self, zone: dns.name.Name, rrset: dns.rrset.RRset) -> dns.rrset.RRset:
        key = (rrset.name.canonicalize(), rrset.rdtype, hash(frozenset(rd.to_digestable() for rd in rrset)))
        with self._lock:
            cached = self._cache.get(key)
        if cached is None:
            private, dnskey = self._keys[zone]
            sig: Any = dns.dnssec.sign(
                rrset, private, zone, dnskey, inception=self._inception, expiration=self._expiration
            )
            if (key[0], rrset.rdtype) in self._bogus:
                broken = bytearray(sig.signature)
                broken[len(broken) // 2] ^= 0xFF  # one flipped byte: a signature that no longer verifies
                sig = sig.replace(signature=bytes(broken))
            cached = _rrset(rrset.name, dns.rdatatype.RRSIG, [sig])
            with self._lock:
                self._cache[key] = cached
        if cached.name.labels != rrset.name.labels:  # same name, other spelling: keep the asker's case
            copy = dns.rrset.RRset(rrset.name, _IN, dns.rdatatype.RRSIG, cached.covers)
            copy.update(cached)
            return copy
        return cached
