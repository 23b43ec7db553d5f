"""Text views for terminals: aligned tables that fit the width, wrapping, and control-character safety."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from smtpkit.model import Status
from smtpkit.render.cells import cell, columns_of, step_views
from smtpkit.render.json import UNSAFE_TABLE
from smtpkit.secrets import redact

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

    from smtpkit.model import Finding, Report

__all__ = ["STATUS_SYMBOL", "findings_text", "report_text", "terminal_safe", "terminal_width", "text_table", "wrap"]

STATUS_SYMBOL = {"pass": "✔", "warn": "⚠", "fail": "✘", "skip": "–", "info": "ℹ"}


def terminal_safe(text: str) -> str:
    """Show control characters as visible escapes (``\\x1b``); keep newlines and tabs.

    Text views go to terminals and log files, and most of their text came from a
    server or DNS: raw control characters there could clear the screen, retitle
    the window, hide lines (CR) or reorder them (bidi overrides).
    """
    return text.translate(UNSAFE_TABLE)


def _clip(value: str, width: int) -> str:
    return value if len(value) <= width else value[: max(1, width - 1)] + "…"


def _fit_widths(natural: list[int], headers: Sequence[str], total: int) -> list[int] | None:
    """Column widths that fit `total` characters, shrinking the widest column first; None if they cannot.

    No column is squeezed below its heading or 16 characters (less only if its values are
    shorter): a column cut to "O=smtpk…" says nothing, so a table that needs narrower
    columns is shown as records instead.
    """
    avail = total - 2 * (len(natural) - 1)
    floor = [min(w, max(len(h), 16)) for w, h in zip(natural, headers)]
    if sum(floor) > avail:
        return None
    widths = list(natural)
    while sum(widths) > avail:
        i = max((k for k in range(len(widths)) if widths[k] > floor[k]), key=lambda k: widths[k])
        widths[i] -= min(widths[i] - floor[i], sum(widths) - avail)
    return widths


def text_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, max_width: int = 60, total_width: int | None = None
) -> str:
    """A plain, aligned table for terminals (no colour needed to read it).

    Every cell is cut at `max_width`. With `total_width`, the widest columns are narrowed
    until a line fits; a table with too many columns for that (a certificate chain has
    eleven) is printed as one block of "field  value" lines per row, which reads far
    better than a table wrapped by the terminal. The full values stay in --json.
    """
    full = [[terminal_safe(" ".join(cell(r.get(c, "")).splitlines())) for c in columns] for r in rows]
    cells = [[_clip(v, max_width) for v in row] for row in full]
    headers = [terminal_safe(c) for c in columns]
    widths: list[int] | None = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(headers)]
    if total_width is not None and widths and sum(widths) + 2 * (len(widths) - 1) > total_width:
        widths = _fit_widths(widths, headers, total_width)
        if widths is None:
            return _text_records(headers, full, total_width)
    assert widths is not None
    line = "  ".join(_clip(c.upper(), w).ljust(w) for c, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(_clip(v, w).ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(s.rstrip() for s in out)


def _text_records(headers: Sequence[str], cells: Sequence[Sequence[str]], total_width: int) -> str:
    """Rows as blocks of "field  value" lines, for tables too wide for the terminal."""
    key_width = min(max(len(h) for h in headers), 24)
    value_width = max(20, total_width - key_width - 4)
    out: list[str] = []
    for n, row in enumerate(cells, 1):
        if len(cells) > 1:
            out.append(f"[{n}/{len(cells)}]")
        for h, v in zip(headers, row):
            if v:
                out.append(f"  {_clip(h, key_width).ljust(key_width)}  {_clip(v, value_width)}".rstrip())
    return "\n".join(out)


def terminal_width(fallback: int = 100) -> int:
    """The terminal's width for text reports, kept between 60 and 160 columns (lines longer than
    that are hard to read even on a wide screen); `fallback` when output is not a terminal."""
    import shutil

    return max(60, min(160, shutil.get_terminal_size((fallback, 24)).columns))


def wrap(text: str, indent: str, width: int, subsequent: str | None = None) -> str:
    """Each paragraph of `text` filled to `width`, the first line indented by `indent`, the rest by
    `subsequent` (default: the same); an empty paragraph stays an (indented) empty line."""
    import textwrap

    later = indent if subsequent is None else subsequent
    return "\n".join(
        textwrap.fill(par, width=width, initial_indent=indent, subsequent_indent=later, drop_whitespace=True) or indent
        for par in text.splitlines() or [""]
    )


def findings_text(findings: Sequence[Finding], width: int = 100) -> str:
    """Findings for a terminal, one block each: severity, code, step and title, then why, the fix,
    the evidence and the reference, indented and wrapped to `width`; blocks apart by a blank line.

    The one text layout of findings: the report's text view and the notebook
    panels that compare scenarios both use it.
    """
    return terminal_safe(_findings_text(findings, width))


def _findings_text(findings: Sequence[Finding], width: int) -> str:
    blocks = []
    for f in findings:
        out = [wrap(f"[{f.severity.value.upper()}] {f.code} ({f.step}): {f.title}", "", width, "    ")]
        out.append(wrap("Why: " + f.explanation, "    ", width))
        out.append(wrap("Fix: " + f.fix, "    ", width))
        if f.evidence:
            out.append(wrap("Evidence: " + f.evidence, "    ", width))
        if f.reference:
            out.append(wrap("Reference: " + f.reference, "    ", width))
        blocks.append("\n".join(out))
    return "\n\n".join(blocks)


def report_text(report: Report, *, transcript: bool = False, width: int = 100, tables: bool | None = True) -> str:
    """The terminal view. Control characters from servers and DNS are shown as escapes
    (see `terminal_safe`), so a hostile banner cannot drive the reader's terminal.

    Every line fits `width` (tables narrow their widest columns or turn into records).
    `tables=None` prints the tables only of steps that failed or warned, where they are
    the evidence, and names the others: a passing check then fits on a screen, while
    -v (or `tables=True`) and the JSON view keep every row.
    """
    return terminal_safe(_report_text(report, transcript=transcript, width=width, tables=tables))


def _report_text(report: Report, *, transcript: bool, width: int, tables: bool | None = True) -> str:
    steps = step_views(report)
    out = [f"{redact(str(report.title))}: verdict {report.verdict.upper()}"]
    target = report.target_dict()
    if target:
        out.append(
            wrap(", ".join(f"{k}={cell(v)}" for k, v in target.items() if v not in (None, "", [], ())), "  ", width)
        )
    out.append("")
    out.append(
        text_table(
            [
                {
                    "step": name,
                    "status": s.status.value.upper(),
                    "summary": summary,
                    "ms": f"{float(s.elapsed_ms):.0f}",
                }
                for s, name, summary, _d, _t in steps
            ],
            ["step", "status", "summary", "ms"],
            max_width=max(30, width - 30),
            total_width=width,
        )
    )
    hidden: list[str] = []
    for s, step_name, _summary, _details, step_tables in steps:
        for name, rows in step_tables.items():
            if not rows:
                continue
            if tables is False or (tables is None and s.status not in (Status.FAIL, Status.WARN)):
                hidden.append(f"{step_name}: {name}")
                continue
            columns = columns_of(rows)
            out += ["", f"{step_name}: {name}", text_table(rows, columns, max_width=40, total_width=width)]
    if hidden:
        out += [
            "",
            wrap(f"Tables not shown ({', '.join(hidden)}): -v prints them, --json has every value.", "", width),
        ]
    findings = report.findings
    if findings:
        out += ["", "Findings:", "", _findings_text(findings, width)]
    lines = report.transcript_lines() if transcript else []
    if lines:  # a check that talked to no server (DNS only) has none: "Transcript (0 lines ...)" said nothing
        out += ["", f"Transcript ({len(lines)} lines, credentials redacted):"]
        # wrapped, never cut: the transcript is the evidence
        out += [wrap(f"{t.t_ms:9.1f} {t.dir} {t.text}", "", width, " " * 12) for t in lines]
    return "\n".join(out)
