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
import json
import os
import re
import socket
import time
from pathlib import Path

import pytest

import smtpkit
from tests.support.browser import open_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

TYPED_PASSWORD = "Typed-in-the-browser-Pw#9"


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
    page = open_notebook(browser, jupyterlab, "02_tls", "Implicit TLS against a STARTTLS port")
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
    page = open_notebook(browser, jupyterlab, "06_report", "Best practices:")
    summary = page.locator(
        ".jp-OutputArea-output .smtpkit-panel", has=page.locator("h3", has_text="Every step, and what to fix first")
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
    expect(page.locator("h3", has_text="Every step, and what to fix first")).to_be_visible()
    # the header its reader needs first: in short, then when, with what, from where, through which resolver
    header = page.locator(".smtpkit-header")
    expect(header.locator("h3", has_text="In short")).to_be_visible()
    assert header.locator(".smtpkit-headline li").count() >= 1
    expect(header.locator("li", has_text="expired").first).to_be_visible()
    rows = {
        th.inner_text().strip(): td.inner_text().strip()
        for th, td in zip(header.locator("th").all(), header.locator("td").all(), strict=True)
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d at \d\d:\d\d UTC", rows["checked on"]), rows
    assert rows["made with"] == f"smtpkit {smtpkit.__version__}", rows
    assert rows["checked from (host name)"] == socket.gethostname(), rows
    assert "DNS server" in rows["DNS resolver used"] or "resolver" in rows["DNS resolver used"], rows
    assert rows["certificates trusted"], rows
    assert "the mail server" in rows["what was checked"] and "the sending domain" in rows["what was checked"], rows
    for row in ("checked on", "made with", "checked from (host name)", "DNS resolver used", "certificates trusted"):
        expect(header.locator("th", has_text=row)).to_be_visible()
    expect(page.locator(".finding", has_text="tls.cert.expired").first).to_be_visible()
    expect(page.get_by_text("Best practices:").first).to_be_visible()
    assert page.locator("table:visible").count() > 5
    assert attempted == []
    context.close()
