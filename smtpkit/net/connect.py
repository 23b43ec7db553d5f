"""Resolve a host and open a TCP connection, one traced attempt per address, under a deadline.

Why not `socket.create_connection`: it tries every address but keeps only the
last error, so "IPv6 unreachable, then IPv4 refused" is reported as "refused"
and the IPv6 half of the story is lost. A diagnosis needs every attempt: its
address, family, outcome and time. And every wait here is bounded twice, by the
per-operation timeout and by the caller's overall `Deadline`, so a dead
resolver or a filtered port can never stretch a session past its budget.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import threading
import time
from collections.abc import Callable, Sequence

from smtpkit.net.dns_status import NODATA, NXDOMAIN, OK, SERVFAIL, TIMEOUT
from smtpkit.progress import guard, join
from smtpkit.record import field, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:  # (net.dns is imported when a Resolver is used: an IP address needs none)
    from typing import Any, TypeVar

    from smtpkit.net.dns import DnsAnswer, Resolver

    T = TypeVar("T")


class Deadline:
    """An absolute point in monotonic time that every wait of a session or step respects.

    Per-operation timeouts alone do not bound a session: a server that answers
    each command just before the timeout (or drips one byte a second) would
    stretch it indefinitely. Every wait takes ``deadline.timeout(op_timeout)``,
    the smaller of its own timeout and what is left.
    """

    __slots__ = ("at", "budget")
    at: float
    budget: float | None

    def __init__(self, seconds: float | None = None, *, parent: Deadline | None = None) -> None:
        now = time.monotonic()
        at = now + seconds if seconds is not None else math.inf
        if parent is not None:
            at = min(at, parent.at)
        self.at = at
        self.budget = seconds

    def child(self, seconds: float | None) -> Deadline:
        """A tighter deadline for one step, never later than this one."""
        return Deadline(seconds, parent=self)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def timeout(self, op_timeout: float | None = None) -> float:
        """Seconds one operation may wait: its own timeout, cut to what is left of the deadline."""
        left = self.remaining()
        return left if op_timeout is None else min(float(op_timeout), left)

    def __float__(self) -> float:
        return self.at

    def __repr__(self) -> str:
        return f"Deadline(remaining={self.remaining():.3f}s)"


def run_bounded(fn: Callable[[], T], timeout: float) -> tuple[bool, T | None, BaseException | None]:
    """Run a blocking call that has no timeout of its own (getaddrinfo) in a daemon thread.

    Returns (finished, value, exception). When it does not finish in time we stop
    waiting and let the thread end on its own; the system resolver has its own
    retry limit, so the thread does not live forever.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="smtpkit-bounded", daemon=True)
    thread.start()
    join(thread, timeout)  # returns early when the check is cancelled
    if thread.is_alive():
        return False, None, None
    return True, box.get("value"), box.get("error")


# -- resolve -------------------------------------------------------------------------


@record()
class Resolution:
    """The addresses of a host, and how we learned them (or why we could not).

    `status` uses the resolver's words: ok, nxdomain, nodata, timeout, servfail,
    refused, error. `answers` keeps the A and AAAA answers for the explanation.
    """

    host: str
    status: str
    addresses: list[str] = field(default_factory=list)
    method: str = "dns"  # "literal", "dns" (our resolver) or "system" (getaddrinfo)
    answers: list[DnsAnswer] = field(default_factory=list)
    nameserver: str = ""
    error: str = ""
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == OK and bool(self.addresses)

    def rows(self) -> list[dict[str, Any]]:
        """One row per query, for the resolve step's table."""
        return [
            {
                "name": a.name,
                "type": a.rdtype,
                "status": a.status,
                "answers": ", ".join(a.texts) or "-",
                "nameserver": a.nameserver or "-",
                "ms": round(a.elapsed_ms, 1),
            }
            for a in self.answers
        ]


def _family(address: str) -> str:
    return "IPv6" if ipaddress.ip_address(address).version == 6 else "IPv4"


def _combine(a: DnsAnswer, aaaa: DnsAnswer) -> tuple[str, str]:
    """One status for a host from its A and AAAA answers, and the error to show."""
    if a.ok or aaaa.ok:
        return OK, ""
    statuses = {a.status, aaaa.status}
    if NXDOMAIN in statuses:
        return NXDOMAIN, a.error or aaaa.error
    if statuses == {NODATA}:
        return NODATA, ""
    if TIMEOUT in statuses:
        return TIMEOUT, (a.error if a.status == TIMEOUT else aaaa.error)
    if SERVFAIL in statuses:
        return SERVFAIL, a.error or aaaa.error or "the DNS server answered SERVFAIL"
    if NODATA in statuses:
        other = a if a.status != NODATA else aaaa
        return other.status, other.error
    return a.status, a.error or aaaa.error


def resolve_host(host: str, resolver: Resolver | None, deadline: Deadline, timeout: float) -> Resolution:
    """All A then AAAA addresses of `host` (an IP literal is returned as is).

    With a smtpkit `Resolver`, both queries go out in parallel and are logged;
    without one, the system resolver (getaddrinfo, which also reads /etc/hosts)
    is asked, bounded by a thread because getaddrinfo has no timeout.
    """
    start = time.monotonic()
    try:
        ipaddress.ip_address(host)
        literal = host
    except ValueError:
        literal = ""
    if literal:
        return Resolution(host, OK, [literal], method="literal")
    budget = deadline.timeout(timeout * 2.5)
    if resolver is not None:
        res = _resolve_dns(host, resolver, budget)
    else:
        res = _resolve_system(host, budget)
    res.elapsed_ms = (time.monotonic() - start) * 1000.0
    return res


def _resolve_dns(host: str, resolver: Resolver, budget: float) -> Resolution:
    from smtpkit.net.dns import DnsAnswer

    results: dict[str, DnsAnswer] = {}

    def ask(rdtype: str) -> None:
        results[rdtype] = resolver.resolve(host, rdtype)

    threads = [threading.Thread(target=ask, args=(t,), daemon=True, name=f"smtpkit-dns-{t}") for t in ("A", "AAAA")]
    end = time.monotonic() + budget
    for t in threads:
        t.start()
    for t in threads:
        join(t, end - time.monotonic())  # returns early when the check is cancelled
    late = f"no answer within {budget:.1f} s (the session's time limit)"
    a = results.get("A") or DnsAnswer(name=host, rdtype="A", status=TIMEOUT, error=late)
    aaaa = results.get("AAAA") or DnsAnswer(name=host, rdtype="AAAA", status=TIMEOUT, error=late)
    status, error = _combine(a, aaaa)
    addresses: list[str] = []
    for text in a.texts + aaaa.texts:
        if text not in addresses:
            addresses.append(text)
    nameserver = a.nameserver or aaaa.nameserver or ", ".join(str(n) for n in resolver.nameservers)
    return Resolution(host, status, addresses, method="dns", answers=[a, aaaa], nameserver=nameserver, error=error)


_EAI = {
    getattr(socket, "EAI_NONAME", -2): NXDOMAIN,
    getattr(socket, "EAI_NODATA", -5): NODATA,
    getattr(socket, "EAI_AGAIN", -3): TIMEOUT,
    getattr(socket, "EAI_FAIL", -4): SERVFAIL,
    getattr(socket, "EAI_ADDRFAMILY", -9): NODATA,
}


def _resolve_system(host: str, budget: float) -> Resolution:
    finished, infos, exc = run_bounded(lambda: socket.getaddrinfo(host, None, type=socket.SOCK_STREAM), budget)
    if not finished:
        return Resolution(
            host, TIMEOUT, method="system", error=f"the system resolver gave no answer within {budget:.1f} s"
        )
    if exc is not None:
        code = getattr(exc, "errno", None)
        status = _EAI.get(code, "error") if isinstance(exc, socket.gaierror) else "error"
        return Resolution(host, status, method="system", error=f"{exc}")
    addresses: list[str] = []
    v4 = [i[4][0] for i in infos or [] if i[0] == socket.AF_INET]
    v6 = [i[4][0] for i in infos or [] if i[0] == socket.AF_INET6]
    for found in v4 + v6:
        addr = str(found)
        addr = addr.split("%", 1)[0] if addr.startswith("fe80") else addr
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        return Resolution(host, NODATA, method="system", error="no IPv4 or IPv6 address")
    return Resolution(host, OK, addresses, method="system", nameserver="system resolver")


# -- connect -------------------------------------------------------------------------


@record()
class ConnectAttempt:
    """One address tried, as the operating system reported it.

    `outcome` is ok, failed or skipped (the session's time limit was used up
    before this address). A failed attempt keeps the raw facts: `timed_out`
    (our wait of `waited` seconds ran out), the `errno`, the exception's class
    name and the system's own words (`error`). What they mean (refused,
    unreachable, a reset) is `smtpkit.knowledge.socket_errors`' to say.
    """

    address: str
    port: int
    family: str
    outcome: str
    error: str = ""
    errno: int | None = None
    elapsed_ms: float = 0.0
    exception: str = ""
    timed_out: bool = False
    waited: float = 0.0


@record()
class Connection:
    """The outcome of trying every address: a connected socket (or None) and every attempt."""

    sock: socket.socket | None
    attempts: list[ConnectAttempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.sock is not None

    @property
    def address(self) -> str:
        for a in self.attempts:
            if a.outcome == "ok":
                return a.address
        return ""

    @property
    def failed(self) -> list[ConnectAttempt]:
        return [a for a in self.attempts if a.outcome != "ok"]


def open_socket(address: str, port: int, timeout: float) -> socket.socket:
    """Connect one TCP socket to `address` (an IP literal) or raise the OSError.

    IPv6 sockets are made IPV6_V6ONLY: an IPv4-mapped address (::ffff:a.b.c.d)
    in a AAAA record is a DNS mistake, and we want to report that the IPv6 path
    fails instead of silently taking the IPv4 path and mislabelling the attempt.
    """
    ip = ipaddress.ip_address(address)
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.settimeout(max(0.001, timeout))
        with guard(sock):  # a cancelled check shuts it down: connect returns at once
            sock.connect((address, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


def connect_addresses(addresses: Sequence[str], port: int, deadline: Deadline, timeout: float) -> Connection:
    """Try each address in order until one connects, each attempt bounded by timeout and deadline."""
    result = Connection(sock=None)
    for address in addresses:
        family = _family(address)
        wait = deadline.timeout(timeout)
        if wait <= 0:
            result.attempts.append(ConnectAttempt(address, port, family, "skipped"))
            continue
        start = time.monotonic()
        try:
            sock = open_socket(address, port, wait)
        except OSError as exc:
            result.attempts.append(
                ConnectAttempt(
                    address,
                    port,
                    family,
                    "failed",
                    exc.strerror or str(exc) or type(exc).__name__,
                    exc.errno,
                    (time.monotonic() - start) * 1000.0,
                    exception=type(exc).__name__,
                    timed_out=isinstance(exc, TimeoutError),
                    waited=wait,
                )
            )
            continue
        result.attempts.append(
            ConnectAttempt(address, port, family, "ok", "", None, (time.monotonic() - start) * 1000.0, waited=wait)
        )
        result.sock = sock
        break
    return result
