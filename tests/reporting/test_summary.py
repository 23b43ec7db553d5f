"""The report summary: computed from the two reports, written by the kernel, read back by `smtpkit report`."""

from __future__ import annotations

from pathlib import Path

from smtpkit.knowledge.catalogue import finding
from smtpkit.model import Report, Status, Step
from smtpkit.reporting.summary import MAX_SUMMARY_BYTES, read_summary, summarize


def _server() -> Report:
    tls = Step("tls", Status.PASS, "TLS 1.3")
    tls.add(
        finding(
            "tls.cert.expired", "notAfter 2020-01-01", subject="mail.example.com", not_after="2020-01-01", days_ago="3"
        )
    )
    return Report(target={"host": "mail.example.com"}, steps=[Step("connect", Status.PASS, "ok"), tls])


def _domain() -> Report:
    spf = Step("spf", Status.PASS, "found", details={"record": "v=spf1 mx -all"})
    return Report(target={"domain": "example.com"}, steps=[spf])


def test_summary_names_the_verdict_every_step_and_the_failures_first() -> None:
    s = summarize(_server(), _domain(), server_target="mail.example.com:587 (starttls)", domain_target="example.com")
    assert s.verdict == "fail"
    assert [f.code for f in s.failures] == ["tls.cert.expired"]
    assert [(r["part"], r["step"]) for r in s.steps] == [("server", "connect"), ("server", "tls"), ("domain", "spf")]
    assert s.checked[0] == {"what": "mail server", "target": "mail.example.com:587 (starttls)", "status": "fail"}
    assert s.score.endswith("practices in place")
    text = s.to_text()
    assert "Fix these first" in text and "tls.cert.expired" in text and "FAIL" in text.splitlines()[0]


def test_summary_without_a_domain_or_failures() -> None:
    s = summarize(Report(target={}, steps=[Step("connect", Status.PASS, "ok")]), None)
    assert s.verdict == "pass" and not s.failures and [r["what"] for r in s.checked] == ["mail server"]
    assert "Nothing is broken and nothing warns" in s.to_text()  # it sent the reader looking for warnings
    tls = Step("tls", Status.WARN, "TLS 1.3")
    tls.add(
        finding("tls.cert.expiring_soon", "", subject="m", not_after="2030-01-01", days_left="9", host="m", port="587")
    )
    warned = summarize(Report(target={}, steps=[tls]), None)
    assert warned.verdict == "warn"
    # the warning itself, under "Fix these first": "see the warnings below" sent the reader through every step
    text = warned.to_text()
    assert "Nothing is broken. These warnings are worth fixing:" in text and "tls.cert.expiring_soon" in text
    assert [w.code for w in warned.warnings] == ["tls.cert.expiring_soon"]
    assert "tls.cert.expiring_soon" in warned.to_html()[warned.to_html().index("Fix these first") :]


def test_a_misaligned_domain_names_the_sending_service_not_the_dns() -> None:
    """The report's first lines sent the reader to edit DNS; the cure is the sender's bounce domain or DKIM."""
    from smtpkit.knowledge.actors import who_acts

    who, action = who_acts("dmarc.not_aligned", "dmarc", domain="example.com")
    assert who == "whoever runs the service that sends mail for example.com" and "Return-Path" in action


def test_written_summary_reads_back_the_same(tmp_path: Path) -> None:
    s = summarize(_server(), _domain(), server_target="m", domain_target="d")
    path = tmp_path / "summary.json"
    s.write(path)
    assert read_summary(path) == s


def test_a_missing_or_broken_summary_reads_as_none(tmp_path: Path) -> None:
    assert read_summary(tmp_path / "absent.json") is None
    for content in (b"{not json", b"[1, 2]", b'{"no": "verdict"}', b" " * (MAX_SUMMARY_BYTES + 1)):
        bad = tmp_path / "bad.json"
        bad.write_bytes(content)
        assert read_summary(bad) is None, content[:20]


def test_the_scorecard_gives_its_evidence_in_words() -> None:
    """The evidence column is read by whoever the report is sent to: "TLS failed: tls.cert.expired" was a code,
    and "no login tried: not run: the TLS handshake failed" said it twice."""
    from smtpkit.reporting.scorecard import scorecard

    tls = Step("tls", Status.FAIL, "certificate expired")
    tls.add(finding("tls.cert.expired", "", subject="m", not_after="2020-01-01", days_ago="3"))
    auth = Step("auth", Status.SKIP, "not run: the TLS handshake failed")
    rows = {p.practice: p.evidence for p in scorecard(Report(target={}, steps=[tls, auth]), None).rows}
    assert rows["Certificate healthy"] == "The server's certificate expired on 2020-01-01 (3 days ago)"
    assert rows["Encryption in use (TLS)"].startswith("TLS failed: The server's certificate expired")
    assert rows["Strong authentication"] == "no login tried: the TLS handshake failed"
