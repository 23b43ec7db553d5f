"""A `Report` laid out for reading in a notebook: the verdict, the steps, the problems, then details on demand."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from smtpkit.model import Finding, Report, Severity
from smtpkit.render import Viewable
from smtpkit.render.html import (
    CSS,
    PANEL_CSS,
    PANEL_ROOT_CLASSES,
    TOOL_NOTE,
    badge,
    details_table,
    esc,
    findings_html,
    html_table,
    mark_tool_commands,
    transcript_html,
)
from smtpkit.render.text import terminal_safe
from smtpkit.secrets import redact

__all__ = ["ReportView"]


@dataclass
class ReportView(Viewable):
    """A report for a stressed reader: which step failed and the fix first, every fact one click away.

    The full report (`Report.to_html`) is long: every step's facts and tables.
    Here step details sit in ``<details>`` blocks (they open without JavaScript,
    in an export too), and the steps named in `focus` are open from the start.
    The text view is the report's own (`Report.to_text`).

    With `pictures` (the default), the steps are shown as a coloured strip with a
    timeline (`render.pictures.session_strip`), its table beside it, and the
    tls, spf and dmarc steps open on their picture (certificate validity, SPF
    include tree, DMARC alignment); each picture says the same in words.
    """

    report: Report
    focus: tuple[str, ...] = ()
    title: str | None = None
    pictures: bool = True
    recipient: bool = False  # a shared report: smtpkit commands in fixes are marked and explained (TOOL_NOTE)
    _charts: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def charts(self) -> dict[str, Any]:
        """The pictures by place ("steps", and the name of the step each belongs to), drawn once."""
        if self._charts is None:
            from smtpkit.render.pictures import certificate_validity, dmarc_alignment, spf_include_tree
            from smtpkit.render.pictures.alignment import alignment_rows
            from smtpkit.render.pictures.session import session_strip

            found: dict[str, Any] = {}
            if self.pictures and self.report.steps:
                if len(self.report.steps) > 1:  # one step's strip (an explained error) only drew "0.0010 ms"
                    found["steps"] = session_strip(self.report, title="The steps at a glance")
                found["tls"] = certificate_validity(self.report)
                found["spf"] = spf_include_tree(self.report)
                step, _rows = alignment_rows(self.report)
                if step:
                    found[step] = dmarc_alignment(self.report)
            self._charts = {k: v for k, v in found.items() if v is not None}
        return self._charts

    @property
    def verdict(self) -> str:
        """The report's verdict (fail, warn or pass)."""
        return self.report.verdict

    def to_html(self) -> str:
        r = self.report
        out = [CSS, PANEL_CSS, f'<div class="{PANEL_ROOT_CLASSES}">']
        out.append(f"<h3>{badge(r.verdict)} {esc(self.title or r.title)}</h3>")
        target = r.target_dict()
        if target:
            out.append(details_table({k: v for k, v in target.items() if v not in (None, "", [], ())}))
        charts = self.charts()
        if "steps" in charts:
            out.append(charts["steps"].body_html(lambda rows: self._strip_table(rows)))
        else:
            # the findings column lists problems only: an informational code next to a PASS reads like one
            out.append(
                html_table(
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
            out.append(findings_html(problems))
        else:
            # a note (INFO) sits folded in its step; named here, a row such as "certificate fails" under a PASS
            # does not read as a problem the verdict missed
            worth = also_noted(r.findings)
            worth = f" {esc(worth)}" if worth else ""
            out.append(f"<p><strong>No problem found.</strong>{worth} Open a step below for what the server said.</p>")
        for st in r.steps:
            if st.status.value == "skip" and not st.details and not st.tables:
                continue
            is_open = " open" if st.name in self.focus else ""
            body = [charts[st.name].body_html()] if st.name in charts else []
            body.append(details_table(st.details))
            for name, rows in st.tables.items():
                if not rows:  # as in the text view: an empty table says nothing
                    continue
                body.append(f"<div><strong>{esc(name)}</strong></div>{html_table(rows)}")
            info = [f for f in st.findings if f.severity is Severity.INFO]
            if info:
                body.append(findings_html(info))
            out.append(
                f"<details{is_open}><summary>{badge(st.status.value)} <strong>{esc(st.name)}</strong>: "
                f"{esc(st.summary)}</summary>{''.join(body)}</details>"
            )
        out.append(transcript_html(r.transcript_lines()))
        out.append("</div>")
        page = "".join(out)
        if self.recipient:
            page, marked = mark_tool_commands(page)
            if marked:
                page = page.removesuffix("</div>") + f'<p class="smtpkit-lesson">{esc(TOOL_NOTE)}</p></div>'
        return redact(page)

    def _strip_table(self, rows: list[dict[str, Any]]) -> str:
        """The strip's table, with each step's problems (codes of its failures and warnings) added."""
        problems = {
            s.name: ", ".join(f.code for f in s.findings if f.severity is not Severity.INFO) for s in self.report.steps
        }
        return html_table([{**row, "problems": problems.get(str(row.get("step")), "")} for row in rows])

    def to_text(self) -> str:
        text = self.report.to_text()
        return terminal_safe(f"{self.title}\n{text}") if self.title else text


def also_noted(findings: Iterable[Finding], most: int = 3) -> str:
    """``Also noted: “…” (step mx_tls); its step below says more.``, or "" when there is no note.

    Said under a verdict of no problem: a note (INFO) is folded in its step, and a row such as
    "certificate not valid for its name" under a PASS must not read as a problem the verdict missed.
    """
    notes = [f for f in findings if f.severity is Severity.INFO]
    if not notes:
        return ""
    said = "; ".join(f"“{f.title}” (step {f.step})" for f in notes[:most])
    more = f" and {len(notes) - most} more" if len(notes) > most else ""
    return f"Also noted: {said}{more}; {'its step below says' if len(notes) == 1 else 'their steps below say'} more."
