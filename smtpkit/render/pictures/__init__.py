"""Pictures of results, for where people would rather look than read; each says the same in words beside it.

Every picture is a pure function of a result object (a `Report`, its steps'
tables, a port matrix) returning a `smtpkit.render.charts.Chart` (a static
inline SVG with a sentence and a table beside it), or None when the result has
nothing to draw:

* `session_strip(report)`: the steps as a coloured strip, the first failure
  marked, and a timeline of where the time went (`session`);
* `certificate_validity(report)`: the certificate's validity on a time axis,
  issued, the day of the check, expiry (`certificate`);
* `spf_include_tree(report)`: the SPF include tree, each branch's DNS lookups
  against the limit of 10 (`spf`);
* `dmarc_alignment(report)`: the From domain against the Return-Path and every
  DKIM d= (`alignment`);
* `port_grid(matrix)`: the port x mode matrix as a coloured grid (`ports`).

`pictures(report)` gives every picture a report has, as one `Pictures` view
(what `Report.pictures()` returns). Like the rest of `smtpkit.render`, nothing
here knows a protocol: the pictures read the names of steps and tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from smtpkit.render import Viewable
from smtpkit.render.pictures.alignment import dmarc_alignment
from smtpkit.render.pictures.certificate import certificate_validity
from smtpkit.render.pictures.ports import port_grid
from smtpkit.render.pictures.session import session_strip
from smtpkit.render.pictures.spf import spf_include_tree

if TYPE_CHECKING:
    from smtpkit.model import Report
    from smtpkit.render.charts import Chart

__all__ = [
    "Pictures",
    "certificate_validity",
    "dmarc_alignment",
    "pictures",
    "port_grid",
    "session_strip",
    "spf_include_tree",
]


class Pictures(Viewable):
    """Several charts shown one after the other (each with its words beside it); a list otherwise."""

    def __init__(self, charts: Sequence[Chart]) -> None:
        self.charts = list(charts)

    def __iter__(self) -> Iterator[Chart]:
        return iter(self.charts)

    def __len__(self) -> int:
        return len(self.charts)

    def __getitem__(self, index: int) -> Chart:
        return self.charts[index]

    def to_html(self) -> str:
        from smtpkit.render.html import CSS, ROOT_CLASSES

        if not self.charts:
            return f'{CSS}<div class="{ROOT_CLASSES}"><p><em>(nothing to draw)</em></p></div>'
        return f'{CSS}<div class="{ROOT_CLASSES}">' + "".join(c.body_html() for c in self.charts) + "</div>"

    def to_text(self) -> str:
        return "\n\n".join(c.to_text() for c in self.charts) if self.charts else "(nothing to draw)"


def pictures(report: Report, *, timeline: bool = True) -> Pictures:
    """Every picture `report` has: the steps, then the certificate, SPF tree and DMARC alignment when present."""
    found = [
        session_strip(report, timeline=timeline),
        certificate_validity(report),
        spf_include_tree(report),
        dmarc_alignment(report),
    ]
    return Pictures([c for c in found if c is not None])
