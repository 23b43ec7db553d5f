"""HTML views: every piece of text escaped, only our own markup raw; one CSS block for all of them.

Notebooks, the exported report and the no-code app show the same markup, so a
finding, a table or a transcript reads the same everywhere.
"""

from __future__ import annotations

import enum
import html
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from smtpkit.render.app_pages import annotate
from smtpkit.render.cells import cell, columns_of, human_label, step_views
from smtpkit.render.text import STATUS_SYMBOL
from smtpkit.secrets import redact

__all__ = [
    "CSS",
    "PANEL_CSS",
    "PANEL_ROOT_CLASSES",
    "ROOT_CLASSES",
    "STATUS_COLUMNS",
    "STATUS_STYLE",
    "TOOL_NOTE",
    "badge",
    "details_table",
    "esc",
    "finding_html",
    "findings_html",
    "html_table",
    "mark_tool_commands",
    "prose_html",
    "references_html",
    "report_html",
    "split_explanation",
    "transcript_html",
]

if TYPE_CHECKING:
    from smtpkit.model import Finding, Report, TranscriptLine

# Colours are decoration only: every badge also carries the status word, because
# colour is stripped from untrusted notebooks and unreadable for some people.
STATUS_STYLE = {
    "pass": ("#1a7f37", "#dafbe1"),
    "warn": ("#9a6700", "#fff8c5"),
    "fail": ("#cf222e", "#ffebe9"),
    "skip": ("#57606a", "#f6f8fa"),
    "info": ("#0969da", "#ddf4ff"),
}

CSS = """
<style>
.smtpkit-report{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:13px;line-height:1.45;
  max-width:1100px}
.smtpkit-report table{border-collapse:collapse;margin:6px 0 10px 0 !important;table-layout:auto !important}
.smtpkit-report th,.smtpkit-report td{border:1px solid #d0d7de;padding:3px 8px;
  text-align:left !important;vertical-align:top !important}
.smtpkit-report th{background:#f6f8fa}
.smtpkit-report .smtpkit-scroll{overflow-x:auto;max-width:100%}
.smtpkit-report td.smtpkit-long{overflow-wrap:anywhere;word-break:normal;min-width:18em}
.smtpkit-report td.smtpkit-short{white-space:nowrap}
.smtpkit-report .badge{display:inline-block;padding:0 6px;border-radius:4px;font-weight:600;
  font-family:monospace;white-space:nowrap}
.smtpkit-report .finding{border-left:4px solid #d0d7de;padding:4px 10px;margin:8px 0}
.smtpkit-report .smtpkit-decoded{color:#57606a}
.smtpkit-report pre{white-space:pre-wrap;word-break:normal !important;overflow-wrap:anywhere;background:#f6f8fa;
  padding:4px 6px;margin:4px 0}
.smtpkit-report details summary{cursor:pointer}
.smtpkit-report sup.smtpkit-tool{color:#57606a}
@media print{
  .smtpkit-report details::details-content{content-visibility:visible;display:block}
  .smtpkit-report details>summary{list-style:none}
  .smtpkit-report .smtpkit-scroll{overflow:visible}
  .smtpkit-report tr,.smtpkit-report figure,.smtpkit-report .finding{break-inside:avoid}
}
</style>
"""
# Words wrap only between words; a token too long for its cell (a DKIM key, a fingerprint, a URL)
# breaks where it must (overflow-wrap:anywhere), never every word at the cell's edge (word-break:
# break-all cut "certificate" into "certifi-cate"). In print, closed <details> blocks are expanded
# (::details-content; the exported report also opens them before printing).
# Notebook front ends right-align table cells and lay tables out with fixed column widths
# (hence the !important rules above). JupyterLab also typesets text between two dollar
# signs as LaTeX in HTML outputs, which turns a PowerShell line like
# `Set-CASMailbox ... $false` into garbled maths: every root element opts out.
ROOT_CLASSES = "smtpkit-report tex2jax_ignore mathjax_ignore"

# What only panels (titled blocks of results, `render.panel`) add to the rules above.
PANEL_CSS = (
    "<style>.smtpkit-panel h3{margin-top:4px}"
    ".smtpkit-panel .smtpkit-lesson{color:#57606a;margin:2px 0 4px 0}"
    ".smtpkit-panel .smtpkit-recommend{border-left:4px solid #1a7f37;background:#f6fff8;padding:4px 10px;margin:8px 0}"
    ".smtpkit-panel .smtpkit-recommend.smtpkit-none{border-left-color:#cf222e;background:#fff8f8}"
    "</style>"
)
PANEL_ROOT_CLASSES = f"{ROOT_CLASSES} smtpkit-panel"


def esc(value: Any) -> str:
    """Escape anything for HTML text or attribute context."""
    return html.escape(cell(value), quote=True)


def badge(status: str) -> str:
    """A coloured status badge that also spells the status out (e.g. `✘ FAIL`)."""
    s = str(status.value if isinstance(status, enum.Enum) else status).lower()
    fg, bg = STATUS_STYLE.get(s, ("#24292f", "#f6f8fa"))
    sym = STATUS_SYMBOL.get(s, "")
    return f'<span class="badge" style="color:{fg};background:{bg}">{html.escape(sym)} {html.escape(s.upper())}</span>'


STATUS_COLUMNS = ("status", "severity", "result")
_LONG_TOKEN = 40  # characters without a space: a key, a hash, a URL
_SHORT = 12  # the most characters of a two-word cell kept on one line (a number and its unit)


def _td(value: Any, status: bool) -> str:
    text = cell(value)
    if status and text.lower() in STATUS_STYLE:
        return f"<td>{badge(text)}</td>"
    if any(len(word) > _LONG_TOKEN for word in text.split()):
        return f'<td class="smtpkit-long">{esc(text)}</td>'
    if len(text) <= _SHORT and len(text.split()) == 2:
        # a number and its unit ("0.2 ms", "2048 bits") stay on one line: beside a picture the step table's
        # time column broke "0.2 / ms" in two
        return f'<td class="smtpkit-short">{esc(text)}</td>'
    return f"<td>{esc(text)}</td>"


def html_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    status_columns: Sequence[str] = STATUS_COLUMNS,
    transpose: bool | None = None,
) -> str:
    """Row dicts as an escaped HTML table that stays readable in a notebook column or a report.

    Status-like columns get spelled-out badges. A table of a few rows with many
    columns (a certificate chain, one DKIM signature) is shown turned on its
    side, one column per row, because ten narrow columns of wrapped words are
    unreadable; `transpose` forces either layout. A long unbroken value (a DKIM
    key, a fingerprint) wraps, and the table scrolls in its own box rather than
    being cut off at the right edge.
    """
    if not rows:
        return "<p><em>(no rows)</em></p>"
    if columns is None:
        columns = columns_of(rows)
    if transpose is None:
        transpose = len(columns) > 7 and len(rows) <= 3
    if transpose:
        key = columns[0]
        head = "<th></th>" + "".join(f"<th>{esc(f'{human_label(key)} {cell(r.get(key))}'.strip())}</th>" for r in rows)
        body = "".join(
            f"<tr><th>{esc(human_label(c))}</th>"
            + "".join(_td(r.get(c, ""), c in status_columns) for r in rows)
            + "</tr>"
            for c in columns[1:]
        )
    else:
        head = "".join(f"<th>{esc(human_label(c))}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(_td(r.get(c, ""), c in status_columns) for c in columns) + "</tr>" for r in rows
        )
    return f'<div class="smtpkit-scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def details_table(details: Mapping[str, Any]) -> str:
    """A few facts as a two-column table (name, value), every cell escaped; "" when there are none."""
    if not details:
        return ""
    rows = "".join(f"<tr><th>{esc(human_label(k))}</th><td>{esc(v)}</td></tr>" for k, v in details.items())
    return f"<table>{rows}</table>"


# The reply decoding appended to reply-based explanations ("Reply 535 (permanent) means: ...").
_DECODED = re.compile(r"\s(?=(?:Reply \d{3}\b[^:]{0,40}|Enhanced code \d\.\d{1,3}\.\d{1,3}\b[^:]{0,100}) means: )")
_BACKTICKS = re.compile(r"`([^`]+)`")
_URL = re.compile(r"https?://[^\s;,()<>\"']+")


def prose_html(text: str) -> str:
    """Escaped text in which `command` spans become <code>, so commands stand out from the words around them."""
    parts = _BACKTICKS.split(text)
    return "".join(f"<code>{esc(p)}</code>" if i % 2 else esc(p) for i, p in enumerate(parts))


_TOOL_COMMAND = re.compile(r"<code>(smtpkit [^<]*)</code>")

TOOL_NOTE = (
    "† A command of smtpkit, the free tool that made this report (Python 3.11 or newer: pip install smtpkit). "
    "If you do not have it, the person who sent you this report can run it for you."
)


def mark_tool_commands(markup: str) -> tuple[str, bool]:
    """Mark every ``smtpkit …`` command in our own `<code>` spans with a dagger that `TOOL_NOTE` explains.

    A report's reader usually does not have smtpkit; a fix that says "check with
    `smtpkit domain …`" must say what that is. Only our markup is matched (a
    server's text is escaped, so it cannot contain ``<code>``). Returns the
    markup and whether any command was marked.
    """
    marked, count = _TOOL_COMMAND.subn(
        r'<code class="smtpkit-cmd">\1</code><sup class="smtpkit-tool" title="a command of smtpkit">†</sup>', markup
    )
    return marked, count > 0


def references_html(text: str) -> str:
    """Each http(s) URL in a reference is its own link; the words around it (and any other scheme) stay text."""
    out, last = [], 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".")
        out.append(esc(text[last : m.start()]))
        out.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>')
        last = m.start() + len(url)
    out.append(esc(text[last:]))
    return "".join(out)


def split_explanation(text: str) -> tuple[str, str]:
    """(what happened, the reply codes decoded): the decoding is reference material, shown apart."""
    m = _DECODED.search(text)
    if not m:
        return text, ""
    return text[: m.start()].rstrip(), text[m.end() :].strip()


def finding_html(f: Finding) -> str:
    """One finding for a stressed reader: the problem, why, the fix, then evidence and codes for reference.

    The one renderer of a Finding in HTML: reports, exported HTML and the
    notebook views all use it, so a finding reads the same everywhere.
    """
    fg, _bg = STATUS_STYLE.get(f.severity.value, ("#d0d7de", ""))
    why, decoded = split_explanation(f.explanation)
    parts = [
        f'<div class="finding" style="border-left-color:{fg}">',
        f"<div>{badge(f.severity.value)} <code>{esc(f.code)}</code> — <strong>{esc(f.title)}</strong></div>",
        f"<div><strong>What happened and why:</strong> {annotate(prose_html(why))}</div>",
        f"<div><strong>Fix:</strong> {annotate(prose_html(f.fix))}</div>",
    ]
    if f.evidence:
        parts.append(f"<div><strong>Evidence:</strong><pre>{esc(f.evidence)}</pre></div>")
    if decoded:
        parts.append(
            f'<div class="smtpkit-decoded"><strong>The reply codes, decoded:</strong> {prose_html(decoded)}</div>'
        )
    if f.reference:
        parts.append(f"<div><strong>Reference:</strong> {references_html(f.reference)}</div>")
    parts.append("</div>")
    return "".join(parts)


def findings_html(findings: Sequence[Finding]) -> str:
    """Several findings, one `finding_html` block each."""
    return "".join(finding_html(f) for f in findings)


def report_html(report: Report, *, transcript: bool = True) -> str:
    """The whole report as one self-contained HTML block (CSS included): the target, a table of the
    steps, each step's facts, tables and findings, and the transcript in a closed block.

    What `Report.to_html()` and the exported report show; the notebook layout that
    puts problems first is `render.report_view.ReportView`.
    """
    target = report.target_dict()
    steps = step_views(report)
    out = [CSS, f'<div class="{ROOT_CLASSES}">']
    out.append(f"<h3>{esc(redact(str(report.title)))} — verdict {badge(report.verdict)}</h3>")
    if target:
        out.append(details_table(target))
    out.append(
        html_table(
            [
                {
                    "step": name,
                    "status": s.status.value,
                    "summary": summary,
                    "ms": round(float(s.elapsed_ms), 1),
                    "findings": ", ".join(f.code for f in s.findings),
                }
                for s, name, summary, _d, _t in steps
            ]
        )
    )
    for s, step_name, summary, details, tables in steps:
        out.append(f"<h4>{badge(s.status.value)} {esc(step_name)}: {esc(summary)}</h4>")
        out.append(details_table(details))
        for name, rows in tables.items():
            if not rows:  # a table with nothing in it says nothing ('lookups per include' of a record of ip4: terms)
                continue
            out.append(f"<div><strong>{esc(name)}</strong></div>")
            out.append(html_table(rows))
        out.append(findings_html(s.findings))
    if report.extra_findings:
        out.append("<h4>Other findings</h4>")
        out.append(findings_html(report.extra_findings))
    if transcript:
        out.append(transcript_html(report.transcript_lines()))
    out.append("</div>")
    return "".join(out)


def transcript_html(lines: Sequence[TranscriptLine]) -> str:
    """The transcript in a closed <details> block (it opens without JavaScript); "" when there is none."""
    if not lines:
        return ""
    text = "\n".join(f"{t.t_ms:9.1f} {t.dir} {t.text}" for t in lines)
    return (
        f"<details><summary>Transcript ({len(lines)} lines, credentials"
        f" redacted)</summary><pre>{html.escape(text)}</pre></details>"
    )
