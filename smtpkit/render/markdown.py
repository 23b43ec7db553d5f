"""Markdown views: tables and a report, every cell escaped so server text cannot break the layout."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smtpkit.render.cells import cell, step_views
from smtpkit.render.text import terminal_safe
from smtpkit.secrets import redact

if TYPE_CHECKING:
    from smtpkit.model import Report

__all__ = ["markdown_table", "report_markdown"]


def _md_escape(value: Any) -> str:
    # every line break (\r, \v, \x85, \u2028 ... not only \n) would end a table row or paragraph
    s = html.escape(terminal_safe(" ".join(cell(value).splitlines())), quote=False)
    for ch in ("\\", "|", "`", "*", "_", "[", "]"):
        s = s.replace(ch, "\\" + ch)
    return s


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as a Markdown table; every cell escaped and kept on one line."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(_md_escape(r.get(c, "")) for c in columns) + " |")
    return "\n".join(out)


def report_markdown(report: Report) -> str:
    """The report for a ticket or a chat: the verdict, a table of the steps, then every finding."""
    out = [f"## {_md_escape(redact(str(report.title)))}: verdict **{report.verdict.upper()}**", ""]
    out.append(
        markdown_table(
            [
                {"step": name, "status": s.status.value.upper(), "summary": summary}
                for s, name, summary, _d, _t in step_views(report)
            ],
            ["step", "status", "summary"],
        )
    )
    for f in report.findings:
        out += [
            "",
            f"### {f.severity.value.upper()} `{f.code}`: {_md_escape(f.title)}",
            "",
            f"**Why:** {_md_escape(f.explanation)}",
            "",
            f"**Fix:** {_md_escape(f.fix)}",
        ]
        if f.evidence:
            out += ["", f"**Evidence:** {_md_escape(f.evidence)}"]
    return "\n".join(out) + "\n"
