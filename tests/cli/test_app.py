"""`smtpkit app`: the notebooks as web apps (Voilà), with the practice lab running, behind a token.

One `smtpkit app` serves the module: the command itself (its JSON, the start
page served with the token and refused without it, the lab it starts, a clean
stop on Ctrl-C), and in a real browser (the session's headless Chromium,
tests/support/browser.py) 00_start_here with its form visible and working
without pressing anything, its code hidden.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from smtpkit.cli import main
from smtpkit.lab import load_state
from tests.cli.test_lab import Lines, start, stop


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """`smtpkit app --json` running for this module's tests; stopped with Ctrl-C (SIGINT) after them, cleanly."""
    if importlib.util.find_spec("voila") is None:
        pytest.skip("Voilà is not installed in this environment (pip install voila)")
    tmp_path = tmp_path_factory.mktemp("app")
    env = {
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    proc = start(["app", "--no-browser", "--port", "0", "--json"], env=env)
    lines = Lines(proc)
    try:
        doc = json.loads(lines.next(120))
        assert lines.next(10) == "READY"
        yield doc
    finally:
        code, _ = stop(proc, signal.SIGINT, timeout=40)
    assert code == 0


def test_smtpkit_app_serves_the_start_page_with_the_lab(app):
    doc = app
    app = doc["app"]
    assert app["url"].startswith(f"http://127.0.0.1:{app['port']}/voila/render/00_start_here.ipynb?token=")
    info, why = load_state(doc["state_file"])
    assert info is not None, why  # the lab is running, and kernels find it through SMTPKIT_LAB_STATE
    assert info.password.reveal() not in json.dumps(doc)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(app["url"], timeout=120) as resp:
        page = resp.read().decode("utf-8", "replace")
    assert resp.status == 200 and "Start here" in page
    assert "ensure_running" not in page  # code hidden: only the outputs
    bare = app["url"].split("?", 1)[0]
    try:  # without the token: the login page (another user of this machine cannot use the app)
        with opener.open(bare, timeout=30) as resp:
            assert "login" in resp.geturl() and "Start here" not in resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        assert exc.code in (401, 403)
    assert Path(app["notebooks"]).name == "notebooks"


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_the_app_shows_the_start_form_live_without_pressing_anything(app, browser):
    """In a real browser: 00_start_here's form is there on open (no Run All), its code hidden, and Run works."""
    from playwright.sync_api import expect

    from tests.support.browser import VIEWPORT, Requests, screenshot_dir

    page = browser.new_page(viewport=VIEWPORT)
    requests = Requests(page)  # the app's own only (Voilà's template links a CDN: the app's CSP stops it)
    try:
        page.goto(app["app"]["url"])
        form = page.locator(".smtpkit-mode").first.locator("xpath=ancestor::*[contains(@class,'widget-vbox')][1]")
        expect(page.locator("button.smtpkit-run").first).to_be_visible(timeout=120_000)
        expect(page.locator(".smtpkit-mode button.mod-active").first).to_have_text("Practice lab")
        expect(page.locator(".smtpkit-scenario select").first).to_be_visible()
        expect(page.locator(".smtpkit-host input").first).to_be_visible()
        expect(page.get_by_text("Start here").first).to_be_visible()
        # no code: neither a code cell's input (an editor) nor the Python behind the forms
        expect(page.locator(".jp-CodeCell .jp-InputArea:visible")).to_have_count(0)
        expect(page.locator(".cm-editor, .CodeMirror")).to_have_count(0)
        expect(page.get_by_text("ensure_running")).to_have_count(0)
        expect(page.get_by_text("ui.ServerForm")).to_have_count(0)
        shots = screenshot_dir()
        if shots is not None:  # the start page as it opens
            form.screenshot(path=str(shots / "app_start_here.png"))
        # live: the kernel behind the page answers the button, and the result under the form is the new one
        # (the page had shown the first result for ever: only widgets are live in Voilà)
        expect(page.locator(".smtpkit-mode-banner", has_text="lab scenario submission").first).to_be_visible()
        scenario = page.locator(".smtpkit-scenario select").first
        labels = [t.replace("\xa0", " ") for t in scenario.locator("option").all_inner_texts()]
        scenario.select_option(index=next(i for i, t in enumerate(labels) if t.startswith("expired_cert:")))
        page.locator("button.smtpkit-run").first.click()
        expect(page.locator(".smtpkit-mode-banner", has_text="lab scenario expired_cert").first).to_be_visible(
            timeout=60_000
        )
        expect(page.locator(".smtpkit-report", has_text="tls.cert.expired").first).to_be_visible()
        expect(page.locator(".smtpkit-mode-banner", has_text="lab scenario submission")).to_have_count(0)
        expect(page.locator(".smtpkit-progress").first).to_contain_text("Finished")
        expect(page.locator("button.smtpkit-run").first).to_have_text("Run")
        assert requests.elsewhere() == []
    finally:
        page.close()


def test_app_usage_errors(capsys, tmp_path):
    assert main(["app", "--port", "70000"]) == 2
    assert "out of range" in capsys.readouterr().err
    assert main(["app", "--cull-after", "-1"]) == 2
    assert "--cull-after -1 is out of range" in capsys.readouterr().err
    assert main(["app", "--notebooks", str(tmp_path)]) == 2
    assert "00_start_here" in capsys.readouterr().err


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_in_the_app_pasted_domains_are_audited_with_run(app, browser):
    """The no-code path of notebook 10: in the app (Voilà, where no cell can be run again), domains typed into
    the paste form and Run give their summary and table (the notebook's bare text box did nothing there)."""
    from playwright.sync_api import expect

    from tests.support.browser import VIEWPORT

    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(app["app"]["url"].replace("00_start_here.ipynb", "10_portfolio_audit.ipynb"))
        field = page.locator(".smtpkit-domains textarea").first
        expect(field).to_be_visible(timeout=240_000)  # the page shows once every cell has run
        expect(page.get_by_text("Press Run above").first).to_be_visible()
        field.click()
        field.press_sequentially("spf-plus-all.test\nsmtpkit.test\n")
        page.locator(".smtpkit-domains").locator("xpath=ancestor::*[contains(@class,'widget-vbox')][last()]").locator(
            "button.smtpkit-run"
        ).click()
        expect(page.get_by_text("2 domains in").first).to_be_visible(timeout=120_000)
        # the app leaves out what only JupyterLab can do: no parameters cell, no stop button to tell of
        expect(page.get_by_text("Paste your domains into the form below").first).to_be_visible()
        for lab_only in ("parameters cell", "stop button", "run the notebook again", "options["):
            expect(page.get_by_text(lab_only)).to_have_count(0)
        expect(page.locator(".smtpkit-mode-banner", has_text="practice lab's domains you pasted")).to_be_visible()
        expect(page.locator("td", has_text="spf.plus_all").first).to_be_visible()
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_in_the_app_reports_uploaded_are_read_with_run(app, browser):
    """The no-code path of notebook 08: in the app, report files chosen in the upload dialog and Run give their
    findings (the notebook's bare upload button, with a cell to run under it, did nothing there)."""
    from playwright.sync_api import expect

    from tests.support.browser import VIEWPORT
    from tests.ui.test_browser_reports import chosen_reports

    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(app["app"]["url"].replace("00_start_here.ipynb", "08_dmarc_reports.ipynb"))
        upload = page.locator("button.widget-upload").first
        expect(upload).to_be_visible(timeout=240_000)  # the page shows once every cell has run
        files = chosen_reports()
        with page.expect_file_chooser() as dialog:
            upload.click()
        dialog.value.set_files(files)
        expect(page.locator(".smtpkit-chosen").first).to_contain_text(f"{len(files)} files")
        page.locator(".smtpkit-offline").get_by_text("Skip reverse DNS").click()
        form = page.locator(".smtpkit-chosen").locator("xpath=ancestor::*[contains(@class,'widget-vbox')][last()]")
        form.locator("button.smtpkit-run").click()
        expect(page.get_by_text("Findings and fixes").first).to_be_visible(timeout=120_000)
        expect(page.locator(".smtpkit-mode-banner", has_text=f"{len(files)} uploaded files")).to_be_visible()
        expect(page.get_by_text("upload: broken-receiver-one.test").first).to_be_visible()
        expect(page.get_by_text("run the notebook again")).to_have_count(0)  # the parameters cell's way: left out
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_in_the_app_a_domains_receiving_side_is_checked_with_run(app, browser):
    """The no-code path of notebook 09: in the app, a domain picked in the form's Domain field and Run give its
    receiving side (the notebook checked only the domain of its parameters cell, which the app cannot change);
    a bad sending IP is marked on its field and nothing runs."""
    from playwright.sync_api import expect

    from tests.support.browser import VIEWPORT

    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(app["app"]["url"].replace("00_start_here.ipynb", "09_inbound_and_reputation.ipynb"))
        domain = page.locator(".smtpkit-domain input").first
        expect(domain).to_be_visible(timeout=240_000)  # the page shows once every cell has run
        expect(page.get_by_text("Receiving side of sts-enforce.test").first).to_be_visible()  # form.run()'s result
        form = page.locator(".smtpkit-probe-mx").locator("xpath=ancestor::*[contains(@class,'widget-vbox')][last()]")
        expect(form.locator(".smtpkit-selectors")).to_be_hidden()  # DKIM selectors are about sending
        domain.fill("sts-nocover.test")
        domain.press("Enter")
        expect(page.get_by_text("Receiving side of sts-nocover.test").first).to_be_visible(timeout=120_000)
        expect(page.get_by_text("mta_sts.mx_not_covered").first).to_be_visible()
        form.locator(".smtpkit-probe-mx input[type=checkbox]").uncheck()
        ip = form.locator(".smtpkit-ip input").first
        ip.fill("300.1.2.3")
        form.locator("button.smtpkit-run").click()
        expect(form.locator(".smtpkit-error-ip [role=alert]")).to_be_visible(timeout=30_000)
        expect(form.get_by_text("Nothing was run")).to_be_visible()
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.timeout(480)
def test_in_the_app_a_findings_command_names_the_page_that_does_it_and_the_link_opens_it(app, browser):
    """A person in the app has no shell: a fix that says `smtpkit dkim keygen --domain ... --selector ...` is
    followed by the page that makes the key and what to type there; on that page itself the note says "on this
    page" with no link (a link opened the same page again in a new tab). On the start page, a program's
    timeout pasted into Explain names `smtpkit ports HOST`, and the note's link opens page 1 (the token of the
    first page's address carries over) at the port matrix's heading, with the host typed into its form."""
    from playwright.sync_api import expect

    from tests.support.browser import VIEWPORT

    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(app["app"]["url"].replace("00_start_here.ipynb", "05_spf_dkim_dmarc.ipynb"))
        domain = page.locator(".smtpkit-domain input").first
        expect(domain).to_be_visible(timeout=240_000)  # the page shows once every cell has run
        domain.fill("dkim-short.test")
        domain.press("Enter")
        note = page.locator(".smtpkit-app-page", has_text="Domain: dkim-short.test").first
        expect(note).to_be_attached(timeout=120_000)
        expect(note).to_contain_text("in this app: on this page, section “Make a DKIM key”")
        expect(note).to_contain_text("Selector: s20")
        expect(note.locator("a")).to_have_count(0)
    finally:
        page.close()
    page = browser.new_page(viewport=VIEWPORT)
    try:
        page.goto(app["app"]["url"])
        text = page.locator(".smtpkit-text textarea").first
        expect(text).to_be_visible(timeout=240_000)
        # a loopback address: the page the note opens checks the host it is given (tests talk to loopback only)
        text.fill("Error: connect ETIMEDOUT 127.0.0.1:587")
        form = page.locator(".smtpkit-text").locator("xpath=ancestor::*[contains(@class,'widget-vbox')][last()]")
        form.locator("button.smtpkit-run").click()
        note = page.locator(".smtpkit-app-page", has_text="Host: 127.0.0.1").first
        expect(note).to_be_attached(timeout=60_000)
        expect(note).to_contain_text("in this app: page “1. Connection”, section “Which ports work? The port matrix”")
        link = note.locator("a")
        if not link.is_visible():  # the finding sits in a folded step: open it as a person would
            page.locator("summary", has_text="explain").first.click()
        with page.context.expect_page() as opened:
            link.click()
        other = opened.value
        other.wait_for_load_state()
        assert "01_connection.ipynb" in other.url and "token=" not in other.url
        # the port matrix's form has the note's host typed in, and the page opens at its heading, not at the top
        host = other.locator(".smtpkit-ports").locator("xpath=ancestor::*[contains(@class,'smtpkit-form')][1]")
        expect(host.locator(".smtpkit-host input")).to_have_value("127.0.0.1", timeout=240_000)
        heading = other.locator("[id='Which-ports-work?-The-port-matrix']")
        expect(heading).to_be_in_viewport()
        assert heading.bounding_box()["y"] < VIEWPORT["height"] / 2  # type: ignore[index]
        other.close()
    finally:
        page.close()


def test_the_app_drops_the_cells_only_jupyterlab_readers_can_act_on():
    """Cells tagged jupyterlab-only (set domains_file in the parameters cell, the stop button, resume) are left
    out of the app, where no cell can be edited or run again; a tagged code cell is one expression that only
    shows a value, so no code that later cells need is lost."""
    import nbformat

    from smtpkit.cli.voila_app import LAB_ONLY, without_lab_only

    root = Path(__file__).resolve().parents[2] / "notebooks"
    for path in sorted(root.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if LAB_ONLY in c.metadata.get("tags", [])]
        for cell in tagged:  # text, or code that only shows a value: nothing later can depend on it
            if cell.cell_type == "code":
                tree = ast.parse(cell.source)
                assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr), (path.name, cell.source)
        kept = without_lab_only(nb).cells
        assert len(kept) == len(nbformat.read(path, as_version=4).cells) - len(tagged)
        if path.name == "08_dmarc_reports.ipynb":
            assert [c.source for c in tagged[1:3]] == ["rs.problems", "rs.records.head(10)"]  # the raw tables
            assert "reports_dir" in tagged[3].source  # set in the parameters cell
        if path.name == "10_portfolio_audit.ipynb":
            assert len(tagged) == 3
            shown = "".join(c.source for c in kept if c.cell_type == "markdown")
            assert "parameters cell" not in shown and "stop button" not in shown
            assert "Paste your domains into the form below" in shown
        # the app's reader starts nothing from a shell and sees no code: its pages do not send them to either
        # (the start page and page 3 said to set SMTPKIT_PASSWORD before starting JupyterLab)
        shown = "".join(c.source for c in kept if c.cell_type == "markdown")
        assert "SMTPKIT_PASSWORD" not in shown and "before starting JupyterLab" not in shown, path.name
        assert "code behind each form is folded" not in shown, path.name


def _voila_args(**kw):
    import argparse

    return argparse.Namespace(**{"ip": "127.0.0.1", "port": 0, "verbose": False, **kw})


@pytest.fixture
def taken_port(tmp_path):
    """(a port another program holds, the environment of a Voilà kept apart from the user's Jupyter)."""
    import socket

    if importlib.util.find_spec("voila") is None:
        pytest.skip("Voilà is not installed in this environment (pip install voila)")
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    try:
        yield holder.getsockname()[1], env
    finally:
        holder.close()


@pytest.mark.timeout(180)
def test_voila_is_started_again_when_its_port_is_taken_before_it_binds(monkeypatch, taken_port):
    """Another program can bind the port between our look and Voilà's: Voilà exits (it never moves to another
    port behind the URL we print) and is started on another one."""
    import threading

    from smtpkit.cli import cmd_app
    from smtpkit.cli.serving import free_port, stop_process
    from smtpkit.reporting import notebooks_dir

    taken, env = taken_port
    ports = iter([taken, free_port()])
    monkeypatch.setattr(cmd_app, "_port", lambda args: next(ports))
    started = cmd_app._start_voila(_voila_args(), notebooks_dir(), "t0ken", env, threading.Event())
    try:
        assert started.ok and started.port != taken
        assert started.base == f"http://127.0.0.1:{started.port}/"
    finally:
        stop_process(started.proc)


@pytest.mark.timeout(180)
def test_a_voila_that_cannot_start_says_why_in_its_own_words(monkeypatch, taken_port, capsys):
    """'Voilà exited with code 1 while starting' alone did not say why (CI saw it, with nothing to go on)."""
    import threading

    from smtpkit.cli import cmd_app
    from smtpkit.reporting import notebooks_dir

    taken, env = taken_port
    tries: list[int] = []
    monkeypatch.setattr(cmd_app, "_port", lambda args: tries.append(taken) or taken)
    started = cmd_app._start_voila(_voila_args(), notebooks_dir(), "t0ken", env, threading.Event())
    assert not started.ok and started.proc.poll() is not None
    assert len(tries) == cmd_app.PORT_ATTEMPTS  # a taken port is tried again, a bounded number of times
    err = capsys.readouterr().err
    assert "Voilà exited with code" in err and "Voilà's last words:" in err and "no available port" in err, err


def _kernels(proc) -> list[int]:
    """The kernels (ipykernel processes) under `smtpkit app`'s process."""
    import psutil

    found = []
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                found.append(child.pid)
        except psutil.Error:  # gone meanwhile
            continue
    return found


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_a_page_closed_without_a_word_has_its_kernel_stopped_and_an_open_one_keeps_it(tmp_path, browser):
    """A tab that crashes or a laptop shut never says the page closed, and its kernel stayed until the app
    stopped (a helper counted 13). With `--cull-after`, a kernel with no page connected is stopped once idle
    that long; an open page's kernel, idle just as long, is kept."""
    import time

    from playwright.sync_api import expect

    env = {
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    proc = start(["app", "--no-browser", "--port", "0", "--json", "--cull-after", "8"], env=env)
    lines = Lines(proc)
    try:
        doc = json.loads(lines.next(120))
        assert lines.next(10) == "READY"
        page = browser.new_page()
        page.goto(doc["app"]["url"])
        expect(page.locator("button.smtpkit-run").first).to_be_visible(timeout=120_000)
        assert len(_kernels(proc)) == 1
        time.sleep(14)  # idle for longer than --cull-after, with its page open: kept
        assert len(_kernels(proc)) == 1, "an open page's kernel was stopped"
        expect(page.locator("button.smtpkit-run").first).to_be_enabled()
        page.close()  # no beforeunload: the page does not say it is closing
        until = time.monotonic() + 90
        while _kernels(proc) and time.monotonic() < until:
            time.sleep(1)
        assert _kernels(proc) == [], "the kernel of a closed page is still running"
    finally:
        code, _ = stop(proc, signal.SIGINT, timeout=40)
    assert code == 0


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_a_page_left_for_another_stops_its_kernel_at_once(tmp_path, browser):
    """Leaving a page posts its kernel's shutdown; Voilà's page never set the `_xsrf` cookie that post needs,
    so it was refused (403) and every page left a kernel behind until the culler came (a helper counted 15)."""
    import time

    from playwright.sync_api import expect

    env = {
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    proc = start(["app", "--no-browser", "--port", "0", "--json"], env=env)  # the culler at its 10 minutes
    lines = Lines(proc)
    shutdowns: list[int] = []
    try:
        doc = json.loads(lines.next(120))
        assert lines.next(10) == "READY"
        page = browser.new_page()
        page.on("response", lambda r: shutdowns.append(r.status) if "/voila/api/shutdown/" in r.url else None)
        page.goto(doc["app"]["url"])
        expect(page.locator("button.smtpkit-run").first).to_be_visible(timeout=120_000)
        assert any(c["name"] == "_xsrf" for c in page.context.cookies()), "the page set no _xsrf cookie"
        first = _kernels(proc)
        assert len(first) == 1
        page.goto(doc["app"]["url"].replace("00_start_here", "01_connection"))  # a link followed: the page left
        expect(page.locator("button.smtpkit-run").first).to_be_visible(timeout=120_000)
        until = time.monotonic() + 30
        while first[0] in _kernels(proc) and time.monotonic() < until:
            time.sleep(0.5)
        assert first[0] not in _kernels(proc), f"the left page's kernel still runs (shutdown replies: {shutdowns})"
        assert len(_kernels(proc)) == 1  # the open page's own
        page.close()
    finally:
        code, _ = stop(proc, signal.SIGINT, timeout=40)
    assert code == 0
