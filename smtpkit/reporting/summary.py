"""The summary at the top of a mail delivery report: the verdict, what was checked, what to fix first.

Computed once, here, from the two reports a report run produced (one server
diagnosis, one domain check): the notebook shows it as its first section, and
`smtpkit report` prints it and takes its exit status from it. The notebook's
kernel and the command line are two processes, so the kernel writes the
summary as a small JSON file (`Summary.write`) at the path `smtpkit report`
passed in as the notebook's ``summary_path`` parameter, and the command line
reads it back with `read_summary`: a file of documented fields, not something
dug out of the executed notebook's outputs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smtpkit.model import Report, Severity, verdict_of
from smtpkit.render import Viewable
from smtpkit.render.html import TOOL_NOTE, esc, mark_tool_commands, prose_html
from smtpkit.render.json import json_text
from smtpkit.render.panel import Html, Panel
from smtpkit.reporting.scorecard import scorecard

__all__ = ["Failure", "Summary", "read_summary", "summarize"]

#: The largest summary file `read_summary` accepts (a real one is a few kilobytes).
MAX_SUMMARY_BYTES = 1_000_000

TITLE = "Every step, and what to fix first"
# The report's introduction says, in bold, that it holds no password: said again here, it read as a second intro.
NOTE = "Each step below says what happened, why, and how to fix it."


@dataclass(frozen=True)
class Failure:
    """A finding that breaks mail (or, in `Summary.warnings`, risks it): its code, its title and the fix."""

    code: str
    title: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "title": self.title, "fix": self.fix}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Failure:
        return cls(str(doc["code"]), str(doc["title"]), str(doc["fix"]))


@dataclass
class Summary(Viewable):
    """What a reader needs first: the verdict, what was checked, every step, the failures, the score.

    `checked` rows: what, target, status. `steps` rows: part (server or domain),
    step, status, summary, problems (the codes of its non-informational findings).
    `score` is the best-practices scorecard's one line ("5 of 7 practices in place").
    """

    verdict: str
    checked: list[dict[str, str]] = field(default_factory=list)
    steps: list[dict[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    score: str = ""
    #: the warnings, shown under "Fix these first" when nothing fails ("see the warnings below" sent the reader
    #: looking through every step for them)
    warnings: list[Failure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "checked": self.checked,
            "steps": self.steps,
            "failures": [f.to_dict() for f in self.failures],
            "score": self.score,
            "warnings": [f.to_dict() for f in self.warnings],
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Summary:
        return cls(
            verdict=str(doc["verdict"]),
            checked=[{str(k): str(v) for k, v in row.items()} for row in doc.get("checked", [])],
            steps=[{str(k): str(v) for k, v in row.items()} for row in doc.get("steps", [])],
            failures=[Failure.from_dict(f) for f in doc.get("failures", [])],
            score=str(doc.get("score", "")),
            warnings=[Failure.from_dict(f) for f in doc.get("warnings", [])],
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Save as JSON at `path` (what `smtpkit report` reads back with `read_summary`)."""
        Path(path).write_text(json_text(self.to_dict()), encoding="utf-8")

    def _panel(self) -> Panel:
        parts: list[tuple[str, Any]] = [("What was checked", self.checked), ("Every step", self.steps)]
        if self.failures:
            parts.append(("Fix these first", fixes_view(self.failures)))
        elif self.verdict == "pass":  # "see the warnings" when there were none sent the reader looking for them
            parts.append(("Fix these first", "Nothing is broken and nothing warns: see the scorecard below."))
        elif self.warnings:
            parts.append(
                ("Fix these first", fixes_view(self.warnings, "Nothing is broken. These warnings are worth fixing:"))
            )
        else:
            parts.append(
                ("Fix these first", "Nothing is broken: see the warnings and the scorecard below for what to improve.")
            )
        parts.append(("Best practices", self.score))
        return Panel(TITLE, parts, status=self.verdict, note=NOTE)

    def to_html(self) -> str:
        return self._panel().to_html()

    def to_text(self) -> str:
        return self._panel().to_text()


def fixes_view(failures: list[Failure], lead: str = "") -> Html:
    """The failures as a table whose fixes read as prose: commands set as code (no Markdown backticks),
    smtpkit commands marked for a reader who does not have it; the text view keeps the plain words. `lead`: a
    sentence above the table. The problem column keeps a readable width beside a long fix (it was squeezed to
    two words a line)."""
    from smtpkit.render.cells import columns_of
    from smtpkit.render.text import text_table

    body = "".join(
        f"<tr><td><code>{esc(f.code)}</code></td><td>{esc(f.title)}</td><td>{prose_html(f.fix)}</td></tr>"
        for f in failures
    )
    markup, marked = mark_tool_commands(
        '<div class="smtpkit-scroll"><table><thead><tr><th>finding</th><th style="min-width:14em">problem</th>'
        f"<th>fix</th></tr></thead><tbody>{body}</tbody></table></div>"
    )
    if marked:
        markup += f'<p class="smtpkit-lesson">{esc(TOOL_NOTE)}</p>'
    rows = [{"finding": f.code, "problem": f.title, "fix": f.fix} for f in failures]
    text = text_table(rows, columns_of(rows), max_width=60)
    if lead:
        markup, text = f"<p>{esc(lead)}</p>{markup}", f"{lead}\n{text}"
    return Html(markup, text)


def summarize(
    server: Report | None, domain: Report | None, *, server_target: str = "", domain_target: str = ""
) -> Summary:
    """The summary of one server diagnosis and one domain check (either may be missing).

    `server_target` and `domain_target` say what was checked in the reader's
    words (``smtp.example.com:587 (starttls)``, ``example.com``).
    """
    reports = [r for r in (server, domain) if r is not None]
    checked = []
    if server is not None:
        checked.append({"what": "mail server", "target": server_target, "status": server.verdict})
    if domain is not None:
        checked.append({"what": "sending domain", "target": domain_target, "status": domain.verdict})
    steps = [
        {
            "part": kind,
            "step": st.name,
            "status": st.status.value,
            "summary": st.summary,
            "problems": ", ".join(f.code for f in st.findings if f.severity is not Severity.INFO),
        }
        for kind, r in (("server", server), ("domain", domain))
        if r is not None
        for st in r.steps
    ]
    findings = [f for r in reports for f in r.findings]
    failures = [Failure(f.code, f.title, f.fix) for f in findings if f.severity is Severity.FAIL]
    warnings = [Failure(f.code, f.title, f.fix) for f in findings if f.severity is Severity.WARN]
    return Summary(
        verdict=verdict_of(f for r in reports for f in r.findings),
        checked=checked,
        steps=steps,
        failures=failures,
        score=scorecard(server, domain).score,
        warnings=warnings,
    )


def read_summary(path: str | os.PathLike[str]) -> Summary | None:
    """The summary a report run wrote at `path`, or None when there is none (the run did not get that far)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SUMMARY_BYTES + 1)
        if len(data) > MAX_SUMMARY_BYTES:
            return None
        doc = json.loads(data)
        return Summary.from_dict(doc) if isinstance(doc, dict) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):  # nested past json's stack
        return None
