"""The MTA-STS policy fetch against hostile HTTPS servers on loopback: everything bounded, nothing followed."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest

from smtpkit.net.https import fetch
from tests.support.peers import SSH_BANNER, Peer, hold, implicit_tls, peer_cert, sends

PATH = "/.well-known/mta-sts.txt"


def _after_request(then: Callable[[socket.socket, Peer], None]) -> Callable[[socket.socket, Peer], None]:
    """Read the request head, then let `then` answer."""

    def handler(conn: socket.socket, peer: Peer) -> None:
        data = b""
        conn.settimeout(5)
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
        except OSError:
            return
        peer.note(data)
        then(conn, peer)

    return handler


def _https(then: Callable[[socket.socket, Peer], None]) -> Peer:
    return Peer(implicit_tls(_after_request(then))).start()


def _get(peer: Peer, **kwargs: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {"port": peer.port, "cafile": peer_cert().cert_file, "allow_private": True}
    options.update(kwargs)
    return fetch("localhost", PATH, **options)  # type: ignore[arg-type]


def _drip(prefix: bytes, interval: float) -> Callable[[socket.socket, Peer], None]:
    def handler(conn: socket.socket, peer: Peer) -> None:
        try:
            conn.sendall(prefix)
            while not peer.wait(interval):
                conn.sendall(b"x")
        except OSError:
            return

    return handler


def test_a_good_policy_is_fetched() -> None:
    body = b"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 86400\r\n"
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    with _https(sends(head + body)) as peer:
        got = _get(peer)
    assert (got.stage, got.status, got.body, got.content_type) == ("ok", 200, body, "text/plain")
    assert got.tls is not None and got.tls.verified
    request = peer.received[0].decode()
    assert request.startswith(f"GET {PATH} HTTP/1.1\r\n") and f"Host: localhost:{peer.port}" in request


def test_headers_dripping_forever_end_at_the_deadline() -> None:
    with _https(_drip(b"HTTP/1.1 200 OK\r\nX-Slow: ", 0.05)) as peer:
        start = time.monotonic()
        got = _get(peer, timeout=1.0, deadline=time.monotonic() + 1.5)
        took = time.monotonic() - start
    assert got.stage == "timeout" and took < 2.5, (got, took)


def test_a_body_dripping_forever_ends_at_the_deadline() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 60000\r\n\r\nversion: STSv1\n"
    with _https(_drip(head, 0.05)) as peer:
        start = time.monotonic()
        got = _get(peer, timeout=1.0, deadline=time.monotonic() + 1.5)
        assert time.monotonic() - start < 2.5
    assert got.stage == "timeout" and got.status == 200


def test_a_silent_server_after_the_handshake_is_a_timeout() -> None:
    with _https(hold) as peer:
        start = time.monotonic()
        got = _get(peer, timeout=0.5, deadline=time.monotonic() + 1.0)
        assert time.monotonic() - start < 2.0
    assert got.stage == "timeout"


def test_an_announced_huge_body_is_not_read() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10737418240\r\n\r\n"
    with _https(sends(head)) as peer:
        got = _get(peer, timeout=2.0)
    assert got.too_large and got.declared_length == 10737418240 and got.body == b""


def test_an_endless_chunked_body_is_capped() -> None:
    def endless(conn: socket.socket, peer: Peer) -> None:
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 4096
            for _ in range(10_000):
                conn.sendall(b"1000\r\n" + chunk + b"\r\n")
        except OSError:
            return

    with _https(endless) as peer:
        got = _get(peer, timeout=2.0)
    assert got.too_large and len(got.body) == 64 * 1024


def test_a_redirect_to_loopback_is_reported_not_followed() -> None:
    redirect = (
        b"HTTP/1.1 302 Found\r\nLocation: https://127.0.0.1:1/.well-known/mta-sts.txt\r\nContent-Length: 0\r\n\r\n"
    )
    with _https(sends(redirect)) as peer:
        got = _get(peer)
        assert peer.connections == 1
    assert (got.stage, got.status, got.location) == ("ok", 302, "https://127.0.0.1:1/.well-known/mta-sts.txt")
    assert got.body == b""


@pytest.mark.parametrize(
    "answer",
    [
        SSH_BANNER,
        b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(1000)) + b"\r\n",
        b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n",
        b"HTTP/9.9 abc\r\n\r\n",
    ],
    ids=["ssh banner", "1000 headers", "70 KB header line", "bad status line"],
)
def test_garbage_responses_are_http_errors(answer: bytes) -> None:
    with _https(sends(answer, then_close=True)) as peer:
        got = _get(peer, timeout=2.0)
    assert got.stage == "http" and got.error.startswith("not a valid HTTP response"), got


def test_a_plain_http_server_fails_at_tls() -> None:
    with Peer(sends(b"HTTP/1.1 400 Bad Request\r\n\r\n", then_close=True)).start() as peer:
        got = _get(peer, timeout=2.0)
    assert got.stage == "tls" and got.status is None


def test_private_addresses_are_refused_without_a_connection() -> None:
    with _https(hold) as peer:
        got = _get(peer, allow_private=False)
        assert peer.connections == 0
    assert got.stage == "private" and "127.0.0.1" in got.refused


def test_an_untrusted_certificate_is_a_tls_failure_with_the_certificate() -> None:
    with _https(sends(b"HTTP/1.1 200 OK\r\n\r\n")) as peer:
        got = _get(peer, cafile=None)
    assert got.stage == "tls" and got.tls is not None and got.tls.failure == "verify"
    assert got.tls.ders  # read from the rejected handshake, to show the user


def test_a_name_without_address_fails_at_dns(resolver) -> None:  # type: ignore[no-untyped-def]
    got = fetch("mta-sts.nowhere.smtpkit.test", PATH, resolver=resolver, allow_private=True, timeout=1.0)
    assert got.stage == "dns" and got.resolution == "nxdomain"


@pytest.mark.parametrize("length", ["\xb2".encode("latin-1"), "\u0664\u0662".encode(), b"1_0", b"\xef\xbc\x94"])
def test_a_content_length_that_is_not_ascii_digits_is_ignored_not_a_crash(length: bytes) -> None:
    """Header values are latin-1: "²".isdigit() is true and int("²") raised ValueError out of fetch()."""
    body = b"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 86400\r\n"
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + length + b"\r\nConnection: close\r\n\r\n"
    )
    with _https(sends(head + body)) as peer:
        got = _get(peer, timeout=1.0, deadline=time.monotonic() + 3)
    assert got.declared_length is None and got.stage in ("ok", "http", "timeout")
