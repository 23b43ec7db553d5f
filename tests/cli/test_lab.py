"""`smtpkit lab` as a user runs it (a subprocess, stopped with a signal) and `ensure_running()`."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import queue
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from smtpkit.cli import main
from smtpkit.lab import Lab, ensure_running, load_state
from smtpkit.lab import lab as lab_core

SMTPKIT = [sys.executable, "-m", "smtpkit"]


class Lines:
    """Read a child's stdout line by line with a deadline (a hung child must fail the test, not hang it)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.q: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def next(self, timeout: float) -> str:
        try:
            line = self.q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s") from None
        if line is None:
            code = self.proc.wait()
            said = self.proc.stderr.read()[-3000:] if self.proc.stderr is not None else ""
            raise AssertionError(f"the process ended (code {code}) before printing the expected line; stderr:\n{said}")
        return line

    def until(self, predicate, timeout: float) -> list[str]:  # type: ignore[no-untyped-def]
        """Every line up to and including the first one that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            seen.append(self.next(max(0.1, deadline - time.monotonic())))
            if predicate(seen[-1]):
                return seen


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        SMTPKIT + args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGINT, timeout: float = 15) -> tuple[int, float]:
    started = time.monotonic()
    proc.send_signal(sig)
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"smtpkit lab did not stop within {timeout} s after signal {sig}") from None
    return code, time.monotonic() - started


@pytest.fixture()
def servers_only():
    proc = start(["lab", "--servers-only", "--json"])
    lines = Lines(proc)
    try:
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_servers_only_json_then_ready_then_clean_sigint(servers_only):
    proc, lines = servers_only
    doc = json.loads(lines.next(30))
    assert lines.next(10) == "READY"
    assert {"smtp", "dns", "ca_file", "user"} <= set(doc)
    names = {e["name"]: e for e in doc["smtp"]}
    assert {"submission", "implicit_tls", "mx", "refusing", "silent"} <= set(names)
    assert doc["dns"]["port"] > 0 and "smtpkit.test" in doc["dns"]["zones"]

    state_file = Path(doc["state_file"])
    assert state_file.stat().st_mode & 0o777 == 0o600
    state = json.loads(state_file.read_text())
    password = state["password"]
    assert password and password not in json.dumps(doc)

    sub = names["submission"]
    with smtplib.SMTP(sub["host"], sub["port"], timeout=5) as s:
        s.ehlo()
        s.starttls(context=ssl.create_default_context(cafile=doc["ca_file"]))
        assert s.login(doc["user"], password)[0] == 235
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((names["refusing"]["host"], names["refusing"]["port"]), timeout=5)

    code, took = stop(proc, signal.SIGINT)
    assert code == 0, proc.stderr.read() if proc.stderr else ""
    assert took < 10
    assert not state_file.exists()  # the lab's files went with it
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((sub["host"], sub["port"]), timeout=5)


def test_servers_only_text_shows_password_and_stops_on_sigterm():
    proc = start(["lab", "--servers-only"], env={"SMTPKIT_LAB_PASSWORD": "pw-for-the-cli-test"})
    lines = Lines(proc)
    try:
        out = "\n".join(lines.until(lambda line: line.startswith("Serving."), 30))
        assert "Password     pw-for-the-cli-test" in out
        assert "submission" in out and "gmail_bad_credentials" in out and "auth.smtp_auth_disabled" in out
        assert "SMTPKIT_LAB_STATE=" in out
    finally:
        code, _ = stop(proc, signal.SIGTERM)
    assert code == 0


def test_servers_only_text_lists_everything(capsys, monkeypatch):
    monkeypatch.setenv("SMTPKIT_LAB_PASSWORD", "pw-for-describe")
    from smtpkit.cli.cmd_lab import describe

    with Lab() as info:
        text = describe(info, Path("/tmp/state.json"))
    for word in ("submission", "expired_cert", "tls.cert.expired", "CA file", "lab@smtpkit.test", "pw-for-describe"):
        assert word in text
    assert "SMTPKIT_LAB_STATE=/tmp/state.json" in text
    assert "smtpkit.test" in text and "DNS" in text


def test_a_lab_that_cannot_start_is_one_clear_line_and_exit_1(capsys, monkeypatch):
    def taken(self):  # what a port already in use looks like to Lab.start
        raise OSError(98, "Address already in use")

    monkeypatch.setattr(Lab, "start", taken)
    stopped = []
    monkeypatch.setattr(Lab, "stop", lambda self, *a, **k: stopped.append(True))
    code = main(["lab", "--servers-only"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == (
        "smtpkit lab: error: the practice lab could not start: OSError: [Errno 98] Address already in use"
    )
    assert "Traceback" not in err and stopped  # what did start is stopped on the way out


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["lab", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--servers-only" in out and "--no-browser" in out and "examples:" in out
    assert "smtpkit lab --servers-only --json" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lab", "--servers-only", "--port", "70000"], "out of range"),
        (["lab", "--notebooks", "/nonexistent/notebooks"], "no such directory"),
        (["lab", "--servers-only", "--ip", "not an ip"], "not an IP address"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_unknown_flag_exits_2():
    result = subprocess.run(SMTPKIT + ["lab", "--frobnicate"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "--frobnicate" in result.stderr


@pytest.fixture(scope="module")
def served_lab(tmp_path_factory):
    """`smtpkit lab --json` serving JupyterLab for this module's tests; stopped with Ctrl-C after them, cleanly."""
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip("jupyter-lab is not installed in this environment (pip install jupyterlab)")
    tmp_path = tmp_path_factory.mktemp("served-lab")
    env = {
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),  # the notebooks' trust signatures go here
    }
    proc = start(["lab", "--no-browser", "--port", "0", "--json"], env=env)
    lines = Lines(proc)
    jl = None
    try:
        doc = json.loads(lines.next(120))
        assert lines.next(10) == "READY"
        jl = doc["jupyterlab"]
        yield doc
    finally:
        code, _ = stop(proc, signal.SIGINT, timeout=30)
    assert code == 0
    if jl is not None:
        with pytest.raises(OSError):
            os.kill(jl["pid"], 0)  # JupyterLab is gone too


def test_smtpkit_lab_serves_jupyterlab(served_lab):
    doc = served_lab
    jl = doc["jupyterlab"]
    # the start page first (00_start_here rendered by Voilà, the notebook behind it), not the launcher
    base = f"http://127.0.0.1:{jl['port']}"
    assert jl["url"].startswith(f"{base}/lab/workspaces/smtpkit?token=")
    token = jl["url"].split("token=", 1)[1]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base}/api", timeout=10) as resp:
        assert resp.status == 200 and "version" in json.load(resp)

    def api(path: str) -> dict:
        request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"token {token}"})
        with opener.open(request, timeout=10) as resp:
            return json.load(resp)

    workspace = api("/lab/api/workspaces/smtpkit")["data"]
    assert workspace["voila-preview:00_start_here.ipynb"]["data"]["factory"] == "Voila Preview"
    assert workspace["layout-restorer:data"]["main"]["current"] == "voila-preview:00_start_here.ipynb"
    # no "get news?" prompt over the start page, no kernel dialog: defaults changed for this run only
    news = api("/lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert news["schema"]["properties"]["fetchNews"]["default"] == "false"
    tracker = api("/lab/api/settings/@jupyterlab/notebook-extension:tracker")
    assert tracker["schema"]["properties"]["autoStartDefaultKernel"]["default"] is True
    environ = Path(f"/proc/{jl['pid']}/environ")
    if environ.exists():  # kernels inherit JupyterLab's environment, so they find this lab
        assert f"SMTPKIT_LAB_STATE={doc['state_file']}".encode() in environ.read_bytes().split(b"\0")
    assert Path(jl["notebooks"]).name == "notebooks"


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_smtpkit_lab_opens_on_the_start_page_with_its_form_live(served_lab, browser):
    """In a real browser: the start page's form, not JupyterLab's launcher, with no prompt or dialog over it."""
    from playwright.sync_api import expect

    from tests.support.browser import VIEWPORT, Requests

    page = browser.new_page(viewport=VIEWPORT)
    requests = Requests(page)  # JupyterLab's and the preview's own only (Voilà's template links a CDN)
    try:
        page.goto(served_lab["jupyterlab"]["url"])
        tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
        expect(tab).to_contain_text("00_start_here", timeout=60_000)
        preview = page.frame_locator(".jp-MainAreaWidget:not(.lm-mod-hidden) iframe").first
        expect(preview.locator("button.smtpkit-run").first).to_be_visible(timeout=120_000)
        expect(preview.locator(".smtpkit-mode button.mod-active").first).to_have_text("Practice lab")
        expect(preview.locator(".smtpkit-host input").first).to_be_visible()
        expect(page.locator(".jp-Launcher:visible")).to_have_count(0)
        expect(page.locator(".jp-Dialog")).to_have_count(0)  # no "Select Kernel", no other dialog
        expect(page.locator(".jp-toast-message, .Toastify__toast", has_text="news")).to_have_count(0)
        preview.locator("button.smtpkit-run").first.click()
        expect(preview.locator(".smtpkit-progress").first).to_contain_text("Finished", timeout=60_000)
        assert requests.elsewhere() == []
    finally:
        page.close()


# ----------------------------------------------------------------------------- ensure_running
@pytest.fixture()
def no_process_lab(monkeypatch):
    """Each test sees a process without an in-kernel lab, and leaves none behind."""
    monkeypatch.setattr(lab_core, "_PROCESS_LAB", None)
    yield
    if lab_core._PROCESS_LAB is not None:
        lab_core._PROCESS_LAB.stop()


def test_ensure_running_reuses_the_lab_in_the_state_file(monkeypatch, no_process_lab):
    the_lab = Lab()
    the_lab.start()
    try:
        state = the_lab.write_state()
        assert state.stat().st_mode & 0o777 == 0o600
        monkeypatch.setenv("SMTPKIT_LAB_STATE", str(state))
        got = ensure_running()
        assert lab_core._PROCESS_LAB is None
        assert got.endpoint("submission").port == the_lab.info.endpoint("submission").port
        assert got.password == the_lab.info.password
        assert got.origin.startswith("smtpkit lab (pid ")
        assert got.nameserver == the_lab.info.nameserver
        # What arrives at the running lab is visible through the reused description.
        with smtplib.SMTP(*got.endpoint("submission").address, timeout=5) as s:
            s.ehlo()
            s.starttls(context=ssl.create_default_context(cafile=got.ca_file))
            s.login(got.user, got.password.reveal())
            s.sendmail("lab@smtpkit.test", ["a@elsewhere.example"], b"Subject: via state\r\n\r\nhi\r\n")
        assert [m.subject for m in got.messages("submission")] == ["via state"]
        got.clear_messages("submission")
        assert the_lab.messages("submission") == []
    finally:
        the_lab.stop()


def test_ensure_running_starts_one_without_a_state_file(monkeypatch, no_process_lab):
    monkeypatch.delenv("SMTPKIT_LAB_STATE", raising=False)
    first = ensure_running()
    assert first.origin == "this process"
    assert ensure_running() is first  # once per process
    with socket.create_connection(first.endpoint("submission").address, timeout=5) as sock:
        assert sock.recv(64).startswith(b"220")


def test_ensure_running_ignores_a_dead_lab(monkeypatch, no_process_lab, caplog):
    the_lab = Lab()
    the_lab.start()
    state = the_lab.write_state()
    kept = state.with_name("kept.json")
    saved = state.read_bytes()
    the_lab.stop()
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(saved)
    try:
        info, why = load_state(kept, timeout=1)
        assert info is None and "submission" in why
        monkeypatch.setenv("SMTPKIT_LAB_STATE", str(kept))
        with caplog.at_level(logging.WARNING, logger="smtpkit.lab"):
            got = ensure_running(timeout=1)
        assert got.origin == "this process"
        assert "cannot be used" in caplog.text
    finally:
        kept.unlink()
        kept.parent.rmdir()


def test_load_state_explains_what_is_wrong(tmp_path):
    assert "does not exist" in load_state(tmp_path / "missing.json")[1]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert "not a readable lab state file" in load_state(bad)[1]
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"version": 99}))
    assert "version" in load_state(old)[1]
