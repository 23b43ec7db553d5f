"""Hostile SPF records over the lab's real DNS server: every evaluation stays bounded.

Records a domain owner (or an attacker who controls an included domain) can
publish to make an SPF checker do unbounded work or print something nasty:
thousands of `mx:` terms (each worth 21 queries), names that never answer,
`%{p}` macros that cost a PTR walk each, explanations that macros blow up to
megabytes, control bytes and markup in the record. check_host() and the lint
walk must stay within their query budgets and deadlines, and every view must
show the record without executing it.
"""

from __future__ import annotations

import time

import pytest

from smtpkit.checks.domain.spf import spf_step
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.model import Report
from smtpkit.net.dns import Resolver
from smtpkit.spf import lint
from smtpkit.spf.evaluator import MAX_EXPLANATION, Result, check_host

MX_TERMS = 300
SLOW_TERMS = 200


def _records() -> list[Record]:
    recs = [
        # one record, 300 mx terms, each MX name with 10 hosts: 6300 queries for a naive walker
        Record("mx-bomb.test", "TXT", "v=spf1 " + " ".join(f"mx:m{i}.mx-bomb.test" for i in range(MX_TERMS)) + " -all"),
        # 200 a: terms whose names never answer: 200 x 2 x a resolver lifetime
        Record(
            "slow-bomb.test", "TXT", "v=spf1 " + " ".join(f"a:t{i}.slow-bomb.test" for i in range(SLOW_TERMS)) + " -all"
        ),
        *[Record(f"t{i}.slow-bomb.test", "TIMEOUT") for i in range(SLOW_TERMS)],
        # an exp= whose macros expand a few kilobytes into ~100 KB
        Record("exp-bomb.test", "TXT", "v=spf1 -all exp=why.exp-bomb.test"),
        Record("why.exp-bomb.test", "TXT", "<script>alert(1)</script> " + "%{s}%{s}%{s}%{i}%{d}" * 400),
        # terminal escapes and markup inside the record itself
        Record("escape.test", "TXT", b"v=spf1 \x1b]0;owned\x07 \x1b[2J <b>x</b> -all"),
        # %{p} in every term: each expansion is a PTR walk plus up to 10 forward lookups
        Record(
            "p-bomb.test",
            "TXT",
            "v=spf1 " + " ".join(f"exists:%{{p}}.%{{p}}.x{i}.p-bomb.test" for i in range(9)) + " -all",
        ),
        # a prefix length of 5000 digits: Python's int() refuses more than 4300
        Record("cidr-bomb.test", "TXT", "v=spf1 ip4:127.0.0.1/" + "1" * 5000 + " a/" + "9" * 4400 + " -all"),
        # issue 14: 60 KB of %{l}: with a 120 KB local part, 1.8 GB expanded in full before the cut
        Record("exp-l.test", "TXT", "v=spf1 -all exp=why.exp-l.test"),
        Record("why.exp-l.test", "TXT", "%{l}" * 15_000),
        Record("exists-l.test", "TXT", "v=spf1 exists:" + "%{l}" * 15_000 + ".exists-l.test -all"),
        # digits from other scripts (issue 14): \d and int() read them, ipaddress did not
        Record("arabic-digit.test", "TXT", "v=spf1 ip4:1.2.3.٤ -all"),
        Record("fullwidth.test", "TXT", "v=spf1 ip4:１.２.３.４/２４ -all"),
        Record("digit-include.test", "TXT", "v=spf1 include:fullwidth.test ip4:127.0.0.1 -all"),
        Record("digit-redirect.test", "TXT", "v=spf1 redirect=arabic-digit.test"),
        # ten-deep include chain, then a loop back to the start
        *[Record(f"i{n}.chain.test", "TXT", f"v=spf1 include:i{n + 1}.chain.test -all") for n in range(12)],
        Record("i12.chain.test", "TXT", "v=spf1 include:i0.chain.test -all"),
    ]
    for i in range(MX_TERMS):
        recs += [Record(f"m{i}.mx-bomb.test", "MX", (j, f"h{j}.mx-bomb.test")) for j in range(10)]
    recs += [Record(f"h{j}.mx-bomb.test", "A", "127.0.0.9") for j in range(10)]
    recs += [Record("1.0.0.127.in-addr.arpa", "PTR", f"h{i}.p-bomb.test") for i in range(10)]
    recs += [Record(f"h{i}.p-bomb.test", "A", "127.0.0.1") for i in range(10)]
    return recs


@pytest.fixture(scope="module")
def server():
    with DnsServer(ZoneSet(_records())) as srv:
        yield srv


def _resolver(server: DnsServer, timeout: float = 2.0, lifetime: float | None = None) -> Resolver:
    return Resolver(nameservers=[server.nameserver], timeout=timeout, lifetime=lifetime)


def test_lint_walk_of_thousands_of_mx_terms_is_bounded(server: DnsServer) -> None:
    r = _resolver(server)
    started = time.monotonic()
    an = lint.analyze("mx-bomb.test", r)
    assert time.monotonic() - started < 15
    assert len(r.log) <= lint.MAX_QUERIES + 30
    assert an.truncated and an.lookups == MX_TERMS  # every term still counted, as a receiver would
    step = spf_step("mx-bomb.test", r)
    assert "analysis" in step.details and "lower bounds" in str(step.details["analysis"])
    assert "spf.too_many_lookups" in [f.code for f in step.findings]


def test_lint_walk_against_names_that_never_answer_stops_at_its_deadline(server: DnsServer) -> None:
    r = _resolver(server, timeout=0.1, lifetime=0.15)
    started = time.monotonic()
    an = lint.analyze("slow-bomb.test", r, deadline=time.monotonic() + 1.0)
    took = time.monotonic() - started
    assert took < 2.0, f"analysis took {took:.1f}s; without a deadline it takes ~{SLOW_TERMS * 2 * 0.15:.0f}s"
    assert an.truncated and an.lookups == SLOW_TERMS


def test_check_host_on_the_same_records_stops_at_ten_lookups(server: DnsServer) -> None:
    r = _resolver(server)
    res = check_host("127.0.0.1", "mx-bomb.test", "a@mx-bomb.test", resolver=r)
    assert res.result is Result.PERMERROR and res.error_kind == "lookup_limit"
    assert len(r.log) < 250
    res = check_host("127.0.0.1", "slow-bomb.test", "a@slow-bomb.test", resolver=_resolver(server, 0.1, 0.15))
    assert res.result is Result.TEMPERROR


def test_check_host_deadline_bounds_a_slow_tree(server: DnsServer) -> None:
    started = time.monotonic()
    res = check_host(
        "192.0.2.1", "slow-bomb.test", "a@slow-bomb.test", resolver=_resolver(server, 0.3, 0.3), deadline=0.5
    )
    assert time.monotonic() - started < 1.5
    assert res.result is Result.TEMPERROR


def test_explanation_macros_cannot_blow_up_the_report(server: DnsServer) -> None:
    res = check_host("127.0.0.1", "exp-bomb.test", "someone.with.a.long.name@exp-bomb.test", resolver=_resolver(server))
    assert res.result is Result.FAIL
    assert len(res.explanation) <= MAX_EXPLANATION
    assert res.explanation.startswith("<script>alert(1)</script> someone.with.a.long.name@exp-bomb.test")
    step = spf_step("exp-bomb.test", _resolver(server), ip="127.0.0.1", sender="x@exp-bomb.test")
    html = Report(target={}, steps=[step]).to_html()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_p_macros_stay_cheap(server: DnsServer) -> None:
    r = _resolver(server)
    res = check_host("127.0.0.1", "p-bomb.test", "a@p-bomb.test", resolver=r)
    assert res.result in (Result.PERMERROR, Result.FAIL)
    assert len(r.log) <= 60  # %{p} is computed once per domain, not once per macro


def test_include_loop_after_a_deep_chain_is_a_permerror_not_a_hang(server: DnsServer) -> None:
    r = _resolver(server)
    res = check_host("127.0.0.1", "i0.chain.test", "a@i0.chain.test", resolver=r)
    assert res.result is Result.PERMERROR and res.error_kind in ("lookup_limit", "loop")
    an = lint.analyze("i0.chain.test", r)
    assert an.loops or an.truncated


def test_control_characters_in_a_record_never_reach_the_terminal(server: DnsServer) -> None:
    step = spf_step("escape.test", _resolver(server), ip="127.0.0.1")
    report = Report(target={"domain": "escape.test"}, steps=[step])
    text = report.to_text(transcript=True) + report.to_markdown()
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b" in text  # shown as an escape, so the reader still sees what is published
    assert "<b>" not in report.to_html()


def test_prefix_lengths_of_thousands_of_digits_are_syntax_errors(server: DnsServer) -> None:
    res = check_host("127.0.0.1", "cidr-bomb.test", "a@cidr-bomb.test", resolver=_resolver(server))
    assert res.result is Result.PERMERROR and res.error_kind == "syntax"
    assert "larger than 32" in res.reason
    step = spf_step("cidr-bomb.test", _resolver(server), ip="127.0.0.1")
    assert "spf.syntax_error" in [f.code for f in step.findings]


@pytest.mark.parametrize("domain", ["arabic-digit.test", "fullwidth.test", "digit-include.test", "digit-redirect.test"])
def test_non_ascii_digits_in_a_published_record_are_a_permerror_and_a_finding(server: DnsServer, domain: str) -> None:
    """Before: AddressValueError out of parse_record, a traceback in `smtpkit spf`, `domain` and `report`."""
    res = check_host("1.2.3.4", domain, f"a@{domain}", resolver=_resolver(server))
    assert res.result is Result.PERMERROR and res.error_kind == "syntax"
    assert "not an ASCII digit" in res.reason
    step = spf_step(domain, _resolver(server), ip="1.2.3.4")
    assert "spf.syntax_error" in [f.code for f in step.findings]
    assert lint.analyze(domain, _resolver(server)) is not None


@pytest.mark.parametrize("domain", ["exp-l.test", "exists-l.test"])
@pytest.mark.parametrize("local", ["a" * 120_000, "-".join(["a"] * 60_000), ".".join(["a"] * 60_000)])
def test_macros_over_a_huge_sender_stay_bounded(server: DnsServer, domain: str, local: str) -> None:
    import tracemalloc

    start = time.monotonic()
    res = check_host("127.0.0.1", domain, f"{local}@{domain}", resolver=_resolver(server))
    assert time.monotonic() - start < 5  # before: minutes, and 3.5 GB of memory
    assert res.result in (Result.FAIL, Result.PERMERROR, Result.NEUTRAL)
    assert len(res.explanation or "") <= MAX_EXPLANATION
    tracemalloc.start()
    try:
        check_host("127.0.0.1", domain, f"{local}@{domain}", resolver=_resolver(server))
        assert tracemalloc.get_traced_memory()[1] < 50_000_000
    finally:
        tracemalloc.stop()
