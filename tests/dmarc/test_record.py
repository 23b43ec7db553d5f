"""DMARC records and alignment: pure parsing, reading, repair and alignment, with plain strings."""

from __future__ import annotations

import pytest

from smtpkit.dmarc.alignment import aligned, check_alignment, dmarc_passes, mail_from_domain, org_domain
from smtpkit.dmarc.record import is_dmarc_candidate, parse_record, parse_uris, read_tags, reading, starts_like_dmarc

TEXTBOOK = "v=DMARC1; p=quarantine; rua=mailto:reports@example.com; pct=100;"


def rows(text: str) -> dict[str, dict[str, str]]:
    return {r.tag: r.to_row() for r in read_tags(parse_record(text))}


def test_textbook_record_reads_as_promised() -> None:
    rec = parse_record(TEXTBOOK)
    assert rec.valid and rec.problems == []
    assert (rec.policy, rec.pct, [u.address for u in rec.rua]) == ("quarantine", 100, ["reports@example.com"])
    t = rows(TEXTBOOK)
    assert "send failing mail to spam" in t["p"]["meaning"]
    assert "send aggregate reports to reports@example.com" in t["rua"]["meaning"]
    assert "apply to 100% of messages" in t["pct"]["meaning"]
    text = reading(rec)
    assert "send failing mail to spam" in text
    assert "Send aggregate reports to reports@example.com" in text and "Apply to 100% of messages" in text


def test_every_tag_is_explained_with_its_default() -> None:
    t = rows("v=DMARC1; p=reject")
    assert list(t) == ["v", "p", "sp", "np", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "psd", "t"]
    assert t["adkim"]["value"] == "(default) r" and t["adkim"]["default"] == "r" and "relaxed" in t["adkim"]["meaning"]
    assert t["sp"]["value"].startswith("(default)") and "refuse" in t["sp"]["meaning"]  # sp inherits p
    assert t["ri"]["default"] == "86400" and "24 hours" in t["ri"]["meaning"]
    assert t["rua"]["meaning"] == "no aggregate reports are requested"
    # RFC 9989 status is noted on the tags it adds and removes
    for tag in ("pct", "rf", "ri"):
        assert "Removed in RFC 9989" in t[tag]["note"]
    for tag in ("np", "psd", "t"):
        assert "New in RFC 9989" in t[tag]["note"]
    strict = rows("v=DMARC1; p=reject; sp=none; adkim=s; aspf=s; t=y; fo=1; ruf=mailto:f@example.com")
    assert "strict" in strict["adkim"]["meaning"] and "strict" in strict["aspf"]["meaning"]
    assert "take no action" in strict["sp"]["meaning"] and "test mode" in strict["t"]["meaning"]
    assert "any mechanism fails" in strict["fo"]["meaning"] and "f@example.com" in strict["ruf"]["meaning"]


@pytest.mark.parametrize(
    ("text", "fragment", "corrected"),
    [
        (
            "v=DMARC1, p=reject, rua=mailto:d@example.com",
            "not separated by semicolons",
            "v=DMARC1; p=reject; rua=mailto:d@example.com",
        ),
        ("v=DMARC1 p=reject", "not separated by semicolons", "v=DMARC1; p=reject"),
        ("v=dmarc1; p=none", "exactly v=DMARC1", "v=DMARC1; p=none"),
        ("p=reject; v=DMARC1", "very first tag", "v=DMARC1; p=reject"),
        (
            "v=DMARC1; p=reject; ruf:mailto:f@example.com",
            "not a tag=value pair",
            "v=DMARC1; p=reject; ruf=mailto:f@example.com",
        ),
        ("v=DMARC1; p=reject; p=none", "appears twice", "v=DMARC1; p=reject"),
    ],
)
def test_syntax_errors_are_discarded_and_repaired(text: str, fragment: str, corrected: str) -> None:
    rec = parse_record(text)
    assert not rec.valid
    assert any(fragment in p.message for p in rec.problems_of("syntax")), rec.problems
    assert rec.corrected() == corrected
    assert parse_record(rec.corrected()).valid
    assert reading(rec).startswith("Receivers discard this record")


@pytest.mark.parametrize(
    ("text", "tag", "fixed"),
    [
        ("v=DMARC1; p=rejected", "p", "p=reject"),
        ("v=DMARC1; p=quarentine", "p", "p=quarantine"),
        ("v=DMARC1; p=reject; adkim=relaxed", "adkim", "adkim=r"),
        ("v=DMARC1; p=reject; aspf=strict", "aspf", "aspf=s"),
        ("v=DMARC1; p=reject; pct=150", "pct", "pct=100"),
        ("v=DMARC1; p=reject; rua=dmarc@example.com", "rua", "rua=mailto:dmarc@example.com"),
        ("v=DMARC1; p=reject; fo=2", "fo", "fo=1"),
        ("v=DMARC1; p=reject; t=yes", "t", "t=y"),
        ("v=DMARC1; p=reject; psd=maybe", "psd", "psd=u"),
        ("v=DMARC1; p=reject; ri=daily", "ri", "ri=86400"),
    ],
)
def test_invalid_values_are_named_and_corrected(text: str, tag: str, fixed: str) -> None:
    rec = parse_record(text)
    assert rec.valid
    bad = rec.problems_of("invalid_value")
    assert [p.tag for p in bad] == [tag]
    assert fixed in rec.corrected()
    assert parse_record(rec.corrected()).problems == []


def test_unknown_tags_are_ignored_with_a_hint() -> None:
    rec = parse_record("v=DMARC1; p=reject; ruaa=mailto:d@example.com")
    assert rec.valid and [p.kind for p in rec.problems] == ["unknown_tag"]
    assert "Did you mean rua=" in rec.problems[0].message
    assert "rua=mailto:d@example.com" in rec.corrected()


def test_invalid_values_fall_back_to_defaults_like_receivers() -> None:
    rec = parse_record("v=DMARC1; p=bogus; adkim=x; pct=abc")
    assert (rec.policy, rec.adkim, rec.pct) == ("none", "r", 100)
    missing_p = parse_record("v=DMARC1; rua=mailto:d@example.com")
    assert missing_p.policy == "none" and [p.tag for p in missing_p.problems] == ["p"]
    assert "p=none" in missing_p.problems[0].message


def test_policies_and_corrected_variants() -> None:
    rec = parse_record("v=DMARC1; p=quarantine; pct=25; rua=mailto:d@example.com; t=y")
    assert rec.pct == 25 and rec.testing and rec.subdomain_policy == rec.nonexistent_policy == "quarantine"
    assert rec.corrected(pct=None, t=None) == "v=DMARC1; p=quarantine; rua=mailto:d@example.com"
    assert rec.corrected(p="reject").startswith("v=DMARC1; p=reject;")
    sp = parse_record("v=DMARC1; p=reject; sp=none; np=quarantine")
    assert (sp.subdomain_policy, sp.nonexistent_policy) == ("none", "quarantine")
    assert "For subdomains" in reading(sp)


def test_record_recognition() -> None:
    assert starts_like_dmarc("v=DMARC1; p=none") and starts_like_dmarc("v=DMARC1")
    assert not starts_like_dmarc("v=DMARC1, p=none") and not starts_like_dmarc("v=spf1 -all")
    assert is_dmarc_candidate("v=dmarc1; p=none") and is_dmarc_candidate("p=reject; v=DMARC1")
    assert not is_dmarc_candidate("google-site-verification=xyz")


def test_report_uris() -> None:
    good, bad = parse_uris("mailto:a@example.com!10m, mailto:b@example.net,https://reports.example.org/x")
    assert [u.domain for u in good] == ["example.com", "example.net", ""] and good[0].size_limit == "10m"
    assert bad == []
    good, bad = parse_uris("a@example.com,mailto:nobody,mailto:x@y.z!big")
    assert good == [] and len(bad) == 3 and "mailto:a@example.com" in bad[0]


def test_org_domain_and_alignment() -> None:
    assert org_domain("mail.example.co.uk") == "example.co.uk"
    assert org_domain("a.b.example.com.") == "example.com"
    assert org_domain("news.smtpkit.test") == "smtpkit.test"
    assert org_domain("co.uk") == "co.uk"
    assert aligned("bounce.example.com", "example.com", "r") and not aligned("bounce.example.com", "example.com", "s")
    assert aligned("Example.COM.", "example.com", "s")
    assert not aligned("example.net", "example.com", "r") and not aligned("", "example.com")
    assert not aligned("a.example.co.uk", "b.other.co.uk", "r")
    assert mail_from_domain("<bounces@mail.example.com>") == "mail.example.com"
    assert mail_from_domain("example.com") == "example.com" and mail_from_domain("<>") == ""


def test_alignment_rows_and_dmarc_pass() -> None:
    rows = check_alignment("example.com", spf_domain="amazonses.com", spf_pass=True, dkim=[("example.com", True)])
    assert [(r.identifier, r.aligned) for r in rows] == [("SPF MAIL FROM", False), ("DKIM d=", True)]
    assert dmarc_passes(rows)
    failing = check_alignment(
        "example.com", spf_domain="amazonses.com", spf_pass=True, dkim=[("example.com", False), ("sendgrid.net", True)]
    )
    assert not dmarc_passes(failing)  # the aligned signature failed, the passing ones are not aligned
    strict = check_alignment("example.com", spf_domain="bounce.example.com", aspf="s")
    assert not strict[0].aligned and strict[0].to_row()["mode"] == "strict"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_DMARCISH = st.lists(
    st.sampled_from(
        ["v=DMARC1", "p=reject", "p=", "rua=mailto:a@b.c", "rua=x", "pct=", "adkim=q", ";", ",", " ", "=", "t=y"]
    )
    | st.text(max_size=12),
    max_size=12,
).map(lambda parts: "".join(parts))


@settings(max_examples=300, deadline=None)
@given(_DMARCISH)
def test_any_text_parses_reads_and_repairs_without_raising(text: str) -> None:
    rec = parse_record(text)
    reading(rec)
    read_tags(rec)
    fixed = parse_record(rec.corrected())
    assert fixed.valid  # the repair always yields a record receivers keep
