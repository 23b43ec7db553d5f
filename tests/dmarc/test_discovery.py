"""DMARC discovery and the dmarc step over real DNS: the lab's broken DMARC domains, one code each."""

from __future__ import annotations

import pytest

from smtpkit.checks.domain.dmarc import dmarc_step
from smtpkit.dmarc.discovery import discover, rua_authorization
from smtpkit.dmarc.record import parse_record
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver


def codes(step) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in step.findings]


def test_discovery_at_the_domain_itself(resolver: Resolver) -> None:
    disc = discover("smtpkit.test", resolver)
    assert disc.record_name == "_dmarc.smtpkit.test" and not disc.used_fallback
    assert disc.record is not None and disc.record.policy == "reject" and disc.record.adkim == "s"
    assert [lk.name for lk in disc.lookups] == ["_dmarc.smtpkit.test"]


def test_discovery_falls_back_to_the_organizational_domain(resolver: Resolver) -> None:
    disc = discover("news.dmarc-org.test", resolver)
    assert [lk.name for lk in disc.lookups] == ["_dmarc.news.dmarc-org.test", "_dmarc.dmarc-org.test"]
    assert disc.lookups[0].answer.status == "nxdomain"
    assert disc.used_fallback and disc.policy_domain == "dmarc-org.test" and disc.org_domain == "dmarc-org.test"
    step = dmarc_step("news.dmarc-org.test", resolver)
    assert step.findings == [] and "inherited from dmarc-org.test" in step.summary
    assert "organizational domain fallback" in step.details["found at"]


def test_missing_names_where_to_publish(resolver: Resolver) -> None:
    step = dmarc_step("dmarc-missing.test", resolver)
    assert codes(step) == ["dmarc.missing"] and step.status.value == "fail"
    f = step.findings[0]
    assert '"v=DMARC1; p=none; rua=mailto:dmarc-reports@dmarc-missing.test"' in f.fix
    assert "_dmarc.dmarc-missing.test" in f.fix
    sub = dmarc_step("www.dmarc-missing.test", resolver)  # a subdomain: both names are tried and named
    assert codes(sub) == ["dmarc.missing"] and "organizational domain" in sub.findings[0].explanation


def test_multiple_records_merge_into_one(resolver: Resolver) -> None:
    step = dmarc_step("dmarc-multiple.test", resolver)
    assert codes(step) == ["dmarc.multiple_records"]
    fix = step.findings[0].fix
    merged = fix.split('TXT "', 1)[1].split('"', 1)[0]
    rec = parse_record(merged)
    assert rec.valid and rec.policy == "reject"  # the strongest policy is kept
    assert {u.address for u in rec.rua} == {"dmarc-reports@dmarc-multiple.test", "postmaster@dmarc-multiple.test"}


def test_syntax_error_gives_the_corrected_record(resolver: Resolver) -> None:
    step = dmarc_step("dmarc-syntax.test", resolver)
    assert codes(step) == ["dmarc.syntax_error"]
    assert 'TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@dmarc-syntax.test"' in step.findings[0].fix
    assert "semicolons" in step.findings[0].explanation


def test_invalid_tag_values(resolver: Resolver) -> None:
    step = dmarc_step("dmarc-badvalue.test", resolver)
    assert codes(step) == ["dmarc.invalid_tag_value", "dmarc.invalid_tag_value"]
    titles = " ".join(f.title for f in step.findings)
    assert "adkim=" in titles and "rua=" in titles
    assert 'TXT "v=DMARC1; p=reject; adkim=r; rua=mailto:dmarc-reports@dmarc-badvalue.test"' in step.findings[0].fix


@pytest.mark.parametrize(
    ("domain", "code", "in_fix"),
    [
        ("dmarc-none.test", "dmarc.policy_none", '"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@dmarc-none.test"'),
        (
            "dmarc-noreport.test",
            "dmarc.no_reporting",
            '"v=DMARC1; p=reject; rua=mailto:dmarc-reports@dmarc-noreport.test"',
        ),
        ("dmarc-pct.test", "dmarc.pct_partial", '"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@dmarc-pct.test"'),
        (
            "dmarc-testing.test",
            "dmarc.testing_mode",
            '"v=DMARC1; p=reject; rua=mailto:dmarc-reports@dmarc-testing.test"',
        ),
    ],
)
def test_policy_warnings(resolver: Resolver, domain: str, code: str, in_fix: str) -> None:
    step = dmarc_step(domain, resolver)
    assert codes(step) == [code] and step.status.value == "warn"
    assert in_fix in step.findings[0].fix


def test_external_report_destination_needs_authorization(resolver: Resolver) -> None:
    step = dmarc_step("dmarc-rua-external.test", resolver)
    assert codes(step) == ["dmarc.rua_unauthorized"]
    f = step.findings[0]
    assert 'dmarc-rua-external.test._report._dmarc.dmarc-reports.test TXT "v=DMARC1"' in f.fix
    assert step.tables["report destinations"][0]["authorised"] == "NO"
    ok = dmarc_step("dmarc-rua-authorized.test", resolver)
    assert ok.findings == [] and ok.tables["report destinations"][0]["authorised"] == "yes"
    assert rua_authorization("dmarc-rua-authorized.test", "dmarc-reports.test", resolver)[0] is True
    assert rua_authorization("dmarc-rua-external.test", "dmarc-reports.test", resolver)[0] is False


def test_strict_alignment_names_the_spf_identifier(resolver: Resolver) -> None:
    step = dmarc_step(
        "dmarc-strict.test", resolver, mail_from="bounce@mail.dmarc-strict.test", dkim_domains=["dmarc-strict.test"]
    )
    assert codes(step) == ["dmarc.not_aligned"]
    f = step.findings[0]
    assert "SPF MAIL FROM mail.dmarc-strict.test" in f.title and "strict" in f.explanation
    # a domain check has no message: its DKIM row says what would verify it, not "not checked"
    dkim_row = next(r for r in step.tables["alignment"] if r["identifier"] == "DKIM d=")
    assert dkim_row["authenticated"] == "needs a message" and "smtpkit message" in dkim_row["detail"]
    spf_row = next(r for r in step.tables["alignment"] if r["identifier"] == "SPF MAIL FROM")
    assert spf_row["authenticated"] == "not checked" and "detail" not in spf_row  # no empty 'detail' row
    assert "aspf=s" in f.fix and f.severity.value == "warn"  # DKIM could still carry DMARC
    # without a DKIM key to fall back on, the same mail fails DMARC outright
    alone = dmarc_step("dmarc-strict.test", resolver, mail_from="bounce@mail.dmarc-strict.test", dkim_domains=[])
    assert [(f.code, f.severity.value) for f in alone.findings] == [("dmarc.not_aligned", "fail")]
    assert "p=reject" in alone.findings[0].explanation
    only_spf = dmarc_step(
        "dmarc-strict.test", resolver, mail_from="bounces@sendgrid.example.net", dkim_domains=["sendgrid.example.net"]
    )
    assert [(f.code, f.severity.value) for f in only_spf.findings] == [
        ("dmarc.not_aligned", "fail"),
        ("dmarc.not_aligned", "fail"),
    ]
    assert {f.title.split(" ")[0] for f in only_spf.findings} == {"SPF", "DKIM"}
    # in a whole domain check, the SPF row carries the spf step's result for the sending IP (it said
    # "not checked" right under a step that had checked it): SPF passes, but for a domain that does not align
    from smtpkit.checks.domain import check_domain

    whole = check_domain(
        "dmarc-strict.test", mail_from="bounce@mail.dmarc-strict.test", ip="127.0.0.1", resolver=resolver
    )
    spf = next(r for r in whole.step("dmarc").tables["alignment"] if r["identifier"] == "SPF MAIL FROM")  # type: ignore[union-attr]
    assert (spf["aligned"], spf["authenticated"]) == (False, "pass") and "127.0.0.1 pass" in spf["detail"]
    relaxed = dmarc_step("dmarc-none.test", resolver, mail_from="bounce@mail.dmarc-none.test")
    assert "dmarc.not_aligned" not in codes(relaxed)  # relaxed: same organizational domain


def test_lookup_failure_is_not_missing() -> None:
    zones = ZoneSet(
        [Record("_dmarc.slow.test", "TIMEOUT"), Record("slow.test", "MX", (10, "mx.slow.test"))], zones=["slow.test"]
    )
    with DnsServer(zones) as server:
        step = dmarc_step("slow.test", Resolver(nameservers=[server.nameserver], timeout=0.3))
    assert codes(step) == ["dmarc.lookup_failed"] and "TIMEOUT" in step.findings[0].explanation
