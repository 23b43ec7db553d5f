"""The knowledge tables against every reply a server can send, and parsers against any bytes.

Pure functions, so plain strings: every (stage, code, provider) renders its
finding with every template parameter filled (a "(helo unknown)" in an
explanation reads like a bug to a stressed user), nothing raises on arbitrary
text, and the certificate parsers raise only their own documented errors.
"""

from __future__ import annotations

import logging
import ssl
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpkit.knowledge.certs import CertParseError, parse_der
from smtpkit.knowledge.presets import preset_keys
from smtpkit.knowledge.rules import STAGES, classify_reply, classify_wire
from smtpkit.knowledge.tls_errors import explain_tls_error
from smtpkit.net.tls import parse_certificate_message

PROVIDERS = [None, *preset_keys()]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture()
def template_warnings():
    handler = _Collect()
    logger = logging.getLogger("smtpkit.knowledge")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


@pytest.mark.parametrize("stage", STAGES)
def test_every_failing_reply_renders_without_missing_parameters(stage: str, template_warnings: list[str]) -> None:
    for code in (*range(400, 600, 7), 421, 450, 451, 452, 454, 530, 535, 550, 552, 554):
        for provider in PROVIDERS:
            f = classify_reply(stage, code, "5.7.1 something went wrong", provider=provider)
            assert f is not None, (stage, code, provider)
            text = f.title + f.explanation + f.fix
            assert "unknown)" not in text, (stage, code, provider, text)
    assert not template_warnings, sorted(set(template_warnings))


def test_a_pasted_ehlo_refusal_is_explained_without_placeholders() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "smtpkit", "explain", "--stage", "ehlo", "550 5.7.1 Access denied"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "helo unknown" not in out.stdout and "missing" not in out.stderr
    assert "ehlo.rejected" in out.stdout


@given(
    stage=st.sampled_from(STAGES),
    code=st.integers(0, 999),
    text=st.text(max_size=600),
    provider=st.sampled_from(PROVIDERS),
)
@settings(max_examples=600, deadline=None)
def test_classify_reply_never_raises(stage: str, code: int, text: str, provider: str | None) -> None:
    classify_reply(stage, code, text, provider=provider, host=text[:40], mechanism=text[:10])


@given(raw=st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_classify_wire_raises_only_its_documented_value_error(raw: str) -> None:
    try:
        classify_wire("rcpt", raw)
    except ValueError:
        pass


@given(
    message=st.text(max_size=200),
    verify=st.one_of(st.none(), st.integers(-5, 100)),
    mode=st.sampled_from([None, "tls", "starttls"]),
    port=st.one_of(st.none(), st.integers(0, 70000)),
)
@settings(max_examples=300, deadline=None)
def test_explain_tls_error_never_raises(message: str, verify: int | None, mode: str | None, port: int | None) -> None:
    err = ssl.SSLError(1, message)
    err.reason = message  # type: ignore[attr-defined]
    for error in (message, err, OSError(message), TimeoutError(message)):
        info = explain_tls_error(error, verify, mode=mode, port=port)
        assert info.code


@given(data=st.binary(max_size=600), tls13=st.booleans())
@settings(max_examples=500, deadline=None)
def test_certificate_parsers_raise_only_their_own_errors(data: bytes, tls13: bool) -> None:
    try:
        ders = parse_certificate_message(data, tls13)
        assert len(ders) <= 16
    except ValueError:
        pass
    for candidate in (data, b"\x30\x82" + data):
        try:
            parse_der(candidate)
        except CertParseError:
            pass


# -- digits from other scripts (issue 14, item 5) ---------------------------------------------------------


@pytest.mark.parametrize("code", ["\u0665\u0665\u0660", "\uff15\uff15\uff10", "5\u0665\u0660"])
def test_a_reply_code_in_another_script_is_not_a_reply(code: str) -> None:
    from smtpkit.knowledge.replies import parse_reply_text

    with pytest.raises(ValueError, match="three-digit code"):
        parse_reply_text(f"{code} 5.7.1 Relay access denied")


@pytest.mark.parametrize("enhanced", ["\u0665.\u0667.\u0661", "5.\uff17.1", "5.7.\u0967"])
def test_an_enhanced_code_in_another_script_is_not_one(enhanced: str) -> None:
    from smtpkit.knowledge.enhanced import describe, parse_enhanced
    from smtpkit.knowledge.replies import parse_reply_text, split_enhanced

    assert parse_enhanced(enhanced) is None and describe(enhanced) is None
    assert split_enhanced(f"{enhanced} Relay access denied") == (None, f"{enhanced} Relay access denied")
    assert parse_reply_text(f"550 {enhanced} Relay access denied").enhanced is None


# -- XOAUTH2 error challenges nested past the parser's stack (issue 14, item 6) ----------------------------


DEEP = [
    '{"status":"401","x":' + "[" * 1500,
    '{"status":"401","x":' + "[" * 1500 + "]" * 1500 + "}",
    "[" * 1000,
    '{"status":"401","x":' + '{"a":' * 1000 + "1" + "}" * 1001,
    '{"status":"401","x":' + "[{" * 800,
]


@pytest.mark.parametrize("text", DEEP)
def test_deep_xoauth2_json_is_not_decoded_and_never_raises(text: str) -> None:
    import base64

    from smtpkit.knowledge.xoauth2 import coerce_oauth_error, decode_xoauth2_error

    b64 = base64.b64encode(text.encode()).decode()
    assert decode_xoauth2_error(b64) is None
    assert (
        coerce_oauth_error(text) is None
        and coerce_oauth_error(b64) is None
        and coerce_oauth_error(text.encode()) is None
    )
    finding = classify_reply("auth", 334, b64, mechanism="XOAUTH2", xoauth2_error=text)
    assert finding is None or finding.code


def test_a_real_error_and_brackets_inside_strings_still_decode() -> None:
    from smtpkit.knowledge.xoauth2 import MAX_JSON_DEPTH, coerce_oauth_error, json_depth

    assert coerce_oauth_error('{"status":"401","scope":"[[[[{{{{"}') == {"status": "401", "scope": "[[[[{{{{"}
    assert json_depth('{"a":"\\"[[[[", "b":[{}]}') == 3
    just = '{"status":"400","x":' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    assert coerce_oauth_error(just) is not None and coerce_oauth_error(just.replace("[", "[[", 1) + "]") is None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='{}[]":,01 \\ab', max_size=3000))
def test_xoauth2_decoding_never_raises(text: str) -> None:
    import base64

    from smtpkit.knowledge.xoauth2 import coerce_oauth_error, decode_xoauth2_error

    coerce_oauth_error(text)
    decode_xoauth2_error(base64.b64encode(text.encode()).decode())
