"""The practice lab's SMTP servers fed what a broken or hostile client sends.

A lab is a teaching tool: whatever a client sends, the server answers like a
real one would (a 5xx with a reason), never with "internal lab server error",
and every other endpoint keeps working afterwards.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl

TIMEOUT = 10.0


def _read_reply(f) -> list[bytes]:  # type: ignore[no-untyped-def]
    lines = [f.readline()]
    while lines[-1][3:4] == b"-":
        lines.append(f.readline())
    return lines


def _tls_session(lab):  # type: ignore[no-untyped-def]
    ep = lab.endpoint("submission")
    raw = socket.create_connection(ep.address, timeout=TIMEOUT)
    f = raw.makefile("rb")
    f.readline()
    raw.sendall(b"EHLO client.test\r\n")
    _read_reply(f)
    raw.sendall(b"STARTTLS\r\n")
    assert f.readline().startswith(b"220")
    ctx = ssl.create_default_context(cafile=str(lab.ca_file))
    sock = ctx.wrap_socket(raw, server_hostname=ep.hostname)
    tf = sock.makefile("rb")
    sock.sendall(b"EHLO client.test\r\n")
    _read_reply(tf)
    return sock, tf


def _still_healthy(lab) -> None:  # type: ignore[no-untyped-def]
    for name in ("submission", "mx"):
        ep = lab.endpoint(name)
        with smtplib.SMTP(ep.host, ep.port, timeout=TIMEOUT) as s:
            assert s.noop()[0] == 250
    imp = lab.endpoint("implicit_tls")
    ctx = ssl.create_default_context(cafile=str(lab.ca_file))
    with smtplib.SMTP_SSL(imp.host, imp.port, context=ctx, timeout=TIMEOUT) as s:
        assert s.noop()[0] == 250


def test_ehlo_name_that_is_not_utf8_is_greeted_not_an_internal_error(lab) -> None:  # type: ignore[no-untyped-def]
    for name in ("mx", "submission"):
        ep = lab.endpoint(name)
        with socket.create_connection(ep.address, timeout=TIMEOUT) as sock:
            f = sock.makefile("rb")
            f.readline()
            for command in (b"EHLO \xff\xfe-latin1-\xe9\r\n", b"HELO \xff\r\n"):
                sock.sendall(command)
                reply = _read_reply(f)
                assert reply[0].startswith(b"250"), reply
                assert b"internal lab server error" not in b"".join(reply)
    _still_healthy(lab)


def test_xoauth2_failure_answered_with_an_endless_line_gets_a_5xx(lab) -> None:  # type: ignore[no-untyped-def]
    sock, f = _tls_session(lab)
    with sock:
        blob = base64.b64encode(b"user=nobody@smtpkit.test\x01auth=Bearer wrong\x01\x01")
        sock.sendall(b"AUTH XOAUTH2 " + blob + b"\r\n")
        assert f.readline().startswith(b"334 ")  # Google-style JSON error challenge
        sock.sendall(b"A" * 200_000)  # the client "answers" with 200 KB and no line end
        reply = f.readline()
        assert reply.startswith(b"5"), reply
        assert b"internal lab server error" not in reply
    _still_healthy(lab)


def test_auth_garbage_in_every_mechanism_gets_protocol_errors(lab) -> None:  # type: ignore[no-untyped-def]
    sock, f = _tls_session(lab)
    with sock:
        exchanges = [
            (b"AUTH PLAIN !!!not-base64\r\n", b"501"),
            (b"AUTH PLAIN " + base64.b64encode(b"\xff\x00\xfe\x00\xff") + b"\r\n", b"535"),
            (b"AUTH CRAM-MD5\r\n", b"334"),
            (base64.b64encode(b"\xff\xff \xfe") + b"\r\n", b"535"),
            (b"AUTH NOSUCH\r\n", b"504"),
            (b"AUTH PLAIN " + base64.b64encode(b"a" * 30000) + b"\r\n", b"500"),
        ]
        for command, expected in exchanges:
            sock.sendall(command)
            reply = f.readline()
            assert reply.startswith(expected), (command[:30], reply)
    _still_healthy(lab)
