"""check_host(): results, the trace, explanations and limits, over a real DNS server on loopback.

pyspf serves here as a second opinion on the same DNS data (never at run time).
"""

from __future__ import annotations

import json
import time

import pytest

from smtpkit.net.dns import Resolver
from smtpkit.spf import Result, check_host, check_identity

ZONE = [
    (
        "example.test",
        "TXT",
        (
            "v=spf1 ip4:192.0.2.0/28 a mx include:_spf.provider.test exists:%{i}.allow.example.test"
            " redirect=_rest.example.test -all"
        ),
    ),
    ("example.test", "A", "192.0.2.50"),
    ("example.test", "MX", (10, "mx.example.test")),
    ("mx.example.test", "A", "192.0.2.60"),
    ("mx.example.test", "AAAA", "2001:db8::60"),
    ("_spf.provider.test", "TXT", "v=spf1 include:_net1.provider.test ip6:2001:db8:aaaa::/48 ~all"),
    ("_net1.provider.test", "TXT", "v=spf1 ip4:198.51.100.0/24 -all"),
    ("203.0.113.9.allow.example.test", "A", "127.0.0.2"),
    ("redir.test", "TXT", "v=spf1 ip4:192.0.2.1 redirect=example.test"),
    ("exp.test", "TXT", "v=spf1 mx -all exp=why.exp.test"),
    ("exp.test", "MX", (10, "mx.example.test")),
    ("why.exp.test", "TXT", "%{i} may not send for %{d} (sender %{s}, via %{h})"),
    ("six.test", "TXT", "v=spf1 a//64 -all"),
    ("six.test", "AAAA", "2001:db8:6::1"),
    ("slow.test", "TXT", "v=spf1 a:hang.slow.test -all"),
    ("hang.slow.test", "TIMEOUT"),
    ("helo.example.test", "TXT", "v=spf1 a -all"),
    ("helo.example.test", "A", "192.0.2.77"),
    ("ptrdom.test", "TXT", "v=spf1 exists:%{p}.ok.ptrdom.test -all"),
    ("9.113.0.203.in-addr.arpa", "PTR", "host.ptrdom.test"),
    ("host.ptrdom.test", "A", "203.0.113.9"),
    ("host.ptrdom.test.ok.ptrdom.test", "A", "127.0.0.2"),
]


@pytest.fixture(scope="module")
def dns_server():  # type: ignore[no-untyped-def]
    from smtpkit.lab.dns_server import DnsServer
    from smtpkit.lab.zoneset import ZoneSet

    with DnsServer(ZoneSet(ZONE, answer_all=True), "127.0.0.1", 0) as server:
        yield server


@pytest.fixture()
def resolver(dns_server) -> Resolver:  # type: ignore[no-untyped-def]
    return Resolver(nameservers=[dns_server.nameserver], timeout=0.5, retries=1, lifetime=1.0)


@pytest.mark.parametrize(
    ("ip", "result", "mechanism", "path"),
    [
        ("192.0.2.5", "pass", "ip4:192.0.2.0/28", ["ip4:192.0.2.0/28"]),
        ("192.0.2.50", "pass", "a", ["a"]),
        ("192.0.2.60", "pass", "mx", ["mx"]),
        ("::ffff:192.0.2.60", "pass", "mx", ["mx"]),  # IPv4-mapped IPv6 is IPv4
        ("2001:db8::60", "pass", "mx", ["mx"]),
        (
            "198.51.100.7",
            "pass",
            "include:_spf.provider.test",
            ["include:_spf.provider.test", "include:_net1.provider.test", "ip4:198.51.100.0/24"],
        ),
        (
            "2001:db8:aaaa::1",
            "pass",
            "include:_spf.provider.test",
            ["include:_spf.provider.test", "ip6:2001:db8:aaaa::/48"],
        ),
        ("203.0.113.9", "pass", "exists:%{i}.allow.example.test", ["exists:%{i}.allow.example.test"]),
        ("203.0.113.10", "fail", "-all", ["-all"]),
    ],
)
def test_results_and_matched_terms(resolver: Resolver, ip: str, result: str, mechanism: str, path: list[str]) -> None:
    r = check_host(ip, "example.test", "alice@example.test", resolver=resolver)
    assert r.result.value == result and r.result == result  # a str-valued enum
    assert r.mechanism == mechanism and r.matched_path == path


def test_trace_tree_counts_and_rows(resolver: Resolver) -> None:
    r = check_host("203.0.113.10", "example.test", "alice@example.test", resolver=resolver)
    assert r.lookups == 5 and r.void_lookups == 1  # a, mx, include, include, exists; exists is void
    root = r.trace
    assert root.domain == "example.test" and root.record and root.record.startswith("v=spf1 ip4:")
    terms = {t.term: t for t in root.terms}
    inc = terms["include:_spf.provider.test"]
    assert inc.matched is False and inc.counted_lookup and inc.lookups == 4
    assert inc.child is not None and inc.child.via == "include" and inc.child.result == "softfail"
    assert inc.child.terms[0].child is not None and inc.child.terms[0].child.result == "fail"
    ex = terms["exists:%{i}.allow.example.test"]
    assert (
        ex.target == "203.0.113.10.allow.example.test" and ex.queries[0].status == "nxdomain" and ex.void_lookups == 1
    )
    mx = terms["mx"]
    assert [q.rdtype for q in mx.queries] == ["MX", "A"] and mx.queries[1].answers == ["192.0.2.60"]
    assert terms["redirect=_rest.example.test"].note.startswith("not used")
    assert terms["-all"].matched and terms["-all"].result == "fail"
    rows = r.to_rows()
    assert rows[0]["term"] == "[check_host] example.test"
    depths = [row["depth"] for row in rows]
    assert max(depths) == 2  # include inside include
    frame = r.to_frame()
    assert len(frame) == len(rows) and "matched" in frame.columns
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["result"] == "fail" and doc["trace"]["terms"][3]["child"]["domain"] == "_spf.provider.test"


def test_redirect_changes_the_domain(resolver: Resolver) -> None:
    r = check_host("192.0.2.50", "redir.test", "bob@redir.test", resolver=resolver)
    assert r.result is Result.PASS
    assert r.mechanism == "redirect=example.test" and r.matched_path == ["redirect=example.test", "a"]
    redirect = r.trace.terms[-1]
    assert redirect.child is not None and redirect.child.via == "redirect" and redirect.child.domain == "example.test"


def test_explanations(resolver: Resolver) -> None:
    r = check_host("203.0.113.10", "exp.test", "carol@exp.test", helo="mta.exp.test", resolver=resolver)
    assert r.result is Result.FAIL
    assert r.explanation == "203.0.113.10 may not send for exp.test (sender carol@exp.test, via mta.exp.test)"
    assert r.trace.terms[-1].queries[0].name == "why.exp.test"  # the exp= lookup is in the trace
    # without exp=: the caller's default, else ours
    assert (
        check_host(
            "203.0.113.10", "six.test", "x@six.test", resolver=resolver, default_explanation="DEFAULT"
        ).explanation
        == "DEFAULT"
    )
    ours = check_host("203.0.113.10", "six.test", "x@six.test", resolver=resolver).explanation
    assert "203.0.113.10" in ours and "six.test" in ours and "not authorised" in ours
    # every other result gets a plain sentence too
    assert "authorised" in check_host("192.0.2.5", "example.test", "a@example.test", resolver=resolver).explanation


def test_ipv6_cidr_and_void(resolver: Resolver) -> None:
    assert check_host("2001:db8:6::ffff", "six.test", "", resolver=resolver).result is Result.PASS
    r = check_host("192.0.2.1", "six.test", "", resolver=resolver)
    assert r.result is Result.FAIL and r.void_lookups == 1  # six.test has no A record
    assert r.sender == "postmaster@six.test"


def test_none_and_malformed_domains(resolver: Resolver) -> None:
    r = check_host("192.0.2.1", "nothing.test", "a@nothing.test", resolver=resolver)
    assert r.result is Result.NONE and "no TXT records" in r.reason
    assert check_host("192.0.2.1", "localhost", "a@localhost", resolver=resolver).result is Result.NONE
    assert check_host("192.0.2.1", "[192.0.2.1]", "a@[192.0.2.1]", resolver=resolver).result is Result.NONE
    with pytest.raises(ValueError, match="not an IP address"):
        check_host("192.0.2.300", "example.test", "a@example.test", resolver=resolver)
    with pytest.raises(ValueError, match="not an IP address"):
        check_host("fe80::1%eth0", "example.test", "a@example.test", resolver=resolver)


def test_dns_timeout_is_temperror_quickly(resolver: Resolver) -> None:
    start = time.monotonic()
    r = check_host("192.0.2.1", "slow.test", "a@slow.test", resolver=resolver)
    assert r.result is Result.TEMPERROR and r.error_kind == "dns" and r.error_term == "a:hang.slow.test"
    assert "hang.slow.test" in r.reason and "timeout" in r.reason
    assert time.monotonic() - start < 4


def test_overall_deadline(dns_server) -> None:  # type: ignore[no-untyped-def]
    slow = Resolver(nameservers=[dns_server.nameserver], timeout=0.4, retries=0)
    r = check_host("192.0.2.1", "slow.test", "a@slow.test", resolver=slow, deadline=0.0)
    assert r.result is Result.TEMPERROR and r.error_kind == "deadline"


def test_helo_identity_and_p_macro(resolver: Resolver) -> None:
    r = check_identity("192.0.2.77", "", "helo.example.test", resolver=resolver)
    assert r.result is Result.PASS and r.domain == "helo.example.test" and r.sender == "postmaster@helo.example.test"
    r = check_identity("192.0.2.78", "<dave@helo.example.test>", "x.test", resolver=resolver)
    assert r.result is Result.FAIL and r.sender == "dave@helo.example.test"
    p = check_host("203.0.113.9", "ptrdom.test", "e@ptrdom.test", resolver=resolver)
    assert p.result is Result.PASS
    assert p.trace.terms[0].target == "host.ptrdom.test.ok.ptrdom.test"
    assert [q.rdtype for q in p.trace.terms[0].queries] == ["PTR", "A", "A"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(
    ("ip", "domain"),
    [
        ("192.0.2.5", "example.test"),
        ("198.51.100.7", "example.test"),
        ("2001:db8:aaaa::1", "example.test"),
        ("203.0.113.10", "example.test"),
        ("192.0.2.50", "redir.test"),
        ("203.0.113.10", "exp.test"),
        ("2001:db8:6::1", "six.test"),
        ("203.0.113.9", "ptrdom.test"),
        ("192.0.2.1", "nothing.test"),
    ],
)
def test_second_opinion_from_pyspf(dns_server, resolver: Resolver, ip: str, domain: str) -> None:  # type: ignore[no-untyped-def]
    spf = pytest.importorskip("spf")
    import dns.resolver

    ours = check_host(ip, domain, f"user@{domain}", helo="mta.example.test", resolver=resolver)
    host, port = dns_server.nameserver.rsplit(":", 1)
    theirs_resolver = dns.resolver.Resolver(configure=False)
    theirs_resolver.nameservers = [host]
    theirs_resolver.port = int(port)
    saved = dns.resolver.get_default_resolver()
    dns.resolver.default_resolver = theirs_resolver
    try:
        theirs = spf.check2(i=ip, s=f"user@{domain}", h="mta.example.test", timeout=2)[0]
    finally:
        dns.resolver.default_resolver = saved
    assert ours.result.value == theirs
