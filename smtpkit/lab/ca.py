"""The practice lab's certificate authority and the certificates its servers present.

Why a CA of our own, made fresh at every lab start: TLS failures are the most
common and least understood reason mail does not send, and each one (expired,
not yet valid, self-signed, issued for another host name, about to expire)
needs a real certificate that is wrong in exactly one way. A private CA made
on the spot gives us all of them offline, and its PEM (`LabCA.ca_file`) lets a
user *choose* to trust the lab, the same decision they face with a company CA.
Nothing here is trusted by the system: the private key never leaves the lab's
temporary directory and is deleted when the lab stops.

Keys are EC P-256 (generation takes well under a millisecond) except the
healthy submission server's, which is RSA 2048 so that "key type and size"
has both common answers to show. Certificates carry the extensions strict
verifiers (Python 3.13's VERIFY_X509_STRICT, OpenSSL 3) insist on: SAN,
basicConstraints, keyUsage, extendedKeyUsage, subject and authority key ids.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import ssl
import threading
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smtpkit.lab.policies import POLICY_HOSTS

__all__ = [
    "CERT_KINDS",
    "GOOD_NAMES",
    "WRONG_HOST_NAMES",
    "IssuedCert",
    "LabCA",
    "old_tls_supported",
    "server_context",
]

# Every name a client may use to reach a healthy lab server.
GOOD_NAMES: tuple[str, ...] = ("mail.smtpkit.test", "smtp.smtpkit.test", "localhost", "127.0.0.1", "::1")
# The only name on the `wrong_host` certificate: valid, trusted, and for somebody else.
WRONG_HOST_NAMES: tuple[str, ...] = ("mail.someone-else.test",)

# Keep this organisation name: smtpkit/checks/tls.py (LAB_CA_MARKER) recognises the lab's
# certificates by it and tells the reader to pass the lab's CA file.
_ORG = "smtpkit practice lab"
_DAY = _dt.timedelta(days=1)
# Backdating absorbs small clock differences between the lab and its clients,
# as public CAs do; an hour is plenty on one machine.
_BACKDATE = _dt.timedelta(hours=1)


@dataclass(frozen=True)
class _Kind:
    """How one kind of certificate differs from a healthy one."""

    description: str
    not_before_days: float  # relative to now (negative: in the past)
    not_after_days: float
    names: tuple[str, ...] = GOOD_NAMES
    key: str = "ec"  # "ec" (P-256) or "rsa" (2048)
    self_signed: bool = False
    chain: bool = False  # the server also sends the lab CA's certificate (what DANE-TA, TLSA usage 2, needs)
    key_of: str = ""  # the kind whose key this certificate shares (its DANE pins stay true)
    lab_mx_names: bool = False  # also every lab domain's MX host name (`smtpkit.lab.zones.mx_names`)


CERT_KINDS: dict[str, _Kind] = {
    "good": _Kind("valid for 90 days, issued by the lab CA for every lab name", 0, 90),
    "good_rsa": _Kind("like 'good' but with an RSA 2048 key", 0, 90, key="rsa"),
    # The lab's inbound MX serves every lab domain: with only mail.smtpkit.test on its certificate, the MX
    # probe found mx.tls.cert_invalid, a finding no lesson teaches, on two lab domains of three. Its own
    # kind, so the certificate a person reads in the TLS notebook keeps five names; the same key as 'good',
    # so the DANE lessons' TLSA records (the good key's SPKI) match it.
    "mx": _Kind(
        "like 'good', for the lab's inbound MX: also every lab domain's MX host name",
        0,
        90,
        key_of="good",
        lab_mx_names=True,
    ),
    "self_signed": _Kind("signed by its own key, not by the lab CA", 0, 90, self_signed=True),
    "expired": _Kind("issued by the lab CA, expired 10 days ago", -100, -10),
    "not_yet_valid": _Kind("issued by the lab CA, valid only from 30 days in the future", 30, 120),
    # 7 days and 12 hours: whole days are counted down, and at exactly 7 days the check said "6 days" at once
    "expiring_soon": _Kind("issued by the lab CA, expires in 7 days", -83, 7.5),
    "wrong_host": _Kind(f"issued by the lab CA for {', '.join(WRONG_HOST_NAMES)} only", 0, 90, names=WRONG_HOST_NAMES),
    "dane_ta": _Kind(
        "issued by the lab CA for mx.dane-ta.test, sent with the CA certificate (DANE-TA)",
        0,
        90,
        names=("mx.dane-ta.test",),
        chain=True,
    ),
    "mta_sts": _Kind(
        "issued by the lab CA for the MTA-STS policy hosts (mta-sts.<lab domain>)", 0, 90, names=POLICY_HOSTS
    ),
}


@dataclass(frozen=True)
class IssuedCert:
    """A certificate on disk: `chain_file` (leaf PEM) and `key_file` (its private key, 0600)."""

    kind: str
    chain_file: str
    key_file: str
    subject: str
    names: tuple[str, ...]
    not_before: _dt.datetime
    not_after: _dt.datetime
    key_type: str
    self_signed: bool

    def describe(self) -> str:
        return CERT_KINDS[self.kind].description


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


def _san(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _new_key(kind: str) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _key_type(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return f"RSA {key.key_size}"
    return f"EC {key.curve.name}"


def _write_private(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 from the start: a key must never be readable, even briefly."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


class LabCA:
    """A CA made now, writing its PEM and the certificates it issues into `directory`.

    `issue(kind)` is cached per kind, so servers sharing a kind share a certificate.
    """

    def __init__(self, directory: str | os.PathLike[str], *, name: str = "smtpkit practice lab CA") -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._issued: dict[str, IssuedCert] = {}
        self._keys: dict[str, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey] = {}
        now = _now()
        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
                # no character that RFC 4514 escapes (comma, plus, quote, backslash, angle brackets,
                # semicolon): the issuer is shown to people, and an escaped "UTC; trusted" read like a typo
                x509.NameAttribute(
                    NameOID.ORGANIZATIONAL_UNIT_NAME,
                    f"made {now:%Y-%m-%d %H:%M} UTC - trusted by nothing unless you add it",
                ),
            ]
        )
        self._ski = x509.SubjectKeyIdentifier.from_public_key(self._key.public_key())
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + 3650 * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(self._ski, critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_file = str(self.directory / "lab-ca.pem")
        Path(self.ca_file).write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    def issue(self, kind: str) -> IssuedCert:
        """The certificate of `kind` (see `CERT_KINDS`), made on first use."""
        if kind not in CERT_KINDS:
            raise ValueError(f"unknown certificate kind {kind!r}; known: {', '.join(CERT_KINDS)}")
        with self._lock:
            if kind not in self._issued:
                self._issued[kind] = self._make(kind, CERT_KINDS[kind])
            return self._issued[kind]

    def _make(self, kind: str, spec: _Kind) -> IssuedCert:
        if spec.lab_mx_names:
            from smtpkit.lab.zones import mx_names  # the zones import this module: asked on first use

            spec = replace(spec, names=spec.names + tuple(n for n in mx_names() if n not in spec.names))
        now = _now()
        if spec.key_of:  # the same key as that kind's certificate (made first, under the same lock)
            if spec.key_of not in self._issued:
                self._issued[spec.key_of] = self._make(spec.key_of, CERT_KINDS[spec.key_of])
            key = self._keys[spec.key_of]
        else:
            key = _new_key(spec.key)
        self._keys[kind] = key
        leaf_subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, spec.names[0]),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
            ]
        )
        if spec.self_signed:
            issuer_name, signing_key = leaf_subject, key
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
        else:
            issuer_name, signing_key = self.certificate.subject, self._key
            aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self._ski)
        not_before = now + spec.not_before_days * _DAY - (_BACKDATE if spec.not_before_days <= 0 else _dt.timedelta())
        not_after = now + spec.not_after_days * _DAY
        builder = (
            x509.CertificateBuilder()
            .subject_name(leaf_subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(_san(spec.names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=spec.key == "rsa",
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(aki, critical=False)
        )
        cert = builder.sign(signing_key, hashes.SHA256())
        chain_file = chain_file_of(self.ca_file, kind)
        key_file = self.directory / f"{kind}.key.pem"
        pem = cert.public_bytes(serialization.Encoding.PEM)
        if spec.chain:
            pem += self.certificate.public_bytes(serialization.Encoding.PEM)
        chain_file.write_bytes(pem)
        _write_private(
            key_file,
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        return IssuedCert(
            kind=kind,
            chain_file=str(chain_file),
            key_file=str(key_file),
            subject=leaf_subject.rfc4514_string(),
            names=spec.names,
            not_before=not_before,
            not_after=not_after,
            key_type=_key_type(key),
            self_signed=spec.self_signed,
        )


_TLS_NAMES = {
    "TLSv1": "TLSv1",
    "TLSv1.0": "TLSv1",
    "TLSv1_1": "TLSv1_1",
    "TLSv1.1": "TLSv1_1",
    "TLSv1_2": "TLSv1_2",
    "TLSv1.2": "TLSv1_2",
    "TLSv1_3": "TLSv1_3",
    "TLSv1.3": "TLSv1_3",
}


def chain_file_of(ca_file: str | os.PathLike[str], kind: str) -> Path:
    """Where the lab CA whose own PEM is `ca_file` (`LabCA.ca_file`, `LabInfo.ca_file`) keeps the chain of the
    certificate of `kind`, once issued: a reader that has the lab's description, not its CA object (a form's
    hint reads the certificate's dates before the check is run), finds it here."""
    return Path(ca_file).parent / f"{kind}.crt.pem"


def _tls_version(name: str) -> ssl.TLSVersion:
    try:
        return ssl.TLSVersion[_TLS_NAMES[name]]
    except KeyError:
        raise ValueError(f"unknown TLS version {name!r}; use one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3") from None


def server_context(cert: IssuedCert, tls_versions: tuple[str, ...] | None = None) -> ssl.SSLContext:
    """A server-side context presenting `cert`; `tls_versions` = (min, max) to imitate an old server.

    Old versions need OpenSSL's security level 0 (SHA-1 in the handshake);
    `old_tls_supported()` says whether this machine's OpenSSL still allows it.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert.chain_file, cert.key_file)
    if tls_versions:
        low, high = (_tls_version(v) for v in tls_versions)
        with warnings.catch_warnings():  # the deprecation IS the lesson; do not spam it
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = low
            ctx.maximum_version = high
            if high < ssl.TLSVersion.TLSv1_2:
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


_OLD_TLS: tuple[bool, str] | None = None


def old_tls_supported(directory: str | os.PathLike[str] | None = None) -> tuple[bool, str]:
    """Can a Python server on this machine still speak TLS 1.1? (answer, reason); cached.

    Tested by a real in-memory handshake, because distributions differ: some
    build OpenSSL without TLS 1.0/1.1, some forbid them in the system policy.
    """
    global _OLD_TLS
    if _OLD_TLS is not None:
        return _OLD_TLS
    import tempfile

    with tempfile.TemporaryDirectory(prefix="smtpkit-tlsprobe-", dir=directory) as tmp:
        try:
            ca = LabCA(tmp, name="smtpkit TLS 1.1 probe")
            server = server_context(ca.issue("good"), ("TLSv1_1", "TLSv1_1"))
            client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            client.load_verify_locations(ca.ca_file)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                client.minimum_version = ssl.TLSVersion.TLSv1_1
                client.maximum_version = ssl.TLSVersion.TLSv1_1
            client.set_ciphers("DEFAULT:@SECLEVEL=0")
            _OLD_TLS = (_memory_handshake(server, client) == "TLSv1.1", "")
            if not _OLD_TLS[0]:
                _OLD_TLS = (False, "the handshake did not settle on TLS 1.1")
        except (ssl.SSLError, ValueError, OSError) as exc:
            _OLD_TLS = (False, f"this machine's OpenSSL ({ssl.OPENSSL_VERSION}) refuses TLS 1.1: {exc}")
    return _OLD_TLS


def _memory_handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext) -> str | None:
    s_in, s_out, c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    done = {"s": False, "c": False}
    for _ in range(20):
        for side, obj in (("c", client), ("s", server)):
            if not done[side]:
                try:
                    obj.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if done["s"] and done["c"]:
            return client.version()
    return None
