"""`smtpkit report`: the full diagnosis of one server and one domain, as a shareable HTML report.

It executes the ``06_report`` notebook headless with the flags as parameters
and exports it to one HTML file that renders offline. The password never goes
into the notebook: it is read here from ``--password-env VAR`` (or a prompt)
and handed to the notebook's kernel in its environment only, as
``SMTPKIT_PASSWORD``; every output is redacted again before anything is
written.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smtpkit.cli.common import EXIT_FAILURE, EXIT_OK, UsageError, refuse_password_argument, secret_from_env

DESCRIPTION = """\
Diagnose one mail server (DNS, TCP, TLS and certificate, login, envelope) and
one sending domain (MX, SPF, DKIM, DMARC, reverse DNS), and write the result
as one HTML file you can send to a colleague or your provider's support: a
summary and the problems to fix first, every step explained, and a
best-practices scorecard. It opens in any browser, offline, and never
contains your password.

Runs the 06_report notebook headless; --ipynb keeps the executed notebook.
"""

EPILOG = """\
examples:
  smtpkit report lab --output report.html                   the practice lab (works offline)
  smtpkit report --lab expired_cert --output expired.html   one lab scenario
  export SMTP_PW; read -s SMTP_PW
  smtpkit report smtp.office365.com --user me@example.com --password-env SMTP_PW \\
      --domain example.com --selector selector1 --selector selector2 --output report.html
  smtpkit report smtp.gmail.com --port 465 --security tls --domain example.com --ip 192.0.2.10 \\
      --output report.html --ipynb report.ipynb

exit status: 0 no failure diagnosed, 1 a failure was diagnosed (or the
report could not be completed), 2 usage error.
"""

KERNEL_PASSWORD_ENV = "SMTPKIT_PASSWORD"
PROGRESS_FILE_ENV = "SMTPKIT_PROGRESS_FILE"  # smtpkit.progress.PROGRESS_FILE_ENV (this module's imports stay light)
LAB_MAIL_HOST = "mail.smtpkit.test"  # the practice lab's server and domain, as the 06_report notebook reaches them
LAB_DOMAIN = "smtpkit.test"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report",
        help="write a shareable HTML report of one server and one domain",
        description=DESCRIPTION,
        epilog=EPILOG,
        allow_abbrev=False,  # "--password x" must never be taken as "--password-env x"
    )
    # Caught so that argparse never echoes a password typed on the command line.
    p.add_argument("--password", nargs="?", const="", default=None, help=argparse.SUPPRESS)
    p.add_argument("host", nargs="?", help="the SMTP server, e.g. smtp.gmail.com; 'lab' for the practice lab")
    p.add_argument("--lab", metavar="SCENARIO", help="report on a practice-lab server (e.g. submission, expired_cert)")
    p.add_argument("--port", help="TCP port (default: the usual one for --security)")
    p.add_argument("--security", metavar="MODE", help="auto | starttls | tls | plain (default auto)")
    login = p.add_argument_group("login")
    login.add_argument("--user", help="user name for AUTH (often the full email address)")
    login.add_argument("--password-env", metavar="VAR", help="read the password from environment variable VAR")
    login.add_argument("--no-password", action="store_true", help="do not ask for a password; skip the login")
    p.add_argument("--cafile", metavar="PEM", help="trust these CA certificates instead of the system store")
    p.add_argument("--helo", metavar="NAME", help="the name to send with EHLO")
    p.add_argument("--timeout", default="10", metavar="S", help="seconds per network operation (default 10)")
    p.add_argument("--mail-from", metavar="ADDR", help="test this sender (dry run: nothing is sent)")
    p.add_argument(
        "--rcpt-to",
        metavar="ADDR",
        action="append",
        help="test this recipient (repeatable, or several separated by commas)",
    )
    dom = p.add_argument_group("domain")
    dom.add_argument(
        "--domain", metavar="DOMAIN", help="the sending domain to check (default: the domain of --mail-from)"
    )
    dom.add_argument("--selector", metavar="S", action="append", help="a DKIM selector to check (repeatable)")
    dom.add_argument("--ip", metavar="IP", help="the IP address your mail leaves from (SPF and reverse DNS)")
    dom.add_argument("--nameserver", metavar="HOST[:PORT]", help="the DNS server to ask (default: the system's)")
    out = p.add_argument_group("output")
    out.add_argument("--output", "-o", metavar="FILE", required=True, help="write the HTML report here")
    out.add_argument("--ipynb", metavar="FILE", help="also keep the executed notebook here")
    out.add_argument("--show-code", action="store_true", help="include the notebook's code cells in the HTML")
    out.add_argument(
        "--cell-timeout",
        default="300",
        metavar="S",
        help="stop the report if one step runs longer than this (default 300)",
    )
    p.set_defaults(func=run)


def _password(args: argparse.Namespace) -> Any:
    from smtpkit.secrets import Secret

    refuse_password_argument(args)
    if args.password_env:
        return secret_from_env(args.password_env, "password")
    if args.user and not args.no_password and sys.stdin.isatty():
        return Secret.prompt(f"Password for {args.user} (not shown, never stored): ")
    return None


def parameters(args: argparse.Namespace) -> dict[str, Any]:
    """The notebook parameters the flags stand for (never a password), validated by the one settings model.

    Every value goes through `Target` and `DomainQuery` before anything is
    printed or written, so a bad value is a usage error (exit 2) here and not a
    failed cell in the report, and a password pasted into the host
    (``smtp://user:pw@host``) is refused with ``<redacted>`` before it can reach
    the terminal, the notebook or the HTML.
    """
    from smtpkit.settings import Target
    from smtpkit.settings.domain import DomainQuery

    host = args.host
    scenario = args.lab or "submission"
    if host in (None, "", "lab"):
        host = None
    elif args.lab:
        raise UsageError("give either a HOST or --lab SCENARIO, not both")
    if host is None and not (args.lab or args.host == "lab"):
        raise UsageError("say which server to report on: a HOST (smtp.example.com), 'lab', or --lab SCENARIO")
    if args.lab:
        from smtpkit.lab import all_scenarios

        names = [sc.name for sc in all_scenarios()]
        if args.lab not in names:
            raise UsageError(f"--lab {args.lab!r} is not a lab scenario; choose one of: {', '.join(names)}")
    # the practice lab is reached as its mail host: the same Target a notebook builds for it
    target = Target(
        host=host or LAB_MAIL_HOST,
        port=args.port,
        security=args.security,
        username=args.user,
        helo=args.helo,
        mail_from=args.mail_from,
        rcpt_to=tuple(args.rcpt_to or ()),
        cafile=args.cafile,
        timeout=args.timeout,
        nameservers=(args.nameserver,) if args.nameserver else (),
    )
    domain = args.domain or (target.mail_from.rsplit("@", 1)[1] if target.mail_from else None)
    query = DomainQuery(
        domain or LAB_DOMAIN,
        selectors=tuple(args.selector or ()),
        ip=args.ip,
        nameservers=target.nameservers,
    )
    return {
        "host": target.host if host else None,
        # for the lab the endpoint's own port and mode, unless given
        "port": target.port if host or args.port is not None else None,
        "security": target.security if host or args.security is not None else None,
        "username": target.username,
        "password_env": KERNEL_PASSWORD_ENV,
        "cafile": target.cafile,
        "helo": target.helo,
        "timeout": target.timeout,
        "mail_from": target.mail_from,
        "rcpt_to": list(target.rcpt_to) or None,
        "domain": query.domain if args.domain else None,
        "selectors": list(query.selectors) or None,
        "ip": query.ip,
        "nameserver": target.nameservers[0] if target.nameservers else None,
        "scenario": scenario,
    }


def _most_seconds(params: dict[str, Any]) -> float:
    """How long the report can take at most: the session's deadline, the domain check's, the kernel's start."""
    timeout = float(params["timeout"])
    session = timeout * (6 + len(params.get("rcpt_to") or ()))
    return session + min(timeout, 10.0) + 15.0


@contextmanager
def _kernel_progress(what: str, most: float, events: Path) -> Iterator[None]:
    """Show on stderr the steps the notebook's kernel reports in `events` (smtpkit.progress.EventRelay)."""
    import threading

    from smtpkit.cli.progress import stderr_progress
    from smtpkit.progress import follow_events

    stop = threading.Event()
    with stderr_progress(what, most) as progress:
        follower = threading.Thread(target=follow_events, args=(events, progress, stop), daemon=True)
        follower.start()
        try:
            yield
        finally:
            stop.set()
            follower.join(2.0)


def run(args: argparse.Namespace) -> int:
    import tempfile

    import nbformat

    from smtpkit.reporting import execute_notebook, notebook_path, write_html
    from smtpkit.reporting.summary import read_summary
    from smtpkit.settings import validate_seconds

    params = parameters(args)
    cell_timeout = validate_seconds(args.cell_timeout, field="cell_timeout", label="--cell-timeout", maximum=3600)
    password = _password(args)
    output = Path(args.output)
    if not output.parent.is_dir():
        raise UsageError(f"--output {args.output}: the folder {output.parent} does not exist")
    try:
        source = notebook_path("06_report")
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    started = time.monotonic()
    target = params["host"] or f"the practice lab ({params['scenario']})"
    what = f"smtpkit report: checking {target}" + (f" and {params['domain']}" if params["domain"] else "")
    with tempfile.TemporaryDirectory(prefix="smtpkit-report-") as private:  # 0700: the summary is ours alone
        summary_path = Path(private) / "summary.json"
        events = Path(private) / "progress.jsonl"
        with _kernel_progress(what, _most_seconds(params), events):
            run_ = execute_notebook(
                source,
                {**params, "summary_path": str(summary_path)},
                env={PROGRESS_FILE_ENV: str(events)},
                secret_env={KERNEL_PASSWORD_ENV: password},
                cell_timeout=cell_timeout,
                cwd=source.parent,
            )
        summary = read_summary(summary_path)
    nb = run_.notebook
    nb.metadata["title"] = f"Mail delivery report: {params['host'] or 'practice lab'}"
    write_html(nb, output, title=nb.metadata["title"], hide_code=not args.show_code)
    if args.ipynb:
        nbformat.write(nb, args.ipynb)
    elapsed = time.monotonic() - started
    if not run_.ok:
        for problem in ([run_.aborted] if run_.aborted else []) + [str(e) for e in run_.errors]:
            print(f"smtpkit report: the report is incomplete: {problem}", file=sys.stderr)
        print(f"wrote {output} (incomplete) in {elapsed:.1f} s", file=sys.stderr)
        return EXIT_FAILURE
    verdict = summary.verdict if summary is not None else "unknown"
    print(f"verdict: {verdict.upper()}")
    for failure in summary.failures if summary is not None else []:
        print(f"  FAIL {failure.code}: {failure.title}")
    if summary is not None and summary.score:
        print(f"best practices: {summary.score}")
    print(f"wrote {output}" + (f" and {args.ipynb}" if args.ipynb else "") + f" in {elapsed:.1f} s")
    return EXIT_FAILURE if verdict == "fail" else EXIT_OK
