"""The `send` step: MAIL FROM and RCPT TO, then RSET (a dry run) or DATA and a real test message.

A dry run answers the question most people have ("will the server take mail
from this sender to this recipient?") without putting a message in anyone's
inbox; `send=True` goes on to DATA with a small, clearly labelled test message
whose Subject carries a unique token so it can be found in the recipient's
mailbox (or spam folder).
"""

from __future__ import annotations

import re
import time

from smtpkit.checks.session.state import SessionState, ms_since, probe_error_finding, reply_finding
from smtpkit.model import Finding, Status, Step
from smtpkit.net.smtp import ProbeError, Reply, build_test_message, new_token
from smtpkit.settings import needs_smtputf8

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

# How servers name the queue id after DATA, most specific first: Postfix "queued as X",
# Exim "id=X", Exchange/Gmail "<id> ... Queued mail for delivery" or "OK 1234 - gsmtp".
# (Pattern strings: `re` compiles and caches them on the first real send, not when a check starts.)
_QUEUE_IDS = (
    r"(?i)queued as\s+<?([A-Za-z0-9._@-]{4,})>?",
    r"(?i)\bid=([A-Za-z0-9._@-]{4,})",
    r"(?i)<([A-Za-z0-9._@-]{8,})>\s+\[?.*queued",
    r"(?i)\bOK\s+([A-Za-z0-9._-]{8,})\b(?!\s*:)",
)


def queue_id(reply: Reply) -> str:
    """The queue id a server reports after DATA ("250 2.0.0 Ok: queued as 4XyZ"), or ''."""
    for pattern in _QUEUE_IDS:
        m = re.search(pattern, reply.text)
        if m:
            return m.group(1)
    return ""


def send_step(state: SessionState) -> Step:
    t = state.target
    if not t.mail_from:
        return Step(
            "send",
            Status.SKIP,
            "not tested: no sender given; set Mail from and Send to (--mail-from, --rcpt-to) for a dry run",
            0.0,
        )
    conn = state.conn
    caps = state.caps
    assert conn is not None
    start = time.monotonic()
    details: dict[str, Any] = {
        "mode": "real send (DATA)" if t.send else "dry run (MAIL and RCPT, then RSET; nothing is sent)"
    }
    details["sender"] = t.mail_from
    details["authenticated"] = state.authenticated

    utf8 = any(needs_smtputf8(a) for a in (t.mail_from, *t.rcpt_to))
    if utf8 and not (caps is not None and caps.has("SMTPUTF8")):
        address = next(a for a in (t.mail_from, *t.rcpt_to) if needs_smtputf8(a))
        step = Step(
            "send", Status.FAIL, f"{address} needs SMTPUTF8, which the server does not offer", ms_since(start), details
        )
        step.add(
            state.finding(
                "ehlo.smtputf8_missing",
                f"EHLO keywords: {', '.join(caps.names()) if caps else 'none'}",
                address=address,
            )
        )
        return step

    message, message_id, token = b"", "", ""
    if t.send:
        token = new_token()
        message, message_id = build_test_message(t.mail_from, t.rcpt_to, token, server=t.address)
        details["subject token"] = token
        details["Message-ID"] = message_id
        details["message size"] = f"{len(message)} bytes"
    params = []
    if caps is not None and caps.size is not None and t.send:
        params.append(f"SIZE={len(message)}")
    if utf8:
        params.append("SMTPUTF8")
    mail_cmd = f"MAIL FROM:<{t.mail_from}>" + "".join(" " + p for p in params)
    rows: list[dict[str, Any]] = []
    step = Step("send", Status.PASS, "", 0.0, details)

    def broke(exc: ProbeError, stage: str, command: str) -> Step:
        step.status = Status.FAIL
        step.summary = f"the conversation broke off at {command.split(':')[0]}"
        step.add(probe_error_finding(state, exc, stage, command))
        step.elapsed_ms = ms_since(start)
        if rows:
            step.tables["recipients"] = rows
        return step

    try:
        reply = conn.command(mail_cmd)
    except ProbeError as exc:
        return broke(exc, "send", "MAIL FROM")
    if not reply.ok:
        step.summary = f"sender refused: {reply}"
        step.add(reply_finding(state, "mail", "MAIL FROM", reply))
        step.elapsed_ms = ms_since(start)
        _rset(state)
        return step
    accepted: list[str] = []
    findings: list[Finding] = []
    for rcpt in t.rcpt_to:
        cmd = f"RCPT TO:<{rcpt}>"
        try:
            reply = conn.command(cmd)
        except ProbeError as exc:
            return broke(exc, "send", "RCPT TO")
        rows.append({"recipient": rcpt, "result": "accepted" if reply.ok else "refused", "reply": str(reply)})
        if reply.ok:
            accepted.append(rcpt)
        else:
            findings.append(
                reply_finding(state, "rcpt", "RCPT TO", reply, rcpt_to=rcpt, authenticated=state.authenticated)
            )
    step.tables["recipients"] = rows
    if not accepted:
        step.summary = "every recipient was refused"
        step.add(*findings)
        step.elapsed_ms = ms_since(start)
        _rset(state)
        return step
    if not t.send:
        _rset(state)
        without = "" if state.authenticated else " without a login"
        step.summary = (
            f"dry run: the server would accept mail{without} from {t.mail_from} to {', '.join(accepted)} "
            "(nothing was sent: a dry run ends with RSET before DATA)"
        )  # how to really send is said where one can: the form's "Really send" box, --send's help, send=True's doc
        step.add(*findings)
        step.elapsed_ms = ms_since(start)
        return step
    try:
        reply = conn.command("DATA")
    except ProbeError as exc:
        return broke(exc, "send", "DATA")
    if reply.code != 354:
        step.summary = f"DATA refused: {reply}"
        step.add(*findings, reply_finding(state, "data", "DATA", reply))
        step.elapsed_ms = ms_since(start)
        _rset(state)
        return step
    try:
        # content filters run after the final dot: allow them longer (the session deadline still applies)
        reply = conn.send_data(message, timeout=max(t.timeout, 30.0))
    except ProbeError as exc:
        return broke(exc, "send", "the message (after DATA)")
    if not reply.ok:
        step.summary = f"message refused after DATA: {reply}"
        step.add(*findings, reply_finding(state, "message", "the message", reply))
        step.elapsed_ms = ms_since(start)
        return step
    qid = queue_id(reply)
    if qid:
        details["queue id"] = qid
    step.details.update(details)
    step.details["server reply"] = str(reply)
    step.summary = f"sent to {', '.join(accepted)}: {reply}; look for the subject token {token}"
    step.add(*findings)
    step.elapsed_ms = ms_since(start)
    return step


def _rset(state: SessionState) -> None:
    """End the transaction politely; a failing RSET changes nothing about the verdict."""
    if state.conn is None:
        return
    try:
        state.conn.command("RSET")
    except ProbeError:
        pass
