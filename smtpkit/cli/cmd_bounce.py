"""`smtpkit bounce`: what a bounce says per failed recipient, with the fix; a folder or mbox as a table."""

from __future__ import annotations

import argparse
import sys

from smtpkit.cli.common import EXIT_FAILURE, EXIT_OK, UsageError, add_json_flag, emit_json, emit_report

EPILOG = """\
examples:
  smtpkit bounce bounce.eml                  one bounce: each failed recipient, the reason and the fix
  smtpkit bounce ~/Maildir/.Bounces/cur      a folder: one row per failed recipient, and a summary by reason
  smtpkit bounce bounces.mbox --json
  smtpkit bounce - < bounce.eml

It reads RFC 3464 delivery status notifications and the text bounces of Exim,
qmail, Postfix, Sendmail, Exchange/Office 365, Gmail, Yahoo, Domino, Courier
and others; auto-replies and feedback (ARF) reports are said not to be bounces.
The reasons come from the same rules as `smtpkit explain`.

exit codes: 0 nothing failed, 1 at least one recipient failed, 2 usage error
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "bounce",
        help="explain a bounce (or a folder/mbox of them): who failed, why, and the fix",
        description=(
            "Read a bounce (non-delivery report): for each failed recipient the status code, the remote server's\n"
            "reply and the fix. A folder or an mbox gives one row per failed recipient and a summary by reason."
        ),
        epilog=EPILOG,
    )
    p.add_argument("path", help="a bounce file, a folder or mbox of bounces, or - for standard input")
    p.add_argument("-v", "--verbose", action="count", default=0, help="print every table")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from smtpkit.checks.evidence.bounce import analyze_bounce
    from smtpkit.cli.cmd_message import read_input
    from smtpkit.errors import InvalidSettings

    target = Path(args.path) if args.path != "-" else None
    many = target is not None and (target.is_dir() or _is_mbox(target))
    try:
        if many:
            return _folder(args)
        report = analyze_bounce(read_input(args.path, "bounce"))
    except InvalidSettings as exc:
        raise UsageError(str(exc)) from None
    return emit_report(report, args)


def _is_mbox(path: object) -> bool:
    from pathlib import Path

    p = Path(str(path))
    try:
        with p.open("rb") as fh:
            return p.is_file() and fh.read(5) == b"From "
    except OSError:
        return False


def _folder(args: argparse.Namespace) -> int:
    from smtpkit.checks.evidence.bounce import analyze_bounces, summarize_bounces
    from smtpkit.render.text import terminal_safe, text_table

    frame = analyze_bounces(args.path, progress=not args.json and sys.stderr.isatty())
    summary = summarize_bounces(frame)
    failed = frame[frame["action"].isin(["failed", "delayed"])]
    if args.json:
        emit_json(
            {
                "path": args.path,
                "files": int(frame["file"].nunique()),
                "rows": frame.fillna("").to_dict(orient="records"),
                "summary": summary.to_dict(orient="records"),
            }
        )
    else:
        print(terminal_safe(f"{args.path}: {frame['file'].nunique()} files, {len(failed)} failed recipients"))
        print()
        print(text_table(summary.to_dict(orient="records"), list(summary.columns), total_width=120))
        print()
        cols = ["file", "recipient", "status", "reply", "code", "diagnostic"]
        print(text_table(frame[cols].fillna("").to_dict(orient="records"), cols, max_width=50, total_width=160))
    return EXIT_FAILURE if len(failed) else EXIT_OK
