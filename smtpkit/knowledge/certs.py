"""Certificate facts from DER bytes, for people who have never read an X.509 dump.

Pure: takes the bytes a server sent (or a PEM file) and returns `CertInfo`, a
plain record with the fields a mail administrator needs to fix a TLS
problem: who it is for (subject, SANs), who vouches for it (issuer), when it is
valid, how strong its key and signature are, and whether it signed itself.

The TLS probe verifies with OpenSSL; this module re-derives the same facts
independently so that a report can name *every* problem of a certificate
(expired *and* for the wrong host), not only the first one OpenSSL stopped at,
and can show them even when the handshake was made without verification.

`cryptography` is stricter than OpenSSL about some encodings, so every field is
read defensively: a certificate we cannot fully decode still yields what could
be read, and `CertParseError` only when nothing could.

A certificate of the common shape (what nearly every server sends) is read by
`smtpkit.knowledge.der` instead, to the same `CertInfo`: `cryptography` is
imported only for the others, because its import costs more than the rest of
a ``smtpkit check`` of a healthy server.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
from collections.abc import Iterable, Sequence

from smtpkit.knowledge.der import EKU_NAMES, Unsupported, read_certificate
from smtpkit.record import field, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

    from cryptography import x509

#: RSA/DSA keys below this many bits are weak (OpenSSL security level 2 refuses them).
MIN_RSA_BITS = 2048
#: EC keys below this many bits are weak (P-224 and smaller).
MIN_EC_BITS = 256
#: A certificate this close to its end gets a warning.
EXPIRY_WARN_DAYS = 14
#: Signature hashes that can be forged.
WEAK_HASHES = frozenset({"md2", "md4", "md5", "sha1"})


class CertParseError(ValueError):
    """The bytes are not a certificate we can read at all."""


@record(frozen=True)
class CertInfo:
    """What a certificate says, in fields a person can act on.

    Dates are timezone-aware UTC datetimes; `der` is kept (out of repr) so a
    view can offer the PEM for download or `openssl x509` inspection.
    """

    subject: str
    subject_cn: str | None
    issuer: str
    issuer_cn: str | None
    serial: str
    not_before: _dt.datetime | None
    not_after: _dt.datetime | None
    san_dns: tuple[str, ...] = ()
    san_ip: tuple[str, ...] = ()
    key_type: str = "unknown"
    key_bits: int | None = None
    key_curve: str | None = None
    signature_algorithm: str = "unknown"
    signature_hash: str | None = None
    self_issued: bool = False
    self_signed: bool = False
    is_ca: bool = False
    ext_key_usage: tuple[str, ...] = ()
    ca_issuers_urls: tuple[str, ...] = ()
    ocsp_urls: tuple[str, ...] = ()
    sha256: str = ""
    version: int | None = None
    warnings: tuple[str, ...] = ()
    der: bytes = field(default=b"", repr=False, compare=False)

    # -- derived facts ---------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Every name a client may match: DNS SANs, IP SANs, and the CN only when there are no DNS SANs."""
        out = list(self.san_dns) + list(self.san_ip)
        if not self.san_dns and self.subject_cn:
            out.append(self.subject_cn)
        return out

    @property
    def key_description(self) -> str:
        if self.key_type == "EC" and self.key_curve:
            return f"EC {self.key_curve} ({self.key_bits} bits)"
        if self.key_bits:
            return f"{self.key_type} {self.key_bits} bits"
        return self.key_type

    @property
    def weak_key(self) -> bool:
        if self.key_bits is None:
            return False
        if self.key_type in ("RSA", "DSA"):
            return self.key_bits < MIN_RSA_BITS
        if self.key_type == "EC":
            return self.key_bits < MIN_EC_BITS
        return False

    @property
    def weak_signature(self) -> bool:
        """Only meaningful for certificates someone else signed: a root's self-signature is never checked."""
        return (self.signature_hash or "").lower() in WEAK_HASHES and not self.self_signed

    @property
    def server_auth_allowed(self) -> bool:
        """False when an extendedKeyUsage excludes serverAuth (OpenSSL: 'unsupported certificate purpose')."""
        return (
            not self.ext_key_usage or "serverAuth" in self.ext_key_usage or "anyExtendedKeyUsage" in self.ext_key_usage
        )

    def days_left(self, now: _dt.datetime | None = None) -> int | None:
        """Whole days until not_after (negative once expired)."""
        if self.not_after is None:
            return None
        return _days_between(as_utc(now), self.not_after)

    def validity(self, now: _dt.datetime | None = None) -> str:
        """'valid', 'expired' or 'not_yet_valid' at `now`."""
        now = as_utc(now)
        if self.not_before is not None and now < self.not_before:
            return "not_yet_valid"
        if self.not_after is not None and now > self.not_after:
            return "expired"
        return "valid"

    def expiring_soon(self, now: _dt.datetime | None = None, days: int = EXPIRY_WARN_DAYS) -> bool:
        left = self.days_left(now)
        return self.validity(now) == "valid" and left is not None and left <= days

    def matches(self, host: str) -> bool:
        return hostname_matches(self, host)

    def pem(self) -> str:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        if not self.der:
            return ""
        return x509.load_der_x509_certificate(self.der).public_bytes(serialization.Encoding.PEM).decode("ascii")

    def to_row(self, now: _dt.datetime | None = None) -> dict[str, Any]:
        """One row of a certificate/chain table."""
        left = self.days_left(now)
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "names": ", ".join(self.names),
            "valid_from": format_date(self.not_before),
            "valid_to": format_date(self.not_after),
            "days_left": left,
            "validity": self.validity(now),
            "key": self.key_description,
            "signature": self.signature_algorithm,
            "self_signed": self.self_signed,
            "ca": self.is_ca,
            "serial": self.serial,
            "sha256": self.sha256,
        }


# ---------------------------------------------------------------------------
# parsing


def parse_der(der: bytes) -> CertInfo:
    """Read a DER certificate. Raises CertParseError when it is not one."""
    der = bytes(der)
    try:
        return CertInfo(**read_certificate(der), der=der)
    except Unsupported:
        pass  # not the common shape: cryptography reads it, field by field
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except Exception as exc:  # cryptography raises ValueError and friends on garbage
        raise CertParseError(f"not a readable X.509 certificate: {exc}") from None
    return _info(cert, der)


def parse_pem(text: str | bytes) -> list[CertInfo]:
    """Every certificate in a PEM bundle, in file order."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    try:
        certs = x509.load_pem_x509_certificates(data)
    except Exception as exc:
        raise CertParseError(f"no readable PEM certificate: {exc}") from None
    return [_info(c, c.public_bytes(serialization.Encoding.DER)) for c in certs]


def _info(cert: x509.Certificate, der: bytes) -> CertInfo:
    from cryptography.hazmat.primitives import hashes

    warnings: list[str] = []

    def attempt(what: str, fn: Any, default: Any) -> Any:
        try:
            return fn()
        except Exception as exc:  # one odd field must not hide the rest
            warnings.append(f"{what}: {exc}")
            return default

    subject = attempt("subject", lambda: cert.subject.rfc4514_string(), "(unreadable)")
    issuer = attempt("issuer", lambda: cert.issuer.rfc4514_string(), "(unreadable)")
    subject_cn = attempt("subject CN", lambda: _cn(cert.subject), None)
    issuer_cn = attempt("issuer CN", lambda: _cn(cert.issuer), None)
    serial = attempt("serial", lambda: _colon_hex(cert.serial_number), "")
    not_before = attempt("notBefore", lambda: cert.not_valid_before_utc, None)
    not_after = attempt("notAfter", lambda: cert.not_valid_after_utc, None)
    san_dns, san_ip = attempt("subjectAltName", lambda: _sans(cert), ((), ()))
    key_type, key_bits, key_curve = attempt("public key", lambda: _key(cert), ("unknown", None, None))
    sig_alg = attempt("signature algorithm", lambda: _sig_name(cert), "unknown")
    sig_hash = attempt(
        "signature hash", lambda: cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None, None
    )
    self_issued = attempt("self-issued", lambda: cert.subject == cert.issuer, False)
    self_signed = bool(self_issued) and attempt("self-signature", lambda: _signs_itself(cert), False)
    is_ca = attempt("basicConstraints", lambda: _is_ca(cert), False)
    eku = attempt("extendedKeyUsage", lambda: _eku(cert), ())
    ca_issuers, ocsp = attempt("authorityInfoAccess", lambda: _aia(cert), ((), ()))
    version = attempt("version", lambda: cert.version.value + 1, None)
    sha256 = cert.fingerprint(hashes.SHA256()).hex(":").upper()
    return CertInfo(
        subject=subject,
        subject_cn=subject_cn,
        issuer=issuer,
        issuer_cn=issuer_cn,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
        san_dns=tuple(san_dns),
        san_ip=tuple(san_ip),
        key_type=key_type,
        key_bits=key_bits,
        key_curve=key_curve,
        signature_algorithm=sig_alg,
        signature_hash=sig_hash,
        self_issued=bool(self_issued),
        self_signed=bool(self_signed),
        is_ca=bool(is_ca),
        ext_key_usage=tuple(eku),
        ca_issuers_urls=tuple(ca_issuers),
        ocsp_urls=tuple(ocsp),
        sha256=sha256,
        version=version,
        warnings=tuple(warnings),
        der=der,
    )


def _cn(name: x509.Name) -> str | None:
    from cryptography.x509.oid import NameOID

    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attrs:
        return None
    value = attrs[-1].value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _colon_hex(n: int) -> str:
    h = format(n, "x")
    if len(h) % 2:
        h = "0" + h
    return ":".join(h[i : i + 2] for i in range(0, len(h), 2)).upper()


def _sans(cert: x509.Certificate) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from cryptography import x509

    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return (), ()
    dns = tuple(str(n) for n in ext.get_values_for_type(x509.DNSName))
    ips = tuple(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    return dns, ips


def _key(cert: x509.Certificate) -> tuple[str, int | None, str | None]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    return type(key).__name__, None, None


def _sig_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    name = getattr(oid, "_name", None)
    return name if name and name != "Unknown OID" else oid.dotted_string


def _signs_itself(cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _eku(cert: x509.Certificate) -> tuple[str, ...]:
    from cryptography import x509

    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(EKU_NAMES.get(oid.dotted_string, oid.dotted_string) for oid in ext)


def _aia(cert: x509.Certificate) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        ext = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return (), ()
    issuers, ocsp = [], []
    for desc in ext:
        if isinstance(desc.access_location, x509.UniformResourceIdentifier):
            if desc.access_method == AuthorityInformationAccessOID.CA_ISSUERS:
                issuers.append(desc.access_location.value)
            elif desc.access_method == AuthorityInformationAccessOID.OCSP:
                ocsp.append(desc.access_location.value)
    return tuple(issuers), tuple(ocsp)


# ---------------------------------------------------------------------------
# dates and names


def as_utc(now: _dt.datetime | None) -> _dt.datetime:
    """`now` as an aware UTC datetime (a naive one is taken as UTC); None means the current time."""
    if now is None:
        return _dt.datetime.now(_dt.UTC)
    return now if now.tzinfo else now.replace(tzinfo=_dt.UTC)


def _days_between(start: _dt.datetime, end: _dt.datetime) -> int:
    """Whole days from start to end, rounded towards zero ("expires in 0 days" means today)."""
    seconds = (end - start).total_seconds()
    return int(seconds / 86400)


def format_date(value: _dt.datetime | None) -> str:
    """The date format every TLS text uses: '2025-03-01 12:00 UTC'."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def hostname_matches(cert: CertInfo, host: str) -> bool:
    """Does `cert` cover `host`, the way OpenSSL's X509_check_host/X509_check_ip do for Python's ssl?

    DNS names compare case-insensitively; a wildcard is allowed only as the whole
    left-most label and matches exactly one label (RFC 6125 §6.4.3, OpenSSL's
    NO_PARTIAL_WILDCARDS, which Python sets). The subject CN is used only when
    the certificate has no DNS SANs (Python's hostname_checks_common_name).
    IP literals match only IP SANs.
    """
    host = (host or "").strip().rstrip(".")
    if not host:
        return False
    if is_ip_literal(host):
        want = ipaddress.ip_address(host.strip("[]").split("%")[0])
        for ip in cert.san_ip:
            try:
                if ipaddress.ip_address(ip) == want:
                    return True
            except ValueError:
                continue
        return False
    candidates: Iterable[str] = cert.san_dns if cert.san_dns else ([cert.subject_cn] if cert.subject_cn else [])
    return any(_dns_match(pattern, host) for pattern in candidates)


def _dns_match(pattern: str, host: str) -> bool:
    pattern = pattern.strip().rstrip(".").lower()
    host = host.lower()
    if not pattern:
        return False
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if pattern == host:
        return True
    if pattern.startswith("*.") and "*" not in pattern[2:]:
        suffix = pattern[1:]  # ".example.com"
        if suffix.count(".") < 2:  # "*.com" must never match
            return False
        head, dot, rest = host.partition(".")
        return bool(head) and bool(dot) and "." + rest == suffix
    return False


# ---------------------------------------------------------------------------
# chains


def chain_rows(chain: Sequence[CertInfo], now: _dt.datetime | None = None) -> list[dict[str, Any]]:
    """The chain table: position, role, who signed whom, and whether the order links up."""
    rows: list[dict[str, Any]] = []
    for i, cert in enumerate(chain):
        if i == 0:
            role = "leaf (server)"
        elif cert.self_signed:
            role = "root"
        else:
            role = "intermediate"
        nxt = chain[i + 1] if i + 1 < len(chain) else None
        if nxt is not None:
            links = "yes" if nxt.subject == cert.issuer else "no: next is not this issuer"
        elif cert.self_signed:
            links = "none: a root signs itself"
        else:  # the last one sent: its issuer must be in the client's trust store
            links = "nothing after it: its issuer was not sent (the client must already trust it)"
        rows.append(
            {
                "#": i,
                "role": role,
                "subject": cert.subject,
                "issuer": cert.issuer,
                "names": ", ".join(cert.names),
                "valid_to": format_date(cert.not_after),
                "days_left": cert.days_left(now),
                "validity": cert.validity(now),
                "key": cert.key_description,
                "signature": cert.signature_algorithm,
                "issued_by_next": links,
            }
        )
    return rows


def missing_intermediate(chain: Sequence[CertInfo]) -> bool:
    """True when the last certificate the server sent is not a root: its issuer was never sent.

    That is the 'missing intermediate' situation when the issuer is a public CA;
    for a private CA it is normal and the CA must be given as a trust anchor.
    """
    if not chain:
        return False
    last = chain[-1]
    return not last.self_issued
