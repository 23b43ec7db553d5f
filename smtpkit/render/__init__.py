"""Rendering: every result type's HTML, text, Markdown and JSON views, and its charts.

Views know nothing about SMTP or DNS: they lay out `Report`s, `Step`s,
`Finding`s and plain tables. `Viewable` is the one place where a result type
becomes something a notebook, a terminal and IPython can show: a class defines
`to_html()` and `to_text()` and inherits `_repr_html_`, `_repr_mimebundle_`,
`_repr_pretty_` and `__str__` from them (the way rich's `JupyterMixin` derives
both MIME types from one render), so the two views can never drift apart.

Modules: `html` (escaping, badges, tables, a finding, a transcript, the CSS),
`text` (terminal tables, wrapping, terminal width, control-character safety,
findings), `markdown`, `json` (JSON text safe for terminals), `cells` (one
value as a table cell, the columns of rows, the redacted view of a report's
steps), `panel` (`Panel`, `Table`, `Html`: titled blocks of parts, and
`html_of`/`text_of` for any part), `report_view` (a report with its problems
first), `charts` (static SVG charts with the same facts in words).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Viewable"]


class Viewable:
    """Derive every display hook from `to_html()` and `to_text()`.

    Jupyter asks `_repr_mimebundle_` first and gets both views at once (the
    text one is what a saved notebook shows without HTML, and what `nbconvert
    --to markdown` keeps); IPython's terminal asks `_repr_pretty_`; `print()`
    and `str()` get the text view. A subclass overrides only the two renders.

    The contract of the two renders: `to_html()` escapes every string that came
    from a server, DNS, a message or a file (only our own markup is raw), and
    `to_text()` shows control characters as visible escapes
    (`render.text.terminal_safe`), so neither a browser nor a terminal ever
    obeys what a peer sent. `repr()` stays the object's own (a developer's view).
    """

    def to_html(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} must define to_html()")

    def to_text(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} must define to_text()")

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": self.to_text(), "text/html": self.to_html()}

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.to_text())

    def __str__(self) -> str:
        return self.to_text()
