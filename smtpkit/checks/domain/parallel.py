"""Run independent lookups and probes at once, and stop waiting at a deadline.

Why daemon threads and not a ThreadPoolExecutor: the interpreter joins an
executor's workers at exit, so a lookup still waiting on a hostile zone or a
probe on a filtered port after the deadline would keep `smtpkit domain` from
exiting. Every job here has its own timeouts; the deadline only says how long
the caller waits for all of them together. A job that raised has its
exception re-raised here: the checks turn every network outcome into a fact,
so an exception is a bug to see, not an outcome to hide.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from smtpkit.aio import in_bridge, run_in_threads
from smtpkit.progress import join

T = TypeVar("T")


def run_all(jobs: Mapping[str, Callable[[], T]], deadline: float, *, name: str = "smtpkit") -> dict[str, T]:
    """Run every job in its own daemon thread; the results of those that finished by `deadline` (monotonic).

    Inside the portfolio audit's event loop (a greenlet of `smtpkit.aio.spawn`)
    the jobs run on worker threads while the loop keeps serving the other
    domains and the DNS the jobs ask (`smtpkit.aio.run_in_threads`).
    """
    if in_bridge():
        return run_in_threads(jobs, deadline)
    results: dict[str, T] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(key: str, fn: Callable[[], T]) -> None:
        try:
            value = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            with lock:
                errors.append(exc)
            return
        with lock:
            results[key] = value

    threads = [
        threading.Thread(target=run, args=(key, fn), name=f"{name}-{key}"[:60], daemon=True) for key, fn in jobs.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        join(t, deadline - time.monotonic())  # returns early when the check is cancelled (smtpkit.progress)
    with lock:
        if errors:
            raise errors[0]
        return dict(results)
