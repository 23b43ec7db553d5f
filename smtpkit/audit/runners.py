"""Who runs the audit: this process, a pool of processes, or a Dask cluster; the same rows from each.

Every runner splits the portfolio into chunks of `chunk_size` domains in
input order (chunk k holds positions k*chunk_size ...), hands each finished
chunk to the same sink (the Parquet part file, the progress bar, the table
returned), and skips the chunks a resumed run has already written.

* `local`: the chunks' domains stream through one `audit_stream` on one
  event loop, so a slow domain at the end of a chunk never holds the next
  chunk up; a chunk is written the moment its last domain is in.
* `processes`: a process pool (`--workers N`, "spawn" processes, one
  DNS cache each) streams its share of the chunks; MX probes ask one
  `NetworkLimit` held by a manager process, so the pool as a whole keeps to
  `probes_per_network`.
* `dask`: chunks on a Dask cluster (`--dask` starts a LocalCluster,
  `--dask-scheduler ADDR` or `client=` uses an existing one), as futures
  gathered as they complete. On each worker the chunks stream through one
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

import contextlib
import functools
import logging
import math
import multiprocessing
import os
import queue
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.managers import BaseManager
from typing import TYPE_CHECKING, Any

from smtpkit import record
from smtpkit.aio import run_sync
from smtpkit.audit.domains import DomainList
from smtpkit.audit.engine import audit_chunk, audit_stream, probe_limit
from smtpkit.audit.table import to_arrow
from smtpkit.errors import Cancelled, InvalidSettings
from smtpkit.net.mx import NetworkLimit
from smtpkit.settings.audit import AuditConfig

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

Chunk = tuple[int, int, list[str]]  # (chunk number, position of its first domain, names)
Sink = Callable[[int, "pa.Table"], None]

RUNNERS = ("local", "processes", "dask")
#: The name of the cluster-wide semaphore of MX probes into one network: this, its number of leases and the
#: network ("smtpkit-audit-mx-network:4:192.0.2.0/24"; a run with another limit gets semaphores of its own).
MX_NETWORK_SEMAPHORE = "smtpkit-audit-mx-network:"

log = logging.getLogger(__name__)


def chunks(domains: DomainList, chunk_size: int, done: set[int] | None = None) -> list[Chunk]:
    """The chunks still to audit, in input order."""
    out = []
    for number, start in enumerate(range(0, len(domains.names), chunk_size)):
        if done and number in done:
            continue
        out.append((number, start, domains.names[start : start + chunk_size]))
    return out


def _table(df: pd.DataFrame) -> pa.Table:
    import pyarrow as pa

    from smtpkit.audit.table import schema

    return pa.Table.from_pandas(df, schema=schema(), preserve_index=False)


# -- in this process ------------------------------------------------------------------------------


def run_local(todo: Sequence[Chunk], config: AuditConfig, sink: Sink, tick: Callable[[int], None]) -> dict[str, Any]:
    sizes = {number: len(names) for number, _start, names in todo}
    starts = sorted((start, number) for number, start, _names in todo)
    pending: dict[int, list[dict[str, Any]]] = {number: [] for number, _s, _n in todo}

    def chunk_of(position: int) -> int:
        import bisect

        return starts[bisect.bisect_right(starts, (position, math.inf)) - 1][1]

    def on_row(row: dict[str, Any]) -> None:
        number = chunk_of(int(row["position"]))
        rows = pending[number]
        rows.append(row)
        tick(1)
        if len(rows) == sizes[number]:
            rows.sort(key=lambda r: int(r["position"]))
            sink(number, to_arrow(rows))
            del pending[number]

    items = ((start + i, name) for _number, start, names in todo for i, name in enumerate(names))
    return run_sync(audit_stream(items, config, on_row))


# -- a process pool -------------------------------------------------------------------------------


def _chunk_table(names: list[str], config: AuditConfig, start: int) -> pa.Table:
    """What a worker process returns: Arrow, smaller to pickle than a DataFrame."""
    return _table(audit_chunk(names, config, start=start))


class ProbeLimits(BaseManager):
    """A server process holding one `NetworkLimit` that every process of a pool asks through a proxy, so the
    pool as a whole keeps to `probes_per_network` (the way Dask's semaphores keep a cluster to it)."""


ProbeLimits.register("NetworkLimit", NetworkLimit, exposed=("acquire", "release", "turns"))

#: What this pool process was given when it started (`_join_pool`): the queue to the parent, the parent's
#: stop signal, and the pool's shared limit of MX probes (None without probe_mx).
_pool_links: tuple[Any, Any, Any] | None = None


def _join_pool(results: Any, stop: Any, limit: Any) -> None:
    """A pool process's initializer: keep its links to the parent."""
    global _pool_links
    results.cancel_join_thread()  # a process stopped early must be able to exit with chunks left unsent
    _pool_links = (results, stop, limit)


def _stream_share(share: list[Chunk], config: AuditConfig) -> dict[str, Any]:
    """One pool process's share of the chunks, streamed through one event loop as the in-process runner does.

    Why not one task per chunk: a chunk ends with its slowest domain (a dead one waits out its timeouts), and a
    process running one chunk at a time sits idle through every chunk's tail; streamed, the next chunk's
    domains fill those slots. Each chunk goes to the parent the moment it is complete (so a crash loses only
    the chunks in flight), the progress row by row in between. When the parent stops the run (an error, ^C),
    the next row ends this share.
    """
    assert _pool_links is not None, "_stream_share runs in a pool process started by run_processes"
    results, stop, limit = _pool_links
    results.put(("hello", os.getpid(), None))

    def send(message: tuple[str, int, Any]) -> None:
        if stop.is_set():
            raise Cancelled("the audit was stopped by its parent process")
        results.put(message)

    progress = _Progress(lambda rows: send(("rows", rows, None)))

    def chunk_done(number: int, table: pa.Table) -> None:
        progress.flush()  # every row belongs to a chunk: the last chunk's flush leaves nothing unsent
        send(("chunk", number, table))

    with contextlib.ExitStack() as scope:
        if limit is not None:
            scope.enter_context(probe_limit("pool", lambda: limit))
        return run_local(share, config, chunk_done, progress.add)


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
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads and an event loop
    shares = [list(todo[i::workers]) for i in range(workers)]  # interleaved: the early chunks come first
    shares = [share for share in shares if share] or [[]]
    results = context.Queue()
    stop = context.Event()
    totals = {"queries": 0, "cache_hits": 0}
    with contextlib.ExitStack() as resources:
        limit = None
        if config.probe_mx:
            manager = resources.enter_context(ProbeLimits(ctx=context))
            limit = manager.NetworkLimit(config.probes_per_network)  # type: ignore[attr-defined]
        pool = ProcessPoolExecutor(
            max_workers=len(shares), mp_context=context, initializer=_join_pool, initargs=(results, stop, limit)
        )
        pids: set[int] = set()
        futures = [pool.submit(_stream_share, share, config) for share in shares]
        try:
            _gather(futures, results, len(todo), sink, tick, pids)
        except BaseException:
            _abandon(pool, futures, results, stop, pids)
            raise
        pool.shutdown(wait=True)
        for future in futures:
            for key, value in future.result().items():
                if key in totals:
                    totals[key] += int(value)
    results.close()
    return {"workers": len(shares), **totals}


def _gather(
    futures: list[Any], results: Any, chunks: int, sink: Sink, tick: Callable[[int], None], pids: set[int]
) -> None:
    """Hand every chunk the pool sends to `sink` and its progress to `tick`; raise what a process raised."""
    left = chunks
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
        elif kind == "chunk":
            sink(number, table)
            left -= 1
        failed = [f.exception() for f in futures if f.done() and f.exception() is not None]
        if failed:
            raise failed[0]
        if not kind:
            quiet = quiet + 0.5 if all(f.done() for f in futures) else 0.0
            if quiet > 60:  # every process has returned and a chunk never came: never wait for ever
                raise RuntimeError(f"{left} chunk(s) of the audit never came back from the process pool")


def _abandon(pool: ProcessPoolExecutor, futures: list[Any], results: Any, stop: Any, pids: set[int]) -> None:
    """Stop a pool the run can no longer use: tell its processes, read what they still send (a full queue would
    hold them), and end those that have not stopped within a few seconds."""
    stop.set()
    pool.shutdown(wait=False, cancel_futures=True)
    end = time.monotonic() + 10
    while time.monotonic() < end and not all(f.done() for f in futures):
        with contextlib.suppress(queue.Empty, OSError, EOFError, ValueError):
            results.get(timeout=0.2)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)  # gone already, or stuck: either way not ours to wait for


# -- Dask -----------------------------------------------------------------------------------------


class ClusterNetworkLimit(NetworkLimit):
    """`NetworkLimit` for a whole Dask cluster: one `distributed.Semaphore` of `per_network` leases per network.

    Made on a worker, with that worker's scheduler connection and event loop, so
    that the probe threads of a chunk (which are not Dask's task threads) can take
    and give back leases. A semaphore the scheduler cannot serve is no turn: the
    probe is then "timeout" (could not check), never a failure of the MX.
    """

    def __init__(self, per_network: int, scheduler: Any, loop: Any) -> None:
        super().__init__(per_network)
        self._scheduler, self._loop = scheduler, loop
        self._semaphores: dict[str, Any] = {}

    def semaphore(self, network: str) -> Any:
        from distributed import Semaphore

        with self._lock:
            found = self._semaphores.get(network)
            if found is None:
                found = self._semaphores[network] = Semaphore(  # type: ignore[no-untyped-call]
                    max_leases=self.per_network,
                    name=f"{MX_NETWORK_SEMAPHORE}{self.per_network}:{network}",
                    scheduler_rpc=self._scheduler,
                    loop=self._loop,
                )
            return found

    def acquire(self, network: str, timeout: float) -> bool:
        try:
            return bool(self.semaphore(network).acquire(timeout=max(0.0, timeout)))
        except Exception as exc:  # noqa: BLE001 - a cluster gone or unreachable: no turn, said by the probe
            log.warning("no MX probe lease for %s from the Dask scheduler: %s", network, exc)
            return False

    def release(self, network: str) -> None:
        try:
            self.semaphore(network).release()
        except Exception as exc:  # noqa: BLE001 - a lease the scheduler already dropped (its timeout)
            log.warning("could not give back the MX probe lease for %s: %s", network, exc)


def _dask_chunk(names: list[str], config: AuditConfig, start: int, semaphore: str, leases: int) -> pa.Table:
    """A chunk on a Dask worker, streamed through the worker's one event loop (`worker_stream`: the stream holds
    one of the resolver's leases while it asks), its MX probes under the cluster's limit per network."""
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
    n = workers or max(1, min(os.cpu_count() or 1, 8))
    # one thread per worker: a chunk's task leaves it while its domains stream (worker_stream)
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    )
    return Client(cluster)  # type: ignore[no-untyped-call]


def run_dask(
    todo: Sequence[Chunk], config: AuditConfig, sink: Sink, tick: Callable[[int], None], client: Any
) -> dict[str, Any]:
    from distributed import as_completed as dask_completed

    leases = max(1, min(len(client.nthreads()), len(todo) or 1))  # one per worker's stream
    share = record.replace(config, query_limit=max(1, config.query_limit // leases))
    resolver = ",".join(config.nameservers) or "system"
    semaphore = f"smtpkit-audit-resolver:{resolver}"
    futures = {}
    for number, start, names in todo:
        future = client.submit(
            _dask_chunk,
            names,
            share,
            start,
            semaphore,
            leases,
            pure=False,
            key=f"smtpkit-audit-{number}-{time.time_ns()}",
        )
        futures[future] = (number, len(names))
    for future in dask_completed(list(futures)):  # type: ignore[no-untyped-call]
        number, size = futures[future]
        sink(number, future.result())
        future.release()
        tick(size)
    return {"dask": client.dashboard_link, "workers": len(client.nthreads()), "leases_per_resolver": leases}


def progress_bar(total: int, enabled: bool) -> Any:
    """tqdm: a widget in JupyterLab, a text bar on a terminal (stderr), nothing when disabled."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="domain", disable=not enabled, file=sys.stderr, smoothing=0.1, dynamic_ncols=True)
