"""The audit core: many domains checked at once by the domain check's own steps, on one event loop.

Why this shape. The findings must be exactly `check_domain`'s, so the audit
runs the same `DomainPlan` (MX, SPF, DKIM then DMARC), whose steps are
synchronous code shared with the one-domain check. The audit runs each step
in a greenlet on one asyncio loop (`smtpkit.aio.spawn`): when a step asks
DNS, its greenlet waits and the loop serves every other domain, so thousands
of questions are in flight from one thread, with no thread per domain and no
thread switch per query. The loop owns what the audit adds: at most
`concurrency` domains in flight, a hard deadline per domain (its tasks are
cancelled, its resolver stops asking), progress, and the DNS, through one
`SharedResolver` per run over a cache kept per process (TTL-aware, one query
per question in flight, at most `query_limit` in flight), so an SPF include or
an MX host shared by a thousand domains is asked once. Domains are read a few
seconds ahead of their turn and their MX and SPF steps started early
(`lookahead`), so the slow ones are not what a run ends waiting for.

`audit_chunk(domains, config)` is the unit every runner calls: pure (the
result depends on the domains, the settings and what DNS says), picklable,
returning the audit DataFrame. The DNS cache is kept per process and per
resolver setting, so consecutive chunks on one worker share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from smtpkit import record
from smtpkit.aio import run_sync, spawn, wait_owned
from smtpkit.audit.cache import DnsCache, SharedResolver, summed
from smtpkit.audit.gc_threshold import fewer_collections
from smtpkit.audit.lookahead import Lookahead, Scout
from smtpkit.audit.row import COULD_NOT_CHECK, INVALID, domain_row, invalid_row
from smtpkit.audit.table import frame
from smtpkit.checks.domain import DomainPlan
from smtpkit.checks.domain.inbound import InboundCache
from smtpkit.net.mx import NetworkLimit
from smtpkit.settings.audit import AuditConfig

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("smtpkit.audit")

_caches: dict[tuple[Any, ...], DnsCache] = {}
_inbound: dict[tuple[Any, ...], InboundCache] = {}
_caches_lock = threading.Lock()
#: Whose limit of MX probes per network the audits of this context keep to: ("", None) for this process's own
#: (a `NetworkLimit`), or a runner's scope and the limit it shares between processes (`probe_limit`).
_probe_limit: contextvars.ContextVar[tuple[str, Callable[[], NetworkLimit] | None]] = contextvars.ContextVar(
    "smtpkit_audit_probe_limit", default=("", None)
)


@contextlib.contextmanager
def probe_limit(scope: str, make: Callable[[], NetworkLimit]) -> Iterator[None]:
    """Audits run inside keep to the limit `make()` builds (a pool's or a cluster's, shared between processes).

    `scope` names whose limit it is (a pool's manager, a Dask scheduler), so the MX probes kept under one scope
    are never used under another: an audit run later in the same process, on its own, gets a limit of its own
    again, not one tied to a cluster that has gone.
    """
    token = _probe_limit.set((scope, make))
    try:
        yield
    finally:
        _probe_limit.reset(token)


def shared_cache(config: AuditConfig) -> DnsCache:
    """This process's DNS cache for `config`'s resolver settings (created on first use, then reused)."""
    key = (config.nameservers, config.dns_timeout, config.cache_size)
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = DnsCache(config.cache_size)
        return cache


def shared_inbound(config: AuditConfig) -> InboundCache:
    """This process's MX probes and DNSSEC validators for `config`'s probe settings: one STARTTLS probe per MX
    host, address and port, however many domains use it (a provider's MX is probed once, not per customer), at
    most `probes_per_network` at once into one network (`smtpkit.net.mx.NetworkLimit`)."""
    scope, make = _probe_limit.get()
    key = (
        config.mx_port,
        config.cafile,
        config.allow_private,
        config.trust_anchor,
        config.trust_ad,
        config.probes_per_network,
        scope,
    )
    with _caches_lock:
        cache = _inbound.get(key)
        if cache is None:
            limit = make() if make is not None else NetworkLimit(config.probes_per_network)
            cache = _inbound[key] = InboundCache(limit)
        return cache


def forget_failures() -> int:
    """Drop the DNS failures this process remembers (each run starts by asking again what failed in the last);
    return how many. The good answers stay, for their TTL."""
    with _caches_lock:
        caches = list(_caches.values())
    return sum(cache.forget_failures() for cache in caches)


def forget_caches() -> None:
    """Drop every process-wide DNS cache and MX probe (tests; a notebook wanting fresh answers)."""
    with _caches_lock:
        _caches.clear()
        _inbound.clear()


async def check_one(
    position: int, text: str, config: AuditConfig, shared: SharedResolver, scout: Scout | None = None
) -> dict[str, Any]:
    """One domain's row: its plan's jobs as greenlets on this loop, waited for until its deadline. `scout`: the
    domain as read ahead of its turn (`smtpkit.audit.lookahead`), its first steps already under way."""
    if scout is None:
        scout = Scout(position, text, config, shared)
    if scout.domain is None or scout.view is None or scout.query is None:
        return invalid_row(position, text, scout.error)
    try:
        return await _checked(scout, config, shared)
    finally:
        scout.cancel()  # steps still under way past the deadline: nothing more is asked


async def _checked(scout: Scout, config: AuditConfig, shared: SharedResolver) -> dict[str, Any]:
    assert scout.domain is not None and scout.view is not None and scout.query is not None
    domain, view = scout.domain, scout.view
    admitted = time.monotonic()
    early = scout.steps  # its first steps, if they were started ahead of its turn
    started = scout.started if early else datetime.datetime.now(datetime.UTC)
    t0 = admitted - scout.lead(admitted)  # the domain's clock: its steps ahead count, its wait for a turn not
    deadline = view.deadline = t0 + config.deadline
    plan = DomainPlan(
        scout.query,
        view,
        deadline,
        candidates=config.selectors or None,
        inbound=config.probe_mx,
        inbound_cache=shared_inbound(config) if config.probe_mx else None,
    )
    tasks = [asyncio.ensure_future(spawn(job)) for name, job in plan.jobs.items() if name not in early]
    done, pending = await wait_owned([*early.values(), *tasks], timeout=max(0.0, deadline - time.monotonic()))
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)  # let the steps unwind before their results are read
    for name, task in early.items():
        if task in done and not task.cancelled() and task.exception() is None:
            plan.results[name] = task.result()
    errors = [t.exception() for t in done if not t.cancelled() and t.exception() is not None]
    row = domain_row(
        scout.position,
        scout.text,
        domain,
        plan.steps(),
        view,
        started=started,
        seconds=time.monotonic() - t0,
        overdue=bool(pending),
        resolver=", ".join(str(ns) for ns in shared.nameservers),
    )
    if errors:
        # a bug of ours, not a fact about the domain: never let it pass as one of the domain's findings
        log.error("audit of %s failed", domain, exc_info=errors[0])
        row.update(status=COULD_NOT_CHECK, grade=None, worst=None)
        row["status_reason"] = f"smtpkit error: {type(errors[0]).__name__}: {errors[0]}"
    return row


async def audit_stream(
    items: Iterable[tuple[int, str]],
    config: AuditConfig,
    on_row: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """Check every (position, name) of `items`, at most `config.concurrency` at a time, handing each row
    to `on_row` as it completes; return the run's DNS counters. `items` may be a generator: it is read
    a few seconds' worth ahead of the slots (`lookahead`, at most `AHEAD_MOST` items), so a portfolio of
    millions streams through in constant memory. The garbage collector
    runs less often meanwhile (`gc_threshold`: it cost a fifth of the audit's CPU)."""
    with fewer_collections():
        return await _stream(items, places_bound(config), on_row)


#: The most domains a stream keeps in flight for each `query_limit` place it has (see `places_bound`).
DOMAINS_PER_PLACE = 4


def places_bound(config: AuditConfig) -> AuditConfig:
    """`config` with at most `DOMAINS_PER_PLACE` domains in flight for each of its `query_limit` places.

    A domain's clock runs while its questions wait for a place, so more domains than the places can serve
    only made each wait longer, and the domains with deep SPF trees (twenty lookups one after another) missed
    their deadline: 2 processes sharing 8 places with 50 domains each lost 3 or 4 of 160 in one run of three;
    in one process, 50 domains with 4 places lost 4 or 5 of 155, and with 2 places 153 (now: every one checked,
    in 22 s and 44 s). At the default limit (100) nothing changes: 400 is far above the default 50."""
    most = max(1, DOMAINS_PER_PLACE * config.query_limit)
    return config if config.concurrency <= most else record.replace(config, concurrency=most)


async def _stream(
    items: Iterable[tuple[int, str]], config: AuditConfig, on_row: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    shared = SharedResolver(
        config.nameservers or None, config.dns_timeout, cache=shared_cache(config), query_limit=config.query_limit
    )
    hits = shared.cache.hits
    asked = 0
    ahead = Lookahead(items, config, shared)
    running: set[asyncio.Task[dict[str, Any]]] = set()
    try:
        while True:
            while len(running) < config.concurrency:
                scout = ahead.take()
                if scout is None:
                    break
                running.add(asyncio.ensure_future(check_one(scout.position, scout.text, config, shared, scout)))
            if not running:
                break
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                row = task.result()
                asked += row["status"] != INVALID  # an invalid name asks nothing
                on_row(row)
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running)
        await ahead.close()
        shared.close()
    return summed([shared.counts(), {"cache_hits": shared.cache.hits - hits, "domains_asked": asked}])


def audit_chunk(domains: Sequence[str], config: AuditConfig, *, start: int = 0) -> pd.DataFrame:
    """Audit `domains` (names as given) and return their rows, in input order; `start` numbers them.

    The unit of work of every runner: pure and picklable (a module-level
    function of picklable arguments), so a process pool or a Dask worker runs
    it as it is.
    """
    rows: list[dict[str, Any]] = []
    run_sync(audit_stream(enumerate(domains, start), config, rows.append))
    return frame(rows)
