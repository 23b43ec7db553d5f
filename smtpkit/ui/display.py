"""Show results as ordinary cell outputs, and update them in place.

Why display handles and not only ``widgets.Output``: an Output widget's content
lives in widget state, which is lost when the notebook is saved, exported or
opened by someone without the kernel. A ``display(obj, display_id=True)``
output is a normal cell output: it is saved with the notebook, exported by
nbconvert, and still updated live when a form's Run button calls
``handle.update(...)`` from the kernel.

Except in the no-code app (Voilà, `smtpkit app`): there the page holds each cell's outputs as they were when
the notebook ran, and only widgets are live, so an update by display handle never reached the page (Run
finished, the result under it stayed the first one). Under Voilà a `ResultView` therefore shows its result in
an Output widget and updates that; nothing is saved or exported from the app.

The views themselves (`Panel`, `Table`, `Html`, `ReportView`, `html_of`,
`text_of`) live in `smtpkit.render`; this module adds what only a running
kernel needs: `ResultView` and `show` (updatable outputs), the panels a form
shows while it works or when the settings are wrong, and the kernel-wide
output redaction.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

from smtpkit.errors import InvalidSettings
from smtpkit.render import Viewable
from smtpkit.render.panel import Html, Panel, Table, html_of, text_of
from smtpkit.render.report_view import ReportView
from smtpkit.render.text import terminal_safe
from smtpkit.secrets import redact, redact_value

__all__ = [
    "Html",
    "Panel",
    "ReportView",
    "ResultView",
    "Table",
    "html_of",
    "install_output_redaction",
    "message",
    "problem_panel",
    "show",
    "text_of",
]


def message(title: str, text: str, status: str = "info") -> Panel:
    """A short status panel ("Running…", "Type a host name first")."""
    return Panel(title, [("", text)], status=status)


def problem_panel(what: str, exc: BaseException, *, label: str | None = None) -> Panel:
    """An exception turned into a plain explanation, never a traceback in the notebook.

    Settings errors (`ValueError` and friends raised while validating input)
    are the user's to fix and are shown with their message; anything else is
    a bug in smtpkit and says so, with the exception's last frame for a report.
    """
    text = redact(str(exc)) or type(exc).__name__
    field_name = getattr(exc, "field", None)
    if isinstance(exc, InvalidSettings):
        # a value the check refused once it ran (what was pasted, say): the person's to fix, not a failure found;
        # `label` is the field as the form names it (the settings name, 'text', meant nothing there)
        heading = f"Check {label}" if label else f"Check the setting {field_name!r}" if field_name else "Check"
        return Panel(what, [(heading, text)], status="warn", note="Nothing was checked: this value cannot be used.")
    if isinstance(exc, (ValueError, TypeError, KeyError, LookupError, FileNotFoundError)):
        heading = f"Check the setting {field_name!r}" if field_name else "Check the settings"
        return Panel(what, [(heading, text)], status="fail", note="Nothing was sent: the settings could not be used.")
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "unknown"
    return Panel(
        what,
        [
            ("What happened", f"{type(exc).__name__}: {text}"),
            (
                "What to do",
                (
                    "This is a bug in smtpkit, not in your mail setup. Please report it with this message "
                    f"(raised at {where}); the rest of the notebook still works."
                ),
            ),
        ],
        status="fail",
    )


class ResultView(Viewable):
    """Where one form's results go: every cell output created by `show()`, updated together.

    `show()` must run while a cell executes (that is what ties the output to
    the cell); `update()` may run at any time, including from a button click,
    and rewrites every output this view created, so the saved notebook keeps
    the latest result.
    """

    def __init__(self, placeholder: Any = None) -> None:
        self.handles: list[Any] = []
        self.current: Any = placeholder if placeholder is not None else message("Results", "Press Run to check.")

    def show(self, obj: Any = None) -> Any:
        from IPython.display import display

        if obj is not None:
            self.current = obj
        if in_voila():
            live = LiveOutput(self.current)
            display(live.widget)
            self.handles.append(live)
            return live
        handle = display(self.current, display_id=True)
        if handle is not None:
            self.handles.append(handle)
        return handle

    def update(self, obj: Any) -> None:
        self.current = obj
        for handle in self.handles:
            handle.update(obj)

    def to_html(self) -> str:
        return html_of(self.current)

    def to_text(self) -> str:
        return terminal_safe(text_of(self.current))


#: Set in the kernels Voilà starts (`voila.utils.ENV_VARIABLE`): the kernel serves an app page.
VOILA_ENV = ("VOILA_KERNEL_ID", "VOILA_SERVER_URL", "VOILA_BASE_URL")


def in_voila() -> bool:
    """This kernel serves a Voilà page (`smtpkit app`), where only widgets are live (see the module docstring)."""
    return any(os.environ.get(name) for name in VOILA_ENV)


class LiveOutput:
    """A result in an Output widget, with the `update` of a display handle (for Voilà pages)."""

    def __init__(self, obj: Any) -> None:
        import ipywidgets as widgets

        self.widget = widgets.Output(layout=widgets.Layout())
        self.update(obj)

    def update(self, obj: Any) -> None:
        """Replace the result at once (one trait change: no empty flash), formatted as a cell output would be,
        redaction included; safe from a button's worker thread."""
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            data, metadata = {"text/plain": text_of(obj)}, {}
        else:
            data, metadata = shell.display_formatter.format(obj)
        self.widget.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)


def show(obj: Any) -> Any:
    """Display `obj` as an updatable cell output and return its handle (its `update` replaces it)."""
    from IPython.display import display

    if in_voila():
        live = LiveOutput(obj)
        display(live.widget)
        return live
    return display(obj, display_id=True)


def install_output_redaction(shell: Any = None) -> bool:
    """Make the kernel redact registered secrets from every rich output it formats.

    Results are already redacted when they are built; this is the second
    lock, for anything a user displays themselves (a dict they built, an
    exception message). Images are left alone: their base64 is opaque.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter
    if getattr(formatter, "_smtpkit_redacting", False):
        return True
    original = formatter.format

    def format(obj: Any, include: Any = None, exclude: Any = None) -> Any:  # noqa: A001 - IPython's name
        data, metadata = original(obj, include=include, exclude=exclude)
        return {k: v if k.startswith("image/") else redact_value(v) for k, v in data.items()}, metadata

    formatter.format = format
    formatter._smtpkit_redacting = True
    return True
