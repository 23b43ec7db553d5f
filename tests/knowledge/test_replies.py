"""Reply codes (RFC 5321 §4.2) and enhanced status codes (RFC 3463): parsing and plain words."""

from __future__ import annotations

import pytest

from smtpkit.knowledge.enhanced import (
    CLASSES,
    DETAILS,
    PROVIDER_CODES,
    SUBJECTS,
    describe,
    explain_enhanced,
    parse_enhanced,
)
from smtpkit.knowledge.replies import (
    REPLY_CODES,
    explain_reply,
    format_reply,
    is_expected,
    normalize_text,
    parse_reply_text,
    reply_class,
    reply_info,
    split_enhanced,
)

GMAIL_535 = (
    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials abc123 - gsmtp\r\n"
)


# ----------------------------------------------------------------- split_enhanced


@pytest.mark.parametrize(
    ("text", "enhanced", "rest"),
    [
        ("5.7.8 Authentication credentials invalid", "5.7.8", "Authentication credentials invalid"),
        ("5.7.139 Authentication unsuccessful", "5.7.139", "Authentication unsuccessful"),
        ("4.7.500 Server busy", "4.7.500", "Server busy"),
        ("2.0.0 Ok: queued as 12345", "2.0.0", "Ok: queued as 12345"),
        ("5.1.1", "5.1.1", ""),
        ("Authentication Credentials Invalid", None, "Authentication Credentials Invalid"),
        ("Message rejected: Email address is not verified", None, "Message rejected: Email address is not verified"),
        # Not an enhanced code: class 3 does not exist, and a version number is not a status.
        ("3.1.4 pi", None, "3.1.4 pi"),
        ("5.7.8.9 nope", None, "5.7.8.9 nope"),
        ("", None, ""),
        # Gmail repeats the code on every line; the repeats go.
        (
            (
                "5.7.8 Username and Password not accepted.\n5.7.8  https://support.google.com/mail/?p=BadCredentials -"
                " gsmtp"
            ),
            "5.7.8",
            "Username and Password not accepted.\nhttps://support.google.com/mail/?p=BadCredentials - gsmtp",
        ),
        # A different code on a later line is kept: it is part of the text.
        (
            "5.7.57 Client not authenticated\n5.7.139 Authentication unsuccessful",
            "5.7.57",
            "Client not authenticated\n5.7.139 Authentication unsuccessful",
        ),
        ("5.7.1, policy", "5.7.1", ", policy"),
    ],
)
def test_split_enhanced(text: str, enhanced: str | None, rest: str) -> None:
    assert split_enhanced(text) == (enhanced, rest)


def test_normalize_text_joins_wrapped_lines() -> None:
    wrapped = "5.7.14 Please log in via your web browser and\n5.7.14 then try again."
    assert normalize_text(wrapped) == "please log in via your web browser and then try again."


# ------------------------------------------------------------- parse_reply_text


def test_parse_multiline_wire_reply() -> None:
    r = parse_reply_text(GMAIL_535)
    assert r.code == 535
    assert r.lines == (
        "5.7.8 Username and Password not accepted. For more information, go to",
        "5.7.8  https://support.google.com/mail/?p=BadCredentials abc123 - gsmtp",
    )
    assert r.enhanced == "5.7.8"
    assert r.message.startswith("Username and Password not accepted.")
    assert "\n" in r.text


def test_parse_single_line_and_bare_code() -> None:
    r = parse_reply_text("454 Throttling failure: Maximum sending rate exceeded.")
    assert (r.code, r.enhanced, r.text) == (454, None, "Throttling failure: Maximum sending rate exceeded.")
    assert parse_reply_text("250").text == ""


def test_parse_keeps_wrapped_lines_without_prefix() -> None:
    r = parse_reply_text("550 5.1.1 first line\nsecond line as a log printed it")
    assert r.lines == ("5.1.1 first line", "second line as a log printed it")


@pytest.mark.parametrize(
    "garbage", ["", "   \r\n", "SSH-2.0-OpenSSH_9.6", "HTTP/1.1 400 Bad Request", "\x16\x03\x01\x02\x00"]
)
def test_parse_rejects_non_smtp(garbage: str) -> None:
    with pytest.raises(ValueError):
        parse_reply_text(garbage)


def test_format_reply_round_trips() -> None:
    r = parse_reply_text(GMAIL_535)
    wire = format_reply(r.code, r.text)
    assert wire.split("\n")[0].startswith("535-5.7.8 ")
    assert wire.split("\n")[-1].startswith("535 5.7.8 ")
    assert parse_reply_text(wire) == r
    assert format_reply(550, "one line") == "550 one line"


# ----------------------------------------------------------------- reply codes


def test_reply_table_covers_rfc5321_and_auth_codes() -> None:
    rfc5321 = {
        211,
        214,
        220,
        221,
        250,
        251,
        252,
        354,
        421,
        450,
        451,
        452,
        455,
        500,
        501,
        502,
        503,
        504,
        550,
        551,
        552,
        553,
        554,
        555,
    }
    rfc4954 = {235, 334, 432, 454, 530, 534, 535, 538}
    assert rfc5321 | rfc4954 <= set(REPLY_CODES)
    for info in REPLY_CODES.values():
        assert info.meaning.endswith(".") and len(info.meaning) > 20


def test_explain_reply_says_temporary_or_permanent() -> None:
    assert explain_reply(421).startswith("Reply 421 (temporary) means:")
    assert "password" in explain_reply(535) and "(permanent)" in explain_reply(535)
    assert "(temporary)" not in explain_reply(250)


def test_unknown_codes_are_explained_from_their_first_digit() -> None:
    info = reply_info(599)
    assert "5" in info.meaning and "permanent" in info.meaning
    assert "temporary" in reply_info(499).meaning
    assert reply_class(454) == 4


@pytest.mark.parametrize(
    ("stage", "code", "expected"),
    [
        ("auth", 334, True),
        ("mail", 334, False),
        ("data", 354, True),
        ("rcpt", 354, False),
        ("message", 250, True),
        ("banner", 220, True),
        ("auth", 535, False),
    ],
)
def test_is_expected(stage: str, code: int, expected: bool) -> None:
    assert is_expected(stage, code) is expected


# -------------------------------------------------------------- enhanced codes


def test_registry_tables_are_complete() -> None:
    assert set(CLASSES) == {2, 4, 5}
    assert set(SUBJECTS) == set(range(8))
    # Every RFC 3463 detail, plus the later registry entries people meet.
    for key in (
        "1.1",
        "1.8",
        "2.2",
        "3.4",
        "4.4",
        "5.3",
        "6.0",
        "7.1",
        "7.8",
        "7.9",
        "7.11",
        "7.13",
        "7.20",
        "7.23",
        "7.25",
        "7.26",
        "7.27",
        "7.30",
        "1.10",
    ):
        assert key in DETAILS, key


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("5.1.1", "does not exist"),
        ("5.7.8", "username or password"),
        ("5.7.9", "app-specific password"),
        ("4.7.0", "temporary authentication problem"),
        ("5.7.0", "log in first"),
        ("5.7.1", "relaying is denied"),
        ("5.2.2", "over its storage quota"),
        ("5.3.4", "maximum message size"),
        ("5.7.26", "SPF, DKIM, DMARC"),
        ("5.7.27", "null MX"),
        ("5.7.57", "did not log in"),
        ("5.7.139", "SMTP AUTH is disabled"),
        ("5.7.60", "Send As"),
        ("5.7.708", "reputation"),
        ("4.7.66", "TLS 1.2"),
        ("4.7.612", "throttling"),
    ],
)
def test_describe_known_codes(code: str, words: str) -> None:
    info = describe(code)
    assert info is not None and info.code == code
    assert words in info.meaning


def test_provider_meaning_wins_only_for_that_provider() -> None:
    # 5.4.5 is 'congestion' in the registry but Gmail's daily limit.
    assert "congested" in describe("5.4.5").meaning  # type: ignore[union-attr]
    assert "daily sending limit" in describe("5.4.5", "gmail").meaning  # type: ignore[union-attr]
    # 5.7.3 is Exchange's 'Authentication unsuccessful'.
    assert describe("5.7.3", "office365").provider == "office365"  # type: ignore[union-attr]
    assert describe("5.7.3").provider == ""  # type: ignore[union-attr]


def test_unregistered_detail_falls_back_to_class_and_subject() -> None:
    info = describe("5.1.99")
    assert info is not None and info.registry_text == "(unregistered detail)"
    assert "Permanent failure" in info.meaning and "address" in info.meaning
    assert info.permanent and not info.temporary


@pytest.mark.parametrize("bad", ["", "5.7", "6.1.1", "5.7.8.1", "x.y.z", "5.7.8 extra", "5.1234.1"])
def test_not_enhanced_codes(bad: str) -> None:
    assert parse_enhanced(bad) is None and describe(bad) is None and explain_enhanced(bad) == ""


def test_explain_enhanced_is_one_plain_sentence() -> None:
    text = explain_enhanced("4.2.2")
    assert text.startswith("Enhanced code 4.2.2 (Mailbox full) means:")
    assert "temporary problem" in text
    assert "permanent problem" in explain_enhanced("5.2.2")


def test_provider_codes_name_known_providers() -> None:
    from smtpkit.knowledge.presets import preset_keys

    for code, (provider, title, meaning) in PROVIDER_CODES.items():
        assert parse_enhanced(code) is not None, code
        assert provider in preset_keys()
        assert title and meaning.endswith(".")
