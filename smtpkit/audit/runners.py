"""Who runs the audit: this process, a pool of processes, or a Dask cluster; the same rows from each.

Every runner splits the portfolio into chunks of `chunk_size` domains in
input order (chunk k holds positions k*chunk_size ...), hands each finished
chunk to the same sink (the Parquet part file, the progress bar, the table
returned), and skips the chunks a resumed run has already written.

* `local`: the chunks' domains stream through one `audit_stream` on one
  event loop, so a slow domain at the end of a chunk never holds the next
  chunk up; a chunk is written the moment its last domain is in.
* `processes`: a process pool (`--workers N`, one DNS cache each, forked
  by a fork server that imported the audit once: `fork_server`); each
  process streams pieces of chunks (`PIECE` domains) taken from one queue
  as its stream has room, so the processes finish together, and the parent
  puts each chunk together from its pieces; each process
  asks at most its share of `query_limit`, so the pool as a whole keeps to one
  resolver's limit; MX probes ask one `NetworkLimit` held by a manager process,
  so the pool as a whole keeps to `probes_per_network`.
* `dask`: pieces of chunks on a Dask cluster (`--dask` starts a LocalCluster,
  `--dask-scheduler ADDR` or `client=` uses an existing one), as futures
  gathered as they complete. On each worker the pieces stream through one
  event loop, as a pool process's do (`worker_stream`); a cluster-wide
  `distributed.Semaphore` per resolver, one lease per worker's stream, caps
  how many streams ask one resolver at once, and each stream's share of
  `query_limit` is divided accordingly, so the whole cluster keeps to one
  resolver's limit. MX probes (`probe_mx`) take a lease of a cluster-wide
  semaphore per network (IPv4 /24, IPv6 /48) of `probes_per_network` leases,
  so the whole cluster never has more probes under way into one provider's
  network than one process would. Every worker asks the resolvers in the settings: at
  scale, point them (and so every worker) at a caching resolver of your own,
  never at a public one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import math
import os
import queue
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.managers import BaseManager
from typing import TYPE_CHECKING, Any

from smtpkit import record
from smtpkit.aio import run_sync
from smtpkit.audit.cache import summed
from smtpkit.audit.domains import DomainList
from smtpkit.audit.engine import audit_stream, probe_limit
from smtpkit.audit.fork_server import pool_context
from smtpkit.audit.table import to_arrow
from smtpkit.errors import Cancelled, InvalidSettings
from smtpkit.net.mx import NetworkLimit
from smtpkit.settings.audit import AuditConfig

if TYPE_CHECKING:
    import pyarrow as pa

Chunk = tuple[int, int, list[str]]  # (chunk number, position of its first domain, names)
Sink = Callable[[int, "pa.Table"], None]

RUNNERS = ("local", "processes", "dask")
#: The name of the cluster-wide semaphore of MX probes into one network: this, its number of leases and the
#: network ("smtpkit-audit-mx-network:4:192.0.2.0/24"; a run with another limit gets semaphores of its own).
MX_NETWORK_SEMAPHORE = "smtpkit-audit-mx-network:"

log = logging.getLogger(__name__)


#: Domains a pool process or a Dask worker takes at a time: a piece of a chunk. Why not whole chunks: a worker
#: that takes the last chunk still has up to `chunk_size` domains to go when the others run out of work. With
#: shares of whole chunks fixed in advance, one of two pool processes finished 2.5 to 6 s before the other on a
#: 30 s run of 5,000 domains; pieces taken as a worker has room leave at most a piece's worth between them.
PIECE = 25
#: The most domains in one task of the Dask runner. A task costs far more than a pool's queue item: the
#: client and the scheduler (in the calling process, with the LocalCluster the audit starts) spent about 12 ms of
#: CPU on each, so pieces of 25 cost the caller 0.45-0.84 ms of CPU per domain against 0.24-0.32 ms with
#: pieces of 100 (5,000 domains, 2 workers, side by side, six runs each): a tenth of the CPU one domain's audit
#: takes. A worker's stream reads about a thousand domains ahead (`lookahead`), so larger pieces do not
#: unbalance the end of a run (the cores stayed busy to the last second either way).
DASK_PIECE = 100
#: Pieces a Dask run makes for each worker at least, so that a run of a few hundred domains still spreads over
#: every worker (its pieces are then smaller than `DASK_PIECE`, down to `PIECE`).
PIECES_PER_WORKER = 8


def dask_piece_size(domains: int, workers: int) -> int:
    """The domains in each task of a Dask run of `domains` on `workers` workers: `DASK_PIECE`, or fewer (not fewer
    than `PIECE`) where a run has too few domains to give every worker `PIECES_PER_WORKER` pieces."""
    return max(PIECE, min(DASK_PIECE, math.ceil(domains / (PIECES_PER_WORKER * max(1, workers)))))


def chunks(domains: DomainList, chunk_size: int, done: set[int] | None = None) -> list[Chunk]:
    """The chunks still to audit, in input order."""
    out = []
    for number, start in enumerate(range(0, len(domains.names), chunk_size)):
        if done and number in done:
            continue
        out.append((number, start, domains.names[start : start + chunk_size]))
    return out


def pieces(todo: Sequence[Chunk], size: int = PIECE) -> list[Chunk]:
    """Every chunk cut into pieces of at most `size` domains, each with its chunk's number, in input order."""
    return [
        (number, start + i, names[i : i + size]) for number, start, names in todo for i in range(0, len(names), size)
    ]


def resolver_share(config: AuditConfig, streams: int) -> AuditConfig:
    """The settings for one of `streams` event loops asking the same resolvers at once (a pool's processes, a
    Dask cluster's worker streams): each asks at most its share of `query_limit`, so together they keep to one
    resolver's limit (`--workers 8` must not have eight times the polite limit in flight at one resolver). Each
    stream then keeps at most `DOMAINS_PER_PLACE` domains in flight per place of its share (`engine.places_bound`,
    applied by the stream itself: `audit_stream`, `WorkerStream`)."""
    return record.replace(config, query_limit=max(1, config.query_limit // max(1, streams)))


class ChunkAssembler:
    """Pieces back into chunks: a chunk goes to the sink the moment its last piece is in, its rows in input order
    (the pieces of a chunk may come back in any order, from different workers)."""

    def __init__(self, todo: Sequence[Chunk], sink: Sink) -> None:
        self._left = {number: len(names) for number, _start, names in todo}
        self._parts: dict[int, list[pa.Table]] = {}
        self._sink = sink

    def add(self, number: int, table: pa.Table) -> None:
        parts = self._parts.setdefault(number, [])
        parts.append(table)
        self._left[number] -= table.num_rows
        if self._left[number] == 0:
            import pyarrow as pa

            del self._left[number], self._parts[number]
            parts.sort(key=lambda part: part.column("position")[0].as_py())
            self._sink(number, parts[0] if len(parts) == 1 else pa.concat_tables(parts))


# -- in this process ------------------------------------------------------------------------------


#: How often a run that can be cancelled (a form's Cancel) looks whether it was: a form gives up waiting for a
#: cancelled run after `smtpkit.ui.runner.CANCEL_GRACE` (0.8 s); at 0.2 s, a loaded machine (CI) sometimes
#: took longer than that to stop. Twenty wakeups a second cost nothing next to the audit.
STOP_POLL = 0.05


async def _until_stopped(coro: Any, stopped: Callable[[], bool] | None) -> Any:
    """`coro`'s result, unless `stopped()` turns true first: then it is cancelled (its domains' tasks with it,
    `aio.wait_owned`) and `Cancelled` raised, at once rather than when its domains' deadlines run out."""
    if stopped is None:
        return await coro
    task = asyncio.ensure_future(coro)
    while True:
        done, _ = await asyncio.wait({task}, timeout=STOP_POLL)
        if done:
            return task.result()
        if stopped():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise Cancelled("the audit was cancelled before it finished")


def run_local(
    todo: Iterable[Chunk],
    config: AuditConfig,
    sink: Sink,
    tick: Callable[[int], None],
    stopped: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Stream the domains of `todo` (chunks, or pieces of chunks) through one event loop; hand each to `sink` as
    (its chunk's number, its rows) the moment its last domain is in. `todo` is read only as far ahead as the
    stream can start on (`lookahead`), so it may be a queue that other processes take from too. `stopped`:
    polled while it runs (a form's Cancel), `Cancelled` when it says so."""
    pending: dict[int, tuple[int, int, list[dict[str, Any]]]] = {}  # start -> (chunk number, size, rows)
    owner: dict[int, int] = {}  # position of a domain in flight -> start of its chunk or piece

    def items() -> Iterator[tuple[int, str]]:
        for number, start, names in todo:
            pending[start] = (number, len(names), [])
            for i, name in enumerate(names):
                owner[start + i] = start
                yield start + i, name

    def on_row(row: dict[str, Any]) -> None:
        start = owner.pop(int(row["position"]))
        number, size, rows = pending[start]
        rows.append(row)
        tick(1)
        if len(rows) == size:
            rows.sort(key=lambda r: int(r["position"]))
            del pending[start]
            sink(number, to_arrow(rows))

    return run_sync(_until_stopped(audit_stream(items(), config, on_row), stopped))


# -- a process pool -------------------------------------------------------------------------------


class ProbeLimits(BaseManager):
    """A server process holding one `NetworkLimit` that every process of a pool asks through a proxy, so the
    pool as a whole keeps to `probes_per_network` (the way Dask's semaphores keep a cluster to it)."""


ProbeLimits.register("NetworkLimit", NetworkLimit, exposed=("acquire", "release", "turns"))

#: What this pool process was given when it started (`_join_pool`): the queue to the parent, the parent's
#: stop signal, the pool's shared limit of MX probes (None without probe_mx) and the queue of pieces to audit.
_pool_links: tuple[Any, Any, Any, Any] | None = None


def _join_pool(results: Any, stop: Any, limit: Any, work: Any) -> None:
    """A pool process's initializer: keep its links to the parent."""
    global _pool_links
    results.cancel_join_thread()  # a process stopped early must be able to exit with pieces left unsent
    # ^C at a terminal (and a notebook's Interrupt) is sent to every process of the group: the parent stops
    # the pool (`_abandon`); a process that took it itself printed its own traceback when it was idle
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _pool_links = (results, stop, limit, work)


def _stream_work(config: AuditConfig) -> dict[str, Any]:
    """One pool process: pieces taken from the pool's queue as this process's stream has room for them, streamed
    through one event loop as the in-process runner does, until the queue says there are no more (None).

    Why streamed: a piece ends with its slowest domain (a dead one waits out its timeouts), and the next
    piece's domains fill the slots meanwhile. Why taken, not shared out in advance: the processes then run out
    of work within a piece of each other. Each piece goes to the parent the moment it is complete (the parent
    writes a chunk when all its pieces are in, so a crash loses only chunks in flight), the progress row by
    row in between. When the parent stops the run (an error, ^C), the next row ends this process's work.
    """
    assert _pool_links is not None, "_stream_work runs in a pool process started by run_processes"
    results, stop, limit, work = _pool_links
    results.put(("hello", os.getpid(), None))

    def send(message: tuple[str, int, Any]) -> None:
        if stop.is_set():
            raise Cancelled("the audit was stopped by its parent process")
        results.put(message)

    progress = _Progress(lambda rows: send(("rows", rows, None)))

    def piece_done(number: int, table: pa.Table) -> None:
        progress.flush()  # every row belongs to a piece: the last piece's flush leaves nothing unsent
        send(("piece", number, table))

    def taken() -> Iterator[Chunk]:
        while (piece := work.get()) is not None:
            yield piece

    with contextlib.ExitStack() as scope:
        if limit is not None:
            scope.enter_context(probe_limit("pool", lambda: limit))
        info = run_local(taken(), config, piece_done, progress.add)
    # this process's CPU from its start (a forked process's count starts at 0): the fork server's processes
    # are not the parent's children, so the parent's resource usage of its children never sees it
    return {**info, "pool_cpu_seconds": time.process_time()}


class _Progress:
    """Rows done, sent to the parent at most every `every` seconds rather than one queue message per row (the
    progress bar needs no more; no speed gain was measured from it)."""

    EVERY = 0.1

    def __init__(self, send: Callable[[int], None], every: float | None = None) -> None:
        self._send, self._every = send, self.EVERY if every is None else every
        self._rows, self._last = 0, time.monotonic()

    def add(self, rows: int) -> None:
        self._rows += rows
        if time.monotonic() - self._last >= self._every:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            rows, self._rows, self._last = self._rows, 0, time.monotonic()
            self._send(rows)


def run_processes(
    todo: Sequence[Chunk], config: AuditConfig, sink: Sink, tick: Callable[[int], None], workers: int
) -> dict[str, Any]:
    context = pool_context()
    work_items = pieces(todo)
    processes = max(1, min(workers, len(work_items)))
    results, work, stop = context.Queue(), context.Queue(), context.Event()
    work.cancel_join_thread()  # a stopped run leaves pieces untaken: exiting must not wait to send them
    for item in [*work_items, *[None] * processes]:  # in input order, then one "no more" for each process
        work.put(item)
    assembler = ChunkAssembler(todo, sink)
    with contextlib.ExitStack() as resources:
        limit = None
        if config.probe_mx:
            manager = resources.enter_context(ProbeLimits(ctx=context))
            limit = manager.NetworkLimit(config.probes_per_network)  # type: ignore[attr-defined]
        pool = ProcessPoolExecutor(
            max_workers=processes, mp_context=context, initializer=_join_pool, initargs=(results, stop, limit, work)
        )
        pids: set[int] = set()
        share = resolver_share(config, processes)
        futures = [pool.submit(_stream_work, share) for _ in range(processes)]
        try:
            _gather(futures, results, len(work_items), assembler.add, tick, pids)
            concurrent.futures.wait(futures)
        except BaseException:
            _abandon(pool, futures, stop, pids)
            raise
        # Every piece is in: the processes' exit (1.5 s of tearing down what they hold) is not waited for. The
        # pool's own thread joins them, and the interpreter waits for it before it exits.
        pool.shutdown(wait=False)
    results.close()
    work.close()
    return {"workers": processes, **summed(future.result() for future in futures)}


#: What to do when a pool process ended abruptly. The usual cause: the audit runs at the top level of a
#: script, which every pool process imports before it starts (multiprocessing's rule), so each of them
#: starts a pool of its own, which multiprocessing refuses.
BROKEN_POOL = (
    "a process of the audit's pool ended abruptly. If smtpkit.audit(..., workers=N) runs at the top level of a"
    ' script, put it under `if __name__ == "__main__":` (every pool process imports the script that started'
    " it), or leave workers out to audit in this process. If it is under such a guard, the system stopped the"
    " process (short of memory?): try fewer workers."
)


def _gather(
    futures: list[Any], results: Any, expected: int, sink: Sink, tick: Callable[[int], None], pids: set[int]
) -> None:
    """Hand the `expected` pieces the pool sends to `sink` and their progress to `tick`; raise what a process
    raised."""
    left = expected
    quiet = 0.0
    while left:
        try:
            kind, number, table = results.get(timeout=0.5)
        except queue.Empty:
            kind, number, table = "", 0, None
        if kind:
            quiet = 0.0
        if kind == "hello":
            pids.add(number)
        elif kind == "rows":
            tick(number)
        elif kind == "piece":
            sink(number, table)
            left -= 1
        failed = [f.exception() for f in futures if f.done() and f.exception() is not None]
        if failed:
            if isinstance(failed[0], BrokenProcessPool):
                raise InvalidSettings(BROKEN_POOL, field="workers") from failed[0]
            raise failed[0]
        if not kind:
            quiet = quiet + 0.5 if all(f.done() for f in futures) else 0.0
            if quiet > 60:  # every process has returned and a piece never came: never wait for ever
                many = "piece of the audit never came" if left == 1 else "pieces of the audit never came"
                raise RuntimeError(f"{left} {many} back from the process pool")


#: How long a stopped pool's processes are given to end on their own (each ends at its next row, `_stream_work`)
#: before they are ended with SIGTERM.
ABANDON_GRACE = 3.0


def _abandon(pool: ProcessPoolExecutor, futures: list[Any], stop: Any, pids: set[int]) -> None:
    """Stop a pool the run can no longer use: tell its processes, give them `ABANDON_GRACE` seconds to end at
    their next row, and end those that have not.

    The queue of pieces is not read any more. ^C may have stopped `_gather` in the middle of reading a message
    from it, and then the next read starts inside that message: it took bytes of a table for a message's
    length and waited for ever for bytes that never came (one ^C in about ten, with pieces of tables on the
    way). Nothing needs it read: a process puts its pieces through the queue's own thread, which it does not
    wait for when it ends (`_join_pool`), so a full queue holds no process up."""
    processes = set(pids)
    try:
        stop.set()
        processes |= set(getattr(pool, "_processes", None) or {})  # started but not yet said hello
        pool.shutdown(wait=False, cancel_futures=True)
        concurrent.futures.wait(futures, timeout=ABANDON_GRACE)
    finally:  # a second ^C during the grace: they are still ended
        for pid in processes:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)  # gone already, or stuck: either way not ours to wait for


# -- Dask -----------------------------------------------------------------------------------------


class ClusterNetworkLimit(NetworkLimit):
    """`NetworkLimit` for a whole Dask cluster: one `distributed.Semaphore` of `per_network` leases per network.

    Made on a worker, with that worker's scheduler connection and event loop, so
    that the probe threads of a chunk (which are not Dask's task threads) can take
    and give back leases. A semaphore the scheduler cannot serve is no turn: the
    probe is then "timeout" (could not check), never a failure of the MX.

    A network's semaphore is kept on this worker only while one of its probes holds or waits for a lease:
    each `distributed.Semaphore` refreshes its leases every few seconds for as long as it lives, so keeping
    one for every network ever probed gave a long-lived worker of a large portfolio thousands of timers. The
    scheduler keeps the semaphore by name (it is not closed: other workers may hold leases in it).
    """

    def __init__(self, per_network: int, scheduler: Any, loop: Any) -> None:
        super().__init__(per_network)
        self._scheduler, self._loop = scheduler, loop
        self._semaphores: dict[str, tuple[Any, int]] = {}  # network -> (semaphore, probes holding or waiting)

    def _enter(self, network: str) -> Any:
        from distributed import Semaphore

        with self._lock:
            found, users = self._semaphores.get(network, (None, 0))
            if found is None:
                from smtpkit.audit.worker_plugin import renewing

                found = renewing(
                    Semaphore(  # type: ignore[no-untyped-call]
                        max_leases=self.per_network,
                        name=f"{MX_NETWORK_SEMAPHORE}{self.per_network}:{network}",
                        scheduler_rpc=self._scheduler,
                        loop=self._loop,
                    )
                )
            self._semaphores[network] = (found, users + 1)
            return found

    def _leave(self, network: str) -> None:
        with self._lock:
            found, users = self._semaphores.pop(network, (None, 0))
            if found is None:
                return
            if users > 1:
                self._semaphores[network] = (found, users - 1)
                return
        refresh = getattr(found, "refresh_callback", None)  # absent when leases never time out
        if refresh is not None:
            self._loop.add_callback(refresh.stop)  # a tornado timer: stopped on its own loop

    def acquire(self, network: str, timeout: float) -> bool:
        try:
            got = bool(self._enter(network).acquire(timeout=max(0.0, timeout)))
        except Exception as exc:  # noqa: BLE001 - a cluster gone or unreachable: no turn, said by the probe
            log.warning("no MX probe lease for %s from the Dask scheduler: %s", network, exc)
            got = False
        if not got:
            self._leave(network)
        return got

    def release(self, network: str) -> None:
        try:
            with self._lock:
                found = self._semaphores[network][0]
            found.release()
        except Exception as exc:  # noqa: BLE001 - a lease the scheduler already dropped (its timeout)
            log.warning("could not give back the MX probe lease for %s: %s", network, exc)
        finally:
            self._leave(network)


def _dask_chunk(names: list[str], config: AuditConfig, start: int, semaphore: str, leases: int) -> pa.Table:
    """A piece of a chunk on a Dask worker, streamed through the worker's one event loop (`worker_stream`: the
    stream holds one of the resolver's leases while it asks), its MX probes under the cluster's limit per network."""
    from distributed import get_worker

    from smtpkit.audit.worker_stream import stream_chunk

    worker = get_worker()
    cluster_limit = functools.partial(ClusterNetworkLimit, config.probes_per_network, worker.scheduler, worker.loop)
    with probe_limit(f"dask {worker.scheduler.address}", cluster_limit):
        return to_arrow(stream_chunk(names, config, start, semaphore, leases))


def dask_client(scheduler: str | None = None, workers: int | None = None) -> Any:
    """A client of the cluster at `scheduler`, or of a new LocalCluster of `workers` processes."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InvalidSettings('the Dask runner needs Dask: pip install "smtpkit[dask]"', field="dask") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise InvalidSettings(f"cannot reach the Dask scheduler at {scheduler}: {exc}", field="scheduler") from None
    import dask

    n = workers or max(1, min(os.cpu_count() or 1, 8))
    # One thread per worker: a piece's task leaves it while its domains stream (worker_stream). The workers'
    # statistical profiler is off: it samples every thread's stack 100 times a second, and a worker holds a
    # thread for each piece whose rows are still coming (dozens): 7% of a core per worker with 60 threads
    # against 2.5% without it, and 18% less CPU per domain audited (medians of 3 runs each side by side, 2 workers).
    # Its servers (the scheduler and each worker's nanny in this process, each worker in its own) check their
    # event loop's health every 100 ms rather than every 20 ms: an idle cluster of 2 workers then used 4.3% of a
    # core rather than 9.2-10% (each worker 0.9-1.0% against 1.9-2.3%); a loop held up for seconds is still
    # reported (the check only measures the time between its calls).
    # A cluster of your own (`--dask-scheduler`, `client=`) keeps its settings.
    with dask.config.set({"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "100ms"}):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    from smtpkit.audit.worker_plugin import NAME, AuditWorkerPlugin

    client.register_plugin(AuditWorkerPlugin(), name=NAME)
    return client


def run_dask(
    todo: Sequence[Chunk], config: AuditConfig, sink: Sink, tick: Callable[[int], None], client: Any
) -> dict[str, Any]:
    from distributed import as_completed as dask_completed

    workers = len(client.nthreads())
    work_items = pieces(todo, dask_piece_size(sum(len(names) for _n, _s, names in todo), workers))
    leases = max(1, min(workers, len(work_items) or 1))  # one per worker's stream
    share = resolver_share(config, leases)
    resolver = ",".join(config.nameservers) or "system"
    semaphore = f"smtpkit-audit-resolver:{resolver}"
    assembler = ChunkAssembler(todo, sink)
    before = _dask_counts(client, semaphore)
    futures = {}
    for number, start, names in work_items:
        future = client.submit(
            _dask_chunk,
            names,
            share,
            start,
            semaphore,
            leases,
            pure=False,
            key=f"smtpkit-audit-{number}-{start}-{time.time_ns()}",
        )
        futures[future] = (number, len(names))
    for future in dask_completed(list(futures)):  # type: ignore[no-untyped-call]
        number, size = futures[future]
        assembler.add(number, future.result())
        future.release()
        tick(size)
    after = _dask_counts(client, semaphore)
    counted = summed([after, {name: -value for name, value in before.items()}])  # this run's
    return {"dask": client.dashboard_link, "workers": workers, "leases_per_resolver": leases, **counted}


def _dask_counts(client: Any, semaphore: str) -> dict[str, float]:
    """The resolver counters of every worker's streams for `semaphore`, summed over the workers (read before
    and after a run: the difference is the run's, as the in-process runner counts it)."""
    from smtpkit.audit.worker_stream import counts

    return summed(client.run(counts, semaphore).values())


def progress_bar(total: int, enabled: bool) -> Any:
    """tqdm: a widget in JupyterLab, a text bar on a terminal (stderr), nothing when disabled or with nothing to
    do (a resumed run that had finished: a bar "0/0" said nothing). The rate is the run's average (smoothing 0),
    the one the summary gives at the end, not a recent burst."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total, unit="domain", disable=not enabled or total == 0, file=sys.stderr, smoothing=0, dynamic_ncols=True
    )
