"""The lab DNS server's memory of the portfolio copies' answers: byte for byte what a full answer would be.

The memo answers a copy's question from its template's reference copy's answer with the label swapped
(`smtpkit.lab.answer_memo`); these tests compare it with the server's full answer for every template's
questions, asked the ways clients ask them, on several copies, over both transports, with the DNSSEC signer,
and show that its check refuses answers that differ by more than the label.
"""

from __future__ import annotations

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from smtpkit.lab.answer_memo import AnswerMemo, Outcome, question_labels
from smtpkit.lab.dns_server import DnsServer, _answer
from smtpkit.lab.dnssec import LabSigner
from smtpkit.lab.portfolio import DEAD, SERVFAIL, PortfolioZoneSet, lab_records, member_name, portfolio_zoneset
from smtpkit.lab.zones import lab_zoneset
from smtpkit.lab.zoneset import Record, ZoneSet


def _wires(name: str, rdtype: str) -> list[bytes]:
    """One question asked four ways: EDNS with RD (TCP's below), no EDNS, a small buffer, and DO."""
    out = [dns.message.make_query(name, rdtype, use_edns=0, payload=1232).to_wire()]
    out.append(dns.message.make_query(name, rdtype, use_edns=False).to_wire())
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=512)
    q.flags = 0
    out.append(q.to_wire())
    out.append(dns.message.make_query(name, rdtype, use_edns=0, payload=4096, want_dnssec=True).to_wire())
    return out


def _questions(zs: PortfolioZoneSet, index: int) -> list[tuple[str, str]]:
    """Every name each template's copy owns, asked for its own type and for TXT, plus the dead copies' and
    a name the copy lacks."""
    rows = [r for r in zs.rows() if r["type"] != "TIMEOUT"]
    out: list[tuple[str, str]] = []
    for template in zs.templates:
        copy = member_name(template, index)
        for row in rows:
            name = str(row["name"]).rstrip(".")
            if name == template or name.endswith("." + template):
                owner = name[: -len(template)] + copy
                out += [(owner, str(row["type"])), (owner, "TXT")]
        out += [(f"nothing.{copy}", "A")]
    dead, servfail = member_name(DEAD, index), member_name(SERVFAIL, index)
    copy = member_name("smtpkit.test", index)
    out = list(dict.fromkeys(out)) + [(copy, "DS"), (copy, "DNSKEY")]
    return out + [(dead, "MX"), (f"_dmarc.{dead}", "TXT"), (servfail, "MX"), (f"_dmarc.{servfail}", "TXT")]


@pytest.fixture(scope="module")
def zs() -> PortfolioZoneSet:
    return portfolio_zoneset(size=50)


def test_question_labels_are_read_from_the_wire() -> None:
    wire = dns.message.make_query("_dmarc.Example--p000001.test", "TXT").to_wire()
    assert question_labels(wire) == [b"_dmarc", b"Example--p000001", b"test"]
    assert question_labels(wire[:15]) is None  # cut short
    assert question_labels(wire[:12] + b"\xc0\x0c") is None  # a compression pointer
    assert question_labels(wire[:4] + b"\x00\x00" + wire[6:]) is None  # no question


def test_swap_label_names_the_copy_and_its_reference(zs: PortfolioZoneSet) -> None:
    assert zs.swap_label([b"_dmarc", b"hosted--p000042", b"test"]) == (b"hosted--p000042", b"hosted--p000000")
    assert zs.swap_label([b"dead--p000007", b"test"]) == (b"dead--p000007", b"dead--p000000")
    # the first copy's label, as lookup goes by it
    assert zs.swap_label([b"a--p000001", b"b--p000002", b"test"]) == (b"a--p000001", b"a--p000000")
    assert zs.swap_label([b"Hosted--p000042", b"test"]) is None  # 0x20 casing: answered in full
    assert zs.swap_label([b"hosted--p42", b"test"]) is None
    assert zs.swap_label([b"hosted", b"test"]) is None
    assert lab_zoneset().swap_label([b"hosted--p000042", b"test"]) is None  # a plain zone set has no copies


def test_every_copy_question_is_answered_as_in_full(zs: PortfolioZoneSet) -> None:
    """Two copies of every template (the first teaches the memo, the second is answered from it): each
    answer, and what the query log says of it, equals the full answer, over UDP the four ways and over TCP."""
    memo = DnsServer(zs).memo()
    asked = 0
    for index in (7, 999_999):
        for question in _questions(zs, index):
            wires = _wires(*question)
            for transport, wire in [("udp", w) for w in wires[1:]] + [("tcp", wires[0])]:
                full = _answer(zs, wire, transport, None, False)
                assert memo.respond(wire, transport) == full, (question, transport)
                asked += 1
    assert memo.hits > asked // 3, "the second copy's questions come from memory"
    remembered = [o for o in memo._memo.values() if o.rcode != "not memorable"]
    assert any(o.wire is None and o.rcode.startswith("dropped") for o in remembered)  # the dead copies
    assert any(o.truncated for o in remembered)  # a small buffer: truncated the same way for every copy
    assert {o.rcode for o in remembered} >= {"NOERROR", "NXDOMAIN", "SERVFAIL"}


def test_signed_answers_are_answered_in_full() -> None:
    """With the lab's DNSSEC signer: a copy's DS denial is signed over the copy's own name, so it can never
    be the reference's with the label swapped; the memo answers it in full, every time, as the server would."""
    signer = LabSigner(["smtpkit.test"])
    zs = PortfolioZoneSet(lab_zoneset(), lambda: lab_records("127.0.0.1"), size=10)
    server = DnsServer(zs, signer=signer)
    memo = server.memo()
    wires = [
        dns.message.make_query(member_name("smtpkit.test", i), "DS", want_dnssec=True).to_wire() for i in (1, 2, 3)
    ]
    for wire in wires:
        full = _answer(zs, wire, "udp", signer, False)
        reply = dns.message.from_wire(full.wire or b"")
        assert dns.rdatatype.RRSIG in [r.rdtype for r in reply.authority]
        assert memo.respond(wire, "udp") == full
    assert memo.hits == 0 and len(memo) == 1


def _twins(**records: str) -> ZoneSet:
    """Two zones, aa.test and bb.test; a zone set that claims every aa.test answer is bb.test's."""

    class Twins(ZoneSet):
        def swap_label(self, labels: list[bytes]) -> tuple[bytes, bytes] | None:
            return (b"aa", b"bb") if b"aa" in labels else None

    return Twins([Record(name, "TXT", text) for name, text in records.items()])


def test_a_swap_that_changes_more_than_the_label_is_refused() -> None:
    """The check on a miss is what makes the memo safe: two zones whose answers differ by more than the
    name are never served one from the other, however often asked."""
    zs = _twins(**{"aa.test": "v=spf1 -all", "bb.test": "v=spf1 ~all"})
    memo = AnswerMemo(zs, lambda wire, transport, shuffle: _answer(zs, wire, transport, None, shuffle))
    wire = dns.message.make_query("aa.test", "TXT").to_wire()
    for _ in range(3):
        reply = dns.message.from_wire(memo.respond(wire, "udp").wire or b"")
        assert [r.to_text() for r in reply.answer[0]] == ['"v=spf1 -all"']
    assert memo.hits == 0 and list(memo._memo.values())[0].rcode == "not memorable"

    same = _twins(**{"aa.test": "v=spf1 -all", "bb.test": "v=spf1 -all"})
    memo = AnswerMemo(same, lambda wire, transport, shuffle: _answer(same, wire, transport, None, shuffle))
    for qid in (1, 2, 3):
        q = dns.message.make_query("aa.test", "TXT")
        q.id = qid
        out = memo.respond(q.to_wire(), "udp")
        assert out == _answer(same, q.to_wire(), "udp", None, False) and out.name == "aa.test."
        assert dns.message.from_wire(out.wire or b"").id == qid
    assert memo.hits == 2


def test_the_memo_is_bounded() -> None:
    zs = portfolio_zoneset(size=10)
    memo = AnswerMemo(zs, lambda wire, transport, shuffle: _answer(zs, wire, transport, None, shuffle), size=5)
    for i in range(1, 30):
        memo.respond(dns.message.make_query(f"x{i}.{member_name('smtpkit.test', 1)}", "A").to_wire(), "udp")
        assert len(memo) <= 5


def test_ignored_messages_are_not_remembered(zs: PortfolioZoneSet) -> None:
    memo = DnsServer(zs).memo()
    q = dns.message.make_query(member_name("smtpkit.test", 5), "A")
    q.flags |= dns.flags.QR  # a response sent to the server: never answered
    assert memo.respond(q.to_wire(), "udp") == Outcome(None)
    assert memo.respond(q.to_wire(), "udp") == Outcome(None) and memo.hits == 0


def test_the_server_answers_copies_from_memory_and_logs_their_own_names() -> None:
    """Over real UDP and TCP: the second copy's answer comes from memory and is that copy's; a new zone set
    (`load`) gets a new memory."""
    zs = portfolio_zoneset(size=10)
    with DnsServer(zs) as srv:
        host, port = srv.address
        for index in (3, 4):
            for tcp in (False, True):
                name = f"_dmarc.{member_name('dmarc-none.test', index)}"
                q = dns.message.make_query(name, "TXT")
                reply = (dns.query.tcp if tcp else dns.query.udp)(q, host, port=port, timeout=2)
                assert reply.rcode() == dns.rcode.NOERROR and reply.answer[0].name.to_text() == name + "."
                assert any(f"@{member_name('dmarc-none.test', index)}" in r.to_text() for r in reply.answer[0])
        assert srv.memo().hits == 2
        assert [q.name for q in srv.queries][-1] == f"_dmarc.{member_name('dmarc-none.test', 4)}"
        first = srv.memo()
        srv.load(portfolio_zoneset(size=10))
        assert srv.memo() is not first and len(srv.memo()) == 0
