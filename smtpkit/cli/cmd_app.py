"""`smtpkit app`: the notebooks as plain web pages (Voilà), forms only, with the practice lab running.

For people who do not write code: Voilà runs each notebook in its own kernel
when the page opens and shows only the outputs, so the forms are live at once,
with no code, no "Run All" and no JupyterLab around them. It is the same
kernel-side code as the notebooks in JupyterLab (`smtpkit lab`), with the same
practice lab: this command starts the lab in its own process, like `smtpkit
lab`, and Voilà as a child whose kernels find it through ``SMTPKIT_LAB_STATE``.
The browser opens on 00_start_here; the others are one link away.

Voilà listens on loopback with a random token in the URL, so another user of
this machine cannot use your session (which may hold a password you typed).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path
from typing import Any

from smtpkit.cli.common import EXIT_FAILURE, EXIT_OK, UsageError

DESCRIPTION = """\
Open the smtpkit notebooks as web apps: only the forms and results, no code
(Voilà), starting on 00_start_here, with the practice lab running on this
machine like `smtpkit lab` starts it. Check your own server or domain in the
forms, or try the lab's broken servers. Stop with Ctrl-C.
"""

EPILOG = """\
examples:
  smtpkit app                          the app in your browser (port 8866, or the next free one)
  smtpkit app --no-browser --port 0    any free port; open the printed URL yourself
  smtpkit app --json                   one JSON line (the URL, the lab's endpoints; never a password), then READY
"""

READY = "READY"
START_TIMEOUT = 120.0
#: Starts of Voilà when the port it was given is taken before it binds it (a race with another program).
PORT_ATTEMPTS = 3
#: Seconds a kernel whose page closed without a word may stay idle before it is stopped (`--cull-after`).
CULL_AFTER = 600.0


class ChildLog:
    """The last lines a child wrote to stderr, read by a thread, for the error if it dies while starting.

    Kept in memory and bounded: an app that runs for days must not fill a disk or a pipe with Voilà's
    warnings. "Voilà exited with code 1" alone did not say why.
    """

    LINES = 30

    def __init__(self) -> None:
        import collections

        self._lines: collections.deque[str] = collections.deque(maxlen=self.LINES)

    def follow(self, stream: Any) -> None:
        if stream is None:  # -v: the child writes to our stderr itself
            return

        def read() -> None:
            with stream:
                for raw in iter(stream.readline, b""):
                    self._lines.append(raw.decode("utf-8", "replace").rstrip())

        threading.Thread(target=read, name="voila-stderr", daemon=True).start()

    def tail(self) -> str:
        import time

        time.sleep(0.2)  # the reader thread's last lines after the child's exit
        from smtpkit.render.text import terminal_safe

        return terminal_safe("\n".join(self._lines))

    def port_taken(self) -> bool:
        return "no available port" in self.tail()


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "app",
        help="open the notebooks as web apps (forms only, no code) with the practice lab",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; open the printed URL yourself")
    p.add_argument("--port", type=int, default=8866, help="the app's port (default 8866, or the next free one; 0: any)")
    p.add_argument("--ip", default="127.0.0.1", help="address the app listens on (default 127.0.0.1)")
    p.add_argument("--notebooks", metavar="DIR", help="the notebook directory (default: the repository's notebooks/)")
    p.add_argument("--json", action="store_true", help="print one JSON line (never the password), then READY")
    p.add_argument(
        "--cull-after",
        type=float,
        default=CULL_AFTER,
        metavar="SECONDS",
        help=f"stop the kernel of a page closed without a word (a crashed tab, a laptop lid shut) once it has been "
        f"idle this long (default {CULL_AFTER:g}; 0: never). An open page's kernel is never stopped",
    )
    p.add_argument("-v", "--verbose", action="count", default=0, help="show Voilà's log")
    p.set_defaults(func=run)


def _port(args: argparse.Namespace) -> int:
    from smtpkit.cli.serving import free_port

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is out of range 0-65535 (0 picks any free port)")
    if args.port == 0:
        return free_port(args.ip)
    import socket

    family = socket.AF_INET6 if ":" in args.ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((args.ip, args.port))
        except OSError:
            return free_port(args.ip)  # taken: the next free one, said in the URL we print
    return int(args.port)


def voila_command(args: argparse.Namespace, notebooks: Path, port: int, token: str) -> list[str]:
    """Voilà over the notebook folder: code hidden, JupyterLab-only text left out (`smtpkit.cli.voila_app`), no
    tracebacks, loopback, a token."""
    cmd = [
        sys.executable,
        "-m",
        "smtpkit.cli.voila_app",
        str(notebooks),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={args.ip}",
        f"--token={token}",
        "--VoilaConfiguration.show_tracebacks=False",
        # the port we print is the port it serves, or it exits: Voilà would otherwise move to another one
        # silently, and the URL would open whatever took ours
        "--Voila.port_retries=0",
        f"--Voila.log_level={'INFO' if args.verbose else 'WARN'}",
    ]
    cull = getattr(args, "cull_after", CULL_AFTER)
    if cull > 0:
        # A page stops its kernel as it closes (beforeunload); a tab that crashed or a laptop shut never says so,
        # and its kernel (about 150 MB, with the lab's connections) stayed until the app stopped: a helper found
        # 13 after an afternoon. Jupyter's culler stops a kernel that has had no page connected and nothing to
        # do for `cull` seconds; a connected (open) page's kernel and a busy one are left alone.
        cmd += [
            f"--MappingKernelManager.cull_idle_timeout={max(1, round(cull))}",
            f"--MappingKernelManager.cull_interval={max(1, min(60, round(cull / 2)))}",
            "--MappingKernelManager.cull_connected=False",
            "--MappingKernelManager.cull_busy=False",
        ]
    return cmd


@dataclasses.dataclass
class _Started:
    proc: subprocess.Popen[bytes]
    port: int
    base: str  # http://127.0.0.1:PORT/
    ok: bool


def _start_voila(
    args: argparse.Namespace, notebooks: Path, token: str, env: dict[str, str], stop: threading.Event
) -> _Started:
    """Voilà started and answering on the port we print; not `ok` (after saying why on stderr) when it cannot.

    The port is chosen after the lab's own ports are taken; when another program binds it between our look and
    Voilà's, Voilà exits (``port_retries=0``) and is started again on another one.
    """
    from smtpkit.cli.serving import child_stdout, connect_host, stop_process, wait_for_http

    query = f"?token={urllib.parse.quote(token)}"
    attempt = 0
    while True:
        attempt += 1
        port = _port(args)
        log = ChildLog()
        proc = subprocess.Popen(
            voila_command(args, notebooks, port, token),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=child_stdout() if args.verbose else subprocess.DEVNULL,
            stderr=None if args.verbose else subprocess.PIPE,
            start_new_session=True,
        )
        log.follow(proc.stderr)
        base = f"http://{connect_host(args.ip)}:{port}/"
        try:
            wait_for_http(f"{base}{query}", proc, stop, START_TIMEOUT, "Voilà")
            return _Started(proc, port, base, True)
        except KeyboardInterrupt:  # Ctrl-C while it starts: it is in a session of its own, so it is ours to stop
            stop_process(proc)
            raise
        except RuntimeError as exc:
            if proc.poll() is not None and log.port_taken() and attempt < PORT_ATTEMPTS:
                continue
            print(f"smtpkit app: error: {exc}", file=sys.stderr)
            if log.tail():
                print("Voilà's last words:\n" + log.tail(), file=sys.stderr)
            return _Started(proc, port, base, False)


def run(args: argparse.Namespace) -> int:
    from smtpkit.cli.cmd_lab import describe, find_notebooks
    from smtpkit.cli.serving import (
        START_NOTEBOOK,
        StopSignal,
        start_lab,
        stop_process,
    )
    from smtpkit.settings import validate_ip

    if args.ip != "localhost":
        validate_ip(args.ip, field="ip", label="--ip (try 127.0.0.1)")
    if not 0 <= args.cull_after <= 7 * 86400:
        raise UsageError(f"--cull-after {args.cull_after:g} is out of range: seconds from 0 (never) to 604800 (a week)")
    notebooks = find_notebooks(args.notebooks)
    if not (notebooks / START_NOTEBOOK).is_file():
        raise UsageError(f"{notebooks} has no {START_NOTEBOOK}: pass --notebooks DIR (the smtpkit notebooks)")
    if importlib.util.find_spec("voila") is None:
        raise UsageError("Voilà is not installed in this environment: pip install voila (or use smtpkit lab)")
    token = secrets.token_urlsafe(24)

    from smtpkit.lab import ENV_STATE, Lab

    with StopSignal() as stop:
        lab = Lab()
        proc: subprocess.Popen[bytes] | None = None
        try:
            state_file = start_lab(lab, "app")
            if state_file is None:
                return EXIT_FAILURE
            env = {**os.environ, ENV_STATE: str(state_file)}
            query = f"?token={urllib.parse.quote(token)}"
            started = _start_voila(args, notebooks, token, env, stop.event)
            proc = started.proc
            if not started.ok:
                return EXIT_FAILURE
            port, base = started.port, started.base
            url = f"{base}voila/render/{START_NOTEBOOK}{query}"
            info = lab.info
            if args.json:
                doc = {
                    **info.to_dict(),
                    "app": {"url": url, "port": port, "pid": proc.pid, "notebooks": str(notebooks)},
                }
                print(json.dumps(doc), flush=True)
                print(READY, flush=True)
            else:
                print(describe(info, state_file))
                print(f"\nsmtpkit app  {url}")
                print(f"             (every notebook: {base}{query}; forms only, their kernels use this lab)")
                print("\nServing. Press Ctrl-C to stop the app and the lab.", flush=True)
            if not args.no_browser:
                import webbrowser

                webbrowser.open(url)
            while not stop.event.wait(0.5):
                if proc.poll() is not None:
                    print(f"smtpkit app: Voilà exited (code {proc.returncode}); stopping the lab", file=sys.stderr)
                    break
            return EXIT_OK
        except KeyboardInterrupt:
            return EXIT_OK
        finally:
            if proc is not None:
                stop_process(proc)
            lab.stop()
            if stop.received is not None and not args.json:
                print("smtpkit app: stopped", file=sys.stderr)
