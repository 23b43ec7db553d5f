"""Handshake failures, wrong TLS mode and STARTTLS trouble, each against a real server on loopback."""

from __future__ import annotations

import socket
import ssl
import time

import pytest

from smtpkit.checks.tls import second_look, starttls_unavailable_step, tls_step, wrong_mode_step
from smtpkit.model import Status
from smtpkit.net.tls import TlsOptions, detect_implicit_tls, probe_implicit_tls, start_tls
from tests.support.tls import (
    _readline,
    drip_handler,
    failure_kind,
    hangup_handler,
    leaf_of,
    make_ca,
    make_cert,
    plain_socket,
    read_reply,
    server_context,
    silent_handler,
    smtp_handler,
    starttls_socket,
    write,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("tls-fail-pki")
    ca = make_ca()
    (d / "ca.pem").write_bytes(ca.pem)
    good = write(d, "good", make_cert("localhost", issuer=ca))
    rsa = write(d, "rsa", make_cert("localhost", issuer=ca, key_kind="rsa", key_size=2048))
    return {"dir": d, "ca": ca, "ca_file": str(d / "ca.pem"), "good": good, "rsa": rsa}


def _codes(step) -> list[str]:
    return [f.code for f in step.findings]


def _opts(pki: dict, **kw) -> TlsOptions:
    kw.setdefault("timeout", 5)
    return TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], second_look=second_look, **kw)


# ---------------------------------------------------------------------------
# wrong mode


def test_implicit_tls_on_a_starttls_port(server) -> None:
    srv = server(smtp_handler(None, offer_starttls=True))  # a plain-text SMTP server like port 587
    out = start_tls(plain_socket(srv.host, srv.port), TlsOptions(server_hostname="localhost", timeout=5))
    assert not out.ok and out.error_reason == "WRONG_VERSION_NUMBER"
    assert failure_kind(out) == "wrong_mode"
    step = tls_step(out, mode="tls", host="localhost", port=587, provider="office365")
    assert _codes(step) == ["tls.wrong_mode_implicit_on_starttls"]
    f = step.findings[0]
    assert "587" in f.title
    # the server's own greeting, whole, is the proof
    assert "server sent: 220 test.smtpkit.test ESMTP smtpkit tls tests" in f.evidence
    assert "greeting ('220 test.smtpkit.test ESMTP smtpkit tls tests')" in f.explanation
    assert "smtp.office365.com port 587 with STARTTLS" in f.fix
    assert len(out.handshakes) == 1  # no follow-up handshake for a wrong mode


def test_plaintext_after_starttls_is_a_middlebox(server) -> None:
    def inspecting_firewall(conn: socket.socket) -> None:
        conn.sendall(b"220 ********************************\r\n")
        while True:
            line = _readline(conn)
            if not line:
                return
            verb = line.strip().split(b" ")[0].upper()
            if verb == b"EHLO":
                conn.sendall(b"250-fw.test\r\n250 STARTTLS\r\n")
            elif verb == b"STARTTLS":
                conn.sendall(b"220 Ready to start TLS\r\n")
            else:
                conn.sendall(b"500 5.5.1 Command unrecognized\r\n")

    srv = server(inspecting_firewall)
    out = start_tls(starttls_socket(srv.host, srv.port), TlsOptions(server_hostname="localhost", timeout=5))
    assert failure_kind(out) == "wrong_mode"
    step = tls_step(out, mode="starttls", host="localhost", port=587)
    assert _codes(step) == ["tls.handshake_failed"]
    assert "inspect esmtp" in step.findings[0].explanation


def test_starttls_client_on_an_implicit_tls_port(pki: dict, server) -> None:
    srv = server(smtp_handler(server_context(*pki["good"]), implicit=True))
    s = plain_socket(srv.host, srv.port, timeout=0.5)
    with pytest.raises(socket.timeout):
        s.recv(1024)  # a plain-text client waits for "220" that never comes
    s.close()
    proof = detect_implicit_tls(srv.host, srv.port, server_hostname="localhost", timeout=3)
    assert proof is not None and proof.version and proof.tls_socket is None
    step = wrong_mode_step("localhost", srv.port, evidence="no greeting within 0.5 s", outcome=proof, provider="gmail")
    assert _codes(step) == ["tls.wrong_mode_starttls_on_implicit"]
    f = step.findings[0]
    assert "no greeting" in f.evidence and proof.version in f.evidence
    assert "SMTP_SSL" in f.fix and "smtp.gmail.com" in f.fix
    assert step.tables["certificate"][0]["value"] == leaf_of(proof).subject


def test_detect_implicit_tls_says_no_for_plain_smtp(server) -> None:
    srv = server(smtp_handler(None))
    assert detect_implicit_tls(srv.host, srv.port, timeout=2) is None


# ---------------------------------------------------------------------------
# STARTTLS missing or refused


def test_starttls_not_offered(server) -> None:
    srv = server(smtp_handler(None, offer_starttls=False))
    s = plain_socket(srv.host, srv.port)
    read_reply(s)
    s.sendall(b"EHLO client.test\r\n")
    caps = [line[4:] for line in read_reply(s)[1:]]
    s.close()
    step = starttls_unavailable_step("localhost", srv.port, capabilities=caps)
    assert step.status is Status.FAIL and _codes(step) == ["tls.not_offered"]
    assert "PIPELINING" in step.findings[0].explanation and "STARTTLS" not in step.details["EHLO keywords"]
    relaxed = starttls_unavailable_step("localhost", 25, capabilities=caps, required=False)
    assert relaxed.status is Status.WARN and relaxed.findings[0].severity.value == "warn"


def test_starttls_refused_with_454(server) -> None:
    srv = server(smtp_handler(None, starttls_reply=b"454 4.7.0 TLS not available due to local problem\r\n"))
    with pytest.raises(ConnectionError) as info:
        starttls_socket(srv.host, srv.port)
    reply = str(info.value).split(": ", 1)[1]
    step = starttls_unavailable_step("localhost", srv.port, reply=(int(reply[:3]), reply[4:]))
    assert _codes(step) == ["tls.starttls_refused"]
    assert "454 4.7.0 TLS not available" in step.findings[0].title


# ---------------------------------------------------------------------------
# versions and ciphers


def test_server_stuck_on_tls_1_0_is_outdated(pki: dict, server) -> None:
    ctx = server_context(
        *pki["good"], min_version=ssl.TLSVersion.TLSv1, max_version=ssl.TLSVersion.TLSv1, seclevel0=True
    )
    srv = server(smtp_handler(ctx, implicit=True))
    out = probe_implicit_tls(srv.host, srv.port, _opts(pki))
    assert failure_kind(out) == "protocol_version"
    assert out.legacy_version == "TLSv1"
    assert leaf_of(out) is not None  # read by the permissive handshake
    step = tls_step(out, mode="tls", host="localhost", port=465, provider="office365")
    assert _codes(step) == ["tls.protocol_outdated"]
    f = step.findings[0]
    assert "TLS 1.0" in f.title and "4.7.66" in f.fix
    assert [h["result"].split(":")[0] for h in step.tables["handshakes"]] == ["failed", "ok"]


def test_outdated_version_without_refetch_is_still_named(pki: dict, server) -> None:
    ctx = server_context(
        *pki["good"], min_version=ssl.TLSVersion.TLSv1, max_version=ssl.TLSVersion.TLSv1_1, seclevel0=True
    )
    srv = server(smtp_handler(ctx, implicit=True))
    out = start_tls(plain_socket(srv.host, srv.port), _opts(pki))
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.protocol_outdated"]
    assert "older than 1.2" in step.findings[0].title


def test_lowered_floor_connects_but_still_reports_outdated(pki: dict, server) -> None:
    ctx = server_context(
        *pki["good"], min_version=ssl.TLSVersion.TLSv1, max_version=ssl.TLSVersion.TLSv1_1, seclevel0=True
    )
    srv = server(smtp_handler(ctx, implicit=True))
    out = probe_implicit_tls(srv.host, srv.port, _opts(pki, min_version="1.0"))
    try:
        assert out.ok and out.version == "TLSv1.1"
        step = tls_step(out, mode="tls", host="localhost", port=465)
        assert _codes(step) == ["tls.protocol_outdated"] and "TLS 1.1" in step.findings[0].title
    finally:
        out.close()


def test_required_tls_1_3_against_a_tls_1_2_server(pki: dict, server) -> None:
    ctx = server_context(*pki["good"], max_version=ssl.TLSVersion.TLSv1_2)
    srv = server(smtp_handler(ctx, implicit=True))
    out = probe_implicit_tls(srv.host, srv.port, _opts(pki, min_version="TLSv1.3"))
    assert out.legacy_version == "TLSv1.2"
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.handshake_failed"]
    assert "best version is TLS 1.2" in step.findings[0].explanation


def test_no_shared_cipher(pki: dict, server) -> None:
    ctx = server_context(*pki["rsa"], max_version=ssl.TLSVersion.TLSv1_2, ciphers="AES128-SHA")
    srv = server(smtp_handler(ctx, implicit=True))
    out = probe_implicit_tls(srv.host, srv.port, _opts(pki))
    assert failure_kind(out) == "no_shared_cipher"
    assert out.legacy_cipher and out.legacy_cipher[0] == "AES128-SHA"
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.handshake_failed"]
    f = step.findings[0]
    assert "handshake failure" in f.title
    assert "cipher" in f.explanation and "AES128-SHA" in f.explanation
    assert "ssl-enum-ciphers -p 465" in f.fix


def test_server_requiring_a_client_certificate(pki: dict, server) -> None:
    ctx = server_context(*pki["good"], max_version=ssl.TLSVersion.TLSv1_2, require_client_cert=True)
    srv = server(smtp_handler(ctx, implicit=True))
    out = probe_implicit_tls(srv.host, srv.port, _opts(pki))
    assert out.client_cert_requested
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.handshake_failed"]
    assert "client certificate" in step.findings[0].explanation


# ---------------------------------------------------------------------------
# hostile or broken peers: hang-ups, silence, drip-feeding


def test_server_hangs_up_on_the_client_hello(pki: dict, server) -> None:
    srv = server(hangup_handler)
    out = probe_implicit_tls(srv.host, srv.port, _opts(pki))
    assert failure_kind(out) == "closed"
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.handshake_failed"]
    assert "closed the connection in the middle of the handshake" in step.findings[0].explanation


def test_intermittent_failure_is_not_blamed_on_old_settings(pki: dict, server) -> None:
    good = smtp_handler(server_context(*pki["good"]), implicit=True)
    seen = []

    def flaky(conn: socket.socket) -> None:
        seen.append(1)
        if len(seen) == 1:
            hangup_handler(conn)
        else:
            good(conn)

    srv = server(flaky)
    out = probe_implicit_tls(srv.host, srv.port, _opts(pki))
    assert failure_kind(out) == "closed" and out.legacy_version == "TLSv1.3"
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.handshake_failed"]
    assert "intermittent" in step.findings[0].explanation
    assert "modern clients refuse" not in step.findings[0].explanation


def test_silent_server_times_out_within_the_budget(pki: dict, server) -> None:
    srv = server(silent_handler)
    t0 = time.monotonic()
    out = start_tls(plain_socket(srv.host, srv.port), _opts(pki, timeout=0.8))
    assert 0.7 < time.monotonic() - t0 < 2.0
    step = tls_step(out, mode="starttls", host="localhost", port=587)
    assert _codes(step) == ["tls.handshake_timeout"]
    assert "0.8 seconds" in step.findings[0].title and "STARTTLS command" in step.findings[0].explanation


def test_dripping_server_cannot_stretch_the_deadline(pki: dict, server) -> None:
    srv = server(drip_handler)
    t0 = time.monotonic()
    out = start_tls(
        plain_socket(srv.host, srv.port),
        _opts(pki, timeout=10),
        deadline=time.monotonic() + 1.0,
        refetch=lambda: plain_socket(srv.host, srv.port),
    )
    elapsed = time.monotonic() - t0
    assert elapsed < 2.0, elapsed  # a byte every 0.2 s would reset any per-read timeout forever
    assert failure_kind(out) == "timeout"
    assert "tls.handshake_timeout" in _codes(tls_step(out, mode="tls", port=465))


# RFC 2409 §6.2, the 1024-bit "Second Oakley Group": the Logjam-era default of many old mail servers.
_OAKLEY_1024 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)


def _der_len(n: int) -> bytes:
    return (
        bytes([n])
        if n < 128
        else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )


def _der_int(v: int) -> bytes:
    body = v.to_bytes(v.bit_length() // 8 + 1, "big")  # a leading zero byte keeps it positive
    return b"\x02" + _der_len(len(body)) + body


def _dh_params_pem(p: int, g: int) -> str:
    """PKCS #3 DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER }, as OpenSSL's load_dh_params reads it."""
    import base64

    body = _der_int(p) + _der_int(g)
    der = b"\x30" + _der_len(len(body)) + body
    b64 = base64.encodebytes(der).decode().replace("\n", "")
    lines = "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN DH PARAMETERS-----\n{lines}\n-----END DH PARAMETERS-----\n"


def test_weak_diffie_hellman_parameters(pki: dict, server) -> None:
    dh_file = pki["dir"] / "dh1024.pem"
    dh_file.write_text(_dh_params_pem(_OAKLEY_1024, 2))
    ctx = server_context(
        *pki["rsa"], max_version=ssl.TLSVersion.TLSv1_2, ciphers="DHE-RSA-AES128-GCM-SHA256", seclevel0=True
    )
    ctx.load_dh_params(str(dh_file))
    srv = server(smtp_handler(ctx, implicit=True))
    out = probe_implicit_tls(srv.host, srv.port, _opts(pki))
    assert out.error_reason == "DH_KEY_TOO_SMALL", out.error_message
    assert out.legacy_cipher and out.legacy_cipher[0] == "DHE-RSA-AES128-GCM-SHA256"
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.handshake_failed"]
    f = step.findings[0]
    assert "dh key too small" in f.title and "Logjam" in f.explanation and "openssl dhparam" in f.fix
    assert "confirms the DH parameters" in f.explanation
