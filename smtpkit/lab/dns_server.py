"""The practice lab's authoritative DNS server: UDP and TCP on one loopback port.

Why write the serving loop ourselves: the lab has to misbehave on purpose in
ways real servers are configured not to (stay silent for TIMEOUT names, serve
records that are broken by design) and must be small, dependency-free beyond
dnspython, start in milliseconds on an ephemeral port and stop cleanly inside a
test. Wire format (parsing, compression, EDNS, truncation) is dnspython's job,
but for reading the plain queries stub resolvers send (one question, at most
a bare OPT record), which are read straight from the wire: at an audit's
thousands of questions a second, dnspython's full parse was half the lab's CPU
(`_plain_query`; a test answers every kind of query both ways, byte for byte).
Questions about the generated portfolio's copies are answered from memory,
each template's once (`answer_memo`: the same bytes with the copy's name).
What to answer is `ZoneSet.lookup`; this module only moves bytes.

Behaviour a resolver can rely on:

* authoritative answers (AA), NXDOMAIN / NODATA with the zone's SOA in the
  authority section, CNAME chains followed inside the served data;
* REFUSED for names outside the served zones (a lab must never claim to be
  authoritative for gmail.com), NOTIMP for opcodes other than QUERY,
  FORMERR for more than one question, BADVERS for EDNS versions above 0;
* UDP answers larger than 512 bytes, or than the client's EDNS payload size,
  are sent truncated with TC set, so clients retry over TCP (RFC 7766);
* TCP with the 2-byte length prefix, several queries per connection;
* names marked TIMEOUT get no answer at all, over either transport;
* anything unparsable, and any packet with QR set (a response), is ignored:
  answering garbage or responses invites reflection loops;
* bounded resources: one UDP worker answering from memory, at most
  `max_tcp_clients` TCP connections, each with an idle timeout and a per-message
  deadline so a slow-loris client cannot pin a thread; a bounded query log.

>>> from smtpkit.lab.zones import lab_zoneset          # doctest: +SKIP
>>> with DnsServer(lab_zoneset()) as srv:                 # doctest: +SKIP
...     print(srv.nameserver)                            # "127.0.0.1:40123"
"""

from __future__ import annotations

import collections
import heapq
import ipaddress
import logging
import selectors
import socket
import struct
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from smtpkit.lab.answer_memo import AnswerMemo, Outcome
from smtpkit.lab.zoneset import ZoneSet

__all__ = ["DnsServer", "ServedQuery", "respond"]

log = logging.getLogger("smtpkit.lab.dns")

CLASSIC_UDP_LIMIT = 512  # RFC 1035 §4.2.1: without EDNS a UDP message is at most 512 bytes
MAX_UDP_PAYLOAD = 4096  # what we honour of a client's EDNS buffer size
OUR_EDNS_PAYLOAD = 1232  # what we advertise (the DNS flag day 2020 value)
_BIND_ATTEMPTS = 64


@dataclass(frozen=True)
class ServedQuery:
    """One line of the server's own query log: what the lab's DNS server was asked and what it did."""

    t: float
    client: str
    transport: str
    name: str
    rdtype: str
    rcode: str
    answers: int
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_HEADER = struct.Struct("!HHHHHH")  # id, flags, and the counts of the four sections
_QUESTION_TAIL = struct.Struct("!HH")  # qtype, qclass
_OPT = struct.Struct("!HHIH")  # after the root owner name: type 41, class = payload, ttl = rcode/version/flags, rdlen
_NOT_PLAIN = dns.flags.QR | 0x7800  # a response, or an opcode other than QUERY (0)


@dataclass(frozen=True)
class _Question:
    """What the answer depends on: the one question, and the client's EDNS (edns -1: none)."""

    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    rdclass: dns.rdataclass.RdataClass
    edns: int = -1
    payload: int = 0
    ednsflags: int = 0


def _plain_query(wire: bytes) -> tuple[int, int, _Question] | None:
    """(id, flags, question) of a plain query, read straight from the wire; None for anything else.

    Why by hand: the audit's benchmarks send the lab thousands of questions a second, and dnspython's full
    parse and response skeleton were half of the lab's CPU per question, CPU that the audit it serves then
    lacks on the same cores. "Plain" is what stub resolvers send: one question in QUERY, no answer or
    authority records, at most an OPT record of EDNS version 0 without options; anything else (options,
    TSIG, compression in the question, trailing bytes) goes to dnspython's parser, which answers it the same
    way (a test compares the two byte for byte).
    """
    try:
        qid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(wire)
        if flags & _NOT_PLAIN or qdcount != 1 or ancount or nscount or arcount > 1:
            return None
        labels: list[bytes] = []
        pos = 12
        while True:
            size = wire[pos]
            if size == 0:
                pos += 1
                break
            if size > 63:
                return None  # a compression pointer or an extended label type: dnspython's job
            labels.append(wire[pos + 1 : pos + 1 + size])
            pos += 1 + size
        labels.append(b"")
        qtype, qclass = _QUESTION_TAIL.unpack_from(wire, pos)
        rdtype, rdclass = dns.rdatatype.RdataType.make(qtype), dns.rdataclass.RdataClass.make(qclass)
        pos += 4
        question = _Question(dns.name.Name(labels), rdtype, rdclass)
        if arcount:
            if wire[pos] != 0:
                return None
            otype, payload, ttl, rdlen = _OPT.unpack_from(wire, pos + 1)
            pos += 1 + _OPT.size + rdlen
            version = (ttl >> 16) & 0xFF
            if otype != dns.rdatatype.OPT or version != 0 or rdlen or ttl >> 24:
                return None
            question = _Question(question.name, rdtype, rdclass, 0, payload, ttl & 0xFFFF)
        if pos != len(wire):
            return None
    except (IndexError, struct.error, dns.exception.DNSException):
        return None
    return qid, flags, question


def _skeleton(qid: int, flags: int, question: _Question) -> dns.message.Message:
    """The response `dns.message.make_response` would build for a plain query."""
    response = dns.message.Message(id=qid)
    response.flags = dns.flags.QR | (flags & dns.flags.RD)
    response.question = [dns.rrset.RRset(question.name, question.rdclass, question.rdtype)]
    if question.edns >= 0:
        response.use_edns(0, 0, OUR_EDNS_PAYLOAD, question.payload, pad=0)
    return response


def _udp_limit(question: _Question) -> int:
    if question.edns < 0:
        return CLASSIC_UDP_LIMIT
    return max(CLASSIC_UDP_LIMIT, min(int(question.payload), MAX_UDP_PAYLOAD))


def _parsed_query(wire: bytes) -> tuple[dns.message.Message, _Question | None, int] | None:
    """dnspython's reading of any other message: the response skeleton, the question (if any) and the rcode
    so far (other than NOERROR: the answer without a lookup); None for a message to ignore."""
    try:
        query = dns.message.from_wire(wire)
    except (dns.exception.DNSException, ValueError, IndexError, struct.error):
        return None  # garbage: say nothing
    if query.flags & dns.flags.QR:
        return None  # a response sent to us: never answer it
    response = dns.message.make_response(query, our_payload=OUR_EDNS_PAYLOAD)
    question = None
    if query.question:
        first = query.question[0]
        question = _Question(first.name, first.rdtype, first.rdclass, query.edns, query.payload, query.ednsflags)
    rcode: int = dns.rcode.NOERROR
    if query.opcode() != dns.opcode.QUERY:
        rcode = dns.rcode.NOTIMP
    elif len(query.question) != 1:
        rcode = dns.rcode.FORMERR
    elif query.edns > 0:
        rcode = dns.rcode.BADVERS
    return response, question, rcode


def _answer(zoneset: ZoneSet, wire: bytes, transport: str, signer: Any = None, shuffle: bool = True) -> Outcome:
    """The answer to one message. `shuffle`: the records of each RRset in a random order, as servers write
    them (dnspython's default), or in zone order (the portfolio copies', see `answer_memo`)."""
    if len(wire) < 12:
        return Outcome(None)
    plain = _plain_query(wire)
    question: _Question | None
    rcode: int
    if plain is not None:
        response, question, rcode = _skeleton(*plain), plain[2], dns.rcode.NOERROR
    else:
        parsed = _parsed_query(wire)
        if parsed is None:
            return Outcome(None)
        response, question, rcode = parsed
    name = question.name.to_text() if question is not None else ""
    rdtype = dns.rdatatype.to_text(question.rdtype) if question is not None else ""
    if question is None or rcode != dns.rcode.NOERROR:
        pass  # answered by its rcode alone
    elif question.rdclass not in (dns.rdataclass.IN, dns.rdataclass.ANY):
        rcode = dns.rcode.REFUSED
    elif question.rdtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
        rcode = dns.rcode.REFUSED  # zone transfers are not part of the lab
    else:
        # a DNSSEC signer (smtpkit.lab.dnssec) answers for the parent side and the keys, and signs for DO queries
        result = signer.answer(zoneset, question.name, question.rdtype) if signer is not None else None
        if result is None:
            result = zoneset.lookup(question.name, question.rdtype)
        if signer is not None and question.ednsflags & dns.flags.DO and not result.drop:
            signer.sign(zoneset, result)
            response.ednsflags |= dns.flags.DO
        if result.drop:
            return Outcome(None, name, rdtype, "dropped (TIMEOUT)")
        rcode = result.rcode
        if result.authoritative:
            response.flags |= dns.flags.AA
        response.answer = list(result.answer)
        response.authority = list(result.authority)
    response.set_rcode(dns.rcode.Rcode(rcode))
    if transport == "udp":
        limit = _udp_limit(question) if question is not None else CLASSIC_UDP_LIMIT
        out = response.to_wire(max_size=limit, prefer_truncation=True, want_shuffle=shuffle)
    else:
        out = response.to_wire(max_size=65535, prefer_truncation=True, want_shuffle=shuffle)
    truncated = bool(int.from_bytes(out[2:4], "big") & dns.flags.TC)
    answers = sum(len(r) for r in response.answer)
    return Outcome(out, name, rdtype, dns.rcode.to_text(dns.rcode.Rcode(rcode)), answers, truncated)


def respond(zoneset: ZoneSet, wire: bytes, transport: str = "udp") -> bytes | None:
    """The reply to one DNS message (or None: send nothing). Pure, so it is testable with bytes."""
    try:
        return _answer(zoneset, wire, transport).wire
    except Exception:  # the server must survive anything a packet or a zone can do
        log.exception("lab DNS: failed to answer a %s query", transport)
        return None


class DnsServer:
    """Serve a `ZoneSet` over UDP and TCP on the same port, in background threads.

    `zoneset` may be replaced while running (assignment or `load()`); each
    query reads it once, so a swap never mixes two data sets in one answer.
    """

    def __init__(
        self,
        zoneset: ZoneSet,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tcp_idle_timeout: float = 10.0,
        max_tcp_clients: int = 32,
        max_queries_per_connection: int = 1000,
        log_size: int = 2000,
        signer: Any = None,
        delay: float = 0.0,
    ) -> None:
        try:
            self._family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        except ValueError:
            raise ValueError(f"the lab DNS server listens on an IP address, not {host!r}") from None
        if not 0 <= int(port) < 65536:
            raise ValueError(f"port {port} is out of range 0-65535 (0 picks a free one)")
        self.zoneset = zoneset
        self.signer = signer  # optional smtpkit.lab.dnssec.LabSigner
        self.host = host
        self.port = int(port)
        self.tcp_idle_timeout = float(tcp_idle_timeout)
        self.max_tcp_clients = int(max_tcp_clients)
        self.max_queries_per_connection = int(max_queries_per_connection)
        if not 0 <= float(delay) <= 10:
            raise ValueError(f"the lab DNS server's delay is 0 to 10 seconds, not {delay}")
        # Every answer leaves `delay` seconds late (realistic resolver latency for the audit benchmarks);
        # UDP answers wait in a queue of the serving thread, so a delay never slows the server down.
        self.delay = float(delay)
        self._late: list[tuple[float, int, bytes, Any]] = []
        self._late_seq = 0
        # the most UDP answers ever waiting out the delay at once: how many queries a client had in flight
        # (the audit's tests check a whole Dask cluster keeps to its resolver's query limit with it)
        self.peak_pending = 0
        self._log: collections.deque[ServedQuery] = collections.deque(maxlen=log_size)
        self._log_lock = threading.Lock()
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._clients: dict[threading.Thread, socket.socket] = {}
        self._clients_lock = threading.Lock()
        self._memo: AnswerMemo | None = None  # answers to the portfolio copies' questions (see answer_memo)

    # -- public ----------------------------------------------------------------------------
    def load(self, zoneset: ZoneSet) -> None:
        """Serve other data from now on (the SPF conformance run swaps 16 scenarios this way)."""
        self.zoneset = zoneset

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def nameserver(self) -> str:
        """``host:port`` as `smtpkit.net.dns.Resolver(nameservers=[...])` takes it."""
        return f"[{self.host}]:{self.port}" if self._family == socket.AF_INET6 else f"{self.host}:{self.port}"

    def start(self) -> tuple[str, int]:
        """Bind UDP and TCP on one port (an ephemeral one when port=0) and serve in a thread."""
        if self.running:
            return self.address
        self._stopping.clear()
        self._bind()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name=f"lab-dns-{self.port}", daemon=True)
        self._thread.start()
        log.info("lab DNS server on %s (udp+tcp)", self.nameserver)
        return self.address

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close every socket and join every thread; safe to call twice."""
        self._stopping.set()
        if self._wake_w is not None:
            try:
                self._wake_w.send(b"x")
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._clients_lock:
            clients = list(self._clients.items())
        for _thread, conn in clients:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread, _conn in clients:
            thread.join(timeout)
        for sock in (self._udp, self._tcp, self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = self._wake_r = self._wake_w = None

    def __enter__(self) -> DnsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"DnsServer({self.nameserver}, {state}, {self.zoneset!r})"

    @property
    def queries(self) -> list[ServedQuery]:
        """What the server was asked, oldest first (bounded; for tests and teaching)."""
        with self._log_lock:
            return list(self._log)

    def query_rows(self) -> list[dict[str, Any]]:
        return [q.to_dict() for q in self.queries]

    def clear_queries(self) -> None:
        with self._log_lock:
            self._log.clear()

    # -- sockets ---------------------------------------------------------------------------
    def _bind(self) -> None:
        """UDP and TCP must share the port number, since clients fall back to TCP on the same port."""
        last: OSError | None = None
        for _attempt in range(_BIND_ATTEMPTS if self.port == 0 else 1):
            udp = socket.socket(self._family, socket.SOCK_DGRAM)
            tcp = socket.socket(self._family, socket.SOCK_STREAM)
            try:
                udp.bind((self.host, self.port))
                port = udp.getsockname()[1]
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                tcp.bind((self.host, port))
                tcp.listen(64)
            except OSError as exc:
                udp.close()
                tcp.close()
                last = exc
                continue
            udp.setblocking(False)
            tcp.setblocking(False)
            self._udp, self._tcp, self.port = udp, tcp, port
            return
        raise OSError(
            getattr(last, "errno", None),
            f"lab DNS server cannot listen on {self.host} port {self.port or '(any)'} for both UDP and TCP: {last}",
        )

    def _serve(self) -> None:
        assert self._udp is not None and self._tcp is not None and self._wake_r is not None
        sel = selectors.DefaultSelector()
        sel.register(self._udp, selectors.EVENT_READ, "udp")
        sel.register(self._tcp, selectors.EVENT_READ, "tcp")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self._stopping.is_set():
                wait = 1.0 if not self._late else max(0.0, min(1.0, self._late[0][0] - time.monotonic()))
                for key, _mask in sel.select(timeout=wait):
                    if key.data == "udp":
                        self._serve_udp()
                    elif key.data == "tcp":
                        self._accept()
                if self._stopping.is_set():
                    break
                self._send_late()
        except Exception:  # pragma: no cover - the loop itself must not die silently
            log.exception("lab DNS server loop failed")
        finally:
            sel.close()

    def _serve_udp(self) -> None:
        assert self._udp is not None
        for _ in range(64):  # drain a burst, then let TCP accepts and stop requests through
            try:
                data, peer = self._udp.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ICMP port unreachable reported on a later recv
                continue
            outcome = self._handle(data, "udp", peer)
            if outcome is not None and self.delay > 0:
                self._late_seq += 1
                heapq.heappush(self._late, (time.monotonic() + self.delay, self._late_seq, outcome, peer))
                self.peak_pending = max(self.peak_pending, len(self._late))
            elif outcome is not None:
                try:
                    self._udp.sendto(outcome, peer)
                except OSError as exc:
                    log.debug("lab DNS: cannot reply to %s: %s", peer, exc)

    def _send_late(self) -> None:
        """Send the delayed UDP answers that are due (oldest first)."""
        now = time.monotonic()
        while self._late and self._late[0][0] <= now and self._udp is not None:
            _due, _seq, wire, peer = heapq.heappop(self._late)
            try:
                self._udp.sendto(wire, peer)
            except OSError as exc:
                log.debug("lab DNS: cannot reply to %s: %s", peer, exc)

    def _accept(self) -> None:
        assert self._tcp is not None
        try:
            conn, peer = self._tcp.accept()
        except (BlockingIOError, InterruptedError, OSError):
            return
        with self._clients_lock:
            self._reap()
            if len(self._clients) >= self.max_tcp_clients:
                conn.close()  # bounded: a flood of connections gets closed, not queued
                return
            thread = threading.Thread(target=self._serve_tcp, args=(conn, peer), name="lab-dns-tcp", daemon=True)
            self._clients[thread] = conn
        thread.start()

    def _reap(self) -> None:
        for thread in [t for t in self._clients if not t.is_alive() and t.ident is not None]:
            del self._clients[thread]

    def _serve_tcp(self, conn: socket.socket, peer: Any) -> None:
        try:
            conn.setblocking(True)
            for _ in range(self.max_queries_per_connection):
                header = self._recv_exact(conn, 2)
                if header is None:
                    return
                length = int.from_bytes(header, "big")
                body = self._recv_exact(conn, length) if length else b""
                if body is None:
                    return
                reply = self._handle(body, "tcp", peer)
                if reply is not None and self.delay > 0:
                    self._stopping.wait(self.delay)
                if reply is not None:
                    conn.sendall(len(reply).to_bytes(2, "big") + reply)
        except OSError:
            return
        finally:
            conn.close()
            with self._clients_lock:
                self._clients.pop(threading.current_thread(), None)

    def _recv_exact(self, conn: socket.socket, n: int) -> bytes | None:
        """Read n bytes within the idle timeout, measured from the first byte of the message."""
        deadline = time.monotonic() + self.tcp_idle_timeout
        chunks = bytearray()
        while len(chunks) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stopping.is_set():
                return None
            conn.settimeout(min(remaining, 1.0))
            try:
                chunk = conn.recv(n - len(chunks))
            except TimeoutError:
                continue
            if not chunk:
                return None
            chunks += chunk
        return bytes(chunks)

    def memo(self, zoneset: ZoneSet | None = None) -> AnswerMemo:
        """The memory of answers for `zoneset` (default: the one served); a new zone set gets a new one."""
        zoneset = self.zoneset if zoneset is None else zoneset
        memo = self._memo
        if memo is None or memo.zoneset is not zoneset:
            signer = self.signer
            memo = self._memo = AnswerMemo(
                zoneset, lambda wire, transport, shuffle: _answer(zoneset, wire, transport, signer, shuffle)
            )
        return memo

    def _handle(self, data: bytes, transport: str, peer: Any) -> bytes | None:
        zoneset = self.zoneset  # read once: a concurrent swap never mixes data sets
        try:
            outcome = self.memo(zoneset).respond(data, transport)
        except Exception:
            log.exception("lab DNS: failed to answer a %s query from %s", transport, peer)
            return None
        if outcome.name or outcome.wire is not None:
            client = f"[{peer[0]}]:{peer[1]}" if ":" in str(peer[0]) else f"{peer[0]}:{peer[1]}"
            with self._log_lock:
                self._log.append(
                    ServedQuery(
                        time.time(),
                        client,
                        transport,
                        outcome.name.rstrip(".") or ".",
                        outcome.rdtype,
                        outcome.rcode,
                        outcome.answers,
                        outcome.truncated,
                    )
                )
        return outcome.wire
