"""smtpkit.net.dns_mux: the audit's UDP transport and its two shortcuts past dnspython's slow paths.

`query_wire` must send exactly the bytes dnspython's renderer would, and
`negative_ttl` must give a negative answer the TTL dnspython's full parse
gives (`resolve_chaining`, RFC 2308 §5), or say "parse it in full". Both are
compared with dnspython on built messages, and `MuxResolver` with the plain
`Resolver` against the lab's real DNS server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import pytest

from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zones import healthy as zones_healthy
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Exchange, Nameserver, Resolver
from smtpkit.net.dns_mux import (
    MuxResolver,
    QueryLimit,
    UdpMux,
    negative_ttl,
    query_wire,
    response_ttl,
    without_plain_opt,
)

T = TypeVar("T")


@pytest.mark.parametrize(
    ("name", "rdtype", "edns", "dnssec"),
    [
        ("s1._domainkey.d123-healthy.test.", "TXT", True, False),
        (".", "NS", True, True),
        ("xn--bcher-kva.example.", "MX", True, False),
        ("a.b.", "AAAA", False, False),
        ("_dmarc.example.com.", "TXT", 0, True),
        ("1.0.0.127.in-addr.arpa.", "PTR", True, False),
    ],
)
def test_query_wire_is_what_dnspython_renders(name: str, rdtype: str, edns: bool | int, dnssec: bool) -> None:
    for _ in range(20):  # random IDs, so every header byte is exercised
        q = dns.message.make_query(name, rdtype, use_edns=edns, want_dnssec=dnssec)
        q.flags |= dns.flags.RD | (dns.flags.AD if dnssec else 0)
        assert query_wire(q) == q.to_wire()


def test_query_wire_leaves_anything_unusual_to_dnspython() -> None:
    import dns.edns

    q = dns.message.make_query("example.com.", "A", use_edns=0, options=[dns.edns.GenericOption(65001, b"xy")])
    assert query_wire(q) == q.to_wire()
    q = dns.message.make_query("example.com.", "A", use_edns=0, payload=4096)
    assert query_wire(q) == q.to_wire()


def _response(rcode: int, authority: list[str], answer: list[str] | None = None, *, edns: bool = True) -> bytes:
    q = dns.message.make_query("x._domainkey.d1.example.", "TXT", use_edns=edns)
    r = dns.message.make_response(q)
    r.set_rcode(dns.rcode.Rcode(rcode))
    for text in answer or []:
        r.answer.append(dns.rrset.from_text(*text.split(" ", 4)))
    for text in authority:
        r.authority.append(dns.rrset.from_text(*text.split(" ", 4)))
    return r.to_wire()


def _dnspython_ttl(wire: bytes) -> int:
    return int(dns.message.from_wire(wire).resolve_chaining().minimum_ttl)  # type: ignore[attr-defined]


SOA = "SOA ns.d1.example. host.d1.example. 1 7200 900 1209600"


@pytest.mark.parametrize(
    "authority",
    [
        [f"d1.example. 3600 IN {SOA} 60"],  # MINIMUM is less than the TTL
        [f"d1.example. 30 IN {SOA} 600"],  # the TTL is less than MINIMUM
        [f"example. 100 IN {SOA} 900", f"d1.example. 3600 IN {SOA} 45"],  # the closest enclosing zone's SOA
        [f"other.example. 10 IN {SOA} 10"],  # not an enclosing zone: as if there were no SOA
        [],  # no SOA at all: dnspython's 300 s
        ["d1.example. 20 IN NS ns.d1.example."],
    ],
)
@pytest.mark.parametrize("rcode", [dns.rcode.NXDOMAIN, dns.rcode.NOERROR])
@pytest.mark.parametrize("edns", [True, False])
def test_negative_ttl_is_dnspythons(authority: list[str], rcode: int, edns: bool) -> None:
    wire = _response(rcode, authority, edns=edns)
    assert negative_ttl(wire) == _dnspython_ttl(wire)


def test_negative_ttl_declines_what_is_not_a_plain_negative_answer() -> None:
    positive = _response(dns.rcode.NOERROR, [], ["x._domainkey.d1.example. 300 IN TXT v=DKIM1"])
    assert negative_ttl(positive) is None
    assert negative_ttl(_response(dns.rcode.SERVFAIL, [])) is None
    nx = _response(dns.rcode.NXDOMAIN, [f"d1.example. 3600 IN {SOA} 60"])
    assert negative_ttl(nx[:-5]) is None  # cut short inside the authority section
    assert negative_ttl(nx[:11]) is None
    looped = bytearray(nx)
    start = 12 + len(dns.name.from_text("x._domainkey.d1.example.").to_wire()) + 4  # after the question
    assert looped[start] & 0xC0 == 0xC0  # the SOA's owner is a compression pointer
    looped[start : start + 2] = (0xC000 | start).to_bytes(2, "big")  # the SOA's owner points at itself
    assert negative_ttl(bytes(looped)) is None
    with pytest.raises(dns.exception.FormError):
        dns.message.from_wire(bytes(looped))  # what the full parse, which gets it instead, says
    assert negative_ttl(nx + b"junk") is None
    not_soa = _response(dns.rcode.NXDOMAIN, ["d1.example. 3600 IN TXT short"], edns=False)
    assert negative_ttl(not_soa) == 300  # a TXT in the authority section is no SOA
    extended = bytearray(nx)
    extended[-6] = 1  # the OPT's extended RCODE bits: BADVERS and the like, not NXDOMAIN
    assert negative_ttl(bytes(extended)) is None


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    extra = [
        Record("alias.mux.test", "CNAME", "nowhere.mux.test"),
        Record("txt.mux.test", "TXT", "hello"),
        Record("mux.test", "SOA", "ns.mux.test. host.mux.test. 1 7200 900 1209600 42", 3600),  # negative TTL 42
    ]
    with DnsServer(ZoneSet([*zones_healthy.records("127.0.0.1"), *extra])) as srv:
        yield srv


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [
        ("nosuch.smtpkit.test", "A"),  # NXDOMAIN
        ("smtpkit.test", "SPF"),  # NODATA
        ("nosuch._domainkey.smtpkit.test", "TXT"),
        ("alias.mux.test", "A"),  # an alias to a missing name: NXDOMAIN with the CNAME kept
        ("txt.mux.test", "TXT"),
        ("nosuch.mux.test", "TXT"),  # a zone whose SOA says 42 s, not the usual 300
        ("smtpkit.test", "MX"),
        ("_dmarc.smtpkit.test", "TXT"),
    ],
)
def test_mux_answers_as_the_plain_resolver_does(server: DnsServer, name: str, rdtype: str) -> None:
    plain = Resolver([server.nameserver], timeout=2.0).resolve(name, rdtype)

    async def ask() -> object:
        mux = MuxResolver([server.nameserver], timeout=2.0)
        try:
            return await mux.aresolve(name, rdtype)
        finally:
            mux.close()

    fast = asyncio.run(ask())
    for field in ("status", "rcode", "ttl", "texts", "cnames", "canonical_name", "error"):
        assert getattr(fast, field) == getattr(plain, field), field


def _parsed_equal(a: dns.message.Message, b: dns.message.Message) -> bool:
    return (a.id, a.flags, a.rcode(), a.question, a.answer, a.authority) == (
        b.id,
        b.flags,
        b.rcode(),
        b.question,
        b.answer,
        b.authority,
    )


@pytest.mark.parametrize("rcode", [dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL])
def test_a_plain_opt_record_is_cut_and_the_rest_reads_the_same(rcode: int) -> None:
    answer = ["x._domainkey.d1.example. 300 IN TXT " + '"v=DKIM1; p=' + "A" * 200 + '" "' + "B" * 100 + '"']
    wire = _response(rcode, [f"d1.example. 3600 IN {SOA} 60"], answer if rcode == dns.rcode.NOERROR else [])
    cut = without_plain_opt(wire)
    assert cut is not None and len(cut) == len(wire) - 11
    assert _parsed_equal(dns.message.from_wire(cut), dns.message.from_wire(wire))


def test_an_opt_record_that_says_something_is_kept() -> None:
    import dns.edns

    q = dns.message.make_query("x._domainkey.d1.example.", "TXT", use_edns=0)
    r = dns.message.make_response(q)
    r.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(15, b"\x00\x12")])  # an Extended DNS Error
    assert without_plain_opt(r.to_wire()) is None
    r.use_edns(0, dns.flags.DO, 1232)
    assert without_plain_opt(r.to_wire()) is None
    r.use_edns(False)
    assert without_plain_opt(r.to_wire()) is None  # no OPT record at all
    r.use_edns(0, 0, 1232)
    wire = r.to_wire()
    assert without_plain_opt(wire) is not None
    assert without_plain_opt(wire + b"\x00") is None  # trailing bytes: the full parse decides
    assert without_plain_opt(wire[:-1]) is None
    assert without_plain_opt(wire[:12]) is None


def test_a_kept_reply_lives_as_long_as_its_soa_says(server: DnsServer) -> None:
    """The audit keeps raw replies (CNAME chases) for `response_ttl`: a quickly read negative answer must
    live its SOA's negative TTL, as the fully parsed one does, not dnspython's 300 s for "no SOA"."""

    async def reply(name: str) -> object:
        mux = MuxResolver([server.nameserver], timeout=2.0)
        try:
            q = dns.message.make_query(name + ".", "A", use_edns=True)
            q.flags |= dns.flags.RD
            return await mux._areply(Exchange(q, mux.nameservers[0], 2.0, time.monotonic() + 5))
        finally:
            mux.close()

    quick = asyncio.run(reply("nosuch.mux.test"))
    assert isinstance(quick, tuple)
    plain = Resolver([server.nameserver], timeout=2.0).resolve("nosuch.mux.test", "A")
    assert plain.ttl == 42
    assert response_ttl(quick[0]) == plain.ttl
    positive = asyncio.run(reply("smtpkit.test"))
    assert (
        isinstance(positive, tuple)
        and response_ttl(positive[0]) == Resolver([server.nameserver]).resolve("smtpkit.test", "A").ttl
    )


def test_answers_that_arrive_together_on_one_socket_are_read_together() -> None:
    """A resolver answers in bursts. Ten answers waiting on the mux's one socket are all read in the same turn
    of the event loop, not one a turn (asyncio's datagram transport reads one per turn: on a busy loop each
    waited another few milliseconds, holding its question's place in the audit's query limit)."""
    import socket
    import threading

    from smtpkit.net.dns import Nameserver
    from smtpkit.net.dns_mux import UdpMux

    resolver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    resolver.bind(("127.0.0.1", 0))
    resolver.settimeout(10)

    def answer_all_at_once(n: int) -> None:
        asked = [resolver.recvfrom(512) for _ in range(n)]  # every question first, then every answer
        for wire, peer in asked:
            resolver.sendto(dns.message.make_response(dns.message.from_wire(wire)).to_wire(), peer)

    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        turns = [0]

        def tick() -> None:
            turns[0] += 1
            loop.call_soon(tick)

        tick()
        mux = UdpMux(sockets=1)
        ns = Nameserver.parse(f"127.0.0.1:{resolver.getsockname()[1]}")
        read_in_turn: list[int] = []
        try:
            questions = [dns.message.make_query(f"q{i}.example.", "A") for i in range(10)]
            await mux.exchange(dns.message.make_query("warm.example.", "A"), ns, 5.0)  # the socket is open
            sent = [asyncio.ensure_future(mux.exchange(q, ns, 5.0)) for q in questions]
            for future in sent:
                future.add_done_callback(lambda _f: read_in_turn.append(turns[0]))
            loop.call_soon(time.sleep, 0.5)  # a busy loop: every answer is in before it looks again
            await asyncio.gather(*sent)
        finally:
            mux.close()
        return read_in_turn

    server = threading.Thread(target=lambda: (answer_all_at_once(1), answer_all_at_once(10)), daemon=True)
    server.start()
    try:
        read_in_turn = asyncio.run(main())
    finally:
        server.join(10)
        resolver.close()
    assert len(read_in_turn) == 10 and max(read_in_turn) - min(read_in_turn) == 0, read_in_turn


class _HeldResolver:
    """A UDP resolver on loopback that answers each question only when the test lets it (`answer(i)`), and says
    when each question arrived (`arrived`); `serve` runs a test's coroutine against it, through a mux of one
    socket that keeps to a limit of one query at a time."""

    def __init__(self) -> None:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.questions: list[tuple[bytes, Any]] = []
        self.arrived = threading.Semaphore(0)

    def answer(self, i: int) -> None:
        wire, peer = self.questions[i]
        self.sock.sendto(dns.message.make_response(dns.message.from_wire(wire)).to_wire(), peer)

    def _receive(self, n: int) -> None:
        for _ in range(n):
            self.questions.append(self.sock.recvfrom(512))
            self.arrived.release()

    def serve(self, questions: int, main: Callable[[UdpMux, QueryLimit, Nameserver], Awaitable[T]]) -> T:
        server = threading.Thread(target=self._receive, args=(questions,), daemon=True)
        server.start()

        async def run() -> T:
            limit = QueryLimit(1)
            mux = UdpMux(sockets=1, limit=limit)
            try:
                return await main(mux, limit, Nameserver.parse(f"127.0.0.1:{self.sock.getsockname()[1]}"))
            finally:
                mux.close()

        try:
            return asyncio.run(run())
        finally:
            server.join(10)
            self.sock.close()


def test_a_query_limits_place_is_free_once_the_answer_is_read_and_answers_waiting_are_read_when_full() -> None:
    """The audit's query_limit counts queries waiting at the resolver. An answer that has arrived frees its
    place the moment it is read, before its asker runs again; and a query finding every place taken first reads
    the answers already waiting on the sockets (a busy loop would look at them only after all else ready), so
    the place of an answer that came in meanwhile is free for it at once."""
    resolver = _HeldResolver()

    async def main(mux: UdpMux, limit: QueryLimit, ns: Nameserver) -> list[str]:
        seen: list[str] = []
        first = asyncio.ensure_future(mux.exchange(dns.message.make_query("a.example.", "A"), ns, 5.0))
        assert await asyncio.to_thread(resolver.arrived.acquire, True, 5)
        assert limit.full()
        resolver.answer(0)
        time.sleep(0.3)  # a busy loop: the answer waits on the socket, unread
        seen.append(f"full before the second asks: {limit.full()}")
        second = asyncio.ensure_future(mux.exchange(dns.message.make_query("b.example.", "A"), ns, 5.0))
        await asyncio.sleep(0)  # the second runs before the loop's own read of the socket
        # the loop held here: the second's question reaches the server only if it was sent already
        seen.append(f"second sent in its first step: {resolver.arrived.acquire(timeout=1)}")
        resolver.answer(1)
        await asyncio.gather(first, second)
        seen.append(f"waits: {limit.waits}")
        seen.append(f"full at the end: {limit.full()}")
        return seen

    assert resolver.serve(2, main) == [
        "full before the second asks: True",
        "second sent in its first step: True",
        "waits: 0",  # it found the place free once it had read the answer waiting
        "full at the end: False",
    ]


def test_a_place_given_back_goes_straight_to_the_query_waiting_for_it() -> None:
    """A query that waits for a place is sent by whoever gives one back, at that moment (the answer read), not
    once the asker of the answer, then its own task, have next run. A query whose asker stops waiting is passed
    over, and every place comes back."""
    resolver = _HeldResolver()

    async def main(mux: UdpMux, limit: QueryLimit, ns: Nameserver) -> list[str]:
        events: list[str] = []

        async def ask(name: str) -> None:
            await mux.exchange(dns.message.make_query(f"{name}.example.", "A"), ns, 5.0)
            if name == "a":  # the loop held here: b's question reaches the server only if already sent
                events.append(f"b sent before a is back: {resolver.arrived.acquire(timeout=1)}")

        first = asyncio.ensure_future(ask("a"))
        assert await asyncio.to_thread(resolver.arrived.acquire, True, 5)
        gone = asyncio.ensure_future(ask("gone"))  # waits for the place, then stops waiting
        second = asyncio.ensure_future(ask("b"))  # waits for the place
        await asyncio.sleep(0.05)
        assert limit.full() and len(resolver.questions) == 1
        gone.cancel()
        resolver.answer(0)
        await first
        resolver.answer(1)
        await second
        with pytest.raises(asyncio.CancelledError):
            await gone
        events.append(f"waited {limit.waits}, full {limit.full()}")
        return events

    assert resolver.serve(2, main) == ["b sent before a is back: True", "waited 1, full False"]
    assert len(resolver.questions) == 2  # the query whose asker left was never sent


def test_a_query_that_times_out_gives_its_place_to_the_next() -> None:
    """A place held by a query that is never answered comes back at its timeout, to the query waiting."""
    resolver = _HeldResolver()

    async def main(mux: UdpMux, limit: QueryLimit, ns: Nameserver) -> tuple[str, float]:
        silent = asyncio.ensure_future(mux.exchange(dns.message.make_query("a.example.", "A"), ns, 0.3))
        assert await asyncio.to_thread(resolver.arrived.acquire, True, 5)
        nxt = asyncio.ensure_future(mux.exchange(dns.message.make_query("b.example.", "A"), ns, 5.0))
        assert await asyncio.to_thread(resolver.arrived.acquire, True, 5)  # sent once the first timed out
        resolver.answer(1)
        await nxt
        with pytest.raises(TimeoutError):
            await silent
        return f"waits {limit.waits}, full {limit.full()}", limit.wait_seconds

    said, waited = resolver.serve(2, main)
    assert said == "waits 1, full False"
    assert 0.1 < waited < 2.0
