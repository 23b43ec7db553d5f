"""The widget flow in a real browser: JupyterLab on loopback, driven in Debian's headless Chromium.

JupyterLab runs on 127.0.0.1 (ephemeral port, a token, a private runtime,
settings and workspace folder) over a temporary copy of the notebooks; Playwright
drives the system's /usr/bin/chromium (no browser download). The test opens
02_tls, runs every cell, types a password into the form (which must empty the
field), chooses the lab's expired-certificate scenario, presses Run, and
waits for the expired-certificate explanation in the cell's ordinary output.
It then saves the notebook and checks that the file holds the result but not
the password.

Skips when Chromium or Playwright is missing, except with
SMTPKIT_REQUIRE_BROWSER=1 (CI), where that is a failure. Set
SMTPKIT_SCREENSHOT_DIR=docs/screenshots to refresh the documentation
screenshots (02_tls and 06_report).
"""

from __future__ import annotations

import base64
import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smtpkit.reporting import NOTEBOOKS, notebooks_dir

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

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
TYPED_PASSWORD = "Typed-in-the-browser-Pw#9"


def _need_browser() -> None:
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


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 over a copy of the notebooks, with a lab its kernels share."""
    _need_browser()
    from smtpkit.lab import Lab

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
    lab = Lab()
    lab.start()
    state = lab.write_state(base / "lab-state.json")
    runtime = base / "runtime"
    token = secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(base / "config"),  # the user's own Jupyter config stays out of the test
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
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(base / "jupyterlab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        info = None
        while info is None:
            if proc.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited with {proc.returncode}:\n{(base / 'jupyterlab.log').read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start within 90 s")
            for path in glob.glob(str(runtime / "jpserver-*.json")):
                doc = json.loads(Path(path).read_text())
                if doc.get("pid") == proc.pid:
                    info = doc
            time.sleep(0.2)
        yield {"url": info["url"].rstrip("/"), "token": token, "root": root, "base": base}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
        lab.stop()


@pytest.fixture(scope="module")
def browser(jupyterlab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open_and_run_all(browser, jupyterlab, name: str, last_text: str):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
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


def _leaks(text: str) -> list[str]:
    forms = {
        "password": TYPED_PASSWORD,
        "base64": base64.b64encode(TYPED_PASSWORD.encode()).decode(),
        "json": json.dumps(TYPED_PASSWORD)[1:-1],
    }
    return [k for k, v in forms.items() if v in text]


def test_tls_form_shows_the_expired_certificate_explanation(browser, jupyterlab):
    from playwright.sync_api import expect

    started = time.monotonic()
    page = _open_and_run_all(browser, jupyterlab, "02_tls", "Implicit TLS against a STARTTLS port")
    result = page.locator(
        ".jp-OutputArea-output .smtpkit-panel", has=page.locator("h3", has_text="TLS check: lab scenario")
    )
    expect(result.first).to_contain_text("lab scenario submission")
    outputs_before = page.locator(".jp-OutputArea-output").count()

    # the password leaves the widget as soon as the field is left
    field = page.locator(".smtpkit-password input")
    field.fill(TYPED_PASSWORD)
    field.press("Tab")
    expect(field).to_have_value("")
    expect(page.locator(".widget-html", has_text="typed into the form").first).to_be_visible()

    # choose the expired-certificate scenario and press Run
    select = page.locator(".smtpkit-scenario select")
    labels = select.locator("option").all_text_contents()
    expired = next(label for label in labels if label.startswith("expired_cert:"))
    select.select_option(label=expired)
    page.locator("button.smtpkit-run").click()

    panel = page.locator(
        ".jp-OutputArea-output .smtpkit-panel", has=page.locator("h3", has_text="lab scenario expired_cert")
    )
    finding = panel.locator(".finding", has=page.locator("code", has_text="tls.cert.expired"))
    expect(finding.first).to_be_visible(timeout=60_000)
    expect(finding.first).to_contain_text("What happened and why")
    expect(finding.first).to_contain_text("Fix:")
    expect(panel.first).to_contain_text("FAIL")
    # the click updated the existing output through its display handle: no new output appeared
    assert page.locator(".jp-OutputArea-output").count() == outputs_before
    expect(page.locator(".jp-OutputArea-output .smtpkit-panel", has_text="lab scenario submission")).to_have_count(0)

    shots = os.environ.get("SMTPKIT_SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.locator(".jp-Cell", has=page.locator(".smtpkit-scenario")).first.scroll_into_view_if_needed()
        page.screenshot(path=str(Path(shots) / "02_tls_expired_certificate.png"))
        panel.first.locator("h4", has_text="What went wrong").scroll_into_view_if_needed()
        panel.first.locator(".finding").first.screenshot(path=str(Path(shots) / "02_tls_expired_explanation.png"))

    # saved: the result is an ordinary output in the file; the password is nowhere in it
    path = jupyterlab["root"] / "02_tls.ipynb"
    before = path.stat().st_mtime_ns
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.2)
    saved = path.read_text(encoding="utf-8")
    assert "tls.cert.expired" in saved and "lab scenario expired_cert" in saved
    assert _leaks(saved) == []
    page.close()
    assert time.monotonic() - started < 150


def test_report_screenshot(browser, jupyterlab):
    """Only when refreshing the documentation screenshots: 06_report as a reader sees it."""
    shots = os.environ.get("SMTPKIT_SCREENSHOT_DIR")
    if not shots:
        pytest.skip("set SMTPKIT_SCREENSHOT_DIR to refresh docs/screenshots")
    page = _open_and_run_all(browser, jupyterlab, "06_report", "Best practices:")
    summary = page.locator(
        ".jp-OutputArea-output .smtpkit-panel", has=page.locator("h3", has_text="Mail delivery report")
    )
    summary.first.screenshot(path=str(Path(shots) / "06_report_summary.png"))
    page.locator(".jp-OutputArea-output", has_text="Best practices:").last.screenshot(
        path=str(Path(shots) / "06_report_scorecard.png")
    )
    page.close()


def test_exported_report_renders_offline(browser, jupyterlab, tmp_path):
    """The HTML of `smtpkit report` in a browser that may not fetch anything: tables and explanations show."""
    from playwright.sync_api import expect

    from smtpkit.reporting import execute_notebook, notebook_path, write_html

    run = execute_notebook(
        notebook_path("06_report"),
        {"scenario": "expired_cert", "timeout": 5.0},
        env={"SMTPKIT_LAB_STATE": str(jupyterlab["base"] / "lab-state.json")},
    )
    assert run.ok, [str(e) for e in run.errors]
    out = write_html(run.notebook, tmp_path / "report.html")
    attempted: list[str] = []
    context = browser.new_context(offline=True, java_script_enabled=False)
    page = context.new_page()

    def block(route):  # anything but the file itself is a request the report should not need
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto(out.as_uri())
    expect(page.locator("h3", has_text="Mail delivery report")).to_be_visible()
    expect(page.locator(".finding", has_text="tls.cert.expired").first).to_be_visible()
    expect(page.get_by_text("Best practices:").first).to_be_visible()
    assert page.locator("table:visible").count() > 5
    assert attempted == []
    context.close()
