"""Thousands of DNS queries in flight over a few UDP sockets of one event loop: the audit's transport.

`Resolver.resolve()` opens a socket, waits on it and closes it for every
question, and its asyncio twin builds a datagram endpoint per question; that
is right for one check, but an audit asks thousands of questions a second, and
then the sockets, the endpoints and the threads waiting on them cost more
than the DNS itself. `UdpMux` keeps a few UDP endpoints open on the running
event loop (each on its own random source port) and hands every response to
the question waiting for it. A response is accepted only from the server
asked, on the socket asked from, with the ID sent there (IDs are unique per
socket among the questions in flight) and the question asked (dnspython's
`is_response`), so the usual protection against spoofed answers holds: a
random 16-bit ID times a random choice among the sockets' random ports.
Every answer waiting on a socket is read at once, not one per turn of the
event loop as asyncio's datagram transport would (`_Endpoint`).

A mux may keep to a `QueryLimit`: at most so many queries waiting at the
resolver at once (the audit's `query_limit`, polite to a resolver one
shares). A query takes a place before it is sent and gives it back the moment
its answer is read off the socket, or it times out: an answer that has
arrived is no longer the resolver's work. And when every place is taken, the
asker first reads the answers already waiting on the mux's sockets: a busy
loop looks at its sockets once per turn, after every callback ready before,
and with places held until the asker of each answer had run, a question held
its place 37 ms for a resolver answering in 20 ms, and 100 places let no runner
past about 220 domains a second.

`MuxResolver` is a `Resolver` (the same plan: servers, retries, deadline,
CNAME chase, outcome words) whose `aresolve` sends UDP through the mux of the
running loop; truncated answers are retried over TCP as usual. Its blocking
`resolve` is the plain `Resolver`'s.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import random
import socket
import struct
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.wire

from smtpkit.net.dns import NODATA, NXDOMAIN, DnsAnswer, Exchange, Nameserver, Reply, Resolver

__all__ = ["MuxResolver", "QueryLimit", "UdpMux", "negative_ttl", "query_wire", "response_ttl", "without_plain_opt"]

_MAX_IDS = 64  # attempts to find an ID not in flight on the chosen socket
_DRAIN = 64  # datagrams read from one socket at a time, at most (then the loop's other work gets its turn)
_MAX_DATAGRAM = 65535
_OPT = 41  # the EDNS pseudo-RR type (RFC 6891 §6.1.2)


def query_wire(query: dns.message.Message) -> bytes:
    """The wire form of a plain query: what `query.to_wire()` returns, a good deal cheaper.

    An audit sends thousands of questions a second, and dnspython's renderer
    (name compression, per-section bookkeeping) costs as much as parsing the
    answer. A question the resolver builds (one question, no other records,
    EDNS without options or none) is laid out here directly: the 12-byte
    header, the name, type and class, and the OPT record (RFC 1035 §4.1,
    RFC 6891 §6.1). Anything else goes to dnspython; a test compares the two.
    """
    if (
        len(query.question) != 1
        or query.answer
        or query.authority
        or query.additional
        or query.options
        or query.tsig is not None
        or query.had_tsig
    ):
        return query.to_wire()
    q = query.question[0]
    edns = query.edns >= 0
    out = struct.pack("!HHHHHH", query.id, int(query.flags), 1, 0, 0, 1 if edns else 0)
    out += q.name.to_wire() + struct.pack("!HH", int(q.rdtype), int(q.rdclass))  # type: ignore[operator]
    if edns:
        ttl = (int(query.ednsflags) & 0xFF00FFFF) | (int(query.edns) << 16)
        out += b"\x00" + struct.pack("!HHIH", _OPT, int(query.payload), ttl, 0)
    return out


def negative_ttl(wire: bytes) -> int | None:
    """How long a negative answer may be cached, read from its raw bytes; None: parse it in full instead.

    An answer with no data (NXDOMAIN, or NOERROR with an empty answer
    section) matters to a lookup for its status and for its negative TTL
    (RFC 2308 §5: the SOA's TTL or MINIMUM, whichever is less, the SOA being
    the closest enclosing zone's; dnspython's `resolve_chaining` rule, with
    its 300 s when there is no SOA). dnspython builds every record of the
    authority section and the EDNS OPT record to say that, which costs more
    than parsing a typical positive answer; an audit gets thousands of
    negative answers a second. So only the owners of the records are read
    here (with dnspython's name reader: compression pointers checked), the
    SOAs' TTL and MINIMUM taken, the rest of each record skipped by its
    length, and the message must end where its last record does. Anything
    unexpected (an extended RCODE too) returns None.
    Answers asked with `want_dnssec` are always parsed in full: validation
    reads the proofs in the authority section.
    """
    if len(wire) < 12 or wire[6:8] != b"\x00\x00" or wire[3] & 0x0F not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    qdcount, _ancount, nscount, arcount = struct.unpack("!HHHH", wire[4:12])
    if qdcount != 1:
        return None
    try:
        parser = dns.wire.Parser(wire, 12)
        qname = dns.name.from_wire_parser(parser)
        parser.get_struct("!HH")
        best: tuple[int, int] | None = None  # (labels of the SOA's owner, negative TTL)
        for index in range(nscount + arcount):
            owner = dns.name.from_wire_parser(parser)
            rdtype, _rdclass, ttl, rdlen = parser.get_struct("!HHIH")
            rdata = parser.get_bytes(rdlen)
            if rdtype == _OPT and ttl >> 24:
                return None  # an extended RCODE (RFC 6891 §6.1.3): not a plain negative answer
            if index >= nscount or rdtype != dns.rdatatype.SOA or not qname.is_subdomain(owner):
                continue
            if len(rdata) < 22:
                return None
            minimum = int.from_bytes(rdata[-4:], "big")  # after MNAME, RNAME and four other 32-bit fields
            if best is None or len(owner) > best[0]:
                best = (len(owner), min(ttl, minimum))
        if parser.remaining():
            return None  # trailing bytes: dnspython refuses such a message, and so will the full parse
    except (dns.exception.DNSException, ValueError, IndexError, struct.error):
        return None
    return _NO_SOA_TTL if best is None else best[1]


def _skip_name(wire: bytes, pos: int) -> int:
    """Where the name starting at `pos` ends (a compression pointer ends it; nothing is followed)."""
    while True:
        length = wire[pos]  # an IndexError past the end: the caller gives up
        if length == 0:
            return pos + 1
        if length & 0xC0 == 0xC0:
            return pos + 2
        if length & 0xC0:
            raise ValueError("not a label length")
        pos += 1 + length


def without_plain_opt(wire: bytes) -> bytes | None:
    """The answer without its EDNS OPT record when that record says nothing (None: keep it as it is).

    Every answer to an EDNS query ends with an OPT record (RFC 6891 §6.1),
    and dnspython builds it into objects on every parse, at about the cost of
    a TXT record. A lookup reads nothing from it when it is plain: last in the
    message, owned by the root, no options, no extended RCODE, version 0, no
    flags. Then it is cut off (ARCOUNT one less) before dnspython parses the
    rest; otherwise the answer is parsed whole. The records are walked by
    their lengths only, so the cut falls exactly on the OPT record's start.
    """
    if len(wire) < 12:
        return None
    qdcount, ancount, nscount, arcount = struct.unpack("!HHHH", wire[4:12])
    if arcount == 0:
        return None
    try:
        pos = 12
        for _ in range(qdcount):
            pos = _skip_name(wire, pos) + 4
        start = pos
        for _ in range(ancount + nscount + arcount):
            start = pos
            pos = _skip_name(wire, pos)
            _rdtype, _rdclass, _ttl, rdlen = struct.unpack("!HHIH", wire[pos : pos + 10])
            pos += 10 + rdlen
    except (IndexError, ValueError, struct.error):
        return None
    if pos != len(wire) or wire[start:] != b"\x00" + _OPT.to_bytes(2, "big") + wire[start + 3 : start + 5] + bytes(6):
        return None
    return wire[:10] + (int(arcount) - 1).to_bytes(2, "big") + wire[12:start]


def response_ttl(response: dns.message.Message) -> float:
    """How long a parsed response may be kept (RFC 2181 §8, RFC 2308 §5); 0 when it cannot be told.

    A negative answer read by `negative_ttl` carries the TTL read from its SOA
    (its authority section was never built); any other answer gets
    dnspython's chain minimum.
    """
    ttl = getattr(response, _NEGATIVE_TTL, None)
    if ttl is not None:
        return float(ttl)
    try:
        return float(response.resolve_chaining().minimum_ttl)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - an answer we cannot read the TTL of is simply not kept
        return 0.0


_NO_SOA_TTL = int(dns.message.NEGATIVE_TTL_WITHOUT_SOA)
_NEGATIVE_TTL = "smtpkit_negative_ttl"  # set on a message parsed without its authority section


class QueryLimit:
    """At most `places` queries of a mux waiting at the resolver at once, and what that cost (see the module
    docstring): how many queries waited for a place and how long together, and how long places were held.

    A query that finds no place free is queued, and sent by whoever gives a place back, in turn, at that moment
    (the answer read, or a timeout): the place passes straight to it, not idle until its asker's task next runs.
    """

    def __init__(self, places: int) -> None:
        self.places = max(1, int(places))
        self._free = self.places
        self._queued: collections.deque[tuple[float, _Waiter]] = collections.deque()
        self.sent = 0  # queries given a place (each attempt: a retry, an alias chased, TCP after truncation)
        self.waits = 0  # of those, how many waited for it
        self.wait_seconds = 0.0
        self.held_seconds = 0.0

    def full(self) -> bool:
        """Every place is taken (a query sent now would wait for one)."""
        return self._free <= 0

    def ask(self, waiter: _Waiter) -> None:
        """Give `waiter` a place now if one is free, else when one is given back, in turn."""
        if self._free > 0:
            self._free -= 1
            self.sent += 1
            waiter.placed(self, time.monotonic())
        else:
            self._queued.append((time.monotonic(), waiter))

    def give_back(self, placed: float) -> None:
        """A place taken at `placed` is free: the next query still waiting (if any) has it at once."""
        now = time.monotonic()
        self.held_seconds += now - placed
        while self._queued:
            queued, waiter = self._queued.popleft()
            if waiter.gone():
                continue  # its asker stopped waiting (cancelled, or past its deadline)
            self.sent += 1
            self.waits += 1
            self.wait_seconds += now - queued
            waiter.placed(self, now)
            return
        self._free += 1

    @contextlib.asynccontextmanager
    async def place(self) -> AsyncIterator[None]:
        """One place, for as long as the block runs: for a query sent outside the mux (TCP, a truncated answer)."""
        waiter = _Place(asyncio.get_running_loop().create_future())
        self.ask(waiter)
        try:
            placed = await waiter.future
        except BaseException:
            if waiter.future.done() and not waiter.future.cancelled():
                self.give_back(waiter.future.result())  # given a place just as its asker was cancelled
            waiter.future.cancel()
            raise
        try:
            yield
        finally:
            self.give_back(placed)


class _Waiter(Protocol):
    """What waits for a place of a `QueryLimit`."""

    def placed(self, limit: QueryLimit, placed: float) -> None:
        """It has a place, taken at `placed`."""

    def gone(self) -> bool:
        """Its asker no longer waits: the place goes to the next."""


class _Place:
    def __init__(self, future: asyncio.Future[float]) -> None:
        self.future = future

    def placed(self, limit: QueryLimit, placed: float) -> None:
        self.future.set_result(placed)

    def gone(self) -> bool:
        return self.future.done()


class _Asked:
    """One query: the future its answer goes to, the server asked, and (once sent) its place, given back once,
    when the answer is read, it times out, or its asker stops waiting."""

    def __init__(
        self,
        future: asyncio.Future[bytes],
        server: tuple[str, int],
        transport: asyncio.DatagramTransport,
        wire: bytes,
        timeout: float,
    ) -> None:
        self.future, self.server, self._transport, self._wire, self._timeout = future, server, transport, wire, timeout
        self._limit: QueryLimit | None = None
        self._placed = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def placed(self, limit: QueryLimit | None, placed: float) -> None:
        """Send it now (its place taken at `placed`); its timeout runs from now."""
        self._limit, self._placed = limit, placed
        self._timer = self.future.get_loop().call_later(self._timeout, self._expire)
        try:
            self._transport.sendto(self._wire, self.server)
        except Exception as exc:  # noqa: BLE001 - a transport closed under it: the asker gets the error
            self.future.set_exception(exc)
            self.settle()

    def gone(self) -> bool:
        return self.future.done()

    def answered(self, data: bytes) -> None:
        self.future.set_result(data)
        self.settle()  # its place is free before its asker next runs

    def _expire(self) -> None:
        if not self.future.done():
            self.future.set_exception(TimeoutError(f"no answer within {self._timeout:.1f}s"))
        self.settle()

    def settle(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        limit, self._limit = self._limit, None
        if limit is not None:
            limit.give_back(self._placed)


class _Endpoint(asyncio.DatagramProtocol):
    """One UDP socket of the mux: matches each datagram with the question waiting for it.

    Every datagram waiting on the socket is read when asyncio hands over the first (up to `_DRAIN`):
    asyncio's datagram transport reads one per turn of the event loop, so answers that arrived together
    on one socket (a resolver sends in bursts) waited a turn each, several milliseconds of a busy loop, and
    held their questions' `query_limit` places meanwhile.
    """

    def __init__(self, sock: socket.socket | None = None) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: dict[int, _Asked] = {}
        self._sock = sock  # the transport's own socket, read here too (same thread, non-blocking)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram transport, as asked

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._take(data, addr)
        self.read_waiting()

    def read_waiting(self) -> None:
        """Read what is waiting on the socket now (up to `_DRAIN` datagrams), without waiting for any."""
        if self._sock is None:
            return
        for _ in range(_DRAIN):
            try:
                data, addr = self._sock.recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error for an earlier question, as error_received: it times out
            self._take(data, addr)

    def _take(self, data: bytes, addr: Any) -> None:
        if len(data) < 12:
            return
        asked = self.pending.get(int.from_bytes(data[:2], "big"))
        if asked is None or (addr[0], addr[1]) != asked.server or asked.future.done():
            return  # not ours, late, or not from the server asked: ignored, as dnspython does
        del self.pending[int.from_bytes(data[:2], "big")]
        asked.answered(data)

    def error_received(self, exc: Exception) -> None:
        pass  # e.g. ICMP port unreachable: the question waiting times out like any unanswered one


class UdpMux:
    """A few UDP endpoints on one event loop, shared by every question asked on that loop (at most `limit`'s
    places of them waiting at the resolver, when given one)."""

    def __init__(self, sockets: int = 8, limit: QueryLimit | None = None) -> None:
        self.size = max(1, int(sockets))
        self.limit = limit
        self._endpoints: dict[int, list[_Endpoint]] = {}
        self._opening: dict[int, asyncio.Future[list[_Endpoint]]] = {}
        self._rng = random.SystemRandom()

    async def _open(self, family: int) -> list[_Endpoint]:
        loop = asyncio.get_running_loop()
        local = ("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0)
        out = []
        for _ in range(self.size):
            sock = socket.socket(family, socket.SOCK_DGRAM)
            try:
                sock.bind(local)
                sock.setblocking(False)
                # read it here too only where the loop's own reads are non-blocking reads of it as well (a
                # selector loop, not Windows' proactor, which keeps an overlapped read pending on it)
                made = functools.partial(_Endpoint, sock if isinstance(loop, asyncio.SelectorEventLoop) else None)
                _transport, endpoint = await loop.create_datagram_endpoint(made, sock=sock)
            except BaseException:
                sock.close()
                raise
            out.append(endpoint)
        return out

    async def _endpoints_for(self, family: int) -> list[_Endpoint]:
        ready = self._endpoints.get(family)
        if ready is not None:
            return ready
        opening = self._opening.get(family)
        if opening is None:
            opening = self._opening[family] = asyncio.ensure_future(self._open(family))
        try:
            ready = await asyncio.shield(opening)
        except BaseException:
            self._opening.pop(family, None)
            raise
        self._endpoints[family] = ready
        return ready

    async def exchange(self, query: dns.message.Message, ns: Nameserver, timeout: float) -> bytes:
        """Send `query` to `ns` and return the raw answer; TimeoutError after `timeout` seconds."""
        family = socket.AF_INET6 if ":" in ns.host else socket.AF_INET
        endpoints = await self._endpoints_for(family)
        endpoint = endpoints[self._rng.randrange(len(endpoints))]
        for _ in range(_MAX_IDS):
            if query.id not in endpoint.pending:
                break
            query.id = self._rng.randrange(65536)
        else:
            raise OSError("too many DNS queries in flight on one socket")
        assert endpoint.transport is not None
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        asked = _Asked(future, (ns.host, ns.port), endpoint.transport, query_wire(query), timeout)
        endpoint.pending[query.id] = asked  # its ID taken on this socket from now, sent or still queued
        try:
            if self.limit is None:
                asked.placed(None, 0.0)
            else:
                if self.limit.full():
                    self.read_waiting()  # the answers already here free their places (see the module docstring)
                self.limit.ask(asked)
            return await future
        finally:
            future.cancel()  # (when done, nothing): a query still queued is then passed over
            asked.settle()  # no answer (cancelled): the place is free now
            if endpoint.pending.get(query.id) is asked:
                del endpoint.pending[query.id]

    def read_waiting(self) -> None:
        """Read the answers waiting on every socket of the mux now, each handed to its question."""
        for endpoints in self._endpoints.values():
            for endpoint in endpoints:
                endpoint.read_waiting()

    def close(self) -> None:
        for endpoints in self._endpoints.values():
            for endpoint in endpoints:
                if endpoint.transport is not None:
                    endpoint.transport.close()
        self._endpoints.clear()
        self._opening.clear()


class MuxResolver(Resolver):
    """A `Resolver` whose asyncio queries share the UDP sockets of a `UdpMux` (see the module docstring)."""

    def __init__(
        self,
        nameservers: list[str] | None = None,
        timeout: float = 2.0,
        lifetime: float | None = None,
        *,
        retries: int = 1,
        mux: UdpMux | None = None,
    ) -> None:
        super().__init__(nameservers, timeout, lifetime, retries=retries)
        self.mux = mux or UdpMux()

    async def _areply(self, ex: Exchange) -> Reply:
        try:
            wire = await self.mux.exchange(ex.query, ex.ns, ex.timeout)
        except TimeoutError:
            return dns.exception.Timeout(timeout=ex.timeout)
        except OSError as exc:
            return exc
        ttl = None if self.want_dnssec else negative_ttl(wire)
        if ttl is None and not self.want_dnssec:
            wire = without_plain_opt(wire) or wire
        try:
            response = dns.message.from_wire(wire, raise_on_truncation=True, question_only=ttl is not None)
        except dns.message.Truncated:
            left = min(self.timeout, ex.deadline - time.monotonic())
            if left <= 0:
                return dns.exception.Timeout(timeout=0.0)
            try:
                async with self.mux.limit.place() if self.mux.limit else contextlib.nullcontext():
                    tcp = dns.asyncquery.tcp(ex.query, ex.ns.host, timeout=left, port=ex.ns.port)
                    return await asyncio.wait_for(tcp, left + 0.5), True
            except (TimeoutError, OSError, dns.exception.DNSException, EOFError) as exc:
                return exc
        except dns.exception.DNSException as exc:
            return exc
        if not ex.query.is_response(response):
            return dns.exception.FormError("the answer does not match the question asked")
        if ttl is not None:
            setattr(response, _NEGATIVE_TTL, ttl)  # for _interpret: the authority section was not parsed
        return response, False

    def _interpret(
        self, name: str, rdt_text: str, rdt: dns.rdatatype.RdataType, response: dns.message.Message
    ) -> tuple[DnsAnswer, dns.name.Name | None]:
        ttl = getattr(response, _NEGATIVE_TTL, None)
        if ttl is None:
            return super()._interpret(name, rdt_text, rdt, response)
        # A negative answer read by `negative_ttl`: no answer records, so no alias and nothing to chase; what
        # `Resolver._interpret` would say, without dnspython's walk up the name for an SOA that was not parsed.
        nxdomain = response.rcode() == dns.rcode.NXDOMAIN
        ans = DnsAnswer(
            name=name,
            rdtype=rdt_text,
            status=NXDOMAIN if nxdomain else NODATA,
            rcode="NXDOMAIN" if nxdomain else "NOERROR",
            canonical_name=response.question[0].name.to_text().rstrip("."),
            ttl=ttl,
        )
        return ans, None

    async def aresolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        plan = self._plan(name, rdtype)
        try:
            ex = next(plan)
            while True:
                ex = plan.send(await self._areply(ex))
        except StopIteration as done:
            answer: DnsAnswer = done.value
            return answer

    def close(self) -> None:
        self.mux.close()
