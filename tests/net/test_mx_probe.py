"""The MX STARTTLS probe against the lab's MX and hostile peers: facts, deadlines, and one probe per cache key."""

from __future__ import annotations

import errno
import threading
import time
from typing import Any

import pytest

from smtpkit.checks.domain.mx import reach
from smtpkit.net.mx import MxProbeCache, NetworkLimit, network_of, probe_mx
from tests.support.peers import Counted, Peer, ScriptedSmtp, free_port, hold, peer_cert


def test_the_lab_mx_over_starttls(lab: Any) -> None:
    p = probe_mx("mail.smtpkit.test", "127.0.0.1", lab.mx_port, cafile=lab.ca_file, timeout=5)
    assert p.connected and p.greeting_code == 220 and p.starttls_offered
    assert p.tls is not None and p.tls.ok and p.tls.verified and p.cert_valid is True
    assert p.tls.version in ("TLSv1.2", "TLSv1.3") and p.leaf_der.startswith(b"\x30")
    lines = [line.text for line in p.transcript]
    assert any(t.startswith("EHLO [127.0.0.1]") for t in lines) and "STARTTLS" in lines
    assert not any(t.startswith(("MAIL", "RCPT")) for t in lines)  # read-only: never a message


def test_a_certificate_for_another_name_is_read_anyway(lab: Any) -> None:
    p = probe_mx("mx.elsewhere.test", "127.0.0.1", lab.mx_port, cafile=lab.ca_file, timeout=5)
    assert p.cert_valid is False and p.tls is not None and "mismatch" in (p.tls.verify_message or "")
    assert p.leaf_der and p.tls_ok  # DANE and the report still need the certificate


def test_connection_refused() -> None:
    p = probe_mx("mx.test", "127.0.0.1", free_port(), timeout=1)
    assert p.reached == "failed" and not p.connected and p.tls is None
    assert p.attempt is not None and p.attempt.errno == errno.ECONNREFUSED  # the raw fact ...
    assert reach(p)[0] == "refused"  # ... and what the checks make of it


def test_a_silent_server_is_bounded_by_the_deadline() -> None:
    with Peer(hold).start() as peer:
        start = time.monotonic()
        p = probe_mx("mx.test", "127.0.0.1", peer.port, timeout=0.5, deadline=time.monotonic() + 1.0)
        assert time.monotonic() - start < 2.0
    assert p.connected and p.greeting_code is None and "no complete reply" in p.problem


def test_a_refusing_greeting() -> None:
    with Peer(ScriptedSmtp(greeting="554 5.7.1 No SMTP service for you")).start() as peer:
        p = probe_mx("mx.test", "127.0.0.1", peer.port, timeout=2)
    assert p.greeting_code == 554 and "not 220" in p.problem and p.starttls_offered is None


def test_starttls_refused_and_a_broken_handshake() -> None:
    refused = ScriptedSmtp(ehlo=("peer.test", "STARTTLS"), replies={"STARTTLS": "454 4.7.0 TLS not available"})
    with Peer(refused).start() as peer:
        p = probe_mx("mx.test", "127.0.0.1", peer.port, timeout=2)
    assert p.starttls_offered and p.starttls_reply.startswith("454") and p.tls is None and not p.tls_ok
    fake = ScriptedSmtp(ehlo=("peer.test", "STARTTLS"), replies={"STARTTLS": "220 2.0.0 go ahead"})
    with Peer(fake).start() as peer:
        start = time.monotonic()
        p = probe_mx("mx.test", "127.0.0.1", peer.port, timeout=1, deadline=time.monotonic() + 2)
        assert time.monotonic() - start < 3
    assert p.tls is not None and not p.tls_ok and p.cert_valid is None


def test_no_starttls_offered() -> None:
    with Peer(ScriptedSmtp(ehlo=("peer.test", "PIPELINING"))).start() as peer:
        p = probe_mx("mx.test", "127.0.0.1", peer.port, timeout=2)
    assert p.ehlo_ok and p.starttls_offered is False and p.tls is None


def test_a_self_signed_mx_verified_with_its_cafile() -> None:
    server = ScriptedSmtp(tls=peer_cert().server_context())
    with Peer(server).start() as peer:
        p = probe_mx("localhost", "127.0.0.1", peer.port, cafile=peer_cert().cert_file, timeout=2)
    assert p.cert_valid is True


def test_the_cache_probes_each_key_once() -> None:
    with Peer(ScriptedSmtp(ehlo=("peer.test",))).start() as peer:
        cache = MxProbeCache()
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(cache.probe("mx.test", "127.0.0.1", peer.port, timeout=2)))
            for _ in range(5)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(results) == 5 and len({id(r) for r in results}) == 1
        assert peer.connections == 1 and len(cache) == 1
        cache.probe("other.test", "127.0.0.1", peer.port, timeout=2)  # another name is another certificate check
        assert peer.connections == 2


def test_a_probe_counts_against_its_ipv4_24_or_ipv6_48() -> None:
    assert network_of("192.0.2.77") == network_of("192.0.2.1") == "192.0.2.0/24"
    assert network_of("192.0.3.1") == "192.0.3.0/24"
    assert network_of("2001:db8:1:2::5") == network_of("2001:db8:1:ffff::1") == "2001:db8:1::/48"
    # an IPv4-mapped IPv6 address is its IPv4 address, not one more in ::/48 (which all of them would share)
    assert network_of("::ffff:192.0.2.7") == network_of("::ffff:c000:201") == "192.0.2.0/24"
    assert network_of("::ffff:198.51.100.1") == "198.51.100.0/24"
    with pytest.raises(ValueError):
        NetworkLimit(0)


def _probe_at_once(cache: MxProbeCache, port: int, hosts: int) -> list[Any]:
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(cache.probe(f"mx{i}.test", "127.0.0.1", port, timeout=5)))
        for i in range(hosts)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    return results


def test_a_network_limit_lets_that_many_probes_at_once_into_one_network() -> None:
    """Six MX hosts in one /24, each slow to greet: with a limit of 2 the server never sees more than 2 at once
    (and every host is still probed); with no limit it sees all six together."""
    counted = Counted(ScriptedSmtp(ehlo=("peer.test",)), delay=0.3)
    with Peer(counted).start() as peer:
        results = _probe_at_once(MxProbeCache(NetworkLimit(2)), peer.port, 6)
        assert len(results) == 6 and all(r.connected and r.ehlo_ok for r in results)
        assert counted.peak == 2
        counted.peak = 0
        results = _probe_at_once(MxProbeCache(), peer.port, 6)
        assert len(results) == 6 and counted.peak == 6


def test_a_probe_with_no_turn_before_its_deadline_could_not_check_and_is_not_kept() -> None:
    limit = NetworkLimit(1)
    assert limit.acquire("127.0.0.0/24", 0)  # someone else's probe into the network, under way
    with Peer(ScriptedSmtp(ehlo=("peer.test",))).start() as peer:
        cache = MxProbeCache(limit)
        started = time.monotonic()
        p = cache.probe("mx.test", "127.0.0.1", peer.port, timeout=2, deadline=started + 0.4)
        assert 0.3 < time.monotonic() - started < 2
        assert p.reached == "timeout" and not p.connected
        assert "127.0.0.0/24" in p.connect_error and "--probes-per-network" in p.connect_error
        assert reach(p) == ("timeout", p.connect_error)  # what the MX check says: not reached, not refused
        assert peer.connections == 0 and len(cache) == 0
        limit.release("127.0.0.0/24")
        assert cache.probe("mx.test", "127.0.0.1", peer.port, timeout=2).connected
        assert peer.connections == 1 and len(cache) == 1
