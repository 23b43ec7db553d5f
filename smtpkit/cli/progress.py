"""Per-step progress lines on stderr while a command checks: what runs, what it waits for, how long at most.

`smtpkit report --lab silent` used to print one line and then nothing for
sixteen seconds. Now every step ends with a line (``✓ connect: connected to
127.0.0.1 port 2525``), a step still waiting after a second says what for
(``… banner: waiting for the greeting (at most 10 s)``), and on a terminal that
line counts the seconds in place. The lines go to stderr only: stdout keeps the
report, and ``--json`` prints exactly one JSON document with no progress at all.

`ProgressLines` listens to a `smtpkit.progress.Progress` (for `smtpkit report`,
one fed by `smtpkit.progress.follow_events` from the kernel's event file).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from smtpkit.progress import Progress, StepEvent
from smtpkit.render.text import terminal_safe

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["ProgressLines", "stderr_progress"]

_MARKS = {"pass": "✓", "info": "✓", "warn": "!", "fail": "✘", "skip": "-"}
#: A step still running after this many seconds gets a line saying what it waits for.
QUIET_FOR = 1.0


class ProgressLines:
    """Turn step events into lines on `stream`; on a terminal the running step's line counts up in place."""

    def __init__(self, stream: TextIO, *, live: bool | None = None) -> None:
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self._lock = threading.Lock()
        self._running: dict[str, StepEvent] = {}
        self._announced: set[str] = set()
        self._drawn = False  # a live line is on screen, to be overwritten

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # stderr closed: progress is a courtesy, never a failure

    def _clear(self) -> None:
        if self._drawn:
            self._write("\r\x1b[2K")
            self._drawn = False

    def event(self, event: StepEvent) -> None:
        with self._lock:
            if event.running:
                self._running[event.step] = event
                return
            self._running.pop(event.step, None)
            self._announced.discard(event.step)
            self._clear()
            mark = _MARKS.get(event.state, "·")
            took = f" ({event.elapsed_ms / 1000:.1f} s)" if event.elapsed_ms >= 1000 else ""
            summary = f": {terminal_safe(event.summary)[:160]}" if event.summary else ""
            self._write(f"  {mark} {event.step}{summary}{took}\n")
            self._draw()

    def tick(self) -> None:
        """Called every ~0.5 s: announce a step that waits, and (on a terminal) redraw its seconds."""
        with self._lock:
            now = time.monotonic()
            waiting = [e for e in self._running.values() if now - e.at >= QUIET_FOR]
            if not waiting:
                return
            if self.live:
                self._clear()
                self._draw(now)
                return
            for e in waiting:
                if e.step not in self._announced:
                    self._announced.add(e.step)
                    limit = f" (at most {e.wait:g} s)" if e.wait else ""
                    self._write(f"  … {e.step}: {terminal_safe(e.doing or 'running')}{limit}\n")

    def _draw(self, now: float | None = None) -> None:
        if not self.live or not self._running:
            return
        now = time.monotonic() if now is None else now
        parts = []
        for e in self._running.values():
            limit = f"/{e.wait:g}" if e.wait else ""
            parts.append(f"{e.step}: {terminal_safe(e.doing or 'running')} {now - e.at:.0f}{limit} s")
        self._write("  … " + "; ".join(parts)[:150])
        self._drawn = True

    def close(self) -> None:
        with self._lock:
            self._clear()


@contextmanager
def stderr_progress(what: str, limit: float | None, *, enabled: bool = True) -> Iterator[Progress]:
    """A `Progress` whose steps are printed on stderr while the block runs (nothing when not `enabled`).

    The first line says what is checked and how long it can take at most, before anything starts.
    """
    progress = Progress()
    if not enabled:
        yield progress
        return
    lines = ProgressLines(sys.stderr)
    most = f", at most {limit:.0f} s" if limit else ""
    lines._write(f"{what}{most} (Ctrl-C stops it)\n")
    progress.listen(lines.event)
    stop = threading.Event()

    def clock() -> None:
        while not stop.wait(0.5):
            lines.tick()

    ticker = threading.Thread(target=clock, name="smtpkit-progress", daemon=True)
    ticker.start()
    try:
        yield progress
    finally:
        stop.set()
        ticker.join(1.0)
        lines.close()
