"""Pure tests of smtpkit.knowledge.tls_errors on real `ssl` exception objects and copied log text.

The exceptions come from genuine OpenSSL handshakes run in memory (two
MemoryBIO pairs), so the reason names and verify codes are exactly what the
local OpenSSL produces, without any socket.
"""

from __future__ import annotations

import ssl
import warnings

import pytest

from smtpkit.knowledge.tls_errors import (
    classify_greeting,
    classify_tls_error,
    explain_tls_error,
    humanize_reason,
    looks_like_tls_record,
    reason_of,
)
from smtpkit.net.tls import parse_certificate_message
from tests.support.tls import DAY, NOW, make_ca, make_cert, server_context, write


def memory_handshake(
    client_ctx: ssl.SSLContext,
    server_ctx: ssl.SSLContext | None,
    hostname: str = "localhost",
    server_bytes: bytes = b"",
) -> BaseException | None:
    """Run a client handshake in memory; return the client's exception (None on success)."""
    c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=hostname)
    server = None
    if server_ctx is not None:
        s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    if server_bytes:
        c_in.write(server_bytes)
    for _ in range(20):
        try:
            client.do_handshake()
            return None
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as exc:
            return exc
        if server is None:
            if not server_bytes:
                c_in.write_eof()
            continue
        s_in.write(c_out.read())
        try:
            server.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError:
            pass
        c_in.write(s_out.read())
    raise AssertionError("handshake did not finish")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("tls-err")
    ca = make_ca()
    (d / "ca.pem").write_bytes(ca.pem)
    return {
        "dir": d,
        "ca_file": str(d / "ca.pem"),
        "good": write(d, "good", make_cert("localhost", issuer=ca)),
        "expired": write(
            d, "expired", make_cert("localhost", issuer=ca, not_before=NOW - 9 * DAY, not_after=NOW - DAY)
        ),
        "future": write(d, "future", make_cert("localhost", issuer=ca, not_before=NOW + DAY, not_after=NOW + 9 * DAY)),
        "self": write(d, "self", make_cert("localhost")),
        "other": write(d, "other", make_cert("other.test", dns=("other.test",), ips=(), issuer=ca)),
    }


def _client(files: dict, **kw) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=files["ca_file"])
    for k, v in kw.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            setattr(ctx, k, v)
    return ctx


@pytest.mark.parametrize(
    ("name", "verify_code", "code"),
    [
        ("expired", 10, "tls.cert.expired"),
        ("future", 9, "tls.cert.not_yet_valid"),
        ("self", 18, "tls.cert.self_signed"),
        ("other", 62, "tls.cert.hostname_mismatch"),
    ],
)
def test_verify_errors_from_real_handshakes(files: dict, name: str, verify_code: int, code: str) -> None:
    exc = memory_handshake(_client(files), server_context(*files[name]))
    assert isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_code == verify_code
    assert classify_tls_error(exc) == code
    info = explain_tls_error(exc)
    assert info.is_verify_error and info.verify_code == verify_code and info.verify_message
    # the same failure, as text copied from a log, classifies the same way
    assert classify_tls_error(str(exc)) == code


def test_untrusted_issuer_from_the_system_store(files: dict) -> None:
    exc = memory_handshake(ssl.create_default_context(), server_context(*files["good"]))
    assert isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_code == 20
    assert classify_tls_error(exc) == "tls.cert.untrusted_issuer"


def test_plaintext_greeting_is_wrong_mode_or_middlebox(files: dict) -> None:
    exc = memory_handshake(_client(files), None, server_bytes=b"220 mail.example.test ESMTP Postfix\r\n")
    assert isinstance(exc, ssl.SSLError) and exc.reason == "WRONG_VERSION_NUMBER"
    assert classify_tls_error(exc, mode="tls", port=587) == "tls.wrong_mode_implicit_on_starttls"
    assert classify_tls_error(exc) == "tls.wrong_mode_implicit_on_starttls"
    after_starttls = explain_tls_error(exc, mode="starttls", port=587)
    assert after_starttls.code == "tls.handshake_failed" and after_starttls.kind == "plaintext_after_starttls"


def test_old_server_is_outdated(files: dict) -> None:
    server = server_context(
        *files["good"], min_version=ssl.TLSVersion.TLSv1, max_version=ssl.TLSVersion.TLSv1_1, seclevel0=True
    )
    exc = memory_handshake(_client(files), server)
    assert isinstance(exc, ssl.SSLError)
    assert classify_tls_error(exc) == "tls.protocol_outdated", exc


def test_no_shared_cipher(files: dict) -> None:
    server = server_context(*files["good"], max_version=ssl.TLSVersion.TLSv1_2, ciphers="ECDHE-ECDSA-AES128-SHA")
    client = _client(files, maximum_version=ssl.TLSVersion.TLSv1_2)
    exc = memory_handshake(client, server)
    assert isinstance(exc, ssl.SSLError)
    info = explain_tls_error(exc, port=465)
    assert info.code == "tls.handshake_failed" and info.kind == "no_shared_cipher"
    assert "-p 465" in info.advice
    assert explain_tls_error(exc, client_cert_requested=True).kind == "client_certificate"


def test_eof_mid_handshake(files: dict) -> None:
    exc = memory_handshake(_client(files), None)
    assert isinstance(exc, ssl.SSLEOFError)
    info = explain_tls_error(exc)
    assert info.code == "tls.handshake_failed" and info.kind == "closed"


def test_socket_errors() -> None:
    assert classify_tls_error(TimeoutError("timed out")) == "tls.handshake_timeout"
    assert classify_tls_error(TimeoutError()) == "tls.handshake_timeout"
    reset = explain_tls_error(ConnectionResetError(104, "Connection reset by peer"))
    assert reset.code == "tls.handshake_failed" and reset.kind == "closed" and reset.reason == "ECONNRESET"
    assert reason_of(BrokenPipeError(32, "Broken pipe")) == "EPIPE"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)",
            "tls.cert.expired",
        ),
        ("certificate verify failed: unable to get local issuer certificate", "tls.cert.untrusted_issuer"),
        ("certificate verify failed: self-signed certificate in certificate chain", "tls.cert.untrusted_issuer"),
        ("certificate verify failed: EE certificate key too weak", "tls.cert.weak_key"),
        ("certificate verify failed: CA signature digest algorithm too weak", "tls.cert.weak_signature"),
        ("certificate verify failed: unsuitable certificate purpose", "tls.cert.invalid"),
        ("certificate verify failed: something new in OpenSSL 4", "tls.cert.invalid"),
        ("[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version (_ssl.c:1006)", "tls.protocol_outdated"),
        ("UNSUPPORTED_PROTOCOL", "tls.protocol_outdated"),
        ("wrong version number", "tls.wrong_mode_implicit_on_starttls"),
        ("[SSL: DH_KEY_TOO_SMALL] dh key too small", "tls.handshake_failed"),
        ("EOF occurred in violation of protocol (_ssl.c:1006)", "tls.handshake_failed"),
        ("The read operation timed out", "tls.handshake_timeout"),
        ("SOMETHING_NOBODY_HAS_SEEN", "tls.handshake_failed"),
    ],
)
def test_copied_log_text(text: str, code: str) -> None:
    assert classify_tls_error(text) == code


def test_unknown_reason_still_explains() -> None:
    info = explain_tls_error("[SSL: FANCY_NEW_ERROR] fancy new error (_ssl.c:1)")
    assert info.reason == "FANCY_NEW_ERROR" and "fancy new error" in info.meaning
    assert humanize_reason("TLSV1_ALERT_PROTOCOL_VERSION") == "tlsv1 alert protocol version"
    legacy = explain_tls_error("UNSAFE_LEGACY_RENEGOTIATION_DISABLED")
    assert legacy.kind == "legacy_renegotiation" and "RFC 5746" in legacy.meaning


def test_tls_bytes_as_a_greeting() -> None:
    alert = bytes.fromhex("150301000202 0a".replace(" ", ""))
    hello = bytes.fromhex("160303007a02")
    assert looks_like_tls_record(alert) and looks_like_tls_record(hello)
    assert classify_greeting(alert) == "tls.wrong_mode_starttls_on_implicit"
    assert classify_greeting(b"220 mail.example.test ESMTP\r\n") is None
    assert classify_greeting(b"SSH-2.0-OpenSSH_9.6\r\n") is None
    assert not looks_like_tls_record(b"\x16")


def test_certificate_message_parsing_both_versions(files: dict) -> None:
    ders = [make_cert("a").der, make_ca().der]
    tls12 = b"".join(len(d).to_bytes(3, "big") + d for d in ders)
    tls12 = len(tls12).to_bytes(3, "big") + tls12
    msg12 = b"\x0b" + len(tls12).to_bytes(3, "big") + tls12
    assert parse_certificate_message(msg12, tls13=False) == ders
    entries = b"".join(len(d).to_bytes(3, "big") + d + b"\x00\x00" for d in ders)
    tls13 = b"\x00" + len(entries).to_bytes(3, "big") + entries
    msg13 = b"\x0b" + len(tls13).to_bytes(3, "big") + tls13
    assert parse_certificate_message(msg13, tls13=True) == ders
    with pytest.raises(ValueError):
        parse_certificate_message(msg12[:-10], tls13=False)
    with pytest.raises(ValueError):
        parse_certificate_message(b"\x0b" + b"\xff" * 300000, tls13=False)
