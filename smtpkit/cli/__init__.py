"""The `smtpkit` command line.

Each subcommand lives in its own module `smtpkit/cli/cmd_<name>.py` exposing
``register(subparsers)``, and has one line in `COMMANDS` below: adding a
command is one file and one line (a test checks that the table and the files
agree). Start-up is measured (`benchmarks/cli_startup.py`), so only the chosen
command's module is imported and its parser built; the others appear in
``smtpkit --help`` through their line in the table alone. Exit codes are the
same everywhere: 0 no failure diagnosed, 1 a failure was diagnosed, 2 usage
error (bad flags or arguments), 130 interrupted, 141 the output was closed
early (``smtpkit bounce DIR | head``: quietly, like any program killed by
SIGPIPE in a shell).

This module and `common` import nothing heavy at module level (not even
`typing`): the result model, the redactor and the renderers load when a
command needs them, so ``smtpkit --help`` costs about argparse.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from smtpkit import __version__
from smtpkit.cli.common import EXIT_USAGE, UsageError, emit_json
from smtpkit.errors import InvalidSettings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy treats the name the same)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn

EXIT_INTERRUPTED = 130
EXIT_OUTPUT_CLOSED = 141  # 128 + SIGPIPE, what a shell reports for a program a closed pipe stopped

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


# name -> what `smtpkit --help` says of it; the command lives in smtpkit/cli/cmd_<name>.py.
COMMANDS: dict[str, str] = {
    "check": "diagnose one SMTP server: connection, TLS, AUTH, test send",
    "ports": "find the right port and TLS mode (all ports probed concurrently)",
    "domain": "check a domain's MX, SPF, DKIM, DMARC (and reverse DNS of an IP)",
    "spf": "evaluate SPF for a sending IP (RFC 7208) with a trace, and lint the record",
    "dkim": "verify a message's DKIM signatures, or generate a DKIM key pair",
    "dnsbl": "check whether a sending IP is on DNS blocklists",
    "explain": "explain an SMTP reply pasted from a bounce or a log",
    "message": "analyse a received message: its journey, the receiver's verdicts, the kit's own",
    "bounce": "explain a bounce (or a folder/mbox of them): who failed, why, and the fix",
    "reports": "read DMARC aggregate and TLS-RPT reports: failing senders, fixes, policy simulation",
    "report": "write a shareable HTML report of one server and one domain",
    "audit": "audit a portfolio of domains (MX, SPF, DKIM, DMARC for each) as one table",
    "findings": "explain finding codes (the catalogue)",
    "lab": "start the practice lab (and JupyterLab on the notebooks)",
    "app": "open the notebooks as web apps (forms only, no code) with the practice lab",
}


class _TableHelp:
    """The subparsers object a command module registers with: its one-line help is always the table's."""

    def __init__(self, sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        self._sub = sub

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs["help"] = COMMANDS.get(name, kwargs.get("help"))
        parser: argparse.ArgumentParser = self._sub.add_parser(name, **kwargs)
        return parser


# option names that carry a secret, typos and short forms included ("--pasword", "--passwd", "--pass", "--pw",
# "--api-key")
# (a pattern string: `re` compiles and caches it on the first error that needs it, not at start-up)
_SECRETISH = r"(?i)pa?s+(?:w|\b|phrase)|pwd|\bpw\b|secret|token|key\b|cred"


def _scrub_secrets(message: str) -> str:
    """argparse's "unrecognized arguments: --pasword hunter2" minus the value after a password-like option.

    A mistyped option is exactly when someone has just put a password on the
    command line; repeating it in the error (and in CI logs) makes it worse.
    """
    from smtpkit.secrets import REDACTED

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
        elif word.startswith("-") and eq and re.search(_SECRETISH, name):
            out.append(f"{name}={REDACTED}")
        else:
            out.append(word)
        hide_next = word.startswith("-") and not eq and bool(re.search(_SECRETISH, word))
    return prefix + " ".join(out)


def _columns() -> int:
    """The terminal's width exactly as `shutil.get_terminal_size().columns` reads it (COLUMNS, the terminal, 80).

    argparse's formatter asks shutil, whose import brings the bz2, lzma and zlib modules
    along: a cost paid by every start, since parsers format their arguments while being built.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stream = sys.__stdout__
        try:
            columns = (os.get_terminal_size(stream.fileno()).columns if stream is not None else 0) or 80
        except (ValueError, OSError):
            columns = 80
    return columns


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's layout, keeping the line breaks of every description and example (laid out by hand)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


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
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = _scrub_secrets(message)
        if _Parser.json_output:
            emit_json({"error": message, "exit_code": EXIT_USAGE, "usage": self.format_usage().strip()})
        super().error(message)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser: every command built (`only` None), command `only` alone, or (``only=""``) every command as a name.

    `main` passes the command named on the command line, so a run imports one
    command module and builds one parser: argparse never consults another
    command once the first word has chosen one (and the root's usage line says
    COMMAND, not the list). ``only=""`` is for ``smtpkit --help`` and an unknown
    command: each command as its name and its line of `COMMANDS`, nothing imported.
    """
    parser = _Parser(
        prog="smtpkit",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"smtpkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        if only is None or name == only:
            module = importlib.import_module(f"smtpkit.cli.cmd_{name}")
            module.register(_TableHelp(sub))
        elif only == "":
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _command_in(tokens: Sequence[str]) -> str:
    """The subcommand named on the command line ('' for none): the first word that is not an option.

    A help flag before it (``smtpkit -h check``) is the root's help, which lists every command: ''.
    """
    for token in tokens:
        if token == "--" or token in ("-h", "--help"):
            break
        if not token.startswith("-"):
            return token if token in COMMANDS else ""
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status is returned (see the module docstring for what each means)."""
    try:
        try:
            return _run(list(sys.argv[1:] if argv is None else argv))
        finally:
            # a reader that went away shows here, not as "Exception ignored" when Python exits
            if sys.stdout is not None and not sys.stdout.closed:
                sys.stdout.flush()
    except BrokenPipeError:
        if not _output_closed():
            raise  # not our output: a bug elsewhere must not pass for `| head`
        return EXIT_OUTPUT_CLOSED


def _output_closed() -> bool:
    """Whether stdout or stderr lost its reader; if so, stdout now goes to /dev/null.

    What the Python docs recommend for SIGPIPE ("Note on SIGPIPE", the `signal` module):
    `smtpkit bounce DIR | head` stops as quietly as `cat` would, without a traceback, and
    the flush at interpreter exit no longer fails. A pipe whose reader closed polls as an
    error on Linux and macOS; where poll is missing, a BrokenPipeError is taken to mean that.
    """
    import select

    streams = [s for s in (sys.stdout, sys.stderr) if s is not None]
    closed = not hasattr(select, "poll")
    if not closed:
        poller = select.poll()
        for stream in streams:
            try:
                poller.register(stream.fileno(), 0)
            except (OSError, ValueError):  # no file descriptor (a test's captured stream)
                continue
        closed = any(event & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _, event in poller.poll(0))
    if closed:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    return closed


def _run(tokens: list[str]) -> int:
    parser = build_parser(only=_command_in(tokens))
    _Parser.json_output = "--json" in tokens
    args = parser.parse_args(tokens)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except (UsageError, InvalidSettings) as exc:
        from smtpkit.secrets import redact

        # a setting refused by smtpkit.settings is a usage error like any other: exit 2, the message
        message = redact(str(exc))
        print(f"smtpkit {args.command}: error: {message}", file=sys.stderr)
        also = exc.also if isinstance(exc, InvalidSettings) else ()
        for other in also:  # every option refused, not one a try
            print(f"smtpkit {args.command}: error: {redact(str(other))}", file=sys.stderr)
        if getattr(args, "json", False):
            # --json promises one JSON document on stdout, refusals included
            doc: dict[str, Any] = {"command": args.command, "error": message, "exit_code": EXIT_USAGE}
            if isinstance(exc, InvalidSettings) and exc.field:
                doc["field"] = exc.field
            if also:
                doc["also"] = [{"field": o.field, "error": redact(str(o))} for o in also]
            emit_json(doc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
