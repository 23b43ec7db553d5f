"""Issue 8 §6: the DMARC policy in effect for a subdomain, and the names in dmarc.missing, against the lab's DNS.

A subdomain without its own `_dmarc` record gets its organizational domain's
record, and receivers then apply its sp= (np= for a name that does not exist,
RFC 9989) with its pct=, not its p=. The lab zones of
`smtpkit.lab.zones.dmarc_inherited` have one lesson each.
"""

from __future__ import annotations

import pytest

from smtpkit.checks.domain import check_domain
from smtpkit.dmarc.discovery import discover
from smtpkit.dmarc.record import parse_record
from smtpkit.net.dns import Resolver
from smtpkit.reporting.scorecard import dmarc as dmarc_practice


def test_policy_for_each_kind_of_name() -> None:
    rec = parse_record("v=DMARC1; p=reject; sp=none")
    assert rec.policy_for("domain") == ("p", "reject")
    assert rec.policy_for("subdomain") == ("sp", "none")
    assert rec.policy_for("nonexistent") == ("sp", "none")  # np= falls back to sp=
    assert parse_record("v=DMARC1; p=quarantine").policy_for("nonexistent") == ("p", "quarantine")
    assert parse_record("v=DMARC1; p=reject; np=none").policy_for("nonexistent") == ("np", "none")


def test_p_reject_sp_none_leaves_the_subdomain_open(resolver: Resolver) -> None:
    """The reproducer: p=reject; sp=none on the parent used to give the subdomain a clean pass."""
    report = check_domain("news.dmarc-sp-none.test", resolver=resolver)
    step = report.step("dmarc")
    assert step is not None and step.details["policy in effect"].startswith("sp=none")
    assert report.codes() == ["dmarc.policy_none"] and report.verdict == "warn"
    f = report.findings[0]
    assert (
        "sp=none" in f.title and "sp=" in f.explanation and "p=reject covers only dmarc-sp-none.test" in f.explanation
    )
    assert "sp=quarantine" in f.fix and "_dmarc.dmarc-sp-none.test" in f.fix  # the fix edits the parent's sp=
    assert "inherited from dmarc-sp-none.test: sp=none" in step.summary
    assert dmarc_practice(report).status == "warn"  # the scorecard reads the policy in effect, not p=
    # the parent itself is protected by its p=reject
    assert check_domain("dmarc-sp-none.test", resolver=resolver).step("dmarc").details["policy in effect"] == "p=reject"


def test_np_applies_to_a_subdomain_that_does_not_exist(resolver: Resolver) -> None:
    ghost = check_domain("ghost.dmarc-np.test", resolver=resolver).step("dmarc")
    assert ghost is not None and ghost.details["policy in effect"].startswith("np=none")
    assert [f.code for f in ghost.findings] == ["dmarc.policy_none"] and "np=none" in ghost.findings[0].title
    news = check_domain("news.dmarc-np.test", resolver=resolver)
    assert news.step("dmarc").details["policy in effect"].startswith("sp=reject") and news.verdict == "pass"


def test_pct_applies_to_the_policy_in_effect(resolver: Resolver) -> None:
    report = check_domain("news.dmarc-sp-pct.test", resolver=resolver)
    assert report.codes() == ["dmarc.pct_partial"]
    f = report.findings[0]
    assert "sp=quarantine to 50%" in f.explanation
    assert report.step("dmarc").details["policy in effect"].startswith("sp=quarantine, pct=50")


def test_dmarc_missing_names_the_subdomains_own_record_first(resolver: Resolver) -> None:
    report = check_domain("football.dmarc-sub-missing.test", resolver=resolver)
    f = next(f for f in report.findings if f.code == "dmarc.missing")
    assert "no DMARC record at _dmarc.football.dmarc-sub-missing.test, nor at the organizational domain's" in (
        f.explanation
    )
    assert "_dmarc.dmarc-sub-missing.test" in f.explanation
    assert "named _dmarc.dmarc-sub-missing.test" in f.fix and "covers football.dmarc-sub-missing.test" in f.fix
    # a registrable domain has one name to speak of
    own = next(f for f in check_domain("dmarc-missing.test", resolver=resolver).findings if f.code == "dmarc.missing")
    assert "at _dmarc.dmarc-missing.test." in own.explanation and "organizational" not in own.explanation


@pytest.mark.parametrize(
    ("domain", "exists", "expected"),
    [("news.dmarc-sp-none.test", True, ("sp", "none")), ("dmarc-sp-none.test", True, ("p", "reject"))],
)
def test_discovery_says_which_policy_applies(resolver: Resolver, domain: str, exists: bool, expected: tuple) -> None:
    assert discover(domain, resolver).policy_in_effect(exists=exists) == expected
