"""What the audit sets up on each worker of the Dask LocalCluster it starts, and undoes as a worker closes.

Why: stopping a run with Ctrl-C closes that cluster with pieces under way. Each worker then logged a warning
for every piece it was running ("Async instruction for <Task ...> ended with CancelledError", twenty lines),
and a lease of a cluster-wide semaphore (the resolver's, held by `worker_stream`, or an MX network's, held by
`runners.ClusterNetworkLimit`) went on renewing itself through the worker's closed connections, printing a
traceback, all above the one line that says what was saved. A worker's plugins are torn down before its
connections close, so the renewals stop in time. A cluster of your own (`--dask-scheduler`, `client=`) is left
as it is.
"""

from __future__ import annotations

import logging
import signal
import threading
import weakref
from typing import Any

from distributed import WorkerPlugin

__all__ = ["NAME", "AuditWorkerPlugin", "renewing"]

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


class AuditWorkerPlugin(WorkerPlugin):
    """Registered by `runners.dask_client` on the LocalCluster it starts (see the module docstring)."""

    def setup(self, worker: Any) -> None:
        logger = logging.getLogger("distributed.worker.state_machine")
        if not any(isinstance(f, _CloseNoise) for f in logger.filters):
            logger.addFilter(_CloseNoise())
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
