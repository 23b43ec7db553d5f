"""MX and reverse DNS steps over real DNS on loopback, against the lab's broken MX and PTR zones."""

from __future__ import annotations

import pytest

from smtpkit.checks.domain.mx import mx_step
from smtpkit.checks.domain.ptr import ptr_step
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zones.mx import PTR_MISMATCH_IP, PTR_MISSING_IP, PTR_NOFORWARD_IP
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver


def codes(step) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in step.findings]


def test_healthy_mx(resolver: Resolver) -> None:
    step = mx_step("smtpkit.test", resolver)
    assert step.status.value == "pass" and step.findings == []
    row = step.tables["mail servers"][0]
    assert (row["preference"], row["exchange"]) == (10, "mail.smtpkit.test") and "127.0.0.1" in row["addresses"]


def test_null_mx(resolver: Resolver) -> None:
    step = mx_step("mx-null.test", resolver)
    assert codes(step) == ["mx.null"] and step.status.value == "fail"
    assert "mx-null.test. 3600 IN MX 10 mail.mx-null.test." in step.findings[0].fix
    assert "null MX" in step.summary


def test_no_mx_explains_implicit_mx(resolver: Resolver) -> None:
    step = mx_step("mx-none.test", resolver)
    assert codes(step) == ["mx.missing"] and step.findings[0].severity.value == "warn"
    f = step.findings[0]
    assert "implicit MX" in f.explanation and "127.0.0.1" in f.explanation and "RFC 5321" in f.explanation
    assert "mx-none.test. 3600 IN MX 10 mail.mx-none.test." in f.fix


def test_domain_that_does_not_exist(resolver: Resolver) -> None:
    step = mx_step("no-such-domain.smtpkit.test", resolver)
    assert codes(step) == ["mx.missing"] and step.findings[0].severity.value == "fail"
    assert "does not exist" in step.findings[0].explanation


@pytest.mark.parametrize(
    ("domain", "problem", "in_fix", "severity"),
    [
        (
            "mx-cname.test",
            "alias (CNAME) for mail.mx-cname.test",
            "mx-cname.test. IN MX 10 mail.mx-cname.test.",
            "warn",
        ),
        ("mx-ip.test", "IP address (127.0.0.1)", "mx-ip.test. IN MX 10 mail.mx-ip.test.", "fail"),
        ("mx-dangling.test", "no address", "mx1.mx-dangling.test. IN A", "fail"),
    ],
)
def test_invalid_targets(resolver: Resolver, domain: str, problem: str, in_fix: str, severity: str) -> None:
    step = mx_step(domain, resolver)
    assert codes(step) == ["mx.invalid_target"]
    f = step.findings[0]
    assert problem in f.explanation and in_fix in f.fix and f.severity.value == severity
    assert step.tables["mail servers"][0]["problem"]


def test_healthy_ptr_is_forward_confirmed(resolver: Resolver) -> None:
    step = ptr_step("127.0.0.1", resolver)
    assert step.findings == [] and step.details["forward-confirmed"] is True
    assert step.tables["reverse dns"][0] == {
        "PTR name": "mail.smtpkit.test",
        "A lookup": "ok",
        "addresses": "127.0.0.1",
        "points back": True,
    }
    v6 = ptr_step("::1", resolver)
    assert v6.findings == [] and "AAAA lookup" in v6.tables["reverse dns"][0]


def test_missing_ptr(resolver: Resolver) -> None:
    step = ptr_step(PTR_MISSING_IP, resolver, domain="example.com")
    assert codes(step) == ["ptr.missing"] and step.status.value == "fail"
    assert "1.2.0.127.in-addr.arpa PTR mail.example.com." in step.findings[0].fix
    assert "hosting provider" in step.findings[0].fix


@pytest.mark.parametrize(
    ("ip", "says"),
    [
        (PTR_MISMATCH_IP, "mail.ptr-mismatch.test resolves to 127.0.2.99, not to 127.0.2.2"),
        (PTR_NOFORWARD_IP, "has no A record"),
    ],
)
def test_ptr_not_forward_confirmed(resolver: Resolver, ip: str, says: str) -> None:
    step = ptr_step(ip, resolver)
    assert codes(step) == ["ptr.not_forward_confirmed"]
    f = step.findings[0]
    assert says in f.explanation and f"IN A {ip}" in f.fix
    assert step.tables["reverse dns"][0]["points back"] is False


def test_lookup_failures_are_not_absence() -> None:
    zones = ZoneSet(
        [
            Record("slow.test", "TIMEOUT"),
            Record("mx.slow.test", "TIMEOUT"),
            Record("9.9.0.127.in-addr.arpa", "TIMEOUT"),
            Record("ok.test", "MX", (10, "mx.slow.test")),
        ],
        zones=["slow.test", "ok.test", "127.in-addr.arpa"],
    )
    with DnsServer(zones) as server:
        r = Resolver(nameservers=[server.nameserver], timeout=0.3)
        mx = mx_step("slow.test", r)
        ptr = ptr_step("127.0.9.9", r)
        target = mx_step("ok.test", r)  # the MX itself answers, its target's address lookup does not
    assert codes(mx) == ["mx.lookup_failed"] and "TIMEOUT" in mx.findings[0].explanation
    assert codes(ptr) == ["ptr.lookup_failed"]
    assert codes(target) == ["mx.lookup_failed"] and "mx.slow.test" in target.findings[0].explanation
