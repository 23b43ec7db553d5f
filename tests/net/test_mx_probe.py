"""The MX STARTTLS probe against the lab's MX and hostile peers: facts, deadlines, and one probe per cache key."""

from __future__ import annotations

import errno
import threading
import time
from typing import Any

from smtpkit.checks.domain.mx import reach
from smtpkit.net.mx import MxProbeCache, probe_mx
from tests.support.peers import Peer, ScriptedSmtp, free_port, hold, peer_cert


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
