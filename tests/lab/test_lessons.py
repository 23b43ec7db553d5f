"""Every lab scenario and lab domain, checked with the settings a form gives it, shows its own lesson.

Found in the browser: relay_denied, too_large, the SES/SendGrid/Send-As
scenarios and ptr-mismatch.test showed ✔ PASS with the form's defaults, and the
healthy MX failed for not offering AUTH. Each lesson's setup is now data
(`smtpkit.lab.lessons`); these tests run the real checks against the lab.
"""

from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from smtpkit.checks.domain import check_domain
from smtpkit.lab.lessons import Lesson, domain_lesson, expected, hint_words, missed, server_lesson, zone_descriptions
from smtpkit.model import Report
from smtpkit.settings.domain import DomainQuery
from smtpkit.ui import ServerForm
from smtpkit.ui.lab import lab_domain_settings, lab_server_settings, lab_zones


def test_every_lab_server_shows_its_lesson_with_the_lab_settings(lab):
    def check(name: str) -> tuple[str, list[str], str, Report]:
        report = lab_server_settings(lab, name, timeout=2).diagnose()
        return name, report.codes(), report.verdict, report

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(check, lab.names))
    wrong = []
    for name, codes, verdict, _report in results:
        lesson = server_lesson(lab, name)
        if lesson.expect and not set(lesson.expect) & set(codes):
            wrong.append((name, lesson.expect, codes))
        if not lesson.expect and verdict == "fail":
            wrong.append((name, "a healthy server", codes))
    assert not wrong, wrong
    # the hint's words the form knows (the host and port it connects to) are the result's: it said ‹port›
    reports = {name: report for name, _c, _v, report in results}
    for name in ("refusing", "wrong_host"):
        hint = ServerForm(lab, scenario=name).hint.value
        title = next(f.title for f in reports[name].findings if f.code == lab.endpoint(name).expect)
        assert html.escape(title, quote=True) in hint, (name, title, hint)


def test_every_lab_domain_shows_its_lesson_with_the_lab_settings(lab):
    zones = lab_zones(lab)
    described = zone_descriptions()
    assert set(zones) <= set(described), set(zones) - set(described)

    def check(domain: str) -> tuple[str, Report]:
        return domain, check_domain(lab_domain_settings(lab, domain, timeout=15))

    with ThreadPoolExecutor(3) as pool:  # more at once only loads the lab's one DNS thread into timeouts
        results = list(pool.map(check, zones))
    wrong: list[Any] = []
    stale: list[Any] = []
    for domain, report in results:
        lesson = domain_lesson(lab, domain)
        codes = report.codes()
        if not all(code in codes for code in lesson.expect):
            wrong.append((domain, lesson.expect, codes))
        stale.extend(_hint_against_result(lesson, lab_domain_settings(lab, domain, timeout=15), report))
    assert not wrong, wrong
    assert not stale, f"a hint's words differ from its result's: run python tools/lesson_words.py: {stale}"
    healthy = {d: r.verdict for d, r in results}
    assert healthy[lab.domain] == "pass" and healthy["sts-enforce.test"] == "pass"


def _hint_against_result(lesson: Lesson, query: DomainQuery, report: Report) -> list[Any]:
    """Where the hint's title of an expected finding (before the run) is not the result's, word for word: it
    may keep a ‹placeholder› only where two of the result's findings of that code say different words."""
    words = hint_words(lesson, query)
    out = []
    for code in lesson.expect:
        said = expected([code], words=words)
        titles = {f"“{f.title}” ({code})" for f in report.findings if f.code == code}
        if "‹" in said and len(titles) < 2 or "‹" not in said and titles and said not in titles:
            out.append((lesson.name, said, sorted(titles)))
    return out


def test_lessons_name_their_setup_and_why():
    class Lab:
        domain = "smtpkit.test"

    assert domain_lesson(Lab(), "ptr-mismatch.test").settings["ip"] == "127.0.2.2"
    assert domain_lesson(Lab(), "dmarc-strict.test").expect == ("dmarc.not_aligned",)
    assert domain_lesson(Lab(), "smtpkit.test").settings["selectors"] == ("lab",)
    assert domain_lesson(Lab(), "example.com").expect == ()  # not a lab domain: no lesson


def test_a_missed_lesson_is_explained(lab):
    lesson = server_lesson(lab, "too_large")
    assert lesson.settings["send"] is True and "real test send" in lesson.why
    assert missed(lesson, ["send.message_too_large"]) == ""
    note = missed(lesson, [], ["Really send"])
    assert "send.message_too_large" in note and "Really send" in note and "real test send" in note
    assert server_lesson(lab, "mx").settings["username"] is None  # an MX is not asked to log in


def test_the_lesson_line_names_each_finding_by_its_title_and_a_missing_one_by_its_code() -> None:
    """A banner's "Lesson" line said "mta_sts.mx_not_covered" alone: the code means nothing to a newcomer."""
    from smtpkit.lab.lessons import Lesson, lesson_line
    from smtpkit.model import Finding, Report, Severity, Status, Step

    step = Step("dmarc", Status.FAIL, "not aligned")
    step.add(Finding("dmarc.not_aligned", Severity.FAIL, "dmarc", "The From domain is not aligned", "why", "fix"))
    report = Report(target={}, steps=[step])
    lesson = Lesson("x", expect=("dmarc.not_aligned", "spf.missing"))
    line = lesson_line(lesson, report, " and ", "a healthy domain")
    assert line == "“The From domain is not aligned” (dmarc.not_aligned) and spf.missing (not in this result)"
    assert lesson_line(Lesson("y"), report, " and ", "a healthy domain") == "a healthy domain"
    assert lesson_line(lesson, None, " or ", "-").startswith("dmarc.not_aligned (not in this result)")


def test_a_lessons_findings_are_named_by_title_before_any_result() -> None:
    """A hint said "the result should show spf.plus_all": the title reads what it means; what only a result
    knows is named ‹in angle quotes›, and a code the catalogue lacks stays a code."""
    from smtpkit.lab.lessons import expected

    assert expected(["mta_sts.mx_not_covered"], words={"mta_sts.mx_not_covered": {"domain": "sts-nocover.test"}}) == (
        "“MX ‹mx› of sts-nocover.test is not covered by its MTA-STS policy (‹mode›)” (mta_sts.mx_not_covered)"
    )
    assert expected(["send.message_too_large", "no.such_code"]) == (
        "“The message is too large” (send.message_too_large) and no.such_code"
    )


def test_a_scenario_and_its_certificate_are_found_by_name(lab) -> None:
    """The hints find a scenario by name and the certificate the lab issued for it from the lab's CA file."""
    import datetime

    from cryptography import x509

    from smtpkit.lab.ca import chain_file_of
    from smtpkit.lab.scenarios import all_scenarios, scenario_named

    expired = scenario_named("expired_cert")
    assert expired is not None and expired.cert == "expired"
    assert scenario_named("no such scenario") is None
    assert [scenario_named(s.name) for s in all_scenarios()] == all_scenarios()
    cert = x509.load_pem_x509_certificate(chain_file_of(lab.ca_file, expired.cert).read_bytes())
    days_ago = (datetime.datetime.now(datetime.UTC) - cert.not_valid_after_utc).days
    assert 9 <= days_ago <= 10  # the lab's expired certificate ended 10 days ago


def test_a_scenario_whose_finding_quotes_its_reply_names_that_reply() -> None:
    """The hint says the reply the finding will quote: every scenario whose finding's title holds the server's
    reply names the stage of that reply (`lesson_reply`), and a stage it does not send is refused."""
    import pytest

    from smtpkit.knowledge.catalogue import catalogue
    from smtpkit.lab.scenarios import Scenario, all_scenarios

    specs = catalogue()
    quoting = [s for s in all_scenarios() if s.expect and "{reply}" in specs[s.expect].title]
    assert quoting, "no lab scenario's finding quotes the reply: the test would check nothing"
    for scenario in quoting:
        assert scenario.lesson_reply in scenario.replies, scenario.name
    with pytest.raises(ValueError, match="lesson_reply 'ehlo' is not a stage of its replies"):
        Scenario("x", "a server", replies={"banner": "554 5.7.1 no"}, lesson_reply="ehlo")
