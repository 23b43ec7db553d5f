"""The MX probe: one address of one MX host, on port 25, over STARTTLS, as a sending server sees it.

It reuses the session engine's pieces rather than its steps: `connect` for
the TCP attempt (its timeout and the caller's deadline), `SmtpConnection`
for the greeting and EHLO (absolute per-reply deadlines, capped lines, a
trace), and `start_tls` for the handshake (verified against the MX host name,
and when verification fails, a second STARTTLS connection, used only to read
the certificate the server presented). Nothing is sent but EHLO, STARTTLS,
EHLO and QUIT: no MAIL, no RCPT.

The result is raw facts (`MxProbe`); what they mean (port 25 blocked from
here, an MX without STARTTLS, a certificate MTA-STS would refuse) is
`smtpkit.checks.domain.mx`. `MxProbeCache` lets an audit of many domains
probe each (host, address, port) once.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time

from smtpkit.model import Transcript
from smtpkit.net.chain import ChainRead, chain_over
from smtpkit.net.connect import ConnectAttempt, Deadline, connect_addresses
from smtpkit.net.smtp import Capabilities, ProbeError, SmtpConnection, parse_ehlo, parse_helo
from smtpkit.net.tls import TlsOptions, TlsOutcome, start_tls
from smtpkit.record import field, record

DEFAULT_TIMEOUT = 10.0


@record()
class MxProbe:
    """What one probe of `host` at `address`:`port` saw.

    `reached` is ok, or the connection attempt's raw outcome (failed, skipped),
    with the system's words in `connect_error` and every fact in `attempt`
    (what they mean is `smtpkit.checks.session.network.attempt_problem`'s to say).
    """

    host: str
    address: str
    port: int
    reached: str = ""
    connect_error: str = ""
    attempt: ConnectAttempt | None = field(default=None, repr=False)
    greeting: str = ""
    greeting_code: int | None = None
    ehlo_ok: bool = False
    capabilities: Capabilities | None = None
    starttls_offered: bool | None = None
    starttls_reply: str = ""
    tls: TlsOutcome | None = field(default=None, repr=False)
    problem: str = ""
    transcript: Transcript = field(default_factory=lambda: Transcript(max_lines=200), repr=False)
    elapsed_ms: float = 0.0

    @property
    def family(self) -> str:
        return "IPv6" if ipaddress.ip_address(self.address).version == 6 else "IPv4"

    @property
    def connected(self) -> bool:
        return self.reached == "ok"

    @property
    def tls_ok(self) -> bool:
        """The handshake completed (verified or not: the certificate's verdict is `cert_valid`)."""
        return self.tls is not None and (self.tls.ok or self.tls.failure == "verify")

    @property
    def cert_valid(self) -> bool | None:
        """Valid for the MX name and trusted (what MTA-STS requires); None when no handshake got that far."""
        if self.tls is None:
            return None
        if self.tls.ok and self.tls.verified:
            return True
        if self.tls.failure == "verify":
            return False
        return None

    @property
    def leaf_der(self) -> bytes:
        """The server's own certificate (DER) from the handshake, verified or not; b"" when none arrived."""
        return self.tls.ders[0] if self.tls is not None and self.tls.ders else b""


def _helo_name(sock: socket.socket) -> str:
    """An RFC 5321 address literal of our side of the connection (no DNS: a dead resolver must not stall us)."""
    try:
        ip = sock.getsockname()[0]
    except OSError:
        return "[127.0.0.1]"
    return f"[IPv6:{ip}]" if ":" in ip else f"[{ip}]"


def _ehlo(conn: SmtpConnection, helo: str) -> Capabilities | None:
    reply = conn.command(f"EHLO {helo}")
    if reply.code == 250:
        return parse_ehlo(reply)
    reply = conn.command(f"HELO {helo}")
    return parse_helo(reply) if reply.code == 250 else None


def _to_starttls(conn: SmtpConnection, helo: str) -> tuple[Capabilities | None, str]:
    """Greeting already read: EHLO, then STARTTLS; returns the capabilities and the STARTTLS reply ('' if not sent)."""
    caps = _ehlo(conn, helo)
    if caps is None or not caps.starttls:
        return caps, ""
    reply = conn.command("STARTTLS")
    return caps, str(reply)


def probe_mx(
    host: str,
    address: str,
    port: int = 25,
    *,
    cafile: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float | None = None,
    helo: str | None = None,
) -> MxProbe:
    """Connect to `address`:`port`, greet, EHLO, STARTTLS (verified for `host`), EHLO again, QUIT.

    Never raises for network outcomes. `timeout` bounds each wait, `deadline`
    (monotonic; default now + 3 x timeout) the whole probe, follow-up included.
    """
    start = time.monotonic()
    end = deadline if deadline is not None else start + 3 * timeout
    out = MxProbe(host=host, address=address, port=port)
    try:
        _probe(out, cafile, timeout, end, helo)
    finally:
        out.elapsed_ms = (time.monotonic() - start) * 1000.0
    return out


def _probe(out: MxProbe, cafile: str | None, timeout: float, end: float, helo: str | None) -> None:
    deadline = Deadline(max(0.0, end - time.monotonic()))
    conn_result = connect_addresses([out.address], out.port, deadline, timeout)
    attempt = conn_result.attempts[-1] if conn_result.attempts else None
    if conn_result.sock is None:
        out.attempt = attempt
        out.reached = attempt.outcome if attempt else "error"
        out.connect_error = attempt.error if attempt else "no attempt was possible"
        return
    out.reached = "ok"
    conn = SmtpConnection(conn_result.sock, out.transcript, deadline, timeout)
    name = helo or _helo_name(conn_result.sock)
    try:
        greeting = conn.read_reply()
        out.greeting, out.greeting_code = str(greeting)[:300], greeting.code
        if greeting.code != 220:
            out.problem = f"the greeting was {str(greeting)[:200]!r}, not 220"
            return
        caps, reply = _to_starttls(conn, name)
        out.capabilities, out.ehlo_ok = caps, caps is not None
        if caps is None:
            out.problem = "EHLO and HELO were both refused"
            return
        out.starttls_offered = caps.starttls
        if not caps.starttls:
            return
        out.starttls_reply = reply[:300]
        if not reply.startswith("220"):
            out.problem = f"STARTTLS was refused: {reply[:200]}"
            return
        conn.drain_plaintext()
        opts = TlsOptions(server_hostname=out.host, cafile=cafile, timeout=timeout, legacy_probe=False)
        tls = start_tls(conn.sock, opts, deadline=end, refetch=lambda: _reopen(out, deadline, timeout, name))
        out.tls = tls
        if tls.tls_socket is None:
            conn.closed = True
            return
        conn.upgrade(tls.tls_socket, f"{tls.version} {tls.cipher[0] if tls.cipher else ''}".strip())
        _ehlo(conn, name)  # a server that drops the session right after TLS is a problem senders meet
    except ProbeError as exc:
        out.problem = str(exc)
    finally:
        conn.close()


def _reopen(out: MxProbe, deadline: Deadline, timeout: float, helo: str | None) -> socket.socket:
    """Another connection brought to the TLS hello, only to read certificates (its lines are not kept)."""
    again = connect_addresses([out.address], out.port, deadline, timeout)
    if again.sock is None:
        raise OSError(again.attempts[-1].error if again.attempts else "could not reconnect")
    helo = helo or _helo_name(again.sock)
    conn = SmtpConnection(again.sock, Transcript(max_lines=50), deadline, timeout)
    try:
        if conn.read_reply().code != 220:
            raise OSError("the second connection was not greeted with 220")
        _caps, reply = _to_starttls(conn, helo)
        if not reply.startswith("220"):
            raise OSError("the second connection could not start TLS")
        conn.drain_plaintext()
    except (ProbeError, OSError):
        conn.close(quit_first=False)
        raise
    return conn.sock


def read_mx_chain(
    host: str, address: str, port: int = 25, *, timeout: float = DEFAULT_TIMEOUT, deadline: float | None = None
) -> ChainRead:
    """Every certificate the MX presents over STARTTLS, on a connection of its own (see `smtpkit.net.chain`)."""
    end = deadline if deadline is not None else time.monotonic() + 2 * timeout
    scratch = MxProbe(host=host, address=address, port=port)
    try:
        sock = _reopen(scratch, Deadline(max(0.0, end - time.monotonic())), timeout, None)
    except (OSError, ProbeError) as exc:
        return ChainRead(error=f"could not get to STARTTLS again to read the chain: {exc}")
    return chain_over(sock, host, end)


class MxProbeCache:
    """Probe each (host, address, port) once, however many domains or threads ask (an audit shares one).

    A probe being made by one thread is waited for, not repeated, by another.
    Results are kept for the cache's life; make a new cache for a new run.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._probes: dict[tuple[str, str, int], MxProbe] = {}
        self._making: dict[tuple[str, str, int], threading.Lock] = {}

    def probe(
        self,
        host: str,
        address: str,
        port: int = 25,
        *,
        cafile: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = None,
    ) -> MxProbe:
        key = (host.lower().rstrip("."), address, int(port))
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:
            if key not in self._probes:
                self._probes[key] = probe_mx(host, address, port, cafile=cafile, timeout=timeout, deadline=deadline)
            return self._probes[key]

    def __len__(self) -> int:
        return len(self._probes)
