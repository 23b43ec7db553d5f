"""What the audit sets up on each worker of the Dask LocalCluster it starts, and undoes as a worker closes.

Why: stopping a run with Ctrl-C closes that cluster with pieces under way. Each worker then logged a warning
for every piece it was running ("Async instruction for <Task ...> ended with CancelledError", twenty lines),
and a lease of a cluster-wide semaphore (the resolver's, held by `worker_stream`, or an MX network's, held by
`runners.ClusterNetworkLimit`) went on renewing itself through the worker's closed connections, printing a
traceback, all above the one line that says what was saved; a worker slow to close logged that its heartbeat
found the scheduler gone, with two tracebacks. A worker's plugins are torn down before its
connections close, so the renewals stop in time. A cluster of your own (`--dask-scheduler`, `client=`) is left
as it is.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import weakref
from collections.abc import Iterator
from typing import Any

from distributed import WorkerPlugin

__all__ = ["NAME", "AuditWorkerPlugin", "closing_quietly", "renewing"]

NAME = "smtpkit-audit"

#: The distributed Semaphores made in this process whose leases renew themselves (see `renewing`).
_renewing: weakref.WeakSet[Any] = weakref.WeakSet()


def renewing(semaphore: Any) -> Any:
    """`semaphore` (a `distributed.Semaphore` this process made), remembered so that its lease renewals stop when
    the worker closes."""
    _renewing.add(semaphore)
    return semaphore


class _CloseNoise(logging.Filter):
    """Drops the warning a closing worker logs for each task it was running: here, the audit's pieces, stopped
    on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Async instruction for") and message.endswith("ended with CancelledError"))


class _HeartbeatNoise(logging.Filter):
    """Drops the error (and its two chained tracebacks) a worker logs when its heartbeat finds the scheduler
    gone. The scheduler of the LocalCluster the audit starts lives in the audit's own process and goes only
    when the audit closes the cluster; a worker that took a few seconds to close (its pieces' threads still
    under way after Ctrl-C) logged it above the line that says what was saved (1 run in about 10)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to communicate with scheduler during heartbeat")


class _KillNoise(logging.Filter):
    """Drops the warning a nanny logs as it ends a worker that did not stop within its grace: closing the
    cluster the audit started, after Ctrl-C, that is what was asked for (two lines above the one that says
    what was saved)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Worker process still alive after") and message.endswith("killing"))


@contextlib.contextmanager
def closing_quietly() -> Iterator[None]:
    """While the audit closes the LocalCluster it started (its nannies live in this process): without the
    nannies' warnings that they end the workers they were asked to end."""
    logger, noise = logging.getLogger("distributed.nanny"), _KillNoise()
    logger.addFilter(noise)
    try:
        yield
    finally:
        logger.removeFilter(noise)


class AuditWorkerPlugin(WorkerPlugin):
    """Registered by `runners.dask_client` on the LocalCluster it starts (see the module docstring)."""

    def setup(self, worker: Any) -> None:
        for name, noise in (("distributed.worker.state_machine", _CloseNoise), ("distributed.worker", _HeartbeatNoise)):
            logger = logging.getLogger(name)
            if not any(isinstance(f, noise) for f in logger.filters):
                logger.addFilter(noise())
        # ^C at a terminal (and a notebook's Interrupt) reaches every process of the group, this worker too:
        # its event loop stopped with a KeyboardInterrupt traceback of its own (one ^C in three) above the
        # line that says what was saved. The audit that started the cluster stops it and closes its workers.
        if threading.current_thread() is threading.main_thread():  # a nanny's worker runs its loop there
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    def teardown(self, worker: Any) -> None:
        for semaphore in list(_renewing):
            renewal = getattr(semaphore, "refresh_callback", None)  # absent when leases never time out
            if renewal is not None:
                renewal.stop()  # on the worker's loop, where it runs
