"""SPF macro expansion against hostile macro strings and inputs (issue 14, item 9).

An exp= text of ``%{l}`` × 15,000 (60 KB, one TXT record) with a 120 KB sender
local part expanded to 1.8 GB (3.5 GB of memory) before being cut to 512
characters. Now the explanation is expanded up to the cap and no further, a
domain-spec from the right up to the longest name it can leave, each value read
once and split once per set of delimiters: time and memory stay bounded
whatever the macro text and the inputs.
"""

from __future__ import annotations

import ipaddress
import time
import tracemalloc
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpkit.spf.macros import (
    MAX_DOMAIN_LENGTH,
    Escape,
    Literal,
    MacroContext,
    expand,
    expand_domain,
    tokenize,
    transform,
    truncate_domain,
)

CAP = 513


def ctx(sender: str, helo: str = "mail.example.test") -> MacroContext:
    return MacroContext(ipaddress.ip_address("192.0.2.1"), sender, "example.test", helo=helo, timestamp=1)


def reference(text: str, c: MacroContext, *, explanation: bool = True) -> str:
    """The expansion as RFC 7208 §7.3 states it, token by token, in full (the old algorithm)."""
    out = []
    for tok in tokenize(text, explanation=explanation):
        if isinstance(tok, Literal):
            out.append(tok.text)
        elif isinstance(tok, Escape):
            out.append(tok.value)
        else:
            out.append(transform(c.value(tok.letter), tok))
    return "".join(out)


def bounded(fn):  # type: ignore[no-untyped-def]
    """Run `fn` twice: timed, then under tracemalloc; return (result, seconds, peak bytes allocated)."""
    start = time.monotonic()
    result = fn()
    took = time.monotonic() - start
    tracemalloc.start()
    try:
        fn()
        return result, took, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


BIG_LOCAL = {
    "plain": "a" * 120_000,
    "dashes": "-".join(["a"] * 60_000),
    "dots": ".".join(["a"] * 60_000),
    "escapes": "%&/" * 40_000,
}
TEXTS = {
    "l": "%{l}" * 15_000,  # the reproducer
    "L": "%{L}" * 15_000,  # URL-escaped: three times longer per macro
    "digits": "".join(f"%{{l{i}r-}}" for i in range(1, 9_000)),  # a distinct macro each time
    "s-and-h": "%{s}%{h}%{l1}" * 5_000,
    "one-part": "%{l1r.-+,/_=}" * 12_000,  # every delimiter, one part kept: tiny output, many splits
}


@pytest.mark.parametrize("local", sorted(BIG_LOCAL))
@pytest.mark.parametrize("text", sorted(TEXTS))
def test_an_explanation_is_expanded_up_to_the_cap_and_no_further(local: str, text: str) -> None:
    c = ctx(f"{BIG_LOCAL[local]}@example.test", helo="h" * 50_000)
    out, took, peak = bounded(lambda: expand(TEXTS[text], c, explanation=True, limit=CAP))
    assert took < 3 and peak < 30_000_000  # before: minutes and 3.5 GB
    assert len(out) <= CAP


@pytest.mark.parametrize("local", sorted(BIG_LOCAL))
def test_a_domain_spec_full_of_macros_is_expanded_from_the_right(local: str) -> None:
    c = ctx(f"{BIG_LOCAL[local]}@example.test")
    spec = "%{l}" * 16_000 + ".%{d}"
    out, took, peak = bounded(lambda: expand_domain(spec, c))
    assert took < 3 and peak < 30_000_000
    assert out.endswith("example.test") or len(out) > MAX_DOMAIN_LENGTH


def test_truncation_of_a_name_of_sixty_thousand_labels_is_linear() -> None:
    name = ".".join(["a"] * 60_000) + ".example.test"
    out, took, _ = bounded(lambda: truncate_domain(name))
    assert took < 1 and len(out) <= MAX_DOMAIN_LENGTH and out.endswith(".a.example.test")


# -- the same answers as the plain algorithm, wherever it is affordable ---------------------------------------

_MACRO = st.builds(
    lambda letter, upper, digits, reverse, delims: (
        "%{"
        + (letter.upper() if upper else letter)
        + (str(digits) if digits else "")
        + ("r" if reverse else "")
        + delims
        + "}"
    ),
    st.sampled_from("slodivhcrt"),
    st.booleans(),
    st.one_of(st.none(), st.integers(1, 12)),
    st.booleans(),
    st.text(alphabet=".-+,/_=", max_size=3),
)
_PIECE = st.one_of(_MACRO, st.sampled_from(["%%", "%_", "%-", ".", "x", "ab.c", " "]))
_VALUE = st.text(alphabet="ab.-+_/=%é", min_size=1, max_size=40)


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECE, max_size=12).map("".join), _VALUE, _VALUE, st.integers(1, 80))
def test_expansion_equals_the_rfc_algorithm(text: str, local: str, helo: str, limit: int) -> None:
    c = ctx(f"{local}@example.test", helo=helo)
    full = reference(text, c)
    assert expand(text, c, explanation=True) == full
    assert expand(text, c, explanation=True, limit=limit) == full[:limit]


@settings(max_examples=600, deadline=None)
@given(
    st.lists(st.one_of(_MACRO.filter(lambda m: m[2].lower() not in "crt"), st.just(".x")), max_size=40).map("".join),
    _VALUE,
)
def test_domain_expansion_equals_the_rfc_algorithm(spec: str, local: str) -> None:
    spec = (spec or "x") + ".example.test"
    c = ctx(f"{local * 5}@example.test")
    full = truncate_domain(reference(spec, c, explanation=False))
    got = expand_domain(spec, c)
    if len(full) <= MAX_DOMAIN_LENGTH:  # beyond, both are over-long names DNS refuses alike
        assert got == full
    else:
        assert len(got) > MAX_DOMAIN_LENGTH and "." not in got


def test_url_escaping_is_kept() -> None:
    c = ctx("a b/c@example.test")
    assert expand("%{L}", c, explanation=True) == urllib.parse.quote("a b/c", safe="~")
