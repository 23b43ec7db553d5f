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
  stopped by cancelling its task.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import sys
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any, TypeVar

import greenlet

T = TypeVar("T")

__all__ = ["await_only", "blocking", "blocking_once", "in_bridge", "run_sync", "spawn", "wait_on"]


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
    probe `blocking` moved off the loop, asking DNS) it is handed to the loop
    and waited for.
    """
    if in_bridge():
        return await_only(coro)
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


def blocking(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call a blocking function (a socket probe): directly, or in a worker thread when run by `spawn`,
    so that the loop keeps serving every other domain meanwhile."""
    if not in_bridge():
        return fn(*args, **kwargs)
    loop = asyncio.get_running_loop()
    return await_only(loop.run_in_executor(None, functools.partial(fn, *args, **kwargs)))


_once: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, asyncio.Future[Any]]] = (
    weakref.WeakKeyDictionary()
)


def blocking_once(key: Hashable, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`blocking`, and under `spawn` called once per `key` for the whole run (one event loop).

    For probes many domains share: one STARTTLS probe per MX host and port,
    however many domains of a portfolio use that host, is what keeps an audit
    from looking like an attack. Outside `spawn` it is a plain call.
    """
    if not in_bridge():
        return fn(*args, **kwargs)
    loop = asyncio.get_running_loop()
    calls = _once.setdefault(loop, {})
    pending = calls.get(key)
    if pending is None:
        pending = calls[key] = asyncio.ensure_future(loop.run_in_executor(None, functools.partial(fn, *args, **kwargs)))
    result: T = await_only(asyncio.shield(pending))
    return result
