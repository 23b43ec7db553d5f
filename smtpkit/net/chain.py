"""The certificate chain a server presents, read with public Python APIs only (for DANE-TA).

DANE-TA (TLSA usage 2) names a certificate *above* the server's own, so the
check needs every certificate the server sent, not only the leaf that
`getpeercert(binary_form=True)` returns. How we get them, by Python version:

* Python 3.13 and later: `ssl.SSLSocket.get_unverified_chain()`, public and
  documented, after an unverified handshake.
* Python 3.11 and 3.12 have no public API for the peer's chain. The supported
  way we use: run the handshake over `ssl.MemoryBIO` (`SSLContext.wrap_bio`,
  public since 3.5), so every byte the server sends passes through our
  hands, and ask for TLS 1.2, where the server's Certificate message travels
  unencrypted (RFC 5246 §7.4.2). We read the TLS records and that handshake
  message ourselves (`smtpkit.net.tls.parse_certificate_message`, shared with
  the session engine) and stop reading as soon as it is complete. A server
  that speaks only TLS 1.3 (which encrypts the Certificate message) gives no
  chain this way, and the result says so.

Not chosen: `SSLContext._msg_callback` and `SSLSocket._sslobj.get_unverified_chain()`
(private attributes that may change in any release without notice), and
pyOpenSSL (a dependency for one call). The session engine's own certificate
capture (`smtpkit.net.tls`) is left as it is; DANE decisions rest on this
module.
"""

from __future__ import annotations

import selectors
import socket
import ssl
import sys
import time

from smtpkit.net.tls import MAX_CERT_MESSAGE, MAX_CHAIN, parse_certificate_message
from smtpkit.record import field, record

__all__ = ["ChainRead", "PUBLIC_CHAIN_API", "chain_over"]

#: Python 3.13 made the peer chain public; before, the TLS 1.2 record reader is used.
PUBLIC_CHAIN_API = sys.version_info >= (3, 13)
_MAX_READ = 4 * MAX_CERT_MESSAGE
_HANDSHAKE = 22
_CHANGE_CIPHER_SPEC = 20
_CERTIFICATE = 11


@record()
class ChainRead:
    """The DER certificates the server sent (leaf first), how we read them, or why we could not."""

    ders: list[bytes] = field(default_factory=list)
    how: str = ""
    error: str = ""


def handshake_messages(records: bytes) -> tuple[bytes, bool]:
    """The plaintext handshake stream of a server's TLS records (until ChangeCipherSpec) and whether it ended."""
    stream = bytearray()
    pos = 0
    while pos + 5 <= len(records):
        kind, length = records[pos], int.from_bytes(records[pos + 3 : pos + 5], "big")
        if pos + 5 + length > len(records):
            break
        if kind == _CHANGE_CIPHER_SPEC:
            return bytes(stream), True
        if kind == _HANDSHAKE:
            stream += records[pos + 5 : pos + 5 + length]
        pos += 5 + length
    return bytes(stream), False


def certificate_message(stream: bytes) -> bytes | None:
    """The complete Certificate handshake message (with its 4-byte header) in `stream`, or None yet."""
    pos = 0
    while pos + 4 <= len(stream):
        kind, length = stream[pos], int.from_bytes(stream[pos + 1 : pos + 4], "big")
        if pos + 4 + length > len(stream):
            return None
        if kind == _CERTIFICATE:
            return stream[pos : pos + 4 + length]
        pos += 4 + length
    return None


def _wait(sock: socket.socket, deadline: float, events: int) -> bool:
    left = deadline - time.monotonic()
    if left <= 0:
        return False
    with selectors.DefaultSelector() as sel:
        sel.register(sock, events)
        return bool(sel.select(left))


def _tls12_records(sock: socket.socket, sni: str | None, deadline: float) -> ChainRead:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    received = bytearray()
    how = "the TLS 1.2 Certificate message, read from the records (ssl.MemoryBIO)"
    sock.setblocking(False)
    while True:
        try:
            obj.do_handshake()
            finished = True
        except ssl.SSLWantReadError:
            finished = False
        except ssl.SSLError as exc:
            finished = True
            if not received:
                return ChainRead(how=how, error=f"the TLS 1.2 handshake failed: {exc.reason or exc}")
        pending = outgoing.read()
        while pending:
            if not _wait(sock, deadline, selectors.EVENT_WRITE):
                return ChainRead(how=how, error="no time left to send the TLS hello")
            sent = sock.send(pending)
            pending = pending[sent:]
        message = certificate_message(handshake_messages(bytes(received))[0])
        if message is not None:
            try:
                return ChainRead(parse_certificate_message(message, tls13=False)[:MAX_CHAIN], how)
            except ValueError as exc:
                return ChainRead(how=how, error=f"the Certificate message could not be read: {exc}")
        if finished or handshake_messages(bytes(received))[1]:
            return ChainRead(how=how, error="the handshake went on without a readable Certificate message")
        if len(received) > _MAX_READ:
            return ChainRead(how=how, error="the server sent too much before its certificates")
        if not _wait(sock, deadline, selectors.EVENT_READ):
            return ChainRead(how=how, error="the server sent no certificates before the deadline")
        try:
            data = sock.recv(16384)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError as exc:
            return ChainRead(how=how, error=f"the connection failed: {exc}")
        if not data:
            return ChainRead(
                how=how,
                error="the server closed the connection: it may speak only TLS 1.3, whose certificates "
                "are encrypted (Python 3.13 reads them)",
            )
        received += data
        incoming.write(data)


def _public_api(sock: socket.socket, sni: str | None, deadline: float) -> ChainRead:  # pragma: no cover - 3.13+
    from smtpkit.net.tls import handshake, make_unverified_context

    how = "ssl.SSLSocket.get_unverified_chain() (Python 3.13+)"
    try:
        ss = handshake(sock, make_unverified_context(), sni, deadline)
    except (OSError, ValueError) as exc:
        return ChainRead(how=how, error=f"the TLS handshake failed: {exc}")
    try:
        chain = ss.get_unverified_chain()  # type: ignore[attr-defined]
        return ChainRead([bytes(c) for c in chain][:MAX_CHAIN], how)
    finally:
        ss.close()


def chain_over(sock: socket.socket, server_hostname: str | None, deadline: float) -> ChainRead:
    """Every certificate the server sends on `sock` (positioned for the TLS hello); consumes and closes `sock`."""
    try:
        if PUBLIC_CHAIN_API:
            return _public_api(sock, server_hostname, deadline)
        return _tls12_records(sock, server_hostname, deadline)
    finally:
        try:
            sock.close()
        except OSError:
            pass
