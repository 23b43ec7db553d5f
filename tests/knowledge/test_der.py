"""`smtpkit.knowledge.der` reads a common certificate to the very `CertInfo` `cryptography` gives.

The reader exists for start-up time (benchmarks/cli_startup.py): a healthy
server's certificate must not cost `cryptography`'s import. Its contract has two
halves, each tested here: on every certificate it accepts it agrees with
`cryptography` field for field (and `cryptography` had nothing to warn about),
and what it does not accept it refuses (`Unsupported`), never half-reads. The
mutation tests flip bytes of real certificates: whatever the reader still
accepts, `cryptography` must read the same way.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from smtpkit.knowledge import certs
from smtpkit.knowledge.certs import CertInfo, parse_der
from smtpkit.knowledge.der import Unsupported, read_certificate
from smtpkit.lab.ca import CERT_KINDS, LabCA
from tests.support.tls import DAY, NOW, make_ca, make_cert, resign_sha1

CA_KEY = ec.generate_private_key(ec.SECP256R1())
CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "der test CA")])


def by_cryptography(der: bytes) -> CertInfo:
    """What `knowledge.certs` read before the fast reader: `cryptography`, field by field."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would mean the fast reader accepted something odd
        return certs._info(x509.load_der_x509_certificate(der), der)  # noqa: SLF001


def fast(der: bytes) -> CertInfo | None:
    try:
        return CertInfo(**read_certificate(der), der=der)
    except Unsupported:
        return None


def same(der: bytes) -> bool:
    """The fast reader accepted `der` and agrees with `cryptography` on every field."""
    mine = fast(der)
    if mine is None:
        return False
    theirs = by_cryptography(der)
    assert mine == theirs, f"\nfast:         {mine}\ncryptography: {theirs}"
    assert theirs.warnings == () and mine.der == theirs.der
    return True


def build(
    *,
    subject: x509.Name | None = None,
    key: object = None,
    extensions: list[tuple[x509.ExtensionType, bool]] | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    hash_alg: hashes.HashAlgorithm | None = None,
    serial: int | None = None,
) -> bytes:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.example.test")]))
        .issuer_name(CA_NAME)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 90 * DAY)
    )
    for ext, critical in extensions or []:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(CA_KEY, hash_alg or hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _sct_list() -> bytes:
    """A TLS-encoded SignedCertificateTimestampList with two SCTs (RFC 6962 §3.2), as logs write them."""

    def sct(log: int, algorithm: int) -> bytes:
        body = bytes([0]) + bytes([log]) * 32 + (1_700_000_000_000).to_bytes(8, "big") + b"\x00\x00"
        body += bytes([4, algorithm]) + (6).to_bytes(2, "big") + b"sigsig"
        return len(body).to_bytes(2, "big") + body

    items = sct(1, 3) + sct(2, 1)
    return len(items).to_bytes(2, "big") + items


def _octet_string(data: bytes) -> bytes:
    assert len(data) < 0x80
    return b"\x04" + bytes([len(data)]) + data


SCT_OID = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def public_like() -> bytes:
    """A certificate shaped like a public CA's server certificate: every extension such certificates carry."""
    key = ec.generate_private_key(ec.SECP256R1())
    return build(
        key=key,
        subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.example.com")]),
        extensions=[
            (x509.KeyUsage(True, False, False, False, False, False, False, False, False), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False),
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(CA_KEY.public_key()), False),
            (
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://o.example.org")
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier("http://i.example.org/ca.der"),
                        ),
                    ]
                ),
                False,
            ),
            (
                x509.SubjectAlternativeName(
                    [x509.DNSName("smtp.example.com"), x509.DNSName("*.example.com"), x509.RFC822Name("a@b.example")]
                ),
                False,
            ),
            (
                x509.CertificatePolicies(
                    [
                        x509.PolicyInformation(ObjectIdentifier("2.23.140.1.2.1"), None),
                        x509.PolicyInformation(ObjectIdentifier("1.3.6.1.4.1.44947.1.1.1"), ["http://cps.example.org"]),
                    ]
                ),
                False,
            ),
            (
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [x509.UniformResourceIdentifier("http://c.example.org/1.crl")], None, None, None
                        )
                    ]
                ),
                False,
            ),
            (x509.UnrecognizedExtension(SCT_OID, _octet_string(_sct_list())), False),
        ],
    )


# -- agreement ------------------------------------------------------------------------------------


def test_every_certificate_the_lab_serves_reads_the_same(tmp_path: Path) -> None:
    ca = LabCA(tmp_path)
    read_fast = []
    for kind in CERT_KINDS:
        issued = ca.issue(kind)
        for cert in x509.load_pem_x509_certificates(Path(issued.chain_file).read_bytes()):
            der = cert.public_bytes(serialization.Encoding.DER)
            if same(der):
                read_fast.append(kind)
            else:  # refused: only what needs a signature check (self-issued)
                assert cert.subject == cert.issuer, kind
    assert "good" in read_fast and "expired" in read_fast and "wrong_host" in read_fast


def test_the_tests_certificates_read_the_same() -> None:
    ca = make_ca()
    rsa_ca = make_ca("rsa CA", key_kind="rsa")
    made = [
        make_cert("mail.example.test", dns=("mail.example.test", "smtp.example.test"), ips=("192.0.2.7",), issuer=ca),
        make_cert("v6", ips=("2001:db8::25", "::1"), issuer=ca),
        make_cert("rsa", issuer=rsa_ca, key_kind="rsa", key_size=1024),
        make_cert("rsa", issuer=ca, key_kind="rsa", key_size=3072),
        make_cert("p384", issuer=ca, key_size=384),
        make_cert("p521", issuer=ca, key_size=521),
        resign_sha1(make_cert("sha1", issuer=rsa_ca), rsa_ca),
        make_cert("sha512", issuer=rsa_ca, hash_alg=hashes.SHA512()),
        make_cert("no-eku", issuer=ca, eku=()),
        make_cert("client-only", issuer=ca, eku=(ExtendedKeyUsageOID.CLIENT_AUTH, ObjectIdentifier("1.2.3.4"))),
        make_cert("no-san", dns=(), ips=(), issuer=ca),
        make_cert("expired", issuer=ca, not_before=NOW - 100 * DAY, not_after=NOW - 10 * DAY),
        make_ca("intermediate", issuer=ca),
    ]
    assert all(same(m.der) for m in made)


def test_names_dates_and_serials_read_the_same() -> None:
    awkward = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Baden-Württemberg"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, " leading space"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'Müller, Söhne + "Partner" <mail>; #1 \\ ok '),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "#hash first"),
            x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "postmaster@example.test"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "12345"),
            x509.NameAttribute(NameOID.COMMON_NAME, "mail.example.test"),
            x509.NameAttribute(NameOID.COMMON_NAME, "second CN wins"),
        ]
    )
    assert same(build(subject=awkward))
    # UTCTime in the last century, GeneralizedTime from 2050 on
    assert same(build(not_before=dt.datetime(1999, 12, 31, 23, 59, 59), not_after=dt.datetime(2051, 1, 2, 3, 4, 5)))
    for serial in (1, 0x7F, 0x80, 0xFF, 2**159 - 1):
        assert same(build(serial=serial))


def test_a_public_ca_shaped_certificate_reads_the_same() -> None:
    der = public_like()
    assert same(der)
    info = parse_der(der)
    assert info.ocsp_urls == ("http://o.example.org",) and info.ca_issuers_urls == ("http://i.example.org/ca.der",)
    assert info.ext_key_usage == ("serverAuth", "clientAuth") and info.san_dns == ("smtp.example.com", "*.example.com")


def test_a_ca_with_a_path_length_reads_the_same() -> None:
    assert same(build(extensions=[(x509.BasicConstraints(ca=True, path_length=0), True)]))


# -- refusals: cryptography reads these -----------------------------------------------------------


@pytest.mark.parametrize(
    "der",
    [
        pytest.param(lambda: make_ca().der, id="self-issued"),
        pytest.param(lambda: build(key=ed25519.Ed25519PrivateKey.generate()), id="ed25519 key"),
        pytest.param(lambda: build(key=ec.generate_private_key(ec.SECP256K1())), id="other curve"),
        pytest.param(
            lambda: build(subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x" * 65, _validate=False)])),
            id="CN longer than 64",
        ),
        pytest.param(
            lambda: build(
                subject=x509.Name(
                    [
                        x509.RelativeDistinguishedName(
                            [
                                x509.NameAttribute(NameOID.COMMON_NAME, "a"),
                                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "b"),
                            ]
                        )
                    ]
                )
            ),
            id="multi-valued RDN",
        ),
        pytest.param(
            lambda: build(
                extensions=[(x509.SubjectAlternativeName([x509.DirectoryName(CA_NAME)]), False)],
            ),
            id="directory name in SAN",
        ),
        pytest.param(
            lambda: build(extensions=[(x509.UnrecognizedExtension(ObjectIdentifier("1.2.3.4.5"), b"\x05\x00"), False)]),
            id="unknown extension",
        ),
        pytest.param(
            lambda: build(extensions=[(x509.OCSPNoCheck(), False)]),
            id="extension not read here",
        ),
        pytest.param(
            lambda: build(key=rsa.generate_private_key(65537, 2048), hash_alg=None) + b"\x00",
            id="trailing byte",
        ),
    ],
)
def test_what_the_reader_refuses_cryptography_reads(der: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cryptography's own, about the long CN
        _refused_then_read_by_cryptography(der() if callable(der) else der)  # type: ignore[arg-type]


def _refused_then_read_by_cryptography(data: bytes) -> None:
    with pytest.raises(Unsupported):
        read_certificate(data)
    try:
        expected: CertInfo | str = certs._info(x509.load_der_x509_certificate(data), data)  # noqa: SLF001
    except ValueError:
        expected = "unreadable"
    if expected == "unreadable":
        with pytest.raises(certs.CertParseError):
            parse_der(data)
    else:
        assert parse_der(data) == expected


def test_garbage_is_refused_and_stays_a_parse_error() -> None:
    for data in (
        b"",
        b"\x30",
        b"\x30\x80\x00\x00",
        b"\x30\x03\x02\x01\x01",
        bytes(range(256)),
        b"\x30\x84" + b"\xff" * 8,
    ):
        with pytest.raises(Unsupported):
            read_certificate(data)
        with pytest.raises(certs.CertParseError):
            parse_der(data)


# -- mutations: whatever the reader still accepts, cryptography reads the same way ----------------


@pytest.mark.parametrize("seed", range(3))
def test_mutated_certificates_are_read_the_same_or_refused(seed: int) -> None:
    rng = random.Random(seed)
    bases = [
        public_like(),
        make_cert(
            "mail.example.test", issuer=make_ca(key_kind="rsa"), key_kind="rsa", key_size=2048, ips=("192.0.2.1", "::1")
        ).der,
        build(not_before=dt.datetime(1999, 1, 1), not_after=dt.datetime(2060, 1, 1)),
    ]
    accepted = 0
    for base in bases:
        for _ in range(400):
            data = bytearray(base)
            for _ in range(rng.choice((1, 1, 2))):
                pos = rng.randrange(len(data))
                data[pos] = rng.choice((data[pos] ^ (1 << rng.randrange(8)), rng.randrange(256), 0, 0x80, 0xFF))
            mutated = bytes(data)
            mine = fast(mutated)
            if mine is None:
                continue
            accepted += 1
            try:
                theirs = by_cryptography(mutated)
            except (ValueError, Warning) as exc:
                raise AssertionError(f"read here, refused by cryptography ({exc}): {mutated.hex()}") from None
            assert mine == theirs and theirs.warnings == (), mutated.hex()
    assert accepted > 50  # mutations of the signature, serial, key bits and names: still certificates


def test_the_reader_runs_without_cryptography() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from smtpkit.knowledge.certs import parse_der; "
        f"info = parse_der(bytes.fromhex({make_cert('x', issuer=make_ca()).der.hex()!r})); "
        "assert info.subject_cn == 'x', info; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_ip_addresses_print_as_cryptography_prints_them() -> None:
    assert same(make_cert("v6", ips=("2001:db8:0:0:0:0:0:1", "::ffff:192.0.2.1"), issuer=make_ca()).der)
    assert str(ipaddress.ip_address(bytes(16))) == "::"
