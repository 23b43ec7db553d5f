"""The ehlo step against EHLO floods (issue 14, item 8), over real loopback peers.

An EHLO reply inside the line caps (100 lines of 2,048 bytes) can list about
34,000 AUTH mechanisms. Every access to the mechanisms de-duplicated the whole
list again with `in` on a list: `smtpkit check --deadline 2` ran ~29 s of CPU,
past every deadline, and reported PASS. Now the reply is read once, what is kept
is capped, the session checks its deadline between steps, and such a server
earns the warning ehlo.flood.
"""

from __future__ import annotations

import time

import pytest

from smtpkit import diagnose
from smtpkit.checks.ports import check_ports
from smtpkit.net.smtp import MAX_AUTH_MECHANISMS
from tests.support.peers import Peer, ScriptedSmtp, flood_lines, peer_cert

PASSWORD = "Flood-Pa55word!"


def run(handler, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("cafile", peer_cert().cert_file)
    with Peer(handler) as peer:
        start = time.monotonic()
        report = diagnose("127.0.0.1", peer.port, **kwargs)
        return report, time.monotonic() - start


@pytest.mark.parametrize("prefix", ["AUTH ", "AUTH="], ids=["AUTH", "AUTH="])
def test_an_auth_flood_is_read_once_within_the_deadline_and_warned_about(prefix: str) -> None:
    report, took = run(ScriptedSmtp(ehlo=["peer.test", *flood_lines(prefix)]), deadline=2.0)
    assert took < 2.0 + 3  # before: ~30 s of CPU with --deadline 2
    flood = [f for f in report.findings if f.code == "ehlo.flood"]
    assert len(flood) == 1 and flood[0].severity.value == "warn"
    assert "28" in flood[0].title and "AUTH mechanisms" in flood[0].title
    ehlo = report.step("ehlo")
    assert ehlo.status.value == "warn"
    assert len(ehlo.details["AUTH mechanisms"].split()) == MAX_AUTH_MECHANISMS


def test_a_mechanism_we_can_use_is_kept_wherever_it_appears() -> None:
    """The cap must not hide PLAIN behind 28,000 junk names: the login still happens."""
    lines = ["peer.test", *flood_lines(lines=60), "AUTH PLAIN"]
    peer = ScriptedSmtp(ehlo=lines, ehlo_tls=lines, tls=peer_cert().server_context(), replies={"AUTH": "235 2.7.0 ok"})
    report, took = run(peer, username="alice@example.test", password=PASSWORD, deadline=6.0)
    assert took < 6.0 + 3
    assert report.step("auth").status.value == "pass", report.step("auth").summary
    assert "ehlo.flood" in report.codes()
    assert PASSWORD not in report.to_json()


def test_a_flood_after_starttls_is_bounded_too() -> None:
    peer = ScriptedSmtp(
        ehlo=["peer.test", "AUTH PLAIN"], ehlo_tls=["peer.test", *flood_lines()], tls=peer_cert().server_context()
    )
    report, took = run(peer, deadline=4.0)
    assert took < 4.0 + 3
    assert [f.step for f in report.findings if f.code == "ehlo.flood"] == ["tls"]


def test_a_keyword_flood_is_warned_about() -> None:
    keywords = [f"X-K{i:04d} {'p' * 1500}" for i in range(98)]
    report, took = run(ScriptedSmtp(ehlo=["peer.test", "AUTH PLAIN LOGIN", *keywords]), deadline=2.0)
    assert took < 5 and "ehlo.flood" in report.codes()


def test_a_real_ehlo_is_not_a_flood() -> None:
    report, _ = run(ScriptedSmtp(), deadline=4.0)
    assert "ehlo.flood" not in report.codes()


def test_the_port_matrix_reads_a_flood_in_time() -> None:
    with Peer(ScriptedSmtp(ehlo=["peer.test", *flood_lines()])) as peer:
        start = time.monotonic()
        matrix = check_ports("127.0.0.1", [peer.port], timeout=2.0, cafile=peer_cert().cert_file)
        assert time.monotonic() - start < 2.0 + 5
    assert matrix.to_frame().shape[0] >= 1
