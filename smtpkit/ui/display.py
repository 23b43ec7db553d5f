"""Show results as ordinary cell outputs, and update them in place.

Why display handles and not only ``widgets.Output``: an Output widget's content
lives in widget state, which is lost when the notebook is saved, exported or
opened by someone without the kernel. A ``display(obj, display_id=True)``
output is a normal cell output: it is saved with the notebook, exported by
nbconvert, and still updated live when a form's Run button calls
``handle.update(...)`` from the kernel.

Every object shown here has an HTML view (escaped, via `smtpkit.model`'s
helpers) *and* a plain-text view in which every status is spelled out, because
an untrusted notebook or a text viewer drops colour and markup.
"""

from __future__ import annotations

import html
import re
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smtpkit.model import Finding, Report, Severity
from smtpkit.render.cells import cell as _cell
from smtpkit.render.html import CSS as _CSS
from smtpkit.render.html import ROOT_CLASSES as _REPORT_ROOT
from smtpkit.render.html import (
    STATUS_COLUMNS,
    badge,
    details_table,
    esc,
    finding_html,
    html_table,
    transcript_html,
)
from smtpkit.render.text import text_table
from smtpkit.secrets import redact, redact_value


@dataclass(frozen=True)
class Html:
    """Markup we wrote ourselves (never server text): shown raw in HTML, as `text` in plain text."""

    markup: str
    text: str = ""

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text or html.unescape(_strip_tags(self.markup))


def _strip_tags(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


def _frame_rows(frame: Any) -> tuple[list[dict[str, Any]], list[str]]:
    columns = [str(c) for c in frame.columns]
    rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
    return rows, columns


def _is_frame(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_dict") and hasattr(obj, "columns")


def html_of(obj: Any) -> str:
    """The escaped HTML view of anything we show (our objects, DataFrames, rows, text)."""
    if obj is None:
        return ""
    if _is_frame(obj):
        rows, columns = _frame_rows(obj)
        return table_html(rows, columns)
    if isinstance(obj, str):
        return "".join(f"<p>{esc(par)}</p>" for par in obj.split("\n\n"))
    if isinstance(obj, Sequence) and obj and all(isinstance(r, Mapping) for r in obj):
        return table_html(list(obj))
    if isinstance(obj, Mapping):
        return table_html([{"setting": k, "value": v} for k, v in obj.items()], ["setting", "value"])
    if isinstance(obj, Report):
        return ReportView(obj)._repr_html_()
    method = getattr(obj, "_repr_html_", None)
    if callable(method):
        out = method()
        if out:
            return str(out)
    return f"<pre>{esc(text_of(obj))}</pre>"


def text_of(obj: Any) -> str:
    """The plain-text view: statuses as words, tables aligned, nothing lost without colour."""
    if obj is None:
        return ""
    if _is_frame(obj):
        rows, columns = _frame_rows(obj)
        return text_table(rows, columns, max_width=60) if rows else "(no rows)"
    if isinstance(obj, str):
        return obj
    if isinstance(obj, Sequence) and obj and all(isinstance(r, Mapping) for r in obj):
        rows = list(obj)
        return text_table(rows, list(rows[0].keys()), max_width=60)
    if isinstance(obj, Mapping):
        return text_table([{"setting": k, "value": v} for k, v in obj.items()], ["setting", "value"])
    to_text = getattr(obj, "to_text", None)
    if callable(to_text):
        return str(to_text())
    return str(obj)


# What only panels need; the table and finding rules every view shares are in the model's _CSS.
_PANEL_CSS = (
    "<style>.smtpkit-panel h3{margin-top:4px}"
    ".smtpkit-panel .smtpkit-lesson{color:#57606a;margin:2px 0 4px 0}"
    ".smtpkit-panel .smtpkit-recommend{border-left:4px solid #1a7f37;background:#f6fff8;padding:4px 10px;margin:8px 0}"
    "</style>"
)

ROOT_CLASSES = f"{_REPORT_ROOT} smtpkit-panel"

# The one table renderer, shared with reports and exports (smtpkit.model).
table_html = html_table


@dataclass
class Table:
    """Rows with chosen columns and status columns: a Panel part with both views."""

    rows: list[dict[str, Any]]
    columns: list[str] | None = None
    status_columns: tuple[str, ...] = STATUS_COLUMNS
    transpose: bool | None = None

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def _repr_html_(self) -> str:
        return table_html(self.rows, self.columns, status_columns=self.status_columns, transpose=self.transpose)

    def to_text(self) -> str:
        if not self.rows:
            return "(no rows)"
        columns = self.columns or list(self.rows[0].keys())
        rows = [
            {c: str(_cell(r.get(c))).upper() if c in self.status_columns else r.get(c) for c in columns}
            for r in self.rows
        ]
        return text_table(rows, columns, max_width=60)

    def __repr__(self) -> str:
        return self.to_text()


# One renderer of a Finding in HTML, shared with reports and exports (smtpkit.model).
finding_block = finding_html


def findings_block(findings: Sequence[Finding]) -> str:
    return "".join(finding_block(f) for f in findings)


@dataclass
class Panel:
    """A titled block of results: an optional status, then named parts (tables, reports, text).

    This is what forms and notebook helpers display; its two views make a
    result readable in JupyterLab, in an HTML export, and as plain text.
    """

    title: str
    parts: list[tuple[str, Any]] = field(default_factory=list)
    status: str | None = None
    note: str = ""
    data: dict[str, Any] | None = None  # machine-readable facts for headless readers (smtpkit report)

    def add(self, heading: str, obj: Any) -> Panel:
        self.parts.append((heading, obj))
        return self

    def _repr_html_(self) -> str:
        head = f"<h3>{badge(self.status) + ' ' if self.status else ''}{esc(self.title)}</h3>"
        out = [_CSS, _PANEL_CSS, f'<div class="{ROOT_CLASSES}">', head]
        if self.note:
            out.append(f"<p>{esc(self.note)}</p>")
        for heading, obj in self.parts:
            if heading:
                out.append(f"<h4>{esc(heading)}</h4>")
            out.append(html_of(obj))
        out.append("</div>")
        return redact("".join(out))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        # Front ends and nbconvert ignore this type and show text/html; `smtpkit report` reads it.
        return {"application/vnd.smtpkit.summary+json": redact_value(self.data)} if self.data else {}

    def to_text(self) -> str:
        head = f"{self.title}" + (f": {str(self.status).upper()}" if self.status else "")
        out = [head, "=" * len(head)]
        if self.note:
            out.append(self.note)
        for heading, obj in self.parts:
            out.append("")
            if heading:
                out += [heading, "-" * len(heading)]
            out.append(text_of(obj))
        return redact("\n".join(out))

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.to_text())


@dataclass
class ReportView:
    """A `Report` laid out for reading in a notebook: verdict, steps, problems, then details on demand.

    The full report is long (every step's facts and tables); a stressed reader
    needs the verdict, which step failed and the fix first. Step details sit in
    ``<details>`` blocks (they open without JavaScript, in an export too), and
    the steps named in `focus` are open from the start.
    """

    report: Report
    focus: tuple[str, ...] = ()
    title: str | None = None

    @property
    def verdict(self) -> str:
        return self.report.verdict

    def _repr_html_(self) -> str:
        r = self.report
        out = [_CSS, _PANEL_CSS, f'<div class="{ROOT_CLASSES}">']
        out.append(f"<h3>{badge(r.verdict)} {esc(self.title or r.title)}</h3>")
        target = r.target_dict()
        if target:
            out.append(details_table({k: v for k, v in target.items() if v not in (None, "", [], ())}))
        # the findings column lists problems only: an informational code next to a PASS reads like one
        out.append(
            table_html(
                [
                    {
                        "step": s.name,
                        "status": s.status.value,
                        "summary": s.summary,
                        "problems": ", ".join(f.code for f in s.findings if f.severity is not Severity.INFO),
                        "ms": round(float(s.elapsed_ms), 1),
                    }
                    for s in r.steps
                ]
            )
        )
        problems = [f for f in r.findings if f.severity is not Severity.INFO]
        if problems:
            out.append("<h4>What went wrong, why, and the fix</h4>")
            out.append(findings_block(problems))
        else:
            out.append("<p><strong>No problem found.</strong> Open a step below for what the server said.</p>")
        for st in r.steps:
            if st.status.value == "skip" and not st.details and not st.tables:
                continue
            is_open = " open" if st.name in self.focus else ""
            body = [details_table(st.details)]
            for name, rows in st.tables.items():
                body.append(f"<div><strong>{esc(name)}</strong></div>{table_html(rows)}")
            info = [f for f in st.findings if f.severity is Severity.INFO]
            if info:
                body.append(findings_block(info))
            out.append(
                f"<details{is_open}><summary>{badge(st.status.value)} <strong>{esc(st.name)}</strong>: "
                f"{esc(st.summary)}</summary>{''.join(body)}</details>"
            )
        out.append(transcript_html(r.transcript_lines()))
        out.append("</div>")
        return redact("".join(out))

    def to_text(self) -> str:
        text = self.report.to_text()
        return f"{self.title}\n{text}" if self.title else text

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.to_text())


def message(title: str, text: str, status: str = "info") -> Panel:
    """A short status panel ("Running…", "Type a host name first")."""
    return Panel(title, [("", text)], status=status)


def problem_panel(what: str, exc: BaseException) -> Panel:
    """An exception turned into a plain explanation, never a traceback in the notebook.

    Settings errors (`ValueError` and friends raised while validating input)
    are the user's to fix and are shown with their message; anything else is
    a bug in smtpkit and says so, with the exception's last frame for a report.
    """
    text = redact(str(exc)) or type(exc).__name__
    field_name = getattr(exc, "field", None)
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


def rows_panel(title: str, rows: Iterable[Mapping[str, Any]], *, status: str | None = None, note: str = "") -> Panel:
    return Panel(title, [("", [dict(redact_value(dict(r))) for r in rows])], status=status, note=note)


class ResultView:
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
        handle = display(self.current, display_id=True)
        if handle is not None:
            self.handles.append(handle)
        return handle

    def update(self, obj: Any) -> None:
        self.current = obj
        for handle in self.handles:
            handle.update(obj)

    def _repr_html_(self) -> str:
        return html_of(self.current)

    def __repr__(self) -> str:
        return text_of(self.current)


def show(obj: Any) -> Any:
    """Display `obj` as an updatable cell output and return its handle."""
    from IPython.display import display

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
