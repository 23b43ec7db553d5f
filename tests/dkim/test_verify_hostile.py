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
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpkit.checks.domain.message import verify_report
from smtpkit.dkim.keygen import generate
from smtpkit.dkim.verify import MAX_SIGNATURES, dkimpy_input_problem, key_dnsfunc, split_message, verify_message
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver
from tests.support.keys import ec_spki, prime_like, record, rsa_pkcs1, rsa_spki

KEY = generate("signer.test", "good")
ED_KEY = generate("signer.test", "ed", algorithm="ed25519")
HEADERS = [b"from", b"to", b"subject"]
HUGE_BITS = 30000  # dkimpy's pure-Python pow() with a 30000-bit modulus AND exponent: about a minute


def huge_exponent_key() -> str:
    """A syntactically plausible RSA SubjectPublicKeyInfo whose modulus and exponent are both enormous."""
    return record(rsa_spki((1 << HUGE_BITS) - 33, (1 << HUGE_BITS) + 1))


@pytest.fixture(scope="module")
def resolver() -> Iterator[Resolver]:
    zone = ZoneSet(
        [
            Record("good._domainkey.signer.test", "TXT", KEY.txt_value),
            Record("_dmarc.signer.test", "TXT", "v=DMARC1; p=reject"),
            Record("_dmarc.bank.test", "TXT", "v=DMARC1; p=reject"),
            Record("slow._domainkey.signer.test", "TIMEOUT"),
            Record("slow2._domainkey.signer.test", "TIMEOUT"),
            Record("huge._domainkey.signer.test", "TXT", huge_exponent_key()),
            # the key: a 32,768-bit modulus and a 16,384-bit exponent (e < n, so cryptography loads it)
            Record("hostile._domainkey.signer.test", "TXT", record(rsa_spki(prime_like(32768), (1 << 16383) + 1))),
            Record("wide._domainkey.signer.test", "TXT", record(rsa_pkcs1(prime_like(2048), (1 << 1024) + 1))),
            Record("oid._domainkey.signer.test", "TXT", "v=DKIM1; p=MA0wBQYDKgMEAwQAAQID"),
            Record("curve._domainkey.signer.test", "TXT", record(ec_spki(bytes.fromhex("2b8104000f")))),
            Record("ed._domainkey.signer.test", "TXT", ED_KEY.txt_value),
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


# -- round three (issue 14): keys, b=, the header section, the From header, the deadline ---------------------

BODY_HASH = base64.b64encode(hashlib.sha256(b"Hello.\r\n").digest()).decode()  # c=simple: the body as is


def forged(selector: str, b: str, *, extra: str = "", a: str = "rsa-sha256") -> bytes:
    """A message with one DKIM-Signature by `selector` whose b= is `b` (no real signature needed)."""
    header = (
        f"DKIM-Signature: v=1; a={a}; d=signer.test; s={selector}; h=from:to:subject; bh={BODY_HASH};{extra} b={b}\r\n"
    )
    return header.encode() + msg("From: alice@signer.test\r\n")


def timed(message: bytes, resolver: Resolver, **kw):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    result = verify_message(message, resolver, **kw)
    return result, time.monotonic() - start


@pytest.mark.parametrize(
    ("selector", "words"),
    [
        ("hostile", "32768 bits"),  # before: ~32 s in dkimpy's pow() per signature
        ("wide", "exponent is 1025 bits"),  # a PKCS#1 key with a huge exponent
        ("oid", "1.2.3.4"),  # before: UnsupportedAlgorithm traceback
        ("curve", "1.3.132.0.15"),  # an EC key on an unsupported curve
    ],
)
def test_hostile_keys_are_key_invalid_at_once(resolver: Resolver, selector: str, words: str) -> None:
    result, took = timed(forged(selector, base64.b64encode(b"\x01" * 256).decode()), resolver)
    sig = result.signatures[0]
    assert took < 5
    assert sig.problem == "key_invalid" and words in sig.reason
    report = verify_report(forged(selector, base64.b64encode(b"\x01" * 256).decode()), resolver)
    found = [f for f in report.findings if f.code == "dkim.key_invalid"]
    assert found and words in found[0].explanation and report.verdict == "fail"


def test_ten_signatures_with_the_hostile_key_stay_fast(resolver: Resolver) -> None:
    one = forged("hostile", base64.b64encode(b"\x01" * 256).decode())
    header = one.split(b"\r\n", 1)[0] + b"\r\n"
    result, took = timed(header * (MAX_SIGNATURES - 1) + one, resolver)
    assert took < 10  # before: ~50 minutes
    assert [s.problem for s in result.signatures] == ["key_invalid"] * MAX_SIGNATURES


@pytest.mark.parametrize(
    ("selector", "length", "words"),
    [
        ("good", 257, "modulus of the 2048-bit key"),  # one byte too many
        ("good", 2048, "modulus of the 2048-bit key"),  # the longest any accepted key allows
        ("ed", 65, "an Ed25519 signature"),
        ("good", 2049, "largest key receivers accept"),  # refused before the key is even looked up
        ("good", 750_000, "DKIM-Signature header is"),  # the 1 MB b= (of base64): before, two minutes
    ],
)
def test_a_b_longer_than_the_key_allows_is_refused_before_verifying(
    resolver: Resolver, selector: str, length: int, words: str
) -> None:
    result, took = timed(forged(selector, base64.b64encode(b"\x01" * length).decode()), resolver)
    sig = result.signatures[0]
    assert took < 5
    assert sig.problem == "malformed" and words in sig.reason
    report = verify_report(forged(selector, base64.b64encode(b"\x01" * length).decode()), resolver)
    assert "dkim.signature_malformed" in report.codes()


def test_a_b_of_the_modulus_length_is_verified_and_fails_as_a_bad_signature(resolver: Resolver) -> None:
    """The control: a b= of the right length reaches the cryptography and fails there, not as malformed."""
    result, _ = timed(forged("good", base64.b64encode(b"\x01" * 256).decode()), resolver)
    assert result.signatures[0].problem == "signature_invalid"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (" z=" + "a" * 9000 + ";", "DKIM-Signature header is"),
        (" h=" + ":".join(f"x-{i}" for i in range(300)) + ";", "header names"),
    ],
    ids=["long-header", "long-h"],
)
def test_oversized_signature_headers_are_malformed_at_once(resolver: Resolver, extra: str, words: str) -> None:
    message = forged("good", base64.b64encode(b"\x01" * 256).decode(), extra=extra.replace(" h=", " z="))
    if "h=" in extra:  # replace the signature's own h=
        message = message.replace(b"h=from:to:subject;", extra.strip().encode(), 1)
    result, took = timed(message, resolver)
    assert took < 5 and result.signatures[0].problem == "malformed" and words in result.signatures[0].reason


def test_a_signature_folded_over_blank_lines_does_not_stall_the_b_tag_regex(resolver: Resolver) -> None:
    """dkimpy strips b= with a regex quadratic in folding whitespace: 20,000 blank folds cost it 14 s."""
    folds = "\r\n " * 19_000  # under the header-lines cap: the signature's own size cap refuses it
    result, took = timed(forged("good", folds + base64.b64encode(b"\x01" * 256).decode()), resolver)
    assert took < 5 and result.signatures[0].problem == "malformed"


def test_a_header_folded_over_a_quarter_million_lines_is_refused_at_once(resolver: Resolver) -> None:
    """dkimpy's own parser grows a folded field by concatenation: 340,000 folds cost it seconds per signature."""
    folded = b"X-Fold: a\r\n" + b" \r\n" * 340_000
    result, took = timed(folded + signed(msg("From: alice@signer.test\r\n")), resolver)
    assert took < 5 and "over the 20,000 we read" in result.message_problem


def test_a_header_folded_up_to_the_cap_is_read_and_verifies(resolver: Resolver) -> None:
    folded = b"X-Fold: a\r\n" + b" b\r\n" * 19_000
    result, took = timed(folded + signed(msg("From: alice@signer.test\r\n")), resolver)
    assert took < 5 and result.signatures[0].passed


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"X-A: a\r\n" * 6000, "more than 5,000 header fields"),
        (b"X-A: " + b"a" * (1024 * 1024) + b"\r\n", "header section is"),
        (b" folded first line\r\n", "starts with a folded"),  # before: IndexError inside dkimpy
    ],
    ids=["fields", "bytes", "folded-first"],
)
def test_header_sections_past_the_caps_are_a_finding_not_a_hang(resolver: Resolver, head: bytes, words: str) -> None:
    result, took = timed(head + signed(msg("From: alice@signer.test\r\n")), resolver)
    assert took < 5 and words in result.message_problem and result.signatures == []
    report = verify_report(head + signed(msg("From: alice@signer.test\r\n")), resolver)
    assert report.codes() == ["dkim.no_signature"] and words in report.findings[0].explanation


def _short(i: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        i, r = divmod(i, 36)
        out = digits[r] + out
        if not i:
            return out


def _from_with(n: int, domains: int) -> str:
    """n addresses over `domains` domains, short enough that 100,000 fit in the 1 MiB header section."""
    return "From: " + ",".join(f"a@{_short(i % domains)}.t" for i in range(n)) + "\r\n"


@pytest.mark.parametrize(
    ("n", "domains"), [(100_000, 100_000), (100_000, 1), (101, 1)], ids=["distinct", "same", "101"]
)
def test_a_from_header_with_many_addresses_is_read_fast_and_never_a_dmarc_pass(
    resolver: Resolver, n: int, domains: int
) -> None:
    """Before: _domains_of de-duplicated with `in` on a list; 100,000 addresses cost two minutes."""
    start = time.monotonic()
    report = verify_report(signed(msg(_from_with(n, domains))), resolver)
    assert time.monotonic() - start < 10
    assert "dmarc.from_ambiguous" in report.codes() and report.step("dmarc").status.value == "fail"
    found = next(f for f in report.findings if f.code == "dmarc.from_ambiguous")
    assert len(found.title) < 300 and len(found.evidence) < 500


def test_one_hundred_addresses_of_one_domain_are_one_domain(resolver: Resolver) -> None:
    report = verify_report(signed(msg(_from_with(100, 1))), resolver)
    assert "dmarc.from_ambiguous" not in report.codes()


def test_many_from_fields_are_counted_once_each_up_to_the_cap(resolver: Resolver) -> None:
    froms = "".join(f"From: u{i}@d{i}.test\r\n" for i in range(3000))
    start = time.monotonic()
    result = verify_message(signed(msg(froms)), resolver)
    assert time.monotonic() - start < 5
    assert result.from_count == 3000 and result.from_truncated and result.from_domain == "d0.test"
    assert len(result.from_domains) == 100


@pytest.mark.parametrize(
    "from_value",
    [
        "(" * 5000 + "a@x.test",  # nested comments: RecursionError in email.utils before
        "a:" * 5000 + "a@x.test;",  # nested groups: the same
        "(" * 3000 + "x@evil.test" + ")" * 3000 + " alice@signer.test",
        '"' * 5000,
        "<" * 5000 + "a@x.test",
        "\\" * 5000,
    ],
    ids=["comments", "groups", "comments-hiding-a-domain", "quotes", "angles", "backslashes"],
)
def test_hostile_from_syntax_is_never_a_traceback(resolver: Resolver, from_value: str) -> None:
    start = time.monotonic()
    report = verify_report(signed(msg(f"From: {from_value}\r\n")), resolver)
    assert time.monotonic() - start < 5
    assert report.step("dkim") is not None
    if "evil.test" in from_value:  # a domain the parser could not place still counts for DMARC
        assert "dmarc.from_ambiguous" in report.codes()


def test_a_return_path_with_many_addresses_is_bounded(resolver: Resolver) -> None:
    rp = "Return-Path: " + ",".join(f"a@{_short(i)}.t" for i in range(100_000)) + "\r\n"
    start = time.monotonic()
    result = verify_message(signed(msg(rp + "From: alice@signer.test\r\n")), resolver)
    assert time.monotonic() - start < 5 and result.return_path_domain == "0.t"


def test_a_from_header_over_the_header_cap_is_refused_not_parsed(resolver: Resolver) -> None:
    start = time.monotonic()
    report = verify_report(signed(msg(_from_with(200_000, 200_000))), resolver)
    assert time.monotonic() - start < 5 and report.codes() == ["dkim.no_signature"]


def test_the_deadline_holds_and_a_signature_not_reached_is_not_checked_not_failed(resolver: Resolver) -> None:
    """Signature 0's key never answers; by the time it gives up the deadline has passed for signature 1."""
    slow = forged("slow", base64.b64encode(b"\x01" * 256).decode()).split(b"\r\n", 1)[0] + b"\r\n"
    message = slow + signed(msg("From: alice@signer.test\r\n"))
    start = time.monotonic()
    report = verify_report(message, resolver, deadline=0.8)
    took = time.monotonic() - start
    assert took < 0.8 + 3  # the DMARC lookup afterwards is quick; generous for a shared machine
    result_codes = report.codes()
    assert "dkim.key_lookup_failed" in result_codes and "dkim.verify_deadline" in result_codes
    found = next(f for f in report.findings if f.code == "dkim.verify_deadline")
    assert found.severity.value == "warn" and "0.8 seconds" in found.explanation
    assert "smtpkit domain signer.test --selector good" in found.fix
    assert report.step("dkim").status.value != "fail"


def test_key_lookups_share_one_per_signature_timeout(resolver: Resolver) -> None:
    """Ten signatures whose keys never answer cost one timeout, not ten."""
    slow = forged("slow", base64.b64encode(b"\x01" * 256).decode()).split(b"\r\n", 1)[0] + b"\r\n"
    slower = slow.replace(b"s=slow", b"s=slow2")
    result, took = timed(slow * 5 + slower * 5 + msg("From: alice@signer.test\r\n"), resolver, signature_timeout=1.0)
    assert took < 1.0 + 3
    assert {s.problem for s in result.signatures} == {"key_lookup_failed"}


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"From: a@x.test", b"To: b", b" folded", b"\tfolded", b"From mbox line", b"", b"X:", b"bad line"]
            + [b"\r\n", b"\n", b"\r", b"body", b"Subject: s \r\n more"]
        ),
        max_size=14,
    ).map(lambda parts: b"\r\n".join(parts))
)
def test_split_message_reads_exactly_what_dkimpy_reads(raw: bytes) -> None:
    """Our linear parser stands in for dkimpy's: it must agree with it on every input both can read."""
    try:
        expected = dkim.rfc822_parse(raw)
    except (dkim.MessageFormatError, IndexError):
        with pytest.raises(ValueError):
            split_message(raw)
        return
    headers, body = split_message(raw)
    assert (headers, body) == (expected[0], expected[1])


# -- the guards dkimpy's own verifiers (ARC) go through ------------------------------------------------------


def test_key_dnsfunc_refuses_hostile_keys_and_stops_at_its_deadline(resolver: Resolver) -> None:
    dnsfunc = key_dnsfunc(resolver)
    assert dnsfunc(b"good._domainkey.signer.test.") == KEY.txt_value.encode()
    for selector in ("hostile", "wide", "oid", "curve"):
        with pytest.raises(dkim.KeyFormatError):
            dnsfunc(f"{selector}._domainkey.signer.test.".encode())
    with pytest.raises(dkim.DnsTimeoutError):
        dnsfunc(b"slow._domainkey.signer.test.")
    spent = key_dnsfunc(resolver, deadline=0)
    with pytest.raises(dkim.DnsTimeoutError, match="allowed for verification"):
        spent(b"good._domainkey.signer.test.")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"ARC-Seal: i=1; b=" + b"a" * 9000 + b"\r\n\r\nbody", "ARC-Seal field is"),
        (b"DKIM-Signature: v=1; h=" + b":".join([b"x"] * 300) + b"; b=a\r\n\r\nbody", "header names"),
        (b"X-A: a\r\n" + b" \r\n" * 30_000 + b"\r\nbody", "lines"),
        (b" lead\r\n\r\nbody", "folded"),
    ],
    ids=["seal", "h", "lines", "leading-fold"],
)
def test_dkimpy_input_problem_names_what_is_too_big(raw: bytes, words: str) -> None:
    assert words in dkimpy_input_problem(raw)


def test_dkimpy_input_problem_accepts_real_messages() -> None:
    assert dkimpy_input_problem(signed(msg("From: alice@signer.test\r\n"))) == ""
