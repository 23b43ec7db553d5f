"""A Dask worker's one event loop, through which every audit chunk the worker is given streams.

(The Dask runner hands out pieces of chunks, up to `runners.DASK_PIECE` domains each; to a worker a piece is a chunk:
"chunk" below means what one task brings.)

Why: a chunk ends with its slowest domain, and a dead domain waits out its DNS
timeouts (about 12 s with the defaults) while the rest of its chunk is long
done. Run one chunk per task thread, a worker idled through every chunk's tail,
and two threads per worker (two event loops contending for one interpreter
lock) did not help: on 2 cores a 2-worker cluster did 0.8-0.9 x the in-process
runner. The process pool had the same tails until each of its processes
streamed its share of the chunks through one loop (0.66 -> 1.0-1.4 x).

Here the same holds on Dask. The first chunk a worker is given starts the
worker's stream: a thread running one event loop, one shared resolver (this
process's DNS cache) and `config.concurrency` domains in flight. Each chunk
task hands its domains to the stream, then leaves Dask's thread pool while it
waits (`distributed.secede`), so the worker takes its next chunk at once and
the next chunk's domains fill the slots a tail leaves. The stream reads its
domains ahead of their turn and starts their MX and SPF steps early, as the
in-process runner does (`lookahead`: a dead domain is then known before its
turn, not in the run's idle tail). One chunk at a time is handed over: the next
task keeps its Dask thread until every domain of the one before has been read
ahead, and the stream reads only as far ahead as it can start on (a few
seconds' worth), so a worker never hoards chunks that another, idle worker
could run (the scheduler hands a busy worker no more); the tails in the stream
cost no thread. Each task still returns its chunk's rows, so chunks stay
futures gathered as they complete (progress, resume, a lost worker's chunks
recomputed by Dask).

A stream holds one lease of the cluster-wide semaphore of its resolver while
it runs and asks at most its share of `query_limit`; it ends, giving the lease
back, once it has had no chunk for `IDLE` seconds.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import functools
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any

from smtpkit.audit.cache import SharedResolver, summed
from smtpkit.audit.engine import check_one, places_bound, shared_cache
from smtpkit.audit.gc_threshold import fewer_collections
from smtpkit.audit.lookahead import Lookahead
from smtpkit.audit.row import INVALID
from smtpkit.settings.audit import AuditConfig

__all__ = ["IDLE", "STATS", "WorkerStream", "counts", "stream_chunk"]

log = logging.getLogger(__name__)

IDLE = 1.0  # seconds without a chunk after which a worker's stream ends (and gives its resolver lease back)

#: This process's counts, for tests and the benchmarks: streams started, and the most chunks one stream held.
STATS = {"streams": 0, "most_chunks": 0}

#: What the streams that have ended counted (see `counts`), by their resolver's semaphore.
_ended: dict[str, dict[str, float]] = {}

_registry: dict[tuple[str, str, int], WorkerStream] = {}
_registry_lock = threading.Lock()


class WorkerStream:
    """One worker process's loop for one run's settings (see the module docstring)."""

    def __init__(self, key: tuple[str, str, int], config: AuditConfig, semaphore: str, leases: int) -> None:
        # as `engine.audit_stream` does for the other runners: at most 4 domains in flight per place of its share
        self.key, self.config = key, places_bound(config)
        self._semaphore_name, self._leases = semaphore, leases
        self._lease: Any = None
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._ready = threading.Event()
        self.admitting = threading.Semaphore(1)  # held from a chunk's hand-over until its last domain entered
        self.active = 0  # chunks given and not yet returned (under _registry_lock)
        self.closed = False
        self._idle: asyncio.TimerHandle | None = None
        self._shared: SharedResolver | None = None
        self._unread = _Unread()  # domains handed over and not yet read ahead
        self._ahead: Lookahead | None = None
        self._fed: asyncio.Event | None = None  # set when a chunk is handed over
        self._admission: asyncio.Task[None] | None = None
        # which chunk waits for the row of (position, name): two runs of the same settings may share a stream
        self._owner: dict[tuple[int, str], collections.deque[_Waiting]] = {}
        self._waiting: set[_Waiting] = set()  # the chunks handed over whose rows are not all in
        self.asked = 0  # domains (valid names) through this stream

    def counts(self) -> dict[str, float]:
        """This stream's resolver counters so far (the in-process runner's, `engine.audit_stream`)."""
        return {**(self._shared.counts() if self._shared is not None else {}), "domains_asked": self.asked}

    # -- lifetime (task threads) --------------------------------------------------------------------
    def start(self) -> None:
        """Take a lease of the resolver's semaphore (waiting for one), then run the loop in a thread; once."""
        with self._start_lock:
            if self._thread is not None:
                return
            from distributed import Semaphore

            from smtpkit.audit.worker_plugin import renewing

            self._lease = renewing(Semaphore(max_leases=self._leases, name=self._semaphore_name))  # type: ignore[no-untyped-call]
            self._lease.acquire()
            self._thread = threading.Thread(target=self._run, name="smtpkit-audit-stream", daemon=True)
            self._thread.start()
            self._ready.wait()
        with _registry_lock:
            STATS["streams"] += 1

    def submit(self, names: Sequence[str], start: int) -> Future[list[dict[str, Any]]]:
        return asyncio.run_coroutine_threadsafe(self._chunk(list(names), start), self._loop)

    def leave(self) -> None:
        """A chunk is done with: with none left, the stream ends after `IDLE` seconds unless given another."""
        with _registry_lock:
            self.active -= 1
            idle = self.active == 0
        if idle:
            self._loop.call_soon_threadsafe(self._arm_idle)

    # -- the loop's thread ----------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            with fewer_collections():  # as long as the stream lives (see gc_threshold)
                self._serve()
        finally:
            self._loop.close()
            self._give_back()

    def _serve(self) -> None:
        try:
            self._loop.run_until_complete(self._open())
            self._ready.set()
            self._loop.run_forever()
        finally:
            with _registry_lock:  # a stream whose loop ended (idle, or a failure) takes no more chunks
                self._retire()
            self._ready.set()
            pending = asyncio.all_tasks(self._loop)
            for task in pending:
                task.cancel()  # a chunk still waited for gets CancelledError, never a hang
            if pending:
                self._loop.run_until_complete(asyncio.wait(pending))
            if self._shared is not None:
                self._shared.close()

    def _retire(self) -> None:
        """Under `_registry_lock`: this stream takes no more chunks, and its counts are kept for `counts` (in
        the same step, so a run counting before and after never misses nor repeats them)."""
        if self.closed:
            return
        self.closed = True
        if _registry.get(self.key) is self:
            del _registry[self.key]
        _ended[self._semaphore_name] = summed([_ended.get(self._semaphore_name, {}), self.counts()])

    async def _open(self) -> None:
        config = self.config
        self._shared = SharedResolver(
            config.nameservers or None, config.dns_timeout, cache=shared_cache(config), query_limit=config.query_limit
        )
        self._ahead = Lookahead(self._unread, config, self._shared)
        self._fed = asyncio.Event()
        self._admission = asyncio.ensure_future(self._admit(asyncio.Semaphore(config.concurrency)))
        self._admission.add_done_callback(self._admission_ended)

    def _admission_ended(self, task: asyncio.Task[None]) -> None:
        """The admission loop ends only with the stream (cancelled); should it fail, every chunk waiting fails with
        it rather than waiting for ever."""
        if task.cancelled() or task.exception() is None:
            return
        log.error("an audit stream's admission failed", exc_info=task.exception())
        for chunk in list(self._waiting):
            if not chunk.rows.done():
                chunk.rows.set_exception(self._failed())
        self._unread.drained.set()  # a chunk being handed over stops waiting to be read ahead

    def _failed(self) -> RuntimeError:
        assert self._admission is not None
        return RuntimeError(f"this Dask worker's audit stream failed: {self._admission.exception()!r}")

    async def _admit(self, slots: asyncio.Semaphore) -> None:
        """The stream's domains into its `concurrency` slots in the order the chunks came, each read ahead of its
        turn (`smtpkit.audit.lookahead`) as the in-process runner's are; waits for a chunk when it has none."""
        assert self._ahead is not None and self._fed is not None and self._shared is not None
        while True:
            await slots.acquire()
            scout = self._ahead.take()
            while scout is None:
                self._fed.clear()
                await self._fed.wait()
                scout = self._ahead.take()
            key = (scout.position, scout.text)
            # in its chunk's context: the runner's settings for its task (the cluster's MX probe limit) are there
            context = self._owner[key][0].context
            check = check_one(scout.position, scout.text, self.config, self._shared, scout)
            task = asyncio.get_running_loop().create_task(check, context=context)
            task.add_done_callback(functools.partial(self._checked, slots, key))

    def _checked(self, slots: asyncio.Semaphore, key: tuple[int, str], task: asyncio.Task[dict[str, Any]]) -> None:
        slots.release()
        waiting = self._owner[key]
        chunk = waiting.popleft()
        if not waiting:
            del self._owner[key]
        if chunk.rows.done():
            return
        if task.cancelled():
            chunk.rows.cancel()
        elif task.exception() is not None:
            chunk.rows.set_exception(task.exception())  # type: ignore[arg-type]
        else:
            chunk.got.append(task.result())
            if len(chunk.got) == chunk.size:
                chunk.rows.set_result(chunk.got)

    async def _chunk(self, names: list[str], start: int) -> list[dict[str, Any]]:
        """A chunk's rows in input order; `admitting` is given back once its last domain has been read ahead (the
        stream reads only as far ahead as it can start on, so a worker holds a few seconds' worth of domains, not
        every chunk it could be given)."""
        assert self._ahead is not None and self._fed is not None
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        chunk = _Waiting(len(names))
        try:
            if self._admission is not None and self._admission.done():
                raise self._failed()  # it ends only with the stream, so it failed
            if not names:
                chunk.rows.set_result([])
            else:
                self._waiting.add(chunk)
                for item in enumerate(names, start):
                    self._owner.setdefault(item, collections.deque()).append(chunk)
                self._unread.hand_over(enumerate(names, start))
                self._ahead.feed()
                self._fed.set()
                await self._unread.drained.wait()
        finally:
            self.admitting.release()
        try:
            rows = await chunk.rows
        finally:
            self._waiting.discard(chunk)
        self.asked += sum(row["status"] != INVALID for row in rows)  # an invalid name asks nothing
        return sorted(rows, key=lambda row: int(row["position"]))

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self._loop.call_later(IDLE, self._end_if_idle)

    def _end_if_idle(self) -> None:
        with _registry_lock:
            if self.active:
                return  # a chunk came in the meantime
            self._retire()
        self._loop.stop()

    def _give_back(self) -> None:
        lease, self._lease = self._lease, None
        if lease is not None:
            try:
                lease.release()
            except Exception:  # noqa: BLE001 - a lease the scheduler already dropped (the cluster is gone)
                pass


class _Waiting:
    """A chunk handed to a stream: its rows as they come, and the context of its task (made in the chunk's task,
    on the stream's loop)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.got: list[dict[str, Any]] = []
        self.rows: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        self.context = contextvars.copy_context()


class _Unread:
    """The domains handed to a stream and not yet read ahead, read in turn by its `Lookahead`: empty now is not the
    end (the next chunk may come, and `Lookahead.feed` reads on)."""

    def __init__(self) -> None:
        self.items: collections.deque[tuple[int, str]] = collections.deque()
        self.drained = asyncio.Event()  # every domain handed over has been read

    def hand_over(self, items: Iterable[tuple[int, str]]) -> None:
        self.items.extend(items)
        if self.items:
            self.drained.clear()

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return self

    def __next__(self) -> tuple[int, str]:
        if not self.items:
            raise StopIteration
        item = self.items.popleft()
        if not self.items:
            self.drained.set()
        return item


def counts(semaphore: str) -> dict[str, float]:
    """This process's counters for the streams asking the resolver of `semaphore`, ended and running (run on
    each worker before and after a run: the difference is the run's, unless another run asks that resolver
    on the same cluster at the same time)."""
    with _registry_lock:
        running = [stream.counts() for key, stream in _registry.items() if key[1] == semaphore and not stream.closed]
        return summed([_ended.get(semaphore, {}), *running])


def _enter(config: AuditConfig, semaphore: str, leases: int) -> WorkerStream:
    """This process's stream for these settings, counted as having one more chunk (started if new)."""
    key = (repr(config), semaphore, leases)
    with _registry_lock:
        stream = _registry.get(key)
        if stream is None or stream.closed:
            stream = _registry[key] = WorkerStream(key, config, semaphore, leases)
        stream.active += 1
        STATS["most_chunks"] = max(STATS["most_chunks"], stream.active)
    try:
        stream.start()
    except BaseException:
        stream.leave()
        raise
    return stream


def stream_chunk(
    names: Sequence[str], config: AuditConfig, start: int, semaphore: str, leases: int
) -> list[dict[str, Any]]:
    """Audit one chunk on this worker's stream and return its rows in input order (a Dask task's body).

    The task keeps its Dask thread while the chunk before it is being admitted, then leaves Dask's thread pool
    while its own chunk is in the stream (and ends on its own thread: a `rejoin` would wait for a thread that
    the next chunk's task holds), so the worker takes its next chunk once this one's domains have all entered.
    """
    from distributed import secede

    stream = _enter(config, semaphore, leases)
    try:
        while not stream.admitting.acquire(timeout=1.0):
            if stream.closed:  # its loop ended with the chunk before this one still entering
                raise RuntimeError("this Dask worker's audit stream stopped before the chunk could enter it")
        try:
            future = stream.submit(names, start)
        except BaseException:
            stream.admitting.release()
            raise
        secede()  # type: ignore[no-untyped-call]
        return future.result()
    finally:
        stream.leave()
