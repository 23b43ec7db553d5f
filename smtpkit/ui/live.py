"""The live step strip of a running check: resolve ✓ connect ✓ banner "waiting for the greeting 3/5 s".

"Running…" for seven seconds says nothing; a person waiting on a silent server
wants to know which step waits, for what, and how much longer it can take.
`LiveStrip` is a widget redrawn from the check's `smtpkit.progress.Progress`
events and from a clock tick, so the seconds count while nothing happens.

It is a *live* view only: the result itself is an ordinary cell output (see
`smtpkit.ui.display`), and the static picture of a finished session belongs to
the result, not here.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Sequence

import ipywidgets as widgets

from smtpkit.progress import Progress, StepEvent

__all__ = ["LiveStrip", "strip_html"]

_CHIP = (
    "display:inline-block;margin:2px 4px 2px 0;padding:1px 7px;border-radius:10px;font-size:12px;"
    "border:1px solid {border};background:{background};color:{color}"
)
_STYLES = {
    "pending": ("#d0d7de", "#ffffff", "#8c959f", "·"),
    # marks every font has: an emoji (an hourglass) was an empty box where no emoji font is installed
    "running": ("#0969da", "#ddf4ff", "#0550ae", "◷"),
    "stopped": ("#8c959f", "#f6f8fa", "#57606a", "■"),
    "pass": ("#1a7f37", "#dafbe1", "#116329", "✓"),
    # information is not a pass: the same mark as the report's steps at a glance (render.text.STATUS_SYMBOL)
    "info": ("#0969da", "#f6f8fa", "#0550ae", "ℹ"),
    "warn": ("#9a6700", "#fff8c5", "#7d4e00", "!"),
    "fail": ("#cf222e", "#ffebe9", "#a40e26", "✘"),
    "skip": ("#d0d7de", "#f6f8fa", "#8c959f", "–"),
}


def _chip(name: str, event: StepEvent | None, now: float, *, stopped: bool = False) -> str:
    state = event.state if event is not None else "pending"
    if stopped and event is not None and event.running:
        state = "stopped"  # cancelled while it ran: no longer waiting, whatever it was waiting for
    border, background, color, mark = _STYLES.get(state, _STYLES["pending"])
    label = f"{mark} {html.escape(name)}"
    if event is not None and event.running:
        waited = now - event.at
        if state == "stopped":
            # to a tenth, like the "Cancelled after 4.7 s" beside it (whole seconds read as a different count)
            label += f": stopped after {waited:.1f} s {html.escape(event.doing or 'running')}"
        else:
            limit = f"/{event.wait:g}" if event.wait else ""
            label += f": {html.escape(event.doing or 'running')} <b>{waited:.0f}{limit} s</b>"
    cls = f"smtpkit-chip smtpkit-chip-{html.escape(state)}"
    css = _CHIP.format(border=border, background=background, color=color)
    return f'<span class="{cls}" style="{css}">{label}</span>'


def strip_html(
    plan: Sequence[str],
    progress: Progress | None,
    *,
    now: float | None = None,
    head: str = "",
    tail: str = "",
    stopped: bool = False,
    only_plan: bool = False,
) -> str:
    """The strip as HTML: one chip per step (planned ones first, pending until they start), then a line.

    `stopped`: the check was cancelled, so a step still running is drawn as stopped, not as waiting.
    `only_plan`: steps outside the plan are left out (a form that shows part of a check's steps, such as
    the receiving side of a domain check, would otherwise show chips for steps its result leaves out).
    """
    now = time.monotonic() if now is None else now
    steps = dict(progress.steps) if progress is not None else {}
    names = list(plan) + ([] if only_plan else [n for n in steps if n not in plan])
    chips = "".join(_chip(n, steps.get(n), now, stopped=stopped) for n in names)
    parts = [f'<div class="smtpkit-live-head" style="font-size:12px;color:#57606a">{head}</div>' if head else ""]
    if chips:
        parts.append(f'<div class="smtpkit-chips">{chips}</div>')
    if tail:
        parts.append(f'<div class="smtpkit-live-tail" style="font-size:12px;color:#57606a">{tail}</div>')
    return "".join(parts)


class LiveStrip:
    """A widget showing a running check step by step, with the time spent and the most it can take.

    `start()` when a check begins, `tick()` from a clock thread, `finish()` or
    `cancelled()` when it ends. Safe to call from any thread.
    """

    def __init__(self) -> None:
        self.widget = widgets.HTML(value="", layout=widgets.Layout())
        self.widget.add_class("smtpkit-progress")
        self._lock = threading.Lock()
        self.progress: Progress | None = None
        self.plan: tuple[str, ...] = ()
        self.limit: float | None = None
        self.what = ""
        self.started = 0.0
        self.state = "idle"
        #: Show the planned steps only (`strip_html`'s `only_plan`); set by a form that shows part of a check.
        self.only_plan = False

    def start(self, progress: Progress, plan: Sequence[str], limit: float | None, what: str) -> None:
        with self._lock:
            self.progress, self.plan, self.limit, self.what = progress, tuple(plan), limit, what
            self.started = time.monotonic()
            self.state = "running"
        progress.listen(lambda _e: self.tick())
        self.tick()

    def _elapsed_text(self) -> str:
        elapsed = time.monotonic() - self.started
        limit = f" of at most {self.limit:.0f} s" if self.limit else ""
        return f"{elapsed:.1f} s{limit}"

    def tick(self) -> None:
        """Redraw (the running step's seconds count up)."""
        with self._lock:
            if self.state != "running":
                return
            head = f"<b>Running</b> {html.escape(self.what)}: {self._elapsed_text()}. Cancel stops it within a second."
            self.widget.value = strip_html(self.plan, self.progress, head=head, only_plan=self.only_plan)

    def finish(self, verdict: str | None, seconds: float | None = None) -> None:
        """The run is over: `seconds` is what the line beside Run says it took (the two said 0.1 s and 0.2 s for
        one run, each timed from its own start), else the strip's own count."""
        with self._lock:
            self.state = "done"
            word = (verdict or "done").upper()
            took = time.monotonic() - self.started if seconds is None else seconds
            head = f"<b>Finished</b> {html.escape(self.what)} in {took:.1f} s: {word}."
            self.widget.value = strip_html(self.plan, self.progress, head=head, only_plan=self.only_plan)

    def cancelled(self, during: str = "") -> None:
        with self._lock:
            self.state = "cancelled"
            where = f" while {html.escape(during)}" if during else ""
            head = (
                f"<b>Cancelled</b> {html.escape(self.what)} after {time.monotonic() - self.started:.1f} s{where}: "
                "nothing was concluded."
            )
            self.widget.value = strip_html(self.plan, self.progress, head=head, stopped=True, only_plan=self.only_plan)

    def failed(self) -> None:
        with self._lock:
            self.state = "failed"
            self.widget.value = ""

    def clear(self) -> None:
        with self._lock:
            self.state = "idle"
            self.widget.value = ""
