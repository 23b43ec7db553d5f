"""Test support for the real-browser tests: one JupyterLab and one headless Chromium for the whole session.

No test here. `jupyterlab` starts JupyterLab on 127.0.0.1 (ephemeral port, a
token, a private runtime, config, settings and workspace folder) over a copy
of the notebooks, with a practice lab its kernels share; `browser` launches
Debian's /usr/bin/chromium through Playwright (no browser download). Both are
session fixtures (re-exported by tests/conftest.py), so every browser test,
in tests/ui and tests/cli alike, pays for one start of each: what keeps the
suite's wall time in CI reasonable.

`open_notebook` opens one notebook in a workspace of its own and runs every
cell, as a person would from the Run menu; the forms are then live in the page.

Skips when Chromium or Playwright is missing, except with
SMTPKIT_REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1300, "height": 1000}


def need_browser() -> None:
    """Skip (or, with SMTPKIT_REQUIRE_BROWSER=1, fail) when Chromium or Playwright is missing."""
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (pip install playwright; no browser download is needed)")
    if missing:
        message = "the real-browser test needs " + " and ".join(missing)
        if os.environ.get("SMTPKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (SMTPKIT_REQUIRE_BROWSER=1: it must run here)")
        pytest.skip(message)


def screenshot_dir() -> Path | None:
    """SMTPKIT_SCREENSHOT_DIR (e.g. docs/screenshots): where a test refreshes the documentation screenshots."""
    shots = os.environ.get("SMTPKIT_SCREENSHOT_DIR")
    if not shots:
        return None
    path = Path(shots)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """JupyterLab on 127.0.0.1 over a copy of the notebooks, with a lab its kernels share."""
    need_browser()
    from smtpkit.lab import Lab
    from smtpkit.reporting import NOTEBOOKS, notebooks_dir

    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    root.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(notebooks_dir() / f"{name}.ipynb", root)
    settings = base / "settings" / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "notebook-extension").mkdir(parents=True)
    # no "get news?" pop-up over the notebook, no update check (there is no internet anyway)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    # start the notebook's own kernel without the "Select Kernel" dialog (shown when the
    # kernel list loads after the notebook opens)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"autoStartDefaultKernel": True, "windowingMode": "none"})
    )  # and render every cell, so that what the test looks for is in the page
    from smtpkit.cli.csp import server_config as csp_config

    server_config = base / "server_config.json"
    server_config.write_text(json.dumps(csp_config()))
    lab = Lab()
    info = lab.start()
    state = lab.write_state(base / "lab-state.json")
    runtime = base / "runtime"
    token = secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(base / "config"),  # the user's own Jupyter config stays out of the test
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        SMTPKIT_LAB_STATE=str(state),
    )
    env.pop("SMTPKIT_PASSWORD", None)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        "--port=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        f"--config={server_config}",  # the Content-Security-Policy `smtpkit lab` serves (every test runs under it)
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(base / "jupyterlab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        server = None
        while server is None:
            if proc.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited with {proc.returncode}:\n{(base / 'jupyterlab.log').read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start within 90 s")
            for path in glob.glob(str(runtime / "jpserver-*.json")):
                doc = json.loads(Path(path).read_text())
                if doc.get("pid") == proc.pid:
                    server = doc
            time.sleep(0.2)
        yield {"url": server["url"].rstrip("/"), "token": token, "root": root, "base": base, "lab": info}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        lab.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, shared by every browser test (each opens pages or contexts of its own)."""
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Notebooks:
    """Open notebook pages, kept for the session: tests of one notebook share its page and its kernel.

    Opening a notebook and running all its cells is the slow part of a browser test (a
    kernel, every cell); a test that uses a shared page sets up the form state it needs
    itself (the mode, the scenario, the fields) instead of relying on a fresh page.
    """

    def __init__(self, browser: Any, jupyterlab: dict[str, Any]) -> None:
        self.browser = browser
        self.jupyterlab = jupyterlab
        self.pages: dict[str, Any] = {}

    def open(self, name: str, last_text: str) -> Any:
        page = self.pages.get(name)
        if page is None or page.is_closed():
            page = open_notebook(self.browser, self.jupyterlab, name, last_text)
            self.pages[name] = page
        return page

    def close(self) -> None:
        for page in self.pages.values():
            if not page.is_closed():
                page.close()


@pytest.fixture(scope="session")
def notebooks(browser: Any, jupyterlab: dict[str, Any]) -> Iterator[Notebooks]:
    """Notebook pages shared by the session's browser tests (`Notebooks.open`)."""
    opened = Notebooks(browser, jupyterlab)
    try:
        yield opened
    finally:
        opened.close()


def open_notebook(browser: Any, jupyterlab: dict[str, Any], name: str, last_text: str) -> Any:
    """Open notebook `name` in a workspace of its own, Run All Cells, wait until `last_text` is in an output."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(60_000)
    # a workspace of its own: only this notebook is open, whatever an earlier page left behind
    page.goto(f"{jupyterlab['url']}/lab/workspaces/{name}/tree/{name}.ipynb?reset&token={jupyterlab['token']}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook")
    # a person would press "Select" in this dialog if it still appears: do the same
    select = page.locator(".jp-Dialog button", has_text="Select")
    try:
        select.wait_for(timeout=3_000)
        select.click()
    except Exception:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'] >> visible=true")
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    # the last cell's output: every cell above it has run
    try:
        page.locator(".jp-OutputArea-output", has_text=last_text).first.wait_for()
    except Exception:
        shot = jupyterlab["base"] / f"{name}-failed.png"
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{name} did not finish running; screenshot: {shot}") from None
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'] >> visible=true")
    return page


def failure_shot(page: Any, jupyterlab: dict[str, Any], name: str) -> Path:
    """A full-page screenshot next to JupyterLab's log, for the message of a failing assertion."""
    shot = Path(jupyterlab["base"]) / f"{name}-failed.png"
    try:
        page.screenshot(path=str(shot), full_page=True)
    except Exception:  # noqa: BLE001 - a screenshot is a courtesy; the assertion's own message stands
        pass
    return shot


def form_cells(page: Any, marker: str, index: int = 0) -> tuple[Any, Any]:
    """The cell holding the `index`-th form with a widget of CSS class `marker`, and the cell after it.

    In every notebook a form's cell is followed by the cell whose output Run updates
    (``report = form.run()``): results are looked for there, never in a comparison elsewhere on the page.
    """
    form = page.locator(".jp-Cell", has=page.locator(f".{marker}")).nth(index)
    result = form.locator("xpath=following-sibling::div[contains(@class,'jp-Cell')][1]")
    return form, result


def run_and_wait(form: Any, result: Any, *, press: Any = None, timeout: float = 30_000) -> None:
    """Press Run (or Enter in the field `press`) and wait until the result in `result` is a new one.

    A result is updated in place (the same output element, new content), so the content
    there now is marked first, and the wait is for content without the mark that is no
    longer the "Running…" placeholder, with Run ready again.
    """
    from playwright.sync_api import expect

    result.locator(".jp-OutputArea-output > *").first.evaluate("e => e.setAttribute('data-smtpkit-old', '')")
    if press is not None:
        press.press("Enter")
    else:
        form.locator("button.smtpkit-run").click()
    expect(result.locator("[data-smtpkit-old]")).to_have_count(0, timeout=timeout)
    expect(result).not_to_contain_text("Running…", timeout=timeout)
    expect(form.locator("button.smtpkit-run")).to_have_text("Run", timeout=timeout)


class Requests:
    """Every request a page sent out of the browser, to check that a page of ours asks only its own server.

    A request the page's Content-Security-Policy stopped (Voilà's template links a CDN: `smtpkit.cli.csp`)
    never left the browser and is not counted."""

    LOCAL = ("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:")

    def __init__(self, page: Any) -> None:
        self.asked: list[str] = []
        self.sent: list[str] = []
        self.blocked: list[str] = []
        page.on("request", lambda request: self.asked.append(request.url))
        page.on("requestfinished", lambda request: self.sent.append(request.url))
        page.on("requestfailed", self._failed)

    def _failed(self, request: Any) -> None:
        blocked = request.failure in ("csp", "net::ERR_BLOCKED_BY_CSP")
        (self.blocked if blocked else self.sent).append(request.url)

    def elsewhere(self) -> list[str]:
        """The requests that left the browser for another host than this machine's servers."""
        assert self.asked and self.sent, "the page made no request at all"
        return [url for url in self.sent if not url.startswith(self.LOCAL)]
