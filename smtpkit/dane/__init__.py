"""DANE for SMTP (RFC 7672, TLSA from RFC 6698/7671): which TLSA records count, and whether one matches.

Pure: the TLSA records (already DNSSEC-validated by the caller) and the DER
certificates the MX presented go in; for each record, whether it matched and
why not, come out. The rules, as SMTP applies them:

* Only usages 3 (DANE-EE: the server's own certificate or key) and 2 (DANE-TA:
  a certificate of the presented chain that issued the server's) are used;
  0 and 1 (PKIX-TA, PKIX-EE) are "unusable" for SMTP (RFC 7672 §3.1.3).
* DANE-EE ignores names and dates (RFC 7672 §3.1.1). DANE-TA needs the chain
  from the server's certificate up to the matched one to verify, and the
  server's certificate to carry the MX host name (RFC 7672 §3.2).
* Selector 0 is the whole certificate, 1 its public key (SPKI); matching type
  0 is the data itself, 1 its SHA-256, 2 its SHA-512.
* Rollover readiness (RFC 7671 §8.1, RFC 7672 §3.3): a second usable record
  for the next key, or a "3 1 1" plus a "2 1 1" for the issuer, so a key change
  does not break delivery between renewing the certificate and updating DNS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

__all__ = ["Match", "Tlsa", "associated_data", "match_all", "names_match", "rollover_ready"]

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
SELECTORS = {0: "full certificate", 1: "public key (SPKI)"}
MATCHING = {0: "exact", 1: "SHA-256", 2: "SHA-512"}


@dataclass(frozen=True)
class Tlsa:
    """One TLSA record: usage, selector, matching type and the association data."""

    usage: int
    selector: int
    mtype: int
    data: bytes

    @classmethod
    def from_rdata(cls, rdata: Any) -> Tlsa:
        return cls(int(rdata.usage), int(rdata.selector), int(rdata.mtype), bytes(rdata.cert))

    @classmethod
    def parse(cls, text: str) -> Tlsa:
        """'3 1 1 <hex>' -> Tlsa (ValueError when it is not)."""
        parts = text.split()
        if len(parts) < 4:
            raise ValueError(f"{text!r} is not a TLSA record: usage selector matching-type data")
        return cls(int(parts[0]), int(parts[1]), int(parts[2]), bytes.fromhex("".join(parts[3:])))

    @property
    def text(self) -> str:
        """The record in presentation format, as it is written in a zone file: '3 1 1 <hex>'."""
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex()}"

    @property
    def short(self) -> str:
        shown = self.data.hex()
        return f"{self.usage} {self.selector} {self.mtype} {shown[:16]}…" if len(shown) > 16 else self.text

    @property
    def meaning(self) -> str:
        usage = USAGES.get(self.usage, f"usage {self.usage}")
        selector = SELECTORS.get(self.selector, f"selector {self.selector}")
        mtype = MATCHING.get(self.mtype, f"matching type {self.mtype}")
        return f"{usage}, {selector}, {mtype}"

    @property
    def unusable(self) -> str:
        """Why SMTP ignores this record, or '' when it is usable."""
        if self.usage in (0, 1):
            return f"usage {self.usage} ({USAGES[self.usage]}) is not used for SMTP (RFC 7672 §3.1.3)"
        if self.usage not in (2, 3):
            return f"usage {self.usage} is not defined"
        if self.selector not in SELECTORS:
            return f"selector {self.selector} is not defined"
        if self.mtype not in MATCHING:
            return f"matching type {self.mtype} is not defined"
        expected = {1: 32, 2: 64}.get(self.mtype)
        if expected and len(self.data) != expected:
            return f"a {MATCHING[self.mtype]} digest is {expected} bytes, this one {len(self.data)}"
        return ""


def associated_data(der: bytes, selector: int, mtype: int) -> bytes:
    """What a TLSA record with `selector` and `mtype` would hold for the certificate `der`."""
    if selector == 1:
        cert = x509.load_der_x509_certificate(der)
        content = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        content = der
    if mtype == 1:
        return hashlib.sha256(content).digest()
    if mtype == 2:
        return hashlib.sha512(content).digest()
    return content


def _data(der: bytes, selector: int, mtype: int) -> bytes | None:
    """`associated_data`, or None for bytes that are not a certificate (a hostile or broken chain)."""
    try:
        return associated_data(der, selector, mtype)
    except ValueError:
        return None


def names_match(cert: x509.Certificate, host: str) -> bool:
    """RFC 6125 name check: a DNS SAN equal to `host`, or a '*.' SAN matching its first label; CN only without SANs."""
    h = host.rstrip(".").lower()
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
    except x509.ExtensionNotFound:
        names = [
            a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME) if isinstance(a.value, str)
        ]
    for name in names:
        n = name.rstrip(".").lower()
        if n == h or (n.startswith("*.") and "." in h and h.split(".", 1)[1] == n[2:]):
            return True
    return False


@dataclass(frozen=True)
class Match:
    """One record against one presented chain: matched or not, and the reason in words."""

    record: Tlsa
    matched: bool
    reason: str


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _why_ee_differs(rec: Tlsa, leaf: bytes) -> str:
    """Name the likely story when a DANE-EE record does not match the server's certificate."""
    other = 1 - rec.selector if rec.selector in (0, 1) else None
    if other is not None and rec.mtype in MATCHING and _data(leaf, other, rec.mtype) == rec.data:
        return (
            f"the record has selector {rec.selector} but its data is the {SELECTORS[other]} of the server's "
            f"certificate: publish {rec.usage} {other} {rec.mtype} or fix the selector"
        )
    for mtype in MATCHING:
        if mtype != rec.mtype and rec.selector in SELECTORS and _data(leaf, rec.selector, mtype) == rec.data:
            return f"the data is the {MATCHING[mtype]} value, but the record says matching type {rec.mtype}"
    if rec.selector == 0:
        return (
            "the server's certificate is a different one (selector 0 pins the whole certificate, which changes at "
            "every renewal even with the same key: 3 1 1 survives renewals)"
        )
    return "the server's key is a different one: the key was rotated without publishing a TLSA record for the new one"


def match_all(
    records: Sequence[Tlsa], chain: Sequence[bytes], host: str, *, chain_complete: bool = True
) -> list[Match]:
    """Each usable record against the presented `chain` (leaf first) for MX `host`.

    `chain_complete` False means only the leaf is known (the chain could not
    be read), so a DANE-TA record can be neither matched nor refused.
    """
    out: list[Match] = []
    if not chain:
        return [Match(r, False, "no certificate was presented") for r in records]
    leaf_der = chain[0]
    certs: list[x509.Certificate | None] = []
    for der in chain:
        try:
            certs.append(x509.load_der_x509_certificate(der))
        except ValueError:
            certs.append(None)
    for rec in records:
        why_not = rec.unusable
        if why_not:
            out.append(Match(rec, False, f"unusable: {why_not}"))
            continue
        if rec.usage == 3:
            data = _data(leaf_der, rec.selector, rec.mtype)
            if data is None:
                out.append(Match(rec, False, "the server's certificate could not be read"))
            elif data == rec.data:
                out.append(Match(rec, True, f"the server's {SELECTORS[rec.selector]} matches"))
            else:
                out.append(Match(rec, False, _why_ee_differs(rec, leaf_der)))
            continue
        out.append(_match_ta(rec, chain, certs, host, chain_complete))
    return out


def _match_ta(
    rec: Tlsa, chain: Sequence[bytes], certs: Sequence[x509.Certificate | None], host: str, complete: bool
) -> Match:
    hits = [i for i, der in enumerate(chain) if _data(der, rec.selector, rec.mtype) == rec.data]
    if not hits:
        if not complete:
            return Match(rec, False, "not checked: only the server's own certificate could be read")
        return Match(
            rec,
            False,
            f"no certificate of the {len(chain)} the server sent matches; a DANE-TA certificate must be sent with "
            "the chain (RFC 7671 §5.2.2), and matches only while the server's certificate is issued under it",
        )
    ta = hits[-1]
    for i in range(ta):
        child, parent = certs[i], certs[i + 1]
        if child is None or parent is None or not _issued_by(child, parent):
            return Match(rec, False, f"certificate {i + 1} of the chain is not issued by certificate {i + 2}")
    leaf = certs[0]
    if leaf is None or not names_match(leaf, host):
        return Match(rec, False, f"the trust anchor matches, but the server's certificate does not name {host}")
    where = "the server's own certificate" if ta == 0 else f"certificate {ta + 1} of the chain (the issuer)"
    return Match(rec, True, f"{where} matches, the chain verifies and the certificate names {host}")


def rollover_ready(records: Sequence[Tlsa]) -> tuple[bool, str]:
    """Can the MX change its key without breaking DANE? (answer, in words)"""
    usable = [r for r in records if not r.unusable]
    if len(usable) >= 2:
        if any(r.usage == 3 for r in usable) and any(r.usage == 2 for r in usable):
            return True, "a DANE-EE and a DANE-TA record: a new key from the same issuer still matches"
        return True, f"{len(usable)} usable records: one can name the next key before it is used"
    return False, "a single usable record: the day the key changes, nothing matches until DNS is updated"
