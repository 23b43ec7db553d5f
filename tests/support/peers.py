"""Small purpose-built servers on loopback, for the failures the practice lab does not stage.

Each `Peer` is a real TCP server on 127.0.0.1 (or ::1) with an ephemeral port,
running one handler per connection in a thread. Handlers here are deliberately
badly behaved: silent, dripping one byte at a time, endless multi-line
replies, SSH/HTTP/TLS banners, binary noise, malformed replies, STARTTLS
refusals and plaintext injection, malformed AUTH challenges. `ScriptedSmtp`
is a tiny SMTP server whose every reply can be overridden, including a real
TLS upgrade, so each quirk is a one-line configuration.

Nothing here talks to anything but loopback, and every socket has a timeout so
a test never hangs on a peer.
"""

from __future__ import annotations

import atexit
import datetime as dt
import ipaddress
import os
import select
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[socket.socket, "Peer"], None]


class Peer:
    """A loopback TCP server running `handler(conn, peer)` for each connection, in its own thread."""

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", backlog: int = 16, accept: bool = True) -> None:
        self.handler = handler
        self.host = host
        self.backlog = backlog
        self.accept = accept
        self.stopping = threading.Event()
        self.received: list[bytes] = []  # every line a handler read, for assertions
        self.connections = 0
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self._thread: threading.Thread | None = None

    def start(self) -> Peer:
        self.sock.listen(self.backlog)
        if self.accept:
            self._thread = threading.Thread(target=self._accept_loop, daemon=True, name=f"peer-{self.port}")
            self._thread.start()
        return self

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                ready, _, _ = select.select([self.sock], [], [], 0.05)
            except (OSError, ValueError):  # the listener was closed by stop()
                return
            if not ready:
                continue
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            conn.settimeout(10.0)
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            t = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.handler(conn, self)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def note(self, line: bytes) -> None:
        with self._lock:
            self.received.append(line)

    def wait(self, seconds: float) -> bool:
        """Sleep unless the peer is stopping; True when it is time to stop."""
        return self.stopping.wait(seconds)

    def stop(self) -> None:
        self.stopping.set()
        try:
            self.sock.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(2)
        for t in self._threads:
            t.join(2)

    def __enter__(self) -> Peer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- simple handlers ----------------------------------------------------------------------


class Counted:
    """A handler that first holds each connection `delay` seconds, counting those being held at once (`now`)
    and the most ever held together (`peak`), then runs `handler`: how a test sees, from the server's side,
    how many connections a client had open at once. (Only the delay is counted: it lies inside the client's
    time with the connection, whereas a handler may still be ending after the client has left.)"""

    def __init__(self, handler: Handler, delay: float) -> None:
        self.handler = handler
        self.delay = delay
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, conn: socket.socket, peer: Peer) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            if peer.wait(self.delay):
                return
        finally:
            with self._lock:
                self.now -= 1
        self.handler(conn, peer)


def hold(conn: socket.socket, peer: Peer, seconds: float = 60.0) -> None:
    """Keep the connection open, reading and discarding, until the client leaves or the peer stops."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not peer.stopping.is_set():
        ready, _, _ = select.select([conn], [], [], 0.05)
        if ready:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            peer.note(data)


def silent(conn: socket.socket, peer: Peer) -> None:
    hold(conn, peer)


def close_at_once(conn: socket.socket, peer: Peer) -> None:
    conn.close()


def sends(data: bytes, *, then_close: bool = False) -> Handler:
    """Send `data` at once, then hold (or close)."""

    def handler(conn: socket.socket, peer: Peer) -> None:
        conn.sendall(data)
        if not then_close:
            hold(conn, peer)

    return handler


def drip(data: bytes, interval: float, *, repeat: bool = True) -> Handler:
    """Send `data` one byte every `interval` seconds (forever when `repeat`)."""

    def handler(conn: socket.socket, peer: Peer) -> None:
        while not peer.stopping.is_set():
            for b in data:
                if peer.wait(interval):
                    return
                conn.sendall(bytes([b]))
            if not repeat:
                hold(conn, peer)
                return

    return handler


def endless_lines(line: bytes, interval: float = 0.0, *, prefix: bytes = b"") -> Handler:
    """Send `prefix`, then `line` over and over (an endless multi-line reply)."""

    def handler(conn: socket.socket, peer: Peer) -> None:
        if prefix:
            conn.sendall(prefix)
        count = 0
        while not peer.stopping.is_set() and count < 100_000:
            conn.sendall(line)
            count += 1
            if interval and peer.wait(interval):
                return

    return handler


SSH_BANNER = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"
HTTP_REPLY = b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n"
TLS_ALERT = bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])  # a TLS record: alert, protocol_version
BINARY_NOISE = bytes(
    [0x00, 0xFF, 0x13, 0x37, 0x88, 0x01, 0x02, 0xFE, 0x7F, 0x10, 0x00, 0x00, 0x9C, 0xC3, 0x11, 0x05] * 4
)


# -- a scripted SMTP server ----------------------------------------------------------------


def flood_lines(prefix: str = "AUTH ", lines: int = 98, start: int = 0) -> list[str]:
    """EHLO lines of distinct AUTH mechanism names, each line under the 2,048-byte cap."""
    out, n = [], start
    for _ in range(lines):
        words = []
        while len(prefix) + sum(len(w) + 1 for w in words) + 8 < 2030:
            words.append(f"M{n:05d}")
            n += 1
        out.append(prefix + " ".join(words))
    return out


def recv_line(conn: socket.socket, buf: bytearray, limit: int = 65536) -> bytes | None:
    """One CRLF-terminated line from `conn` (None when the client closed)."""
    while True:
        idx = buf.find(b"\n")
        if idx >= 0:
            line = bytes(buf[:idx])
            del buf[: idx + 1]
            return line.rstrip(b"\r")
        if len(buf) > limit:
            return None
        try:
            data = conn.recv(4096)
        except (OSError, ssl.SSLError):
            return None
        if not data:
            return None
        buf += data


Reply = str | Sequence[str] | Callable[[str], "str | Sequence[str]"]


@dataclass
class ScriptedSmtp:
    """A minimal SMTP server; each verb's reply can be replaced.

    `replies` maps a verb (EHLO, HELO, STARTTLS, AUTH, MAIL, RCPT, DATA, RSET,
    DOT for the reply after the message) to a reply string (may hold several
    CRLF-separated lines), or a list of replies: the first answers the verb, the
    following ones answer the client's next lines in turn (AUTH exchanges).
    `tls` is a server SSLContext used after "220" to STARTTLS.
    """

    greeting: str = "220 peer.test ESMTP scripted"
    ehlo: Sequence[str] = ("peer.test", "PIPELINING", "SIZE 10240000", "8BITMIME", "AUTH PLAIN LOGIN")
    ehlo_tls: Sequence[str] | None = None
    replies: dict[str, Reply] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None
    inject_after_starttls: bytes = b""
    greet_delay: float = 0.0
    reply_delay: float = 0.0
    hangup_on: str = ""  # close the connection, without a reply, when this verb arrives
    ignore: str = ""  # never answer this verb (hold the connection open)
    messages: list[bytes] = field(default_factory=list)

    def _ehlo_reply(self, tls: bool) -> str:
        lines = list(self.ehlo_tls if (tls and self.ehlo_tls is not None) else self.ehlo)
        if self.tls is not None and not tls and "STARTTLS" not in lines:
            lines.append("STARTTLS")
        return "\r\n".join(f"250{'-' if i < len(lines) - 1 else ' '}{line}" for i, line in enumerate(lines))

    def __call__(self, conn: socket.socket, peer: Peer) -> None:
        if self.greet_delay and peer.wait(self.greet_delay):
            return
        sock: socket.socket = conn
        sock.sendall(self.greeting.encode() + b"\r\n")
        buf = bytearray()
        pending: list[str] = []
        tls = False
        while not peer.stopping.is_set():
            line = recv_line(sock, buf)
            if line is None:
                return
            peer.note(line)
            if self.reply_delay and peer.wait(self.reply_delay):
                return
            if pending:
                nxt = pending.pop(0)  # a later reply may be a callable too: it gets the client's line
                sock.sendall((nxt(line.decode("utf-8", "replace")) if callable(nxt) else nxt).encode() + b"\r\n")
                continue
            text = line.decode("utf-8", "replace")
            verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == self.hangup_on:
                return
            if verb == self.ignore:
                hold(sock, peer)
                return
            custom = self.replies.get(verb)
            if callable(custom):
                custom = custom(text)
            if isinstance(custom, (list, tuple)):
                pending = list(custom[1:])
                custom = custom[0]
            if verb == "STARTTLS" and custom is None and self.tls is not None and not tls:
                sock.sendall(b"220 2.0.0 Ready to start TLS\r\n" + self.inject_after_starttls)
                sock = self.tls.wrap_socket(sock, server_side=True)
                buf.clear()
                tls = True
                continue
            if custom is not None:
                sock.sendall(str(custom).encode() + b"\r\n")
                if str(custom).startswith("421"):
                    return
                continue
            if verb == "EHLO":
                sock.sendall(self._ehlo_reply(tls).encode() + b"\r\n")
            elif verb == "QUIT":
                sock.sendall(b"221 2.0.0 Bye\r\n")
                return
            elif verb == "DATA":
                sock.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                body = bytearray()
                while True:
                    l2 = recv_line(sock, buf)
                    if l2 is None:
                        return
                    if l2 == b".":
                        break
                    body += l2 + b"\r\n"
                self.messages.append(bytes(body))
                dot = self.replies.get("DOT", "250 2.0.0 Ok: queued as PEER0001")
                sock.sendall(str(dot).encode() + b"\r\n")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                sock.sendall(b"250 2.0.0 Ok\r\n")
            elif verb == "AUTH":
                sock.sendall(b"235 2.7.0 Authentication successful\r\n")
            else:
                sock.sendall(b"502 5.5.2 Command not recognized\r\n")


# -- certificates for TLS peers --------------------------------------------------------------


@dataclass
class PeerCert:
    cert_file: str
    key_file: str

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx


_CERT: PeerCert | None = None


def peer_cert() -> PeerCert:
    """A self-signed certificate for 127.0.0.1/::1/localhost, made once per test session.

    Tests pass its file as `cafile`, so verification succeeds the honest way.
    """
    global _CERT
    if _CERT is not None:
        return _CERT
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtpkit test peer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
                # the addresses tests bind a privileged port on (127.0.4.20-39)
                + [x509.IPAddress(ipaddress.ip_address(f"127.0.4.{n}")) for n in range(20, 40)]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tempfile.mkdtemp(prefix="smtpkit-peer-")
    atexit.register(shutil.rmtree, directory, True)  # a private key: not left in the temp folder after the run
    cert_file = os.path.join(directory, "peer.pem")
    key_file = os.path.join(directory, "peer.key")
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    _CERT = PeerCert(cert_file, key_file)
    return _CERT


def implicit_tls(inner: Handler) -> Handler:
    """Wrap a handler so the connection is TLS from the first byte (a port-465 server)."""

    def handler(conn: socket.socket, peer: Peer) -> None:
        ctx = peer_cert().server_context()
        try:
            tls_conn = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return
        inner(tls_conn, peer)

    return handler


# -- a listener whose accept queue is full ----------------------------------------------------


class FullBacklog:
    """A listening socket that never accepts, with its accept queue already full.

    Linux drops further SYNs silently when the queue is full, so a connection
    attempt sees no answer at all: exactly what a firewall that drops packets
    looks like to the client, produced without leaving loopback.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(0)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.fillers: list[socket.socket] = []

    def __enter__(self) -> FullBacklog:
        for _ in range(8):
            s = socket.socket()
            s.settimeout(0.2)
            try:
                s.connect((self.host, self.port))
            except OSError:
                s.close()
                break
            self.fillers.append(s)
        return self

    def __exit__(self, *exc: object) -> None:
        for s in self.fillers:
            s.close()
        self.sock.close()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port (TCP, or UDP with `socket.SOCK_DGRAM`) with nothing listening: bound, then released."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ipv6_loopback_usable() -> bool:
    """Can this machine bind ::1? (for skipif on tests that need IPv6 loopback)"""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class DeafUdp:
    """A UDP socket on loopback that receives DNS queries and never answers (a dead resolver)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> DeafUdp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def dns_server(records: Sequence[tuple[str, str, Any]], zones: Sequence[str]) -> Any:
    """The lab's authoritative DNS server with just `records` (a context manager)."""
    from smtpkit.lab.dns_server import DnsServer
    from smtpkit.lab.zoneset import ZoneSet

    return DnsServer(ZoneSet.from_records(records, zones=zones))
