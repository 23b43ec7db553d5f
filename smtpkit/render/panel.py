"""Panels: a titled block of results (facts, tables, text, other views) with an HTML and a text view.

Most results a notebook shows are not one `Report` but a few parts side by
side: the facts of a lab, a table of scenarios, a record read in plain words, a
chart. A `Panel` lays such parts out under a title and an optional status;
`html_of` and `text_of` turn any part (a string, rows, a mapping, a DataFrame,
any `Viewable`) into escaped HTML and readable text, so a new view is a list of
parts rather than new markup. Every status is spelled out in both views,
because an untrusted notebook or a text viewer drops colour and markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smtpkit.render import Viewable
from smtpkit.render.cells import cell, columns_of
from smtpkit.render.html import CSS, PANEL_CSS, PANEL_ROOT_CLASSES, STATUS_COLUMNS, badge, esc, html_table
from smtpkit.render.text import terminal_safe, text_table
from smtpkit.secrets import redact

__all__ = ["Html", "Panel", "Table", "html_of", "text_of"]


@dataclass(frozen=True)
class Html(Viewable):
    """Markup we wrote ourselves (never server text): shown raw in HTML, as `text` in plain text."""

    markup: str
    text: str = ""

    def to_html(self) -> str:
        return self.markup

    def to_text(self) -> str:
        return terminal_safe(self.text or html.unescape(re.sub(r"<[^>]+>", "", self.markup)))


def _is_frame(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_dict") and hasattr(obj, "columns")


def _frame_rows(frame: Any) -> tuple[list[dict[str, Any]], list[str]]:
    columns = [str(c) for c in frame.columns]
    rows = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
    return rows, columns


def _is_rows(obj: Any) -> bool:
    return (
        isinstance(obj, Sequence)
        and not isinstance(obj, str)
        and bool(obj)
        and all(isinstance(r, Mapping) for r in obj)
    )


def html_of(obj: Any) -> str:
    """The escaped HTML view of anything a panel holds: views, DataFrames, rows, a mapping, text.

    A `Report` is shown as a `ReportView` (problems first); rows and DataFrames as
    tables with every key as a column; a mapping as a two-column table; text as
    escaped paragraphs; any other object by its own `_repr_html_` or, failing
    that, its text view in a <pre> block.
    """
    from smtpkit.model import Report
    from smtpkit.render.report_view import ReportView

    if obj is None:
        return ""
    if _is_frame(obj):
        rows, columns = _frame_rows(obj)
        return html_table(rows, columns)
    if isinstance(obj, str):
        return "".join(f"<p>{esc(par)}</p>" for par in obj.split("\n\n"))
    if _is_rows(obj):
        return html_table(list(obj))
    if isinstance(obj, Mapping):
        return html_table([{"setting": k, "value": v} for k, v in obj.items()], ["setting", "value"])
    if isinstance(obj, Report):
        return ReportView(obj).to_html()
    method = getattr(obj, "_repr_html_", None)
    if callable(method):
        out = method()
        if out:
            return str(out)
    return f"<pre>{esc(text_of(obj))}</pre>"


def text_of(obj: Any) -> str:
    """The plain-text view of the same things `html_of` shows, with the same columns.

    Statuses stay words and tables stay aligned, so nothing is lost without colour.
    Text is returned as it is: the view that prints it makes it terminal-safe.
    """
    if obj is None:
        return ""
    if _is_frame(obj):
        rows, columns = _frame_rows(obj)
        return text_table(rows, columns, max_width=60) if rows else "(no rows)"
    if isinstance(obj, str):
        return obj
    if _is_rows(obj):
        rows = list(obj)
        return text_table(rows, columns_of(rows), max_width=60)
    if isinstance(obj, Mapping):
        return text_table([{"setting": k, "value": v} for k, v in obj.items()], ["setting", "value"])
    to_text = getattr(obj, "to_text", None)
    if callable(to_text):
        return str(to_text())
    return str(obj)


@dataclass
class Table(Viewable):
    """Rows with chosen columns and status columns (spelled-out badges in HTML, upper-case words in text).

    `columns` defaults to every key of every row; `transpose` as in `render.html.html_table`.
    """

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

    def to_html(self) -> str:
        return html_table(self.rows, self.columns, status_columns=self.status_columns, transpose=self.transpose)

    def to_text(self) -> str:
        if not self.rows:
            return "(no rows)"
        columns = self.columns or columns_of(self.rows)
        rows = [
            {c: str(cell(r.get(c))).upper() if c in self.status_columns else r.get(c) for c in columns}
            for r in self.rows
        ]
        return text_table(rows, columns, max_width=60)


@dataclass
class Panel(Viewable):
    """A titled block of results: an optional status, a note, then named parts (tables, views, text).

    Both views are redacted as a whole (a second lock after the redaction of
    each result on creation), and every part goes through `html_of`/`text_of`.
    """

    title: str
    parts: list[tuple[str, Any]] = field(default_factory=list)
    status: str | None = None
    note: str = ""

    def add(self, heading: str, obj: Any) -> Panel:
        """Append a part under `heading` ("" for none); returns the panel, so calls can be chained."""
        self.parts.append((heading, obj))
        return self

    def to_html(self) -> str:
        head = f"<h3>{badge(self.status) + ' ' if self.status else ''}{esc(self.title)}</h3>"
        out = [CSS, PANEL_CSS, f'<div class="{PANEL_ROOT_CLASSES}">', head]
        if self.note:
            out.append(f"<p>{esc(self.note)}</p>")
        for heading, obj in self.parts:
            if heading:
                out.append(f"<h4>{esc(heading)}</h4>")
            out.append(html_of(obj))
        out.append("</div>")
        return redact("".join(out))

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
        return terminal_safe(redact("\n".join(out)))
