"""The lab's generated audit portfolio: names, a reproducible mix, copies that behave like their templates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dns.rcode
import pytest

from smtpkit.cli.cmd_lab import describe, parse_delay, parse_share
from smtpkit.cli.common import UsageError
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.lab import DnsEndpoint
from smtpkit.lab.portfolio import (
    DEAD,
    DEAD_SHARE,
    SELECTORS,
    SERVFAIL,
    lab_portfolio,
    member_name,
    portfolio,
    portfolio_zoneset,
    template_of,
)
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


@pytest.mark.parametrize(("text", "share"), [("2%", 0.02), ("0.02", 0.02), ("0", 0.0), ("50 %", 0.5)])
def test_dns_timeouts_flag(text: str, share: float) -> None:
    assert parse_share(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["many", "-1%", "100%", "1.5"])
def test_dns_timeouts_flag_refuses(text: str) -> None:
    with pytest.raises(UsageError, match="--dns-timeouts"):
        parse_share(text)


def test_the_default_share_of_timeouts_is_the_portfolio_default() -> None:
    assert DnsEndpoint("127.0.0.1", 53).timeouts == DEAD_SHARE
    assert DnsEndpoint.from_dict({"host": "127.0.0.1", "port": 53}).timeouts == DEAD_SHARE


def test_smtpkit_lab_serves_a_slow_portfolio_with_timeouts_until_a_signal() -> None:
    """`smtpkit lab --servers-only --audit-zones N --dns-delay 20ms --dns-timeouts 5%` run as a shell runs it:
    the portfolio it advertises is the one its DNS answers, every answer is late, the share of dead domains is
    the one asked for, an audit of it says 'could not check' for exactly those, and Ctrl-C stops it."""
    import smtpkit
    from smtpkit.lab.lab import LabInfo

    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpkit", "lab", "--servers-only", "--json"]
        + ["--audit-zones", "300", "--dns-delay", "20ms", "--dns-timeouts", "5%"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SMTPKIT_LAB_PASSWORD": "pw-for-the-portfolio-test"},
    )
    try:
        assert proc.stdout is not None
        doc = json.loads(proc.stdout.readline())
        assert proc.stdout.readline().strip() == "READY"
        dns_doc = doc["dns"]
        assert (dns_doc["portfolio"], dns_doc["delay_ms"], dns_doc["timeouts"]) == (300, 20.0, 0.05)
        info = LabInfo.from_dict(doc, "pw-for-the-portfolio-test")
        names = lab_portfolio(info)
        generated = [n for n in names if template_of(n)]
        assert len(generated) == 300 and generated == [m.domain for m in portfolio(300, dead=0.05)]
        dead = [n for n in generated if template_of(n) == DEAD]
        assert 5 <= len(dead) <= 30  # 5% of 300, drawn
        assert "pw-for-the-portfolio-test" not in json.dumps(doc)
        text = " ".join(describe(info, Path(doc["state_file"])).split())  # what the text output says
        assert "300 generated domains" in text and "every answer 20 ms late" in text
        assert "5.0% of them never answer" in text and "0.5% answer SERVFAIL" in text

        ns = f"{dns_doc['host']}:{dns_doc['port']}"
        resolver = Resolver([ns], timeout=2.0)
        t0 = time.monotonic()
        assert resolver.resolve(generated[0], "MX").status in ("ok", "nodata")
        assert time.monotonic() - t0 >= 0.02  # the injected latency
        assert Resolver([ns], timeout=0.3, retries=0).resolve(dead[0], "MX").status == "timeout"

        sample = dead[:3] + [n for n in generated if template_of(n) == "hosted.test"][:3]
        df = smtpkit.audit(sample, nameservers=[ns], selectors=SELECTORS, dns_timeout=1.0, progress=False)
        status = dict(zip(df["domain"], df["status"]))
        assert [status[n] for n in sample] == ["could not check"] * 3 + ["checked"] * 3
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("smtpkit lab did not stop within 20 s of Ctrl-C") from None
    assert code == 0, proc.stderr.read() if proc.stderr else ""
