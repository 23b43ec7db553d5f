"""Static charts: a matplotlib figure embedded as inline SVG, always with words beside it.

Why static SVG and not an interactive widget: a notebook is shared saved or
exported to HTML, and the person who opens it has no kernel and maybe no
network. An inline ``<svg>`` is plain markup in the cell's HTML output, so it
survives saving, nbconvert and an e-mail attachment, scales without blurring,
and needs no JavaScript. matplotlib escapes every text it writes into the SVG,
so a label that came from a server or a DNS record cannot inject markup.

Every chart carries a `sentence` and optionally a table (rows) that say the
same thing in words, for people who do not look at pictures, for screen readers
and for the text view (`to_text()`), which is what a terminal shows. With
``layout="beside"`` the table stands next to the picture (a reader compares the
two at a glance) and moves below it when the page is too narrow for both: a
flex row that wraps, so it needs no JavaScript and prints the same way.

>>> fig, ax = new_figure(width=6, height=2)                 # doctest: +SKIP
>>> ax.barh(["hop 1", "hop 2"], [0.2, 41.0])                # doctest: +SKIP
>>> Chart(fig, "Hop 2 took 41 s of the 41.2 s the message travelled.", rows=[...])   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smtpkit.render import Viewable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["LAYOUTS", "PALETTE", "Chart", "figure_svg", "new_canvas", "new_figure"]

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
# the ids matplotlib writes (glyphs, clip paths, markers) and the three ways it refers to them
_SVG_IDS = re.compile(r'(\bid="|\bhref="#|url\(#)([^"\)]+)')

LAYOUTS = ("below", "beside")


def new_canvas(width: float = 7.0, height: float = 2.6) -> Figure:
    """An empty figure drawn off-screen (no GUI backend, safe in a kernel, a CLI or a thread).

    Built on `matplotlib.figure.Figure` directly rather than `pyplot`, so no
    global figure state is touched and nothing is shown twice in a notebook.
    For a picture of several parts (add them with ``fig.add_gridspec``).
    """
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def new_figure(width: float = 7.0, height: float = 2.6) -> tuple[Figure, Axes]:
    """A figure with one pair of axes (top and right frame lines off), drawn off-screen like `new_canvas`."""
    fig = new_canvas(width, height)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def figure_svg(fig: Figure) -> str:
    """The figure as one inline ``<svg>`` element that scales to its container (no XML prolog, no DOCTYPE)."""
    import matplotlib

    buf = io.StringIO()
    # reproducible output: no date, no version, and ids hashed with a fixed salt (matplotlib's
    # default salt is a random uuid, so the same picture would differ at every render)
    with matplotlib.rc_context({"svg.hashsalt": "smtpkit"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = _SVG_START.sub("", buf.getvalue(), count=1)
    # drop the fixed width/height (in pt) so the viewBox scales with the page; cap the width in CSS
    for _ in range(2):
        svg = _SVG_SIZE.sub(r"<svg\1", svg, count=1)
    # Several charts share one page (a report, an export), and matplotlib names its glyphs, clip
    # paths and markers the same way in every figure: a reference would find another chart's
    # element first (hidden in a closed <details>, or clipped differently). Each chart's ids get
    # a prefix of their own, derived from the picture so the output stays reproducible.
    prefix = "sk" + hashlib.sha1(svg.encode("utf-8"), usedforsecurity=False).hexdigest()[:8] + "-"
    svg = _SVG_IDS.sub(lambda m: m.group(1) + prefix + m.group(2), svg)
    return svg.replace("<svg", f'<svg style="width:100%;max-width:{int(fig.get_figwidth() * 100)}px;height:auto"', 1)


class Chart(Viewable):
    """A picture plus the same information in words: `sentence` always, `rows` as a table when given.

    `layout` places the table ``"below"`` the picture (the default: long tables,
    such as a month of days) or ``"beside"`` it (short tables a reader compares
    with the picture); a page too narrow for both puts the table below anyway.
    """

    def __init__(
        self,
        figure: Figure,
        sentence: str,
        *,
        rows: Sequence[Mapping[str, Any]] = (),
        title: str = "",
        layout: str = "below",
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
        self.svg = figure_svg(figure)
        self.width_px = int(figure.get_figwidth() * 100)
        self.sentence = sentence
        self.rows = [dict(r) for r in rows]
        self.title = title
        self.layout = layout

    def to_html(self) -> str:
        from smtpkit.render.html import CSS, ROOT_CLASSES, html_table

        return f'{CSS}<div class="{ROOT_CLASSES}">{self.body_html(html_table)}</div>'

    def body_html(self, table_of: Any = None) -> str:
        """The chart's own markup without the CSS block: to place several charts in one view."""
        if table_of is None:
            from smtpkit.render.html import html_table as table_of
        caption = html.escape(self.sentence)
        head = (
            f'<div class="smtpkit-chart-title"><strong>{html.escape(self.title)}</strong></div>' if self.title else ""
        )
        table = table_of(self.rows) if self.rows else ""
        figure = f'<figure style="margin:4px 0">{self.svg}<figcaption>{caption}</figcaption></figure>'
        if self.layout == "below" or not table:
            return f'<div class="smtpkit-chart">{head}{figure}{table}</div>'
        # flex-wrap: side by side when both fit, the table below the picture on a narrow page or paper
        return (
            f'<div class="smtpkit-chart">{head}'
            '<div class="smtpkit-beside" style="display:flex;flex-wrap:wrap;gap:4px 16px;align-items:flex-start">'
            # the picture scales down, a table of words cannot: the words get the larger share of spare room
            f'<div class="smtpkit-beside-picture" style="flex:1 1 {min(self.width_px, 440)}px;min-width:0;'
            f'max-width:{self.width_px}px">{figure}</div>'
            f'<div class="smtpkit-beside-words" style="flex:2 1 300px;min-width:0">{table}</div>'
            "</div></div>"
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
