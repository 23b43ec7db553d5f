"""In the no-code app, a finding's `smtpkit …` command is followed by the page that does the same and what to
type there; everywhere else findings read as before. Every command the catalogue names has a page (or is one
of the few with none), and every page named is a notebook whose heading carries that title."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpkit import knowledge
from smtpkit.model import Finding, Severity
from smtpkit.render import app_pages
from smtpkit.render.html import finding_html

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: Commands no app page does: the lab and the app themselves, the catalogue of findings.
NO_PAGE = {"lab", "app", "findings"}


@pytest.fixture
def in_app() -> Iterator[None]:
    app_pages.use_app_pages(True)
    try:
        yield
    finally:
        app_pages.use_app_pages(False)


def _finding(fix: str) -> Finding:
    return Finding("tls.handshake_failed", Severity.FAIL, "tls", "t", "why", fix)


def test_outside_the_app_a_finding_reads_as_before() -> None:
    assert not app_pages.app_pages_on()
    html = finding_html(_finding("Test with `smtpkit check mail.example.com --port 465 --security tls`."))
    assert "smtpkit-app-page" not in html and "in this app" not in html


def test_in_the_app_a_command_names_its_page_and_the_fields_to_fill(in_app: None) -> None:
    html = finding_html(_finding("Test with `smtpkit check mail.example.com --port 465 --security tls`."))
    assert "<code>smtpkit check mail.example.com --port 465 --security tls</code>" in html  # kept, to pass on
    assert (
        '[in this app: page “<a href="00_start_here.ipynb?fill=ServerForm&amp;Host=mail.example.com&amp;Port=465'
        '&amp;Security=Implicit+TLS#Check-your-server" target="_blank" rel="noopener">Start here</a>”'
    ) in html
    assert "section “Check your server”, with Host: mail.example.com, Port: 465, Security: Implicit TLS]" in html
    html = finding_html(_finding("Check the key: `smtpkit dkim keygen --domain d.test --selector <new selector>`."))
    assert (
        "5. SPF, DKIM and DMARC</a>”, section “Make a DKIM key”, with Domain: d.test, Selector: &lt;new selector&gt;]"
        in html
    )
    html = finding_html(_finding("Probe it: `smtpkit domain d.test --probe-mx`; blocklists: `smtpkit dnsbl IP`."))
    assert html.count("09_inbound_and_reputation.ipynb") == 2 and "Sending IP: yours" in html
    assert "Connect to each MX: ticked" in html
    html = finding_html(_finding("Run `smtpkit bounce FILE`; list them with `smtpkit findings`."))
    assert "Upload: your file" in html and html.count("smtpkit-app-page") == 1  # `findings` has no page


def test_a_hostile_value_in_a_command_stays_text(in_app: None) -> None:
    host = '"><img src=x onerror=alert(1)>'
    html = finding_html(_finding(f"Test with `smtpkit check {host} --port 25`."))
    assert "<img" not in html and "in this app" in html


def _commands() -> Iterator[str]:
    """The commands the knowledge names in backticks (the catalogue, the provider rules, the TLS errors)."""
    for path in sorted(Path(knowledge.__file__).parent.rglob("*.py")):
        yield from re.findall(r"`smtpkit ([a-z]+)", path.read_text(encoding="utf-8"))


def test_every_command_a_finding_names_has_a_page_and_every_page_is_a_notebook_with_that_title() -> None:
    commands = set(_commands())
    assert {"check", "domain", "dkim", "message", "bounce"} <= commands  # the test reads the catalogue
    for name in commands - NO_PAGE:
        assert name in app_pages.PAGES, f"`smtpkit {name}` in a finding, but no app page for it (render/app_pages)"
    for page in [*app_pages.PAGES.values(), app_pages.page_for("smtpkit domain d --probe-mx")[0]]:  # type: ignore[index]
        path = NOTEBOOKS / f"{page.notebook}.ipynb"
        if not NOTEBOOKS.is_dir():
            pytest.skip("the notebooks are not beside the tests (an installed package)")
        first = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"]
        heading = "".join(first).splitlines()[0]
        assert page.title.split(". ", 1)[-1] in heading, (page.notebook, heading)
        if page.section:  # the heading above the form on that page, whole: the link opens the page there
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            headings = [ln for c in cells if c["cell_type"] == "markdown" for ln in "".join(c["source"]).splitlines()]
            assert any(ln.startswith("#") and ln.lstrip("#").strip() == page.section for ln in headings), (
                page.notebook,
                page.section,
            )
        if page.form:  # the form a link fills is on that page, and has every field the page's options name
            from smtpkit import ui

            assert f"ui.{page.form}(" in path.read_text(encoding="utf-8"), (page.notebook, page.form)
            form = getattr(ui, page.form)()
            labels = set(form._linkable())
            assert {*page.options.values(), *([page.positional] if page.positional else [])} <= labels, page


def test_the_apps_kernel_turns_it_on_when_it_imports_the_forms() -> None:
    code = "import smtpkit.ui; from smtpkit.render.app_pages import app_pages_on; print(app_pages_on())"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOILA_")}
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    app = subprocess.run(
        [sys.executable, "-c", code], env={**env, "VOILA_KERNEL_ID": "k"}, capture_output=True, text=True, timeout=120
    )
    assert (plain.stdout.strip(), app.stdout.strip()) == ("False", "True"), plain.stderr + app.stderr


@pytest.mark.parametrize(
    ("code", "provider"),
    [
        ("send.ip_blocklisted", None),
        ("send.ip_blocklisted", "office365"),
        ("send.ip_blocklisted", "gmail"),
        ("banner.rejected", None),
        ("connect.closed_before_greeting", None),
    ],
)
def test_a_refusal_for_the_sending_address_points_to_the_blocklist_page(
    in_app: None, code: str, provider: str | None
) -> None:
    """A rejection because of the sending address named a website (or nothing) to look it up: in the app, it
    now names page 9, where the Sending IP is looked up on the blocklists."""
    found = knowledge.finding(code, "554 5.7.1 listed", provider=provider, reply="554 5.7.1 listed", partial="")
    shown = finding_html(found)
    assert "smtpkit dnsbl IP" in found.fix
    assert "9. The receiving side" in shown and "with Sending IP: yours" in shown


def test_a_command_done_on_the_page_already_open_is_said_so_without_a_link(
    in_app: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Voilà gives a page's kernel its path (SCRIPT_NAME); a note naming that same page linked to it, and the
    link opened the page again in a new tab."""
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/05_spf_dkim_dmarc.ipynb")
    assert app_pages.current_page() == "05_spf_dkim_dmarc"
    html = finding_html(_finding("Make it: `smtpkit dkim keygen --domain d.test --selector s1`; `smtpkit check h`"))
    assert "[in this app: on this page, section “Make a DKIM key”, with Domain: d.test, Selector: s1]" in html
    assert (
        'href="05_spf_dkim_dmarc.ipynb' not in html and 'href="00_start_here.ipynb?fill=ServerForm&amp;Host=h#' in html
    )
    monkeypatch.setenv("SCRIPT_NAME", "/voila/render/sub%20dir/00_start_here.ipynb")
    assert app_pages.current_page() == "00_start_here"
    monkeypatch.delenv("SCRIPT_NAME")
    assert app_pages.current_page() == ""


def test_a_note_links_to_its_form_with_the_commands_values_at_its_heading(in_app: None) -> None:
    """The page opened at its top with the form empty: the reader scrolled to find it and typed again what the
    note said. The link now carries the values (not the placeholders, left to type) and the heading's id."""
    page, fields = app_pages.page_for("smtpkit ports mail.example.com --ports 587,2525")  # type: ignore[misc]
    link = app_pages.page_link(page, fields)
    assert link == (
        "01_connection.ipynb?fill=PortsForm&Host=mail.example.com&Ports=587%2C2525#Which-ports-work?-The-port-matrix"
    )
    page, fields = app_pages.page_for("smtpkit dnsbl IP")  # type: ignore[misc]
    # no value to give (the reader types theirs), but the form is named: it scrolls the page to itself
    assert app_pages.page_link(page, fields) == (
        "09_inbound_and_reputation.ipynb?fill=ReceivingForm#Your-domain's-receiving-side,-step-by-step"
    )
    page, fields = app_pages.page_for("smtpkit dkim keygen --domain d.test --selector <new selector>")  # type: ignore[misc]
    assert app_pages.page_link(page, fields) == "05_spf_dkim_dmarc.ipynb?fill=DkimKeyForm&Domain=d.test#Make-a-DKIM-key"
    page, fields = app_pages.page_for("smtpkit reports DIR")  # type: ignore[misc]
    assert app_pages.page_link(page, fields) == "08_dmarc_reports.ipynb?fill=ReportsForm#Your-own-reports"
    page, fields = app_pages.page_for("smtpkit bounce FILE")  # type: ignore[misc]
    assert app_pages.page_link(page, fields) == "07_message.ipynb#Your-own-evidence"  # its form fills no link


def test_the_values_of_a_link_are_read_for_its_form_only_and_with_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert app_pages.linked_values("PortsForm") is None
    monkeypatch.setenv("QUERY_STRING", "token=abc&fill=PortsForm&Host=mail.example.com&Port=2525")
    assert app_pages.linked_values("PortsForm") == {"Host": "mail.example.com", "Port": "2525"}
    assert app_pages.linked_values("ServerForm") is None and app_pages.linked_values("") is None
    monkeypatch.setenv("QUERY_STRING", "fill=PortsForm")
    assert app_pages.linked_values("PortsForm") == {}  # named, nothing to fill: the form still scrolls to itself
    monkeypatch.setenv("QUERY_STRING", "fill=PortsForm&Host=" + "a" * 501 + "&Port=1%0A2&Ports=25")
    assert app_pages.linked_values("PortsForm") == {"Ports": "25"}  # too long, or a line break: not taken
    monkeypatch.setenv("QUERY_STRING", "fill=PortsForm&" + "&".join(f"f{i}=v" for i in range(40)))
    assert app_pages.linked_values("PortsForm") is None  # not a link of ours
