"""Notebook 09's form: a domain's receiving side (MX over TLS, MTA-STS, DANE, TLS-RPT) and the sending IP's
blocklists, checked with Run in the practice lab or for your own domain (asked of the DNS server typed: the lab's
here, never this computer's own resolver in a test)."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from smtpkit.lab.receiving import INBOUND_STEPS, REPUTATION_STEPS
from smtpkit.ui import ReceivingForm


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def _steps(form: ReceivingForm) -> list[str]:
    return [s.name for s in form.last_result.steps]


def test_the_lab_default_is_a_healthy_receiving_side_with_its_mx_probed(lab: Any, shell: Any) -> None:
    form = ReceivingForm(lab)
    assert form.in_lab and form.domain.value == "sts-enforce.test" and form.probe.value
    assert form.zone.options[0][1] == "sts-enforce.test" == form.zone.value  # the receiving lessons first
    assert form.fields.boxes["selectors"].layout.display == "none"  # DKIM is about sending
    with capture_output() as cap:
        form.run()
    assert form.last_settings.probe_mx
    assert _steps(form) == [*INBOUND_STEPS, *REPUTATION_STEPS]  # the lab's IP: its reverse DNS and blocklists
    assert form.last_result.verdict == "pass"
    text = cap.outputs[0].data["text/plain"]
    assert "Receiving side of sts-enforce.test" in text and "the receiving side" in text
    assert "spf" not in _steps(form) and "dmarc" not in _steps(form)
    # the live strip draws the steps the result shows (it drew SPF, DKIM and DMARC as passed, never shown)
    assert "mta_sts" in form.live.widget.value and "spf" not in form.live.widget.value
    # in the result's order: the strip listed mta_sts before mx_tls, the table after
    assert form._plan(form.last_settings) == tuple(_steps(form))
    assert "MX connections: each MX on port" in text


def test_a_lesson_shows_its_finding_and_unticking_the_box_connects_to_no_mx(lab: Any) -> None:
    form = ReceivingForm(lab)
    form.domain.value = "sts-nocover.test"
    form.click(60)
    assert "mta_sts.mx_not_covered" in form.last_result.codes()
    form.domain.value = "mxtls-nostarttls.test"
    form.click(60)
    assert "mx.tls.no_starttls" in form.last_result.codes()
    form.probe.value = False
    form.click(60)
    assert not form.last_settings.probe_mx
    assert "mx_tls" not in _steps(form) and "mx.tls.no_starttls" not in form.last_result.codes()
    said = form.last_shown.to_text()  # the box, not a healthy MX, is why the lesson is missing
    assert "MX connections: none: “Connect to each MX” is unticked" in said
    assert "the settings were changed (Connect to each MX)" in said


def test_your_own_domain_is_asked_of_the_dns_server_typed_and_unanswered_is_could_not_check(lab: Any) -> None:
    form = ReceivingForm(lab)
    form.domain.value = "mail.example"  # not a lab domain: the form switches to "My domain"
    assert not form.in_lab and form.ip.value == "" and form.nameserver.value == ""
    assert "MX hosts reached from this computer" in form.hint.value and "DKIM" not in form.hint.value
    form.nameserver.value = "127.0.0.1:9"  # nothing answers there (the discard port, closed)
    form.timeout.value = "3"
    form.probe.value = False
    form.click(60)
    report = form.last_result
    assert report.verdict != "fail", report.codes()  # could not check is never a failure of the domain
    assert "mx.lookup_failed" in report.codes()
    assert _steps(form)[0] == "mx" and "ptr" not in _steps(form)  # no IP typed: no reverse DNS, no blocklists


def test_bad_fields_are_marked_and_nothing_runs(lab: Any) -> None:
    form = ReceivingForm(lab)
    form.domain.value = ""
    form.click(10)
    assert form.last_result is None
    assert "the domain you receive mail at" in form.fields.marked["domain"]
    assert "Nothing was run" in form.status.value
    form.domain.value = "sts-enforce.test"
    form.ip.value = "300.1.2.3"
    form.click(10)
    assert "ip" in form.fields.marked and form.last_result is None


def test_the_probe_box_sits_with_the_fields_above_run(lab: Any) -> None:
    form = ReceivingForm(lab)
    children = list(form.box.children)
    assert children.index(form.probe) == children.index(form.fields.boxes["timeout"]) + 1
    assert children.index(form.probe) < children.index(form.limit_line)
    assert "port 25" in form.probe.description


def test_the_lab_domains_side_by_side_are_indexed_by_domain_and_a_missing_report_record_warns(lab: Any) -> None:
    """Notebook 09's table under the form: one row per domain, the domain as its index (a 0, 1, 2 index beside a
    domain column read as a raw table in the app); tlsrpt-missing.test's tlsrpt step warns (it read 'pass')."""
    from smtpkit.lab import receiving

    table = receiving.compare(lab, ["sts-enforce.test", "tlsrpt-missing.test", "sts-testing.test"], probe_mx=False)
    assert table.index.name == "domain" and list(table.index)[:2] == ["sts-enforce.test", "tlsrpt-missing.test"]
    assert table.loc["tlsrpt-missing.test", "tlsrpt"] == "warn" and table.loc["sts-enforce.test", "tlsrpt"] == "pass"
    assert table.loc["tlsrpt-missing.test", "findings"] == "tlsrpt.missing"
    # a note is no problem: sts-testing.test's passing row listed its mode's information finding beside "pass"
    assert table.loc["sts-testing.test", "verdict"] == "pass" and table.loc["sts-testing.test", "findings"] == "none"


def test_the_lab_domain_menu_offers_what_this_page_shows_and_another_pages_lesson_is_said_where(lab: Any) -> None:
    """Chosen here, spf-plus-all.test, dmarc-pct.test and dkim-short.test promised their lesson and then said
    "did not appear: the lab server did not behave as its scenario says; please report it": their findings are
    about sending, which this page leaves out. The menu now offers the domains whose lesson this page shows;
    one typed says where its lesson is."""
    from smtpkit.lab.lessons import domain_lesson

    form = ReceivingForm(lab)
    offered = [zone for _label, zone in form.zone.options]
    assert offered[0] == "sts-enforce.test" and "mxtls-partial.test" in offered and "dnsbl.test" in offered
    for sending in ("spf-plus-all.test", "dmarc-pct.test", "dkim-short.test", "dmarc-np.test"):
        assert sending not in offered, sending
    for helper in ("dkim-tenant.test", "dmarc-rollout.test", "mailhost.test", "spf-relay.test"):
        assert helper not in offered, helper  # no lesson here: one said "a healthy domain" above a FAIL
    assert f"the Lab domain menu lists the {len(offered)} whose lesson this page shows" in form.hint.value
    assert all(not domain_lesson(lab, z).expect or form._teaches_here(domain_lesson(lab, z)) for z in offered)
    form.domain.value = "spf-plus-all.test"  # typed: still the lab's, its lesson said to be notebook 05's
    assert form.in_lab and form.zone.value == "spf-plus-all.test"  # the menu says it, not a blank line
    assert form.zone.label == "spf-plus-all.test: typed; its lesson is not on this page (see the hint)"
    assert len(form.zone.options) == len(offered) + 1
    assert f"the Lab domain menu lists the {len(offered)} whose lesson this page shows" in form.hint.value
    assert "is about sending mail: the Domain check of notebook 05 shows it" in form.hint.value
    assert "Run it" not in form.hint.value
    form.click(60)
    said = form.last_shown.to_text()
    assert "Lesson: “'+all' lets the whole internet send as spf-plus-all.test” (spf.plus_all), about sending" in said
    assert "did not appear" not in said and "please report" not in said
    form.zone.value = "mxtls-partial.test"  # the menu again: its lesson, and the lab's port said as such
    assert [zone for _label, zone in form.zone.options] == offered  # the typed line goes with another choice
    form.click(60)
    said = form.last_shown.to_text()
    assert "mx.tls.unreachable" in form.last_result.codes() and "Note:" not in said
    assert f"{form.last_settings.mx_port} is the lab's stand-in for port 25" in said
    form.mode.value = "own"
    form.mode.value = "lab"  # back to the lab domain the person had (a look at My domain lost it)
    assert form.domain.value == "mxtls-partial.test" == form.zone.value
    fresh = ReceivingForm(lab, domain="example.com")  # never in the lab: this page's own lab domain
    fresh.mode.value = "lab"
    assert fresh.domain.value == "sts-enforce.test" == fresh.zone.value  # not the domain check's smtpkit.test
    fresh.mode.value = "own"  # and back: the domain of your own typed before, not an empty field
    assert fresh.domain.value == "example.com"


def test_a_lab_domain_with_nothing_to_teach_is_said_as_its_zone_says_it(lab: Any) -> None:
    """dmarc-rollout.test typed on this page read "Lesson: a healthy domain" above a WARN (its MX is at an
    example address, not probed): the Lesson line now says what the domain is for."""
    form = ReceivingForm(lab)
    form.domain.value = "dmarc-rollout.test"
    form.click(60)
    said = form.last_shown.to_text()
    assert "Lesson: p=none while reading a month of aggregate reports (smtpkit reports; notebook 08)" in said, said
    assert "a healthy domain" not in said
    assert "mx.tls.private_address" in form.last_result.codes()
