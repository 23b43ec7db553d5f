"""Fetch one small file over HTTPS exactly the way MTA-STS senders do (RFC 8461 §3.3), and report what happened.

Why not httpx or urllib: the fetch must do precisely what a sending mail server
does, and a general HTTP client does more. Here:

* the host is resolved with the kit's `Resolver` (so ``--nameserver`` applies)
  and every address is checked before any connection (`net.address.may_connect`):
  private and loopback addresses are refused unless `allow_private` (the lab,
  your own test servers), documentation ones always. We connect to the address we checked, so a second DNS
  answer cannot slip a different one in (no rebinding);
* the certificate is verified for the host name (system store or `cafile`)
  by the session engine's TLS code, so a rejected certificate is explained
  the same way everywhere, with the certificate the server sent;
* redirects are reported, never followed; the body is capped (64 KiB by
  default) and an announced larger body is not read at all;
* every read is bounded by one absolute deadline, so a server that drips one
  byte a second, or never finishes its headers, costs at most that deadline.

The HTTP parsing is the standard library's `http.client.HTTPResponse` (status
line, at most 100 header lines of at most 64 KiB, chunked or sized bodies),
reading through a file object that enforces the deadline on every read.

Results are raw facts (`HttpsFetch`); what they mean for MTA-STS is
`smtpkit.checks.domain.mta_sts`.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from typing import Any

from smtpkit.net.address import may_connect
from smtpkit.net.connect import ConnectAttempt, Deadline, connect_addresses, resolve_host
from smtpkit.net.dns import Resolver
from smtpkit.net.tls import TlsOptions, TlsOutcome, start_tls
from smtpkit.record import field, record

DEFAULT_MAX_BYTES = 64 * 1024
_MAX_HEADER_VALUE = 512
USER_AGENT = "smtpkit (MTA-STS policy check)"


@record()
class HttpsFetch:
    """What one fetch saw. `stage` says where it stopped.

    Stages: ``ok`` (a response arrived; see `status`), ``dns`` (the host has no
    address), ``private`` (only non-public addresses, not contacted),
    ``connect`` (no address accepted a connection), ``tls`` (the handshake or
    the certificate failed; see `tls`), ``http`` (not a valid HTTP response),
    ``timeout`` (the deadline passed while waiting for the response).
    `connect_attempts` keeps every connection attempt's raw facts (what they
    mean is `smtpkit.checks.session.network.attempt_problem`'s to say).
    """

    url: str
    host: str
    port: int
    stage: str = "ok"
    error: str = ""
    addresses: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    address: str = ""
    resolution: str = ""
    connect_attempts: list[ConnectAttempt] = field(default_factory=list, repr=False)
    tls: TlsOutcome | None = field(default=None, repr=False)
    status: int | None = None
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False)
    too_large: bool = False
    declared_length: int | None = None
    elapsed_ms: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class _DeadlineReader(io.RawIOBase):
    """A socket as a readable raw stream whose every read ends by the deadline (http.client reads through it)."""

    def __init__(self, sock: socket.socket, deadline: float, read_timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self._read_timeout = read_timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the server did not finish its response before the deadline")
        self._sock.settimeout(min(left, self._read_timeout))
        return self._sock.recv_into(buffer)


class _ResponseSource:
    """What `http.client.HTTPResponse` wants from a socket: only `makefile`."""

    def __init__(self, sock: socket.socket, deadline: float, read_timeout: float) -> None:
        self._raw = _DeadlineReader(sock, deadline, read_timeout)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(self._raw, buffer_size=8192)


def _request(host: str, port: int, path: str) -> bytes:
    authority = host if port == 443 else f"{host}:{port}"
    return (
        f"GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\nAccept: text/plain\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")


def fetch(
    host: str,
    path: str,
    *,
    resolver: Resolver | None = None,
    port: int = 443,
    cafile: str | None = None,
    allow_private: bool = False,
    timeout: float = 10.0,
    deadline: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> HttpsFetch:
    """GET ``https://host[:port]path`` as an MTA-STS sender would; never raises for network outcomes.

    `timeout` bounds each wait (connect, handshake, each read); `deadline`
    (monotonic; default now + 2 x timeout) bounds the whole fetch.
    """
    start = time.monotonic()
    end = deadline if deadline is not None else start + 2 * timeout
    shown_port = "" if port == 443 else f":{port}"
    out = HttpsFetch(url=f"https://{host}{shown_port}{path}", host=host, port=port)
    try:
        _fetch(out, path, resolver, cafile, allow_private, timeout, end, max_bytes)
    finally:
        out.elapsed_ms = (time.monotonic() - start) * 1000.0
    return out


def _fetch(
    out: HttpsFetch,
    path: str,
    resolver: Resolver | None,
    cafile: str | None,
    allow_private: bool,
    timeout: float,
    end: float,
    max_bytes: int,
) -> None:
    deadline = Deadline(max(0.0, end - time.monotonic()))
    res = resolve_host(out.host, resolver, deadline, timeout)
    out.addresses = list(res.addresses)
    out.resolution = res.status
    if not res.ok:
        out.stage, out.error = "dns", res.error or f"{out.host} has no address ({res.status})"
        return
    usable = [a for a in res.addresses if may_connect(a, allow_private)]
    out.refused = [a for a in res.addresses if a not in usable]
    if not usable:
        out.stage = "private"
        out.error = f"{out.host} resolves only to non-public addresses ({', '.join(out.refused)})"
        return
    conn = connect_addresses(usable, out.port, deadline, timeout)
    out.connect_attempts = list(conn.attempts)
    if conn.sock is None:
        timed_out = any(a.timed_out or a.outcome == "skipped" for a in conn.attempts)
        out.stage = "timeout" if timed_out and deadline.expired else "connect"
        out.error = (
            "; ".join(f"{a.address}: {a.error or a.outcome}" for a in conn.failed) or "no address could be tried"
        )
        return
    out.address = conn.address

    def reconnect() -> socket.socket:
        again = connect_addresses([out.address], out.port, deadline, timeout)
        if again.sock is None:
            raise OSError(again.attempts[-1].error if again.attempts else "could not reconnect")
        return again.sock

    opts = TlsOptions(server_hostname=out.host, cafile=cafile, timeout=timeout, legacy_probe=False)
    tls = start_tls(conn.sock, opts, deadline=end, refetch=reconnect)
    out.tls = tls
    if tls.tls_socket is None:
        out.stage = "tls"
        out.error = tls.verify_message or tls.error_message or tls.error_reason or "TLS handshake failed"
        return
    sock = tls.tls_socket
    try:
        _exchange(out, sock, path, timeout, end, max_bytes)
    finally:
        tls.close()


def _exchange(out: HttpsFetch, sock: ssl.SSLSocket, path: str, timeout: float, end: float, max_bytes: int) -> None:
    try:
        sock.settimeout(max(0.001, min(timeout, end - time.monotonic())))
        sock.sendall(_request(out.host, out.port, path))
        response = http.client.HTTPResponse(_ResponseSource(sock, end, timeout))  # type: ignore[arg-type]
        response.begin()
    except TimeoutError:
        out.stage, out.error = "timeout", "the server sent no complete response headers before the deadline"
        return
    except (http.client.HTTPException, ValueError) as exc:
        out.stage, out.error = "http", f"not a valid HTTP response: {type(exc).__name__}: {exc}"[:300]
        return
    except OSError as exc:
        out.stage, out.error = "http", f"the connection failed while waiting for the response: {exc}"
        return
    out.status, out.reason = response.status, str(response.reason or "")[:_MAX_HEADER_VALUE]
    for name, value in response.getheaders()[:100]:
        out.headers.setdefault(name.lower(), value[:_MAX_HEADER_VALUE])
    length = out.headers.get("content-length", "")
    # ASCII digits only: header values are latin-1, and "²".isdigit() is true but int("²") raises
    out.declared_length = int(length) if length.isascii() and length.isdigit() and len(length) < 19 else None
    if out.status != 200:
        return  # a sender reads no further: the body of an error or a redirect is not a policy
    if out.declared_length is not None and out.declared_length > max_bytes:
        out.too_large = True
        return
    try:
        body = response.read(max_bytes + 1)
    except TimeoutError:
        out.stage, out.error = "timeout", "the server did not send the whole body before the deadline"
        return
    except (http.client.HTTPException, OSError, ValueError) as exc:
        out.stage, out.error = "http", f"the body could not be read: {type(exc).__name__}: {exc}"[:300]
        return
    out.too_large = len(body) > max_bytes
    out.body = body[:max_bytes]
