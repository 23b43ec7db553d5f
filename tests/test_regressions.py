"""Regressions found by the adversarial review: server or DNS data that used to raise.

Each input here once escaped as a traceback; now it must end as a finding or a
readable value.
"""

from __future__ import annotations

from smtpkit import diagnose
from smtpkit.dmarc.record import parse_record, read_tags
from tests.support.peers import Peer, ScriptedSmtp


def test_ehlo_size_with_a_non_ascii_digit_is_not_a_traceback() -> None:
    """'²'.isdigit() is true but int('²') raises: the SIZE keyword must not crash the EHLO step."""
    for size in ("SIZE ²", "SIZE " + "9" * 5000, "SIZE ٣٣"):
        peer = ScriptedSmtp(ehlo=("peer.test", size, "PIPELINING"))
        with Peer(peer) as p:
            report = diagnose(
                "127.0.0.1", port=p.port, security="plain", timeout=2.0, mail_from="a@peer.test", rcpt_to="b@peer.test"
            )
        ehlo = report.step("ehlo")
        assert ehlo is not None and ehlo.status.value != "skip", report.to_text()
        assert report.step("send") is not None


def test_dmarc_tags_with_odd_digits_are_read_not_raised() -> None:
    ri = {t.tag: t for t in read_tags(parse_record("v=DMARC1; p=reject; ri=²"))}
    assert "²" in ri["ri"].meaning
    huge = parse_record("v=DMARC1; p=none; pct=" + "1" * 5000 + "x")
    assert [p.tag for p in huge.problems] == ["pct"] and huge.repaired["pct"] == "100"
    # pct takes ASCII digits only (RFC 7489 §6.3): an Arabic-Indic digit is an invalid value
    arabic = parse_record("v=DMARC1; p=none; pct=٣")
    assert [(p.kind, p.tag) for p in arabic.problems] == [("invalid_value", "pct")]
