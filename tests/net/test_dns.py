"""smtpkit.net.dns.Resolver against the lab's real DNS server on loopback (UDP and TCP).

The server is started directly here (no Lab class needed), serving the healthy
lab zone plus a test zone made for the cases a diagnosis meets: CNAMEs that
the server follows and ones it leaves to the client, an answer too big for UDP,
a name that never answers.
"""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zones import healthy as zones_healthy
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import ERROR, NODATA, NXDOMAIN, OK, REFUSED, TIMEOUT, Nameserver, Resolver
from tests.support.peers import free_port, ipv6_loopback_usable

BIG_TXT = [f"record {i:02d} " + "z" * 180 for i in range(10)]  # ~2 KB: over any UDP size the resolver offers


def _zones() -> ZoneSet:
    extra = [
        Record("alias.resolver.test", "CNAME", "mail.smtpkit.test"),  # other zone: the answer stops at the CNAME
        Record("inzone.resolver.test", "CNAME", "host.resolver.test"),  # same zone: the server follows it
        Record("host.resolver.test", "A", "127.0.0.7"),
        Record("hop1.resolver.test", "CNAME", "hop2.resolver.test"),
        Record("hop2.resolver.test", "CNAME", "final.other.test"),
        Record("final.other.test", "TXT", "at the end of the chain"),
        Record("loop1.resolver.test", "CNAME", "loop2.resolver.test"),
        Record("loop2.resolver.test", "CNAME", "loop1.resolver.test"),
        Record("to-silent.resolver.test", "CNAME", "silent.resolver.test"),
        Record("silent.resolver.test", "TIMEOUT"),
        Record("multi.resolver.test", "TXT", ["v=spf1 ", "ip4:192.0.2.1 ", "-all"]),
    ]
    extra += [Record("big.resolver.test", "TXT", text) for text in BIG_TXT]
    return ZoneSet([*zones_healthy.records("127.0.0.1"), *extra])


@pytest.fixture(scope="module")
def server():
    with DnsServer(_zones()) as srv:
        yield srv


@pytest.fixture()
def resolver(server: DnsServer) -> Resolver:
    server.clear_queries()
    return Resolver(nameservers=[server.nameserver], timeout=2.0)


# -- answers ----------------------------------------------------------------------------------------


def test_a_aaaa_mx_txt_ptr(resolver: Resolver, server: DnsServer) -> None:
    a = resolver.resolve("mail.smtpkit.test", "A")
    assert (a.status, a.rcode, a.texts, a.transport) == (OK, "NOERROR", ["127.0.0.1"], "udp")
    assert a.nameserver == server.nameserver and a.ok and not a.void and not a.failed
    assert resolver.resolve("mail.smtpkit.test", "AAAA").texts == ["::1"]
    assert resolver.mx("smtpkit.test").texts == ["10 mail.smtpkit.test."]
    assert resolver.txt("smtpkit.test").texts == ["v=spf1 ip4:127.0.0.0/8 ip6:::1 -all"]
    # character-strings are joined with nothing between them (RFC 7208 §3.3)
    assert resolver.txt("multi.resolver.test").texts == ["v=spf1 ip4:192.0.2.1 -all"]
    dkim_key = resolver.txt("lab._domainkey.smtpkit.test")
    assert len(dkim_key.records[0].strings) > 1 and dkim_key.texts[0].startswith("v=DKIM1; k=rsa; p=MII")
    assert resolver.ptr("127.0.0.1").texts == ["mail.smtpkit.test."]
    assert resolver.ptr("::1").texts == ["mail.smtpkit.test."]
    addresses, answers = resolver.addresses("smtp.smtpkit.test")
    assert addresses == ["127.0.0.1", "::1"] and [x.rdtype for x in answers] == ["A", "AAAA"]
    assert resolver.resolve("MAIL.SMTPKIT.TEST.", "a").texts == ["127.0.0.1"]  # case and trailing dot


def test_nxdomain_and_nodata_are_told_apart(resolver: Resolver) -> None:
    nx = resolver.resolve("nope.smtpkit.test", "A")
    assert (nx.status, nx.rcode) == (NXDOMAIN, "NXDOMAIN") and nx.void and not nx.failed
    nodata = resolver.resolve("mail.smtpkit.test", "MX")
    assert (nodata.status, nodata.rcode) == (NODATA, "NOERROR") and nodata.void and nodata.records == []
    ent = resolver.txt("_domainkey.smtpkit.test")  # exists only as a parent of selectors
    assert ent.status == NODATA


def test_names_outside_the_lab_are_refused_not_invented(resolver: Resolver) -> None:
    ans = resolver.mx("gmail.com")
    assert (ans.status, ans.rcode) == (REFUSED, "REFUSED") and ans.failed


def test_bad_questions_are_errors_not_exceptions(resolver: Resolver) -> None:
    long_label = resolver.resolve("a" * 64 + ".smtpkit.test", "A")
    assert long_label.status == ERROR and "invalid name" in long_label.error
    empty_label = resolver.resolve("a..smtpkit.test", "A")
    assert empty_label.status == ERROR
    bad_type = resolver.resolve("smtpkit.test", "NOSUCHTYPE")
    assert bad_type.status == ERROR and bad_type.rdtype == "NOSUCHTYPE"
    assert [row["status"] for row in resolver.log_rows()] == [ERROR, ERROR, ERROR]


# -- CNAMEs -----------------------------------------------------------------------------------------


def test_cname_followed_by_the_server(resolver: Resolver, server: DnsServer) -> None:
    ans = resolver.resolve("inzone.resolver.test", "A")
    assert ans.status == OK and ans.texts == ["127.0.0.7"]
    assert ans.canonical_name == "host.resolver.test"
    assert ans.cnames == ["inzone.resolver.test"]
    assert [q.name for q in server.queries] == ["inzone.resolver.test"]  # one question was enough


def test_cname_chased_by_the_resolver_when_the_answer_stops(resolver: Resolver, server: DnsServer) -> None:
    ans = resolver.resolve("alias.resolver.test", "A")
    assert ans.status == OK and ans.texts == ["127.0.0.1"]
    assert ans.name == "alias.resolver.test"
    assert ans.canonical_name == "mail.smtpkit.test"
    assert ans.cnames == ["alias.resolver.test"]
    assert [q.name for q in server.queries] == ["alias.resolver.test", "mail.smtpkit.test"]
    chain = resolver.txt("hop1.resolver.test")  # two CNAMEs in one answer, then a chase into other.test
    assert chain.texts == ["at the end of the chain"]
    assert chain.cnames == ["hop1.resolver.test", "hop2.resolver.test"]
    assert chain.canonical_name == "final.other.test"
    assert len(resolver.log) == 2  # the log has one row per lookup, not per packet


def test_cname_loop_is_an_error(resolver: Resolver) -> None:
    ans = resolver.resolve("loop1.resolver.test", "A")
    assert ans.status == ERROR and "CNAME loop" in ans.error


def test_any_returns_what_the_name_owns(resolver: Resolver) -> None:
    ans = resolver.resolve("smtpkit.test", "ANY")
    assert ans.status == OK
    assert "MX 10 mail.smtpkit.test." in ans.texts
    assert "TXT v=spf1 ip4:127.0.0.0/8 ip6:::1 -all" in ans.texts
    assert any(t.startswith("SOA ns.smtpkit.test.") for t in ans.texts)


def test_cname_into_a_silent_name_times_out(server: DnsServer) -> None:
    resolver = Resolver([server.nameserver], timeout=0.3)
    ans = resolver.resolve("to-silent.resolver.test", "A")
    assert ans.status == TIMEOUT
    assert ans.cnames == ["to-silent.resolver.test"]


# -- transports, timeouts, failures ---------------------------------------------------------------


def test_large_answer_is_truncated_over_udp_and_fetched_over_tcp(resolver: Resolver, server: DnsServer) -> None:
    ans = resolver.txt("big.resolver.test")
    assert ans.status == OK and ans.transport == "tcp"
    assert sorted(ans.texts) == BIG_TXT
    assert [(q.transport, q.truncated) for q in server.queries] == [("udp", True), ("tcp", False)]
    assert resolver.log_rows()[-1]["transport"] == "tcp"


def test_use_tcp_skips_udp(server: DnsServer) -> None:
    server.clear_queries()
    ans = Resolver([server.nameserver], use_tcp=True).resolve("mail.smtpkit.test", "A")
    assert ans.transport == "tcp" and ans.texts == ["127.0.0.1"]
    assert [q.transport for q in server.queries] == ["tcp"]


def test_timeout_name_gives_timeout_within_the_lifetime(server: DnsServer) -> None:
    resolver = Resolver([server.nameserver], timeout=0.3)
    start = time.monotonic()
    ans = resolver.resolve("silent.resolver.test", "TXT")
    elapsed = time.monotonic() - start
    assert ans.status == TIMEOUT and ans.failed
    assert 0.25 <= elapsed < 1.5, elapsed  # 0.3 s per try, lifetime 0.75 s: never the 10 s of a default stub
    assert server.nameserver in ans.error
    assert resolver.log_rows()[-1]["status"] == TIMEOUT


def test_lifetime_caps_many_dead_nameservers() -> None:
    dead = [f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}" for _ in range(4)]
    resolver = Resolver(dead, timeout=0.2, lifetime=0.5, retries=3)
    start = time.monotonic()
    ans = resolver.resolve("mail.smtpkit.test", "A")
    assert ans.status in (TIMEOUT, ERROR)
    assert time.monotonic() - start < 1.0


def test_unreachable_nameserver_is_reported_not_raised() -> None:
    udp = Resolver([f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"], timeout=0.3).resolve("mail.smtpkit.test", "A")
    assert udp.status in (TIMEOUT, ERROR) and udp.error
    tcp = Resolver([f"127.0.0.1:{free_port()}"], timeout=0.3, use_tcp=True).resolve("smtpkit.test", "MX")
    assert tcp.status == ERROR and "refused" in tcp.error.lower()


def test_a_dead_nameserver_fails_over_to_the_next(server: DnsServer) -> None:
    resolver = Resolver([f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}", server.nameserver], timeout=0.3, lifetime=2.0)
    ans = resolver.resolve("mail.smtpkit.test", "A")
    assert ans.status == OK and ans.nameserver == server.nameserver


@pytest.mark.skipif(not ipv6_loopback_usable(), reason="IPv6 loopback ::1 is not usable on this machine")
def test_ipv6_nameserver() -> None:
    with DnsServer(_zones(), host="::1") as srv:
        resolver = Resolver([f"[::1]:{srv.port}"], timeout=2.0)
        assert resolver.resolve("mail.smtpkit.test", "AAAA").texts == ["::1"]
        assert resolver.txt("big.resolver.test").transport == "tcp"


# -- nameserver syntax ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("127.0.0.1", "127.0.0.1", 53),
        (" 127.0.0.1:5353 ", "127.0.0.1", 5353),
        ("::1", "::1", 53),
        ("[::1]", "::1", 53),
        ("[::1]:5353", "::1", 5353),
        ("localhost:5353", None, 5353),
    ],
)
def test_nameserver_parse(text: str, host: str | None, port: int) -> None:
    ns = Nameserver.parse(text)
    assert ns.port == port
    if host is not None:
        assert ns.host == host
    else:
        assert ns.host in ("127.0.0.1", "::1")
    assert Nameserver.parse(str(ns)) == ns  # str() round-trips


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty nameserver"),
        ("   ", "empty nameserver"),
        ("127.0.0.1:dns", "port 'dns' is not a number"),
        ("127.0.0.1:0", "out of range"),
        ("127.0.0.1:65536", "out of range"),
        ("127.0.0.1:", "is not a number"),
        ("[::1", "missing ']'"),
        ("[::1]5353", "expected ':port'"),
    ],
)
def test_nameserver_parse_rejects_bad_input_clearly(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Nameserver.parse(text)


def test_resolver_argument_checks() -> None:
    with pytest.raises(ValueError, match="no nameservers"):
        Resolver(nameservers=[])
    with pytest.raises(ValueError, match="timeout must be positive"):
        Resolver(["127.0.0.1"], timeout=0)
    assert Resolver("127.0.0.1:5353").nameservers == [Nameserver("127.0.0.1", 5353)]  # one string is one server
    assert "127.0.0.1:5353" in repr(Resolver(["127.0.0.1:5353"]))


# -- the query log ----------------------------------------------------------------------------------


def test_query_log_rows(resolver: Resolver, server: DnsServer) -> None:
    resolver.mx("smtpkit.test")
    resolver.resolve("nope.smtpkit.test", "TXT")
    rows = resolver.log_rows()
    assert [(r["name"], r["type"], r["status"], r["rcode"]) for r in rows] == [
        ("smtpkit.test", "MX", OK, "NOERROR"),
        ("nope.smtpkit.test", "TXT", NXDOMAIN, "NXDOMAIN"),
    ]
    assert rows[0]["answers"] == ["10 mail.smtpkit.test."]
    assert rows[0]["nameserver"] == server.nameserver and rows[0]["transport"] == "udp"
    assert all(isinstance(r["elapsed_ms"], float) and r["elapsed_ms"] >= 0 for r in rows)
    resolver.clear_log()
    assert resolver.log_rows() == []


# -- asyncio ----------------------------------------------------------------------------------------


def test_aresolve_matches_resolve(resolver: Resolver) -> None:
    async def run() -> list:
        return [
            await resolver.aresolve("mail.smtpkit.test", "A"),
            await resolver.aresolve("alias.resolver.test", "A"),
            await resolver.aresolve("big.resolver.test", "TXT"),
            await resolver.aresolve("nope.smtpkit.test", "A"),
            await resolver.aresolve("a..b", "A"),
        ]

    a, alias, big, nx, bad = asyncio.run(run())
    assert a.texts == ["127.0.0.1"] and a.transport == "udp"
    assert alias.texts == ["127.0.0.1"] and alias.cnames == ["alias.resolver.test"]
    assert big.transport == "tcp" and sorted(big.texts) == BIG_TXT
    assert nx.status == NXDOMAIN
    assert bad.status == ERROR


def test_aresolve_many_runs_concurrently(server: DnsServer) -> None:
    resolver = Resolver([server.nameserver], timeout=0.4)
    selectors = ["lab", "lab-ed25519", "google", "selector1", "selector2", "default", "k1", "s1"]
    queries = [(f"{s}._domainkey.smtpkit.test", "TXT") for s in selectors] + [("silent.resolver.test", "A")] * 3
    start = time.monotonic()
    answers = asyncio.run(resolver.aresolve_many(queries))
    elapsed = time.monotonic() - start
    assert [a.name for a in answers] == [q[0] for q in queries]  # results come back in question order
    assert [a.status for a in answers[:2]] == [OK, OK]
    assert {a.status for a in answers[2:8]} == {NXDOMAIN}
    assert {a.status for a in answers[8:]} == {TIMEOUT}
    assert elapsed < 2.0, elapsed  # three silent names in sequence would take 3 x 0.8 s
    assert len(resolver.log) == len(queries)


# -- through the practice lab -----------------------------------------------------------------------


def test_the_lab_fixture_serves_the_healthy_domain(request: pytest.FixtureRequest) -> None:
    """The same checks through `Lab.start()`, which creates the DNS server the way notebooks get it."""
    try:
        from smtpkit.lab import Lab  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"the Lab class is not available yet ({exc})")
    lab = request.getfixturevalue("lab")
    resolver: Resolver = request.getfixturevalue("lab_resolver")
    assert "smtpkit.test" in lab.dns.zones
    assert resolver.mx("smtpkit.test").texts == ["10 mail.smtpkit.test."]
    assert resolver.ptr("127.0.0.1").texts == ["mail.smtpkit.test."]
    key = resolver.txt("lab._domainkey.smtpkit.test")
    assert key.ok and key.texts[0].startswith("v=DKIM1; k=rsa; p=")
    assert resolver.resolve("example.com", "A").status == REFUSED
    # the lab signs with the private half of what it publishes
    import dkim

    from smtpkit.lab.dkim_signer import example_message, sign_message

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        answer = resolver.txt(name.decode())
        return answer.texts[0].encode() if answer.ok else None

    assert dkim.verify(sign_message(example_message()), dnsfunc=dnsfunc)


def test_once_asks_each_question_once_and_logs_it_once(lab_dns) -> None:  # type: ignore[no-untyped-def]
    """`Resolver.once()` is what one check uses so that its steps share answers instead of re-asking."""
    r = Resolver([lab_dns.nameserver], timeout=2.0)
    once = r.once()
    assert once.once() is once
    first = once.resolve("smtpkit.test", "MX")
    again = once.resolve("smtpkit.test.", "mx")
    assert again is first and first.ok
    assert [(q.name, q.rdtype) for q in r.log] == [("smtpkit.test", "MX")]


@pytest.mark.parametrize("dnssec", [False, True])
@pytest.mark.parametrize(("name", "rdtype"), [("example.com.", "MX"), ("sel._domainkey.xn--bcher-kva.test.", "TXT")])
def test_make_query_is_dnspythons_query(name: str, rdtype: str, dnssec: bool) -> None:
    import dns.flags
    import dns.message
    import dns.name
    import dns.rdatatype

    from smtpkit.net.dns import make_query

    qname, rdt = dns.name.from_text(name), dns.rdatatype.RdataType.make(rdtype)
    ours = make_query(qname, rdt, dnssec)
    theirs = dns.message.make_query(qname, rdt, use_edns=True, want_dnssec=dnssec)
    theirs.flags |= dns.flags.RD | (dns.flags.AD if dnssec else 0)
    theirs.id = ours.id
    assert ours == theirs
    assert ours.to_wire() == theirs.to_wire()
    assert (ours.flags, ours.ednsflags, ours.payload, ours.request_payload, ours.edns) == (
        theirs.flags,
        theirs.ednsflags,
        theirs.payload,
        theirs.request_payload,
        theirs.edns,
    )
    assert type(ours) is type(theirs)
    # each query has its own OPT record: dnspython changes it in place when a query's EDNS flags are set
    ours.want_dnssec(not dnssec)
    assert make_query(qname, rdt, dnssec).ednsflags == theirs.ednsflags
    assert len({make_query(qname, rdt, dnssec).id for _ in range(20)}) > 1  # a random ID each time
