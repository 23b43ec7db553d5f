"""A report read by someone else: when, with what and from where it ran, three plain lines, every code explained.

The unit tests build the parts from small reports; the last test makes the
real thing (the 06_report notebook run headless against the practice lab and
exported) and reads it in Chromium as its recipient would, on screen and
printed.
"""

from __future__ import annotations

import base64
import datetime as _dt
import os
import re
from pathlib import Path
from typing import Any

import pytest

from smtpkit.knowledge.catalogue import finding, spec
from smtpkit.model import Finding, Report, Status, Step
from smtpkit.render.html import CSS, TOOL_NOTE
from smtpkit.reporting.glossary import generic, glossary
from smtpkit.reporting.header import headline, provenance, report_header
from smtpkit.reporting.summary import summarize

CHROMIUM = "/usr/bin/chromium"
CHECKED = _dt.datetime(2026, 6, 1, 12, 30, tzinfo=_dt.UTC)


def _expired() -> Finding:
    return finding(
        "tls.cert.expired",
        "notAfter 2026-05-22",
        subject="mail.example.com",
        not_after="2026-05-22 09:00 UTC",
        days_ago="10",
    )


def _server() -> Report:
    tls = Step("tls", Status.PASS, "TLS 1.3")
    tls.add(_expired())
    resolve = Step("resolve", Status.PASS, "1 address", details={"nameserver": "192.0.2.53:53"})
    return Report(target={"host": "mail.example.com"}, steps=[resolve, tls], checked_at=CHECKED)


def _domain(*findings: Any) -> Report:
    spf = Step("spf", Status.PASS, "found", details={"record": "v=spf1 mx -all"})
    spf.add(*findings)
    return Report(target={"domain": "example.com"}, steps=[spf], checked_at=CHECKED)


class _Settings:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def test_three_plain_lines_say_what_is_wrong_and_who_must_act() -> None:
    lines = headline(_server(), _domain(), host="mail.example.com", domain_name="example.com")
    assert lines == [
        "The mail server mail.example.com fails at the tls step; the sending domain example.com passes every check.",
        "The server's certificate expired on 2026-05-22 09:00 UTC (10 days ago); the administrator of"
        " mail.example.com must renew the certificate.",
        "Nothing else needs fixing: every other step passed.",
    ]
    many = _domain(
        finding("spf.plus_all", "v=spf1 +all", domain="example.com", term="+all", corrected="v=spf1 -all"),
        finding("spf.missing", "", domain="example.com", suggested="v=spf1 -all", detail=""),
        finding("spf.neutral_all", "", domain="example.com", term="?all", corrected="y"),
    )
    lines = headline(_server(), many, host="mail.example.com", domain_name="example.com")
    assert len(lines) == 3 and "whoever manages the DNS of example.com must" in lines[2]
    assert lines[2].endswith("more problems are listed below, each with what to do.")
    healthy = headline(Report(target={}, steps=[Step("tls", Status.PASS, "ok")]), None, host="m.example")
    assert healthy[0] == "The mail server m.example passes every check." and "Nothing needs fixing" in healthy[1]
    assert "noted" not in healthy[1]


def test_a_pass_names_its_notes() -> None:
    """A PASS above a row 'certificate not valid for its name' must not read as a verdict that missed it."""
    note = finding("mx.tls.cert_invalid", domain="example.com", mx="mx.example.com", details="hostname mismatch")
    mx_tls = Step("mx_tls", Status.PASS, "1 of 1 MX address accepts STARTTLS")
    mx_tls.add(note)
    domain = Report(target={"domain": "example.com"}, steps=[mx_tls], checked_at=CHECKED)
    lines = headline(None, domain, domain_name="example.com")
    assert lines[0] == "The sending domain example.com passes every check."
    assert lines[1].startswith("Nothing needs fixing")
    assert lines[1].endswith(
        "Also noted: “MX mx.example.com of example.com presents a certificate not valid for its name” (step mx_tls);"
        " its step below says more."
    )


def test_provenance_names_the_resolver_actually_asked_and_the_ca_store() -> None:
    p = provenance(_server(), _domain(), _Settings(nameservers=(), cafile=None), None)
    rows = p.rows()
    assert rows["checked on"] == "2026-06-01 at 12:30 UTC" and rows["made with"].startswith("smtpkit ")
    assert rows["DNS resolver used"] == "192.0.2.53:53" and rows["checked from (host name)"]
    assert rows["certificates trusted"].startswith("this machine's system store")
    lab = provenance(
        None, _domain(), None, _Settings(nameservers=("127.0.0.1:5353",), cafile="/x/ca.pem"), practice_lab=True
    )
    assert lab.resolver == "127.0.0.1:5353 (the practice lab's DNS server)"
    assert lab.ca_store == "the CA file /x/ca.pem (the practice lab's own CA)"
    header = report_header(
        _server(),
        _domain(),
        _Settings(host="mail.example.com", port=587, username="me"),
        _Settings(domain="example.com"),
    )
    page = header.to_html()
    assert header.verdict == "fail" and "In short" in page and "the mail server mail.example.com port 587" in page
    assert "In short: FAIL" in header.to_text()


def test_every_code_is_explained_with_the_catalogue_text() -> None:
    g = glossary([_server(), _domain(finding("dnsbl.not_public", "", ip="127.0.0.1", kind="loopback"))])
    assert g.codes() == ["tls.cert.expired", "dnsbl.not_public"]
    expired = spec("tls.cert.expired")
    assert generic(expired.explanation) in g.entries[0].explanation
    assert "‹not after›" in g.entries[0].title and "{" not in g.entries[0].title
    page = g.to_html()
    assert 'id="code-tls.cert.expired"' in page and "RFC 5280" in page
    assert generic("{{literal}} and {name} and {a_b:>5}") == "{literal} and ‹name› and ‹a b›"


def test_a_placeholder_that_is_a_whole_sentence_is_left_out_of_the_codes_table() -> None:
    # "... using ‹cipher›. ‹verdict›" read as a form never filled in: the finding above says that sentence
    assert generic("Encrypted with {version} using {cipher}. {verdict}") == "Encrypted with ‹version› using ‹cipher›."
    assert generic("{message}. One bad term breaks it. {hint}") == "One bad term breaks it."
    assert generic("Cannot use it: {problem}. {consequence}") == "Cannot use it: ‹problem›."
    assert generic("{address} refused port {port}.") == "‹address› refused port ‹port›."  # a word, not a sentence
    g = glossary([_domain(finding("tls.info.version", "", version="TLSv1.3", cipher="X", verdict="Current."))])
    assert g.entries[0].explanation == "The connection is encrypted with ‹version› using ‹cipher›."


def test_fixes_are_prose_without_backticks_and_name_the_tool_they_need() -> None:
    summary = summarize(_server(), None, server_target="mail.example.com:587")
    page = summary.to_html()
    fixes = page[page.index("Fix these first") :]
    assert "`" not in fixes and "<code>certbot renew</code>" in fixes
    no_tool = summarize(_server(), None).to_html()
    assert TOOL_NOTE not in no_tool  # the expired-certificate fix names no smtpkit command
    ports = finding("connect.refused", "refused", host="mail.example.com", port=587, address="192.0.2.1", port_hint="")
    server = Report(target={}, steps=[Step("connect", Status.FAIL, "refused")])
    server.steps[0].add(ports)
    page = summarize(server, None).to_html()
    assert (
        '<code class="smtpkit-cmd">smtpkit ports mail.example.com</code><sup' in page and "pip install smtpkit" in page
    )


def test_words_are_never_broken_mid_word() -> None:
    assert "break-all" not in CSS and "overflow-wrap:anywhere" in CSS
    assert "details::details-content" in CSS  # printed, closed details open


# -- the exported report, read in a browser ----------------------------------------------------------------------


def _need_browser() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"reading the exported report needs Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="reading the exported report needs Playwright for Python")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Any:
    _need_browser()
    from smtpkit.lab import Lab
    from smtpkit.reporting import execute_notebook, notebook_path, write_html

    base = tmp_path_factory.mktemp("recipient")
    lab = Lab()
    lab.start()
    try:
        state = lab.write_state(base / "state.json")
        run = execute_notebook(
            notebook_path("06_report"),
            {"scenario": "expired_cert", "timeout": 5.0},
            env={"SMTPKIT_LAB_STATE": str(state)},
        )
        assert run.ok, [str(e) for e in run.errors]
        out = write_html(run.notebook, base / "report.html")
        yield out, lab.info.password.reveal()
    finally:
        lab.stop()


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_the_exported_report_reads_well_for_its_recipient_on_screen_and_printed(exported: Any, browser: Any) -> None:
    """In the session's shared Chromium (tests/support/browser.py): a second Playwright would find the first one's
    event loop running in this thread."""
    from smtpkit import __version__
    from smtpkit.reporting import external_resources

    path, password = exported
    html = Path(path).read_text(encoding="utf-8")
    # no secret in any form, nothing fetched from elsewhere, nothing aimed at the sender
    for form in (password, base64.b64encode(password.encode()).decode()):
        assert form not in html
    assert external_resources(html) == []
    assert "--password-env SMTP_PW" not in html and "smtpkit findings" not in html
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    try:
        page.goto(Path(path).as_uri())
        text = page.inner_text("body")
        # the header: when, with what, from where; and three plain lines
        header = page.locator(".smtpkit-header")
        for field in (
            "checked on",
            "made with",
            "checked from (host name)",
            "DNS resolver used",
            "certificates trusted",
        ):
            assert field in header.inner_text(), field
        assert f"smtpkit {__version__}" in header.inner_text()
        assert re.search(r"\d{4}-\d\d-\d\d at \d\d:\d\d UTC", header.inner_text())
        lines = header.locator("ol.smtpkit-headline > li").all_inner_texts()
        assert len(lines) == 3 and "must renew the certificate" in lines[1]
        # words wrap between words: nothing a person reads is set to break every word at the edge
        broken = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.innerText && e.innerText.trim()"
            " && getComputedStyle(e).wordBreak === 'break-all').map(e => e.tagName + '.' + e.className)"
        )
        assert broken == []
        # fixes read as prose: no Markdown backticks anywhere a person reads
        assert "`" not in text
        # every code is explained inside the report, with the catalogue's text
        explained = generic(spec("tls.cert.expired").explanation)
        assert page.locator("#code-tls\\.cert\\.expired").inner_text().count(explained[:60]) == 1
        # the pictures are there, with their words beside them
        assert page.locator("figure svg").count() >= 3
        assert "The steps at a glance" in text and "Certificate of mail.smtpkit.test" in text
        # printed: closed details are open
        closed = page.locator("details:not([open]) table").first
        assert not closed.is_visible()
        page.emulate_media(media="print")
        assert closed.is_visible()
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    finally:
        page.close()


def test_the_codes_table_gives_a_code_the_severity_the_report_gave_it() -> None:
    """dmarc.not_aligned warns where DKIM can still carry DMARC: the catalogue's FAIL there read as broken."""
    warned = finding("dmarc.not_aligned", "", severity="warn", identifier="SPF MAIL FROM", identifier_domain="m")
    g = glossary([_domain(warned)])
    assert g.entries[0].severity == "warn"
    failed = finding("dmarc.not_aligned", "", identifier="DKIM d=", identifier_domain="x")
    assert glossary([_domain(warned, failed)]).entries[0].severity == "fail"  # the worse of the two
