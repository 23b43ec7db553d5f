"""What every form shares: read and check the settings, run in a worker thread, show progress, cancel.

Run (the button, or Enter in any field) first builds the settings through the
one settings model; a refused value is marked on its field and nothing runs.
Otherwise the check runs in a worker thread, so the kernel stays free to hear
the Cancel button, while `LiveStrip` shows each step and the seconds. The line
above Run says, before anything starts, how long the check can take at most.
Cancel stops the check's socket at once (`smtpkit.progress`); if the check does
not end within a second anyway, the form stops waiting for it and says so,
and the check's own deadlines end it in the background.

The result is an ordinary cell output, updated in place through its display
handle (`smtpkit.ui.display.ResultView`), with the mode banner on top.
``form.run()`` in a cell runs the same way but in the cell (what "Run All"
and a headless run do); ``form.click()`` presses Run from code and waits.
"""

from __future__ import annotations

import dataclasses
import html
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from smtpkit import record
from smtpkit.errors import Cancelled, InvalidSettings
from smtpkit.model import Report
from smtpkit.progress import Progress, active
from smtpkit.secrets import redact
from smtpkit.ui.display import Panel, ReportView, ResultView, message, problem_panel
from smtpkit.ui.fields import CSS, Fields, hint_html, show
from smtpkit.ui.inputs import ServerInput
from smtpkit.ui.live import LiveStrip
from smtpkit.ui.modes import Banner, WithBanner

__all__ = ["CANCEL_GRACE", "BaseForm", "FormBox", "verdict_of"]

#: Seconds the form waits for a cancelled check to stop before it gives up waiting.
CANCEL_GRACE = 0.8
_TICK = 0.25


#: Scrolls the page to the heading the address names (#Check-a-domain), or else to the form this is in.
_SCROLL_HERE = (
    '<img alt="" src="data:," style="display:none" onerror="'
    "var h=location.hash&amp;&amp;document.getElementById(decodeURIComponent(location.hash.slice(1)));"
    "(h||this.closest('.smtpkit-form')||this).scrollIntoView({block:'start'})\">"
)


class FormBox(widgets.VBox):  # type: ignore[misc]
    """The form's container; its text form never lists field values (a saved text/plain must hold no secret)."""

    def __init__(self, *args: Any, label: str = "settings form", **kwargs: Any) -> None:
        kwargs.setdefault("layout", widgets.Layout())
        super().__init__(*args, **kwargs)
        self.add_class("smtpkit-form")
        self._smtpkit_label = label

    def __repr__(self) -> str:
        return f"[smtpkit {self._smtpkit_label}: run the notebook in JupyterLab to use it]"


def verdict_of(result: Any) -> str | None:
    verdict = getattr(result, "verdict", None)
    if verdict is None:
        verdict = getattr(result, "status", None)
    return str(verdict) if verdict else None


@dataclasses.dataclass
class _Job:
    """One run in progress: its thread, its progress, whether it was abandoned after a cancel."""

    number: int
    settings: Any
    progress: Progress
    started: float
    thread: threading.Thread | None = None
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    ending: bool = False  # set once, by whichever thread ends the job first
    cancel_at: float | None = None


class BaseForm:
    """Run plumbing shared by the forms: settings, inline errors, worker thread, live strip, Cancel."""

    title = "Check"

    def __init__(self, action: Callable[[Any], Any], focus: Sequence[str] = ()) -> None:
        self.action = action
        self.focus = tuple(focus)
        self.view = ResultView(message(self.title, "Press Run to check these settings."))
        self.fields = Fields(on_enter=self._clicked, on_fixed=self._fixed)
        self.last_result: Any = None
        self.last_settings: Any = None
        self.last_error: BaseException | None = None
        self.last_shown: Any = None
        self._after_run: list[Callable[[Any, Any], None]] = []
        self.css = widgets.HTML(value=CSS, layout=widgets.Layout())
        self.run_button = widgets.Button(
            description="Run",
            button_style="primary",
            icon="play",
            tooltip="Run the check (Enter in a field too)",
            layout=widgets.Layout(),
        )
        self.run_button.add_class("smtpkit-run")
        self.cancel_button = widgets.Button(
            description="Cancel", icon="stop", tooltip="Stop the running check", layout=widgets.Layout()
        )
        self.cancel_button.add_class("smtpkit-cancel")
        show(self.cancel_button, False)
        self.status = widgets.HTML(value="", layout=widgets.Layout())
        self.status.add_class("smtpkit-status")
        self.limit_line = widgets.HTML(value="", layout=widgets.Layout())
        self.limit_line.add_class("smtpkit-limit")
        self.live = LiveStrip()
        # Only used when Run is pressed before any cell showed a result (nowhere else to put it).
        self._fallback = widgets.Output(layout=widgets.Layout())
        self._lock = threading.Lock()
        self._job: _Job | None = None
        self._frozen: list[widgets.Widget] = []  # the widgets a running check disabled (`_freeze`)
        self._jobs = 0
        self._linked = False  # the values of the link that opened the app's page were typed in (once)
        self.run_button.on_click(lambda _b: self._clicked())
        self.cancel_button.on_click(lambda _b: self.cancel())

    # -- to override ----------------------------------------------------------------
    def settings(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _describe(self, settings: Any) -> str:
        return self.title

    def _banner(self, settings: Any, result: Any) -> Banner | None:
        return None

    def _plan(self, settings: Any) -> tuple[str, ...]:
        """The steps the live strip lists before they start."""
        return ()

    def _limit(self, settings: Any) -> float | None:
        """The most seconds the check can take with these settings (its deadline)."""
        return None

    def _lesson_codes(self, settings: Any) -> tuple[str, ...]:
        """The finding codes a practice-lab lesson teaches with these settings (none outside the lab)."""
        return ()

    def _verdict_words(self, verdict: str | None) -> str:
        """The verdict beside Run, as markup: the check's own ("<b>FAIL</b>")."""
        return f"<b>{html.escape(verdict.upper())}</b>" if verdict else "<b>DONE</b>"

    def _focus(self, settings: Any, result: Any) -> tuple[str, ...]:
        """The steps open from the start: the form's own, and every step holding a lesson's finding.

        A lesson whose finding is informational (a parked domain, an MTA-STS policy in testing
        mode) would otherwise sit in a folded step under "No problem found".
        """
        codes = set(self._lesson_codes(settings))
        steps = getattr(result, "steps", None) or ()
        lesson = [s.name for s in steps if any(f.code in codes for f in s.findings)] if codes else []
        return self.focus + tuple(n for n in lesson if n not in self.focus)

    def _wrap(self, settings: Any, result: Any) -> Any:
        label = self._describe(settings)
        if isinstance(result, Report):
            shown: Any = ReportView(result, focus=self._focus(settings, result), title=label)
        elif isinstance(result, Panel) or hasattr(result, "to_html"):
            shown = result
        else:
            shown = Panel(label, [("", result)], status=verdict_of(result))
        banner = self._banner(settings, result)
        return WithBanner(banner, shown) if banner is not None else shown

    def _controls(self) -> list[widgets.Widget]:
        """The bottom of every form: the time limit line, Run and Cancel, the live strip."""
        return [
            self.limit_line,
            widgets.HBox([self.run_button, self.cancel_button, self.status], layout=widgets.Layout()),
            self.live.widget,
            self._fallback,
        ]

    # -- settings -----------------------------------------------------------------------
    def _read(self, overrides: dict[str, Any]) -> Any:
        """The settings with `overrides`; InvalidSettings (marked on its field) when one cannot be used."""
        self.fields.clear()
        try:
            settings = self.settings()
            if overrides:
                if isinstance(settings, ServerInput):
                    settings = settings.replace(**overrides)
                else:
                    settings = record.replace(settings, **overrides)
        except InvalidSettings as exc:
            label = self.fields.mark_error(exc)
            names = {n for e in (exc, *exc.also) if (n := self.fields.field_of(e)) is not None}
            marked = [self.fields.labels[n] for n in self._in_form_order(names)]
            self._reveal(names)
            if len(marked) > 1:
                where = f"the fields {', '.join(marked[:-1])} and {marked[-1]}"
            else:
                where = f"the field {label}" if label else "the settings"
            self._set_status(f"<b>Nothing was run:</b> fix {html.escape(where)} (marked above).", "fail")
            raise
        self.last_settings = settings
        self._show_limit(settings)
        return settings

    def _freeze(self, running: bool) -> None:
        """While a check runs, its fields cannot be changed: the result is for what they held at Run, and an
        edit made meanwhile read as part of it. Widgets disabled before the run stay disabled after it."""
        if running:
            order, _parent = self._tree()
            self._frozen = [
                w
                for w in order
                if isinstance(w, widgets.DOMWidget)
                and "disabled" in w.trait_names()
                and not w.disabled
                and w is not self.cancel_button
                and w is not self.run_button
            ]
            for w in self._frozen:
                w.disabled = True
        else:
            for w in self._frozen:
                w.disabled = False
            self._frozen = []

    def _tree(self) -> tuple[list[widgets.Widget], dict[int, widgets.Widget]]:
        """The form's widgets top to bottom, and each one's parent (by id)."""
        order: list[widgets.Widget] = []
        parent: dict[int, widgets.Widget] = {}
        stack = [self.widget]
        while stack:
            w = stack.pop()
            order.append(w)
            for child in reversed(getattr(w, "children", ())):
                parent[id(child)] = w
                stack.append(child)
        return order, parent

    def _in_form_order(self, names: set[str]) -> list[str]:
        """`names` top to bottom as the form shows them (the order fields were added is not always that)."""
        order, _parent = self._tree()
        place = {id(w): i for i, w in enumerate(order)}
        return sorted(names, key=lambda n: place.get(id(self.fields.boxes.get(n)), len(order)))

    def _reveal(self, names: set[str]) -> None:
        """Open the folded section ("More settings") holding a marked field, so its message is seen."""
        _order, parent = self._tree()
        for name in names:
            w = self.fields.boxes.get(name)
            while w is not None and id(w) in parent:
                up = parent[id(w)]
                if isinstance(up, widgets.Accordion):
                    up.selected_index = list(up.children).index(w)
                w = up

    def _show_limit(self, settings: Any) -> None:
        limit = self._limit(settings)
        if limit:
            self.limit_line.value = hint_html(
                f"This check takes at most {limit:.0f} s with these settings (usually far less); "
                "Cancel stops it at any time."
            )

    def refresh_limit(self) -> None:
        """Say how long a run can take with what the fields hold now (silently nothing if they cannot be used)."""
        try:
            settings = self.settings()
        except Exception:  # noqa: BLE001 - Run will mark the field; this line is only a forecast
            self.limit_line.value = ""  # the last good value's limit, kept, read as this value's
            return
        self._show_limit(settings)

    # -- running in the cell ------------------------------------------------------------
    def compute(self, **overrides: Any) -> Any:
        """Read the settings and run the action here; problems come back as a panel, never raised."""
        try:
            settings = self._read(overrides)
        except Exception as exc:  # shown as an explanation, never as a traceback
            return self._problem(exc)
        progress = Progress()
        self.live.start(progress, self._plan(settings), self._limit(settings), self._describe(settings))
        started = time.monotonic()
        try:
            with active(progress):
                result = self.action(settings)
        except Exception as exc:  # noqa: BLE001 - shown as an explanation (`_problem` ends the live strip)
            return self._problem(exc)
        return self._done(settings, result, started)

    def run(self, **overrides: Any) -> Any:
        """Run now and show the result in the current cell (updated by later Run clicks); returns the result.

        `overrides` change settings for this run only, e.g. ``form.run(send=True)``; such a run
        gets an output of its own, which Run clicks leave alone.
        """
        shown = self.compute(**overrides)
        if overrides:
            ResultView(shown).show()
        else:
            self.view.show(shown)
        return self.last_result

    def results(self) -> None:
        """Show where results will appear, without running: Run fills this output in place."""
        self.view.show(message(self.title, "Press Run above: the result appears here and replaces this message."))

    def _problem(self, exc: BaseException) -> Any:
        self.last_result = None
        self.last_error = exc
        label = None
        if isinstance(exc, InvalidSettings):
            label = self.fields.mark_error(exc)  # refused while running (what was pasted, say): marked on its field
            self.live.clear()  # "Running ..." stayed under the message
            where = f"the field {label} (marked above)" if label else "the settings"
            self._set_status(f"<b>Nothing was concluded:</b> fix {html.escape(where)}.", "fail")
        else:
            self.live.failed()
        shown = problem_panel(self.title, exc, label=label)
        if not isinstance(exc, InvalidSettings):
            self._set_status(f"<b>FAIL</b>: {html.escape(str(shown.parts[0][1])[:200])}", "fail")
        self.last_shown = shown
        return shown

    def _done(self, settings: Any, result: Any, started: float) -> Any:
        took = time.monotonic() - started  # the check's time, said alike beside Run and in the strip
        self.last_result = result
        self.last_error = None
        shown = self._wrap(settings, result)
        verdict = verdict_of(result)
        self.live.finish(verdict, took)
        self._set_status(
            f"Last run: {html.escape(self._describe(settings))}: {self._verdict_words(verdict)} ({took:.1f} s)"
        )
        self.last_shown = shown
        for hook in list(self._after_run):
            try:
                hook(settings, result)
            except Exception:  # noqa: BLE001 - a follower's problem must not hide the result
                pass
        return shown

    def after_run(self, hook: Callable[[Any, Any], None]) -> None:
        """Call `hook(settings, result)` after every successful run (a mailbox view refreshing itself)."""
        self._after_run.append(hook)

    # -- running from the button (a worker thread) --------------------------------------
    @property
    def running(self) -> bool:
        job = self._job
        return job is not None and not job.ending

    def _clicked(self) -> None:
        """Run (the button or Enter): check the settings, then run in a worker thread; nothing if one runs."""
        with self._lock:
            if self.running:
                return
            try:
                settings = self._read({})
            except InvalidSettings as exc:  # marked on its field; nothing runs
                self.live.clear()  # the last run's "Finished ... DONE" under "Nothing was run" read as this one's
                # a refusal no field of this form holds is said here, not pointed at ("marked above": nothing was)
                what = "fix what is marked above" if self.fields.marked else redact(str(exc))
                if not self.fields.marked:
                    self._set_status(f"<b>Nothing was run:</b> {html.escape(what)}", "fail")
                if self.view.handles:  # so did the last Run's result
                    cleared = (
                        " (the previous result was cleared so that it is not taken for this one)"
                        if self.last_shown is not None
                        else ""
                    )
                    self.view.update(
                        message(self.title, f"Nothing was run: {what}; then press Run again{cleared}.", "warn")
                    )
                return
            except Exception as exc:  # noqa: BLE001 - shown as an explanation
                self._show(self._problem(exc))
                return
            self._jobs += 1
            job = _Job(self._jobs, settings, Progress(), time.monotonic())
            self._job = job
        self._freeze(True)
        self.run_button.disabled = True
        self.run_button.description = "Running…"
        self.status.value = ""  # the last run's verdict, next to "Running…", read as this run's
        show(self.cancel_button, True)
        self.cancel_button.disabled = False
        self.live.start(job.progress, self._plan(settings), self._limit(settings), self._describe(settings))
        if self.view.handles:
            self.view.update(message(self.title, "Running… the result replaces this message.", "info"))
        job.thread = threading.Thread(target=self._work, args=(job,), name="smtpkit-form", daemon=True)
        job.thread.start()
        threading.Thread(target=self._watch, args=(job,), name="smtpkit-form-clock", daemon=True).start()

    def _work(self, job: _Job) -> None:
        try:
            with active(job.progress):
                result = self.action(job.settings)
        except Cancelled:
            self._finish(job, cancelled=True)
            return
        except Exception as exc:  # noqa: BLE001 - shown as an explanation
            if job.progress.cancelled:
                self._finish(job, cancelled=True)
            else:
                self._finish(job, shown=self._problem(exc))
            return
        if job.progress.cancelled:
            self._finish(job, cancelled=True)
            return
        try:
            shown = self._done(job.settings, result, job.started)
        except Exception as exc:  # noqa: BLE001 - showing the result failed: said, and the form is usable again
            shown = self._problem(exc)
        self._finish(job, shown=shown)

    def _watch(self, job: _Job) -> None:
        """The clock: redraw the strip while the job runs; give up on a cancelled job that does not stop."""
        while not job.done.wait(_TICK):
            if job.ending:
                continue
            self.live.tick()
            if job.cancel_at is not None and time.monotonic() - job.cancel_at > CANCEL_GRACE:
                self._finish(job, cancelled=True, abandoned=True)
                return

    def cancel(self) -> None:
        """Stop the running check (the Cancel button)."""
        job = self._job
        if job is None or job.ending:
            return
        job.cancel_at = time.monotonic()
        self.cancel_button.disabled = True
        self.cancel_button.description = "Cancelling…"
        job.progress.cancel()

    def _finish(self, job: _Job, *, shown: Any = None, cancelled: bool = False, abandoned: bool = False) -> None:
        with self._lock:
            if job.ending:
                return  # already finished (a late thread after the form gave up on it)
            job.ending = True
        try:
            self._end(job, shown, cancelled=cancelled, abandoned=abandoned)
        finally:
            job.done.set()  # after the result is shown: whoever waits sees it

    def _end(self, job: _Job, shown: Any, *, cancelled: bool, abandoned: bool) -> None:
        if cancelled:
            running = job.progress.running
            during = running.doing if running is not None else ""
            elapsed = time.monotonic() - job.started
            self.live.cancelled(during)
            later = " It is still being stopped in the background; its own time limits end it." if abandoned else ""
            shown = message(
                self.title,
                f"Cancelled after {elapsed:.1f} s"
                + (f", while {during}" if during else "")
                + f": nothing was concluded. Press Run to check again.{later}",
                "skip",
            )
            self.last_result = None
            self.last_shown = shown
            self._set_status(f"Cancelled after {elapsed:.1f} s: nothing was concluded.")
        self._show(shown)
        self._freeze(False)
        self.run_button.disabled = False
        self.run_button.description = "Run"
        self.cancel_button.description = "Cancel"
        show(self.cancel_button, False)

    def _show(self, shown: Any) -> None:
        if self.view.handles:
            self.view.update(shown)
        else:
            # No cell output exists yet: this copy lives only in widget state until a cell runs `form.run()`.
            self._fallback.outputs = ()
            self._fallback.append_display_data(shown)

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for the running check to end (True when it did)."""
        job = self._job
        return True if job is None else job.done.wait(timeout)

    def click(self, timeout: float = 120.0) -> Any:
        """Press Run from code (tests, demos), wait for the result; returns what the click displayed."""
        self.run_button.click()
        self.wait(timeout)
        return self.view.current if self.view.handles else self.last_shown

    def watch_mode(self, toggle: widgets.ToggleButtons) -> None:
        """Clear the result when `toggle` (Practice lab / My server) changes, whoever changed it."""
        toggle.observe(lambda change: self._mode_switched(toggle, change), names="value")

    def _mode_switched(self, toggle: widgets.ToggleButtons, change: dict[str, Any]) -> None:
        """The form now checks something else: the result under it answered the other mode's settings, so it
        gives way to a note. It used to stay until the next Run, and a lab result under "My server" was read as
        the person's own server's."""
        if change["old"] == change["new"]:
            return
        labels = {value: label for label, value in toggle.options}
        self.clear_result(labels.get(change["new"], "the other mode"), labels.get(change["old"], "the other mode"))

    def clear_result(self, now: str, before: str) -> None:
        """Replace the result under the form by a note: the form now checks `now`, the result was `before`'s."""
        if self.running or self.last_shown is None:
            return
        self.last_shown = None
        self.live.clear()
        self.status.value = ""
        self._show(
            message(
                self.title,
                f"Switched to {now}: press Run to check it. The result that was here came from {before}, "
                "so it was cleared.",
            )
        )

    def _fixed(self) -> None:
        """The field marked by a refused Run was edited: its "Nothing was run: fix the field" line goes too (it
        stayed beside Run with nothing marked any more)."""
        if "Nothing was run" in self.status.value:
            self.status.value = ""

    def _set_status(self, markup: str, kind: str = "") -> None:
        color = "#cf222e" if kind == "fail" else "inherit"
        self.status.value = f'<span style="font-size:12px;color:{color}">{markup}</span>'

    # -- display ----------------------------------------------------------------------
    @property
    def widget(self) -> widgets.Widget:
        return self.box  # type: ignore[attr-defined]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        self._fill_from_link()
        display(self.box)  # type: ignore[attr-defined]

    def _linkable(self) -> dict[str, widgets.Widget]:
        """The widgets a link may fill, by the label a finding's note names them with (`app_pages`)."""
        return {label: self.fields.widgets[name] for name, label in self.fields.labels.items()}

    def _fill_from_link(self) -> None:
        """In the app, a finding's note links to the page that does its command, with the values to type there
        (`app_pages.page_link`): this form, when the link names it, types them in, once, as a person would (so a
        host typed in lab mode switches to your own server), and says so beside Run. A password is never taken
        from a link, and a value a field refuses is marked by the Run that follows, like a typed one."""
        from smtpkit.render.app_pages import app_pages_on, linked_values

        if self._linked or not app_pages_on():  # JupyterLab's kernel: no link brought the reader here
            return
        self._linked = True
        values = linked_values(type(self).__name__)
        if values is None:
            return
        # The page opens where the form is. The browser does not scroll to the link's #heading itself: the page's
        # cells are drawn after it has loaded, inside a panel of their own. The CSS widget at the top of the form
        # carries the one line of script that does it, as an image's error handler (markup a widget shows runs no
        # <script>): our own text, with nothing of the link in it.
        self.css.value += _SCROLL_HERE
        fields = self._linkable()
        filled: list[str] = []
        for label, value in values.items():
            w = fields.get(label)
            if w is None or isinstance(w, widgets.Password):
                continue
            if isinstance(w, widgets.Checkbox):
                w.value = value == "ticked"
            elif isinstance(w, widgets.Dropdown):
                pairs = [o if isinstance(o, tuple) else (o, o) for o in w.options]
                chosen = [v for text, v in pairs if str(text).lower().startswith(value.lower())]
                if not chosen:
                    continue
                w.value = chosen[0]
            elif isinstance(w, (widgets.Text, widgets.Combobox, widgets.Textarea)):
                w.value = value
            else:
                continue
            filled.append(label)
        if filled:
            self._set_status(f"Filled in from the link you followed: {html.escape(', '.join(filled))}.")

    def __repr__(self) -> str:
        return f"[smtpkit {self.title} form]"
