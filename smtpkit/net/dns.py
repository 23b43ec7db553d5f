"""DNS queries for the kit: a thin, logged, deadline-bound layer on dnspython.

Diagnosis needs more than "an answer or an exception": SPF counts void lookups
(NXDOMAIN or an empty answer) differently from timeouts, a trace must show
every query with its rcode and time, and a notebook must never hang on a dead
resolver. So `Resolver.resolve()` never raises for DNS outcomes: it returns a
`DnsAnswer` that says what happened, and records it in `Resolver.log`.

Nameservers may be given as ``host`` or ``host:port`` (``[v6]:port`` for IPv6),
which is how the practice lab's DNS server on a high loopback port is used.

dnspython (and asyncio) are imported by the functions that query, not by this
module: the constants, `DnsAnswer` and `Nameserver` are what most of the kit
imports from here, and a session check of an IP address (``smtpkit check
192.0.2.1``) makes no DNS query at all, so it must not pay for dnspython's
import (benchmarks/cli_startup.py measures it).
"""

from __future__ import annotations

import ipaddress
import math
import socket
import threading
import time
from collections.abc import Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from smtpkit.errors import InvalidSettings

# Outcome words used throughout the kit (SPF maps them to void lookups and temperror), importable from here too.
from smtpkit.net.dns_status import ERROR as ERROR
from smtpkit.net.dns_status import NODATA as NODATA
from smtpkit.net.dns_status import NXDOMAIN as NXDOMAIN
from smtpkit.net.dns_status import OK as OK
from smtpkit.net.dns_status import REFUSED as REFUSED
from smtpkit.net.dns_status import SERVFAIL as SERVFAIL
from smtpkit.net.dns_status import TIMEOUT as TIMEOUT
from smtpkit.record import field, record

if TYPE_CHECKING:
    import dns.message
    import dns.name
    import dns.rdatatype
    import dns.rrset

_MAX_CNAME_HOPS = 8
_MAX_LOG = 10_000


@record(frozen=True)
class Nameserver:
    host: str
    port: int = 53

    @classmethod
    def parse(cls, text: str) -> Nameserver:
        """Parse ``host``, ``host:port``, ``v6`` or ``[v6]:port``; raise ValueError with a clear message."""
        s = text.strip()
        if not s:
            raise ValueError("empty nameserver")
        host, port = s, 53
        if s.startswith("["):
            end = s.find("]")
            if end < 0:
                raise ValueError(f"nameserver {text!r}: missing ']' after an IPv6 address")
            host, rest = s[1:end], s[end + 1 :]
            if rest:
                if not rest.startswith(":"):
                    raise ValueError(f"nameserver {text!r}: expected ':port' after ']'")
                port = _port(rest[1:], text)
        elif s.count(":") == 1:
            host, p = s.split(":")
            port = _port(p, text)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            try:
                host = str(socket.getaddrinfo(host, None)[0][4][0])
            except OSError as exc:
                raise ValueError(
                    f"nameserver {text!r} is not an IP address and could not be resolved ({exc})"
                ) from None
        return cls(host, port)

    def __str__(self) -> str:
        if ":" in self.host:
            return f"[{self.host}]:{self.port}"
        return f"{self.host}:{self.port}" if self.port != 53 else self.host


def _port(text: str, whole: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise ValueError(f"nameserver {whole!r}: port {text!r} is not a number") from None
    if not 0 < port < 65536:
        raise ValueError(f"nameserver {whole!r}: port {port} is out of range 1-65535")
    return port


@record()
class DnsAnswer:
    """What one lookup produced. `records` are dnspython rdata objects; `texts` their text."""

    name: str
    rdtype: str
    status: str
    rcode: str = ""
    records: list[Any] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    canonical_name: str = ""
    cnames: list[str] = field(default_factory=list)
    nameserver: str = ""
    transport: str = ""
    elapsed_ms: float = 0.0
    error: str = ""
    # the whole response (RRSIGs, NSEC proofs, flags), for DNSSEC validation; None when no server answered
    response: dns.message.Message | None = field(default=None, repr=False, compare=False)
    # Seconds the answer may be reused (RFC 2181 §8; negative answers: RFC 2308 §5): the smallest TTL of
    # the answer, its CNAMEs and, when negative, the SOA. None when nothing said (failures).
    ttl: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def void(self) -> bool:
        """NXDOMAIN or an empty answer: what RFC 7208 §4.6.4 calls a void lookup."""
        return self.status in (NXDOMAIN, NODATA)

    @property
    def failed(self) -> bool:
        """A temporary failure: timeout, SERVFAIL, REFUSED or a network error."""
        return self.status in (TIMEOUT, SERVFAIL, REFUSED, ERROR)


@record(frozen=True)
class QueryRecord:
    """One line of the query log that traces and notebooks show."""

    name: str
    rdtype: str
    status: str
    rcode: str
    answers: tuple[str, ...]
    elapsed_ms: float
    nameserver: str
    transport: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.rdtype,
            "status": self.status,
            "rcode": self.rcode,
            "answers": list(self.answers),
            "elapsed_ms": round(self.elapsed_ms, 1),
            "nameserver": self.nameserver,
            "transport": self.transport,
        }


@record(frozen=True)
class Exchange:
    """One query the lookup plan wants sent: to which server, within which time."""

    query: dns.message.Message
    ns: Nameserver
    timeout: float
    deadline: float


# What a driver sends back into the plan: the response and whether TCP carried it, or the error.
# (At run time only a name to import: the alias itself needs dnspython, imported by the first query.)
if TYPE_CHECKING:
    Reply = tuple[dns.message.Message, bool] | BaseException
else:
    Reply = tuple


# want_dnssec -> (OPT RRset, request payload) of the queries dnspython's make_query builds
_EDNS: dict[bool, tuple[dns.rrset.RRset, int]] = {}


def make_query(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, want_dnssec: bool) -> dns.message.QueryMessage:
    """A recursive EDNS query (RD set; DO and AD too when `want_dnssec`): dnspython's `make_query`, ten times cheaper.

    An audit asks a thousand questions a second, and `dns.message.make_query`
    builds a new EDNS OPT record for each (about 40 us, a tenth of the audit's
    CPU). The OPT record of a query is always the same, so it is built once by
    dnspython itself and every query gets its own copy (a copy, because
    dnspython's `ednsflags` setter changes the record in place). The result
    equals the message `make_query` builds, and so do its bytes on the wire (a
    test compares them).
    """
    import dns.flags
    import dns.message
    import dns.rdataclass
    import dns.rrset

    edns = _EDNS.get(want_dnssec)
    if edns is None:
        template = dns.message.make_query(qname, rdtype, use_edns=True, want_dnssec=want_dnssec)
        assert template.opt is not None  # use_edns=True
        edns = _EDNS[want_dnssec] = (template.opt, template.request_payload)
    query = dns.message.QueryMessage()
    query.flags = dns.flags.RD | (dns.flags.AD if want_dnssec else 0)  # AD: RFC 6840 §5.7
    query.question = [dns.rrset.RRset(qname, dns.rdataclass.IN, rdtype)]
    query.opt = edns[0].copy()
    query.request_payload = edns[1]
    return query


def _query_errors() -> tuple[type[BaseException], ...]:
    """What a query may raise that is an outcome (a timeout, a refused port, garbage), not a bug."""
    import dns.exception

    return (OSError, dns.exception.DNSException, EOFError)


def txt_string(rdata: Any) -> str:
    """A TXT record's character-strings joined as RFC 7208 §3.3 says (no separator)."""
    return b"".join(rdata.strings).decode("utf-8", errors="replace")


def _note_chain(ans: DnsAnswer, response: dns.message.Message) -> None:
    """Fill `cnames`/`canonical_name` of a negative answer (a dangling alias is a diagnosis)."""
    import dns.exception

    try:
        chain = response.resolve_chaining()  # type: ignore[attr-defined]
    except (dns.exception.DNSException, AttributeError):
        return
    ans.canonical_name = chain.canonical_name.to_text().rstrip(".")
    ans.cnames = [c.name.to_text().rstrip(".") for c in chain.cnames]
    ans.ttl = int(chain.minimum_ttl)


def _rdata_text(rdtype: str, rdata: Any) -> str:
    if rdtype in ("TXT", "SPF"):
        return txt_string(rdata)
    return str(rdata.to_text())


class Resolver:
    """Query DNS with per-query timeouts, an overall lifetime, TCP fallback and a log.

    >>> r = Resolver(nameservers=["127.0.0.1:5353"], timeout=2.0)   # doctest: +SKIP
    >>> r.txt("example.test")                                       # doctest: +SKIP
    """

    def __init__(
        self,
        nameservers: Sequence[str | Nameserver] | None = None,
        timeout: float = 2.0,
        lifetime: float | None = None,
        *,
        retries: int = 1,
        use_tcp: bool = False,
    ) -> None:
        if nameservers is None:
            self.nameservers = self._system_nameservers()
        else:
            if isinstance(nameservers, str):
                nameservers = [nameservers]
            self.nameservers = [ns if isinstance(ns, Nameserver) else Nameserver.parse(ns) for ns in nameservers]
        if not self.nameservers:
            raise ValueError("no nameservers: give nameservers=[...] or configure /etc/resolv.conf")
        # not (x > 0) also rejects NaN; infinity would let a silent server hang us forever
        if not (timeout > 0) or math.isinf(timeout):
            raise ValueError("timeout must be positive and finite (seconds)")
        if lifetime is not None and (not (lifetime > 0) or math.isinf(lifetime)):
            raise ValueError("lifetime must be positive and finite (seconds)")
        self.timeout = float(timeout)
        self.lifetime = float(lifetime) if lifetime is not None else max(self.timeout * 2.5, self.timeout)
        self.retries = max(0, int(retries))
        self.use_tcp = use_tcp
        self.want_dnssec = False  # set by with_dnssec(): the DO bit, so servers send RRSIGs and proofs
        self.log: list[QueryRecord] = []
        self._lock = threading.Lock()

    @staticmethod
    def _system_nameservers() -> list[Nameserver]:
        import dns.resolver

        try:
            system = dns.resolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            return []
        return [Nameserver(str(ns)) for ns in system.nameservers]

    def __repr__(self) -> str:
        return f"Resolver(nameservers={[str(n) for n in self.nameservers]!r}, timeout={self.timeout})"

    def once(self) -> Resolver:
        """This resolver for one check: each (name, type) asked once (see `OnceResolver`)."""
        return self if isinstance(self, OnceResolver) else OnceResolver(self)

    def with_dnssec(self) -> Resolver:
        """The same servers, timeouts and log, asking with the DNSSEC OK bit (RFC 3225), uncached.

        DNSSEC validation (`smtpkit.net.dnssec`) needs the signatures and the
        denial proofs, which servers only send when asked; its answers go to
        the same query log, so a report's transcript shows them too.
        """
        inner = self.inner if isinstance(self, OnceResolver) else self
        twin = Resolver(inner.nameservers, inner.timeout, inner.lifetime, retries=inner.retries, use_tcp=inner.use_tcp)
        twin.want_dnssec = True
        twin.log, twin._lock = inner.log, inner._lock
        return twin

    def log_rows(self) -> list[dict[str, Any]]:
        return [q.to_dict() for q in self.log]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _record(self, ans: DnsAnswer) -> None:
        with self._lock:
            if len(self.log) < _MAX_LOG:
                self.log.append(
                    QueryRecord(
                        ans.name,
                        ans.rdtype,
                        ans.status,
                        ans.rcode,
                        tuple(ans.texts),
                        ans.elapsed_ms,
                        ans.nameserver,
                        ans.transport,
                    )
                )

    # -- core -------------------------------------------------------------------
    @staticmethod
    def _prepare(name: str, rdtype: str | int) -> tuple[dns.name.Name, dns.rdatatype.RdataType, str]:
        import dns.name
        import dns.rdatatype

        rdt = dns.rdatatype.RdataType.make(rdtype)
        qname = dns.name.from_text(name.rstrip(".") + ".") if name not in ("", ".") else dns.name.root
        return qname, rdt, dns.rdatatype.to_text(rdt)

    def _interpret(
        self, name: str, rdt_text: str, rdt: dns.rdatatype.RdataType, response: dns.message.Message
    ) -> tuple[DnsAnswer, dns.name.Name | None]:
        """Turn a response into an answer; return the name to chase when a CNAME leaves the answer."""
        import dns.exception
        import dns.message
        import dns.rcode
        import dns.rdatatype

        rcode = dns.rcode.to_text(response.rcode())
        ans = DnsAnswer(name=name, rdtype=rdt_text, status=OK, rcode=rcode)
        if response.rcode() == dns.rcode.NXDOMAIN:
            ans.status = NXDOMAIN
            _note_chain(ans, response)  # keep the CNAMEs that led to the missing name: they explain it
            return ans, None
        if response.rcode() == dns.rcode.SERVFAIL:
            ans.status = SERVFAIL
            return ans, None
        if response.rcode() == dns.rcode.REFUSED:
            ans.status = REFUSED
            return ans, None
        if response.rcode() != dns.rcode.NOERROR:
            ans.status = ERROR
            ans.error = f"rcode {rcode}"
            return ans, None
        assert isinstance(response, dns.message.QueryMessage)
        try:
            chain = response.resolve_chaining()
        except dns.message.ChainTooLong:
            ans.status = ERROR
            ans.error = "CNAME loop, or a chain of more than 16 aliases (RFC 1034 §3.6.2 makes a loop an error)"
            return ans, None
        except dns.exception.DNSException as exc:
            ans.status = ERROR
            ans.error = f"bad response: {exc}"
            return ans, None
        ans.canonical_name = chain.canonical_name.to_text().rstrip(".")
        ans.cnames = [c.name.to_text().rstrip(".") for c in chain.cnames]
        ans.ttl = int(chain.minimum_ttl)
        if rdt == dns.rdatatype.ANY:
            # resolve_chaining() looks for an rrset of type ANY, which never exists: collect what the name owns.
            owned = [rrset for rrset in response.answer if rrset.name == chain.canonical_name]
            if owned:
                ans.records = [r for rrset in owned for r in rrset]
                ans.texts = [
                    f"{dns.rdatatype.to_text(r.rdtype)} {_rdata_text(dns.rdatatype.to_text(r.rdtype), r)}"
                    for r in ans.records
                ]
                return ans, None
        if chain.answer is not None:
            ans.records = list(chain.answer)
            ans.texts = [_rdata_text(rdt_text, r) for r in ans.records]
            return ans, None
        ans.status = NODATA
        if chain.canonical_name != response.question[0].name and rdt != dns.rdatatype.CNAME:
            return ans, chain.canonical_name
        return ans, None

    # -- one lookup, written once: a sans-IO plan driven by a sync and an async driver
    def _plan(self, name: str, rdtype: str | int) -> Generator[Exchange, Reply, DnsAnswer]:
        """Every decision of a lookup (servers, retries, deadline, CNAME chase, outcome).

        It yields each exchange to perform and receives its reply, so `resolve`
        and `aresolve` share all of the logic and differ only in how bytes move.
        """
        import dns.exception
        import dns.name

        start = time.monotonic()
        deadline = start + self.lifetime
        try:
            qname, rdt, rdt_text = self._prepare(name, rdtype)
        except (dns.exception.DNSException, ValueError) as exc:
            ans = DnsAnswer(name=name, rdtype=str(rdtype), status=ERROR, error=f"invalid name: {exc}")
            self._record(ans)
            return ans
        display = name.rstrip(".")
        cnames: list[str] = []
        ttl: int | None = None
        for _hop in range(_MAX_CNAME_HOPS):
            ans = yield from self._plan_servers(qname, rdt, rdt_text, display, deadline)
            ans.cnames = cnames + ans.cnames
            if ttl is not None and ans.ttl is not None:
                ans.ttl = min(ttl, ans.ttl)  # an answer reached through aliases lives as long as its shortest link
            if ans.status == NODATA and ans.canonical_name and ans.canonical_name != qname.to_text().rstrip("."):
                # the CNAME's target lies outside what the server answered: chase it
                cnames = ans.cnames
                ttl = ans.ttl
                qname = dns.name.from_text(ans.canonical_name + ".")
                continue
            break
        ans.name = display
        ans.elapsed_ms = (time.monotonic() - start) * 1000.0
        self._record(ans)
        return ans

    def _plan_servers(
        self, qname: dns.name.Name, rdt: dns.rdatatype.RdataType, rdt_text: str, display: str, deadline: float
    ) -> Generator[Exchange, Reply, DnsAnswer]:
        import dns.exception
        import dns.flags
        import dns.message

        last = DnsAnswer(name=display, rdtype=rdt_text, status=TIMEOUT, error="no nameserver answered in time")
        for _attempt in range(self.retries + 1):
            for ns in self.nameservers:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return last
                q = make_query(qname, rdt, self.want_dnssec)
                timeout = min(self.timeout, remaining)
                reply = yield Exchange(q, ns, timeout, deadline)
                if isinstance(reply, (dns.exception.Timeout, TimeoutError)):
                    last = DnsAnswer(
                        name=display,
                        rdtype=rdt_text,
                        status=TIMEOUT,
                        nameserver=str(ns),
                        error=f"no answer from {ns} within {timeout:.1f}s",
                    )
                    continue
                if isinstance(reply, BaseException):
                    last = DnsAnswer(
                        name=display,
                        rdtype=rdt_text,
                        status=ERROR,
                        nameserver=str(ns),
                        error=f"{type(reply).__name__}: {reply}",
                    )
                    continue
                response, used_tcp = reply
                ans, _ = self._interpret(display, rdt_text, rdt, response)
                ans.response = response
                ans.nameserver = str(ns)
                ans.transport = "tcp" if used_tcp else "udp"
                if ans.status in (SERVFAIL, REFUSED):
                    last = ans
                    continue
                return ans
        return last

    def resolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        """Look `name` up; never raises for DNS outcomes (see `DnsAnswer.status`)."""
        import dns.query

        plan = self._plan(name, rdtype)
        try:
            ex = next(plan)
            while True:
                try:
                    if self.use_tcp:
                        reply: Reply = (dns.query.tcp(ex.query, ex.ns.host, timeout=ex.timeout, port=ex.ns.port), True)
                    else:
                        reply = self._udp_with_fallback(ex.query, ex.ns, ex.timeout, ex.deadline)
                except _query_errors() as exc:
                    reply = exc
                ex = plan.send(reply)
        except StopIteration as done:
            answer: DnsAnswer = done.value
            return answer

    async def aresolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        """The asyncio twin of `resolve()`, for concurrent lookups (selector discovery, port matrix)."""
        import asyncio

        import dns.asyncquery

        plan = self._plan(name, rdtype)
        try:
            ex = next(plan)
            while True:
                try:
                    if self.use_tcp:
                        tcp = dns.asyncquery.tcp(ex.query, ex.ns.host, timeout=ex.timeout, port=ex.ns.port)
                        reply: Reply = (await asyncio.wait_for(tcp, ex.timeout + 0.5), True)
                    else:
                        reply = await self._audp_with_fallback(ex.query, ex.ns, ex.timeout, ex.deadline)
                except _query_errors() as exc:  # asyncio's TimeoutError is an OSError
                    reply = exc
                ex = plan.send(reply)
        except StopIteration as done:
            answer: DnsAnswer = done.value
            return answer

    def _udp_with_fallback(
        self, q: dns.message.Message, ns: Nameserver, timeout: float, deadline: float
    ) -> tuple[dns.message.Message, bool]:
        """UDP, then TCP when the answer is truncated; the TCP retry gets only the time left.

        dnspython's `udp_with_fallback` gives each transport the full timeout, so a
        server that answers truncated just before the timeout and then stalls on
        TCP would stretch one query to twice the lifetime.
        """
        import dns.exception
        import dns.message
        import dns.query

        try:
            return dns.query.udp(q, ns.host, timeout=timeout, port=ns.port, raise_on_truncation=True), False
        except dns.message.Truncated:
            left = min(self.timeout, deadline - time.monotonic())
            if left <= 0:
                raise dns.exception.Timeout(timeout=0.0) from None
            return dns.query.tcp(q, ns.host, timeout=left, port=ns.port), True

    async def _audp_with_fallback(
        self, q: dns.message.Message, ns: Nameserver, timeout: float, deadline: float
    ) -> tuple[dns.message.Message, bool]:
        """The asyncio twin of `_udp_with_fallback`, each await capped by the deadline too."""
        import asyncio

        import dns.asyncquery
        import dns.exception
        import dns.message

        try:
            udp = dns.asyncquery.udp(q, ns.host, timeout=timeout, port=ns.port, raise_on_truncation=True)
            return await asyncio.wait_for(udp, timeout + 0.5), False
        except dns.message.Truncated:
            left = min(self.timeout, deadline - time.monotonic())
            if left <= 0:
                raise dns.exception.Timeout(timeout=0.0) from None
            return await asyncio.wait_for(dns.asyncquery.tcp(q, ns.host, timeout=left, port=ns.port), left + 0.5), True

    async def aresolve_many(self, queries: Iterable[tuple[str, str]]) -> list[DnsAnswer]:
        import asyncio

        return list(await asyncio.gather(*(self.aresolve(n, t) for n, t in queries)))

    # -- conveniences -----------------------------------------------------------
    def txt(self, name: str) -> DnsAnswer:
        return self.resolve(name, "TXT")

    def addresses(self, name: str) -> tuple[list[str], list[DnsAnswer]]:
        """All A then AAAA addresses of `name`, with both answers (for explaining failures)."""
        a = self.resolve(name, "A")
        aaaa = self.resolve(name, "AAAA")
        return a.texts + aaaa.texts, [a, aaaa]

    def mx(self, name: str) -> DnsAnswer:
        return self.resolve(name, "MX")

    def ptr(self, ip: str) -> DnsAnswer:
        return self.resolve(reverse_name(ip), "PTR")


def system_nameservers() -> list[str]:
    """The DNS servers this computer's own settings name (/etc/resolv.conf), as a result says which were asked."""
    return [str(ns) for ns in Resolver._system_nameservers()]


class OnceResolver(Resolver):
    """A resolver that asks each (name, type) once and hands every later asker the same answer.

    The steps of one check ask the same questions: a domain check asks the
    domain's MX (mx step, SPF lint), its TXT and every include (SPF lint, then
    SPF evaluation), the MX hosts' addresses (mx step, SPF lint, PTR's forward
    check). One answer per question halves the queries and keeps the steps
    consistent with each other. Queries are made, and logged, by the wrapped
    resolver; a question being asked by one thread is waited for, not asked
    again, by another.
    """

    def __init__(self, resolver: Resolver) -> None:
        r = resolver
        super().__init__(r.nameservers, r.timeout, r.lifetime, retries=r.retries, use_tcp=r.use_tcp)
        self.inner = r
        self.log = r.log
        self._answers: dict[tuple[str, str], DnsAnswer] = {}
        self._asking: dict[tuple[str, str], threading.Lock] = {}

    def resolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        key = (name.rstrip("."), str(rdtype).upper())
        with self._lock:
            asking = self._asking.setdefault(key, threading.Lock())
        with asking:
            if key not in self._answers:
                self._answers[key] = self.inner.resolve(name, rdtype)
            return self._answers[key]

    async def aresolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        key = (name.rstrip("."), str(rdtype).upper())
        if key not in self._answers:
            self._answers[key] = await self.inner.aresolve(name, rdtype)
        return self._answers[key]


def resolver_for(nameservers: Iterable[str], timeout: float) -> Resolver:
    """A Resolver for settings already validated (`smtpkit.settings`): `nameservers`, or the system's when empty.

    Each query is bounded by `timeout`. A DNS server given by name that does not
    resolve, or a machine with no resolver configured, is a setting that cannot
    be used: `InvalidSettings`, like every other bad value.
    """
    try:
        return Resolver(nameservers=list(nameservers) or None, timeout=timeout)
    except ValueError as exc:
        raise InvalidSettings(str(exc), field="nameservers") from None


def reverse_name(ip: str) -> str:
    """The in-addr.arpa / ip6.arpa name of an address."""
    import dns.reversename

    return dns.reversename.from_address(ip).to_text().rstrip(".")
