"""Explain what someone pasted: an SMTP reply from a log or an error dialog, or a whole bounce message.

People meet mail errors second-hand, long after the session ended: a line in
an application log, a dialog, a bounce in their inbox. `explain_reply_text`
runs the same rules table as the live diagnosis over one reply (what
``smtpkit explain`` prints); `explain_pasted` takes whatever was pasted into the
"explain this error" box: a reply, a bounce (read by `analyze_bounce`,
recipient by recipient), or text with a reply somewhere inside it.
`explain_client_error` reads what is left: a sending program's own error
from before any server replied (a timeout, a refusal, an unknown host, a TLS
mismatch), which holds no reply to explain.
"""

from __future__ import annotations

import re

from smtpkit.errors import InvalidSettings
from smtpkit.model import Report, Status, Step

__all__ = [
    "MAX_PASTE_CHARS",
    "MAX_REPLY_CHARS",
    "explain_client_error",
    "explain_pasted",
    "explain_reply_text",
    "guess_stage",
]

# A reply is at most 100 lines of 512 octets (RFC 5321 §4.5.3.1.5): 64 KiB is generous.
MAX_REPLY_CHARS = 64 * 1024
#: What the paste box reads at most: a bounce with its headers and the returned message's.
MAX_PASTE_CHARS = 1024 * 1024

_REPLY_IN_TEXT = re.compile(r"(?<![\d.])([245]\d\d)([ -])(?:([245]\.\d{1,3}\.\d{1,3})\s)?(.{3,400})")
_STARTS_WITH_CODE = re.compile(r"^\s*[245]\d\d(?:[ -]|$)")


def guess_stage(code: int, enhanced: str | None) -> str:
    """A best guess of which command a reply answered, from its codes alone."""
    if code in (534, 535, 538) or (enhanced or "").startswith(("5.7.8", "5.7.9", "5.7.139", "4.7.8")):
        return "auth"
    if code == 530 and (enhanced or "").startswith("5.7.0"):
        return "auth"
    if code == 552 or (enhanced or "").startswith(("5.3.4", "5.2.3")):
        return "message"
    if (enhanced or "").startswith(("5.1.7", "5.1.8", "4.1.8")):
        return "mail"
    return "rcpt"


def explain_reply_text(
    raw: str, *, stage: str | None = None, provider: str | None = None, host: str | None = None
) -> Report:
    """One pasted reply -> a `Report` with an ``explain`` step (its finding when the rules know it).

    Raises `InvalidSettings` (field ``reply``) for text that is not a reply or is far too long.
    """
    from smtpkit.knowledge.replies import explain_reply, parse_reply_text, reply_line
    from smtpkit.knowledge.rules import classify_reply

    if len(raw) > MAX_REPLY_CHARS:
        raise InvalidSettings(
            f"more than {MAX_REPLY_CHARS // 1024} KB of input: give just the server's reply (the line or lines "
            "starting with the three-digit code), not a whole log or message",
            field="reply",
        )
    try:
        reply = parse_reply_text(raw)
    except ValueError as exc:
        raise InvalidSettings(
            f"{exc}. Paste the reply starting with its three-digit code, e.g. '550 5.1.1 ...'", field="reply"
        ) from None
    enhanced = reply.enhanced
    said = reply_line(reply.code, reply.text)  # one line, as the finding quotes it
    where = stage or guess_stage(reply.code, enhanced)
    context = {"host": host} if host else {}
    found = classify_reply(where, reply.code, reply.text, provider=provider, **context)
    # (a flag named in a page without a command line was noise: `smtpkit explain --help` names --stage)
    guessed = "" if stage else " (the stage is guessed from the code)"
    step = Step(
        "explain",
        Status.PASS if found is None else Status.INFO,
        f"{reply.code} at {where}{guessed}: {explain_reply(reply.code)}",
        details={"reply": said, "reply code": reply.code, "enhanced code": enhanced or "(none)", "stage": where},
    )
    if found is not None:
        step.add(found)  # its evidence keeps the reply as it was pasted, line by line
    return Report(
        target={"reply": said, "stage": where, "provider": provider or ""},
        steps=[step],
        title="smtpkit explain",
    )


def _reply_inside(text: str) -> str | None:
    """The first SMTP reply quoted somewhere in `text` ("... said: 550 5.1.1 <bob@...>: User unknown")."""
    for line in text.replace("\r\n", "\n").split("\n"):
        m = _REPLY_IN_TEXT.search(line)
        if m and (m.group(3) or m.group(1).startswith(("4", "5"))):
            return line[m.start() :].strip()
    return None


def explain_pasted(text: str) -> Report:
    """Whatever was pasted into the "explain this error" box, explained.

    A reply (it starts with its three-digit code) is explained by the rules
    table; anything else is read as a bounce (`smtpkit.analyze_bounce`: each
    failed recipient, its status, the remote server's reply and the fix); text
    that is neither but quotes a reply ("Remote server said: 550 5.1.1 ...")
    has that reply explained. Raises `InvalidSettings` (field ``text``) when
    there is nothing to explain.
    """
    from smtpkit.checks.evidence.bounce import analyze_bounce

    if not text.strip():
        raise InvalidSettings(
            "Nothing pasted: paste the error (the line with a code like 550 5.1.1) or the whole bounce message.",
            field="text",
        )
    if len(text) > MAX_PASTE_CHARS:
        raise InvalidSettings(
            f"more than {MAX_PASTE_CHARS // 1024 // 1024} MB pasted: paste the bounce message or the error line only",
            field="text",
        )
    if _STARTS_WITH_CODE.match(text):
        return explain_reply_text(text.strip())
    report = analyze_bounce(text.encode("utf-8", "surrogateescape"))
    if not any(code in ("bounce.unreadable", "bounce.not_a_bounce") for code in report.codes()):
        return report
    quoted = _reply_inside(text)
    if quoted is not None:
        explained = explain_reply_text(quoted)
        explained.steps[0].details["found in what you pasted"] = quoted
        return explained
    program = explain_client_error(text)
    if program is not None:
        return program
    raise InvalidSettings(
        "This is neither an SMTP reply (a line starting with a code like 550 5.1.1) nor a bounce message, and no "
        "reply or connection error is quoted in it: paste the error line from the log or dialog, or the whole "
        "bounce (in Gmail: Show original; in Outlook: View source) including its headers.",
        field="text",
    )


def explain_client_error(text: str) -> Report | None:
    """A sending program's own error (`smtpkit.knowledge.client_errors`) -> a `Report` with an ``explain`` step
    and its finding; None when `text` holds none. The server and port are those the text names."""
    from smtpkit.knowledge.catalogue import finding
    from smtpkit.knowledge.client_errors import read_client_error
    from smtpkit.knowledge.presets import provider_key_for_host
    from smtpkit.knowledge.socket_errors import port_hint, suggested_ports

    found = read_client_error(text[:MAX_PASTE_CHARS])
    if found is None:
        return None
    host, port = found.host, found.port
    if host:
        where = f"{host} port {port}" if port else host
    else:
        where = f"the server's port {port}" if port else "the server"
    name = host or "HOST"
    unnamed = "" if host else " (your server's name in place of HOST)"  # HOST read as the server's name
    ports = f"`smtpkit ports {name}`{unnamed}"
    check = f"`smtpkit check {name}" + (f" --port {port}`" if port else "`") + unnamed
    params = {
        "words": found.words,
        "where": where,
        "named": f"the server name {host}" if host else "the server's name",
        "host": name,
        "port": port or "the port",
        "port_hint": port_hint(port) if port else _ANY_PORT,
        "alternatives": suggested_ports(port or 0),
        "ports_command": ports,
        "check_command": check,
    }
    made = finding(found.code, found.line, provider=provider_key_for_host(host), **params)
    step = Step(
        "explain",
        Status.INFO,
        made.title,
        details={"error": found.line, "server": host or "(not named)", "port": port or "(not named)"},
    )
    step.add(made)
    return Report(target={"error": found.line, "host": host}, steps=[step], title="smtpkit explain")


#: What a timeout or refusal means by port, for a pasted error that names none (port_hint for one that does).
_ANY_PORT = (
    "If the port was 25: most home, office and cloud networks (AWS, Google Cloud, Azure) block it, and programs "
    "should submit mail on 587 (STARTTLS) or 465 (implicit TLS) instead."
)
