"""Running asyncio code from synchronous code, and synchronous code on an event loop.

The kit's checks are synchronous functions (clear, testable, shared by the
CLI, the notebooks and the audit), while DNS at scale wants one event loop.
Two bridges connect them:

* `run_sync(coro)`: a synchronous caller runs a coroutine to completion
  (DKIM selector discovery does, to ask for fifty selectors at once). With no
  loop running it uses `asyncio.run`; inside a Jupyter kernel, whose loop is
  already running, it runs a fresh loop in a worker thread; inside `spawn`
  (below) it awaits the coroutine on the running loop itself.
* `spawn(fn)` / `await_only(awaitable)`: the portfolio audit runs the
  synchronous steps of thousands of domains on one event loop, each in its
  own greenlet; when a step asks DNS, `await_only` suspends its greenlet
  until the loop has the answer. This is SQLAlchemy's asyncio bridge, the
  well-trodden way to run blocking-style code over asyncio: no thread per
  domain, no thread switch per query, and a domain past its deadline is
  stopped by cancelling its task. Blocking socket probes a step runs in
  parallel (`checks.domain.parallel.run_all`: the MTA-STS fetch, the MX
  STARTTLS probes) go to worker threads instead (`run_in_threads`), and the
  DNS they ask is handed back to the loop (`wait_on`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping
from typing import Any, TypeVar

import greenlet

T = TypeVar("T")

__all__ = ["await_only", "in_bridge", "run_in_threads", "run_sync", "spawn", "wait_on", "wait_owned"]


class _Bridge(greenlet.greenlet):  # type: ignore[misc]
    """A greenlet whose awaits (`await_only`) are served by the task that spawned it (`spawn`)."""


def in_bridge() -> bool:
    """True inside a function run by `spawn`: awaiting through `await_only` is possible."""
    return isinstance(greenlet.getcurrent(), _Bridge)


def await_only(awaitable: Awaitable[T]) -> T:
    """Wait for `awaitable` on the running loop from synchronous code run by `spawn`."""
    current = greenlet.getcurrent()
    if not isinstance(current, _Bridge):
        if asyncio.iscoroutine(awaitable):
            awaitable.close()  # never awaited: say so once, here, not as a warning at exit
        raise RuntimeError("await_only() works only inside a function run by smtpkit.aio.spawn()")
    assert current.parent is not None
    return current.parent.switch(awaitable)  # type: ignore[no-any-return]


async def spawn(fn: Callable[..., T], *args: Any) -> T:
    """Run synchronous `fn(*args)` on this loop, serving each `await_only` it makes; return its result.

    Cancelling the task that awaits `spawn` raises `CancelledError` inside
    `fn` at the `await_only` it is waiting in, so it unwinds like any exception.
    """
    child = _Bridge(fn, greenlet.getcurrent())
    result: Any = child.switch(*args)
    while not child.dead:
        try:
            value = await result
        except BaseException:  # noqa: BLE001 - handed to the synchronous code, which may handle it
            result = child.throw(*sys.exc_info())
        else:
            result = child.switch(value)
    return result  # type: ignore[no-any-return]


async def wait_owned(
    tasks: Collection[asyncio.Future[Any]], timeout: float | None = None
) -> tuple[set[asyncio.Future[Any]], set[asyncio.Future[Any]]]:
    """`asyncio.wait(tasks, timeout=...)` for tasks the caller started and no one else waits for: cancelled
    itself (a run stopped, its caller's deadline), it cancels the tasks not done before it stops.

    Why: `asyncio.wait` leaves the tasks running when the waiter is cancelled, so a stopped domain's DKIM
    lookups went on asking the resolver for a domain whose row no one would read."""
    try:
        return await asyncio.wait(tasks, timeout=timeout)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        raise


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code (see the module docstring for where)."""
    if in_bridge():
        return await_only(coro)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def wait_on(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """The result of `coro` run on `loop`, from any synchronous code.

    In a greenlet of `spawn` it is awaited there; in another thread (a blocking
    probe `run_in_threads` moved off the loop, asking DNS) it is handed to the
    loop and waited for.
    """
    if in_bridge():
        return await_only(coro)
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _threads() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=256, thread_name_prefix="smtpkit-aio")
        return _pool


async def _in_threads(jobs: Mapping[str, Callable[[], T]], deadline: float) -> dict[str, T]:
    loop = asyncio.get_running_loop()
    futures = {key: loop.run_in_executor(_threads(), fn) for key, fn in jobs.items()}
    if futures:
        await asyncio.wait(futures.values(), timeout=max(0.0, deadline - time.monotonic()))
    results: dict[str, T] = {}
    for key, future in futures.items():
        if not future.done():
            continue  # still running: left to finish on its own timeouts, like a daemon thread
        error = future.exception()
        if error is not None:
            raise error
        results[key] = future.result()
    return results


def run_in_threads(jobs: Mapping[str, Callable[[], T]], deadline: float) -> dict[str, T]:
    """From a greenlet of `spawn`: run blocking jobs (socket probes) in worker threads until `deadline`
    (monotonic) while the loop keeps serving everything else; the results of those that finished.

    The jobs may ask DNS through the run's resolvers: from a worker thread their
    questions are handed to the loop (`wait_on`), which is free meanwhile.
    """
    return await_only(_in_threads(jobs, deadline))
