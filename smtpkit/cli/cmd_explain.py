"""`smtpkit explain`: paste a reply from a bounce or a log, get what it means and the fix.

People usually meet SMTP errors second-hand, in a bounce message or an
application log, long after the session ended. This command runs the same
rules table the live diagnosis uses over a pasted reply.
"""

from __future__ import annotations

import argparse
import sys

from smtpkit.cli.common import UsageError, add_json_flag, emit_report
from smtpkit.model import Report, Status, Step

EPILOG = """\
examples:
  smtpkit explain "535-5.7.8 Username and Password not accepted. For more information, go to"
  smtpkit explain --stage rcpt "550 5.1.1 <bob@example.com>: Recipient address rejected"
  smtpkit explain --provider office365 "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled"
  grep 'said:' /var/log/mail.log | tail -1 | cut -d: -f5- | smtpkit explain -

The stage is the command the reply answered (banner, ehlo, starttls, auth,
mail, rcpt, data, message = after the message body). Without --stage it is
guessed from the reply code and said in the output.
"""

# A reply is at most 100 lines of 512 octets (RFC 5321 §4.5.3.1.5): 64 KiB is generous.
MAX_REPLY_CHARS = 64 * 1024

_AUTH_CODES = {334, 432, 454, 500, 501, 504, 530, 534, 535, 538}


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


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from smtpkit.knowledge.presets import GENERIC_PRESETS, preset_keys
    from smtpkit.knowledge.rules import STAGES

    p = sub.add_parser(
        "explain",
        help="explain an SMTP reply pasted from a bounce or a log",
        description="Explain an SMTP reply (from a bounce, a log or an error dialog): what it means and the fix.",
        epilog=EPILOG,
    )
    p.add_argument("reply", help='the reply text, e.g. "550 5.1.1 User unknown" (quote it); - reads standard input')
    p.add_argument("--stage", choices=STAGES, help="the command the reply answered (default: guessed)")
    p.add_argument(
        "--provider",
        choices=[k for k in preset_keys() if k not in GENERIC_PRESETS],
        help="the provider you were talking to, for its own fix",
    )
    p.add_argument("--host", help="the server you were talking to (names the provider when recognised)")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from smtpkit.knowledge.replies import explain_reply, parse_reply_text
    from smtpkit.knowledge.rules import classify_reply

    raw = sys.stdin.read(MAX_REPLY_CHARS + 1) if args.reply == "-" else args.reply
    if len(raw) > MAX_REPLY_CHARS:
        # `yes | smtpkit explain -` or a whole mailbox piped in must not eat all memory
        raise UsageError(
            f"more than {MAX_REPLY_CHARS // 1024} KB of input: give just the server's reply (the line or lines "
            "starting with the three-digit code), not a whole log or message"
        )
    try:
        reply = parse_reply_text(raw)
    except ValueError as exc:
        raise UsageError(f"{exc}. Paste the reply starting with its three-digit code, e.g. '550 5.1.1 ...'") from None
    enhanced = reply.enhanced
    stage = args.stage or guess_stage(reply.code, enhanced)
    context = {"host": args.host} if args.host else {}
    found = classify_reply(stage, reply.code, reply.text, provider=args.provider, **context)
    guessed = "" if args.stage else " (stage guessed from the code; pass --stage to be exact)"
    step = Step(
        "explain",
        Status.PASS if found is None else Status.INFO,
        f"{reply.code} at {stage}{guessed}: {explain_reply(reply.code)}",
        details={"reply": raw.strip(), "reply code": reply.code, "enhanced code": enhanced or "(none)", "stage": stage},
    )
    if found is not None:
        step.add(found)
    report = Report(
        target={"reply": raw.strip(), "stage": stage, "provider": args.provider or ""},
        steps=[step],
        title="smtpkit explain",
    )
    return emit_report(report, args)
