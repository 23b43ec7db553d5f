"""Round-two hardening of `smtpkit dkim verify`: messages built to pass while lying, over real DNS on loopback.

A message can verify and pass DMARC yet show the reader something nobody
authenticated: a second From address (in the same header or a second header)
that the mail program displays while DMARC judged the first, or a signature
whose l= tag leaves the end of the body unsigned. And a message stuffed with
thousands of DKIM-Signature headers must not cost thousands of lookups.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator

import dkim
import pytest

from smtpkit.checks.domain.message import verify_report
from smtpkit.dkim.keygen import generate
from smtpkit.dkim.verify import MAX_SIGNATURES, verify_message
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver

KEY = generate("signer.test", "good")
HEADERS = [b"from", b"to", b"subject"]
HUGE_BITS = 30000  # dkimpy's pure-Python pow() with a 30000-bit modulus AND exponent: about a minute


def _der(tag: int, value: bytes) -> bytes:
    n = len(value)
    length = (
        bytes([n])
        if n < 128
        else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + length + value


def _der_int(x: int) -> bytes:
    return _der(2, x.to_bytes(x.bit_length() // 8 + 1, "big"))


def huge_exponent_key() -> str:
    """A syntactically plausible RSA SubjectPublicKeyInfo whose modulus and exponent are both enormous."""
    n, e = (1 << HUGE_BITS) - 33, (1 << HUGE_BITS) + 1
    rsa_oid = _der(6, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00"
    spki = _der(0x30, _der(0x30, rsa_oid) + _der(3, b"\x00" + _der(0x30, _der_int(n) + _der_int(e))))
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(spki).decode()


@pytest.fixture(scope="module")
def resolver() -> Iterator[Resolver]:
    zone = ZoneSet(
        [
            Record("good._domainkey.signer.test", "TXT", KEY.txt_value),
            Record("_dmarc.signer.test", "TXT", "v=DMARC1; p=reject"),
            Record("_dmarc.bank.test", "TXT", "v=DMARC1; p=reject"),
            Record("slow._domainkey.signer.test", "TIMEOUT"),
            Record("huge._domainkey.signer.test", "TXT", huge_exponent_key()),
        ],
        zones=["signer.test", "bank.test"],
    )
    with DnsServer(zone) as server:
        yield Resolver([server.nameserver], timeout=0.5)


def signed(message: bytes, **kw) -> bytes:  # type: ignore[no-untyped-def]
    return dkim.sign(message, b"good", b"signer.test", KEY.private_key, include_headers=HEADERS, **kw) + message


def msg(from_lines: str, body: str = "Hello.\r\n") -> bytes:
    return f"{from_lines}To: bob@example.org\r\nSubject: hi\r\n\r\n{body}".encode()


# -- the From header ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "from_header",
    [
        "From: alice@signer.test, ceo@bank.test\r\n",  # two mailboxes in one field
        "From: alice@signer.test <ceo@bank.test>\r\n",  # an unquoted address as the display name
        "From: alice@signer.test\r\nFrom: ceo@bank.test\r\n",  # two From fields
    ],
    ids=["two-mailboxes", "address-as-display-name", "two-from-fields"],
)
def test_a_from_naming_two_domains_is_never_a_dmarc_pass(resolver: Resolver, from_header: str) -> None:
    report = verify_report(signed(msg(from_header)), resolver)
    dmarc = report.step("dmarc")
    assert "dmarc.from_ambiguous" in report.codes()
    assert dmarc.status.value == "fail" and report.verdict == "fail"
    assert "bank.test" in dmarc.summary and "signer.test" in dmarc.summary
    found = next(f for f in dmarc.findings if f.code == "dmarc.from_ambiguous")
    assert "signer.test, bank.test" in found.title
    # a concrete fix: the one header to write, and where a second one usually comes from
    assert "From: Your Name <you@signer.test>" in found.fix and "del msg['From']" in found.fix


def test_a_second_from_prepended_above_a_signed_message_fails(resolver: Resolver) -> None:
    report = verify_report(b"From: ceo@bank.test\r\n" + signed(msg("From: alice@signer.test\r\n")), resolver)
    assert "dmarc.from_ambiguous" in report.codes() and report.verdict == "fail"


def test_an_address_in_quotes_as_display_name_is_one_domain(resolver: Resolver) -> None:
    """The display name is not authenticated by anyone; DMARC judges the address, which is one domain."""
    report = verify_report(signed(msg('From: "ceo@bank.test" <alice@signer.test>\r\n')), resolver)
    assert report.codes() == [] and report.verdict == "pass"


# -- l= ---------------------------------------------------------------------------------------------


def test_content_appended_after_an_l_limited_signature_is_flagged(resolver: Resolver) -> None:
    original = msg("From: alice@signer.test\r\n")
    tampered = (
        signed(original, length=True) + b"Click <a href='http://evil.example/'>here</a> to verify your account.\r\n"
    )
    report = verify_report(tampered, resolver)
    assert report.step("dkim").summary.startswith("1 of 1 DKIM signature verified")
    found = [f for f in report.findings if f.code == "dkim.body_length_limit"]
    assert len(found) == 1 and found[0].severity.value == "warn"
    assert "first 8 bytes" in found[0].title and "71 bytes at the end are not covered" in found[0].explanation
    # settings that exist, and how to check the fix worked
    assert "BodyLengthDB" in found[0].fix and "length=True" in found[0].fix and "no l= tag" in found[0].fix
    assert "use_body_length" not in found[0].fix


def test_an_l_tag_that_covers_the_whole_body_is_not_flagged(resolver: Resolver) -> None:
    report = verify_report(signed(msg("From: alice@signer.test\r\n"), length=True), resolver)
    assert report.codes() == [] and report.verdict == "pass"


# -- many signatures --------------------------------------------------------------------------------


def test_thousands_of_signature_headers_cost_at_most_ten_verifications(resolver: Resolver) -> None:
    stuffed = b"DKIM-Signature: v=1; a=rsa-sha256; d=signer.test; s=slow; h=from; bh=x; b=y\r\n" * 3000
    start = time.monotonic()
    result = verify_message(stuffed + signed(msg("From: alice@signer.test\r\n")), resolver)
    assert time.monotonic() - start < MAX_SIGNATURES * 1.25 + 3
    assert len(result.signatures) == MAX_SIGNATURES and result.unverified == 3001 - MAX_SIGNATURES
    report = verify_report(stuffed[:200] + signed(msg("From: alice@signer.test\r\n")), resolver)
    assert "not checked" not in report.step("dkim").details


def test_a_key_with_a_gigantic_exponent_is_refused_before_the_arithmetic(resolver: Resolver) -> None:
    """Before: dkimpy spent about a minute per signature in pow(); one hostile DNS record hung `dkim verify`."""
    sig = base64.b64encode(b"\x01" * 256).decode()  # a b= of plausible length: the key is what is refused
    bh = base64.b64encode(hashlib.sha256(b"Hello.\r\n").digest()).decode()  # c=simple/simple: the body as is
    header = f"DKIM-Signature: v=1; a=rsa-sha256; d=signer.test; s=huge; h=from:to:subject; bh={bh}; b={sig}\r\n"
    start = time.monotonic()
    result = verify_message(header.encode() + msg("From: alice@signer.test\r\n"), resolver)
    assert time.monotonic() - start < 5
    assert result.signatures[0].problem == "key_invalid"
    assert "not a public key" in result.signatures[0].reason
