"""`smtpkit message`: read a received message's journey, the receiver's verdicts and the kit's own."""

from __future__ import annotations

import argparse
import sys

from smtpkit.cli.common import UsageError, add_json_flag, add_nameserver_flag, emit_report

MAX_INPUT = 26 * 1024 * 1024

EPILOG = """\
examples:
  smtpkit message message.eml
        save it with full headers first (Gmail: Show original > Download original;
        Outlook: File > Save As .eml, or copy File > Properties > Internet headers)
  pbpaste | smtpkit message -                  the text copied from "Show original"
  smtpkit message message.eml --no-dns         only what the headers say (nothing looked up)
  smtpkit message message.eml --json

Steps: journey (every Received hop, delays, TLS, the IP the receiver judged),
auth-results (Authentication-Results, Received-SPF, ARC), re-verification (DKIM,
SPF, DMARC and ARC checked again now), requirements (what Gmail, Yahoo and
Microsoft require of senders). A bounce gets its bounce step too; for bounces
alone use `smtpkit bounce`.

exit codes: 0 nothing failing, 1 a failing finding (e.g. DMARC failed), 2 usage error
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "message",
        help="analyse a received message: its journey, the receiver's verdicts, the kit's own",
        description=(
            "Analyse a received message (.eml, or the text of 'Show original'): every hop with its delay and TLS,\n"
            "the receiver's SPF/DKIM/DMARC/ARC verdicts, the kit's own re-verification beside them, and the\n"
            "bulk-sender requirements of Gmail, Yahoo and Microsoft."
        ),
        epilog=EPILOG,
    )
    p.add_argument("message", help="the message file (.eml), or - for standard input")
    p.add_argument("--no-dns", action="store_true", help="look nothing up: show only what the headers say")
    p.add_argument("--dns-timeout", default="2", metavar="S", help="seconds per DNS query (default 2)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="print every table")
    add_nameserver_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def read_input(path: str, what: str) -> bytes | str:
    """Standard input (capped), or the path for the API to read."""
    if path != "-":
        return path
    data = sys.stdin.buffer.read(MAX_INPUT + 1)
    if not data.strip():
        raise UsageError(f"standard input is empty: pipe a {what} in, or give a file")
    return data


def run(args: argparse.Namespace) -> int:
    from smtpkit.checks.evidence.message import analyze_message
    from smtpkit.errors import InvalidSettings
    from smtpkit.settings import MAX_DNS_TIMEOUT, validate_nameservers, validate_seconds

    # through the one set of validators (1e308, inf and nan are refused): InvalidSettings is exit 2
    timeout = validate_seconds(args.dns_timeout, field="dns_timeout", label="--dns-timeout", maximum=MAX_DNS_TIMEOUT)
    nameservers = validate_nameservers(tuple(args.nameserver or ()))
    source = read_input(args.message, "message")
    try:
        report = analyze_message(source, dns=not args.no_dns, nameservers=list(nameservers) or None, timeout=timeout)
    except InvalidSettings as exc:
        raise UsageError(str(exc)) from None
    return emit_report(report, args)
