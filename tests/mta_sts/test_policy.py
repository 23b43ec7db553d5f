"""RFC 8461: the TXT record and policy grammar and MX matching, with the RFC's own examples and hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpkit.mta_sts import MAX_AGE_LIMIT, mx_matches, parse_policy, parse_record, select_records

# RFC 8461 §3.2, the example policy (with its CRLF line ends)
RFC_POLICY = (
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\n"
    "max_age: 604800\r\n"
)


def test_rfc_example_policy() -> None:
    pol = parse_policy(RFC_POLICY)
    assert pol.valid, pol.problems
    assert (pol.version, pol.mode, pol.max_age) == ("STSv1", "enforce", 604800)
    assert pol.mx == ["mail.example.com", "*.example.net", "backupmx.example.com"]
    assert pol.covers("mail.example.com") and pol.covers("mx1.example.net") and pol.covers("BACKUPMX.example.com.")
    assert not pol.covers("example.net") and not pol.covers("a.b.example.net") and not pol.covers("mail.example.org")


@pytest.mark.parametrize(
    ("pattern", "host", "matches"),
    [
        # RFC 8461 §4.1: "*.example.com" matches "mail.example.com" but not "example.com" or "foo.bar.example.com"
        ("*.example.com", "mail.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "foo.bar.example.com", False),
        ("mail.example.com", "mail.example.com", True),
        ("mail.example.com", "MAIL.Example.COM.", True),
        ("mail.example.com", "mail2.example.com", False),
        ("*.example.com", ".example.com", False),
        ("", "mail.example.com", False),
        ("mail.example.com", "", False),
    ],
)
def test_mx_matching(pattern: str, host: str, matches: bool) -> None:
    assert mx_matches(pattern, host) is matches


@pytest.mark.parametrize(
    "text",
    [
        "v=STSv1; id=20160831085700Z;",  # RFC 8461 §3.1's example
        "v=STSv1;id=20190429T010101",
        "v=STSv1; id=abc; ext=value",
        "v=STSv1\t;\tid=1",
    ],
)
def test_valid_records(text: str) -> None:
    rec = parse_record(text)
    assert rec.valid, rec.problems
    assert rec.id


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("v=STSv2; id=1", "must start with"),
        ("v=stsv1; id=1", "must start with"),
        ("v=STSv1;", "id= field is missing"),
        ("v=STSv1; id=2024-01-31", "no dashes"),
        ("v=STSv1; id=" + "a" * 33, "1-32 letters"),
        ("v=STSv1; id=1; id=2", "appears twice"),
        ("v=STSv1;; id=1", "empty field"),
        ("v=STSv1; id", "not a name=value"),
        ("v=STSv1; id=1; bad key=1", "extension"),
    ],
)
def test_invalid_records_say_why(text: str, problem: str) -> None:
    rec = parse_record(text)
    assert not rec.valid and any(problem in p for p in rec.problems), rec.problems


def test_record_selection_follows_rfc8461() -> None:
    # records that do not begin with "v=STSv1;" are discarded before counting
    texts = ["v=spf1 -all", "v=STSv1; id=1", "v=STSv10; id=2", "something else"]
    assert select_records(texts) == ["v=STSv1; id=1"]
    assert select_records(["v=STSv1; id=1", "v=STSv1;id=2"]) == ["v=STSv1; id=1", "v=STSv1;id=2"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 31557601\n", "more than the 31557600"),
        ("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: -5\n", "not a whole number"),
        ("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 1e5\n", "not a whole number"),
        ("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 12345678901\n", "at most 10 digits"),
        ("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: \n", "not a whole number"),
        ("version: STSv1\nmode: enforce\nmode: testing\nmx: a.example.com\nmax_age: 86400\n", "mode appears more"),
        ("version: STSv1\nversion: STSv1\nmode: none\nmax_age: 86400\n", "version appears more"),
        ("version: STSv1\nmode: Enforce\nmx: a.example.com\nmax_age: 86400\n", "lower case"),
        ("version: STSv2\nmode: enforce\nmx: a.example.com\nmax_age: 86400\n", "STSv1 exactly"),
        ("mode: enforce\nmx: a.example.com\nmax_age: 86400\n", "version: STSv1 line is missing"),
        ("version: STSv1\nmx: a.example.com\nmax_age: 86400\n", "mode: line is missing"),
        ("version: STSv1\nmode: enforce\nmx: a.example.com\n", "max_age: line is missing"),
        ("version: STSv1\nmode: enforce\nmax_age: 86400\n", "at least one mx"),
        ("version: STSv1\nmode: enforce\nmx: *.*.example.com\nmax_age: 86400\n", "not a host name"),
        ("version: STSv1\nmode: enforce\nmx: mail example.com\nmax_age: 86400\n", "not a host name"),
        ("version: STSv1\rmode: enforce\rmx: a.example.com\rmax_age: 86400\r", "bare CR"),
        ("version : STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 86400\n", "not a valid key"),
        ("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 86400\n<html>\n", "is not 'key: value'"),
        ("version: STSv1\nmode: enforce\nmx: münchen.example\nmax_age: 86400\n", "non-ASCII"),
    ],
)
def test_invalid_policies_say_why(body: str, problem: str) -> None:
    pol = parse_policy(body)
    assert not pol.valid
    assert any(problem in p for p in pol.problems), pol.problems


def test_max_age_bounds_are_inclusive() -> None:
    for age in (0, 86400, MAX_AGE_LIMIT):
        assert parse_policy(f"version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: {age}\n").valid


def test_crlf_and_lf_may_be_mixed_and_unknown_keys_are_ignored() -> None:
    body = "version: STSv1\r\nmode: testing\nmx: a.example.com  \r\nmx:b.example.com\nfuture_key: x\r\nmax_age: 86400"
    pol = parse_policy(body)
    assert pol.valid, pol.problems
    assert pol.mx == ["a.example.com", "b.example.com"] and pol.extensions == {"future_key": "x"}


def test_mode_none_needs_no_mx() -> None:
    assert parse_policy("version: STSv1\nmode: none\nmax_age: 86400\n").valid


def test_huge_and_hostile_bodies_are_bounded() -> None:
    huge = "version: STSv1\nmode: enforce\n" + "mx: a.example.com\n" * 200_000 + "max_age: 86400\n"
    pol = parse_policy(huge)
    assert any("lines" in p for p in pol.problems) and len(pol.mx) < 1001
    nul = parse_policy("version: STSv1\x00\nmode: enforce\x1b[31m\nmx: a.example.com\nmax_age: 86400\n")
    assert not nul.valid and all("\x1b" not in p or "\\x1b" in p for p in nul.problems)
    assert not parse_policy("").valid
    assert not parse_policy("\n" * 5000).valid


@given(st.text(max_size=400))
def test_the_parser_never_raises(text: str) -> None:
    pol = parse_policy(text)
    assert isinstance(pol.problems, list)
    parse_record(text)
