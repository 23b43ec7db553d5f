"""Pure SPF parts tested with plain strings: record syntax, macros, the plain-language reading."""

from __future__ import annotations

import ipaddress

import pytest

from smtpkit.spf.explain import explain_record, provider_of
from smtpkit.spf.macros import MacroContext, MacroSyntaxError, expand, expand_domain, tokenize, truncate_domain
from smtpkit.spf.parser import domain_spec_error, is_spf_record, parse_record, select_records

# -- record selection and terms -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SpF1 ~all", True),
        ("v=spf10", False),
        ("v=spf1\t-all", False),
        ("spf1 -all", False),
        ("", False),
    ],
)
def test_version_selection(text: str, ok: bool) -> None:
    assert is_spf_record(text) is ok


def test_select_records_counts_only_spf() -> None:
    sel = select_records(["google-site-verification=x", "v=spf1 mx -all", "v=spf10 +all"])
    assert sel.records == ["v=spf1 mx -all"] and sel.record == "v=spf1 mx -all"
    assert select_records(["v=spf1 a", "v=spf1 mx"]).record is None


def test_terms_have_positions_and_meaning() -> None:
    rec = parse_record(
        "v=spf1  mx/24 a:mail.example.com//64 ~ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.google.com exp=x.%{d}"
        " foo=bar -all"
    )
    assert rec.ok
    mx, a, ip4, ip6, inc, exp, foo, all_ = rec.terms
    assert (mx.name, mx.position, mx.cidr4, mx.cidr6) == ("mx", 8, 24, None)
    assert (a.domain_spec, a.cidr6) == ("mail.example.com", 64)
    assert ip4.qualifier == "~" and ip4.result == "softfail" and ip4.network == ipaddress.ip_network("192.0.2.0/24")
    assert ip6.network == ipaddress.ip_network("2001:db8::/32")
    assert inc.counts_lookup and not ip4.counts_lookup
    assert rec.exp is exp and exp.domain_spec == "x.%{d}"
    assert foo.kind == "modifier" and foo.name == "foo"
    assert rec.all_term is all_ and all_.qualifier == "-"
    assert [t.text for t in rec.lookup_terms()] == ["mx/24", "a:mail.example.com//64", "include:_spf.google.com"]


@pytest.mark.parametrize(
    ("record", "bad_term", "words"),
    [
        ("v=spf1 ip4:1.2.3.4 -all moo", "moo", "not an SPF mechanism"),
        ("v=spf1 a:192.0.2.1 -all", "a:192.0.2.1", "all digits"),
        ("v=spf1 ip4:1.2.3.4/33", "ip4:1.2.3.4/33", "larger than 32"),
        ("v=spf1 ip4:1.2.3.4/032", "ip4:1.2.3.4/032", "leading zero"),
        ("v=spf1 ip4:1.2.3", "ip4:1.2.3", "not an IPv4 address"),
        ("v=spf1 ip4:192.0.2.5\n -all", "ip4:192.0.2.5\n", "not an IPv4 address"),
        ("v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE", "not an IPv6 address"),
        ("v=spf1 ip6:fe80::1%eth0", "ip6:fe80::1%eth0", "not an IPv6 address"),
        ("v=spf1 a/24/64", "a/24/64", "prefix length"),
        ("v=spf1 -all.", "-all.", "takes no argument"),
        ("v=spf1 include", "include", "needs a domain"),
        ("v=spf1 exists:mail.example.com/24", "exists:mail.example.com/24", "not a valid"),
        ("v=spf1 ptr/0", "ptr/0", "optional"),
        ("v=spf1 redirect:example.com", "redirect:example.com", "written with '='"),
        ("v=spf1 exp= -all", "exp=", "needs a domain"),
        ("v=spf1 exp=a.example.com exp=b.example.com", "exp=b.example.com", "more than once"),
        ("v=spf1 1up=foo", "1up=foo", "modifier name starts with a letter"),
        ("v=spf1 =all", "=all", "empty modifier name"),
        ("v=spf1 foo=%abc", "foo=%abc", "'%a' is not a macro"),
        ("v=spf1 a:%{x}.example.com", "a:%{x}.example.com", "unknown macro letter"),
        ("v=spf1 exists:%{c}.example.com", "exists:%{c}.example.com", "only be used in the explanation"),
        ("v=spf1 a:ex\u00e4mple.com", "a:ex\u00e4mple.com", "non-ASCII"),
        ("v=spf1 a:example.com:8080", "a:example.com:8080", "not a valid top-level label"),
    ],
)
def test_syntax_errors_point_at_the_term(record: str, bad_term: str, words: str) -> None:
    rec = parse_record(record)
    assert not rec.ok
    problem = rec.errors[0]
    assert problem.term == bad_term
    assert record[problem.position :].startswith(bad_term)
    assert words in problem.message
    caret = problem.pointer(record).splitlines()[-1]
    assert caret.strip() and caret.index("^") == problem.position


def test_every_error_is_collected_with_suggestions() -> None:
    rec = parse_record("v=spf1 inlude:_spf.google.com ipv4:192.0.2.1 192.0.2.7 redirect:x.example.com a:192.0.2.9 -all")
    assert [p.suggestion for p in rec.errors] == [
        "include:_spf.google.com",
        "ip4:192.0.2.1",
        "ip4:192.0.2.7",
        "redirect=x.example.com",
        "ip4:192.0.2.9",
    ]


@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ("example.com", True),
        ("example.com.", True),
        ("foo:bar/baz.example.com", True),
        ("foo.example.xn--zckzah", True),
        ("%{d}", True),
        ("%{ir}.%{v}._spf.%{d2}", True),
        ("%{H}.bar", True),
        ("museum", False),
        ("museum.", False),
        ("abc.123", False),
        ("example.-com", False),
        ("foo-bar", False),
        ("", False),
    ],
)
def test_domain_spec_grammar(spec: str, ok: bool) -> None:
    assert (domain_spec_error(spec) is None) is ok


# -- macros ---------------------------------------------------------------------------


@pytest.fixture()
def ctx() -> MacroContext:
    # RFC 7208 §7.4's example values
    return MacroContext(
        ip=ipaddress.ip_address("192.0.2.3"),
        sender="strong-bad@email.example.com",
        domain="email.example.com",
        helo="mx.example.org",
        receiver="example.net",
        timestamp=1234567890,
        validated_name=lambda d: "mx.example.org",
    )


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%{p}", "mx.example.org"),
        ("%{p2}", "example.org"),
        ("%{h}", "mx.example.org"),
        ("a%%b%_c%-d", "a%b c%20d"),
    ],
)
def test_rfc7208_macro_examples(ctx: MacroContext, macro: str, expected: str) -> None:
    assert expand(macro, ctx) == expected


def test_explanation_only_letters_and_url_escaping(ctx: MacroContext) -> None:
    assert expand("%{c} %{r} %{t}", ctx, explanation=True) == "192.0.2.3 example.net 1234567890"
    with pytest.raises(MacroSyntaxError):
        expand("%{c}", ctx)
    odd = MacroContext(ip=ctx.ip, sender="~jack&jill=up-a_b3.c@example.com", domain="example.com")
    assert expand("%{L}", odd) == "~jack%26jill%3Dup-a_b3.c"
    assert expand("%{l}", MacroContext(ip=ctx.ip, sender="@example.com", domain="example.com")) == "postmaster"


def test_ipv6_macros() -> None:
    c = MacroContext(ip=ipaddress.ip_address("2001:db8::cb01"), sender="a@example.com", domain="example.com")
    assert (
        expand("%{ir}.%{v}._spf.%{d2}", c).lower()
        == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )
    assert expand("%{c}", c, explanation=True) == "2001:db8::cb01"


@pytest.mark.parametrize("bad", ["%", "%x", "%{", "%{}", "%{d0}", "%{q}", "%{d2x}", "%(ir)"])
def test_macro_syntax_errors(bad: str) -> None:
    with pytest.raises(MacroSyntaxError) as info:
        tokenize(bad)
    assert info.value.position == 0


def test_domain_truncation_keeps_right_labels(ctx: MacroContext) -> None:
    long = ".".join([f"label{i:02d}" for i in range(40)]) + ".example.com."
    out = truncate_domain(long)
    assert len(out) <= 253 and out.endswith(".example.com") and not out.startswith(".")
    assert expand_domain("%{d}.", ctx) == "email.example.com"


# -- the plain-language reading -------------------------------------------------------


def test_textbook_reading() -> None:
    r = explain_record("v=spf1 mx a ip4:192.168.1.1 include:thirdparty.com -all", domain="example.com")
    assert (
        "your domain's MX servers, your domain's A record, the address 192.168.1.1, any server authorised by"
        " thirdparty.com, and strictly fail everyone else" in r.summary
    )
    assert [row["term"] for row in r.to_rows()] == ["mx", "a", "ip4:192.168.1.1", "include:thirdparty.com", "-all"]
    assert [row["lookups"] for row in r.to_rows()] == [1, 1, 0, 1, 0]
    assert list(r.to_frame().columns)[:3] == ["term", "qualifier", "reading"]


@pytest.mark.parametrize(
    ("include", "provider"),
    [
        ("_spf.google.com", "Google Workspace"),
        ("spf.protection.outlook.com", "Microsoft 365"),
        ("amazonses.com", "Amazon SES"),
        ("sendgrid.net", "SendGrid"),
        ("u1234.wl.sendgrid.net", "SendGrid"),
        ("mailgun.org", "Mailgun"),
        ("_spf.mx.cloudflare.net", "Cloudflare"),
        ("servers.mcsv.net", "Mailchimp"),
    ],
)
def test_known_includes(include: str, provider: str) -> None:
    assert provider in (provider_of(include) or "")
    assert provider in explain_record(f"v=spf1 include:{include} ~all").summary
    assert provider_of("thirdparty.com") is None


def test_reading_of_qualifiers_redirect_and_errors() -> None:
    assert "any server on the internet may send" in explain_record("v=spf1 +all").summary
    assert "neutral" in explain_record("v=spf1 mx ?all").summary
    soft = explain_record("v=spf1 -ip4:192.0.2.1 mx ~all")
    assert "reject mail from the address 192.0.2.1" in soft.summary and "softfail everyone else" in soft.summary
    red = explain_record("v=spf1 redirect=_spf.example.com")
    assert red.summary.startswith("The SPF record of _spf.example.com decides")
    assert "If none of that matches" in explain_record("v=spf1 mx redirect=_spf.example.com").summary
    assert "no 'all' term" in explain_record("v=spf1 mx").summary
    ptr = explain_record("v=spf1 ptr -all")
    assert "deprecated" in ptr.rows[0].note
    macro = explain_record("v=spf1 exists:%{i}._spf.%{d} -all")
    assert "%{i} is the client IP" in macro.rows[0].note
    bad = explain_record("v=spf1 inlude:x.com -all")
    assert "syntax errors" in bad.summary and "permerror" in bad.summary
    assert "not an SPF record" in explain_record("v=DMARC1; p=none").summary


# -- robustness: bad input is a result, never a traceback ------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SPFISH = st.lists(
    st.sampled_from(
        [
            "v=spf1",
            " ",
            "  ",
            "-",
            "~",
            "?",
            "+",
            "all",
            "a",
            "mx",
            "ptr",
            "ip4:",
            "ip6:",
            "include:",
            "exists:",
            "redirect=",
            "exp=",
            "%{",
            "}",
            "%",
            "/",
            "//",
            ":",
            ".",
            "=",
            "1",
            "24",
            "192.0.2.1",
            "::1",
            "example.com",
            "d",
            "ir",
            "\x00",
            "\xe9",
            "\n",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_SPFISH, st.text(max_size=80)))
def test_parser_and_reading_never_raise(text: str) -> None:
    rec = parse_record(text)
    for problem in rec.errors:
        assert text[problem.position :].startswith(problem.term)
    explain_record(text)
    try:
        tokenize(text, explanation=True)
    except MacroSyntaxError as exc:
        assert 0 <= exc.position < max(1, len(text))
