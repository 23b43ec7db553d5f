"""`smtpkit check`: diagnose sending through one SMTP server, step by step."""

from __future__ import annotations

import argparse
import sys

from smtpkit.cli.common import (
    UsageError,
    add_json_flag,
    add_nameserver_flag,
    emit_report,
    refuse_password_argument,
    secret_from_env,
)
from smtpkit.settings import AUTH_MECHANISMS, SECURITY_MODES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from smtpkit.secrets import Secret

DESCRIPTION = """\
Diagnose sending mail through one SMTP server: DNS, TCP connection, greeting,
EHLO capabilities, TLS (STARTTLS or implicit) with the certificate, AUTH, and
optionally a dry run (MAIL/RCPT then RSET) or a real test message. Every step
is shown; every failure comes with what happened, why, and the fix.

The password is never taken on the command line: put it in an environment
variable and name it with --password-env, or answer the prompt. Credentials
are only sent over an encrypted connection unless you pass
--insecure-allow-plaintext-auth.
"""

EPILOG = """\
examples:
  smtpkit check smtp.gmail.com                          connection and TLS only (port 587, auto security)
  smtpkit check smtp.gmail.com --port 465               implicit TLS (auto picks it for 465)
  smtpkit check smtp.office365.com --user me@example.com
                                                        asks for the password, then tries to log in
  SMTP_PASS=... smtpkit check smtp.sendgrid.net --user apikey --password-env SMTP_PASS \\
      --mail-from me@example.com --rcpt-to you@example.org
                                                        log in, then a dry run (nothing is sent)
  smtpkit check mail.example.com --user me --password-env SMTP_PASS \\
      --mail-from me@example.com --rcpt-to me@example.com --send
                                                        ... and really send a test message
  smtpkit check 127.0.0.1 --port 2525 --security plain -v
                                                        a local relay without TLS, with the transcript
  smtpkit check --lab expired_cert                      a practice-lab server (the lab `smtpkit lab` runs,
                                                        or one started for this check)
  smtpkit check --lab starttls_required --insecure-allow-plaintext-auth
                                                        ... and let the lab server's own refusal show

exit status: 0 no failure found, 1 a failure was diagnosed, 2 bad arguments.
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check",
        help="diagnose one SMTP server: connection, TLS, AUTH, test send",
        description=DESCRIPTION,
        epilog=EPILOG,
        allow_abbrev=False,  # "--password x" must not silently mean "--password-env x"
    )
    # Caught so that argparse never echoes a password typed on the command line in its error.
    p.add_argument("--password", nargs="?", const="", default=None, help=argparse.SUPPRESS)
    p.add_argument(
        "host", nargs="?", help="the SMTP server, e.g. smtp.gmail.com (host:port and smtp:// or smtps:// URLs work too)"
    )
    p.add_argument(
        "--lab",
        metavar="NAME",
        help=(
            "check a practice-lab server instead of HOST (e.g. submission, expired_cert; see `smtpkit lab`): "
            "its port, CA, DNS and lab login are filled in"
        ),
    )
    p.add_argument("--port", help="TCP port (default 587; 465 when --security tls)")
    p.add_argument(
        "--security",
        default=None,
        metavar="MODE",
        help=f"{' | '.join(SECURITY_MODES)}: auto = implicit TLS on 465, else STARTTLS when offered (default auto)",
    )
    auth = p.add_argument_group("login")
    auth.add_argument("--user", help="user name for AUTH (often the full email address)")
    secret = auth.add_mutually_exclusive_group()
    secret.add_argument("--password-env", metavar="VAR", help="read the password from environment variable VAR")
    secret.add_argument("--oauth-token-env", metavar="VAR", help="read an OAuth 2.0 access token from VAR (XOAUTH2)")
    secret.add_argument("--no-password", action="store_true", help="do not ask for a password; skip the login")
    auth.add_argument(
        "--auth-mech",
        metavar="MECH",
        help=f"force a mechanism ({', '.join(AUTH_MECHANISMS)}); default: chosen from what the server offers",
    )
    auth.add_argument(
        "--insecure-allow-plaintext-auth",
        action="store_true",
        help="allow sending credentials over an UNENCRYPTED connection (only on a network you trust)",
    )
    send = p.add_argument_group("test send")
    send.add_argument("--mail-from", metavar="ADDR", help="sender for the MAIL FROM command")
    send.add_argument(
        "--rcpt-to", metavar="ADDR", action="append", help="recipient (repeatable, or several separated by commas)"
    )
    send.add_argument("--send", action="store_true", help="really send a small test message (default: dry run, RSET)")
    p.add_argument("--cafile", metavar="PEM", help="trust these CA certificates instead of the system store")
    p.add_argument(
        "--helo", metavar="NAME", help="the name to send with EHLO (default: this machine's name or address)"
    )
    p.add_argument("--timeout", default="10", metavar="S", help="seconds per network operation (default 10)")
    p.add_argument("--deadline", metavar="S", help="seconds for the whole session (default: enough for every step)")
    add_nameserver_flag(p)
    add_json_flag(p)
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="also print the SMTP transcript (credentials redacted)"
    )
    p.set_defaults(func=run)


def _credentials(args: argparse.Namespace) -> tuple[Secret | None, Secret | None]:
    from smtpkit.secrets import Secret

    refuse_password_argument(args)
    password = secret_from_env(args.password_env, "password")
    token = secret_from_env(args.oauth_token_env, "oauth-token")
    for value, flag in ((password, "--password-env"), (token, "--oauth-token-env")):
        if value is not None and not value:
            raise UsageError(f"the environment variable given with {flag} is empty")
    if (password or token) and not args.user:
        raise UsageError("a password or token was given without --user: add --user NAME")
    if args.user and not (password or token or args.no_password):
        if not sys.stdin.isatty():
            raise UsageError(
                "--user was given but no password: use --password-env VAR (or --oauth-token-env VAR), "
                "or --no-password to skip the login (no terminal to prompt on)"
            )
        password = Secret.prompt(f"Password for {args.user} (not echoed): ")
        if not password:
            raise UsageError("no password entered; use --no-password to skip the login")
    return password, token


def _use_lab(args: argparse.Namespace) -> Secret | None:
    """Fill HOST, port, security, CA, DNS and (unless told otherwise) the lab login from lab endpoint --lab."""
    from smtpkit.lab import ensure_running
    from smtpkit.lab.scenarios import scenario_named

    if args.host:
        raise UsageError("give either HOST or --lab NAME, not both")
    info = ensure_running()
    try:
        endpoint = info.endpoint(args.lab)
    except KeyError as exc:
        raise UsageError(str(exc).strip("'\"")) from None
    args.host = endpoint.host
    args.port = args.port or endpoint.port
    args.security = args.security or endpoint.security
    args.cafile = args.cafile or info.ca_file
    if not args.nameserver and info.dns is not None:
        args.nameserver = [info.nameserver]
    scenario = scenario_named(args.lab)
    wants_login = endpoint.scenario != "connect" and not (scenario is not None and scenario.auth == "none")
    password = None
    if wants_login and not args.user and not args.no_password and not args.oauth_token_env:
        args.user = info.user
        if not args.password_env:
            password = info.password
    return password


def run(args: argparse.Namespace) -> int:
    from smtpkit.checks.session import diagnose
    from smtpkit.settings import Target

    lab_password = _use_lab(args) if args.lab else None
    if not args.host:
        raise UsageError("give the SMTP server to check (HOST), or --lab NAME for a practice-lab server")
    # every setting through the one settings model first (InvalidSettings: exit 2), then the login prompt
    target = Target(
        host=args.host,
        port=args.port,
        security=args.security,
        username=args.user,
        helo=args.helo,
        mail_from=args.mail_from,
        rcpt_to=tuple(args.rcpt_to or ()),
        send=args.send,
        cafile=args.cafile,
        timeout=args.timeout,
        deadline=args.deadline,
        allow_plaintext_auth=args.insecure_allow_plaintext_auth,
        auth_mechanism=args.auth_mech,
        nameservers=tuple(args.nameserver or ()),
    )
    password: Secret | None
    token: Secret | None
    if lab_password is not None:
        password, token = lab_password, None
    else:
        password, token = _credentials(args)
    if args.json:
        # no progress lines with --json (stdout holds exactly one document), nor their renderer to import
        report = diagnose(target, password=password, oauth_token=token)
    else:
        from smtpkit.cli.progress import stderr_progress

        # per-step lines on stderr while it runs
        with stderr_progress(f"smtpkit check: {target.address}", target.session_deadline) as p:
            report = diagnose(target, password=password, oauth_token=token, progress=p)
    code = emit_report(report, args)
    if not args.json and not args.verbose and report.verdict == "fail":
        print("(run again with -v to see every table and the SMTP transcript)")
    return code
