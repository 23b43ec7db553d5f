"""`smtpkit explain`: paste a reply from a bounce or a log, get what it means and the fix.

People usually meet SMTP errors second-hand, in a bounce message or an
application log, long after the session ended. This command runs the same
rules table the live diagnosis uses over a pasted reply.
"""

from __future__ import annotations

import argparse
import sys

from smtpkit.cli.common import UsageError, add_json_flag, emit_report

EPILOG = """\
examples:
  smtpkit explain "535-5.7.8 Username and Password not accepted. For more information, go to"
  smtpkit explain --stage rcpt "550 5.1.1 <bob@example.com>: Recipient address rejected"
  smtpkit explain --provider office365 "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled"
  grep 'said:' /var/log/mail.log | tail -1 | cut -d: -f5- | smtpkit explain -
  smtpkit explain "connect ETIMEDOUT 203.0.113.5:587"

A program's own error from before any server replied (a timeout, "Connection
refused", an unknown host, "wrong version number", a certificate it did not
trust) is explained too: it holds no reply code.

The stage is the command the reply answered (banner, ehlo, starttls, auth,
mail, rcpt, data, message = after the message body). Without --stage it is
guessed from the reply code and said in the output.
"""

# the engine (smtpkit.checks.explain) imported lazily: this module's imports stay light
MAX_REPLY_CHARS = 64 * 1024


def guess_stage(code: int, enhanced: str | None) -> str:
    """A best guess of which command a reply answered, from its codes alone (`smtpkit.checks.explain`)."""
    from smtpkit.checks.explain import guess_stage as guess

    return guess(code, enhanced)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from smtpkit.knowledge.presets import GENERIC_PRESETS, preset_keys
    from smtpkit.knowledge.rules import STAGES

    p = sub.add_parser(
        "explain",
        help="explain an SMTP reply (or a program's connection error) pasted from a bounce or a log",
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
    from smtpkit.checks.explain import explain_client_error, explain_reply_text
    from smtpkit.errors import InvalidSettings

    raw = sys.stdin.read(MAX_REPLY_CHARS + 1) if args.reply == "-" else args.reply
    try:
        report = explain_reply_text(raw, stage=args.stage, provider=args.provider, host=args.host)
    except InvalidSettings as exc:
        # not a reply: it may be the sending program's own error ("Connection timed out"), which has none
        program = explain_client_error(raw) if len(raw) <= MAX_REPLY_CHARS else None
        if program is None:
            raise UsageError(str(exc)) from None
        report = program
    return emit_report(report, args)
