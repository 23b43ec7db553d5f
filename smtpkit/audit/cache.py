"""What the domains of one audit share: a TTL-aware DNS cache, and the resolvers that read through it.

Domains in a portfolio share most of their DNS: MX hosts of the same provider,
the same SPF includes (``include:_spf.google.com`` is one answer for the whole
run), the same report services. `DnsCache` keeps every answer for its TTL,
for every domain and every chunk the process audits. `SharedResolver` asks
through it on the run's event loop: one query per question in flight
(concurrent askers wait for it), at most `query_limit` queries in flight so
one resolver is not flooded, all over a few UDP sockets (`MuxResolver`).
Failures (timeout, SERVFAIL) are remembered briefly too, as RFC 9520 asks of
resolvers, so a dead include does not cost a timeout per domain naming it.

`DomainResolver` is one domain's view: every question it asks is answered
once (what `Resolver.once()` gives `check_domain`), nothing is asked after
the domain's hard deadline, and once the domain's own names have timed out
twice with nothing answered, its nameservers are taken as dead and its
remaining names are not asked (the findings are the same "did not answer",
minutes sooner when a portfolio holds many dead domains). Until the domain has
answered once, no more of its own names are under way than the silences left
before it counts as dead: two at first, one after a timeout (so a question
sent as the first times out cannot cost a dead domain a second timeout, 8 s
instead of 4, at the end of a run). A dead domain's other questions (some
fifty with the 44 common DKIM selectors) would each hold one of the
resolver's `query_limit` places for a whole timeout (two attempts, 4 s with
the defaults). With 1 % dead domains they held half of the places, and the
run went as fast as the other half let it.

The steps ask synchronously (`resolve`); the engine runs them with
`smtpkit.aio.spawn`, so each blocking ask is an await on the run's loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from smtpkit.aio import wait_on
from smtpkit.net.dns import TIMEOUT, DnsAnswer, Reply, Resolver
from smtpkit.net.dns_mux import MuxResolver, QueryLimit, UdpMux, response_ttl

Key = tuple[str, str]

FAILURE_TTL = 30.0  # RFC 9520 §3.2: resolution failures are cached at least 1 s, at most 5 minutes
MAX_TTL = 3600.0  # a run of hours should see a changed record within the hour
DEAD_AFTER = 2  # timeouts under a domain, with no answer at all, before its nameservers count as dead


def question(name: str, rdtype: str | int) -> Key:
    """The cache key of a question: DNS names compare case-insensitively (RFC 4343)."""
    return name.rstrip(".").lower(), str(rdtype).upper()


class DnsCache:
    """Answers by question, each kept for its TTL (bounded: least recently used ones go first).

    Thread-safe; `clock` is injectable so tests can age entries without sleeping.
    """

    def __init__(
        self,
        max_entries: int = 50_000,
        *,
        failure_ttl: float = FAILURE_TTL,
        max_ttl: float = MAX_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max(0, int(max_entries))
        self.failure_ttl = failure_ttl
        self.max_ttl = max_ttl
        self._clock = clock
        self._entries: collections.OrderedDict[Key, tuple[float, DnsAnswer]] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> DnsAnswer | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            expires, answer = entry
            if self._clock() >= expires:
                del self._entries[key]
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return answer

    def forget_failures(self) -> int:
        """Drop the remembered failures (timeouts, SERVFAIL, REFUSED); return how many. A new run asks again:
        whoever fixed their DNS server and runs the audit again must not get the last run's timeouts back."""
        with self._lock:
            failed = [key for key, (_expires, answer) in self._entries.items() if answer.failed]
            for key in failed:
                del self._entries[key]
            return len(failed)

    def lifetime(self, answer: DnsAnswer) -> float:
        """Seconds `answer` may be reused: its TTL (capped), a short while for a failure, else 0."""
        if answer.failed:
            return self.failure_ttl
        if answer.ttl is None:
            return 0.0
        return float(min(max(answer.ttl, 0), self.max_ttl))

    def put(self, key: Key, answer: DnsAnswer) -> None:
        ttl = self.lifetime(answer)
        if ttl <= 0 or self.max_entries == 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + ttl, answer)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


class _ChasingMux(MuxResolver):
    """The run's transport, which also shares the answers of CNAME chases.

    A resolver follows an alias inside one lookup (``s1._domainkey.customer``
    -> ``s1.dkim.provider``), so the alias's target never reaches the answer
    cache by its own name; yet a provider's target is the same for all its
    customers. Its raw answer is kept here, for its TTL, by question.
    """

    def __init__(self, nameservers: list[str] | None, timeout: float, cache: DnsCache, limit: QueryLimit) -> None:
        super().__init__(nameservers, timeout=timeout, mux=UdpMux(limit=limit))
        self.chases: collections.OrderedDict[Key, tuple[float, Reply]] = collections.OrderedDict()
        self.chasing: dict[Key, asyncio.Future[Reply]] = {}
        self.most_chases = max(16, cache.max_entries // 10)
        self.cache = cache

    async def aresolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        plan = self._plan(name, rdtype)
        try:
            ex = next(plan)
            first = ex.query.question[0].name
            while True:
                asked = ex.query.question[0]
                if asked.name == first:
                    reply = await self._areply(ex)
                else:
                    reply = await self._chase(question(asked.name.to_text(), asked.rdtype), ex)
                ex = plan.send(reply)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def _chase(self, key: Key, ex: Any) -> Reply:
        kept = self.chases.get(key)
        if kept is not None and kept[0] > time.monotonic():
            self.chases.move_to_end(key)
            return kept[1]
        pending = self.chasing.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        pending = self.chasing[key] = asyncio.get_running_loop().create_future()
        try:
            reply = await self._areply(ex)
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved: only the waiters (if any) care
            raise
        finally:
            del self.chasing[key]
        pending.set_result(reply)
        if not isinstance(reply, BaseException):
            ttl = response_ttl(reply[0])
            if ttl > 0:
                self.chases[key] = (time.monotonic() + min(ttl, self.cache.max_ttl), reply)
                while len(self.chases) > self.most_chases:
                    self.chases.popitem(last=False)
        return reply


class SharedResolver(Resolver):
    """Every domain's questions of one run: through the process's cache, one query per question in
    flight, at most `query_limit` in flight, over the UDP sockets of the running loop (`MuxResolver`).

    It lives on one event loop (the run's); its blocking `resolve` is for
    the synchronous steps the engine runs with `smtpkit.aio.spawn`.
    """

    def __init__(
        self,
        nameservers: list[str] | tuple[str, ...] | None,
        timeout: float,
        *,
        cache: DnsCache,
        query_limit: int = 100,
    ) -> None:
        limit = QueryLimit(query_limit)
        inner = _ChasingMux(list(nameservers) if nameservers else None, timeout, cache, limit)
        super().__init__(inner.nameservers, inner.timeout, inner.lifetime, retries=inner.retries)
        self.inner = inner
        self.inner._record = self._unlogged  # type: ignore[method-assign]  # no query log: a run asks millions
        self.cache = cache
        # the queries on the wire, at most query_limit of them waiting at the resolver (see dns_mux.QueryLimit):
        # how many waited for a place, how long, and how long places were held together (query_limit / that per
        # domain is the most domains a second the limit lets through, however many processes ask)
        self.limit = limit
        self.loop = asyncio.get_running_loop()  # the run's loop: made inside it, used only from it
        self._inflight: dict[Key, asyncio.Future[DnsAnswer]] = {}

    def _unlogged(self, ans: DnsAnswer) -> None:
        """Not kept: the plain resolver logs every answer for a check's transcript; an audit asks millions."""

    async def aresolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        key = question(name, rdtype)
        answer = self.cache.get(key)
        if answer is not None:
            return answer
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        pending = self._inflight[key] = asyncio.get_running_loop().create_future()
        try:
            answer = await self.inner.aresolve(name, rdtype)
        except BaseException as exc:
            pending.set_exception(exc)
            pending.exception()  # retrieved: the waiters (if any) get it, nobody else must
            raise
        finally:
            del self._inflight[key]
        self.cache.put(key, answer)
        pending.set_result(answer)
        return answer

    def resolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        return wait_on(self.loop, self.aresolve(name, rdtype), self.lifetime + 10)

    def full(self) -> bool:
        """Every one of the `query_limit` places is taken (a question asked now would wait for one)."""
        return self.limit.full()

    def counts(self) -> dict[str, float]:
        """What a run's summary says of the resolver: queries sent (cache misses, each attempt counted: a retry, an
        alias chased), those that waited for a place and how long,
        and how long queries held a place (see `smtpkit.audit.views.resolver_limit_note`)."""
        return {
            "queries": self.limit.sent,
            "query_waits": self.limit.waits,
            "query_wait_seconds": self.limit.wait_seconds,
            "query_held_seconds": self.limit.held_seconds,
        }

    def close(self) -> None:
        self.inner.close()


class DomainResolver(Resolver):
    """One domain's questions: each answered once, none after `deadline`, none once its servers are dead."""

    def __init__(self, shared: SharedResolver, domain: str, deadline: float, *, budget: float) -> None:
        super().__init__(shared.nameservers, shared.timeout, shared.lifetime, retries=shared.retries)
        self.shared = shared
        self.domain = domain.lower()
        self.deadline = deadline
        self.budget = budget
        self.answers: dict[Key, DnsAnswer] = {}
        self._silent = 0
        self._answered = 0
        self._unheard: set[Key] = set()  # questions for its own names under way while it has answered none
        # set (and replaced) when one of those is done. An Event, not a Condition: a task cancelled in
        # Condition.wait must take its lock again before it can end, and hundreds cancelled at once (a run
        # stopped) queued on that lock for their whole deadline
        self._heard = asyncio.Event()

    def once(self) -> Resolver:
        return self  # already one answer per question

    def answer(self, name: str, rdtype: str) -> DnsAnswer | None:
        """What this domain was told for a question (None: never asked)."""
        return self.answers.get(question(name, rdtype))

    def _own(self, key: Key) -> bool:
        return key[0] == self.domain or key[0].endswith("." + self.domain)

    def _unasked(self, name: str, key: Key) -> DnsAnswer | None:
        """The answer for a question not worth sending, or None to send it."""
        if time.monotonic() >= self.deadline:
            why = f"not asked: the audit's deadline of {self.budget:g}s for {self.domain} had passed"
        elif self._own(key) and self._silent >= DEAD_AFTER and not self._answered:
            why = f"not asked: {self._silent} queries for names of {self.domain} got no answer and none did"
        else:
            return None
        return DnsAnswer(name.rstrip("."), key[1], TIMEOUT, error=why)

    def _keep(self, key: Key, answer: DnsAnswer) -> DnsAnswer:
        with self._lock:
            new = key not in self.answers  # two steps asking one question get one answer, counted once
            first = self.answers.setdefault(key, answer)
            if new and self._own(key):
                if answer.status == TIMEOUT:
                    self._silent += 1
                else:
                    self._answered += 1
        return first

    def resolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        key = question(name, rdtype)
        known = self.answers.get(key)
        if known is not None:
            return known
        return wait_on(self.shared.loop, self.aresolve(name, rdtype), self.lifetime + 10)

    async def aresolve(self, name: str, rdtype: str | int = "A") -> DnsAnswer:
        key = question(name, rdtype)
        known = self.answers.get(key)
        if known is not None:
            return known
        if not self._own(key) or self._answered:
            skipped = self._unasked(name, key)
            if skipped is not None:
                return self._keep(key, skipped)
            return self._keep(key, await self.shared.aresolve(name, rdtype))
        return await self._first_asked(name, rdtype, key)

    async def _first_asked(self, name: str, rdtype: str | int, key: Key) -> DnsAnswer:
        """A question for the domain's own names: at most `DEAD_AFTER` are under way until it answers one (see
        the module docstring), so a dead domain costs that many timeouts, not one for each of its names."""

        def may_ask() -> bool:
            if self._answered or key in self._unheard or self._silent >= DEAD_AFTER:
                return True  # it answers; the same query as another step's, under way; dead: not asked, below
            # no more than the silences that would make it dead: one question timing out just before another
            # must not let a third go out, which would cost a dead domain a second timeout (8 s, not 4)
            return self._silent + len(self._unheard) < DEAD_AFTER

        # one event loop runs every step of the domain: between two awaits nothing else changes the counts
        while not may_ask():
            left = self.deadline - time.monotonic()
            if left <= 0:
                break  # the deadline: then not asked, below
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._heard.wait(), timeout=left)
        known = self.answers.get(key)  # answered for another step while this one waited
        if known is not None:
            return known
        skipped = self._unasked(name, key)
        if skipped is not None:
            return self._keep(key, skipped)
        mine = key not in self._unheard
        self._unheard.add(key)
        try:
            return self._keep(key, await self.shared.aresolve(name, rdtype))
        finally:
            if mine:
                self._unheard.discard(key)
                heard, self._heard = self._heard, asyncio.Event()  # the next change wakes the next waiters
                heard.set()

    def __repr__(self) -> str:
        return f"DomainResolver({self.domain!r}, via {self.shared!r})"


def summed(parts: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Counters added up key by key (a pool's processes, a cluster's workers, a worker's streams), the seconds
    rounded to the millisecond as a run's summary shows them."""
    total: dict[str, float] = {}
    for part in parts:
        for name, value in part.items():
            total[name] = total.get(name, 0) + value
    return {name: round(value, 3) for name, value in total.items()}  # ints stay ints
