"""Findings from the lab's month of reports: each failing sender with its fix, forwarding, spoofing, policy, TLS.

The senders are named through the lab's DNS server (reverse DNS of
documentation addresses), so this is the path a user takes, on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import smtpkit.reports as reports
from smtpkit.errors import InvalidSettings
from smtpkit.lab import reports as lab_reports
from smtpkit.model import Severity

D = lab_reports.DOMAIN


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("month")
    lab_reports.write_month(folder)
    return folder


@pytest.fixture(scope="module")
def rs(month: Path, lab_dns) -> reports.ReportSet:  # type: ignore[no-untyped-def]
    from smtpkit.net.dns import Resolver

    return reports.load(month, resolver=Resolver(nameservers=[lab_dns.nameserver], timeout=2.0))


def by_title(report, code: str) -> list:  # type: ignore[no-untyped-def]
    return [f for f in report.findings if f.code == code]


def test_senders_are_named_and_sorted_into_categories(rs: reports.ReportSet) -> None:
    cats = dict(zip(rs.senders["sender"], rs.senders["category"]))
    assert cats[f"{D} (your own servers)"] == "passing"
    assert cats["Google Workspace / Gmail"] == "passing"
    for name in ("Amazon SES", "Twilio SendGrid", "Salesforce", "Mailgun", "Zendesk"):
        assert cats[name] == "legitimate", name
    assert cats["Pobox"] == "forwarder"  # a forwarding service (the map says so)
    assert cats["hobby-club.test"] == "forwarder"  # a mailing list (the receivers say so)
    assert cats["unknown (no reverse DNS)"] == "unknown"
    assert cats["cheap-isp.test"] == "unknown"
    ses = rs.senders.set_index("sender").loc["Amazon SES"]
    assert (ses["ips"], ses["identified_by"], ses["pass_rate"]) == (2, "reverse DNS", 0.0)
    assert ses["spf_include"] == "include:amazonses.com" and ses["failure"] == "dkim_not_aligned; spf_not_aligned"
    # every record carries its sender, and the per-sender sums are the records' sums
    sums = rs.records.groupby(rs.records["sender"].astype(object))["count"].sum()
    assert sums.to_dict() == dict(zip(rs.senders["sender"], rs.senders["messages"]))


def test_each_failing_sender_gets_the_finding_for_its_failure(rs: reports.ReportSet) -> None:
    report = rs.check()
    expected = {
        "reports.sender_dkim_not_aligned": "Amazon SES",
        "reports.sender_no_dkim": "Twilio SendGrid",
        "reports.sender_spf_fail": "Salesforce",
        "reports.sender_dkim_fail": "Mailgun",
        "reports.sender_spf_not_aligned": "Zendesk",
    }
    for code, sender in expected.items():
        (f,) = by_title(report, code)
        assert f.title.startswith(sender) or sender in f.title, f.title
        assert f.severity is Severity.FAIL
        messages = int(rs.senders.set_index("sender").loc[sender, "messages"])
        assert f"{messages} messages" in f.explanation
    (spf,) = by_title(report, "reports.sender_spf_fail")
    assert "include:_spf.salesforce.com" in spf.fix and "198.51.100.204" in spf.explanation
    (ses,) = by_title(report, "reports.sender_dkim_not_aligned")
    assert "d=amazonses.com" in ses.explanation and "docs.aws.amazon.com" in ses.fix
    assert "198.51.100.201" in ses.evidence


def test_forwarding_and_spoofing_are_named_not_blamed(rs: reports.ReportSet) -> None:
    report = rs.check()
    (fwd,) = by_title(report, "reports.forwarding")
    failing = rs.records[rs.records["sender"].isin(["Pobox", "hobby-club.test"]) & ~rs.records["dmarc_pass"]]
    assert fwd.title.startswith(f"{int(failing['count'].sum())} forwarded")
    assert "mailing_list" in fwd.explanation and fwd.severity is Severity.INFO
    (spoof,) = by_title(report, "reports.spoofing")
    assert spoof.severity is Severity.WARN  # p=none lets them through
    assert "4 unknown sources" in spoof.title and "p=none" in spoof.explanation
    assert not any(f.code.startswith("reports.sender_") and "unknown" in f.title for f in report.findings)


def test_policy_simulation_and_next_step(rs: reports.ReportSet) -> None:
    sim = rs.simulate(domain=D).set_index("policy")
    recs = rs.for_domain(D)
    cats = dict(zip(rs.senders["sender"], rs.senders["category"]))
    category = recs["sender"].astype(object).map(cats)
    failing = ~recs["dmarc_pass"]
    legit = int(recs.loc[failing & category.isin(["passing", "legitimate"]), "count"].sum())
    unknown = int(recs.loc[failing & (category == "unknown"), "count"].sum())
    reject = sim.loc["p=reject"]
    assert (reject["legitimate_lost"], reject["unknown_stopped"], reject["effect"]) == (legit, unknown, "refused")
    assert sim.loc["p=none (published now)", "affected"] == 0
    assert sim.loc["p=quarantine; pct=25", "affected"] == round(int(recs.loc[failing, "count"].sum()) * 0.25)
    report = rs.check()
    (not_ready,) = by_title(report, "reports.policy_not_ready")
    assert not_ready.title == f"{D}: p=quarantine would lose {legit} legitimate messages"
    assert "Amazon SES" in not_ready.explanation
    (enforced,) = [f for f in by_title(report, "reports.policy_next_step") if lab_reports.ENFORCED_DOMAIN in f.title]
    assert "p=reject, enforced" in enforced.title
    rec = rs.recommend(lab_reports.ENFORCED_DOMAIN)
    assert (rec.current, rec.next, rec.days, rec.reporters) == ("p=reject", "p=reject", 30, 2)


def test_tls_rpt_failures_become_one_finding_per_kind(rs: reports.ReportSet) -> None:
    report = rs.check()
    codes = {f.code: f for f in report.findings if f.step == "tls-rpt"}
    assert set(codes) == {
        "reports.tls_starttls",
        "reports.tls_certificate",
        "reports.tls_sts_policy",
        "reports.tls_dane",
        "reports.tls_validation",
    }
    f = rs.tls_failures
    expired = int(f.loc[f["result_type"] == "certificate-expired", "failed_sessions"].sum())
    assert codes["reports.tls_certificate"].title.startswith(f"{expired} deliveries")
    assert f"mx2.{D}" in codes["reports.tls_starttls"].explanation
    assert "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY" in codes["reports.tls_validation"].explanation


def test_broken_and_duplicate_files_are_reported(rs: reports.ReportSet) -> None:
    report = rs.check()
    (bad,) = by_title(report, "reports.unreadable")
    assert bad.title == "Report files or parts that could not be read: 1" and "broken-" in bad.evidence
    assert report.verdict == "fail"


def test_charts_say_the_same_in_words(rs: reports.ReportSet) -> None:
    charts = rs.charts()
    assert [c.title for c in charts] == [
        "Daily volume by DMARC result",
        "DMARC pass rate per sender",
        "Senders by authentication result",
        "TLS-RPT failures over time",
    ]
    for chart in charts:
        assert chart.svg.startswith("<svg") and chart.sentence and chart.rows
        html = chart.to_html()
        assert "<figure" in html and "<script" not in html
        assert chart.sentence.split()[0] in chart.to_text()
    daily = charts[0]
    total = int(rs.records["count"].sum())
    assert abs(sum(r["pass"] + r["fail"] for r in daily.rows) - total) <= len(daily.rows)  # rounding per day
    assert f"count {total} messages" in daily.sentence
    assert f"{30} days" in daily.sentence


def test_offline_names_senders_from_their_signing_domains(month: Path) -> None:
    rs = reports.load(month, offline=True)
    named = rs.senders.set_index("sender")
    assert named.loc["Amazon SES", "identified_by"] == "signing or bounce domain amazonses.com"
    assert named.loc["Twilio SendGrid", "category"] == "legitimate"
    assert rs.summary()["reverse_dns"] == "skipped (offline)"


def test_domain_and_since_filters(month: Path) -> None:
    rs = reports.load(month, offline=True, domain=lab_reports.ENFORCED_DOMAIN, since="2026-03-20")
    assert set(rs.records["policy_domain"].astype(str)) == {lab_reports.ENFORCED_DOMAIN}
    assert rs.records["end"].min() >= pd.Timestamp("2026-03-20", tz="UTC")
    assert rs.tls.empty  # TLS-RPT reports are about the other domain
    with pytest.raises(InvalidSettings, match="domain"):
        reports.load(month, offline=True, domain="not a domain")
    with pytest.raises(InvalidSettings, match="year-month-day") as refused:
        reports.load(month, offline=True, since="last tuesday")
    assert refused.value.field == "since"
    # a date that reads two ways is refused, not guessed (pandas read 03/04/2026 as 4 March)
    with pytest.raises(InvalidSettings, match="3 April or 4 March"):
        reports.load(month, offline=True, since="03/04/2026")


def test_a_sender_map_of_your_own(month: Path, tmp_path: Path, resolver) -> None:  # type: ignore[no-untyped-def]
    from smtpkit.reports.senders import SenderMap

    mine = tmp_path / "mine.csv"
    mine.write_text("domain,name,type\ncheap-isp.test,Our branch office relay,hosting\n", encoding="utf-8")
    rs = reports.load(month, resolver=resolver, sender_map=mine)
    relay = rs.senders.set_index("sender").loc["Our branch office relay"]
    assert (relay["type"], relay["category"], relay["identified_by"]) == ("hosting", "legitimate", "reverse DNS")

    smap = SenderMap.bundled().merged(SenderMap.from_csv(mine))
    assert smap.match("host-203-0-113-230.dyn.cheap-isp.test").name == "Our branch office relay"  # type: ignore[union-attr]
    assert smap.match("a1.smtp-out.amazonses.com").name == "Amazon SES"  # type: ignore[union-attr]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,type\nx,y\n", encoding="utf-8")
    with pytest.raises(InvalidSettings, match="domain"):
        SenderMap.from_csv(bad)


def test_nothing_found(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a report\n", encoding="utf-8")
    report = reports.load(tmp_path, offline=True).check()
    (f,) = by_title(report, "reports.none_found")
    assert report.verdict == "warn" and f.severity is Severity.WARN


def test_html_view_escapes_what_reports_say(tmp_path: Path) -> None:
    evil = lab_reports.synthetic_report(2, seed=2).replace(
        b"<org_name>Receiver One Mail</org_name>", b"<org_name>&lt;script&gt;alert(1)&lt;/script&gt;</org_name>"
    )
    (tmp_path / "evil.xml").write_bytes(evil)
    rs = reports.load(tmp_path, offline=True)
    assert rs.records["org_name"].iloc[0] == "<script>alert(1)</script>"
    page = rs.to_html() + rs.check().to_html()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
