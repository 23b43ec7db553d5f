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
probe each (host, address, port) once, a few at a time per network (`NetworkLimit`).
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


def network_of(address: str) -> str:
    """The network a probe of `address` counts against: its IPv4 /24 or IPv6 /48.

    Why those: a receiving provider's MX hosts sit side by side in one block (a
    /24 of IPv4, a site's /48 of IPv6), and it is the block whose rate limits and
    intrusion detection see an audit's many connections as one sender's. An
    IPv4-mapped IPv6 address (``::ffff:192.0.2.7``) is its IPv4 address: as
    ``::/48`` every such address would share one turn, whatever its network.
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


class NetworkLimit:
    """At most `per_network` MX probes under way at once into one network (`network_of`), across threads.

    An audit's politeness towards the receiving side: thousands of domains may have
    their MX hosts with one provider, and its network should see a few
    connections from us at a time, not a burst. `acquire` waits up to `timeout`
    seconds for a turn and says whether it got one; every turn is given back with
    `release`. A Dask run replaces it with one limit for the whole cluster
    (`smtpkit.audit.runners`).
    """

    def __init__(self, per_network: int) -> None:
        if per_network < 1:
            raise ValueError(f"per_network must be at least 1, not {per_network}")
        self.per_network = per_network
        self._lock = threading.Lock()
        self._turns: dict[str, threading.BoundedSemaphore] = {}

    def _turns_of(self, network: str) -> threading.BoundedSemaphore:
        with self._lock:
            turns = self._turns.get(network)
            if turns is None:
                turns = self._turns[network] = threading.BoundedSemaphore(self.per_network)
            return turns

    def turns(self) -> int:
        """How many probes may be under way at once into one network (a method: a manager's proxy has no fields)."""
        return self.per_network

    def acquire(self, network: str, timeout: float) -> bool:
        return self._turns_of(network).acquire(timeout=max(0.0, timeout))

    def release(self, network: str) -> None:
        self._turns_of(network).release()


class MxProbeCache:
    """Probe each (host, address, port) once, however many domains or threads ask (an audit shares one).

    A probe being made by one thread is waited for, not repeated, by another.
    Results are kept for the cache's life; make a new cache for a new run.
    With a `limit`, a probe first waits for a turn in its network
    (`NetworkLimit`); one that gets none before its deadline is "timeout", with
    the limit named, and is not kept (a later domain may probe that host).
    """

    def __init__(self, limit: NetworkLimit | None = None) -> None:
        self.limit = limit
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
            if key in self._probes:
                return self._probes[key]
            limit = self.limit
            if limit is None:
                made = probe_mx(host, address, port, cafile=cafile, timeout=timeout, deadline=deadline)
            else:
                network = network_of(address)
                end = deadline if deadline is not None else time.monotonic() + 3 * timeout
                if not limit.acquire(network, end - time.monotonic()):
                    turns = limit.turns()
                    words = (
                        f"not probed: {turns} {'probe' if turns == 1 else 'probes'} into {network}"
                        f" {'was' if turns == 1 else 'were'}"
                        " under way until the deadline (the audit's limit per network; raise it with"
                        " --probes-per-network)"
                    )
                    return MxProbe(host=host, address=address, port=port, reached="timeout", connect_error=words)
                try:  # the wait for a turn came out of the probe's time, not on top of it
                    made = probe_mx(host, address, port, cafile=cafile, timeout=timeout, deadline=end)
                finally:
                    limit.release(network)
            self._probes[key] = made
            return made

    def __len__(self) -> int:
        return len(self._probes)
