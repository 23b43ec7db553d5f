"""Pure tests of smtpkit.knowledge.certs on certificates generated here with `cryptography`."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from smtpkit.knowledge.certs import (
    CertParseError,
    chain_rows,
    hostname_matches,
    missing_intermediate,
    parse_der,
    parse_pem,
)
from tests.support.tls import DAY, NOW, Made, make_ca, make_cert, resign_sha1


@pytest.fixture(scope="module")
def ca() -> Made:
    return make_ca()


def test_fields_of_a_normal_certificate(ca: Made) -> None:
    made = make_cert("mail.example.test", dns=("mail.example.test", "smtp.example.test"), ips=("192.0.2.7",), issuer=ca)
    c = parse_der(made.der)
    assert c.subject_cn == "mail.example.test" and "CN=mail.example.test" in c.subject
    assert c.issuer_cn == "smtpkit tls test CA"
    assert c.san_dns == ("mail.example.test", "smtp.example.test") and c.san_ip == ("192.0.2.7",)
    assert c.names == ["mail.example.test", "smtp.example.test", "192.0.2.7"]
    assert c.key_type == "EC" and c.key_bits == 256 and c.key_curve == "secp256r1"
    assert c.key_description == "EC secp256r1 (256 bits)"
    assert c.signature_algorithm == "ecdsa-with-SHA256" and c.signature_hash == "sha256"
    assert not c.self_signed and not c.self_issued and not c.is_ca
    assert c.ext_key_usage == ("serverAuth",) and c.server_auth_allowed
    assert int(c.serial.replace(":", ""), 16) == made.cert.serial_number
    assert len(c.sha256.split(":")) == 32
    assert c.validity(NOW) == "valid" and c.days_left(NOW) == 89
    assert not c.weak_key and not c.weak_signature
    assert c.der == made.der and c.pem().startswith("-----BEGIN CERTIFICATE-----")


def test_rsa_key_sizes_and_weakness(ca: Made) -> None:
    weak = parse_der(make_cert("a", issuer=ca, key_kind="rsa", key_size=1024).der)
    ok = parse_der(make_cert("a", issuer=ca, key_kind="rsa", key_size=2048).der)
    assert (weak.key_type, weak.key_bits, weak.weak_key) == ("RSA", 1024, True)
    assert (ok.key_type, ok.key_bits, ok.weak_key) == ("RSA", 2048, False)
    assert weak.key_description == "RSA 1024 bits"
    p384 = parse_der(make_cert("a", issuer=ca, key_size=384).der)
    assert (p384.key_curve, p384.key_bits, p384.weak_key) == ("secp384r1", 384, False)


def test_validity_windows() -> None:
    expired = parse_der(make_cert("a", not_before=NOW - 100 * DAY, not_after=NOW - 10 * DAY).der)
    future = parse_der(make_cert("a", not_before=NOW + 30 * DAY, not_after=NOW + 120 * DAY).der)
    soon = parse_der(make_cert("a", not_before=NOW - 80 * DAY, not_after=NOW + 7 * DAY + DAY / 2).der)
    assert expired.validity(NOW) == "expired" and expired.days_left(NOW) == -10
    assert future.validity(NOW) == "not_yet_valid"
    assert soon.validity(NOW) == "valid" and soon.days_left(NOW) == 7 and soon.expiring_soon(NOW)
    assert not soon.expiring_soon(NOW, days=5)
    assert not expired.expiring_soon(NOW)  # expired is its own problem, not "soon"
    # a naive datetime is read as UTC, and the default is the real clock
    assert expired.validity(NOW.replace(tzinfo=None) - 50 * DAY) == "valid"
    assert expired.validity() == "expired"


def test_self_signed_versus_self_issued(ca: Made) -> None:
    selfsigned = parse_der(make_cert("box.example.test").der)
    assert selfsigned.self_signed and selfsigned.self_issued
    assert parse_der(ca.der).self_signed and parse_der(ca.der).is_ca
    # same subject as its issuer but signed by another key: self-issued, not self-signed
    twin_of_ca = parse_der(make_cert("smtpkit tls test CA", issuer=ca, is_ca=True).der)
    assert twin_of_ca.self_issued and not twin_of_ca.self_signed


@pytest.mark.parametrize(
    ("pattern", "host", "ok"),
    [
        ("mail.example.test", "mail.example.test", True),
        ("mail.example.test", "MAIL.Example.Test.", True),
        ("*.example.test", "mail.example.test", True),
        ("*.example.test", "a.b.example.test", False),  # one label only
        ("*.example.test", "example.test", False),
        ("*.test", "example.test", False),  # never a whole TLD
        ("m*.example.test", "mail.example.test", False),  # no partial wildcards
        ("mail.example.test", "smtp.example.test", False),
    ],
)
def test_dns_name_matching(pattern: str, host: str, ok: bool) -> None:
    cert = parse_der(make_cert("ignored-cn", dns=(pattern,), ips=()).der)
    assert hostname_matches(cert, host) is ok


def test_cn_is_used_only_without_dns_sans_and_ips_only_match_ip_sans() -> None:
    cn_only = parse_der(make_cert("legacy.example.test", dns=(), ips=()).der)
    assert cn_only.names == ["legacy.example.test"] and cn_only.matches("legacy.example.test")
    with_san = parse_der(make_cert("legacy.example.test", dns=("new.example.test",), ips=("127.0.0.1", "::1")).der)
    assert not with_san.matches("legacy.example.test")
    assert with_san.matches("127.0.0.1") and with_san.matches("::1") and with_san.matches("[::1]")
    assert not with_san.matches("127.0.0.2") and not with_san.matches("")
    ip_cn = parse_der(make_cert("127.0.0.1", dns=(), ips=()).der)
    assert not ip_cn.matches("127.0.0.1")  # an IP in the CN never counts


def test_eku_and_aia(ca: Made) -> None:
    client_only = parse_der(make_cert("a", issuer=ca, eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)).der)
    assert client_only.ext_key_usage == ("clientAuth",) and not client_only.server_auth_allowed
    assert parse_der(make_cert("a", issuer=ca, eku=()).der).server_auth_allowed  # no EKU: any purpose

    made = make_cert("a", issuer=ca)
    builder = (
        x509.CertificateBuilder()
        .subject_name(made.cert.subject)
        .issuer_name(ca.cert.subject)
        .public_key(made.key.public_key())
        .serial_number(7)
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier("http://ca.example.test/int.der"),
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://ocsp.example.test")
                    ),
                ]
            ),
            critical=False,
        )
    )
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding

    c = parse_der(builder.sign(ca.key, hashes.SHA256()).public_bytes(Encoding.DER))
    assert c.ca_issuers_urls == ("http://ca.example.test/int.der",) and c.ocsp_urls == ("http://ocsp.example.test",)
    assert c.serial == "07" and c.san_dns == () and c.names == ["a"]


def test_sha1_signature_is_weak_but_not_on_a_root() -> None:
    rsa_ca = make_ca("rsa ca", key_kind="rsa")
    leaf = parse_der(resign_sha1(make_cert("a", issuer=rsa_ca), rsa_ca).der)
    assert leaf.signature_hash == "sha1" and leaf.signature_algorithm == "sha1WithRSAEncryption"
    assert leaf.weak_signature


def test_chain_rows_and_missing_intermediate(ca: Made) -> None:
    inter = make_ca("intermediate", issuer=ca)
    leaf = make_cert("mail.example.test", dns=("mail.example.test",), ips=(), issuer=inter)
    full = [parse_der(m.der) for m in (leaf, inter, ca)]
    rows = chain_rows(full, NOW)
    assert [r["role"] for r in rows] == ["leaf (server)", "intermediate", "root"]
    assert [r["issued_by_next"] for r in rows] == ["yes", "yes", "none: a root signs itself"]
    assert rows[0]["names"] == "mail.example.test" and rows[0]["validity"] == "valid"
    assert not missing_intermediate(full)
    assert missing_intermediate(full[:1]) and missing_intermediate(full[:2])
    assert not missing_intermediate([])
    assert chain_rows(full[:1], NOW)[0]["issued_by_next"].startswith("nothing after it: its issuer was not sent")
    swapped = chain_rows([full[0], full[2]], NOW)
    assert swapped[0]["issued_by_next"].startswith("no")


def test_pem_bundle_and_garbage(ca: Made) -> None:
    leaf = make_cert("a", issuer=ca)
    bundle = parse_pem(leaf.pem + ca.pem)
    assert [c.subject_cn for c in bundle] == ["a", "smtpkit tls test CA"]
    assert parse_pem(leaf.pem.decode())[0].sha256 == bundle[0].sha256
    with pytest.raises(CertParseError):
        parse_der(b"\x30\x03\x02\x01\x00")
    with pytest.raises(CertParseError):
        parse_der(b"220 mail.example.test ESMTP")
    with pytest.raises(CertParseError):
        parse_pem("no certificate here")


def test_to_row_is_plain_data(ca: Made) -> None:
    row = parse_der(make_cert("a", issuer=ca).der).to_row(NOW)
    assert set(row) >= {"subject", "issuer", "names", "valid_from", "valid_to", "days_left", "key", "signature"}
    assert row["valid_to"].endswith("UTC") and isinstance(row["days_left"], int)
    assert all(isinstance(v, (str, int, bool, type(None))) for v in row.values())
    assert dt.datetime.strptime(row["valid_from"], "%Y-%m-%d %H:%M UTC")
