"""The lab's generated audit portfolio: names, a reproducible mix, copies that behave like their templates."""

from __future__ import annotations

import time

import dns.rcode
import pytest

from smtpkit.cli.cmd_lab import parse_delay
from smtpkit.cli.common import UsageError
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import DEAD, SERVFAIL, member_name, portfolio, portfolio_zoneset, template_of
from smtpkit.net.dns import Resolver


@pytest.fixture(scope="module")
def zs():  # type: ignore[no-untyped-def]
    return portfolio_zoneset()


def test_the_mix_is_reproducible_and_known() -> None:
    a, b = portfolio(500), portfolio(500)
    assert a == b and portfolio(500, seed=2) != a
    templates = [m.template for m in a]
    assert templates.count(DEAD) >= 2 and templates.count(SERVFAIL) >= 1
    assert templates.count("hosted.test") > templates.count("dmarc-none.test")
    assert all(template_of(m.domain) == m.template for m in a)
    assert member_name("dmarc-none.test", 42) == "dmarc-none--p000042.test"
    assert template_of("_dmarc.dmarc-none--p000042.test") == "dmarc-none.test" and template_of("example.com") is None
    with pytest.raises(ValueError, match="0 to 1,000,000"):
        portfolio(-1)


def test_a_copy_answers_like_its_template(zs) -> None:  # type: ignore[no-untyped-def]
    copy = zs.lookup("_dmarc.dmarc-none--p000007.test", "TXT")
    assert [r.to_text() for r in copy.answer[0]] == [
        '"v=DMARC1; p=none; rua=mailto:dmarc-reports@dmarc-none--p000007.test"'
    ]
    assert copy.answer[0].name.to_text() == "_dmarc.dmarc-none--p000007.test."
    assert zs.lookup("nothing.dmarc-none--p000007.test", "A").rcode == dns.rcode.NXDOMAIN
    mx = zs.lookup("hosted--p000001.test", "MX").answer[0]
    assert sorted(r.exchange.to_text() for r in mx) == ["mx1.mailhost.test.", "mx2.mailhost.test."]  # shared provider
    assert zs.lookup(f"{DEAD}--p000003.test", "MX").drop
    assert zs.lookup(f"{SERVFAIL}--p000003.test", "MX").rcode == dns.rcode.SERVFAIL
    assert zs.lookup("nosuchtemplate--p000001.test", "A").rcode == dns.rcode.REFUSED
    # the report-consent name of a copy: answered by the report service's zone, as for the template
    assert zs.lookup("dmarc-rua-external--p000001.test._report._dmarc.dmarc-reports.test", "TXT").rcode == (
        dns.rcode.NXDOMAIN
    )
    assert zs.lookup("dmarc-rua-authorized--p000001.test._report._dmarc.dmarc-reports.test", "TXT").answer


def test_the_dns_server_adds_latency(zs) -> None:  # type: ignore[no-untyped-def]
    with DnsServer(zs, delay=0.25) as server:
        resolver = Resolver([server.nameserver], timeout=2.0)
        t0 = time.monotonic()
        answer = resolver.resolve("smtpkit.test", "MX")
        elapsed = time.monotonic() - t0
        tcp = Resolver([server.nameserver], timeout=2.0, use_tcp=True).resolve("smtpkit.test", "MX")
    assert answer.ok and tcp.ok and 0.25 <= elapsed < 1.5
    with pytest.raises(ValueError, match="0 to 10 seconds"):
        DnsServer(zs, delay=11)


@pytest.mark.parametrize(("text", "seconds"), [("20ms", 0.02), ("0.02", 0.02), ("0.5s", 0.5), ("0", 0.0)])
def test_dns_delay_flag(text: str, seconds: float) -> None:
    assert parse_delay(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["soon", "-1ms", "11s"])
def test_dns_delay_flag_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="--dns-delay"):
        parse_delay(text)
