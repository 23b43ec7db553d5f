"""Issue 8 §6: NXDOMAIN for a provider's published server means this machine's DNS is broken or filtered.

The stand-in for a filtering resolver (a VPN, a parental filter, a corporate
DNS that blocks mail servers) is a loopback DNS server that answers NXDOMAIN
for smtp.gmail.com: the kit must blame the resolver, not ask the person to
create an A record for Gmail's server. Nothing leaves the machine.
"""

from __future__ import annotations

from smtpkit import diagnose
from smtpkit.checks.ports import check_ports
from smtpkit.knowledge.presets import published_host
from smtpkit.model import Status
from smtpkit.net.dns import Resolver
from tests.support.peers import dns_server


def test_published_hosts() -> None:
    assert published_host("smtp.gmail.com") is not None and published_host("SMTP.Office365.com.") is not None
    assert published_host("email-smtp.eu-west-1.amazonaws.com") is not None
    assert published_host("smtp.eu.mailgun.org") is not None
    for other in ("smtp.gmai.com", "mail.example.com", "email-smtp.nowhere.amazonaws.com", "x.gmail.com", "127.0.0.1"):
        assert published_host(other) is None, other


def test_nxdomain_for_a_providers_server_blames_the_resolver() -> None:
    with dns_server([("mx.google.com", "A", "127.0.0.1")], zones=["gmail.com", "google.com"]) as server:
        resolver = Resolver([server.nameserver], timeout=1.0)
        report = diagnose("smtp.gmail.com", 587, resolver=resolver, timeout=2)
        matrix = check_ports("smtp.gmail.com", [587], resolver=resolver, timeout=1)
        typo = diagnose("smtpp.gmail.com", 587, resolver=resolver, timeout=2)
    assert report.codes() == ["dns.resolver_filtered"], report.codes()
    f = report.findings[0]
    assert "broken, filtered or offline" in f.explanation and "Gmail" in f.title
    assert "create an A" not in f.fix and "dig smtp.gmail.com @1.1.1.1" in f.fix
    assert report.step("resolve").status is Status.WARN and report.verdict == "warn"  # could not check, not fail
    assert all(s.status is Status.SKIP for s in report.steps[1:])
    assert "broken, filtered or offline" in matrix.recommendation["reason"]
    assert "create an A" not in matrix.to_text()
    # a name that is not a provider's published server still gets the typo explanation
    assert typo.codes() == ["dns.nxdomain"] and typo.verdict == "fail"


def test_nxdomain_from_a_resolver_that_denies_the_top_level_domain_too_blames_the_resolver() -> None:
    """The server check and the port matrix, as the domain check: a resolver that says .uk does not exist says
    nothing about smtp.rosebakery.co.uk."""
    with dns_server([], zones=["."]) as server:
        resolver = Resolver([server.nameserver], timeout=1.0)
        report = diagnose("smtp.rosebakery.co.uk", 587, resolver=resolver, timeout=2)
        matrix = check_ports("smtp.rosebakery.co.uk", [587], resolver=resolver, timeout=1)
    assert report.codes() == ["dns.resolver_broken"], report.codes()
    assert report.step("resolve").status is Status.WARN and report.verdict == "warn"
    assert "create an A" not in report.findings[0].fix and "`dig NS uk`" in report.findings[0].fix
    assert "says the same of .uk" in matrix.recommendation["summary"]
    with dns_server([("uk", "NS", "ns.example.net")], zones=["."]) as server:
        resolver = Resolver([server.nameserver], timeout=1.0)
        typo = diagnose("smtp.rosebakery.co.uk", 587, resolver=resolver, timeout=2)
        matrix = check_ports("smtp.rosebakery.co.uk", [587], resolver=resolver, timeout=1)
    assert typo.codes() == ["dns.nxdomain"] and typo.verdict == "fail"
    assert "does not resolve" in matrix.recommendation["summary"]
