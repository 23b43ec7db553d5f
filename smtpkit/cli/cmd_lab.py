"""`smtpkit lab`: start the practice lab, and JupyterLab on the notebooks next to it.

The lab runs in this process; JupyterLab runs as a child process with
``SMTPKIT_LAB_STATE`` pointing at the lab's state file, so every notebook
kernel (a grandchild) finds and reuses this lab instead of starting its own.
JupyterLab gets its own session (process group): Ctrl-C in the terminal
reaches only us, and we stop JupyterLab with SIGTERM, then the lab. Otherwise
JupyterLab would answer Ctrl-C with its interactive "Shut down? (y/[n])"
prompt and leave the lab running behind it.

Why the text output shows the lab password: it is random for this run, it
only opens servers bound to loopback on this machine, and the person at this
terminal needs to type it into a mail client to try the lab. The JSON output
(for programs, logs and CI) never contains it; programs read it from the state
file, which only the owner can read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from smtpkit.cli.common import EXIT_FAILURE, EXIT_OK, UsageError
from smtpkit.cli.serving import (
    StopSignal,
    child_stdout,
    connect_host,
    lab_app_settings_dir,
    open_start_page,
    start_lab,
    stop_process,
    trust_notebooks,
)

DESCRIPTION = """\
Start the practice lab: real SMTP and DNS servers on 127.0.0.1 that fail the
way real ones do (expired and self-signed certificates, STARTTLS required,
Gmail- and Office 365-style login rejections, relay denied, greylisting, rate
and size limits, a refusing and a silent port), plus a healthy submission
server, an implicit-TLS server and an inbound MX. Then start JupyterLab on the
notebooks, whose kernels use this lab.

Every port is picked at random and printed. Stop with Ctrl-C.
"""

EPILOG = """\
examples:
  smtpkit lab                                  lab + JupyterLab (opens a browser)
  smtpkit lab --no-browser --port 8899         lab + JupyterLab on port 8899; open the printed URL yourself
  smtpkit lab --servers-only                   just the servers: endpoints, CA file, user and password
  smtpkit lab --servers-only --json            one JSON line (no password), then READY; serves until Ctrl-C
  smtpkit lab --write-reports reports/         a month of DMARC and TLS-RPT reports to try `smtpkit reports` on
  SMTPKIT_LAB_PASSWORD=s3cret smtpkit lab --servers-only    choose the lab password
  smtpkit lab --servers-only --audit-zones 10000 --dns-delay 20ms --dns-timeouts 2%
                                               a portfolio of 10,000 generated domains for `smtpkit audit`,
                                               every DNS answer 20 ms late, 2% of the domains never answering

then, in another terminal (ports from the output above):
  openssl s_client -starttls smtp -connect 127.0.0.1:PORT -CAfile CA_FILE
  export SMTPKIT_LAB_STATE=STATE_FILE          scripts and notebooks use this lab
"""

READY = "READY"
JUPYTER_START_TIMEOUT = 120.0
JUPYTER_STOP_TIMEOUT = 15.0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "lab",
        help="start the practice lab (and JupyterLab on the notebooks)",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    p.add_argument(
        "--servers-only",
        action="store_true",
        help="start only the lab's servers and print their endpoints; no JupyterLab",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON line describing the lab (never the password), then READY",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; open the printed URL yourself")
    p.add_argument(
        "--port",
        type=int,
        default=8888,
        help="JupyterLab's port (default 8888, or the next free one; 0 picks any free port)",
    )
    p.add_argument(
        "--ip",
        default="127.0.0.1",
        help="address JupyterLab listens on (default 127.0.0.1); the lab's servers always stay on loopback",
    )
    p.add_argument(
        "--notebooks",
        metavar="DIR",
        help="the notebook directory (default: the repository's notebooks/, else ./notebooks)",
    )
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="show JupyterLab's log (-vv: also the lab's debug log)"
    )
    p.add_argument(
        "--write-reports",
        metavar="DIR",
        help="write the lab's generated month of DMARC and TLS-RPT reports into DIR and exit (no servers)",
    )
    p.add_argument(
        "--audit-zones",
        type=int,
        metavar="N",
        help="the size of the generated domain portfolio the lab serves for audits (default 200;"
        " a known mix of healthy, broken, dead and SERVFAIL domains, see smtpkit.lab.portfolio)",
    )
    p.add_argument(
        "--dns-delay",
        metavar="TIME",
        default="0",
        help="answer every DNS query this late, like a real resolver (e.g. 20ms or 0.02; default 0)",
    )
    p.add_argument(
        "--dns-timeouts",
        metavar="SHARE",
        default="1%",
        help="the share of the audit portfolio whose nameservers never answer, so an audit meets timeouts"
        " (e.g. 2%% or 0.02; default 1%%; another 0.5%% answer SERVFAIL)",
    )
    p.set_defaults(func=run)


def parse_delay(text: str) -> float:
    """'20ms', '0.02s' or '0.02' as seconds; UsageError for anything else or more than 10 s."""
    raw = str(text).strip().lower()
    scale = 1.0
    if raw.endswith("ms"):
        raw, scale = raw[:-2], 0.001
    elif raw.endswith("s"):
        raw = raw[:-1]
    try:
        seconds = float(raw) * scale
    except ValueError:
        raise UsageError(f"--dns-delay {text!r} is not a time: write 20ms or 0.02") from None
    if not 0 <= seconds <= 10:
        raise UsageError(f"--dns-delay {text!r} is out of range: 0 to 10 seconds")
    return seconds


def parse_share(text: str) -> float:
    """'2%', '0.02' as a share from 0 to 0.99; UsageError for anything else (the --dns-timeouts flag)."""
    raw = str(text).strip()
    scale = 1.0
    if raw.endswith("%"):
        raw, scale = raw[:-1], 0.01
    try:
        share = float(raw) * scale
    except ValueError:
        raise UsageError(f"--dns-timeouts {text!r} is not a share: write 2% or 0.02") from None
    if not 0 <= share <= 0.99:
        raise UsageError(f"--dns-timeouts {text!r} is out of range: 0% to 99% of the domains")
    return share


# ----------------------------------------------------------------------------- helpers
def find_notebooks(explicit: str | None = None) -> Path:
    """The notebooks directory: --notebooks, where `smtpkit.reporting.notebooks` finds them, or ./notebooks."""
    from smtpkit.reporting.notebooks import notebooks_dir

    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise UsageError(f"--notebooks {explicit}: no such directory")
        return path.resolve()
    try:
        path = notebooks_dir()
        problem = f"SMTPKIT_NOTEBOOKS={path} is not a directory"
    except FileNotFoundError as exc:
        path, problem = Path.cwd() / "notebooks", str(exc)
    if path.is_dir():
        return path
    raise UsageError(f"{problem}. Run this from the smtpkit checkout, pass --notebooks DIR, or use --servers-only.")


def _check_args(args: argparse.Namespace) -> None:
    if args.audit_zones is not None and not 0 <= args.audit_zones <= 1_000_000:
        raise UsageError(f"--audit-zones {args.audit_zones} is out of range: 0 to 1,000,000 domains")
    parse_delay(args.dns_delay)
    parse_share(args.dns_timeouts)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is out of range 0-65535 (0 picks any free port)")
    if args.ip != "localhost":
        from smtpkit.settings import validate_ip

        validate_ip(args.ip, field="ip", label="--ip (try 127.0.0.1)")  # the one IP validator: InvalidSettings


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(
        text, width=100, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False
    )


def describe(info: Any, state_file: Path) -> str:
    """The human-readable description of a running lab (shows the password; see the module docstring)."""
    lines = [f"smtpkit practice lab: {len(info.smtp)} SMTP servers" + (" and a DNS server" if info.dns else ""), ""]
    width = max(len(e.name) for e in info.smtp)
    lines.append(f"{'NAME'.ljust(width)}  {'ADDRESS':<21}  {'SECURITY':<8}  {'SHOWS':<7}  EXPECTED FINDING")
    for e in info.smtp:
        address = f"{e.host}:{e.port}" if ":" not in e.host else f"[{e.host}]:{e.port}"
        lines.append(f"{e.name.ljust(width)}  {address:<21}  {e.security:<8}  {e.scenario:<7}  {e.expect or '-'}")
        lines.append(_wrap(e.description, " " * (width + 2)))
    for name, why in info.skipped.items():
        lines.append(f"not served: {name}: {why}")
    lines.append("")
    if info.dns:
        lines.append(f"DNS          {info.dns.nameserver} (UDP and TCP)")
        lines.append(_wrap("zones: " + ", ".join(info.dns.zones), " " * 13))
        portfolio = getattr(info.dns, "portfolio", 0)
        if portfolio:
            from smtpkit.lab.portfolio import SERVFAIL_SHARE

            delay = getattr(info.dns, "delay_ms", 0.0)
            dead = getattr(info.dns, "timeouts", 0.0)
            lines.append(
                _wrap(
                    f"audit portfolio: {portfolio} generated domains (smtpkit.lab.portfolio.lab_portfolio(),"
                    " or smtpkit audit --lab)"
                    + (f"; every answer {delay:g} ms late" if delay else "")
                    + (f"; {dead:.1%} of them never answer (dead--p...)" if dead else "")
                    + f"; {SERVFAIL_SHARE:.1%} answer SERVFAIL (servfail--p...)",
                    " " * 13,
                )
            )
    if info.mta_sts_port:
        lines.append(
            f'MTA-STS      https://127.0.0.1:{info.mta_sts_port} (the lab\'s "443": policies of the sts-*.test domains)'
        )
    lines += [
        f"CA file      {info.ca_file}",
        "             (the lab's own CA, trusted by nothing; give it to a client as its CA file to trust the lab)",
        f"User         {info.user}",
        f"Password     {info.password.reveal()}",
        "             (random for this run; set SMTPKIT_LAB_PASSWORD to choose it)",
        f"State file   {state_file}",
        f"             (export SMTPKIT_LAB_STATE={state_file} so scripts and notebooks use this lab)",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- JupyterLab
def _jupyter_command(args: argparse.Namespace, notebooks: Path, settings: Path | None = None) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.ip={args.ip}",
        f"--ServerApp.port={args.port}",
        f"--ServerApp.root_dir={notebooks}",
        f"--ServerApp.log_level={'INFO' if args.verbose else 'WARN'}",
        # we open the browser ourselves, on the start page (smtpkit.cli.serving.open_start_page)
        "--no-browser",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if settings is not None:
        cmd.append(f"--LabApp.app_settings_dir={settings}")  # no news prompt, no kernel dialog (serving.py)
        # styles, fonts and scripts from this server alone: the Voilà preview linked CDNs (smtpkit.cli.csp)
        cmd.append(f"--config={settings / 'smtpkit_server_config.json'}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # JupyterLab refuses to run as root unless told; containers often run as root.
        cmd.append("--allow-root")
    return cmd


def _wait_for_jupyter(proc: subprocess.Popen[bytes], args: argparse.Namespace, stop: threading.Event) -> dict[str, Any]:
    """JupyterLab's server info once its /api answers; raises RuntimeError when it does not come up."""
    from jupyter_core.paths import jupyter_runtime_dir

    info_file = Path(jupyter_runtime_dir()) / f"jpserver-{proc.pid}.json"
    deadline = time.monotonic() + JUPYTER_START_TIMEOUT
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    server: dict[str, Any] | None = None
    while time.monotonic() < deadline and not stop.is_set():
        if proc.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {proc.returncode} while starting (run with -v for its log)"
            )
        if server is None and info_file.exists():
            try:
                server = json.loads(info_file.read_text(encoding="utf-8"))
            except ValueError:
                server = None  # being written
        if server is not None:
            api = f"http://{connect_host(args.ip)}:{server['port']}{server.get('base_url', '/')}api"
            try:
                with opener.open(api, timeout=2) as resp:
                    if resp.status == 200:
                        return server
            except (urllib.error.URLError, OSError):
                pass
        stop.wait(0.2)
    if stop.is_set():
        raise KeyboardInterrupt
    raise RuntimeError(f"JupyterLab did not answer within {JUPYTER_START_TIMEOUT:.0f} s")


# ----------------------------------------------------------------------------- the command
def _write_reports(folder: str) -> int:
    """The hook of `smtpkit.lab.reports`: the generated month of reports, written where asked."""
    from smtpkit.lab.reports import DOMAIN, write_month

    try:
        written = write_month(folder)
    except OSError as exc:
        raise UsageError(f"--write-reports {folder}: {exc.strerror or exc}") from None
    _out(f"{len(written)} report files for {DOMAIN} written to {folder}; read them with: smtpkit reports {folder}")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    if args.write_reports:
        return _write_reports(args.write_reports)
    _check_args(args)
    notebooks = None
    if not args.servers_only:
        notebooks = find_notebooks(args.notebooks)
        if importlib.util.find_spec("jupyterlab") is None:
            raise UsageError(
                "JupyterLab is not installed in this environment: pip install jupyterlab "
                "(or use smtpkit lab --servers-only)"
            )
    if args.verbose > 1:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from smtpkit.lab import ENV_STATE, Lab

    with StopSignal() as stop:
        lab = Lab(
            audit_zones=args.audit_zones,
            dns_delay=parse_delay(args.dns_delay),
            dns_timeouts=parse_share(args.dns_timeouts),
        )
        proc: subprocess.Popen[bytes] | None = None
        settings: Path | None = None
        try:
            state_file = start_lab(lab, "lab")
            if state_file is None:
                return EXIT_FAILURE
            info = lab.info
            if args.servers_only:
                if args.json:
                    _out(json.dumps(info.to_dict()))
                    _out(READY)
                else:
                    _out(describe(info, state_file))
                    _out("\nServing. Press Ctrl-C to stop.")
                stop.event.wait()
                return EXIT_OK

            assert notebooks is not None
            env = {**os.environ, ENV_STATE: str(state_file)}
            settings = lab_app_settings_dir()
            trust_notebooks(notebooks)  # the kit's own notebooks render without a "Render anyway?" dialog
            proc = subprocess.Popen(
                _jupyter_command(args, notebooks, settings),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=child_stdout(),
                start_new_session=True,
            )
            try:
                server = _wait_for_jupyter(proc, args, stop.event)
            except RuntimeError as exc:
                print(f"smtpkit lab: error: {exc}", file=sys.stderr)
                return EXIT_FAILURE
            base = f"http://{connect_host(args.ip)}:{server['port']}{server.get('base_url', '/')}"
            # 00_start_here first (rendered by Voilà: its forms live, its code hidden), not the launcher
            url = open_start_page(base, str(server.get("token") or ""))
            if not args.no_browser:
                import webbrowser

                webbrowser.open(url)
            if args.json:
                _out(
                    json.dumps(
                        {
                            **info.to_dict(),
                            "jupyterlab": {
                                "url": url,
                                "port": server["port"],
                                "pid": proc.pid,
                                "notebooks": str(notebooks),
                            },
                        }
                    )
                )
                _out(READY)
            else:
                _out(describe(info, state_file))
                _out(f"\nJupyterLab   {url}")
                _out(f"             (notebooks in {notebooks}; their kernels use this lab)")
                _out("\nServing. Press Ctrl-C to stop JupyterLab and the lab.")
            while not stop.event.wait(0.5):
                if proc.poll() is not None:
                    print(f"smtpkit lab: JupyterLab exited (code {proc.returncode}); stopping the lab", file=sys.stderr)
                    break
            return EXIT_OK
        except KeyboardInterrupt:
            return EXIT_OK
        finally:
            if proc is not None:
                stop_process(proc)
            if settings is not None:
                shutil.rmtree(settings, ignore_errors=True)
            lab.stop()
            if stop.received is not None and not args.json:
                print("smtpkit lab: stopped", file=sys.stderr)
