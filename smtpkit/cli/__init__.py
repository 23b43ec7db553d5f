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
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from smtpkit import __version__
from smtpkit.cli.common import EXIT_USAGE, UsageError, emit_json
from smtpkit.errors import InvalidSettings
from smtpkit.secrets import REDACTED, redact

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


# option names that carry a secret, typos and short forms included ("--pasword", "--passwd", "--pass", "--pw",
# "--api-key")
_SECRETISH = re.compile(r"pa?s+(?:w|\b|phrase)|pwd|\bpw\b|secret|token|key\b|cred", re.IGNORECASE)


def _scrub_secrets(message: str) -> str:
    """argparse's "unrecognized arguments: --pasword hunter2" minus the value after a password-like option.

    A mistyped option is exactly when someone has just put a password on the
    command line; repeating it in the error (and in CI logs) makes it worse.
    """
    prefix = "unrecognized arguments: "
    if not message.startswith(prefix):
        return message
    words = message[len(prefix) :].split(" ")
    out: list[str] = []
    hide_next = False
    for word in words:
        name, eq, _value = word.partition("=")
        if hide_next and not word.startswith("-"):
            out.append(REDACTED)
        elif word.startswith("-") and eq and _SECRETISH.search(name):
            out.append(f"{name}={REDACTED}")
        else:
            out.append(word)
        hide_next = word.startswith("-") and not eq and bool(_SECRETISH.search(word))
    return prefix + " ".join(out)


class _Parser(argparse.ArgumentParser):
    """argparse, except that a usage error under --json also prints one JSON document on stdout.

    Scripts that parse `smtpkit ... --json` read stdout; on a usage error they
    would otherwise get nothing at all there. The message still goes to stderr
    with the usual usage line, and the exit status stays 2. Subcommand parsers
    are created with this class too (argparse uses the root parser's class), so they
    all share its help layout.
    """

    json_output = False  # set by main() from the command line, before parsing

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # every command's description and examples are laid out by hand: keep their line breaks
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = _scrub_secrets(message)
        if _Parser.json_output:
            emit_json({"error": message, "exit_code": EXIT_USAGE, "usage": self.format_usage().strip()})
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="smtpkit",
        description=DESCRIPTION,
        epilog=EPILOG,
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
    tokens = list(sys.argv[1:] if argv is None else argv)
    _Parser.json_output = "--json" in tokens
    args = parser.parse_args(tokens)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except (UsageError, InvalidSettings) as exc:
        # a setting refused by smtpkit.settings is a usage error like any other: exit 2, the message
        message = redact(str(exc))
        print(f"smtpkit {args.command}: error: {message}", file=sys.stderr)
        if getattr(args, "json", False):
            # --json promises one JSON document on stdout, refusals included
            doc: dict[str, Any] = {"command": args.command, "error": message, "exit_code": EXIT_USAGE}
            if isinstance(exc, InvalidSettings) and exc.field:
                doc["field"] = exc.field
            emit_json(doc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
