"""MTA-STS against the practice lab: each lab domain's policy (served by the lab's HTTPS host) names its code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from smtpkit.checks.domain import check_domain
from smtpkit.checks.domain.mta_sts import discover_policy, mta_sts_step
from smtpkit.cli import main
from smtpkit.lab.policies import DOMAINS, Served
from smtpkit.net.dns import Resolver

# the MX-certificate scenario needs the MX probes (tests/checks/domain/test_mx_tls.py)
WITHOUT_PROBE = [d for d in DOMAINS if d.expect != "mta_sts.mx_cert_invalid"]


@pytest.fixture()
def options(lab: Any) -> dict[str, Any]:
    return lab.domain_options()  # type: ignore[no-any-return]


@pytest.mark.parametrize("served", WITHOUT_PROBE, ids=lambda d: d.domain)
def test_each_lab_domain_names_its_code(options: dict[str, Any], served: Served) -> None:
    report = check_domain(served.domain, **options)
    codes = report.codes()
    if served.expect is None:
        assert codes == [], report.to_text()
        step = report.step("mta_sts")
        assert step is not None and step.status.value == "pass" and "every MX is covered" in step.summary
        assert step.details["mode"] == "enforce" and step.details["mx patterns"] == "mail.smtpkit.test"
    else:
        assert served.expect in codes, report.to_text()
        # the scenario is about MTA-STS (and the TLS-RPT it needs): nothing else of the domain is disturbed
        assert {c.split(".")[0] for c in codes} <= {"mta_sts", "tlsrpt"}, codes


def test_policy_problems_leave_mta_sts_out_of_effect_but_are_not_failures(options: dict[str, Any]) -> None:
    for domain in ("sts-html.test", "sts-redirect.test", "sts-404.test", "sts-badcert.test", "sts-oversize.test"):
        report = check_domain(domain, **options)
        assert report.verdict == "warn", report.to_text()
        assert "not protect" in report.findings[0].explanation


def test_an_enforce_policy_that_leaves_out_the_mx_fails(options: dict[str, Any]) -> None:
    report = check_domain("sts-nocover.test", **options)
    (f,) = [f for f in report.findings if f.code == "mta_sts.mx_not_covered"]
    assert f.severity.value == "fail" and report.verdict == "fail"
    assert "mail.smtpkit.test" in f.title and "refuse to deliver" in f.explanation
    assert "mx: mail.smtpkit.test" in f.fix
    rows = report.step("mta_sts").tables["mx hosts against the policy"]  # type: ignore[union-attr]
    assert rows == [{"mx": "mail.smtpkit.test", "covered by": "NOT COVERED", "certificate": "not probed (--probe-mx)"}]


def test_the_wrong_certificate_is_shown(options: dict[str, Any]) -> None:
    report = check_domain("sts-badcert.test", **options)
    f = report.findings[0]
    assert "mail.someone-else.test" in f.explanation and "Hostname mismatch" in f.explanation


def test_testing_mode_with_a_short_max_age(options: dict[str, Any]) -> None:
    report = check_domain("sts-testing.test", **options)
    assert set(report.codes()) == {"mta_sts.mode_testing", "mta_sts.max_age_short"}
    assert report.verdict == "pass"  # information, not a problem
    short = next(f for f in report.findings if f.code == "mta_sts.max_age_short")
    assert "3600 seconds (1 hour)" in short.title  # it read "(1 hours)"


def test_a_max_age_in_words_has_its_units_in_the_singular_for_one() -> None:
    from smtpkit.checks.domain.mta_sts import _duration

    assert _duration(3600) == "3600 seconds (1 hour)"
    assert _duration(7200) == "7200 seconds (2 hours)"
    assert _duration(86400) == "86400 seconds (1 day)"
    assert _duration(90) == "90 seconds (1.5 minutes)"
    assert _duration(1) == "1 second"


def test_a_domain_without_mta_sts_is_only_noted(lab_resolver: Resolver) -> None:
    d = discover_policy("dmarc-none.test", lab_resolver, allow_private=True)
    step = mta_sts_step(d, ["mail.dmarc-none.test"])
    assert step.status.value == "info" and step.findings == [] and not d.published


def test_without_allow_private_the_lab_policy_host_is_not_contacted(lab: Any, lab_resolver: Resolver) -> None:
    d = discover_policy("sts-enforce.test", lab_resolver, port=lab.mta_sts_port, cafile=lab.ca_file)
    assert [f.code for f in d.findings] == ["mta_sts.policy_host_private"]
    assert d.fetched is not None and d.fetched.refused == ["127.0.0.1"] and not d.fetched.address


def test_cli_domain_with_the_lab_settings(lab: Any, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["domain", "sts-nocover.test", "--nameserver", lab.nameserver, "--cafile", lab.ca_file]
    argv += ["--allow-private", "--mta-sts-port", str(lab.mta_sts_port), "--json"]
    assert main(argv) == 1
    doc = json.loads(capsys.readouterr().out)
    assert "mta_sts.mx_not_covered" in [f["code"] for f in doc["findings"]]
    assert doc["target"]["mta_sts_port"] == lab.mta_sts_port and doc["target"]["allow_private"] is True
    for bad, msg in [
        (["--mta-sts-port", "70000"], "out of range"),
        (["--cafile", "/nonexistent/ca.pem"], "does not exist"),
    ]:
        assert main(["domain", "sts-enforce.test", *bad, "--json"]) == 2
        assert msg in json.loads(capsys.readouterr().out)["error"]
