"""Static charts: a matplotlib figure embedded as inline SVG, always with words beside it.

Why static SVG and not an interactive widget: a notebook is shared saved or
exported to HTML, and the person who opens it has no kernel and maybe no
network. An inline ``<svg>`` is plain markup in the cell's HTML output, so it
survives saving, nbconvert and an e-mail attachment, scales without blurring,
and needs no JavaScript. matplotlib escapes every text it writes into the SVG,
so a label that came from a server or a DNS record cannot inject markup.

Every chart carries a `sentence` and optionally a table (rows) that say the
same thing in words, for people who do not look at pictures, for screen readers
and for the text view (`to_text()`), which is what a terminal shows.

>>> fig, ax = new_figure(width=6, height=2)                 # doctest: +SKIP
>>> ax.barh(["hop 1", "hop 2"], [0.2, 41.0])                # doctest: +SKIP
>>> Chart(fig, "Hop 2 took 41 s of the 41.2 s the message travelled.", rows=[...])   # doctest: +SKIP
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smtpkit.render import Viewable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PALETTE", "Chart", "figure_svg", "new_figure"]

# The status colours of the badges (render.html.STATUS_STYLE), so a chart and the table beside it agree.
PALETTE = {
    "pass": "#1a7f37",
    "warn": "#9a6700",
    "fail": "#cf222e",
    "skip": "#8c959f",
    "info": "#0969da",
    "neutral": "#57606a",
}

_SVG_START = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_SVG_SIZE = re.compile(r'<svg\b([^>]*?)\s(width|height)="[^"]*"')


def new_figure(width: float = 7.0, height: float = 2.6) -> tuple[Figure, Axes]:
    """A figure and its axes, drawn off-screen (no GUI backend, safe in a kernel, a CLI or a thread).

    Built on `matplotlib.figure.Figure` directly rather than `pyplot`, so no
    global figure state is touched and nothing is shown twice in a notebook.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def figure_svg(fig: Figure) -> str:
    """The figure as one inline ``<svg>`` element that scales to its container (no XML prolog, no DOCTYPE)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})  # reproducible output
    svg = _SVG_START.sub("", buf.getvalue(), count=1)
    # drop the fixed width/height (in pt) so the viewBox scales with the page; cap the width in CSS
    for _ in range(2):
        svg = _SVG_SIZE.sub(r"<svg\1", svg, count=1)
    return svg.replace("<svg", f'<svg style="width:100%;max-width:{int(fig.get_figwidth() * 100)}px;height:auto"', 1)


class Chart(Viewable):
    """A picture plus the same information in words: `sentence` always, `rows` as a table when given."""

    def __init__(
        self,
        figure: Figure,
        sentence: str,
        *,
        rows: Sequence[Mapping[str, Any]] = (),
        title: str = "",
    ) -> None:
        self.svg = figure_svg(figure)
        self.sentence = sentence
        self.rows = [dict(r) for r in rows]
        self.title = title

    def to_html(self) -> str:
        from smtpkit.render.html import CSS, ROOT_CLASSES, html_table

        caption = html.escape(self.sentence)
        head = f"<div><strong>{html.escape(self.title)}</strong></div>" if self.title else ""
        table = html_table(self.rows) if self.rows else ""
        return (
            f'{CSS}<div class="{ROOT_CLASSES}">{head}<figure style="margin:4px 0">{self.svg}'
            f"<figcaption>{caption}</figcaption></figure>{table}</div>"
        )

    def to_text(self) -> str:
        from smtpkit.render.cells import columns_of
        from smtpkit.render.text import terminal_safe, text_table, wrap

        out = [terminal_safe(self.title)] if self.title else []
        out.append(wrap(terminal_safe(self.sentence), "", 100))
        if self.rows:
            columns = columns_of(self.rows)
            out.append(text_table(self.rows, columns, max_width=40, total_width=100))
        return "\n".join(out)
