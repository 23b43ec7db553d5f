"""The audit's own LocalCluster workers drop the noise of a cluster closed on purpose, and nothing else."""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("distributed")

from smtpkit.audit.worker_plugin import AuditWorkerPlugin, closing_quietly  # noqa: E402


def _record(name: str, message: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_a_closed_clusters_noise_is_dropped_and_other_lines_kept() -> None:
    import threading

    worker = logging.getLogger("distributed.worker")
    machine = logging.getLogger("distributed.worker.state_machine")
    before = (list(worker.filters), list(machine.filters))
    for _ in range(2):  # not in the main thread, which would ignore SIGINT from then on
        thread = threading.Thread(target=AuditWorkerPlugin().setup, args=(None,))
        thread.start()
        thread.join()
    try:
        # the scheduler went as the audit closed its cluster: the heartbeat error and its tracebacks
        assert not worker.filter(_record(worker.name, "Failed to communicate with scheduler during heartbeat."))
        assert not machine.filter(
            _record(machine.name, "Async instruction for <Task 'x'> ended with CancelledError", logging.WARNING)
        )
        # anything else a worker says still shows
        assert worker.filter(_record(worker.name, "Compute Failed"))
        assert machine.filter(_record(machine.name, "Async instruction for <Task 'x'> ended with ValueError"))
        assert len(worker.filters) == len(before[0]) + 1  # one filter, however many times it is set up
    finally:
        worker.filters[:], machine.filters[:] = before


def test_closing_the_audits_own_cluster_drops_only_the_nannies_kill_warning() -> None:
    nanny = logging.getLogger("distributed.nanny")
    kill = _record(nanny.name, "Worker process still alive after 4.0 seconds, killing", logging.WARNING)
    with closing_quietly():
        assert not nanny.filter(kill)
        assert nanny.filter(_record(nanny.name, "Restarting worker", logging.WARNING))
    assert nanny.filter(kill)  # a cluster of your own, closed another way, still says it
