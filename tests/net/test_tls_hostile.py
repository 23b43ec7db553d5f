"""The TLS probe and the tls step against hostile TLS peers on loopback.

Peers that send noise, stop halfway through a handshake, drip one byte at a
time, claim a 64 KB record and never send it, or present certificates whose
names carry markup, terminal escapes, bidi overrides and NUL bytes. The probe
must answer each with a finding within its deadline, and every view must show
the certificate's text without executing it.
"""

from __future__ import annotations

import random
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpkit.checks.tls import tls_step
from smtpkit.model import Report
from smtpkit.net.tls import TlsOptions, detect_implicit_tls, probe_implicit_tls
from tests.support.tls import make_cert, server_context, write

TIMEOUT = 1.0
HOSTILE_CN = "<script>alert(1)</script>\x1b]0;owned\x07"


def _cert(tmp: Path, cn: str, sans: list[str], org: str = "smtpkit tls tests") -> tuple[Path, Path]:
    """A self-signed certificate for `sans` (no IP address), written as chain and key files."""
    tmp.mkdir(parents=True, exist_ok=True)
    return write(tmp, "c", make_cert(cn, dns=sans, ips=(), org=org))


def _tls_server(certfile: Path, keyfile: Path) -> Callable[[socket.socket], None]:
    ctx = server_context(certfile, keyfile)

    def handler(conn: socket.socket) -> None:
        try:
            with ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"220 ready\r\n")
                time.sleep(0.5)
        except (ssl.SSLError, OSError):
            pass

    return handler


def _probe(port: int) -> tuple[float, Report]:
    started = time.monotonic()
    outcome = probe_implicit_tls("127.0.0.1", port, TlsOptions(server_hostname="mail.example.test", timeout=TIMEOUT))
    took = time.monotonic() - started
    step = tls_step(outcome, mode="tls", host="127.0.0.1", port=port)
    return took, Report(target={"host": "127.0.0.1", "port": port}, steps=[step])


def _assert_views_safe(report: Report) -> None:
    html = report.to_html()
    assert "<script" not in html
    text = report.to_text(transcript=True) + report.to_markdown()
    assert not any(c in text for c in "\x00\x07\x1b\u202e"), "a control character reached a text view"


#: Noise, the same every run (os.urandom's second byte is 3 one run in 256, which once made the
#: "noise" case read as a broken TLS record; that case is now its own, "noise-version-3").
_NOISE = random.Random(2026).randbytes(2000)
assert _NOISE[1] != 3


def _drip(conn: socket.socket) -> None:
    conn.recv(4096)
    for _ in range(100):
        conn.send(b"\x16")
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("handler", "code"),
    [
        (lambda c: (c.sendall(_NOISE), time.sleep(2)), "tls.wrong_mode_implicit_on_starttls"),
        # OpenSSL says "packet length too long" here: byte 2 is TLS's major version, byte 1 no record type
        (lambda c: (c.sendall(b"\x99\x03\xff\xff" + _NOISE), time.sleep(2)), "tls.wrong_mode_implicit_on_starttls"),
        (lambda c: (c.sendall(b"220 \x1b[2J<b>ESMTP</b>\r\n"), time.sleep(2)), "tls.wrong_mode_implicit_on_starttls"),
        (lambda c: (c.recv(4096), time.sleep(5)), "tls.handshake_timeout"),  # reads the hello, then silence
        # a record longer than TLS allows: a broken TLS server, not a plain-text one
        (
            lambda c: (c.recv(4096), c.sendall(b"\x16\x03\x03\xff\xff" + b"\x02" * 100), time.sleep(5)),
            "tls.handshake_failed",
        ),
        (
            lambda c: (c.recv(4096), c.sendall(b"\x16\x03\x03\x01\x00" + b"\x02" * 10), time.sleep(5)),
            "tls.handshake_timeout",
        ),
        (lambda c: (c.recv(4096), c.sendall(bytes.fromhex("15030300020228"))), "tls.handshake_failed"),  # a fatal alert
        (_drip, None),
    ],
    ids=[
        "noise",
        "noise-version-3",
        "plain-text-banner",
        "silent-after-hello",
        "record-too-long",
        "record-never-completes",
        "alert",
        "drip",
    ],
)
def test_hostile_peers_get_a_finding_within_the_deadline(server, handler, code) -> None:  # type: ignore[no-untyped-def]
    took, report = _probe(server(handler).port)
    assert took < TIMEOUT * 2.5 + 0.5
    step = report.steps[0]
    assert step.status.value == "fail" and step.findings
    if code is not None:
        assert code in report.codes()
    if code == "tls.handshake_failed":
        assert "tls.wrong_mode_implicit_on_starttls" not in report.codes()
    _assert_views_safe(report)


def test_certificate_names_with_markup_and_escapes_are_shown_not_executed(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    certfile, keyfile = _cert(tmp_path, HOSTILE_CN, ["<b>x</b>.test", "\x1b]0;t\x07.test"], org="Ev\u202eil\x00Org")
    took, report = _probe(server(_tls_server(certfile, keyfile)).port)
    assert {"tls.cert.self_signed", "tls.cert.hostname_mismatch"} <= set(report.codes())
    assert "&lt;script&gt;" in report.to_html()  # the subject is shown, escaped
    _assert_views_safe(report)


def test_a_certificate_with_thousands_of_names_is_bounded(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    certfile, keyfile = _cert(tmp_path, "big", [f"host{i}-{'a' * 40}.test" for i in range(1500)])
    took, report = _probe(server(_tls_server(certfile, keyfile)).port)
    assert took < TIMEOUT * 2.5
    assert "tls.cert.hostname_mismatch" in report.codes()
    assert len(report.to_json()) < 2_000_000


@pytest.mark.parametrize("host", ["a..b", "x" * 64 + ".test", "é" * 70 + ".test"])
def test_host_names_that_cannot_be_encoded_are_connection_errors(host: str) -> None:
    with pytest.raises(OSError, match="not a valid host name"):
        probe_implicit_tls(host, 465, TlsOptions(timeout=TIMEOUT))
    assert detect_implicit_tls(host, 465, timeout=TIMEOUT) is None


def test_nul_in_the_expected_name_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="NUL"):
        TlsOptions(server_hostname="mail.example.test\x00.evil.test")
