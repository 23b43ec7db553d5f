"""The one-call views the notebooks use, and the best-practices scorecard.

Views are run against the practice lab (real servers and DNS on loopback);
the scorecard's rules are checked on hand-made steps, one practice at a time.
"""

from __future__ import annotations

import pandas as pd
import pytest

from smtpkit.model import Report, Status, Step
from smtpkit.render.panel import html_of, text_of
from smtpkit.reporting.scorecard import scorecard
from smtpkit.ui import (
    Panel,
    ReportView,
    compare_domains,
    compare_scenarios,
    dkim_key_view,
    lab_mailbox,
    lab_overview,
    lab_signed_sample,
    presets_table,
    run_report,
    spf_reading,
    spf_trace,
    verify_eml,
)

HOSTILE = "<script>alert(1)</script>"


# -- display ---------------------------------------------------------------------------------
def test_panel_escapes_every_kind_of_part():
    frame = pd.DataFrame([{"reply": HOSTILE, "status": "fail"}])
    panel = Panel(
        HOSTILE,
        [(HOSTILE, HOSTILE), ("rows", [{"x": HOSTILE}]), ("map", {"k": HOSTILE}), ("frame", frame)],
        status="warn",
    )
    html = panel._repr_html_()
    assert "<script>alert" not in html and html.count("&lt;script&gt;") >= 5
    text = panel.to_text()
    assert "WARN" in text and "FAIL" not in text.split("\n")[0]
    assert "fail" in text_of(frame)


def test_report_view_puts_problems_first_and_opens_focused_steps():
    step = Step("tls", Status.FAIL, "handshake failed")
    other = Step("auth", Status.SKIP, "not run")
    report = Report(target={"host": "x"}, steps=[step, other])
    html = ReportView(report, focus=("tls",))._repr_html_()
    assert "<details open><summary>" in html and "FAIL" in html
    assert "auth" in html  # skipped steps still appear in the summary table
    assert html_of(report) == ReportView(report)._repr_html_()


# -- lab views ---------------------------------------------------------------------------------
def test_lab_overview_lists_every_scenario_with_its_lesson(lab):
    panel = lab_overview(lab)
    html = panel._repr_html_()
    for ep in lab.smtp:
        assert ep.name in html
    assert "tls.cert.expired" in html
    assert lab.password.reveal() not in html + panel.to_text()
    assert "kept in memory, never shown" in html and "a Secret" not in html  # the type's name meant nothing


def test_presets_table_has_the_big_providers():
    text = presets_table().to_text()
    for name in ("Gmail", "Microsoft 365", "Amazon SES", "SendGrid", "Mailgun"):
        assert name in text
    assert "App Password" in text or "app password" in text.lower()
    only = presets_table(["gmail"]).to_text()
    assert "Gmail" in only and "SendGrid" not in only


def test_compare_scenarios_explains_each_failure(lab):
    panel = compare_scenarios(lab, ["expired_cert", "self_signed", "no_such_scenario"], timeout=3)
    summary = panel.parts[0][1]
    assert [r["scenario"] for r in summary] == ["expired_cert", "self_signed"]
    assert "tls.cert.expired" in summary[0]["findings"] and summary[0]["status"] == "fail"
    html = panel._repr_html_()
    assert "What happened and why" in html and "Fix:" in html
    assert "no_such_scenario" in panel.to_text()  # listed as not available, not a crash


def test_wrong_mode_is_named(lab):
    panel = compare_scenarios(lab, ["submission"], security="tls", timeout=2)
    assert panel.parts[0][1][0]["findings"].startswith("tls.wrong_mode")


def test_compare_domains(lab):
    panel = compare_domains(lab, ["spf-plus-all.test", "dmarc-none.test"], timeout=3)
    rows = panel.parts[0][1]
    assert "spf.plus_all" in rows[0]["findings"]
    assert "dmarc.policy_none" in rows[1]["findings"]


def test_spf_trace_and_reading(lab):
    panel = spf_trace(lab, lab.domain, "127.0.0.1")
    assert panel.status == "pass"
    assert "127.0.0.0/8" in panel.to_text()
    outside = spf_trace(lab, lab.domain, "192.0.2.10")
    assert outside.status == "fail"
    reading = spf_reading("v=spf1 include:_spf.google.com ~all", "example.com")
    assert "_spf.google.com" in reading.to_text()
    broken = spf_reading("v=spf1 ip4:300.1.1.1 -all")
    assert broken.status == "fail"


def test_verify_eml_passes_the_lab_sample_and_fails_a_tampered_copy(lab):
    sample = lab_signed_sample()
    ok = verify_eml(sample, lab)
    assert ok.status == "pass"
    assert "DMARC alignment" in ok.to_text()
    tampered = sample.replace(b"signed by the practice lab", b"signed by somebody else!!")
    bad = verify_eml(tampered, lab)
    assert bad.status == "fail"
    assert "DIFFERS" in bad.to_text()
    garbage = verify_eml(b"\x00\x01 not a message", lab)
    assert garbage.status == "warn" and "not an e-mail message" in garbage.title  # could not check, not a fail
    assert "DKIM signature d=  smtpkit.test" in ok.to_text() and "<svg" in ok.to_html()  # the alignment picture


def test_dkim_key_view_never_shows_the_private_key():
    import smtpkit

    key = smtpkit.dkim.generate("example.com", "s2026")
    panel = dkim_key_view(key)
    text, html = panel.to_text(), panel._repr_html_()
    assert "s2026._domainkey.example.com" in text and "v=DKIM1" in text
    private_b64 = b"".join(key.private_key.splitlines()[1:-1]).decode()[:40]
    assert private_b64 not in text and private_b64 not in html


def test_lab_mailbox_shows_a_real_send(lab):
    from smtpkit.ui import lab_server_settings

    before = len(lab.messages("submission"))
    report = lab_server_settings(lab, "submission", send=True, timeout=5).diagnose()
    assert report.verdict != "fail", report.to_text()
    panel = lab_mailbox(lab)
    assert len(lab.messages("submission")) == before + 1
    assert f"{before + 1} message{'' if before == 0 else 's'} arrived" in panel.to_text()


def test_run_report_on_the_lab(lab):
    full = run_report(lab, scenario="expired_cert", timeout=5)
    assert full.verdict == "fail"
    summary = full.summary
    assert summary.verdict == "fail"
    assert ["tls.cert.expired"] == [f.code for f in summary.failures if f.code.startswith("tls")]
    assert "Fix these first" in summary.to_text()
    assert full.domain_view.verdict == "pass"
    rows = {r.practice: r.status for r in full.scorecard.rows}
    assert rows["Certificate healthy"] == "fail"
    assert rows["SPF in place and enforcing"] == "pass"


# -- the scorecard's rules ----------------------------------------------------------------------
def _domain(spf_record: str | None, dmarc_record: str | None, ptr_ok: bool | None = True) -> Report:
    steps = [
        Step(
            "spf",
            Status.PASS if spf_record else Status.FAIL,
            "spf",
            details={"record": spf_record} if spf_record else {},
        ),
        Step("dkim", Status.PASS, "1 usable DKIM key"),
        Step(
            "dmarc",
            Status.PASS if dmarc_record else Status.FAIL,
            "dmarc",
            details={"record": dmarc_record} if dmarc_record else {},
        ),
    ]
    if ptr_ok is not None:
        steps.append(
            Step(
                "ptr",
                Status.PASS if ptr_ok else Status.FAIL,
                "ptr",
                details={"ip": "192.0.2.1", "forward-confirmed": ptr_ok, "PTR names": "mail.example.com"},
            )
        )
    return Report(target={"domain": "example.com"}, steps=steps)


@pytest.mark.parametrize(
    "spf_record, expected",
    [
        ("v=spf1 mx -all", "pass"),
        ("v=spf1 mx ~all", "warn"),
        ("v=spf1 mx ?all", "fail"),
        ("v=spf1 +all", "fail"),
        ("v=spf1 mx", "fail"),
        (None, "fail"),
    ],
)
def test_scorecard_spf(spf_record, expected):
    row = next(
        r for r in scorecard(None, _domain(spf_record, "v=DMARC1; p=reject")).rows if r.practice.startswith("SPF")
    )
    assert row.status == expected


@pytest.mark.parametrize(
    "dmarc_record, expected",
    [
        ("v=DMARC1; p=reject", "pass"),
        ("v=DMARC1; p=quarantine; pct=100", "pass"),
        ("v=DMARC1; p=none; rua=mailto:a@example.com", "warn"),
        (None, "fail"),
    ],
)
def test_scorecard_dmarc(dmarc_record, expected):
    row = next(r for r in scorecard(None, _domain("v=spf1 -all", dmarc_record)).rows if r.practice.startswith("DMARC"))
    assert row.status == expected


def test_scorecard_without_reports_skips_instead_of_guessing():
    card = scorecard(None, None)
    assert {r.status for r in card.rows} == {"skip"}
    assert card.score == "0 of 0 practices in place"
    ptr_missing = scorecard(None, _domain("v=spf1 -all", "v=DMARC1; p=reject", ptr_ok=None))
    assert next(r for r in ptr_missing.rows if r.practice.startswith("Reverse")).status == "skip"
    ptr_bad = scorecard(None, _domain("v=spf1 -all", "v=DMARC1; p=reject", ptr_ok=False))
    assert next(r for r in ptr_bad.rows if r.practice.startswith("Reverse")).status == "fail"
    assert "FAIL" in ptr_bad.to_text()
