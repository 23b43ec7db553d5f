"""The resolve and connect steps against real loopback peers and the lab's DNS server."""

from __future__ import annotations

import time

import pytest

from smtpkit import diagnose
from smtpkit.errors import InvalidSettings
from smtpkit.model import Status
from smtpkit.net.dns import Resolver
from tests.support.peers import DeafUdp, FullBacklog, Peer, ScriptedSmtp, dns_server, free_port, ipv6_loopback_usable


def test_nxdomain_from_the_lab_dns_says_what_was_asked(lab, lab_resolver) -> None:
    report = diagnose("nosuchhost.smtpkit.test", 587, resolver=lab_resolver, timeout=2)
    assert report.codes() == ["dns.nxdomain"]
    f = report.findings[0]
    assert "nosuchhost.smtpkit.test" in f.title
    assert lab.nameserver in f.explanation  # which server we asked
    assert [s.name for s in report.steps] == ["resolve", "connect", "banner", "ehlo", "tls", "auth", "send"]
    assert all(s.status is Status.SKIP for s in report.steps[1:])
    assert "could not be resolved" in report.steps[1].summary


def test_nxdomain_suggests_the_provider_host_for_a_typo() -> None:
    # the root zone with .com delegated: an honest resolver (one that denies .com too lies about every name)
    with dns_server([("smtp.example.test", "A", "127.0.0.1"), ("com", "NS", "a.gtld.example")], zones=["."]) as server:
        report = diagnose("smtp.gmial.com", resolver=Resolver([server.nameserver], timeout=1.0), timeout=2)
    assert report.codes() == ["dns.nxdomain"]
    assert "Did you mean smtp.gmail.com?" in report.findings[0].explanation


def test_no_address_names_the_mx_hosts() -> None:
    records = [("mxonly.test", "MX", "10 mail.mxonly.test"), ("mail.mxonly.test", "A", "127.0.0.1")]
    with dns_server(records, zones=["mxonly.test"]) as server:
        report = diagnose("mxonly.test", resolver=Resolver([server.nameserver], timeout=1.0), timeout=2)
    assert report.codes() == ["dns.no_address"]
    assert "mail.mxonly.test" in report.findings[0].explanation


def test_dns_timeout_with_a_resolver_that_never_answers() -> None:
    with DeafUdp() as deaf:
        start = time.monotonic()
        report = diagnose("mail.example.test", resolver=Resolver([deaf.nameserver], timeout=0.4, retries=0), timeout=1)
        elapsed = time.monotonic() - start
    assert report.codes() == ["dns.timeout"]
    assert deaf.nameserver in report.findings[0].explanation
    assert elapsed < 3.0


def test_dns_refused_by_a_server_that_does_not_serve_the_zone() -> None:
    with dns_server([("a.only.test", "A", "127.0.0.1")], zones=["only.test"]) as server:
        report = diagnose("mail.other.test", resolver=Resolver([server.nameserver], timeout=1.0), timeout=2)
    assert report.codes() == ["dns.servfail"]
    assert "REFUSED" in report.findings[0].title


def test_connect_refused_when_nothing_listens() -> None:
    port = free_port()
    report = diagnose("127.0.0.1", port, timeout=2)
    assert report.codes() == ["connect.refused"]
    step = report.step("connect")
    assert step.status is Status.FAIL and step.tables["attempts"][0]["result"] == "refused"
    assert f"ss -ltnp | grep ':{port}'" in report.findings[0].fix


def test_connect_timeout_when_the_listener_backlog_is_full() -> None:
    """A full accept queue makes Linux drop SYNs silently: the loopback twin of a filtering firewall."""
    with FullBacklog() as full:
        start = time.monotonic()
        report = diagnose("127.0.0.1", full.port, timeout=1.0)
        elapsed = time.monotonic() - start
    assert report.codes() == ["connect.timeout"]
    assert "587, 465, 2525" in report.findings[0].fix or "smtpkit ports" in report.findings[0].fix
    assert elapsed < 2.5


def test_connect_timeout_on_port_25_explains_isp_blocking() -> None:
    """The same filtered-port situation on port 25 itself (needs the privilege to bind port 25 on loopback)."""
    full = None
    for last in range(20, 40):
        try:
            full = FullBacklog(f"127.0.4.{last}", 25)
            break
        except OSError:
            continue
    if full is None:
        pytest.skip("cannot bind port 25 on a loopback address here (needs privileges)")
    with full:
        report = diagnose(full.host, 25, timeout=1.0)
    assert report.codes() == ["connect.timeout"]
    f = report.findings[0]
    assert "ISPs" in f.explanation and "587" in f.explanation and "2525" in f.explanation
    assert "587, 465, 2525" in f.fix


def test_connect_unreachable_for_an_ipv4_mapped_address_over_ipv6() -> None:
    """An IPv4-mapped address (a AAAA record holding ::ffff:a.b.c.d) cannot be reached over IPv6."""
    with Peer(ScriptedSmtp()) as peer:
        report = diagnose("::ffff:127.0.0.1", peer.port, timeout=1.0)
    assert report.codes() == ["connect.unreachable"]
    assert "::ffff:127.0.0.1" in report.findings[0].title


def test_partial_failure_when_the_first_of_two_addresses_refuses() -> None:
    """Two A records, the server listens on only one of them.

    The DNS server rotates the order of the records (as real ones do), so we
    diagnose until the silent address comes first, which takes one or two tries.
    """
    records = [("two.test", "A", "127.0.0.2"), ("two.test", "A", "127.0.0.1")]
    with dns_server(records, zones=["two.test"]) as server, Peer(ScriptedSmtp(), host="127.0.0.1") as peer:
        resolver = Resolver([server.nameserver], timeout=1.0)
        for _ in range(30):
            report = diagnose("two.test", peer.port, resolver=resolver, timeout=2)
            if report.step("connect").tables["attempts"][0]["address"] == "127.0.0.2":
                break
    connect = report.step("connect")
    assert [r["result"] for r in connect.tables["attempts"]] == ["refused", "ok"]
    assert report.codes()[0] == "connect.partial_failure"
    assert connect.status is Status.WARN and connect.details["connected to"] == "127.0.0.1"
    assert "127.0.0.2 (refused" in report.findings[0].explanation
    assert report.step("banner").status is Status.PASS


@pytest.mark.skipif(not ipv6_loopback_usable(), reason="this machine has no IPv6 loopback (::1)")
def test_partial_failure_when_ipv4_refuses_and_ipv6_works() -> None:
    with Peer(ScriptedSmtp(), host="::1") as peer:
        records = [("dual.test", "A", "127.0.0.2"), ("dual.test", "AAAA", "::1")]
        with dns_server(records, zones=["dual.test"]) as server:
            report = diagnose("dual.test", peer.port, resolver=Resolver([server.nameserver], timeout=1.0), timeout=2)
    assert "connect.partial_failure" in report.codes()
    connect = report.step("connect")
    assert connect.status is Status.WARN
    assert [r["result"] for r in connect.tables["attempts"]] == ["refused", "ok"]
    assert report.step("banner").status is Status.PASS


def test_invalid_input_is_a_clear_error_not_a_traceback() -> None:
    with pytest.raises(InvalidSettings, match="carriage return") as exc:
        diagnose("smtp.example.com\r\nRCPT TO:<victim@example.org>", 587)
    assert exc.value.field == "host"
