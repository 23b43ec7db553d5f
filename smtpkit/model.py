"""The result model: what every probe and check returns, and every view renders.

A diagnosis is a `Report`: ordered `Step`s, each with `Finding`s, plus a redacted
transcript. Everything here is plain data so that a report can be rendered as a
pandas DataFrame, HTML (for notebooks and exported reports), JSON (for `--json`)
or text (for the terminal) without the views knowing anything about SMTP or DNS.

Every string that reaches a `Finding`, `Step` or transcript line goes through the
secret redactor on creation, so a password can never be stored in a result, and
every HTML view escapes all text, because most of it came from a server or DNS
and is untrusted.

A step's texts are redacted a second time when a view renders them (`Step.view`).
Both passes are needed: a `Step` is mutable, so a check may add a detail after
creation, and a secret may be registered after the step was made. Findings and
transcript lines are frozen, so creation is their one pass (the views built on
`smtpkit.ui` also redact their whole output). The second pass works on the data,
not on the rendered page, because HTML escaping and cutting long cells would hide
a password from the redactor.
"""

from __future__ import annotations

import dataclasses
import enum
import html
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smtpkit.secrets import REDACTED, redact, redact_value


class Status(str, enum.Enum):
    """Outcome of a step. Always shown as its word, never only as a colour."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


class Severity(str, enum.Enum):
    """How much a finding matters: `fail` breaks mail, `warn` risks it, `info` teaches."""

    FAIL = "fail"
    WARN = "warn"
    INFO = "info"

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARN: 1, Severity.FAIL: 2}

# Colours are decoration only: every badge also carries the status word, because
# colour is stripped from untrusted notebooks and unreadable for some people.
_STATUS_STYLE = {
    "pass": ("#1a7f37", "#dafbe1"),
    "warn": ("#9a6700", "#fff8c5"),
    "fail": ("#cf222e", "#ffebe9"),
    "skip": ("#57606a", "#f6f8fa"),
    "info": ("#0969da", "#ddf4ff"),
}

_STATUS_SYMBOL = {"pass": "✔", "warn": "⚠", "fail": "✘", "skip": "–", "info": "ℹ"}


def _coerce_status(value: Status | str) -> Status:
    return value if isinstance(value, Status) else Status(str(value).lower())


def _coerce_severity(value: Severity | str) -> Severity:
    return value if isinstance(value, Severity) else Severity(str(value).lower())


@dataclass(frozen=True)
class Finding:
    """One diagnosed fact: what happened, why, and what to do about it.

    `code` is a stable dotted identifier from the catalogue in
    `smtpkit.knowledge`; people search for it and tests assert on it, so it never
    changes meaning. Build findings with `smtpkit.knowledge.finding(code, ...)`
    rather than by hand, so the texts come from the one catalogue.
    """

    code: str
    severity: Severity
    step: str
    title: str
    explanation: str
    fix: str
    evidence: str = ""
    reference: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", _coerce_severity(self.severity))
        for name in ("step", "title", "explanation", "fix", "evidence", "reference"):
            object.__setattr__(self, name, redact(str(getattr(self, name) or "")))
        _notify_finding(self)

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "step": self.step,
            "title": self.title,
            "explanation": self.explanation,
            "fix": self.fix,
            "evidence": self.evidence,
            "reference": self.reference,
        }


# Test hook: tests register a callback to learn which finding codes the suite
# produced, so that every catalogue code is proven by at least one test.
_finding_listeners: list[Any] = []


def _notify_finding(finding: Finding) -> None:
    for listener in _finding_listeners:
        listener(finding)


@dataclass
class Step:
    """One stage of a diagnosis (resolve, connect, tls, spf, ...).

    `details` holds the small set of facts shown as a two-column table;
    `tables` holds larger named tables (a capability list, an SPF trace, a port
    matrix) as lists of row dicts, so every view can show them without knowing
    what they mean.
    """

    name: str
    status: Status
    summary: str
    elapsed_ms: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = _coerce_status(self.status)
        self.summary = redact(str(self.summary))
        self.details = redact_value(dict(self.details))
        self.tables = redact_value({k: [dict(r) for r in v] for k, v in self.tables.items()})

    def __setattr__(self, name: str, value: Any) -> None:
        # Checks assign `step.summary = f"refused: {reply}"` after creation; that text is
        # redacted like the first one. (In-place edits of details/tables are redacted by the views.)
        if name == "summary" and isinstance(value, str):
            value = redact(value)
        object.__setattr__(self, name, value)

    def view(self) -> tuple[str, dict[str, Any], dict[str, list[dict[str, Any]]]]:
        """summary, details and tables as every view shows them: redacted again at render time.

        Creation-time redaction cannot see what a check added later
        (`step.details["server reply"] = ...`) nor a secret registered afterwards.
        """
        tables = {redact(str(k)): [redact_value(dict(r)) for r in rows] for k, rows in self.tables.items()}
        return redact(str(self.summary)), redact_value(dict(self.details)), tables

    def add(self, *findings: Finding) -> None:
        """Attach findings and let the step's status reflect the worst of them."""
        self.findings.extend(findings)
        worst = worst_severity(self.findings)
        if worst is Severity.FAIL:
            self.status = Status.FAIL
        elif worst is Severity.WARN and self.status in (Status.PASS, Status.INFO):
            self.status = Status.WARN

    def to_dict(self) -> dict[str, Any]:
        summary, details, tables = self.view()
        out: dict[str, Any] = {
            "name": redact(self.name),
            "status": self.status.value,
            "summary": summary,
            "elapsed_ms": round(float(self.elapsed_ms), 1),
            "details": _jsonable(details),
        }
        if tables:
            out["tables"] = _jsonable(tables)
        return out


@dataclass(frozen=True)
class TranscriptLine:
    """One line of the conversation: `C` client, `S` server, `*` a note (TLS start, connect)."""

    t_ms: float
    dir: str
    text: str

    def __post_init__(self) -> None:
        if self.dir not in ("C", "S", "*"):
            raise ValueError(f"transcript direction must be C, S or *, not {self.dir!r}")
        object.__setattr__(self, "text", redact(self.text))

    def to_dict(self) -> dict[str, Any]:
        return {"t_ms": round(self.t_ms, 1), "dir": self.dir, "text": self.text}


class Transcript:
    """An append-only, redacted, size-capped record of a session with timestamps.

    The cap matters: a hostile server that sends megabytes must not grow our
    memory without bound, and a shared report must stay readable.
    """

    def __init__(self, *, max_lines: int = 5000, max_line_chars: int = 2000) -> None:
        self._start = time.monotonic()
        self.lines: list[TranscriptLine] = []
        self.max_lines = max_lines
        self.max_line_chars = max_line_chars
        self.dropped = 0

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self._start) * 1000.0

    def add(self, direction: str, text: str) -> None:
        if len(self.lines) >= self.max_lines:
            self.dropped += 1
            return
        # Redact before cutting: a cut through a password would leave its first
        # characters behind, and no longer match the redactor.
        text = redact(text)
        if len(text) > self.max_line_chars:
            cut = self.max_line_chars
            marker = text.find(REDACTED, max(0, cut - len(REDACTED) + 1), cut + len(REDACTED) - 1)
            if 0 <= marker < cut:
                cut = marker + len(REDACTED)  # keep the marker whole: "<reda…" would puzzle a reader
            text = text[:cut] + f"… [{len(text) - cut} more characters]"
        self.lines.append(TranscriptLine(self.elapsed_ms(), direction, text))

    def client(self, text: str) -> None:
        self.add("C", text)

    def server(self, text: str) -> None:
        self.add("S", text)

    def note(self, text: str) -> None:
        self.add("*", text)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)


def worst_severity(findings: Iterable[Finding]) -> Severity | None:
    worst: Severity | None = None
    for f in findings:
        if worst is None or _SEVERITY_RANK[f.severity] > _SEVERITY_RANK[worst]:
            worst = f.severity
    return worst


def verdict_of(findings: Iterable[Finding]) -> str:
    """fail if any finding fails, else warn if any warns, else pass (the issue's rule)."""
    worst = worst_severity(findings)
    if worst is Severity.FAIL:
        return "fail"
    if worst is Severity.WARN:
        return "warn"
    return "pass"


@dataclass
class Report:
    """A whole diagnosis: what was checked, each step, every finding, the transcript.

    `target` says what was checked (a host and port, a domain), as a plain
    mapping or a dataclass; it is shown at the top of every view so a shared
    report explains itself.
    """

    target: Any
    steps: list[Step] = field(default_factory=list)
    transcript: list[TranscriptLine] | Transcript = field(default_factory=list)
    title: str = "smtpkit report"
    extra_findings: list[Finding] = field(default_factory=list)

    # -- data -----------------------------------------------------------------
    @property
    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        for step in self.steps:
            out.extend(step.findings)
        out.extend(self.extra_findings)
        return out

    @property
    def verdict(self) -> str:
        return verdict_of(self.findings)

    @property
    def ok(self) -> bool:
        return self.verdict != "fail"

    def step(self, name: str) -> Step | None:
        for s in self.steps:
            if s.name == name:
                return s
        return None

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)

    def target_dict(self) -> dict[str, Any]:
        return redact_value(_target_to_dict(self.target))

    def transcript_lines(self) -> list[TranscriptLine]:
        return list(self.transcript)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": _jsonable(self.target_dict()),
            "verdict": self.verdict,
            "steps": [s.to_dict() for s in self.steps],
            "findings": [f.to_dict() for f in self.findings],
            "transcript": [t.to_dict() for t in self.transcript_lines()],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json_text(self.to_dict(), indent=indent)

    @classmethod
    def combine(cls, title: str, target: Any, reports: Sequence[Report]) -> Report:
        """Join several reports (a server and a domain) into one shareable report."""
        steps: list[Step] = []
        transcript: list[TranscriptLine] = []
        extra: list[Finding] = []
        for r in reports:
            steps.extend(r.steps)
            transcript.extend(r.transcript_lines())
            extra.extend(r.extra_findings)
        return cls(target=target, steps=steps, transcript=transcript, title=title, extra_findings=extra)

    # -- pandas ---------------------------------------------------------------
    def to_frame(self):  # type: ignore[no-untyped-def]
        """Steps as a DataFrame: one row a step, its status spelled out, its finding codes."""
        import pandas as pd

        rows = [
            {
                "step": redact(s.name),
                "status": s.status.value,
                "summary": s.view()[0],
                "elapsed_ms": round(float(s.elapsed_ms), 1),
                "findings": ", ".join(f.code for f in s.findings),
            }
            for s in self.steps
        ]
        return pd.DataFrame(rows, columns=["step", "status", "summary", "elapsed_ms", "findings"])

    def findings_frame(self):  # type: ignore[no-untyped-def]
        import pandas as pd

        cols = ["code", "severity", "step", "title", "explanation", "fix", "evidence", "reference"]
        return pd.DataFrame([f.to_dict() for f in self.findings], columns=cols)

    def transcript_frame(self):  # type: ignore[no-untyped-def]
        import pandas as pd

        return pd.DataFrame([t.to_dict() for t in self.transcript_lines()], columns=["t_ms", "dir", "text"])

    # -- text -----------------------------------------------------------------
    def to_text(self, *, transcript: bool = False, width: int = 100, tables: bool | None = True) -> str:
        """The terminal view (see `render_text`); `tables=None` shows only the tables of failing steps."""
        return render_text(self, transcript=transcript, width=width, tables=tables)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython's text/plain
        p.text(self.to_text())

    def to_markdown(self) -> str:
        return render_markdown(self)

    # -- html -----------------------------------------------------------------
    def _repr_html_(self) -> str:
        return render_html(self)

    def to_html(self, *, transcript: bool = True) -> str:
        return render_html(self, transcript=transcript)


# ---------------------------------------------------------------------------
# helpers shared by the views


def _target_to_dict(target: Any) -> dict[str, Any]:
    if target is None:
        return {}
    if isinstance(target, Mapping):
        return dict(target)
    if hasattr(target, "to_dict"):
        return dict(target.to_dict())
    if dataclasses.is_dataclass(target) and not isinstance(target, type):
        return dataclasses.asdict(target)
    return {"target": str(target)}


def _jsonable(value: Any) -> Any:
    """Make details JSON-safe: enums to their value, unknown objects to strings."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return redact(str(value))  # bytes, exceptions, objects: their str() was never redacted


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return redact(str(value))  # bytes, exceptions, objects: their str() was never redacted


# ---------------------------------------------------------------------------
# HTML: every piece of text is escaped; only our own markup is raw.

_CSS = """
<style>
.smtpkit-report{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:13px;line-height:1.45;
  max-width:1100px}
.smtpkit-report table{border-collapse:collapse;margin:6px 0 10px 0 !important;table-layout:auto !important}
.smtpkit-report th,.smtpkit-report td{border:1px solid #d0d7de;padding:3px 8px;
  text-align:left !important;vertical-align:top !important}
.smtpkit-report th{background:#f6f8fa}
.smtpkit-report .smtpkit-scroll{overflow-x:auto;max-width:100%}
.smtpkit-report td.smtpkit-long{overflow-wrap:anywhere;word-break:break-all;min-width:18em}
.smtpkit-report .badge{display:inline-block;padding:0 6px;border-radius:4px;font-weight:600;
  font-family:monospace;white-space:nowrap}
.smtpkit-report .finding{border-left:4px solid #d0d7de;padding:4px 10px;margin:8px 0}
.smtpkit-report .smtpkit-decoded{color:#57606a}
.smtpkit-report pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:4px 6px;margin:4px 0}
.smtpkit-report details summary{cursor:pointer}
</style>
"""
# Notebook front ends right-align table cells and lay tables out with fixed column widths
# (hence the !important rules above). JupyterLab also typesets text between two dollar
# signs as LaTeX in HTML outputs, which turns a PowerShell line like
# `Set-CASMailbox ... $false` into garbled maths: every root element opts out.
ROOT_CLASSES = "smtpkit-report tex2jax_ignore mathjax_ignore"


def esc(value: Any) -> str:
    """Escape anything for HTML text or attribute context."""
    return html.escape(_cell(value), quote=True)


def badge(status: str) -> str:
    """A coloured status badge that also spells the status out (e.g. `✘ FAIL`)."""
    s = str(status.value if isinstance(status, enum.Enum) else status).lower()
    fg, bg = _STATUS_STYLE.get(s, ("#24292f", "#f6f8fa"))
    sym = _STATUS_SYMBOL.get(s, "")
    return f'<span class="badge" style="color:{fg};background:{bg}">{html.escape(sym)} {html.escape(s.upper())}</span>'


STATUS_COLUMNS = ("status", "severity", "result")
_LONG_TOKEN = 40  # characters without a space: a key, a hash, a URL


def _td(value: Any, status: bool) -> str:
    text = _cell(value)
    if status and text.lower() in _STATUS_STYLE:
        return f"<td>{badge(text)}</td>"
    long = any(len(word) > _LONG_TOKEN for word in text.split())
    return f'<td class="smtpkit-long">{esc(text)}</td>' if long else f"<td>{esc(text)}</td>"


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
        columns = list(dict.fromkeys(str(k) for r in rows for k in r))
    if transpose is None:
        transpose = len(columns) > 7 and len(rows) <= 3
    if transpose:
        key = columns[0]
        head = "<th></th>" + "".join(f"<th>{esc(f'{key} {_cell(r.get(key))}'.strip())}</th>" for r in rows)
        body = "".join(
            f"<tr><th>{esc(c)}</th>" + "".join(_td(r.get(c, ""), c in status_columns) for r in rows) + "</tr>"
            for c in columns[1:]
        )
    else:
        head = "".join(f"<th>{esc(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(_td(r.get(c, ""), c in status_columns) for c in columns) + "</tr>" for r in rows
        )
    return f'<div class="smtpkit-scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def details_table(details: Mapping[str, Any]) -> str:
    if not details:
        return ""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in details.items())
    return f"<table>{rows}</table>"


# The reply decoding appended to reply-based explanations ("Reply 535 (permanent) means: ...").
_DECODED = re.compile(r"\s(?=(?:Reply \d{3}\b[^:]{0,40}|Enhanced code \d\.\d{1,3}\.\d{1,3}\b[^:]{0,100}) means: )")
_BACKTICKS = re.compile(r"`([^`]+)`")
_URL = re.compile(r"https?://[^\s;,()<>\"']+")


def prose_html(text: str) -> str:
    """Escaped text in which `command` spans become <code>, so commands stand out from the words around them."""
    parts = _BACKTICKS.split(text)
    return "".join(f"<code>{esc(p)}</code>" if i % 2 else esc(p) for i, p in enumerate(parts))


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
    fg, _bg = _STATUS_STYLE.get(f.severity.value, ("#d0d7de", ""))
    why, decoded = split_explanation(f.explanation)
    parts = [
        f'<div class="finding" style="border-left-color:{fg}">',
        f"<div>{badge(f.severity.value)} <code>{esc(f.code)}</code> — <strong>{esc(f.title)}</strong></div>",
        f"<div><strong>What happened and why:</strong> {prose_html(why)}</div>",
        f"<div><strong>Fix:</strong> {prose_html(f.fix)}</div>",
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
    return "".join(finding_html(f) for f in findings)


def _step_views(report: Report) -> list[tuple[Step, str, str, dict[str, Any], dict[str, list[dict[str, Any]]]]]:
    """(step, name, summary, details, tables) of every step, redacted at render time (see `Step.view`)."""
    return [(s, redact(str(s.name)), *s.view()) for s in report.steps]


def render_html(report: Report, *, transcript: bool = True) -> str:
    target = report.target_dict()
    steps = _step_views(report)
    out = [_CSS, f'<div class="{ROOT_CLASSES}">']
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


# ---------------------------------------------------------------------------
# text and markdown


# C0/C1 controls (ESC starts terminal escape sequences, OSC 52 can even write the
# clipboard), DEL, and the bidi overrides that reorder what a reader sees.
_UNSAFE_CHARS = {
    cp
    for cp in (
        *range(0x00, 0x20),
        0x7F,
        *range(0x80, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
    if cp not in (0x09, 0x0A)
}
_UNSAFE_TABLE = {cp: f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" for cp in _UNSAFE_CHARS}
_UNSAFE_TABLE[0x0D] = "\\r"


# json.dumps escapes C0 controls; these it leaves raw (with ensure_ascii=False), and `--json`
# output is read in terminals too. Inside a JSON string "\u009b" is the same character.
_JSON_TABLE = {cp: f"\\u{cp:04x}" for cp in _UNSAFE_CHARS if cp >= 0x7F}


def json_text(document: Any, indent: int | None = 2) -> str:
    """JSON with non-ASCII kept readable but C1 controls, DEL and bidi overrides escaped."""
    return json.dumps(document, indent=indent, ensure_ascii=False).translate(_JSON_TABLE)


def terminal_safe(text: str) -> str:
    """Show control characters as visible escapes (``\\x1b``); keep newlines and tabs.

    Text views go to terminals and log files, and most of their text came from a
    server or DNS: raw control characters there could clear the screen, retitle
    the window, hide lines (CR) or reorder them (bidi overrides).
    """
    return text.translate(_UNSAFE_TABLE)


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
    full = [[terminal_safe(" ".join(_cell(r.get(c, "")).splitlines())) for c in columns] for r in rows]
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


def _wrap(text: str, indent: str, width: int, subsequent: str | None = None) -> str:
    import textwrap

    later = indent if subsequent is None else subsequent
    return "\n".join(
        textwrap.fill(par, width=width, initial_indent=indent, subsequent_indent=later, drop_whitespace=True) or indent
        for par in text.splitlines() or [""]
    )


def render_text(report: Report, *, transcript: bool = False, width: int = 100, tables: bool | None = True) -> str:
    """The terminal view. Control characters from servers and DNS are shown as escapes
    (see `terminal_safe`), so a hostile banner cannot drive the reader's terminal.

    Every line fits `width` (tables narrow their widest columns or turn into records).
    `tables=None` prints the tables only of steps that failed or warned, where they are
    the evidence, and names the others: a passing check then fits on a screen, while
    -v (or `tables=True`) and the JSON view keep every row.
    """
    return terminal_safe(_render_text(report, transcript=transcript, width=width, tables=tables))


def _render_text(report: Report, *, transcript: bool, width: int, tables: bool | None = True) -> str:
    steps = _step_views(report)
    out = [f"{redact(str(report.title))}: verdict {report.verdict.upper()}"]
    target = report.target_dict()
    if target:
        out.append(
            _wrap(", ".join(f"{k}={_cell(v)}" for k, v in target.items() if v not in (None, "", [], ())), "  ", width)
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
            columns = list(dict.fromkeys(str(k) for r in rows for k in r))
            out += ["", f"{step_name}: {name}", text_table(rows, columns, max_width=40, total_width=width)]
    if hidden:
        out += [
            "",
            _wrap(f"Tables not shown ({', '.join(hidden)}): -v prints them, --json has every value.", "", width),
        ]
    findings = report.findings
    if findings:
        out += ["", "Findings:"]
        for f in findings:
            out.append("\n" + _wrap(f"[{f.severity.value.upper()}] {f.code} ({f.step}): {f.title}", "", width, "    "))
            out.append(_wrap("Why: " + f.explanation, "    ", width))
            out.append(_wrap("Fix: " + f.fix, "    ", width))
            if f.evidence:
                out.append(_wrap("Evidence: " + f.evidence, "    ", width))
            if f.reference:
                out.append(_wrap("Reference: " + f.reference, "    ", width))
    if transcript:
        lines = report.transcript_lines()
        out += ["", f"Transcript ({len(lines)} lines, credentials redacted):"]
        # wrapped, never cut: the transcript is the evidence
        out += [_wrap(f"{t.t_ms:9.1f} {t.dir} {t.text}", "", width, " " * 12) for t in lines]
    return "\n".join(out)


def _md_escape(value: Any) -> str:
    # every line break (\r, \v, \x85, \u2028 ... not only \n) would end a table row or paragraph
    s = html.escape(terminal_safe(" ".join(_cell(value).splitlines())), quote=False)
    for ch in ("\\", "|", "`", "*", "_", "[", "]"):
        s = s.replace(ch, "\\" + ch)
    return s


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(_md_escape(r.get(c, "")) for c in columns) + " |")
    return "\n".join(out)


def render_markdown(report: Report) -> str:
    out = [f"## {_md_escape(redact(str(report.title)))}: verdict **{report.verdict.upper()}**", ""]
    out.append(
        markdown_table(
            [
                {"step": name, "status": s.status.value.upper(), "summary": summary}
                for s, name, summary, _d, _t in _step_views(report)
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
