"""Progress and cancellation of a running check: which step runs, what it waits for, and how to stop it.

A check that waits on a silent server for ten seconds must say *what* it waits
for ("waiting for the greeting 3/5 s"), and a person must be able to stop it.
`Progress` is the hook a caller hands to a check for both:

* the engine reports steps as they start (`started`: the step, what it is
  doing, how long that wait may take at most) and end (`finished`: the step's
  status and summary); listeners (the notebook's live step strip, the CLI's
  stderr lines) turn the `StepEvent`s into something to look at;
* the caller may `cancel()` from another thread. The engine checks between
  steps (`check()` raises `Cancelled`) and every blocking socket operation runs
  inside `guard(sock)`, so cancelling shuts that socket down and the blocked
  call returns at once instead of waiting for its timeout. The engine's own
  timeouts and deadlines still bound everything; cancelling only ends it sooner.

Why a thread-local `current()` instead of a parameter on every function: the
waits happen deep in `smtpkit.net` (connect, a reply, a TLS handshake), which
must stay free of check-level plumbing. A check installs its `Progress` for its
own thread with `active(progress)`; code anywhere below asks `current()`, which
is a no-op `Progress` when nobody is listening.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from smtpkit.errors import Cancelled
from smtpkit.record import field, record

__all__ = [
    "PROGRESS_FILE_ENV",
    "Cancelled",
    "EventRelay",
    "Progress",
    "StepEvent",
    "active",
    "current",
    "follow_events",
    "guard",
    "join",
]

#: A check run in another process (a notebook kernel under `smtpkit report`) writes its events here.
PROGRESS_FILE_ENV = "SMTPKIT_PROGRESS_FILE"

RUNNING = "running"


@record(frozen=True)
class StepEvent:
    """One step starting (`state` is "running") or ending (its status: pass, warn, fail, skip, info).

    `doing` says what a running step waits for, in words ("waiting for the
    greeting"); `wait` the seconds that wait may take at most (its timeout);
    `at` the monotonic time of the event, so a listener can show "3/5 s".
    """

    step: str
    state: str
    doing: str = ""
    wait: float | None = None
    summary: str = ""
    elapsed_ms: float = 0.0
    at: float = field(default_factory=time.monotonic)

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def line(self, now: float | None = None) -> str:
        """The event as one plain line, as the CLI prints it on stderr."""
        if self.running:
            limit = f" (at most {self.wait:g} s)" if self.wait else ""
            waited = (now or time.monotonic()) - self.at
            so_far = f" {waited:.0f}/{self.wait:g} s" if now is not None and self.wait else ""
            return f"{self.step}: {self.doing or 'running'}{so_far if so_far else limit}"
        took = f" ({self.elapsed_ms / 1000:.1f} s)" if self.elapsed_ms >= 100 else ""
        summary = f": {self.summary}" if self.summary else ""
        return f"{self.step}: {self.state.upper()}{summary}{took}"


Listener = Callable[[StepEvent], None]


class Progress:
    """What a running check reports, and the switch that stops it (safe to use from any thread).

    `steps` keeps the latest event of each step in the order they first
    appeared, for a view that redraws the whole strip. Listeners are called in
    the check's thread; one that raises is dropped rather than breaking the
    check.
    """

    def __init__(self, listener: Listener | None = None) -> None:
        self._listeners: list[Listener] = [listener] if listener else []
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._guarded: list[socket.socket] = []
        self.steps: dict[str, StepEvent] = {}
        self.started_at = time.monotonic()

    # -- reporting --------------------------------------------------------------------
    def listen(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def _emit(self, event: StepEvent) -> None:
        if self._cancel.is_set():
            return  # what a step says after its socket was shut under it is not what the server did
        with self._lock:
            self.steps[event.step] = event
            listeners = list(self._listeners)
        for fn in listeners:
            try:
                fn(event)
            except Exception:  # noqa: BLE001 - a broken view must not break the check
                with self._lock:
                    if fn in self._listeners:
                        self._listeners.remove(fn)

    def started(self, step: str, doing: str = "", wait: float | None = None) -> None:
        """`step` begins; it is `doing` something that may take `wait` seconds at most."""
        self._emit(StepEvent(step, RUNNING, doing=doing, wait=wait))

    def finished(self, step: str, state: str, summary: str = "", elapsed_ms: float = 0.0) -> None:
        """`step` ended with status `state` (pass, warn, fail, skip, info)."""
        self._emit(StepEvent(step, str(state), summary=summary, elapsed_ms=elapsed_ms))

    @property
    def running(self) -> StepEvent | None:
        """The step running now, if any."""
        with self._lock:
            for event in reversed(list(self.steps.values())):
                if event.running:
                    return event
        return None

    # -- cancelling -------------------------------------------------------------------
    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Stop the check: the blocked socket operation (if any) returns now, and the next `check()` raises."""
        self._cancel.set()
        with self._lock:
            guarded = list(self._guarded)
        for sock in guarded:
            _shut(sock)

    def check(self) -> None:
        """Raise `Cancelled` when `cancel()` was called."""
        if self._cancel.is_set():
            raise Cancelled("the check was cancelled before it finished")

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when cancelled meanwhile."""
        return self._cancel.wait(max(0.0, seconds))

    @contextmanager
    def guard(self, sock: socket.socket) -> Iterator[None]:
        """Run a blocking operation on `sock`; a `cancel()` meanwhile shuts the socket down to end it."""
        with self._lock:
            self._guarded.append(sock)
        try:
            if self._cancel.is_set():
                _shut(sock)
            yield
        finally:
            with self._lock:
                if sock in self._guarded:
                    self._guarded.remove(sock)


def _shut(sock: socket.socket) -> None:
    """Shut the connection down under a blocked recv/connect/handshake, which then returns at once.

    `socket.socket.shutdown` is called unbound so that an `ssl.SSLSocket` is shut
    down at the TCP level without touching its TLS state from this thread.
    """
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass  # not connected yet, or already closed: nothing is blocked on it


class _Idle(Progress):
    """The `Progress` of a check nobody watches: reports go nowhere, it is never cancelled."""

    def _emit(self, event: StepEvent) -> None:
        return None

    def cancel(self) -> None:  # pragma: no cover - nobody holds it to cancel
        return None

    @contextmanager
    def guard(self, sock: socket.socket) -> Iterator[None]:
        yield


_IDLE = _Idle()
_local = threading.local()


def current() -> Progress:
    """The `Progress` installed for this thread by `active()`, or one that does nothing."""
    progress: Progress | None = getattr(_local, "progress", None)
    return progress if progress is not None else _IDLE


@contextmanager
def active(progress: Progress | None) -> Iterator[Progress]:
    """Install `progress` for this thread for the duration (None: keep what is installed)."""
    previous: Progress | None = getattr(_local, "progress", None)
    if progress is None:
        yield current()
        return
    _local.progress = progress
    try:
        yield progress
    finally:
        _local.progress = previous


def guard(sock: socket.socket) -> AbstractContextManager[None]:
    """`current().guard(sock)`: what `smtpkit.net` wraps each blocking socket operation in."""
    return current().guard(sock)


def join(thread: threading.Thread, timeout: float) -> None:
    """`thread.join(timeout)` that also returns as soon as the current check is cancelled."""
    progress = current()
    end = time.monotonic() + max(0.0, timeout)
    while thread.is_alive():
        left = end - time.monotonic()
        if left <= 0 or progress.cancelled:
            return
        thread.join(min(left, 0.1))


class EventRelay:
    """Write a `Progress`'s events as JSON lines to a file another process follows (`follow_events`).

    How `smtpkit report` shows the steps of the notebook it runs headless: the
    kernel cannot write to the command's terminal, so it appends each event to
    the file named by ``SMTPKIT_PROGRESS_FILE`` and the command reads them back.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __call__(self, event: StepEvent) -> None:
        doc = {
            "step": event.step,
            "state": event.state,
            "doing": event.doing,
            "wait": event.wait,
            "summary": event.summary,
            "elapsed_ms": event.elapsed_ms,
        }
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(doc) + "\n")

    @classmethod
    def from_environment(cls) -> EventRelay | None:
        """The relay `smtpkit report` asked for (``SMTPKIT_PROGRESS_FILE``), if any."""
        path = os.environ.get(PROGRESS_FILE_ENV)
        return cls(path) if path else None


def follow_events(path: Path, progress: Progress, stop: threading.Event) -> None:
    """Read the events another process writes to `path` into `progress` until `stop` is set."""
    offset = 0
    pending = b""
    while True:
        stopping = stop.wait(0.2)
        try:
            with path.open("rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            data = b""
        offset += len(data)
        pending += data
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            try:
                doc = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(doc, dict) or not isinstance(doc.get("step"), str):
                continue
            if doc.get("state") == "running":
                wait = doc.get("wait")
                progress.started(doc["step"], str(doc.get("doing") or ""), float(wait) if wait else None)
            else:
                progress.finished(
                    doc["step"], str(doc.get("state")), str(doc.get("summary") or ""), float(doc.get("elapsed_ms") or 0)
                )
        if stopping:
            return
