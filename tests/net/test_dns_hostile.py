"""The Resolver against a hostile DNS server on loopback that sends whatever we script.

The lab's DNS server is well-behaved by design; this one is not: corrupted and
truncated answers, answers to another question, endless CNAME chains, a UDP
answer marked truncated just before the timeout followed by a TCP server that
never answers, TCP length prefixes that lie. `resolve()` and `aresolve()` must
never raise for any of it and must return within the resolver's lifetime.
"""

from __future__ import annotations

import asyncio
import random
import select
import socket
import threading
import time
from collections.abc import Callable

import dns.flags
import dns.message
import dns.rrset
import pytest

from smtpkit.net.dns import ERROR, NODATA, OK, TIMEOUT, Resolver

Handler = Callable[[dns.message.Message], "bytes | None"]


class HostileDns:
    """UDP and TCP on one loopback port; `udp(query)` returns the datagram to send (or None)."""

    def __init__(self, udp: Handler, tcp: Callable[[socket.socket], None] | None = None) -> None:
        self.udp_handler, self.tcp_handler = udp, tcp
        # UDP picks a free port; TCP must get the same number, which another process may hold: retry.
        for _attempt in range(50):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.tcp.close()
                self.udp.close()
        else:  # pragma: no cover - 50 taken ports in a row
            raise OSError("no loopback port free for both UDP and TCP")
        self.tcp.listen(8)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _loop(self) -> None:
        while not self.stopping.is_set():
            ready, _, _ = select.select([self.udp, self.tcp], [], [], 0.05)
            for sock in ready:
                if sock is self.udp:
                    data, peer = self.udp.recvfrom(65535)
                    out = self.udp_handler(dns.message.from_wire(data))
                    if out:
                        self.udp.sendto(out, peer)
                else:
                    conn, _ = self.tcp.accept()
                    conn.settimeout(5)
                    threading.Thread(target=self._tcp, args=(conn,), daemon=True).start()

    def _tcp(self, conn: socket.socket) -> None:
        try:
            if self.tcp_handler is not None:
                self.tcp_handler(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(2)
        self.udp.close()
        self.tcp.close()


def _answer(q: dns.message.Message, *rrs: tuple[str, str]) -> dns.message.Message:
    r = dns.message.make_response(q)
    for rdtype, text in rrs:
        r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", rdtype, text))
    return r


def _truncated(q: dns.message.Message) -> bytes:
    r = dns.message.make_response(q)
    r.flags |= dns.flags.TC
    return r.to_wire()


def _stall(conn: socket.socket) -> None:
    time.sleep(5)


@pytest.fixture()
def hostile():
    servers: list[HostileDns] = []

    def start(udp: Handler, tcp: Callable[[socket.socket], None] | None = None) -> HostileDns:
        srv = HostileDns(udp, tcp)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.close()


def test_corrupted_answers_never_raise(hostile) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7208)

    def corrupt(q: dns.message.Message) -> bytes:
        wire = bytearray(_answer(q, ("TXT", '"v=spf1 -all"'), ("MX", "10 mx.evil.test.")).to_wire())
        for _ in range(rng.randint(1, 6)):
            wire[rng.randrange(2, len(wire))] = rng.randrange(256)  # keep the id: dnspython must parse it
        if rng.random() < 0.3:
            wire = wire[: rng.randrange(12, len(wire))]
        return bytes(wire)

    srv = hostile(corrupt)
    r = Resolver([srv.nameserver], timeout=0.3, lifetime=0.6, retries=0)
    statuses = set()
    for i in range(400):
        ans = r.resolve("x.evil.test", ["TXT", "MX", "A", "ANY", "PTR"][i % 5])
        statuses.add(ans.status)
        assert all(isinstance(t, str) for t in ans.texts)
    assert ERROR in statuses

    async def many() -> set[str]:
        return {(await r.aresolve("x.evil.test", "TXT")).status for _ in range(100)}

    assert ERROR in asyncio.run(many())


def test_answers_to_another_question_are_errors(hostile) -> None:  # type: ignore[no-untyped-def]
    def other(q: dns.message.Message) -> bytes:
        decoy = dns.message.make_query("victim.test", "A")
        decoy.id = q.id
        return _answer(decoy, ("A", "192.0.2.66")).to_wire()

    ans = Resolver([hostile(other).nameserver], timeout=0.5, retries=0).resolve("x.evil.test", "A")
    assert ans.status == ERROR and "192.0.2.66" not in ans.texts


def test_endless_cname_chase_is_bounded(hostile) -> None:  # type: ignore[no-untyped-def]
    counter = iter(range(10**6))

    def chain(q: dns.message.Message) -> bytes:
        return _answer(q, ("CNAME", f"hop{next(counter)}.evil.test.")).to_wire()

    srv = hostile(chain)
    r = Resolver([srv.nameserver], timeout=0.5)
    started = time.monotonic()
    ans = r.resolve("start.evil.test", "TXT")
    assert time.monotonic() - started < 2
    assert ans.status == NODATA and 1 < len(ans.cnames) <= 16


@pytest.mark.parametrize("use_async", [False, True])
def test_truncated_answer_then_silent_tcp_stays_within_the_lifetime(hostile, use_async: bool) -> None:  # type: ignore[no-untyped-def]
    def late_truncated(q: dns.message.Message) -> bytes:
        time.sleep(0.6)  # just before the 0.8 s timeout
        return _truncated(q)

    srv = hostile(late_truncated, _stall)
    r = Resolver([srv.nameserver], timeout=0.8, lifetime=0.8)
    started = time.monotonic()
    ans = asyncio.run(r.aresolve("x.evil.test", "TXT")) if use_async else r.resolve("x.evil.test", "TXT")
    took = time.monotonic() - started
    assert ans.status == TIMEOUT
    assert took < 1.1, f"one lookup took {took:.2f}s with a lifetime of 0.8s"


@pytest.mark.parametrize(
    "tcp",
    [
        lambda c: (c.recv(512), c.sendall(b"\xff\xff" + b"\x00" * 10)),  # promises 64 KB, sends 10 bytes, hangs up
        lambda c: (c.recv(512), c.sendall(b"\x00\x00"), time.sleep(2)),  # a zero-length message
        lambda c: (c.recv(512), [(c.send(b"\x00"), time.sleep(0.2)) for _ in range(20)]),  # drips
    ],
    ids=["short", "empty", "drip"],
)
def test_lying_tcp_length_prefixes_are_errors_not_hangs(hostile, tcp) -> None:  # type: ignore[no-untyped-def]
    srv = hostile(_truncated, tcp)
    r = Resolver([srv.nameserver], timeout=1.0, lifetime=1.5, retries=0)
    started = time.monotonic()
    ans = r.resolve("x.evil.test", "TXT")
    assert ans.status in (ERROR, TIMEOUT) and time.monotonic() - started < 2.0
    assert asyncio.run(r.aresolve("x.evil.test", "TXT")).status in (ERROR, TIMEOUT)


def test_binary_and_markup_txt_data_arrives_as_text(hostile) -> None:  # type: ignore[no-untyped-def]
    srv = hostile(lambda q: _answer(q, ("TXT", r'"v=spf1 \027[2J<script>x</script> \000 \255 -all"')).to_wire())
    ans = Resolver([srv.nameserver], timeout=1.0).resolve("x.evil.test", "TXT")
    assert ans.status == OK and ans.texts[0].startswith("v=spf1 \x1b[2J<script>")  # raw data; views escape it


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 0, -1])
def test_timeouts_that_could_hang_forever_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="timeout must be positive"):
        Resolver(["127.0.0.1:53"], timeout=value)
    with pytest.raises(ValueError, match="lifetime must be positive"):
        Resolver(["127.0.0.1:53"], timeout=1.0, lifetime=value)
