"""DNS answers with their DNSSEC material: the RRset, its RRSIGs, the denial proofs, the AD flag.

A thin layer on `Resolver.with_dnssec()` (same servers, timeouts, deadline
and query log, with the DO bit set): each (name, type) is asked once per
`SignedLookup`, even when several validations in parallel need the same zone
keys, and the response is cut into the pieces a validator needs. Validation
itself (signatures, the chain from a trust anchor) is `smtpkit.dnssec`.
"""

from __future__ import annotations

import threading

import dns.flags
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from smtpkit.net.dns import DnsAnswer, Resolver
from smtpkit.record import field, record

__all__ = ["Signed", "SignedLookup"]

_PROOF_TYPES = (dns.rdatatype.NSEC, dns.rdatatype.NSEC3, dns.rdatatype.SOA)


@record()
class Signed:
    """One answer cut for validation. `rrset` is None for NXDOMAIN/NODATA; `status` is the resolver's word."""

    name: str
    rdtype: str
    status: str
    rrset: dns.rrset.RRset | None = None
    rrsigs: dns.rrset.RRset | None = None
    authority: list[dns.rrset.RRset] = field(default_factory=list)
    ad: bool = False
    error: str = ""
    nameserver: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("timeout", "servfail", "refused", "error")

    def proofs(self, rdtype: int) -> list[tuple[dns.rrset.RRset, dns.rrset.RRset | None]]:
        """The authority section's RRsets of `rdtype` (NSEC, NSEC3, SOA), each with its RRSIGs (or None)."""
        out = []
        for rrset in self.authority:
            if rrset.rdtype == rdtype:
                sigs = next(
                    (
                        s
                        for s in self.authority
                        if s.rdtype == dns.rdatatype.RRSIG and s.covers == rdtype and s.name == rrset.name
                    ),
                    None,
                )
                out.append((rrset, sigs))
        return out


def _cut(ans: DnsAnswer, rdtype: str) -> Signed:
    out = Signed(ans.name, rdtype, ans.status, error=ans.error, nameserver=ans.nameserver)
    response = ans.response
    if response is None:
        return out
    out.ad = bool(response.flags & dns.flags.AD)
    rdt = dns.rdatatype.from_text(rdtype)
    owner = dns.name.from_text((ans.canonical_name or ans.name).rstrip(".") + ".")
    for rrset in response.answer:
        if rrset.name == owner and rrset.rdtype == rdt:
            out.rrset = rrset
        elif rrset.name == owner and rrset.rdtype == dns.rdatatype.RRSIG and rrset.covers == rdt:
            out.rrsigs = rrset
    out.authority = [
        r
        for r in response.authority
        if r.rdtype in _PROOF_TYPES or (r.rdtype == dns.rdatatype.RRSIG and r.covers in _PROOF_TYPES)
    ]
    return out


class SignedLookup:
    """Ask each (name, type) once with the DO bit, through `resolver`'s servers; thread-safe."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver.with_dnssec()
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str], Signed] = {}
        self._asking: dict[tuple[str, str], threading.Lock] = {}

    def __call__(self, name: str, rdtype: str) -> Signed:
        key = (name.rstrip(".").lower() or ".", rdtype.upper())
        with self._lock:
            asking = self._asking.setdefault(key, threading.Lock())
        with asking:
            if key not in self._answers:
                self._answers[key] = _cut(self.resolver.resolve(key[0] if key[0] != "." else ".", key[1]), key[1])
            return self._answers[key]
