"""The state one session diagnosis carries from step to step, and helpers every step shares.

Steps are plain functions over a `SessionState` (in `network`,
`greeting`, `starttls`, `auth`, `send`); `diagnose` (the package)
runs them in order. Keeping the state in one record makes the order and the
"skip because an earlier step failed" rule visible in one place.
"""

from __future__ import annotations

import socket
import time

from smtpkit.knowledge.catalogue import finding
from smtpkit.model import Finding, Status, Step, Transcript
from smtpkit.net.connect import Deadline, Resolution
from smtpkit.net.smtp import (
    MAX_LINE,
    MAX_LINES,
    Capabilities,
    MalformedReply,
    PeerClosed,
    ProbeError,
    Reply,
    ReplyLimitExceeded,
    ReplyTimeout,
    SmtpConnection,
)
from smtpkit.octets import printable
from smtpkit.record import field, record
from smtpkit.secrets import Secret
from smtpkit.settings import Target

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

    from smtpkit.net.dns import Resolver

TIME_LIMIT = "the session's time limit was used up"


def seconds(value: float) -> str:
    """A duration as people read it: '850 ms', '2.0 s'."""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


@record()
class SessionState:
    """Everything a session knows so far. `stop_reason` set means later steps are skipped."""

    target: Target
    resolver: Resolver | None
    password: Secret | None
    token: Secret | None
    transcript: Transcript
    deadline: Deadline
    steps: list[Step] = field(default_factory=list)
    resolution: Resolution | None = None
    address: str = ""
    sock: socket.socket | None = None  # the connected socket before it becomes a conversation
    conn: SmtpConnection | None = None
    helo: str = ""
    caps_plain: Capabilities | None = None
    caps_tls: Capabilities | None = None
    provider: str | None = None
    tls_version: str = ""
    implicit_probe: Any = None  # a TlsOutcome when a silent port answered a TLS handshake
    authenticated: bool = False
    stop_reason: str = ""

    @property
    def caps(self) -> Capabilities | None:
        """The capabilities that apply now: after TLS when TLS is up."""
        return self.caps_tls if self.caps_tls is not None else self.caps_plain

    @property
    def encrypted(self) -> bool:
        return self.conn is not None and self.conn.tls

    def params(self, **extra: Any) -> dict[str, Any]:
        """Template parameters every finding may use."""
        t = self.target
        base: dict[str, Any] = {
            "host": t.host,
            "port": t.port,
            "address": self.address or t.host,
            "username": t.username or "",
            "mail_from": t.mail_from or "",
            "rcpt_to": ", ".join(t.rcpt_to),
            "helo": self.helo,
        }
        base.update(extra)
        return base

    def finding(self, code: str, evidence: str = "", *, step: str | None = None, **params: Any) -> Finding:
        return finding(code, evidence, provider=self.provider, step=step, **self.params(**params))

    def stop(self, reason: str, findings: list[Finding] | None = None) -> None:
        """Skip every later step, saying why; a spent deadline is named as the reason when it is one."""
        if findings and any(f.code == "smtp.deadline_exceeded" for f in findings):
            reason = TIME_LIMIT
        if not self.stop_reason:
            self.stop_reason = reason

    def step_deadline(self, budget: float) -> Deadline:
        return self.deadline.child(budget)

    def deadline_words(self, stage: str) -> str:
        """Which limit ran out: the whole session's, or this step's own budget."""
        if self.deadline.expired:
            return f"{seconds(self.target.session_deadline)} for the whole session"
        budget = self.conn.deadline.budget if self.conn is not None else None
        return f"{seconds(budget)} for the {stage} step" if budget else "the step's time budget"


def ms_since(start: float) -> float:
    """Milliseconds since `start` (a time.monotonic() value): a step's elapsed_ms."""
    return (time.monotonic() - start) * 1000.0


def skipped(name: str, reason: str) -> Step:
    return Step(name, Status.SKIP, f"not run: {reason}")


def probe_error_finding(state: SessionState, exc: ProbeError, stage: str, command: str) -> Finding:
    """Turn a broken conversation (timeout, hang-up, garbage, limits) into the right smtp.* finding."""
    evidence = printable(exc.received, 400) if exc.received else ""
    if isinstance(exc, ReplyTimeout):
        if exc.by_deadline:
            return state.finding(
                "smtp.deadline_exceeded", evidence, step=stage, stage=stage, deadline=state.deadline_words(stage)
            )
        return state.finding(
            "smtp.reply_timeout", evidence, step=stage, stage=stage, command=command, waited=seconds(exc.waited)
        )
    if isinstance(exc, ReplyLimitExceeded):
        return state.finding(
            "smtp.reply_limit",
            evidence,
            step=stage,
            stage=stage,
            problem=exc.problem,
            limit=f"{MAX_LINE}-byte lines and {MAX_LINES}-line replies",
        )
    if isinstance(exc, MalformedReply):
        return state.finding("smtp.malformed_reply", evidence, step=stage, stage=stage, problem=exc.problem)
    if isinstance(exc, PeerClosed):
        return state.finding(
            "smtp.connection_lost",
            evidence,
            step=stage,
            stage=stage,
            command=command,
            reason="the server closed it without answering",
        )
    # ConnectionLost and anything else: the error's own words are the reason
    return state.finding("smtp.connection_lost", evidence, step=stage, stage=stage, command=command, reason=str(exc))


def classify(state: SessionState, stage: str, reply: Reply, **context: Any) -> Finding | None:
    """Ask the knowledge layer's rules table what a failing reply at `stage` means."""
    from smtpkit.knowledge.rules import classify_reply

    return classify_reply(stage, reply.code, reply.text, provider=state.provider, **state.params(**context))


def reply_finding(state: SessionState, stage: str, command: str, reply: Reply, **context: Any) -> Finding:
    """The finding for a failing reply: the rules table's, or a plain explanation of the code."""
    found = classify(state, stage, reply, **context)
    if found is not None:
        return found
    from smtpkit.knowledge.replies import explain_reply

    return state.finding(
        "smtp.unexpected_reply",
        reply.wire(),
        step=stage,
        stage=stage,
        command=command,
        reply=str(reply),
        meaning=explain_reply(reply.code),
    )
