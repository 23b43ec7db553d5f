"""RFC 7672 matching rules with certificates made on the spot: which records match, and why the others do not."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from smtpkit.dane import Tlsa, associated_data, match_all, rollover_ready
from tests.support.tls import make_cert

CA = make_cert("Test CA", dns=(), ips=(), is_ca=True)
LEAF = make_cert("mx.example.net", dns=("mx.example.net",), ips=(), issuer=CA)
RENEWED = make_cert("mx.example.net", dns=("mx.example.net",), ips=(), issuer=CA)  # a new key, too
OTHER_CA = make_cert("Other CA", dns=(), ips=(), is_ca=True)
WILD = make_cert("*.example.net", dns=("*.example.net",), ips=(), issuer=CA)


def _spki(made) -> bytes:  # type: ignore[no-untyped-def]
    return made.cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _rec(usage: int, selector: int, mtype: int, made) -> Tlsa:  # type: ignore[no-untyped-def]
    return Tlsa(usage, selector, mtype, associated_data(made.der, selector, mtype))


def test_associated_data_follows_rfc6698() -> None:
    assert associated_data(LEAF.der, 0, 0) == LEAF.der
    assert associated_data(LEAF.der, 1, 0) == _spki(LEAF)
    assert associated_data(LEAF.der, 1, 1) == hashlib.sha256(_spki(LEAF)).digest()
    assert associated_data(LEAF.der, 0, 2) == hashlib.sha512(LEAF.der).digest()
    rec = Tlsa.parse(f"3 1 1 {hashlib.sha256(_spki(LEAF)).hexdigest()}")
    assert rec.meaning == "DANE-EE, public key (SPKI), SHA-256" and not rec.unusable


@pytest.mark.parametrize(("selector", "mtype"), [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)])
def test_dane_ee_matches_every_selector_and_matching_type(selector: int, mtype: int) -> None:
    (m,) = match_all([_rec(3, selector, mtype, LEAF)], [LEAF.der], "unrelated.example.org")
    assert m.matched  # DANE-EE ignores names (RFC 7672 §3.1.1)


def test_dane_ee_mismatches_say_why() -> None:
    stale, renewed, swapped = _rec(3, 1, 1, LEAF), _rec(3, 0, 1, LEAF), Tlsa(3, 0, 1, associated_data(LEAF.der, 1, 1))
    wrong_type = Tlsa(3, 1, 0, associated_data(LEAF.der, 1, 1))  # a digest labelled "exact"
    results = match_all([stale, renewed], [RENEWED.der], "mx.example.net")
    assert not any(m.matched for m in results)
    assert "rotated" in results[0].reason and "renewal" in results[1].reason
    (m,) = match_all([swapped], [LEAF.der], "mx.example.net")
    assert "selector 0" in m.reason and "3 1 1" in m.reason
    (m,) = match_all([wrong_type], [LEAF.der], "mx.example.net")
    assert "SHA-256 value" in m.reason


def test_dane_ta_needs_the_ta_in_the_chain_a_valid_chain_and_the_name() -> None:
    ta = _rec(2, 1, 1, CA)
    (m,) = match_all([ta], [LEAF.der, CA.der], "mx.example.net")
    assert m.matched and "issuer" in m.reason
    (m,) = match_all([_rec(2, 0, 1, CA)], [LEAF.der, CA.der], "MX.Example.NET.")
    assert m.matched
    (m,) = match_all([ta], [WILD.der, CA.der], "mx.example.net")
    assert m.matched  # one-label wildcard (RFC 6125)
    (m,) = match_all([ta], [WILD.der, CA.der], "a.mx.example.net")
    assert not m.matched and "does not name" in m.reason
    (m,) = match_all([ta], [LEAF.der, CA.der], "other.example.net")
    assert not m.matched and "does not name other.example.net" in m.reason
    (m,) = match_all([ta], [LEAF.der], "mx.example.net")
    assert not m.matched and "must be sent with the chain" in m.reason  # RFC 7671 §5.2.2
    (m,) = match_all([ta], [LEAF.der], "mx.example.net", chain_complete=False)
    assert not m.matched and "not checked" in m.reason
    (m,) = match_all([ta], [LEAF.der, OTHER_CA.der, CA.der], "mx.example.net")
    assert not m.matched and "not issued by" in m.reason


@pytest.mark.parametrize(
    ("record", "why"),
    [
        (Tlsa(0, 0, 1, b"\x00" * 32), "PKIX-TA"),
        (Tlsa(1, 1, 1, b"\x00" * 32), "PKIX-EE"),
        (Tlsa(4, 1, 1, b"\x00" * 32), "usage 4"),
        (Tlsa(3, 2, 1, b"\x00" * 32), "selector 2"),
        (Tlsa(3, 1, 3, b"\x00" * 32), "matching type 3"),
        (Tlsa(3, 1, 1, b"\x00" * 31), "32 bytes"),
        (Tlsa(3, 1, 2, b"\x00" * 32), "64 bytes"),
    ],
)
def test_unusable_records(record: Tlsa, why: str) -> None:
    assert why in record.unusable
    (m,) = match_all([record], [LEAF.der], "mx.example.net")
    assert not m.matched and m.reason.startswith("unusable")


def test_hostile_chains_do_not_raise() -> None:
    garbage = [b"\x30\x03\x02\x01\x00", b"not der at all", b""]
    assert [m.matched for m in match_all([_rec(2, 1, 1, CA)], [LEAF.der, *garbage], "mx.example.net")] == [False]
    assert match_all([_rec(3, 1, 1, LEAF)], [], "mx.example.net")[0].reason == "no certificate was presented"
    with pytest.raises(ValueError):
        Tlsa.parse("3 1")


def test_rollover_readiness() -> None:
    assert rollover_ready([_rec(3, 1, 1, LEAF), _rec(3, 1, 1, RENEWED)])[0]
    ready, why = rollover_ready([_rec(3, 1, 1, LEAF), _rec(2, 1, 1, CA)])
    assert ready and "DANE-TA" in why
    assert not rollover_ready([_rec(3, 1, 1, LEAF)])[0]
    assert not rollover_ready([_rec(3, 1, 1, LEAF), Tlsa(1, 1, 1, b"\x00" * 32)])[0]  # PKIX records do not count


def test_rfc6698_presentation_example() -> None:
    # RFC 6698 §2.3: the association data may be split over several lines (here joined by spaces)
    rec = Tlsa.parse("0 0 1 d2abde240d7cd3ee6b4b28c54df034b9 7983a1d16e8a410e4561cb106618e971")
    assert (rec.usage, rec.selector, rec.mtype, len(rec.data)) == (0, 0, 1, 32)
    assert "PKIX-TA" in rec.unusable and "RFC 7672" in rec.unusable  # usage 0 is not used for SMTP
    assert rec.text.endswith("d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971")
