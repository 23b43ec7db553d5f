"""The tlsrpt step against the lab's DNS: each broken record names its code; absence matters only with a policy."""

from __future__ import annotations

import pytest

from smtpkit.checks.domain import check_domain
from smtpkit.checks.domain.tlsrpt import tlsrpt_step
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver


@pytest.mark.parametrize(
    ("domain", "code", "fix"),
    [
        ("tlsrpt-invalid.test", "tlsrpt.record_invalid", "scheme 'http'"),
        ("tlsrpt-multiple.test", "tlsrpt.multiple_records", "Keep one record"),
        ("tlsrpt-missing.test", "tlsrpt.missing", '_smtp._tls.tlsrpt-missing.test. 3600 IN TXT "v=TLSRPTv1;'),
    ],
)
def test_broken_lab_domains(resolver: Resolver, domain: str, code: str, fix: str) -> None:
    step = check_domain(domain, resolver=resolver).step("tlsrpt")
    assert step is not None
    assert [f.code for f in step.findings] == [code]
    f = step.findings[0]
    assert fix in f.explanation + f.fix


def test_a_policy_without_reports_is_a_warning_not_a_pass(resolver: Resolver) -> None:
    """An MTA-STS domain without TLS-RPT asks senders to refuse rather than deliver without TLS, and would never
    hear of their refusals: the step warns (it passed with a note, and the lesson's result said 'No problem
    found')."""
    report = check_domain("tlsrpt-missing.test", resolver=resolver)
    step = report.step("tlsrpt")
    assert step is not None and step.status.value == "warn"
    assert report.verdict == "warn"


def test_healthy_record_is_read_back(resolver: Resolver) -> None:
    step = tlsrpt_step("smtpkit.test", resolver)
    assert step.status.value == "pass" and step.findings == []
    assert step.details["reports go to"] == "tls-reports@smtpkit.test"


def test_no_record_and_no_policy_is_only_a_note(resolver: Resolver) -> None:
    step = tlsrpt_step("dmarc-none.test", resolver)
    assert step.status.value == "info" and step.findings == []
    assert "only needed with MTA-STS or DANE" in step.summary


def test_a_silent_nameserver_is_could_not_check() -> None:
    zones = ZoneSet([Record("_smtp._tls.silent.test", "TIMEOUT")], zones=["silent.test"])
    with DnsServer(zones) as server:
        step = tlsrpt_step("silent.test", Resolver([server.nameserver], timeout=0.2, retries=0))
    assert [f.code for f in step.findings] == ["tlsrpt.lookup_failed"]
    assert step.findings[0].severity.value == "warn"
