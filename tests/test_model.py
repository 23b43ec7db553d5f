"""The result model and its views: JSON shape, verdict rule, escaping, redaction."""

from __future__ import annotations

import json

import pytest

from smtpkit.model import Finding, Report, Severity, Status, Step, Transcript, TranscriptLine, verdict_of
from smtpkit.secrets import REDACTED, Secret

XSS = "<img src=x onerror=alert(1)>"


def _finding(code: str = "tls.cert.expired", severity: str = "fail", evidence: str = "") -> Finding:
    return Finding(
        code,
        severity,
        "tls",
        "Certificate expired",
        "It expired.",
        "Renew it.",
        evidence,
        "https://example.invalid/doc",
    )


def _report() -> Report:
    t = Transcript()
    t.server(f"220 {XSS} ESMTP")
    t.client("EHLO me")
    s1 = Step("banner", Status.PASS, f"greeted: {XSS}", 12.34, details={"banner": XSS})
    s2 = Step("tls", "pass", "TLS 1.3", 3.0, tables={"certificate": [{"field": "subject", "value": XSS}]})
    s2.add(_finding(evidence=XSS))
    return Report(target={"host": "mail.example.test", "port": 587}, steps=[s1, s2], transcript=t, title="check")


def test_verdict_rule() -> None:
    assert verdict_of([]) == "pass"
    assert verdict_of([_finding(severity="info")]) == "pass"
    assert verdict_of([_finding(severity="warn"), _finding(severity="info")]) == "warn"
    assert verdict_of([_finding(severity="warn"), _finding(severity="fail")]) == "fail"


def test_step_add_raises_status_but_never_lowers() -> None:
    s = Step("x", "pass", "ok")
    s.add(_finding(severity="warn"))
    assert s.status is Status.WARN
    s.add(_finding(severity="fail"))
    assert s.status is Status.FAIL
    s.add(_finding(severity="info"))
    assert s.status is Status.FAIL
    skip = Step("y", "skip", "skipped")
    skip.add(_finding(severity="warn"))
    assert skip.status is Status.SKIP


def test_json_document_shape() -> None:
    doc = json.loads(_report().to_json())
    assert set(doc) == {"target", "checked_at", "verdict", "steps", "findings", "transcript"}
    assert doc["verdict"] == "fail"
    assert doc["target"] == {"host": "mail.example.test", "port": 587}
    step = doc["steps"][0]
    assert set(step) >= {"name", "status", "summary", "elapsed_ms", "details"}
    assert step["elapsed_ms"] == 12.3
    f = doc["findings"][0]
    assert set(f) == {"code", "severity", "step", "title", "explanation", "fix", "evidence", "reference"}
    assert f["severity"] == "fail"
    line = doc["transcript"][0]
    assert set(line) == {"t_ms", "dir", "text"} and line["dir"] == "S"


def test_html_escapes_untrusted_text_everywhere() -> None:
    html = _report()._repr_html_()
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # status is spelled out, not only coloured
    assert "FAIL" in html and "PASS" in html


def test_html_reference_links_only_http() -> None:
    f = Finding("a.b", "info", "s", "t", "e", "f", "", "javascript:alert(1)")
    r = Report(target={}, steps=[Step("s", "info", "x", findings=[f])])
    assert 'href="javascript' not in r._repr_html_()


def test_frames() -> None:
    r = _report()
    df = r.to_frame()
    assert list(df.columns) == ["step", "status", "summary", "elapsed_ms", "findings"]
    assert df.loc[1, "status"] == "fail" and df.loc[1, "findings"] == "tls.cert.expired"
    assert len(r.findings_frame()) == 1
    assert list(r.transcript_frame()["dir"]) == ["S", "C"]


def test_text_and_markdown_views_spell_out_status() -> None:
    r = _report()
    text = r.to_text(transcript=True)
    assert "verdict FAIL" in text and "[FAIL] tls.cert.expired" in text and "Fix: Renew it." in text
    assert "EHLO me" in text
    md = r.to_markdown()
    assert "FAIL" in md and "<img" not in md


def test_transcript_caps_lines_and_length() -> None:
    t = Transcript(max_lines=3, max_line_chars=10)
    for _ in range(5):
        t.server("x" * 50)
    assert len(t) == 3 and t.dropped == 2
    assert t.lines[0].text.startswith("x" * 10 + "…")


def test_transcript_rejects_unknown_direction() -> None:
    with pytest.raises(ValueError):
        TranscriptLine(0.0, "X", "hi")


def test_secrets_are_redacted_in_every_stored_field() -> None:
    pw = Secret("Corr3ct-Horse-Battery")
    f = Finding("auth.bad", Severity.FAIL, "auth", "t", f"server said {pw.reveal()}", "f", pw.reveal())
    assert pw.reveal() not in json.dumps(f.to_dict())
    s = Step("auth", "fail", pw.reveal(), details={"password": pw.reveal(), "nested": [pw.reveal()]})
    r = Report(target={"password": pw}, steps=[s], transcript=[TranscriptLine(0, "C", pw.reveal())])
    for view in (r.to_json(), r._repr_html_(), r.to_text(transcript=True), r.to_markdown(), r.to_frame().to_string()):
        assert pw.reveal() not in view
    assert REDACTED in r.to_json()


def test_combine_keeps_steps_and_transcripts_in_order() -> None:
    a = _report()
    b = Report(target={"domain": "example.test"}, steps=[Step("spf", "pass", "ok")])
    c = Report.combine("full", {"host": "h", "domain": "d"}, [a, b])
    assert [s.name for s in c.steps] == ["banner", "tls", "spf"]
    assert c.verdict == "fail" and len(c.transcript_lines()) == 2


def test_text_table_fits_a_total_width_or_turns_into_records() -> None:
    from smtpkit.render.text import text_table

    rows = [{"keyword": "SIZE", "meaning": "The largest message the server accepts, in bytes " * 2}]
    narrow = text_table(rows, ["keyword", "meaning"], max_width=80, total_width=50)
    assert all(len(line) <= 50 for line in narrow.splitlines()) and narrow.startswith("KEYWORD")
    wide = [{f"column{i}": f"value number {i} of a wide row" for i in range(11)}]
    records = text_table(wide, list(wide[0]), total_width=100)
    assert "column10" in records and "value number 10 of a wide row" in records  # whole values, one per line
    assert all(len(line) <= 100 for line in records.splitlines())
    assert text_table(rows, ["keyword", "meaning"], max_width=80) == text_table(
        rows, ["keyword", "meaning"], max_width=80, total_width=None
    )
