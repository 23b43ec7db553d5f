"""Hostile DKIM key records: what a DNS answer can hold that no key generator makes.

Every path that reads a key (`smtpkit domain --selector`, selector discovery,
`dkim verify`) goes through `parse_key_record`, so its promises are the kit's:
it never raises, it answers at once, and a key no receiver would use (OpenSSL's
limits: a modulus over 16,384 bits, a public exponent over 64 bits; an
algorithm or curve it does not know) is `invalid`, which the checks turn into
`dkim.key_invalid`.
"""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpkit.dkim.record import MAX_RSA_BITS, MAX_RSA_EXPONENT_BITS, parse_key_record
from tests.support.keys import ec_spki, prime_like, record, rsa_pkcs1, rsa_spki, spki


def invalid(text: str) -> str:
    rec = parse_key_record(text)
    problem = rec.problem("invalid")
    assert problem is not None, rec.problems
    assert not rec.usable
    return problem.message


@pytest.mark.parametrize("encode", [rsa_spki, rsa_pkcs1], ids=["spki", "pkcs1"])
@pytest.mark.parametrize(
    ("bits", "e_bits"),
    [(MAX_RSA_BITS + 1, 17), (32768, 17), (32768, 16385), (65536, 17)],
    ids=["16385-bit", "32768-bit", "32768-bit-e16385", "65536-bit"],
)
def test_a_modulus_over_16384_bits_is_invalid_at_once(encode, bits: int, e_bits: int) -> None:  # type: ignore[no-untyped-def]
    text = record(encode(prime_like(bits), (1 << (e_bits - 1)) + 1))
    start = time.monotonic()
    message = invalid(text)
    assert time.monotonic() - start < 2
    assert f"{bits} bits" in message and "16384" in message


@pytest.mark.parametrize("encode", [rsa_spki, rsa_pkcs1], ids=["spki", "pkcs1"])
@pytest.mark.parametrize("e_bits", [MAX_RSA_EXPONENT_BITS + 1, 1024, 2047])
def test_a_public_exponent_over_64_bits_is_invalid(encode, e_bits: int) -> None:  # type: ignore[no-untyped-def]
    message = invalid(record(encode(prime_like(2048), (1 << (e_bits - 1)) + 1)))
    assert f"exponent is {e_bits} bits" in message and "65537" in message


@pytest.mark.parametrize(("bits", "e"), [(MAX_RSA_BITS, 65537), (2048, (1 << 63) + 1), (2048, 3)])
def test_the_largest_keys_receivers_use_are_accepted(bits: int, e: int) -> None:
    rec = parse_key_record(record(rsa_spki(prime_like(bits), e)))
    assert rec.problems == [] and rec.key_bits == bits and rec.usable


@pytest.mark.parametrize(
    "text",
    [
        "v=DKIM1; p=MA0wBQYDKgMEAwQAAQID",  # the reproducer: an SPKI with algorithm OID 1.2.3.4
        record(spki(bytes.fromhex("2a0304"))),  # the same, built here
        record(spki(bytes.fromhex("2a0304"), b"")),  # ... with no parameters
        record(spki(bytes.fromhex("2b0e03020c"))),  # 1.3.14.3.2.12, an old DSA OID
        record(spki(bytes.fromhex("2b6570"))),  # 1.3.101.112 Ed25519 as an SPKI, with k=rsa
        record(ec_spki(bytes.fromhex("2a0304"))),  # an EC key on curve 1.2.3.4
        record(ec_spki(bytes.fromhex("2b8104000f"))),  # an EC key on sect163r2 (binary curves: unsupported)
        record(ec_spki(bytes.fromhex("2b2403030208010107"))),  # brainpoolP256r1
        record(ec_spki(bytes.fromhex("2a8648ce3d030107"))),  # P-256, but the point is not on the curve
    ],
    ids=[
        "reproducer",
        "oid-1.2.3.4",
        "no-params",
        "dsa-oid",
        "ed25519-spki",
        "ec-1.2.3.4",
        "sect163r2",
        "brainpool",
        "p256-bad-point",
    ],
)
def test_an_unknown_algorithm_or_curve_is_invalid_not_a_crash(text: str) -> None:
    start = time.monotonic()
    message = invalid(text)
    assert time.monotonic() - start < 2
    assert "p= value" in message


def test_the_unknown_algorithm_is_named_in_the_reason() -> None:
    message = invalid("v=DKIM1; p=MA0wBQYDKgMEAwQAAQID")
    assert "1.2.3.4" in message and "k=rsa needs an RSA key" in message


@pytest.mark.parametrize(
    "p",
    [
        base64.b64encode(b"\x00" * 32).decode(),  # the all-zero point
        base64.b64encode(b"\xff" * 32).decode(),
        "٤" * 44,  # Arabic-Indic digits are not base64
        "ＡＡＡＡ" * 11,  # nor fullwidth letters
    ],
)
def test_odd_ed25519_values_never_raise(p: str) -> None:
    rec = parse_key_record(f"v=DKIM1; k=ed25519; p={p}")
    assert rec.key_bits == 256 or rec.problem("invalid") is not None


@settings(max_examples=300, deadline=None)
@given(
    key=st.one_of(
        st.binary(max_size=600),
        st.builds(rsa_spki, st.integers(min_value=0, max_value=1 << 20000), st.integers(0, 1 << 300)),
        st.builds(spki, st.binary(min_size=1, max_size=12), st.binary(max_size=20), st.binary(max_size=80)),
    ),
    k=st.sampled_from(["rsa", "ed25519", "RSA", "ec", ""]),
)
def test_parse_key_record_never_raises_and_answers_fast(key: bytes, k: str) -> None:
    start = time.monotonic()
    rec = parse_key_record(record(key, k))
    assert time.monotonic() - start < 2
    if rec.key_bits is not None and rec.key_type == "rsa":
        assert rec.key_bits <= MAX_RSA_BITS
