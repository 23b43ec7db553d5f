"""The SPF parser against digits and characters from other scripts (issue 14, item 5).

`\\d` in a Python regular expression matches every Unicode decimal digit, and
`int()` reads them: ``v=spf1 ip4:1.2.3.٤ -all`` (an Arabic-Indic four) passed
the address check and raised inside `ipaddress`, so `smtpkit spf`, `smtpkit
domain`, `check_domain` and `smtpkit report` ended in a traceback on one DNS
record. `parse_record` is documented as never raising: every such term is a
syntax error (receivers return permerror for it), with the character named.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpkit.spf.parser import parse_record

# one four in several scripts: Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, fullwidth, Thai,
# mathematical bold (a decimal digit too), and superscript two (isdigit() but not \d)
FOURS = ["٤", "۴", "४", "৪", "４", "๔", "𝟒"]
TWO_SUPERSCRIPT = "²"

TEMPLATES = [
    "v=spf1 ip4:1.2.3.{d} -all",
    "v=spf1 ip4:{d}.2.3.4 -all",
    "v=spf1 ip4:1.2.3.0/2{d} -all",
    "v=spf1 ip6:2001:db8::{d} -all",
    "v=spf1 ip6:2001:db8::/6{d} -all",
    "v=spf1 a/2{d} -all",
    "v=spf1 a//6{d} -all",
    "v=spf1 mx:mail.example.test/2{d} -all",
    "v=spf1 a:mail.example.test//6{d} -all",
    "v=spf1 include:{d}.example.{d} -all",
    "v=spf1 exists:%{{l{d}}}.example.test -all",
    "v=spf1 redirect=example.{d}{d}",
    "v=spf1 -all exp=why.{d}",
    "v=spf1 {d}.2.3.4 -all",
    "v=spf1 x{d}=y -all",
]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("digit", [*FOURS, TWO_SUPERSCRIPT])
def test_non_ascii_digits_anywhere_are_syntax_errors_never_a_raise(template: str, digit: str) -> None:
    record = template.format(d=digit)
    rec = parse_record(record)
    assert rec.errors, record
    assert all(t.network is None or t.network.exploded.isascii() for t in rec.terms)
    assert not any(digit in t.text for t in rec.terms if t.kind == "mechanism" and t.name in ("ip4", "ip6"))


@pytest.mark.parametrize("digit", FOURS)
def test_the_reproducer_names_the_character(digit: str) -> None:
    rec = parse_record(f"v=spf1 ip4:1.2.3.{digit} -all")
    (problem,) = rec.errors
    assert f"U+{ord(digit):04X}" in problem.message and "not an ASCII digit" in problem.message
    assert problem.term == f"ip4:1.2.3.{digit}" and problem.position == 7
    assert [t.name for t in rec.terms] == ["all"]


def test_fullwidth_digits_in_every_part_of_an_address() -> None:
    rec = parse_record("v=spf1 ip4:１.２.３.４/２４ ip6:：：１ -all")
    assert len(rec.errors) == 2 and [t.name for t in rec.terms] == ["all"]


def test_ascii_records_still_parse() -> None:
    rec = parse_record("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a/24//64 mx:m.example.test/28 -all")
    assert rec.errors == () and [t.name for t in rec.terms] == ["ip4", "ip6", "a", "mx", "all"]


_ALPHABET = st.sampled_from(
    list("0123456789abcdefip:./%{}=-+~?_ ")
    + ["all", "ip4:", "ip6:", "a", "mx", "include:", "exists:", "redirect=", "exp=", "/", "//", "::"]
    + FOURS
    + [TWO_SUPERSCRIPT, "\u00a0", "\u2028", "\x85", "\x00", "\ufeff", "İ", "ǅ"]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_parse_record_never_raises(body: str) -> None:
    rec = parse_record("v=spf1 " + body)
    for term in rec.terms:
        if term.network is not None:
            assert term.text.isascii()
