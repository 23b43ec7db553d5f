"""The lab's authoritative DNS server and its zone data, tested over real sockets on loopback.

Raw dnspython queries (not smtpkit's Resolver) check the wire behaviour, so the
server is proven independently of the client that will use it; the Resolver
side is tests/test_resolver.py.
"""

from __future__ import annotations

import socket
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet, lab_zoneset


def _ask(srv: DnsServer, name: str, rdtype: str, *, tcp: bool = False, edns: bool = True, timeout: float = 2.0):
    q = dns.message.make_query(name, rdtype, use_edns=0 if edns else False)
    if tcp:
        return dns.query.tcp(q, srv.host, port=srv.port, timeout=timeout)
    return dns.query.udp(q, srv.host, port=srv.port, timeout=timeout)


@pytest.fixture(scope="module")
def lab_server():
    with DnsServer(lab_zoneset("127.0.0.1")) as srv:
        yield srv


def test_lab_zones_include_the_healthy_domain(lab_server: DnsServer) -> None:
    assert lab_server.zoneset.zone_names()[0] == "smtpkit.test"
    assert "127.in-addr.arpa" in lab_server.zoneset.zone_names()


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


def test_port_is_released_on_stop() -> None:
    srv = DnsServer(ZoneSet([Record("a.test", "A", "127.0.0.1")]))
    host, port = srv.start()
    srv.stop()
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        s.bind((host, port))
        s.close()
    assert not srv.running


def test_timeout_name_gets_no_answer() -> None:
    zs = ZoneSet.from_zonedata({"slow.example.com": ["TIMEOUT"], "ok.example.com": [{"A": "192.0.2.1"}]})
    with DnsServer(zs) as srv:
        start = time.monotonic()
        with pytest.raises(dns.exception.Timeout):
            _ask(srv, "slow.example.com", "TXT", timeout=0.3)
        assert time.monotonic() - start < 2
        assert _ask(srv, "ok.example.com", "A").answer
