"""The pictures: each drawn from a result, each saying the same in words beside it, hostile labels escaped.

The lab-backed tests draw from real checks (a session with an expired
certificate, a domain whose SPF needs 15 lookups, the lab's port matrix); the
others build the few rows a picture reads, so that every state (expired, not
yet valid, expiring, valid; aligned or not) is drawn once.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import pytest

from smtpkit.model import Report, Status, Step
from smtpkit.render.charts import Chart
from smtpkit.render.pictures import (
    Pictures,
    certificate_validity,
    dmarc_alignment,
    pictures,
    port_grid,
    session_strip,
    spf_include_tree,
)
from smtpkit.render.report_view import ReportView

SCRIPT = "<script>alert(1)</script>"
HOSTILE = SCRIPT + "$\\frac{1}{0}$ \x1b[2J\u202e"
CHECKED = _dt.datetime(2026, 6, 1, 12, 0, tzinfo=_dt.UTC)


def _session(tls_status: str = "fail", host: str = "mail.example.test") -> Report:
    steps = [
        Step("resolve", Status.PASS, "2 addresses", elapsed_ms=4.0),
        Step("connect", Status.PASS, "connected", elapsed_ms=1.0),
        Step("banner", Status.PASS, "220 hello", elapsed_ms=2.0),
        Step("ehlo", Status.PASS, "offers STARTTLS", elapsed_ms=1.0),
        Step("tls", Status(tls_status), "TLS failed: the certificate expired", elapsed_ms=40.0),
        Step("auth", Status.SKIP, "not run"),
        Step("send", Status.SKIP, "not run"),
    ]
    return Report(target={"host": host}, steps=steps, checked_at=CHECKED)


def _with_certificate(report: Report, valid_from: str, valid_to: str, names: str = "mail.example.test") -> Report:
    tls = report.step("tls")
    assert tls is not None
    tls.tables["certificate"] = [
        {"field": "subject", "value": "CN=mail.example.test"},
        {"field": "names (SANs)", "value": names},
        {"field": "valid from", "value": valid_from},
        {"field": "valid to", "value": valid_to},
    ]
    return report


def _html(chart: Chart | None) -> str:
    assert chart is not None
    return chart.to_html()


# -- the session strip and its timeline --------------------------------------------------------------


def test_the_strip_names_the_first_failure_and_where_the_time_went() -> None:
    chart = session_strip(_session())
    assert chart is not None
    assert "first failure is the tls step: TLS failed: the certificate expired." in chart.sentence
    assert "Not run because of it: auth, send." in chart.sentence
    assert "the slowest step was tls (40 ms, 83% of the time)" in chart.sentence
    assert [r["step"] for r in chart.rows] == ["resolve", "connect", "banner", "ehlo", "tls", "auth", "send"]
    assert chart.rows[4] == {"step": "tls", "status": "fail", "time": "40 ms", "share": "83%"}
    assert chart.rows[5]["time"] == "not run" and chart.rows[5]["share"] == ""
    page = chart.to_html()
    assert "flex-wrap:wrap" in page and page.index("<svg") < page.index("<table")  # the table beside the picture
    assert "✘ FAIL" in page  # the status is a word in the table, not only a colour


def test_a_domain_check_ran_its_steps_at_the_same_time() -> None:
    report = Report(
        target={"domain": "example.test"},
        steps=[Step("mx", Status.PASS, "1 MX", elapsed_ms=30), Step("spf", Status.FAIL, "15/10", elapsed_ms=90)],
    )
    chart = session_strip(report)
    assert chart is not None
    assert chart.sentence.startswith("The spf step failed: 15/10.")
    assert "ran at the same time; the slowest was spf (90 ms)" in chart.sentence
    assert "share" not in chart.rows[0]


def test_no_failure_no_highlight_and_no_steps_no_picture() -> None:
    chart = session_strip(_session("pass"))
    assert chart is not None and chart.sentence.startswith("No step failed (5 passed, 2 not run).")
    chart = session_strip(_session("info"))
    assert chart is not None and chart.sentence.startswith("No step failed (4 passed, 1 for information only, 2 not")
    assert session_strip(Report(target={}, steps=[])) is None


# -- the certificate on a time axis ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "words"),
    [
        (
            "2026-01-01 00:00 UTC",
            "2026-05-22 12:00 UTC",
            "expired on 2026-05-22; on the day of the check (2026-06-01) it had expired 10 days earlier",
        ),
        ("2026-07-01 00:00 UTC", "2026-10-01 00:00 UTC", "not valid yet: valid only from 2026-07-01, 29 days after"),
        ("2026-03-01 00:00 UTC", "2026-06-08 12:00 UTC", "valid, but expires in 7 days: renew it now"),
        ("2026-03-01 00:00 UTC", "2026-09-01 12:00 UTC", "valid for 92 days more"),
    ],
)
def test_the_certificate_bar_says_where_the_day_of_the_check_falls(valid_from: str, valid_to: str, words: str) -> None:
    chart = certificate_validity(_with_certificate(_session(), valid_from, valid_to))
    assert chart is not None
    assert words in chart.sentence and "The certificate of mail.example.test was issued on" in chart.sentence
    events = [r["event"] for r in chart.rows]
    assert set(events) == {"issued", "today (the check)", "expires"}
    today = next(r for r in chart.rows if r["event"] == "today (the check)")
    assert today["date (UTC)"] == "2026-06-01 12:00" and today["status"] in ("pass", "warn", "fail")


def test_no_certificate_no_picture() -> None:
    assert certificate_validity(_session()) is None
    assert certificate_validity(_with_certificate(_session(), "garbage", "2026-01-01 00:00 UTC")) is None


# -- the SPF include tree ------------------------------------------------------------------------------------


def _spf(rows: list[dict[str, Any]], record: str = "v=spf1 include:a.test -all") -> Report:
    step = Step(
        "spf", Status.FAIL, "x", details={"domain": "example.test", "record": record}, tables={"include tree": rows}
    )
    return Report(target={"domain": "example.test"}, steps=[step])


def test_the_include_tree_marks_the_lookups_past_the_limit() -> None:
    rows = [
        {"level": 0, "term": "mx", "record of": "example.test", "lookups": 1, "lookups so far": 1},
        {"level": 0, "term": "include:big.test", "record of": "example.test", "lookups": 12, "lookups so far": 13},
        {"level": 1, "term": "include:n1.big.test", "record of": "big.test", "lookups": 11, "lookups so far": 13},
    ]
    chart = spf_include_tree(_spf(rows))
    assert chart is not None
    assert "needs 13 DNS lookups; receivers stop at 10" in chart.sentence
    assert "The limit is crossed in include:big.test" in chart.sentence
    assert chart.rows[2]["term (nested under its include)"] == "· include:n1.big.test"
    assert chart.rows[-1]["total so far"] == "13 (past the limit)"


def test_an_spf_record_without_lookups_or_without_a_record_draws_nothing() -> None:
    assert spf_include_tree(_spf([], "v=spf1 ip4:192.0.2.1 -all")) is None
    assert spf_include_tree(_spf([], "(none)")) is None
    assert spf_include_tree(_session()) is None


# -- DMARC alignment ---------------------------------------------------------------------------------------------


def _alignment(*rows: dict[str, Any]) -> Report:
    step = Step("dmarc", Status.PASS, "p=reject", tables={"alignment": list(rows)})
    return Report(target={"domain": "example.test"}, steps=[step])


def _row(identifier: str, domain: str, aligned: bool, authenticated: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "domain": domain,
        "From domain": "example.test",
        "mode": "relaxed",
        "aligned": aligned,
        "authenticated": authenticated,
    }


def test_alignment_joins_from_with_return_path_and_dkim() -> None:
    report = _alignment(
        _row("SPF MAIL FROM", "bounces.mailer.test", False, "pass"), _row("DKIM d=", "example.test", True, "pass")
    )
    chart = dmarc_alignment(report)
    assert chart is not None
    assert chart.sentence.startswith(
        "From domain example.test: Return-Path (SPF) bounces.mailer.test: not aligned (relaxed), SPF pass;"
    )
    assert "DKIM signature d= example.test: aligned (relaxed), DKIM pass." in chart.sentence
    assert chart.sentence.endswith("DMARC passes: at least one identifier is aligned and authenticated.")
    assert [r["aligned with From"] for r in chart.rows] == ["no (relaxed)", "yes (relaxed)"]


def test_alignment_without_an_aligned_authenticated_identifier_fails() -> None:
    chart = dmarc_alignment(_alignment(_row("DKIM d=", "esp.test", False, "pass")))
    assert chart is not None and chart.sentence.endswith(
        "DMARC fails: no identifier is both aligned with the From domain and authenticated."
    )
    assert dmarc_alignment(_session()) is None


# -- the port grid ----------------------------------------------------------------------------------------


class _Matrix:
    host = "mail.example.test"

    def __init__(self, rows: list[dict[str, Any]], recommendation: dict[str, Any]) -> None:
        self._rows, self.recommendation = rows, recommendation

    def rows(self) -> list[dict[str, Any]]:
        return self._rows


def _port(port: int, reachable: str = "yes", **kw: Any) -> dict[str, Any]:
    row = {
        "port": port,
        "reachable": reachable,
        "greets": "yes",
        "starttls_offered": "yes",
        "starttls_works": "yes",
        "implicit_tls_works": "no",
        "certificate": "valid",
        "auth_before_tls": "-",
        "auth_after_tls": "PLAIN LOGIN",
        "use_as": "STARTTLS",
        "note": "STARTTLS works",
    }
    return {**row, **kw}


def test_the_port_grid_frames_the_recommended_port_and_says_why() -> None:
    matrix = _Matrix(
        [_port(587), _port(25, "timeout", use_as="-", note="no answer: filtered")],
        {"port": 587, "summary": "Use mail.example.test port 587 with STARTTLS.", "reason": "TLS works."},
    )
    chart = port_grid(matrix)
    assert chart is not None
    assert chart.sentence == "Use mail.example.test port 587 with STARTTLS. TLS works. The framed row is port 587."
    assert chart.rows[1] == {"port": 25, "use it as": "do not use", "what happened": "no answer: filtered"}
    assert port_grid(_Matrix([], {})) is None


# -- hostile labels, reproducible output ------------------------------------------------------------------------


@pytest.mark.filterwarnings("error")  # a control character drawn raw is a "missing glyph" warning
def test_hostile_labels_are_escaped_and_never_typeset() -> None:
    report = _with_certificate(_session(), "2026-01-01 00:00 UTC", "2026-05-01 00:00 UTC", names=HOSTILE)
    report.steps[0].name = HOSTILE
    report.steps.append(
        Step(
            "spf",
            Status.FAIL,
            HOSTILE,
            details={"domain": HOSTILE, "record": HOSTILE},
            tables={
                "include tree": [
                    {"level": 0, "term": HOSTILE, "record of": HOSTILE, "lookups": 11, "lookups so far": 11}
                ]
            },
        )
    )
    report.steps.append(_alignment(_row("DKIM d=", HOSTILE, False, HOSTILE)).steps[0])
    charts = pictures(report)
    assert len(charts) == 4
    matrix = _Matrix(
        [_port(587, note=HOSTILE, use_as=HOSTILE, auth_after_tls=HOSTILE)], {"port": 587, "summary": HOSTILE}
    )
    grid = port_grid(matrix, labels={587: HOSTILE})
    for page in [charts.to_html(), _html(grid), ReportView(report).to_html()]:
        assert "<script" not in page and "&lt;script&gt;" in page
    text = charts.to_text()
    assert "\x1b" not in text and "\\x1b" in text


def test_the_same_report_draws_the_same_markup_and_each_chart_has_its_own_ids() -> None:
    report = _with_certificate(_session(), "2026-01-01 00:00 UTC", "2026-05-01 00:00 UTC")
    first, second = pictures(report).to_html(), pictures(report).to_html()
    assert first == second
    ids = [re.findall(r'\bid="([^"]+)"', chart.svg) for chart in pictures(report)]
    assert len(ids) == 2 and not set(ids[0]) & set(ids[1])
    for chart_ids, chart in zip(ids, pictures(report)):
        for ref in re.findall(r'href="#([^"]+)"', chart.svg):
            assert ref in chart_ids  # every reference stays inside its own picture


def test_pictures_view_is_a_list_of_charts() -> None:
    empty = Pictures([])
    assert len(empty) == 0 and "nothing to draw" in empty.to_html() and str(empty) == "(nothing to draw)"
    some = _session().pictures()
    assert isinstance(some, Pictures) and isinstance(some[0], Chart) and len(list(some)) == 1


def test_a_report_view_opens_with_the_strip_and_puts_each_picture_in_its_step() -> None:
    report = _with_certificate(_session(), "2026-01-01 00:00 UTC", "2026-05-01 00:00 UTC")
    page = ReportView(report, focus=("tls",)).to_html()
    strip, cert = page.index("The steps at a glance"), page.index("Certificate of mail.example.test")
    assert strip < page.index("<summary>") < cert  # the strip first, the certificate inside the tls step
    assert "problems" in page[strip:cert]
    plain = ReportView(report, pictures=False).to_html()
    assert "<svg" not in plain and "summary" in plain


# -- from real checks of the practice lab ------------------------------------------------------------------


def test_pictures_of_a_lab_session_with_an_expired_certificate(lab: Any) -> None:
    from smtpkit.ui.lab import lab_server_settings

    report = lab_server_settings(lab, "expired_cert", timeout=3).diagnose()
    charts = {c.title: c for c in report.pictures()}
    strip = charts["The steps at a glance"]
    assert "the first failure is the tls step" in strip.sentence
    cert = next(c for t, c in charts.items() if t.startswith("Certificate of"))
    assert "expired" in cert.sentence and f"({report.checked_at:%Y-%m-%d})" in cert.sentence


def test_pictures_of_a_lab_domain_whose_spf_needs_15_lookups(lab: Any) -> None:
    from smtpkit.checks.domain import check_domain
    from smtpkit.ui.lab import lab_domain_settings

    report = check_domain(lab_domain_settings(lab, "spf-too-many-lookups.test", ip="127.0.0.1", timeout=5))
    spf = report.step("spf")
    assert spf is not None
    tree = spf.tables["include tree"]
    assert [r["level"] for r in tree][:4] == [0, 0, 0, 1]  # mx, a, include:_bulk, and _bulk's own terms
    assert tree[-1]["lookups so far"] == 15 and tree[2]["over the limit"] is True
    chart = spf_include_tree(report)
    assert chart is not None and "needs 15 DNS lookups" in chart.sentence
    assert "include:_bulk.spf-too-many-lookups.test" in chart.sentence
    alignment = dmarc_alignment(check_domain(lab_domain_settings(lab, "smtpkit.test", timeout=5)))
    assert alignment is not None and "DKIM signature d= smtpkit.test: aligned (strict)" in alignment.sentence


def test_the_port_grid_of_the_lab(lab: Any) -> None:
    import smtpkit
    from smtpkit.ui.lab import lab_server_settings

    target = lab_server_settings(lab, "submission", timeout=2).target
    ports = {lab.endpoint(n).port: n for n in ("implicit_tls", "refusing")}
    matrix = smtpkit.check_ports(
        target.host, list(ports), timeout=2, cafile=target.cafile, nameservers=target.nameservers
    )
    chart = matrix.picture(ports)
    assert chart is not None
    assert f"port {lab.endpoint('implicit_tls').port} with implicit TLS" in chart.sentence
    refusing = next(r for r in chart.rows if r["server"] == "refusing")
    assert refusing["use it as"] == "do not use" and "refused" in refusing["what happened"]


def test_lab_scenario_labels_are_whole_clauses() -> None:
    from smtpkit.lab import all_scenarios
    from smtpkit.ui.lab import headline

    labels = {sc.name: headline(sc.description) for sc in all_scenarios()}
    assert labels["wrong_host"] == "A valid certificate from the lab CA, but for mail.someone-else.test only"
    assert labels["too_busy"].endswith("too many concurrent sessions' and hangs up")
    assert labels["old_tls"] == "A server stuck on TLS 1.0/1.1, deprecated since 2021 (RFC 8996)"
    for name, label in labels.items():
        quotes = re.findall(r"(?<!\w)'|'(?!\w)", label)  # opening and closing quotes, not apostrophes
        assert len(quotes) % 2 == 0 and label.count("(") == label.count(")"), name


def test_the_first_failure_is_said_by_its_problem_not_by_what_the_step_read() -> None:
    """spf-plus-all.test's strip said 'The spf step failed: SPF record found, 1/10 lookups; 127.0.0.1 -> pass.'"""
    from smtpkit.model import Finding, Severity

    spf = Step("spf", Status.FAIL, "SPF record found, 1/10 lookups; 127.0.0.1 -> pass", elapsed_ms=3)
    spf.add(Finding("spf.plus_all", Severity.FAIL, "spf", "'+all' lets the whole internet send as d.test", "w", "f"))
    report = Report(target={"domain": "d.test"}, steps=[Step("mx", Status.PASS, "1 MX", elapsed_ms=2), spf])
    chart = session_strip(report)
    assert chart is not None
    assert chart.sentence.startswith("The spf step failed: '+all' lets the whole internet send as d.test.")
