"""The `smtpkit` command line.

Each subcommand lives in its own module `smtpkit/cli/cmd_<name>.py` exposing
``register(subparsers)``; modules are discovered, so adding a command is
adding a file. Exit codes are the same everywhere: 0 no failure diagnosed,
1 a failure was diagnosed, 2 usage error (bad flags or arguments).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from smtpkit import __version__
from smtpkit.cli.common import EXIT_USAGE, UsageError

DESCRIPTION = """\
Find out why your email does not send: DNS, TCP, TLS, AUTH, a test send, and
your domain's SPF, DKIM and DMARC, every step explained with a fix.

Passwords are never taken on the command line: use --password-env VAR or
answer the prompt.
"""

EPILOG = """\
examples:
  smtpkit lab                              start the practice lab and JupyterLab
  smtpkit lab --servers-only --json        only the lab's servers, endpoints as JSON
  smtpkit findings tls.cert.expired        explain one finding code
  smtpkit <command> --help                 help and examples for one command
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smtpkit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"smtpkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from smtpkit import cli

    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda i: i.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"smtpkit.cli.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"smtpkit {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
