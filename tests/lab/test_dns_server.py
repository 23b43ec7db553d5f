"""The lab's authoritative DNS server and its zone data, tested over real sockets on loopback.

Raw dnspython queries (not smtpkit's Resolver) check the wire behaviour, so the
server is proven independently of the client that will use it; the Resolver
side is tests/test_resolver.py. Pure zone logic (`ZoneSet.lookup`, `respond`)
is tested without sockets.
"""

from __future__ import annotations

import base64
import random
import socket
import stat
import sys
import time
import types
from pathlib import Path

import dkim
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key

from smtpkit.lab import dkim_signer
from smtpkit.lab.dkim_signer import DkimKeys, example_message, sign_message
from smtpkit.lab.dns_server import DnsServer, respond
from smtpkit.lab.zones import discover_zone_modules, lab_zoneset
from smtpkit.lab.zones import healthy as zones_healthy
from smtpkit.lab.zoneset import Record, ZoneError, ZoneSet, split_txt
from smtpkit.net.dns import Resolver, reverse_name


def _query(name: str, rdtype: str, *, edns: bool = True, payload: int = 1232) -> dns.message.QueryMessage:
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else False, payload=payload)
    assert isinstance(q, dns.message.QueryMessage)
    return q


def _ask(srv: DnsServer, name: str, rdtype: str, *, tcp: bool = False, timeout: float = 2.0, **kw):  # type: ignore[no-untyped-def]
    q = _query(name, rdtype, **kw)
    if tcp:
        return dns.query.tcp(q, srv.host, port=srv.port, timeout=timeout)
    return dns.query.udp(q, srv.host, port=srv.port, timeout=timeout)


def _txt(response: dns.message.Message) -> list[tuple[bytes, ...]]:
    return sorted(tuple(rd.strings) for rrset in response.answer for rd in rrset if rrset.rdtype in (16, 99))


def _ipv6_loopback_usable() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def lab_server():
    with DnsServer(lab_zoneset("127.0.0.1")) as srv:
        yield srv


@pytest.fixture(scope="module")
def rfc7208_scenarios(conformance_dir: Path) -> list[dict]:
    yaml = pytest.importorskip("yaml")
    path = conformance_dir / "spf" / "rfc7208-tests.yml"
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def _scenario(scenarios: list[dict], description: str) -> dict:
    return next(s for s in scenarios if s["description"] == description)


# -- records and zone building (pure) ------------------------------------------------------------


def test_long_txt_is_split_into_255_byte_strings_and_lists_are_kept() -> None:
    assert split_txt(b"x" * 600) == (b"x" * 255, b"x" * 255, b"x" * 90)
    zs = ZoneSet(
        [Record("a.test", "TXT", "y" * 300), Record("b.test", "TXT", ["v=spf1", " -all"]), Record("c.test", "SPF", [])]
    )
    (a,) = zs.lookup("a.test", "TXT").answer
    assert [len(s) for s in a[0].strings] == [255, 45]
    assert zs.lookup("b.test", "TXT").answer[0][0].strings == (b"v=spf1", b" -all")
    assert zs.lookup("c.test", "SPF").answer[0][0].strings == (b"",)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (Record("a.test", "A", "999.1.1.1"), "bad A value"),
        (Record("a.test", "AAAA", "127.0.0.1"), "bad AAAA value"),
        (Record("a.test", "BOGUS", "x"), "unknown record type"),
        (Record("a.test", "MX", "ten mail.test"), "bad MX value"),
        (Record("a.test", "TXT", ["z" * 256]), "limit is 255"),
        (Record("a.test", "TXT", None), "needs a value"),
        (Record("a" * 64 + ".test", "A", "127.0.0.1"), "bad name"),
        (Record("a.test", "A", "127.0.0.1", ttl=-1), "TTL"),
        (Record("a.test", "TIMEOUT", "NOTATYPE"), "unknown record type"),
    ],
)
def test_bad_records_raise_zone_error_naming_the_record(record: Record, message: str) -> None:
    with pytest.raises(ZoneError, match=message):
        ZoneSet([record])


def test_cname_with_other_data_is_rejected() -> None:
    with pytest.raises(ZoneError, match="CNAME and other data"):
        ZoneSet([Record("a.test", "CNAME", "b.test"), Record("a.test", "TXT", "x")])


def test_records_outside_declared_zones_are_rejected() -> None:
    with pytest.raises(ZoneError, match="outside the declared zones"):
        ZoneSet([Record("www.other.test", "A", "127.0.0.1")], zones=["mine.test"])


def test_zones_are_inferred_and_get_soa_and_ns() -> None:
    zs = ZoneSet([Record("deep.www.one.test", "A", "127.0.0.1"), Record(reverse_name("127.0.0.9"), "PTR", "one.test")])
    assert zs.zone_names() == ["one.test", "127.in-addr.arpa"]
    soa = zs.lookup("one.test", "SOA").answer[0][0]
    assert soa.mname.to_text() == "ns.smtpkit.test."
    assert zs.lookup("one.test", "NS").answer[0][0].target.to_text() == "ns.smtpkit.test."
    rows = zs.rows()
    assert {"name": "deep.www.one.test", "type": "A", "ttl": 300, "value": "127.0.0.1"} in rows
    assert "deep.www.one.test. 300 IN A 127.0.0.1" in zs.to_text()
    assert "one.test" in repr(zs)


def test_lookup_rules() -> None:
    zs = ZoneSet(
        [
            Record("ex.test", "MX", "10 mail.ex.test"),
            Record("mail.ex.test", "A", "127.0.0.1"),
            Record("sel._domainkey.ex.test", "TXT", "v=DKIM1; p="),
            Record("alias.ex.test", "CNAME", "mail.ex.test"),
            Record("out.ex.test", "CNAME", "target.other.test"),
            Record("target.other.test", "A", "127.0.0.2"),
            Record("loop1.ex.test", "CNAME", "loop2.ex.test"),
            Record("loop2.ex.test", "CNAME", "loop1.ex.test"),
            Record("*.wild.ex.test", "TXT", "wildcard"),
            Record("exact.wild.ex.test", "A", "127.0.0.3"),
        ]
    )
    nx = zs.lookup("nope.ex.test", "A")
    assert nx.rcode == dns.rcode.NXDOMAIN and nx.authority[0].rdtype == dns.rdatatype.SOA
    assert nx.authority[0].ttl == 300  # min(SOA TTL, SOA MINIMUM), RFC 2308
    nodata = zs.lookup("mail.ex.test", "MX")
    assert nodata.rcode == dns.rcode.NOERROR and not nodata.answer and nodata.authority
    ent = zs.lookup("_domainkey.ex.test", "TXT")  # empty non-terminal: NODATA, never NXDOMAIN (RFC 8020)
    assert ent.rcode == dns.rcode.NOERROR and not ent.answer
    chased = zs.lookup("alias.ex.test", "A")
    assert [r.rdtype for r in chased.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    stopped = zs.lookup("out.ex.test", "A")  # other zone: the answer stops at the CNAME
    assert [r.rdtype for r in stopped.answer] == [dns.rdatatype.CNAME]
    loop = zs.lookup("loop1.ex.test", "A")
    assert [r.name.to_text() for r in loop.answer] == ["loop1.ex.test.", "loop2.ex.test."]
    assert zs.lookup("alias.ex.test", "CNAME").answer[0].rdtype == dns.rdatatype.CNAME
    wild = zs.lookup("anything.wild.ex.test", "TXT")
    assert wild.answer[0].name.to_text() == "anything.wild.ex.test." and wild.answer[0][0].strings == (b"wildcard",)
    assert zs.lookup("exact.wild.ex.test", "TXT").answer == []  # the name exists: no wildcard for it
    assert zs.lookup("under.exact.wild.ex.test", "TXT").rcode == dns.rcode.NXDOMAIN  # encloser is exact.wild
    anything = zs.lookup("ex.test", "ANY")
    assert {r.rdtype for r in anything.answer} >= {dns.rdatatype.MX, dns.rdatatype.SOA, dns.rdatatype.NS}
    refused = zs.lookup("example.com", "A")
    assert refused.rcode == dns.rcode.REFUSED and not refused.authoritative
    spelled = zs.lookup("MAIL.Ex.TEST", "A")  # the asked spelling is echoed (0x20 clients compare it)
    assert spelled.answer[0].name.labels[:2] == (b"MAIL", b"Ex")


def test_timeout_records_silence_what_was_not_listed_before_them() -> None:
    zs = ZoneSet(
        [
            Record("t.test", "TXT", "v=spf1 -all"),
            Record("t.test", "TIMEOUT"),
            Record("t.test", "A", "127.0.0.1"),
            Record("u.test", "TIMEOUT", "MX"),
            Record("u.test", "A", "127.0.0.1"),
        ]
    )
    assert zs.lookup("t.test", "TXT").answer
    assert zs.lookup("t.test", "A").drop
    assert zs.lookup("t.test", "SPF").drop
    assert zs.lookup("u.test", "MX").drop
    assert zs.lookup("u.test", "A").answer
    assert any(r["type"] == "TIMEOUT" for r in zs.rows())


# -- the RFC 7208 zonedata format ------------------------------------------------------------------


def test_zonedata_copies_spf_to_txt_only_where_a_name_has_no_txt() -> None:
    zs = ZoneSet.from_zonedata(
        {
            "spfonly.test": [{"SPF": "v=spf1 -all"}],
            "both.test": [{"SPF": "v=spf1 +all"}, {"TXT": "v=spf1 -all"}],
            "none.test": [{"SPF": "v=spf1 -all"}, {"TXT": "NONE"}],
        }
    )
    assert zs.lookup("spfonly.test", "TXT").answer[0][0].strings == (b"v=spf1 -all",)
    assert zs.lookup("spfonly.test", "SPF").answer[0].rdtype == 99
    assert [rd.strings for rd in zs.lookup("both.test", "TXT").answer[0]] == [(b"v=spf1 -all",)]
    none = zs.lookup("none.test", "TXT")
    assert not none.answer and none.rcode == dns.rcode.NOERROR
    literal = ZoneSet.from_zonedata({"spfonly.test": [{"SPF": "v=spf1 -all"}]}, copy_spf_to_txt=False)
    assert not literal.lookup("spfonly.test", "TXT").answer
    # the suite's zone set answers every name: absent ones are NXDOMAIN, not REFUSED
    assert zs.lookup("not-there.example.org", "A").rcode == dns.rcode.NXDOMAIN


def test_zonedata_rejects_malformed_entries() -> None:
    with pytest.raises(ZoneError, match="only TIMEOUT"):
        ZoneSet.from_zonedata({"a.test": ["SLOW"]})
    with pytest.raises(ZoneError, match="not a mapping"):
        ZoneSet.from_zonedata({"a.test": [42]})
    with pytest.raises(ZoneError, match=r"\[preference, exchange\]"):
        ZoneSet.from_zonedata({"a.test": [{"MX": [10]}]})
    assert len(ZoneSet.from_zonedata(None)) == 2  # just the synthesized root SOA and NS


def test_every_rfc7208_scenario_loads(rfc7208_scenarios: list[dict]) -> None:
    assert len(rfc7208_scenarios) >= 16
    assert sum(len(s["tests"]) for s in rfc7208_scenarios) == 203
    for scenario in rfc7208_scenarios:
        zs = ZoneSet.from_zonedata(scenario.get("zonedata"))
        assert len(zs) > 2, scenario["description"]
        assert zs.zone_names() == ["."]


def test_selecting_records_scenario_needs_the_spf_copy(rfc7208_scenarios: list[dict]) -> None:
    """The suite's header makes it sound as if this scenario ran without the copy; its expectations need it.

    Test `case-insensitive` expects softfail from example9.com, which publishes only
    an SPF-type record: a TXT-only evaluator reaches that result only through the copy.
    """
    data = _scenario(rfc7208_scenarios, "Selecting records")["zonedata"]
    copied = ZoneSet.from_zonedata(data)
    assert copied.lookup("example9.com", "TXT").answer[0][0].strings == (b"v=SpF1 ~all",)
    assert not ZoneSet.from_zonedata(data, copy_spf_to_txt=False).lookup("example9.com", "TXT").answer
    example5 = copied.lookup("example5.com", "TXT").answer[0]  # own TXT records: no copy of the SPF one
    assert sorted(rd.strings for rd in example5) == [(b"v=spf1 +all",), (b"v=spf1 -all",)]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_rfc7208_records_are_served_byte_for_byte(rfc7208_scenarios: list[dict], tcp: bool) -> None:
    zonesets = {s["description"]: ZoneSet.from_zonedata(s["zonedata"]) for s in rfc7208_scenarios}
    with DnsServer(zonesets["Initial processing"]) as srv:
        # "\xEF\xBB\xBF" in the YAML is three bytes (a UTF-8 BOM), not six
        assert _txt(_ask(srv, "hosed.example.com", "TXT", tcp=tcp)) == [
            (b"v=spf1 a:\xef\xbb\xbfgarbage.example.net -all",)
        ]
        # two character-strings in one record, plus an empty record
        assert _txt(_ask(srv, "null.example.com", "TXT", tcp=tcp)) == [(b"",), (b"v=spf1 ip4:", b"192.0.2.5 -all")]
        assert _txt(_ask(srv, "ctrl.example.com", "SPF", tcp=tcp)) == [(b"v=spf1 a:ctrl.example.com\rptr -all",)]
        r = _ask(srv, "a12345678901234567890123456789012345678901234567890123456789012.example.com", "TXT", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and r.answer

        srv.zoneset = zonesets["MX mechanism syntax"]  # swapped while running
        mx = _ask(srv, "mail.example.com", "MX", tcp=tcp)
        assert mx.answer[0][0].exchange.to_text() == "."
        assert _txt(_ask(srv, "e3.example.com", "TXT", tcp=tcp)) == [(b"v=spf1 mx:foo.example.com\x00",)]
        assert _ask(srv, "foo:bar/baz.example.com", "MX", tcp=tcp).answer

        srv.load(zonesets["PTR mechanism syntax"])
        ptr = _ask(srv, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.D.0.1.0.0.2.ip6.arpa", "PTR", tcp=tcp)
        assert ptr.answer[0][0].target.to_text() == "mail.Example.com."
        loop = _ask(srv, "loop4.example.com", "A", tcp=tcp)  # CNAME loop: both CNAMEs once, then stop
        assert [rrset.rdtype for rrset in loop.answer] == [dns.rdatatype.CNAME, dns.rdatatype.CNAME]

        srv.load(zonesets["Macro expansion rules"])
        spaced = _ask(srv, "macro%percent  space%20url-space.example.com", "A", tcp=tcp)
        assert spaced.answer[0][0].address == "1.2.3.4"
        long_name = ".".join(["somewhat.long.exp.example.com"] * 8) + ".example.com"
        assert _ask(srv, long_name, "TXT", tcp=tcp).answer

        srv.load(zonesets["Record lookup"])
        assert _txt(_ask(srv, "spftimeout.example.net", "TXT", tcp=tcp)) == [(b"v=spf1 -all",)]
        with pytest.raises(dns.exception.Timeout):
            _ask(srv, "spftimeout.example.net", "SPF", tcp=tcp, timeout=0.3)
        with pytest.raises(dns.exception.Timeout):
            _ask(srv, "txttimeout.example.net", "TXT", tcp=tcp, timeout=0.3)
        assert _txt(_ask(srv, "txttimeout.example.net", "SPF", tcp=tcp)) == [(b"v=spf1 -all",)]
        assert _ask(srv, "nothing.example.net", "TXT", tcp=tcp).rcode() == dns.rcode.NXDOMAIN


# -- respond(): one message in, one message (or silence) out -------------------------------------


@pytest.fixture(scope="module")
def small_zone() -> ZoneSet:
    return ZoneSet(
        [Record("a.test", "A", "127.0.0.1")] + [Record("big.a.test", "TXT", f"{i:03d}" + "x" * 200) for i in range(12)]
    )


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x00" * 5,
        random.Random(7).randbytes(11),
        b"\xff" * 40,
        b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\x07broken",
    ],
    ids=["empty", "short", "random", "all-ones", "cut-question"],
)
def test_garbage_gets_no_reply(small_zone: ZoneSet, garbage: bytes) -> None:
    assert respond(small_zone, garbage) is None


def test_responses_are_never_answered(small_zone: ZoneSet) -> None:
    q = _query("a.test", "A")
    q.flags |= dns.flags.QR
    assert respond(small_zone, q.to_wire()) is None


@pytest.mark.parametrize(
    ("mutate", "rcode"),
    [
        (lambda q: q.set_opcode(dns.opcode.NOTIFY), dns.rcode.NOTIMP),
        (lambda q: q.question.append(q.question[0]), dns.rcode.FORMERR),
        (lambda q: q.use_edns(1), dns.rcode.BADVERS),
    ],
    ids=["notify", "two-questions", "edns1"],
)
def test_unsupported_requests_get_an_error_rcode(small_zone: ZoneSet, mutate, rcode: int) -> None:  # type: ignore[no-untyped-def]
    q = _query("a.test", "A")
    mutate(q)
    reply = dns.message.from_wire(respond(small_zone, q.to_wire()))
    assert reply.rcode() == rcode
    assert reply.id == q.id


def test_zone_transfers_and_chaos_class_are_refused(small_zone: ZoneSet) -> None:
    axfr = dns.message.from_wire(respond(small_zone, _query("a.test", "AXFR").to_wire(), "tcp"))
    assert axfr.rcode() == dns.rcode.REFUSED
    ch = dns.message.make_query("version.bind", "TXT", rdclass=dns.rdataclass.CH)
    assert dns.message.from_wire(respond(small_zone, ch.to_wire())).rcode() == dns.rcode.REFUSED


def test_udp_truncates_at_512_without_edns_and_at_the_edns_size(small_zone: ZoneSet) -> None:
    plain = respond(small_zone, _query("big.a.test", "TXT", edns=False).to_wire())
    assert plain is not None and len(plain) <= 512
    assert dns.message.from_wire(plain).flags & dns.flags.TC
    edns = respond(small_zone, _query("big.a.test", "TXT", payload=4096).to_wire())
    assert edns is not None and len(edns) > 2400 and not dns.message.from_wire(edns).flags & dns.flags.TC
    tiny = respond(small_zone, _query("big.a.test", "TXT", payload=100).to_wire())  # below 512 counts as 512
    assert tiny is not None and len(tiny) <= 512 and dns.message.from_wire(tiny).flags & dns.flags.TC
    full = respond(small_zone, _query("big.a.test", "TXT", edns=False).to_wire(), "tcp")
    assert full is not None and len(dns.message.from_wire(full).answer[0]) == 12


# -- the server on sockets --------------------------------------------------------------------------


def test_lab_zones_include_the_healthy_domain(lab_server: DnsServer) -> None:
    names = lab_server.zoneset.zone_names()
    assert names[0] == "smtpkit.test"
    assert "127.in-addr.arpa" in names
    assert lab_server.zoneset.zone_descriptions()["smtpkit.test"].startswith("healthy")
    assert discover_zone_modules()[0] == "smtpkit.lab.zones.healthy"


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_authoritative_answer_over_both_transports(lab_server: DnsServer, tcp: bool) -> None:
    r = _ask(lab_server, "mail.smtpkit.test", "A", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert [rd.address for rd in r.answer[0]] == ["127.0.0.1"]


def test_nxdomain_has_soa_in_authority(lab_server: DnsServer) -> None:
    r = _ask(lab_server, "nope.smtpkit.test", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert not r.answer
    assert r.authority[0].rdtype == dns.rdatatype.SOA
    assert r.authority[0].name.to_text() == "smtpkit.test."


def test_outside_the_lab_zones_is_refused(lab_server: DnsServer) -> None:
    r = _ask(lab_server, "gmail.com", "MX")
    assert r.rcode() == dns.rcode.REFUSED
    assert not r.flags & dns.flags.AA


def test_truncated_udp_then_full_tcp_on_the_same_port(small_zone: ZoneSet) -> None:
    with DnsServer(small_zone) as srv:
        udp = _ask(srv, "big.a.test", "TXT", edns=False)
        assert udp.flags & dns.flags.TC
        response, used_tcp = dns.query.udp_with_fallback(
            _query("big.a.test", "TXT"), srv.host, port=srv.port, timeout=2
        )
        assert used_tcp and len(response.answer[0]) == 12
        log = srv.query_rows()
        assert [(q["transport"], q["truncated"]) for q in log] == [("udp", True), ("udp", True), ("tcp", False)]
        assert log[-1]["name"] == "big.a.test" and log[-1]["rcode"] == "NOERROR" and log[-1]["answers"] == 12


def _tcp_exchange(sock: socket.socket, q: dns.message.Message) -> dns.message.Message:
    wire = q.to_wire()
    sock.sendall(len(wire).to_bytes(2, "big") + wire)
    length = int.from_bytes(_recv_n(sock, 2), "big")
    return dns.message.from_wire(_recv_n(sock, length))


def _recv_n(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def test_tcp_connection_serves_several_queries_and_survives_garbage_and_silence() -> None:
    zs = ZoneSet.from_zonedata({"a.example": [{"A": "192.0.2.1"}], "slow.example": ["TIMEOUT"]})
    with DnsServer(zs) as srv, socket.create_connection(srv.address, timeout=2) as sock:
        assert _tcp_exchange(sock, _query("a.example", "A")).answer
        junk = b"\x01\x02\x03"
        sock.sendall(len(junk).to_bytes(2, "big") + junk)  # unparsable: ignored, connection stays usable
        silent = _query("slow.example", "A").to_wire()
        sock.sendall(len(silent).to_bytes(2, "big") + silent)  # TIMEOUT: no reply at all
        second = _query("a.example", "A")
        reply = _tcp_exchange(sock, second)
        assert reply.id == second.id and reply.answer[0][0].address == "192.0.2.1"
        assert [q["rcode"] for q in srv.query_rows()] == ["NOERROR", "dropped (TIMEOUT)", "NOERROR"]


def test_udp_garbage_does_not_stop_the_server(small_zone: ZoneSet) -> None:
    with DnsServer(small_zone) as srv:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for blob in (b"", b"\xff" * 3000, random.Random(3).randbytes(50)):
                s.sendto(blob, srv.address)
        assert _ask(srv, "a.test", "A").answer[0][0].address == "127.0.0.1"


def test_timeout_name_gets_no_answer_quickly_enough_to_measure() -> None:
    zs = ZoneSet.from_zonedata({"slow.example.com": ["TIMEOUT"], "ok.example.com": [{"A": "192.0.2.1"}]})
    with DnsServer(zs) as srv:
        start = time.monotonic()
        with pytest.raises(dns.exception.Timeout):
            _ask(srv, "slow.example.com", "TXT", timeout=0.3)
        assert time.monotonic() - start < 2
        assert _ask(srv, "ok.example.com", "A").answer


def test_tcp_clients_are_bounded_and_idle_ones_dropped(small_zone: ZoneSet) -> None:
    with DnsServer(small_zone, max_tcp_clients=2, tcp_idle_timeout=0.5) as srv:
        first = socket.create_connection(srv.address, timeout=3)
        second = socket.create_connection(srv.address, timeout=3)
        time.sleep(0.1)
        with socket.create_connection(srv.address, timeout=3) as third:
            assert third.recv(10) == b""  # over the limit: closed at once
        start = time.monotonic()
        first.sendall(b"\x00")  # half a length prefix, then nothing (slow loris)
        assert first.recv(10) == b""
        assert second.recv(10) == b""
        assert time.monotonic() - start < 2.5
        first.close()
        second.close()
        time.sleep(0.1)
        with socket.create_connection(srv.address, timeout=2) as fresh:  # slots were freed
            assert _tcp_exchange(fresh, _query("a.test", "A")).answer


def test_stop_releases_the_port_and_is_idempotent() -> None:
    srv = DnsServer(ZoneSet([Record("a.test", "A", "127.0.0.1")]))
    host, port = srv.start()
    assert srv.running and srv.nameserver == f"127.0.0.1:{port}"
    assert srv.start() == (host, port)  # already running: same address
    srv.stop()
    srv.stop()
    assert not srv.running
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind((host, port))


def test_busy_port_and_bad_host_give_clear_errors(small_zone: ZoneSet) -> None:
    with DnsServer(small_zone) as srv:
        with pytest.raises(OSError, match="cannot listen on 127.0.0.1 port"):
            DnsServer(small_zone, port=srv.port).start()
    with pytest.raises(ValueError, match="IP address"):
        DnsServer(small_zone, host="localhost")
    with pytest.raises(ValueError, match="out of range"):
        DnsServer(small_zone, port=70000)


@pytest.mark.skipif(not _ipv6_loopback_usable(), reason="IPv6 loopback ::1 is not usable on this machine")
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_ipv6_loopback(tcp: bool) -> None:
    with DnsServer(lab_zoneset("::1", modules=["smtpkit.lab.zones.healthy"]), host="::1") as srv:
        assert srv.nameserver == f"[::1]:{srv.port}"
        r = _ask(srv, "mail.smtpkit.test", "AAAA", tcp=tcp)
        assert r.answer[0][0].address == "::1"
        ptr = _ask(srv, reverse_name("::1"), "PTR", tcp=tcp)
        assert ptr.answer[0][0].target.to_text() == "mail.smtpkit.test."


# -- lab zone modules -------------------------------------------------------------------------------


@pytest.fixture()
def fake_zone_modules(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def install(name: str, **attrs: object) -> str:
        module = types.ModuleType(name)
        for key, value in attrs.items():
            setattr(module, key, value)
        monkeypatch.setitem(sys.modules, name, module)
        return name

    return install


def test_lab_zoneset_merges_modules_and_keeps_descriptions(fake_zone_modules) -> None:  # type: ignore[no-untyped-def]
    broken = fake_zone_modules(
        "fake_zones_spf",
        ZONES={"spf-plus-all.test": "SPF ends in +all"},
        records=lambda ip: [
            Record("spf-plus-all.test", "TXT", "v=spf1 +all"),
            ("2.0.0.127.in-addr.arpa", "PTR", "x.spf-plus-all.test"),
        ],
    )
    zs = lab_zoneset("127.0.0.1", modules=["smtpkit.lab.zones.healthy", broken])
    assert zs.zone_names() == ["smtpkit.test", "spf-plus-all.test", "0.ip6.arpa", "127.in-addr.arpa"]
    assert zs.zone_descriptions()["spf-plus-all.test"] == "SPF ends in +all"
    assert zs.lookup("2.0.0.127.in-addr.arpa", "PTR").answer  # reverse records share the 127 zone
    assert zs.lookup("1.0.0.127.in-addr.arpa", "PTR").answer


def test_lab_zoneset_names_the_module_at_fault(fake_zone_modules) -> None:  # type: ignore[no-untyped-def]
    dup = fake_zone_modules("fake_zones_dup", records=lambda ip: [Record("smtpkit.test", "TXT", "v=spf1 +all")])
    with pytest.raises(ZoneError, match="defined by both smtpkit.lab.zones.healthy and fake_zones_dup"):
        lab_zoneset(modules=["smtpkit.lab.zones.healthy", dup])
    stray = fake_zone_modules(
        "fake_zones_stray", ZONES={"mine.test": "x"}, records=lambda ip: [Record("other.test", "A", ip)]
    )
    with pytest.raises(ZoneError, match="fake_zones_stray: other.test lies outside its ZONES"):
        lab_zoneset(modules=[stray])
    bad = fake_zone_modules("fake_zones_bad", records=lambda ip: [Record("bad.test", "A", "not-an-ip")])
    with pytest.raises(ZoneError, match="fake_zones_bad: record bad.test A 'not-an-ip'"):
        lab_zoneset(modules=[bad])
    norecords = fake_zone_modules("fake_zones_empty")
    with pytest.raises(ZoneError, match="has no records"):
        lab_zoneset(modules=[norecords])
    with pytest.raises(ZoneError, match="fake_zones_missing failed to import"):
        lab_zoneset(modules=["fake_zones_missing"])


# -- the healthy zone and its DKIM keys ----------------------------------------------------------


def test_healthy_zone_records(lab_server: DnsServer) -> None:
    mx = _ask(lab_server, "smtpkit.test", "MX").answer[0][0]
    assert (mx.preference, mx.exchange.to_text()) == (10, "mail.smtpkit.test.")
    assert _txt(_ask(lab_server, "smtpkit.test", "TXT")) == [(b"v=spf1 ip4:127.0.0.0/8 ip6:::1 -all",)]
    dmarc = b"".join(_txt(_ask(lab_server, "_dmarc.smtpkit.test", "TXT"))[0]).decode()
    assert dmarc.startswith("v=DMARC1; p=reject;") and "adkim=s" in dmarc and "aspf=s" in dmarc
    for host in ("mail.smtpkit.test", "smtp.smtpkit.test"):
        assert _ask(lab_server, host, "AAAA").answer[0][0].address == "::1"
    # forward-confirmed reverse DNS: PTR -> name -> the same address
    ptr = _ask(lab_server, reverse_name("127.0.0.1"), "PTR").answer[0][0].target.to_text()
    assert ptr == "mail.smtpkit.test."
    assert _ask(lab_server, ptr, "A").answer[0][0].address == "127.0.0.1"
    soa = _ask(lab_server, "smtpkit.test", "SOA").answer[0][0]
    assert soa.rname.to_text() == "hostmaster.smtpkit.test."


def test_published_dkim_key_is_rsa_2048_split_into_strings(lab_server: DnsServer) -> None:
    (strings,) = _txt(_ask(lab_server, "lab._domainkey.smtpkit.test", "TXT"))
    assert len(strings) > 1 and all(len(s) <= 255 for s in strings)
    text = b"".join(strings).decode()
    assert text.startswith("v=DKIM1; k=rsa; p=")
    key = load_der_public_key(base64.b64decode(text.split("p=")[1]))
    assert key.key_size == 2048  # type: ignore[union-attr]
    ed = b"".join(_txt(_ask(lab_server, "lab-ed25519._domainkey.smtpkit.test", "TXT"))[0]).decode()
    assert ed.startswith("v=DKIM1; k=ed25519; p=") and len(base64.b64decode(ed.split("p=")[1])) == 32


def _dkim_dns(lab_server: DnsServer):  # type: ignore[no-untyped-def]
    """dkimpy's key lookup, answered by the lab server through smtpkit's Resolver (real DNS)."""
    resolver = Resolver([lab_server.nameserver], timeout=2.0)

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        answer = resolver.txt(name.decode())
        return answer.texts[0].encode() if answer.ok else None

    return dnsfunc


@pytest.mark.parametrize("selector", ["lab", "lab-ed25519"])
def test_lab_signature_verifies_against_the_published_key(lab_server: DnsServer, selector: str) -> None:
    signed = sign_message(example_message(), selector=selector)
    assert signed.startswith(b"DKIM-Signature:")
    assert b"d=smtpkit.test" in signed and f"s={selector}".encode() in signed
    assert dkim.verify(signed, dnsfunc=_dkim_dns(lab_server))
    tampered = signed.replace(b"signed by the practice lab", b"changed by a relay on the way")
    assert not dkim.verify(tampered, dnsfunc=_dkim_dns(lab_server))


def test_signing_bare_lf_messages_normalises_to_crlf(lab_server: DnsServer) -> None:
    msg = b"From: a@smtpkit.test\nTo: b@smtpkit.test\nSubject: lf\n\nbody line\n"
    signed = sign_message(msg)
    assert b"\r\nSubject: lf\r\n" in signed
    assert dkim.verify(signed, dnsfunc=_dkim_dns(lab_server))


def test_signer_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="no From: header"):
        sign_message(b"Subject: x\r\n\r\nbody\r\n")
    with pytest.raises(ValueError, match="not 'google'"):
        sign_message(example_message(), selector="google")


def test_keys_save_and_load_with_private_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = DkimKeys.generate(rsa_bits=1024)
    assert "PRIVATE" not in repr(keys) and keys.rsa_pem.decode() not in repr(keys)
    keys.save(tmp_path / "keys")
    for f in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert DkimKeys.load(tmp_path / "keys") == keys
    # a second process finds the keys through the environment and publishes the same public key
    monkeypatch.setattr(dkim_signer, "_keys", None)
    monkeypatch.setenv(dkim_signer.ENV_DIR, str(tmp_path / "keys"))
    assert dkim_signer.lab_keys() == keys
    published = {r.name: r.value for r in zones_healthy.records("127.0.0.1") if r.rdtype == "TXT"}
    assert published["lab._domainkey.smtpkit.test"] == keys.txt_records()["lab"]
    # an empty directory gets fresh keys written into it
    monkeypatch.setattr(dkim_signer, "_keys", None)
    monkeypatch.setenv(dkim_signer.ENV_DIR, str(tmp_path / "new"))
    made = dkim_signer.lab_keys()
    assert DkimKeys.load(tmp_path / "new") == made
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "lab.rsa.pem").write_bytes(b"nope")
    (tmp_path / "bad" / "lab-ed25519.key").write_bytes(base64.b64encode(b"short"))
    with pytest.raises(ValueError, match="does not hold lab DKIM keys"):
        DkimKeys.load(tmp_path / "bad")
    monkeypatch.setattr(dkim_signer, "_keys", None)


def test_use_lab_keys_switches_signer_and_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dkim_signer, "_keys", None)
    other = DkimKeys.generate(rsa_bits=1024)
    dkim_signer.use_lab_keys(other)
    zs = lab_zoneset(modules=["smtpkit.lab.zones.healthy"])
    text = b"".join(zs.lookup("lab._domainkey.smtpkit.test", "TXT").answer[0][0].strings).decode()
    assert text == other.txt_records()["lab"]
    monkeypatch.setattr(dkim_signer, "_keys", None)


def test_healthy_zone_for_a_non_loopback_lab_address() -> None:
    assert zones_healthy.spf_record("192.0.2.10") == "v=spf1 ip4:127.0.0.0/8 ip6:::1 ip4:192.0.2.10 -all"
    zs = lab_zoneset("192.0.2.10", modules=["smtpkit.lab.zones.healthy"])
    assert zs.lookup("mail.smtpkit.test", "A").answer[0][0].address == "192.0.2.10"
    assert zs.lookup(reverse_name("192.0.2.10"), "PTR").answer
    assert "192.in-addr.arpa" in zs.zone_names()


# -- the plain-query path ---------------------------------------------------------------------------


def _variants(name: str, rdtype: str) -> list[bytes]:
    """One question asked the ways clients ask it: with and without EDNS, buffer sizes, DO, RD, AD, CD."""
    out = []
    for edns, payload in ((False, 0), (True, 100), (True, 512), (True, 1232), (True, 4096), (True, 65535)):
        for flags in (0, dns.flags.RD, dns.flags.RD | dns.flags.AD, dns.flags.CD):
            q = dns.message.make_query(name, rdtype, use_edns=0 if edns else False, payload=payload or 1232)
            q.flags = flags
            out.append(q.to_wire())
        if edns:
            q = dns.message.make_query(name, rdtype, use_edns=0, payload=payload, want_dnssec=True)
            out.append(q.to_wire())
    return out


def test_plain_queries_are_answered_byte_for_byte_as_dnspython_parses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-read path for plain queries (the audit benchmarks' load) must answer exactly as the path through
    dnspython's parser does, for every kind of answer the lab gives (data, CNAME chains, NXDOMAIN, NODATA,
    REFUSED, truncation, a portfolio copy, a dead copy) and both transports."""
    from smtpkit.lab import dns_server
    from smtpkit.lab.portfolio import PortfolioZoneSet, lab_records, portfolio

    zoneset = PortfolioZoneSet(lab_zoneset(ip="127.0.0.1"), lambda: lab_records("127.0.0.1"), size=60)
    questions = [(row["name"], row["type"]) for row in zoneset.rows() if row["type"] != "TIMEOUT"][::5]
    members = portfolio(60, dead=0.05)
    questions += [(f"_dmarc.{m.domain}", "TXT") for m in members] + [(m.domain, "MX") for m in members]
    questions += [("nothing-here.example.com", "A"), ("missing.smtpkit.test", "TXT"), ("smtpkit.test", "AAAA")]
    questions += [("smtpkit.test", "ANY"), ("smtpkit.test", "AXFR"), ("xn--bcher-kva.test", "MX")]
    questions += [("spf-too-long.test", "TXT"), ("spf-too-many-mx.test", "MX")]  # beyond 512 bytes
    wires = [w for name, rdtype in questions for w in _variants(name, rdtype)]
    assert all(dns_server._plain_query(w) is not None for w in wires), "every variant here is a plain query"

    def answers(transport: str) -> list[bytes | None]:
        out = []
        for i, wire in enumerate(wires):
            random.seed(i)  # dnspython shuffles the records of an RRset as it writes them, as servers do
            out.append(dns_server._answer(zoneset, wire, transport).wire)
        return out

    fast = {t: answers(t) for t in ("udp", "tcp")}
    monkeypatch.setattr(dns_server, "_plain_query", lambda wire: None)
    slow = {t: answers(t) for t in ("udp", "tcp")}
    for transport in ("udp", "tcp"):
        for wire, a, b in zip(wires, fast[transport], slow[transport], strict=True):
            assert a == b, f"{transport}: {dns.message.from_wire(wire).question} answered differently"
    replies = [dns.message.from_wire(a) for a in fast["udp"] if a is not None]
    assert len(replies) > len(wires) // 2 and len(replies) < len(wires)  # the dead copies are silent
    assert {r.rcode() for r in replies} >= {dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.REFUSED}
    assert any(r.flags & dns.flags.TC for r in replies)


def test_plain_queries_with_do_are_signed_as_dnspython_parses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the DNSSEC signer: the same sections, flags and rcodes either way (signatures differ run to run)."""
    from smtpkit.lab import dns_server
    from smtpkit.lab.dnssec import LabSigner

    signer = LabSigner(["good.test"])
    zoneset = ZoneSet([Record("good.test", "A", "127.0.0.1"), Record("mx.good.test", "A", "127.0.0.1")])
    wires = [w for q in (("good.test", "A"), ("good.test", "DNSKEY"), ("nope.good.test", "A")) for w in _variants(*q)]

    def shape(wire: bytes) -> tuple[object, ...]:
        reply = dns.message.from_wire(dns_server._answer(zoneset, wire, "tcp", signer).wire or b"")
        sections = [sorted((r.name.to_text(), r.rdtype) for r in s) for s in (reply.answer, reply.authority)]
        return reply.flags, reply.ednsflags, reply.rcode(), sections

    fast = [shape(w) for w in wires]
    monkeypatch.setattr(dns_server, "_plain_query", lambda wire: None)
    assert fast == [shape(w) for w in wires]
    assert any(dns.rdatatype.RRSIG in [t for _n, t in f[3][0]] for f in fast)  # type: ignore[index]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda q: q.set_opcode(dns.opcode.NOTIFY),
        lambda q: q.question.append(q.question[0]),
        lambda q: q.use_edns(1),
        lambda q: q.use_edns(0, options=[dns.edns.GenericOption(dns.edns.OptionType.PADDING, b"\x00" * 8)]),
        lambda q: setattr(q, "flags", q.flags | dns.flags.QR),
        lambda q: q.additional.append(dns.rrset.from_text("a.test.", 60, "IN", "A", "127.0.0.1")),
    ],
    ids=["notify", "two-questions", "edns1", "padding", "response", "additional-record"],
)
def test_anything_but_a_plain_query_goes_to_dnspython(small_zone: ZoneSet, mutate) -> None:  # type: ignore[no-untyped-def]
    from smtpkit.lab.dns_server import _plain_query

    q = _query("a.test", "A")
    mutate(q)
    assert _plain_query(q.to_wire()) is None
    wire = _query("a.test", "A").to_wire()
    assert _plain_query(wire) is not None
    assert _plain_query(wire + b"\x00") is None  # trailing bytes
    pointer = wire[:12] + b"\xc0\x0c" + wire[-15:]  # a compression pointer in the question
    assert _plain_query(pointer) is None
    assert _plain_query(wire[:20]) is None  # cut short


def test_padded_queries_get_padded_answers(small_zone: ZoneSet) -> None:
    """RFC 8467: a padded query gets a padded answer (the path through dnspython keeps this)."""
    q = _query("a.test", "A")
    q.use_edns(0, options=[dns.edns.GenericOption(dns.edns.OptionType.PADDING, b"\x00" * 8)])
    reply = respond(small_zone, q.to_wire(), "tcp")
    assert reply is not None and len(reply) == 468
