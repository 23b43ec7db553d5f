"""What `smtpkit lab` and `smtpkit app` share: a child web server beside the practice lab, started and stopped in order.

Both commands run the lab in their own process and a web server (JupyterLab,
or Voilà) as a child in its own session, so Ctrl-C reaches only us and we stop
the child with SIGTERM, then the lab. Both open the start page, not a launcher:
a person who does not write code lands on 00_start_here with its forms live.

JupyterLab gets a private *application settings* folder whose overrides change
three defaults for this run only: no "get news?" prompt over the notebook, no
update check (a run may be offline), and the notebook's own kernel started
without a "Select Kernel" dialog. Overrides are defaults: a choice the user
made in their own settings still wins.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

__all__ = [
    "START_NOTEBOOK",
    "start_lab",
    "StopSignal",
    "child_stdout",
    "connect_host",
    "free_port",
    "lab_app_settings_dir",
    "open_start_page",
    "stop_process",
    "trust_notebooks",
    "wait_for_http",
]

#: The notebook a newcomer lands on.
START_NOTEBOOK = "00_start_here.ipynb"
STOP_TIMEOUT = 15.0

#: JupyterLab defaults changed for `smtpkit lab` (schema ids of JupyterLab 4).
LAB_OVERRIDES: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True},
}


class StopSignal:
    """SIGINT, SIGTERM and SIGHUP set an event instead of raising, so shutdown runs in order."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.received: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopSignal:
        # SIGHUP too: a closed terminal must stop the lab cleanly, not leave its files behind.
        for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is None:
                continue
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (e.g. called from a test): rely on the event
                pass
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.received = signum
        self.event.set()

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def start_lab(lab: Any, command: str) -> Path | None:
    """Start `lab` (a `smtpkit.lab.Lab`) and write its state file for the child's kernels.

    None, after saying why on stderr in the command's words, when it cannot
    start (a port taken, a missing dependency): the caller exits 1, and its
    own `finally` stops whatever did start.
    """
    try:
        lab.start()
        state: Path = lab.write_state()
        return state
    except (OSError, ValueError, ImportError) as exc:
        print(
            f"smtpkit {command}: error: the practice lab could not start: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return None


def connect_host(ip: str) -> str:
    """Where to connect to a server listening on `ip` (an unspecified address means loopback)."""
    host = "127.0.0.1" if ip in ("0.0.0.0", "") else "::1" if ip == "::" else ip
    return f"[{host}]" if ":" in host else host


def free_port(ip: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the child binds it right after)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((ip.strip("[]"), 0))
        return int(s.getsockname()[1])


def child_stdout() -> Any:
    """Where a child server's chatter goes: our stderr (stdout keeps the URL and JSON), or nowhere."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return subprocess.DEVNULL


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it does not stop in time."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def wait_for_http(
    url: str, proc: subprocess.Popen[bytes], stop: threading.Event, timeout: float, what: str = "the server"
) -> None:
    """Wait until `url` answers (any HTTP status); RuntimeError if the child exits or time runs out."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} while starting (run with -v for its log)")
        try:
            with opener.open(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except (urllib.error.URLError, OSError):
            pass
        stop.wait(0.2)
    if stop.is_set():
        raise KeyboardInterrupt
    raise RuntimeError(f"{what} did not answer within {timeout:.0f} s")


def lab_app_settings_dir() -> Path:
    """A private copy of JupyterLab's application settings folder, with smtpkit's overrides added.

    The environment's own `overrides.json` and `page_config.json` are copied,
    so whatever an administrator set stays set; ours go to `overrides.d/`, which
    JupyterLab reads first. The caller removes the folder when JupyterLab stops.
    """
    private = Path(tempfile.mkdtemp(prefix="smtpkit-lab-settings-"))
    try:
        from jupyterlab.commands import get_app_dir  # type: ignore[import-untyped]

        original = Path(get_app_dir()) / "settings"
    except Exception:  # noqa: BLE001 - no JupyterLab app folder: nothing to keep
        original = None
    if original is not None and original.is_dir():
        for item in original.iterdir():
            if item.is_file() and item.suffix in (".json", ".json5"):
                shutil.copy2(item, private / item.name)
            elif item.is_dir() and item.name == "overrides.d":
                shutil.copytree(item, private / "overrides.d", dirs_exist_ok=True)
    (private / "overrides.d").mkdir(exist_ok=True)
    (private / "overrides.d" / "00-smtpkit.json").write_text(json.dumps(LAB_OVERRIDES, indent=1), encoding="utf-8")
    from smtpkit.cli.csp import server_config

    (private / "smtpkit_server_config.json").write_text(json.dumps(server_config(), indent=1), encoding="utf-8")
    return private


def trust_notebooks(folder: Path) -> list[str]:
    """Sign the kit's own notebooks in `folder` as trusted (what `jupyter trust` does), so they render at once.

    The Voilà preview refuses an untrusted notebook with a "Render anyway?"
    dialog, which is exactly what a newcomer landing on 00_start_here must not
    meet. The signature goes into the user's Jupyter signature database (the
    notebook file is not changed); a notebook edited afterwards is untrusted
    again, as Jupyter intends.
    """
    import nbformat
    from nbformat.sign import NotebookNotary

    from smtpkit.reporting.notebooks import NOTEBOOKS

    notary = NotebookNotary()
    signed = []
    for name in NOTEBOOKS:
        path = folder / f"{name}.ipynb"
        if not path.is_file():
            continue
        try:
            notary.sign(nbformat.read(path, as_version=4))
        except Exception:  # noqa: BLE001 - an unreadable notebook or database: it just asks before rendering
            continue
        signed.append(path.name)
    return signed


def _workspace(notebook: str) -> dict[str, Any]:
    """A JupyterLab workspace: the start notebook as a Voilà preview (forms live, code hidden), the notebook behind."""
    preview, editor = f"voila-preview:{notebook}", f"notebook:{notebook}"
    return {
        "data": {
            "layout-restorer:data": {
                "main": {
                    "dock": {"type": "tab-area", "currentIndex": 0, "widgets": [preview, editor]},
                    "current": preview,
                },
                "left": {"collapsed": False, "visible": True, "current": "filebrowser", "widgets": ["filebrowser"]},
                "right": {"collapsed": True, "visible": True, "widgets": []},
                "relativeSizes": [0.16, 0.84, 0],
            },
            editor: {"data": {"path": notebook, "factory": "Notebook"}},
            preview: {"data": {"path": notebook, "factory": "Voila Preview"}},
        },
        "metadata": {"id": "smtpkit"},
    }


def open_start_page(base: str, token: str, notebook: str = START_NOTEBOOK, *, preview: bool = True) -> str:
    """The URL that opens `notebook` first (not the launcher): as a Voilà preview in a workspace of its own.

    The workspace is stored through JupyterLab's workspaces API; when that
    fails (an old JupyterLab, no Voilà extension) the notebook itself opens.
    """
    query = f"?token={urllib.parse.quote(token)}" if token else ""
    plain = f"{base}lab/tree/{urllib.parse.quote(notebook)}{query}"
    if not preview:
        return plain
    body = json.dumps(_workspace(notebook)).encode()
    request = urllib.request.Request(
        f"{base}lab/api/workspaces/smtpkit",
        data=body,
        method="PUT",
        headers={"Content-Type": "application/json", **({"Authorization": f"token {token}"} if token else {})},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10):
            pass
    except (urllib.error.URLError, OSError):
        return plain
    return f"{base}lab/workspaces/smtpkit{query}"
