"""The receiving-side checks against silent and hostile DNS: could not check, within the deadline, never a failure."""

from __future__ import annotations

import time
from typing import Any

from smtpkit.checks.domain import check_domain
from smtpkit.lab import receiving
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver


def _silent_zone() -> ZoneSet:
    return ZoneSet(
        [
            Record("silent.test", "MX", (10, "mx.silent.test")),
            Record("mx.silent.test", "A", "127.0.0.1"),
            Record("_mta-sts.silent.test", "TIMEOUT"),
            Record("_25._tcp.mx.silent.test", "TIMEOUT"),
        ],
        zones=["silent.test"],
    )


def test_silent_policy_and_tlsa_lookups_are_could_not_check() -> None:
    with DnsServer(_silent_zone()) as server:
        start = time.monotonic()
        report = check_domain("silent.test", resolver=Resolver([server.nameserver], timeout=0.3, retries=0), timeout=6)
        assert time.monotonic() - start < 6.5
    codes = set(report.codes())
    assert {"mta_sts.lookup_failed", "dane.lookup_failed"} <= codes, report.to_text()
    for code in ("mta_sts.lookup_failed", "dane.lookup_failed"):
        assert next(f for f in report.findings if f.code == code).severity.value == "warn"


def _data(i: int) -> str:
    length = {1: 32, 2: 64}.get(i % 5, i % 70 + 1)  # dnspython itself refuses wrong digest lengths
    return "ab" * length


def test_a_hostile_tlsa_answer_does_not_break_the_check() -> None:
    zone = ZoneSet(
        [
            Record("odd.test", "MX", (10, "mx.odd.test")),
            Record("mx.odd.test", "A", "127.0.0.1"),
            # 500 records of every odd shape: unknown usages and selectors, matching types 0-4, odd lengths
            *[Record("_25._tcp.mx.odd.test", "TLSA", f"{i % 7} {i % 4} {i % 5} {_data(i)}") for i in range(500)],
        ],
        zones=["odd.test"],
    )
    with DnsServer(zone) as server:
        report = check_domain("odd.test", resolver=Resolver([server.nameserver], timeout=1), timeout=8)
    dane = report.step("dane")
    assert dane is not None and "dnssec.indeterminate" in report.codes()  # no anchor covers odd.test's chain here
    assert all(f.severity.value != "fail" for f in report.findings if f.step == "dane")


def test_the_notebook_settings_keep_lab_options_to_lab_domains(lab: Any) -> None:
    own = receiving.domain_query(lab, "example.com", timeout=5)
    assert not own.allow_private and own.cafile is None and own.nameservers == () and own.trust_anchor is None
    mine = receiving.domain_query(lab, "example.com", nameserver="127.0.0.1:5353")
    assert mine.nameservers == ("127.0.0.1:5353",)
    default = receiving.domain_query(lab)
    assert default.domain == "sts-enforce.test" and default.allow_private and default.trust_anchor == lab.trust_anchor
    assert default.mx_port == lab.mx_port and default.mta_sts_port == lab.mta_sts_port
    assert receiving.blocklists(lab).verdict == "fail"  # the lab's listed address, on every practice list
