"""The DANE lab (RFC 7672): signed domains with TLSA records for the lab's MX, right and wrong, made at lab start.

TLSA records name a certificate or key, and the lab's certificates are made
fresh at every start, so these zones cannot be static modules of
`smtpkit.lab.zones`: `dane_zones(ca, ip)` builds them from the lab CA, and
`signer()` signs them (`smtpkit.lab.dnssec`). Every MX here is a lab MX on the
lab's "port 25": 127.0.0.1 (the healthy MX, DANE-EE) or 127.0.0.2 (one that
sends its CA certificate too, for DANE-TA).

=====================  ==============================================================
dane-ok.test           signed; 3 1 1 of the MX's key and 3 1 1 of the next key
                       (ready for a rollover): DANE passes
dane-single.test       signed; one 3 1 1 record that matches: passes, but a key change
                       would break it (dane.no_rollover)
dane-stale.test        signed; 3 1 1 of a key the MX no longer uses (dane.no_match)
dane-port.test         signed; the TLSA record is at _587._tcp, not _25._tcp (dane.wrong_port)
dane-bogus.test        signed, but the TLSA record's signature is broken (dnssec.bogus)
dane-unsigned.test     not signed: test. proves it has no DS (dane.insecure)
dane-ta.test           signed; 2 1 1 of the lab CA; the MX at 127.0.0.2 sends its chain
dane-pkix.test         signed; only 1 1 1 (PKIX-EE), which SMTP does not use (dane.unusable)
=====================  ==============================================================
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from smtpkit.lab.ca import LabCA
from smtpkit.lab.dnssec import LabSigner
from smtpkit.lab.zones.dkim import baseline
from smtpkit.lab.zoneset import Record

__all__ = ["DANE_TA_ADDRESS", "DaneLab", "ZONES", "dane_lab"]

DANE_TA_ADDRESS = "127.0.0.2"

ZONES = {
    "dane-ok.test": "signed, TLSA 3 1 1 for the MX's key and for the next one (rollover-ready): DANE passes",
    "dane-single.test": "signed, one matching TLSA 3 1 1 record and no second one for a rollover: dane.no_rollover",
    "dane-stale.test": "signed, TLSA 3 1 1 for a key the MX replaced: dane.no_match",
    "dane-port.test": "signed, TLSA published for port 587 instead of 25: dane.wrong_port",
    "dane-bogus.test": "signed, but the TLSA record's signature is broken: dnssec.bogus",
    "dane-unsigned.test": "TLSA published in a zone that is not signed: dane.insecure",
    "dane-ta.test": "signed, TLSA 2 1 1 (DANE-TA) for the lab CA; its MX sends the chain",
    "dane-pkix.test": "signed, only a TLSA 1 1 1 (PKIX-EE) record, which SMTP does not use: dane.unusable",
}
SIGNED = (
    "dane-ok.test",
    "dane-single.test",
    "dane-stale.test",
    "dane-port.test",
    "dane-bogus.test",
    "dane-ta.test",
    "dane-pkix.test",
)


def _spki_sha256(public_key: object) -> str:
    der = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _cert(path: str) -> x509.Certificate:
    with open(path, "rb") as fh:
        return x509.load_pem_x509_certificate(fh.read())


@dataclass
class DaneLab:
    """The DANE zones' records, their descriptions, and the signer that signs them."""

    records: list[Record]
    zones: dict[str, str]
    signer: LabSigner


def dane_lab(ca: LabCA, ip: str = "127.0.0.1") -> DaneLab:
    v4 = ip if ":" not in ip else "127.0.0.1"
    mx_key = _spki_sha256(_cert(ca.issue("good").chain_file).public_key())
    next_key = _spki_sha256(ec.generate_private_key(ec.SECP256R1()).public_key())
    old_key = _spki_sha256(ec.generate_private_key(ec.SECP256R1()).public_key())
    ca_key = _spki_sha256(ca.certificate.public_key())
    ca.issue("dane_ta")
    out: list[Record] = [Record("_25._tcp.mx.dane-ok.test", "TLSA", f"3 1 1 {next_key}")]
    tlsa = {
        "dane-ok.test": ("_25", f"3 1 1 {mx_key}"),
        "dane-single.test": ("_25", f"3 1 1 {mx_key}"),
        "dane-stale.test": ("_25", f"3 1 1 {old_key}"),
        "dane-port.test": ("_587", f"3 1 1 {mx_key}"),
        "dane-bogus.test": ("_25", f"3 1 1 {mx_key}"),
        "dane-unsigned.test": ("_25", f"3 1 1 {mx_key}"),
        "dane-ta.test": ("_25", f"2 1 1 {ca_key}"),
        "dane-pkix.test": ("_25", f"1 1 1 {mx_key}"),
    }
    for domain, (port, record) in tlsa.items():
        mx = f"mx.{domain}"
        out += baseline(domain, ip, mx=False)
        out += [
            Record(domain, "MX", (10, mx)),
            Record(mx, "A", DANE_TA_ADDRESS if domain == "dane-ta.test" else v4),
            Record(f"{port}._tcp.{mx}", "TLSA", record),
            Record(f"_smtp._tls.{domain}", "TXT", f"v=TLSRPTv1; rua=mailto:tls-reports@{domain}"),
        ]
    signer = LabSigner(SIGNED, bogus=[("_25._tcp.mx.dane-bogus.test", "TLSA")])
    return DaneLab(out, dict(ZONES), signer)
