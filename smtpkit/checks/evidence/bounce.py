"""Bounces as Steps with Findings: one finding per failed recipient, from the same rules as `smtpkit explain`.

The reply a bounce quotes is the reply a live session would have met, so it
goes through `smtpkit.knowledge.rules.classify_reply` at the stage the bounce
names (RCPT, MAIL, end of DATA; RCPT when it does not say): one rule serves
the session, `smtpkit explain` and the bounce. Where the bounce states no
status code, the rule's finding gives the likely one (marked "inferred").

`analyze_bounces` reads a folder or an mbox and returns one DataFrame row
per failed recipient (columns in `COLUMNS`, plus ``file``);
`summarize_bounces` counts them by finding code.
"""

from __future__ import annotations

import mailbox
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from smtpkit.evidence.bounce import MAX_BOUNCE_BYTES, Bounce, BounceRecipient, parse_bounce
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Report, Status, Step
from smtpkit.record import replace

__all__ = [
    "COLUMNS",
    "analyze_bounce",
    "analyze_bounces",
    "bounce_step",
    "classify_recipient",
    "iter_bounce_files",
    "summarize_bounces",
]

# the recipients table and the DataFrame (analyze_bounces adds "file")
COLUMNS = [
    "recipient",
    "action",
    "status",
    "reply",
    "remote_mta",
    "diagnostic",
    "code",
    "stage",
    "status_source",
    "reporting_mta",
]

# The status a finding implies, for bounces that state none (RFC 3463 codes).
_INFERRED = {
    "send.recipient_unknown": "5.1.1",
    "send.mailbox_full": "5.2.2",
    "send.message_too_large": "5.3.4",
    "send.relay_denied": "5.7.1",
    "send.blocked_spam": "5.7.1",
    "send.ip_blocklisted": "5.7.1",
    "send.unauthenticated": "5.7.1",
    "send.sender_domain_unresolvable": "5.1.8",
    "send.rate_limited": "4.7.0",
    "send.greylisted": "4.7.1",
}
MAX_FOLDER_FILES = 100_000


def classify_recipient(r: BounceRecipient) -> Finding | None:
    """The reply rules' finding for one recipient (None for a delivered or relayed one)."""
    from smtpkit.knowledge.rules import classify_reply

    if r.action in ("delivered", "relayed", "expanded") or r.status.startswith("2"):
        return None
    code = int(r.reply) if r.reply.isdigit() else (450 if r.action == "delayed" or r.status.startswith("4") else 550)
    diag = r.diagnostic
    # the rules read "<enhanced> <text>": drop a leading reply code the diagnostic repeats
    body = diag[4:] if diag[:3].isdigit() and diag[3:4] in (" ", "-") else diag
    text = body if (r.status and body.lstrip().startswith(r.status)) or not r.status else f"{r.status} {body}"
    stage = r.stage or "rcpt"
    try:
        found = classify_reply(stage, code, text, rcpt_to=r.recipient, host=r.remote_mta or "")
    except ValueError:
        return None
    if found is None:
        return None
    evidence = f"{r.recipient}: {code} {text}".strip()
    return replace(found, step="bounce", evidence=evidence[:600])


def _rows_and_findings(b: Bounce) -> tuple[list[dict[str, Any]], list[Finding]]:
    rows: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for r in b.recipients:
        f = classify_recipient(r)
        row = r.to_row()
        row["code"] = f.code if f else ""
        if f is not None and not r.status and f.code in _INFERRED:
            inferred = _INFERRED[f.code]
            if r.action == "delayed" and inferred.startswith("5"):
                inferred = "4" + inferred[1:]
            row["status"], row["status_source"] = inferred, "inferred"
            findings.append(
                finding(
                    "bounce.no_status",
                    f"{r.recipient}: {r.diagnostic[:300]}",
                    recipient=r.recipient,
                    inferred=f" (likely {inferred})",
                    meaning=f"{f.title} ({f.code}).",
                )
            )
        if r.action == "delayed":
            findings.append(
                finding(
                    "bounce.delayed",
                    f"{r.recipient}: {r.diagnostic[:300]}",
                    recipient=r.recipient,
                    status=row["status"] or "none given",
                    reason=f"The last reply: {r.diagnostic[:200]}" if r.diagnostic else "",
                )
            )
        elif f is not None:
            findings.append(f)
        rows.append({c: row.get(c, "") for c in COLUMNS})
    return rows, findings


def bounce_step(b: Bounce) -> Step:
    """The ``bounce`` step: the recipients table (columns `COLUMNS`) and one finding per recipient."""
    start = time.monotonic()
    details: dict[str, Any] = {
        "kind": {
            "dsn": "delivery status notification (RFC 3464)",
            "text": "text bounce (no delivery-status part)",
            "auto-reply": "automatic reply (RFC 3834)",
            "feedback-report": "feedback report (ARF, RFC 5965)",
            "not-a-bounce": "not a bounce",
            "unreadable": "unreadable",
        }.get(b.kind, b.kind),
        "written by": b.writer or "(not recognised)",
        "reporting MTA": b.reporting_mta or "(not stated)",
        "From": b.from_,
        "Subject": b.subject,
        "Date": b.date,
    }
    if b.kind == "auto-reply":
        step = Step("bounce", Status.INFO, "an automatic reply, not a bounce", details=details)
        step.add(
            finding(
                "bounce.not_a_bounce",
                f"Subject: {b.subject}",
                what="an automatic reply (out of office, vacation)",
                why="It was sent by a person's mailbox rule (RFC 3834 Auto-Submitted: auto-replied), not by a mail "
                "server reporting a failure: the message it answers was delivered.",
            )
        )
        return step
    if b.kind == "feedback-report":
        step = Step("bounce", Status.INFO, "a feedback report (ARF), not a bounce", details=details)
        step.add(finding("bounce.feedback_report", f"Subject: {b.subject}", feedback_type=b.feedback_type or "abuse"))
        return step
    if b.kind == "not-a-bounce":
        step = Step("bounce", Status.INFO, "not a bounce", details=details)
        step.add(
            finding(
                "bounce.not_a_bounce",
                f"From: {b.from_}; Subject: {b.subject}",
                what="an ordinary message",
                why=f"It has {b.problem}.",
            )
        )
        return step
    if b.kind == "unreadable" or not b.recipients:
        step = Step("bounce", Status.WARN, f"cannot read it: {b.problem}", details=details)
        step.add(finding("bounce.unreadable", f"From: {b.from_}; Subject: {b.subject}", problem=b.problem))
        return step
    rows, findings = _rows_and_findings(b)
    failed = [r for r in rows if r["action"] not in ("delivered", "relayed", "expanded")]
    summary = f"{len(failed)} recipient{'s' if len(failed) != 1 else ''} not delivered" + (
        ": " + ", ".join(f"{r['recipient']} ({r['status'] or r['reply'] or '?'})" for r in failed[:3]) if failed else ""
    )
    step = Step(
        "bounce",
        Status.INFO,
        summary,
        elapsed_ms=(time.monotonic() - start) * 1000,
        details=details,
        tables={"recipients": rows},
    )
    step.add(*findings)
    return step


def analyze_bounce(source: bytes | str | os.PathLike[str]) -> Report:
    """Analyse one bounce (a path, its bytes, or pasted text) -> a `Report` with the ``bounce`` step."""
    from smtpkit.errors import InvalidSettings
    from smtpkit.evidence.headers import read_source

    try:
        data, name, cut = read_source(source, limit=MAX_BOUNCE_BYTES)
    except FileNotFoundError as exc:
        raise InvalidSettings(str(exc).replace("the message", "the bounce"), field="source") from None
    except OSError as exc:
        raise InvalidSettings(
            f"{exc.filename or 'the file'}: cannot read it ({exc.strerror})", field="source"
        ) from None
    b = parse_bounce(data, truncated=cut)
    return Report(target={"bounce": name, "Subject": b.subject}, steps=[bounce_step(b)], title="smtpkit bounce")


def iter_bounce_files(path: str | os.PathLike[str]) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every message in a folder (recursively), an mbox file, or one message file."""
    p = Path(path)
    if p.is_dir():
        count = 0
        for f in sorted(p.rglob("*")):
            if not f.is_file() or f.name.startswith("."):
                continue
            count += 1
            if count > MAX_FOLDER_FILES:
                break
            try:
                with f.open("rb") as fh:
                    yield str(f.relative_to(p)), fh.read(MAX_BOUNCE_BYTES)
            except OSError:
                yield str(f.relative_to(p)), b""
        return
    if p.is_file():
        with p.open("rb") as fh:
            head = fh.read(5)
        if head == b"From ":
            box = mailbox.mbox(str(p), create=False)
            try:
                for i, key in enumerate(box.keys()):
                    if i >= MAX_FOLDER_FILES:
                        break
                    try:
                        data = box.get_bytes(key)
                    except Exception:
                        data = b""
                    yield f"{p.name}#{i + 1}", data[:MAX_BOUNCE_BYTES]
            finally:
                box.close()
            return
        with p.open("rb") as fh:
            yield p.name, fh.read(MAX_BOUNCE_BYTES)
        return
    from smtpkit.errors import InvalidSettings

    raise InvalidSettings(
        f"{path}: no such file or folder (give a folder of bounces, an mbox or one file)", field="path"
    )


def _frame_rows(name: str, b: Bounce) -> list[dict[str, Any]]:
    if not b.is_bounce or not b.recipients:
        row = dict.fromkeys(COLUMNS, "")
        row["action"] = {
            "auto-reply": "not a bounce",
            "feedback-report": "not a bounce",
            "not-a-bounce": "not a bounce",
        }.get(b.kind, "unreadable")
        row["code"] = (
            "bounce.feedback_report"
            if b.kind == "feedback-report"
            else "bounce.not_a_bounce"
            if b.kind in ("auto-reply", "not-a-bounce")
            else "bounce.unreadable"
        )
        row["diagnostic"] = b.problem or b.subject
        row["file"] = name
        return [row]
    rows, _findings = _rows_and_findings(b)
    for r in rows:
        r["file"] = name
    return rows


def analyze_bounces(path: str | os.PathLike[str], *, progress: bool = False):  # type: ignore[no-untyped-def]
    """A folder, an mbox or one file of bounces -> a DataFrame, one row per failed recipient.

    Columns: ``file`` and `COLUMNS` (recipient, action, status, reply,
    remote_mta, diagnostic, code, stage, status_source, reporting_mta). A file
    that is not a bounce or cannot be read gets one row saying so (action
    "not a bounce" / "unreadable", code ``bounce.*``), never an exception.
    """
    import pandas as pd

    items = iter_bounce_files(path)
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, desc="bounces", unit="file")
    rows: list[dict[str, Any]] = []
    for name, data in items:
        try:
            b = parse_bounce(data)
        except Exception as exc:  # the parser promises not to raise; a file must still never stop a folder
            b = Bounce(problem=f"internal error {type(exc).__name__}")
        rows.extend(_frame_rows(name, b))
    return pd.DataFrame(rows, columns=["file", *COLUMNS])


def summarize_bounces(frame: Any) -> Any:
    """Failed recipients counted by finding code (the reason), most frequent first."""
    from smtpkit.knowledge.catalogue import catalogue

    if frame.empty:
        return frame.head(0)[["code"]].assign(recipients=0, files=0, reason="")
    grouped = (
        frame.groupby("code", dropna=False)
        .agg(recipients=("recipient", "size"), files=("file", "nunique"))
        .reset_index()
        .sort_values(["recipients", "code"], ascending=[False, True])
    )
    import re

    # titles without their {placeholders}: a summary names the reason, not one recipient's details
    titles = {
        code: re.sub(r"\s*[:(]?\s*\{[^}]*\}\)?", "", spec.title).strip(" :") for code, spec in catalogue().items()
    }
    grouped["reason"] = [titles.get(c, "") for c in grouped["code"]]
    return grouped.reset_index(drop=True)
