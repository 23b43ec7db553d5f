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

import datetime as _dt
import enum
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from smtpkit.record import asdict, field, is_record, record
from smtpkit.render import Viewable
from smtpkit.secrets import REDACTED, redact, redact_value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any


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


def _coerce_status(value: Status | str) -> Status:
    return value if isinstance(value, Status) else Status(str(value).lower())


def _coerce_severity(value: Severity | str) -> Severity:
    return value if isinstance(value, Severity) else Severity(str(value).lower())


@record(frozen=True)
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


# Test hook: the suite's gate (tests/support/gate.py) registers a callback to learn
# which findings reach a Step or a Report, and from where; a code counts as produced
# only when a check, a probe or a lab scenario attached it, not a test that built it.
_attach_listeners: list[Callable[[Sequence[Finding]], None]] = []


def _notify_attached(findings: Sequence[Finding]) -> None:
    if findings:
        for listener in _attach_listeners:
            listener(findings)


@record()
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
        _notify_attached(self.findings)

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
        _notify_attached(findings)
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


@record(frozen=True)
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


@record()
class Report(Viewable):
    """A whole diagnosis: what was checked, each step, every finding, the transcript.

    `target` says what was checked (a host and port, a domain), as a plain
    mapping, a record or a dataclass; it is shown at the top of every view so a shared
    report explains itself. `checked_at` is when (UTC): a report read days later
    must say "the certificate had expired at the check", not at the reading.
    """

    target: Any
    steps: list[Step] = field(default_factory=list)
    transcript: list[TranscriptLine] | Transcript = field(default_factory=list)
    title: str = "smtpkit report"
    extra_findings: list[Finding] = field(default_factory=list)
    checked_at: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(_dt.UTC).replace(microsecond=0))

    def __post_init__(self) -> None:
        _notify_attached(self.findings)  # (findings a check put into a step's list directly count here)

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
        shown: dict[str, Any] = redact_value(_target_to_dict(self.target))
        return shown

    def transcript_lines(self) -> list[TranscriptLine]:
        return list(self.transcript)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": _jsonable(self.target_dict()),
            "checked_at": self.checked_at.isoformat(),
            "verdict": self.verdict,
            "steps": [s.to_dict() for s in self.steps],
            "findings": [f.to_dict() for f in self.findings],
            "transcript": [t.to_dict() for t in self.transcript_lines()],
        }

    def to_json(self, indent: int | None = 2) -> str:
        from smtpkit.render.json import json_text

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
        combined = cls(target=target, steps=steps, transcript=transcript, title=title, extra_findings=extra)
        if reports:
            combined.checked_at = min(r.checked_at for r in reports)  # the time of the earliest
        return combined

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

    # -- views (smtpkit.render; Viewable derives the display hooks) -----------
    def pictures(self, *, timeline: bool = True) -> Any:
        """Every picture of this report (steps and timeline, certificate, SPF tree, DMARC alignment), each
        with its words beside it: a `smtpkit.render.pictures.Pictures` (see that module)."""
        from smtpkit.render.pictures import pictures

        return pictures(self, timeline=timeline)

    def to_text(self, *, transcript: bool = False, width: int = 100, tables: bool | None = True) -> str:
        """The terminal view (see `render.text.report_text`); `tables=None` shows only failing steps' tables."""
        from smtpkit.render.text import report_text

        return report_text(self, transcript=transcript, width=width, tables=tables)

    def to_markdown(self) -> str:
        from smtpkit.render.markdown import report_markdown

        return report_markdown(self)

    def to_html(self, *, transcript: bool = True) -> str:
        from smtpkit.render.html import report_html

        return report_html(self, transcript=transcript)


# ---------------------------------------------------------------------------
# plain-data helpers of Report


def _target_to_dict(target: Any) -> dict[str, Any]:
    if target is None:
        return {}
    if isinstance(target, Mapping):
        return dict(target)
    if hasattr(target, "to_dict"):
        return dict(target.to_dict())
    if is_record(target) and not isinstance(target, type):
        return asdict(target)
    if hasattr(target, "__dataclass_fields__") and not isinstance(target, type):
        import dataclasses  # only for a caller's own dataclass: the core's types are records (smtpkit.record)

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
