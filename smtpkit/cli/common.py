"""What every subcommand shares: exit codes, report output, secrets from the environment.

Every command's parser is built from here, so its module-level imports are only
the standard library's light ones (not even `typing`); the result model, the
renderers and the secrets load inside the functions that use them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy treats the name the same)
if TYPE_CHECKING:
    from typing import Any, TextIO

    from smtpkit.model import Report
    from smtpkit.secrets import Secret

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad arguments the parser could not catch; printed without a traceback, exit 2."""


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print exactly one JSON document instead of text")


def add_nameserver_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nameserver",
        action="append",
        metavar="HOST[:PORT]",
        help="DNS server to ask (repeatable); default: the system's resolvers",
    )


def make_resolver(args: argparse.Namespace, timeout: float = 2.0):  # type: ignore[no-untyped-def]
    """The Resolver for ``--nameserver`` (the system's without one), through the settings validators.

    A bad server is `InvalidSettings`, which `smtpkit.cli.main` reports as a usage error (exit 2).
    """
    from smtpkit.net.dns import resolver_for
    from smtpkit.settings import validate_nameservers

    return resolver_for(validate_nameservers(tuple(getattr(args, "nameserver", None) or ())), timeout)


def exit_code(report: Report) -> int:
    return EXIT_FAILURE if report.verdict == "fail" else EXIT_OK


def emit_report(report: Report, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print a report as text (with the transcript under -v) or as one JSON document."""
    out = out or sys.stdout
    if getattr(args, "json", False):
        out.write(report.to_json() + "\n")
    else:
        verbose = getattr(args, "verbose", None)
        # a command without -v cannot ask for more, so it prints every table
        tables = True if verbose is None or verbose else None
        from smtpkit.render.text import terminal_width

        out.write(report.to_text(transcript=bool(verbose), width=terminal_width(), tables=tables) + "\n")
    return exit_code(report)


def emit_json(document: Any, out: TextIO | None = None) -> None:
    """One JSON document; control characters a server sent are escaped (see smtpkit.render.json.json_text)."""
    from smtpkit.render.json import json_text

    (out or sys.stdout).write(json_text(document) + "\n")


def refuse_password_argument(args: argparse.Namespace) -> None:
    """Refuse ``--password VALUE`` (caught by a hidden option so that argparse never echoes the value)."""
    if getattr(args, "password", None) is not None:
        raise UsageError(
            "smtpkit never takes a password on the command line (it would stay in your shell history and be "
            "visible to other users in the process list): export it in an environment variable and use "
            "--password-env VAR, or leave it out to be asked"
        )


_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"  # compiled (and cached by `re`) on first use


def secret_from_env(var: str | None, what: str) -> Secret | None:
    """Read a secret from the environment variable named with ``--<what>-env``.

    Errors never repeat what was given: a person who typed the password itself
    instead of a variable name must not see it again in the terminal or a CI log.
    """
    if not var:
        return None
    flag = f"--{what}-env"
    if not re.match(_ENV_NAME, var):
        raise UsageError(
            f"{flag} takes the NAME of an environment variable (like SMTP_PASSWORD), and what was given is not "
            "one. Do not put the password itself on the command line: export SMTP_PASSWORD=... (or read it "
            f"with `read -s SMTP_PASSWORD; export SMTP_PASSWORD`) and pass {flag} SMTP_PASSWORD"
        )
    value = os.environ.get(var)
    if value is None:
        raise UsageError(f"the environment variable given with {flag} is not set (export it first)")
    from smtpkit.secrets import Secret

    return Secret(value)
