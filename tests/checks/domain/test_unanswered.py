"""A domain DNS gave no answer for is "could not check", said once, never a failure of the domain.

The peers are real: the lab's DNS server on loopback, which refuses names it
does not serve (as a resolver that serves only its own network does), and a
UDP socket that never answers (a firewall that drops DNS). Nothing leaves the
machine.
"""

from __future__ import annotations

from smtpkit.checks.domain import check_domain
from smtpkit.checks.domain.missing import DOMAIN_STEPS
from smtpkit.model import Severity, Status
from smtpkit.net.dns import Resolver
from tests.support.peers import DeafUdp, dns_server


def _assert_said_once(report, status: str) -> None:  # type: ignore[no-untyped-def]
    problems = [f for f in report.findings if f.severity is not Severity.INFO]
    assert [f.code for f in problems] == ["domain.unanswered"], report.codes()
    f = problems[0]
    assert f.severity is Severity.WARN and f.title.endswith(f"DNS gave no answer ({status.upper()})")
    assert "not a verdict" in f.explanation and "@1.1.1.1" in f.fix  # how to check from elsewhere
    mx = report.step("mx")
    assert mx is not None and mx.status is Status.WARN and mx.summary.startswith("could not check")
    skipped = [s for s in report.steps if s.name in DOMAIN_STEPS and s.name != "mx"]
    assert skipped and all(s.status is Status.SKIP and not s.findings for s in skipped)
    assert report.verdict != "fail"  # "could not check" is never "fail"


def test_a_resolver_that_refuses_the_domain_is_could_not_check(lab_dns) -> None:  # type: ignore[no-untyped-def]
    report = check_domain(
        "example.com", ip="127.0.0.1", resolver=Resolver([lab_dns.nameserver], timeout=2.0), timeout=10
    )
    _assert_said_once(report, "refused")
    ptr = report.step("ptr")  # about the sending IP, not the domain: still checked
    assert ptr is not None and ptr.status is Status.PASS


def test_a_resolver_that_never_answers_is_could_not_check() -> None:
    with DeafUdp() as deaf:
        report = check_domain("example.org", resolver=Resolver([deaf.nameserver], timeout=0.5), timeout=6)
    _assert_said_once(report, "timeout")


def test_one_failed_lookup_among_answers_keeps_its_own_step() -> None:
    # the domain answers MX and SPF; only _dmarc is refused below a zone the server does not serve
    records = [("exists.test", "MX", (10, "mail.exists.test")), ("mail.exists.test", "A", "192.0.2.25")]
    with dns_server(records, zones=["test"]) as server:
        report = check_domain("exists.test", resolver=Resolver([server.nameserver], timeout=1.0), timeout=8)
    assert "domain.unanswered" not in report.codes()
    assert report.step("spf").status is not Status.SKIP  # type: ignore[union-attr]
