"""check_domain and `smtpkit domain` against the lab's DNS: the healthy domain passes, each broken one
names its code with a fix a person can paste, and a silent nameserver never hangs the check."""

from __future__ import annotations

import json
import time

import pytest

from smtpkit.checks.domain import check_domain
from smtpkit.cli import main
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zones.mx import PTR_MISMATCH_IP, PTR_MISSING_IP
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver
from smtpkit.settings.domain import DomainQuery


def test_healthy_lab_domain_passes(resolver: Resolver) -> None:
    report = check_domain("smtpkit.test", selectors=["lab"], ip="127.0.0.1", resolver=resolver)
    assert [s.name for s in report.steps] == ["mx", "spf", "dkim", "dmarc", "mta_sts", "dane", "tlsrpt", "ptr", "dnsbl"]
    assert report.verdict == "pass", report.to_text()
    # blocklists list public addresses only: the lab's loopback address is not asked about, and that is said
    assert report.codes() == ["dnsbl.not_public"]
    # MTA-STS and DANE are optional: without them (a bare DNS server has no TLSA records) a note, not a problem
    assert {s.name: s.status.value for s in report.steps if s.status.value != "pass"} == {
        "mta_sts": "info",
        "dane": "info",
        "dnsbl": "skip",
    }
    assert report.target_dict() == {"domain": "smtpkit.test", "selectors": ["lab"], "ip": "127.0.0.1"}
    # a table heading is "step: table"; a table named after its step read "mx: mx"
    headings = [f"{s.name}: {name}" for s in report.steps for name in s.tables]
    assert "mx: mail servers" in headings and not [h for h in headings if h.split(": ")[0] == h.split(": ")[1]]
    assert "mx: mx" not in report.to_text()
    # the DNS conversation is the transcript
    lines = [t.text for t in report.transcript_lines()]
    assert any(line.startswith("TXT _dmarc.smtpkit.test?") for line in lines)
    assert any(line.startswith("OK: v=DMARC1; p=reject") for line in lines)
    frame = report.to_frame()
    assert list(frame["step"]) == ["mx", "spf", "dkim", "dmarc", "mta_sts", "dane", "tlsrpt", "ptr", "dnsbl"]
    assert "verdict" in report._repr_html_()


# domain, extra arguments, the code that must be named, a fragment of the paste-able fix
BROKEN = [
    ("dkim-missing.test", {}, "dkim.key_missing", "selector1._domainkey.dkim-missing.test"),
    ("dkim-none.test", {}, "dkim.no_selector_found", "smtpkit domain dkim-none.test --selector"),
    (
        "dkim-none.test",
        {"selectors": ["mail"]},
        "dkim.key_missing",
        "smtpkit dkim keygen --domain dkim-none.test --selector mail",
    ),
    ("dkim-revoked.test", {}, "dkim.key_revoked", 'default._domainkey.dkim-revoked.test TXT "v=DKIM1; k=rsa; p='),
    ("dkim-invalid.test", {}, "dkim.key_invalid", '"v=DKIM1; k=rsa; p=<the full base64 key, no spaces>"'),
    ("dkim-short.test", {}, "dkim.key_too_short", "smtpkit dkim keygen --domain dkim-short.test --selector"),
    ("dkim-1024.test", {}, "dkim.key_too_short", 'default._domainkey.dkim-1024.test TXT "v=DKIM1; p="'),
    ("dkim-testing.test", {}, "dkim.testing_mode", 'default._domainkey.dkim-testing.test TXT "v=DKIM1; k=rsa; p=MIIB'),
    ("dmarc-missing.test", {}, "dmarc.missing", '"v=DMARC1; p=none; rua=mailto:dmarc-reports@dmarc-missing.test"'),
    ("dmarc-multiple.test", {}, "dmarc.multiple_records", '_dmarc.dmarc-multiple.test TXT "v=DMARC1; p=reject;'),
    ("dmarc-syntax.test", {}, "dmarc.syntax_error", '"v=DMARC1; p=reject; rua=mailto:dmarc-reports@dmarc-syntax.test"'),
    (
        "dmarc-badvalue.test",
        {},
        "dmarc.invalid_tag_value",
        '"v=DMARC1; p=reject; adkim=r; rua=mailto:dmarc-reports@dmarc-badvalue.test"',
    ),
    ("dmarc-none.test", {}, "dmarc.policy_none", '"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@dmarc-none.test"'),
    (
        "dmarc-noreport.test",
        {},
        "dmarc.no_reporting",
        '"v=DMARC1; p=reject; rua=mailto:dmarc-reports@dmarc-noreport.test"',
    ),
    (
        "dmarc-rua-external.test",
        {},
        "dmarc.rua_unauthorized",
        'dmarc-rua-external.test._report._dmarc.dmarc-reports.test TXT "v=DMARC1"',
    ),
    ("dmarc-pct.test", {}, "dmarc.pct_partial", '"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@dmarc-pct.test"'),
    (
        "dmarc-testing.test",
        {},
        "dmarc.testing_mode",
        '"v=DMARC1; p=reject; rua=mailto:dmarc-reports@dmarc-testing.test"',
    ),
    ("dmarc-strict.test", {"mail_from": "bounce@mail.dmarc-strict.test"}, "dmarc.not_aligned", "aspf=r"),
    ("mx-null.test", {}, "mx.null", "mx-null.test. 3600 IN MX 10 mail.mx-null.test."),
    ("mx-none.test", {}, "mx.missing", "mx-none.test. 3600 IN MX 10 mail.mx-none.test."),
    ("mx-cname.test", {}, "mx.invalid_target", "mx-cname.test. IN MX 10 mail.mx-cname.test."),
    ("mx-ip.test", {}, "mx.invalid_target", "mail.mx-ip.test. IN A 127.0.0.1"),
    ("mx-dangling.test", {}, "mx.invalid_target", "mx1.mx-dangling.test. IN A"),
    (
        "ptr-mismatch.test",
        {"ip": PTR_MISMATCH_IP},
        "ptr.not_forward_confirmed",
        f"mail.ptr-mismatch.test. IN A {PTR_MISMATCH_IP}",
    ),
    ("ptr-mismatch.test", {"ip": PTR_MISSING_IP}, "ptr.missing", "1.2.0.127.in-addr.arpa PTR mail.ptr-mismatch.test."),
]


@pytest.mark.parametrize(("domain", "kwargs", "code", "fix"), BROKEN, ids=[f"{d}-{c}" for d, _k, c, _f in BROKEN])
def test_each_broken_domain_names_its_code_and_fix(
    resolver: Resolver, domain: str, kwargs: dict, code: str, fix: str
) -> None:
    report = check_domain(domain, resolver=resolver, **kwargs)
    assert report.verdict != "pass", report.to_text()
    assert code in report.codes(), report.codes()
    # the scenario is about one thing: no other step is disturbed by it
    area = code.split(".")[0]
    # (a note that the lab's loopback IP is not asked about on blocklists is information, not a disturbance)
    assert {f.code.split(".")[0] for f in report.findings if f.severity.value != "info"} == {area}, report.codes()
    f = next(f for f in report.findings if f.code == code)
    assert fix in f.fix, f.fix
    assert f.explanation and f.evidence


def _dead_zone() -> ZoneSet:
    names = ["dead.test", "_dmarc.dead.test", "s1._domainkey.dead.test", "9.9.0.127.in-addr.arpa"]
    return ZoneSet([Record(n, "TIMEOUT") for n in names], zones=["dead.test", "127.in-addr.arpa"])


def test_silent_nameserver_gives_lookup_failures() -> None:
    # the domain itself answers (its MX), its DMARC, DKIM and reverse names do not: each silence is its own finding
    names = ["_dmarc.dead.test", "s1._domainkey.dead.test", "9.9.0.127.in-addr.arpa"]
    records = [Record("dead.test", "MX", (10, "mail.dead.test")), *(Record(n, "TIMEOUT") for n in names)]
    with DnsServer(ZoneSet(records, zones=["dead.test", "127.in-addr.arpa"])) as server:
        r = Resolver(nameservers=[server.nameserver], timeout=0.2)
        report = check_domain("dead.test", selectors=["s1"], ip="127.0.9.9", resolver=r, timeout=10)
    codes = set(report.codes())
    assert {"dkim.key_lookup_failed", "dmarc.lookup_failed", "ptr.lookup_failed"} <= codes, codes
    assert not codes & {"dmarc.missing", "dkim.key_missing", "ptr.missing"}  # silence is not absence


def test_a_silent_domain_is_could_not_check_said_once() -> None:
    with DnsServer(_dead_zone()) as server:
        r = Resolver(nameservers=[server.nameserver], timeout=0.2)
        report = check_domain("dead.test", selectors=["s1"], ip="127.0.9.9", resolver=r, timeout=10)
    codes = set(report.codes())
    assert {"domain.unanswered", "ptr.lookup_failed"} <= codes and "mx.missing" not in codes, codes
    assert report.verdict != "fail"


def test_overall_deadline_is_kept() -> None:
    with DnsServer(_dead_zone()) as server:
        r = Resolver(nameservers=[server.nameserver], timeout=2.0)
        start = time.monotonic()
        report = check_domain("dead.test", selectors=["s1"], ip="127.0.9.9", resolver=r, timeout=0.5)
        took = time.monotonic() - start
    assert took < 1.5, took
    assert [s.name for s in report.steps] == ["mx", "spf", "dkim", "dmarc", "mta_sts", "dane", "tlsrpt", "ptr", "dnsbl"]
    silent = [s for s in report.steps if s.name in ("mx", "spf", "dkim", "dmarc", "ptr")]
    assert all("overall deadline of 0.5s" in s.summary for s in silent)
    # a check that ran out of time could not check: a warning that says so, never a failing verdict
    assert all(s.status.value == "warn" for s in silent), [(s.name, s.status) for s in silent]
    assert report.verdict == "warn"
    assert {"mx.lookup_failed", "dkim.key_lookup_failed", "dmarc.lookup_failed", "ptr.lookup_failed"} <= set(
        report.codes()
    )


def test_cli_domain(lab_dns: DnsServer, capsys: pytest.CaptureFixture[str]) -> None:
    ns = lab_dns.nameserver
    assert main(["domain", "smtpkit.test", "--selector", "lab", "--ip", "127.0.0.1", "--nameserver", ns]) == 0
    out = capsys.readouterr().out
    assert "verdict PASS" in out and "dmarc" in out
    assert "Your records in plain words" in out
    assert "Send aggregate reports to dmarc-reports@smtpkit.test" in out and "refuse failing mail" in out
    assert main(["domain", "dmarc-none.test", "--nameserver", ns, "--json"]) == 0  # warnings do not fail
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "warn" and [f["code"] for f in doc["findings"]] == ["dmarc.policy_none"]
    assert main(["domain", "mx-null.test", "--nameserver", ns]) == 1
    assert "mx.null" in capsys.readouterr().out
    assert main(["domain", "dkim-none.test", "--selector", "mail", "--nameserver", ns, "-v"]) == 1
    out = capsys.readouterr().out
    assert "dkim.key_missing" in out and "Transcript" in out and "TXT mail._domainkey.dkim-none.test?" in out
    for argv, msg in [
        (["domain", "someone@example.com"], "e-mail address"),
        (["domain", "example.com", "--ip", "nope"], "not an IP address"),
        (["domain", "example.com", "--nameserver", "127.0.0.1:99999"], "out of range"),
    ]:
        assert main(argv) == 2
        assert msg in capsys.readouterr().err


def test_dkim_discovery_against_a_silent_nameserver() -> None:
    """A nameserver that swallows every query: discovery reports the failure, not 'no selector'."""
    import socket

    from smtpkit.checks.domain.dkim import dkim_step

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        r = Resolver(nameservers=[f"127.0.0.1:{silent.getsockname()[1]}"], timeout=0.2, retries=0)
        start = time.monotonic()
        step = dkim_step("example.test", r, candidates=["google", "selector1", "k1"])
        assert time.monotonic() - start < 2.0
    finally:
        silent.close()
    assert [f.code for f in step.findings] == ["dkim.key_lookup_failed"]
    assert "3 common selectors" in step.findings[0].title and "TIMEOUT" in step.findings[0].explanation


def test_the_practice_lab_serves_the_domain_scenarios(lab_resolver: Resolver) -> None:
    """Through the whole practice lab (the `lab` fixture), not only a bare DNS server."""
    query = DomainQuery("smtpkit.test", ("lab",), "127.0.0.1")
    assert check_domain(query, resolver=lab_resolver).verdict == "pass"
    for domain, code in [
        ("dkim-revoked.test", "dkim.key_revoked"),
        ("dmarc-none.test", "dmarc.policy_none"),
        ("mx-null.test", "mx.null"),
    ]:
        assert code in check_domain(domain, resolver=lab_resolver).codes()


def test_selector_with_a_txt_that_is_not_a_key(resolver: Resolver) -> None:
    from smtpkit.checks.domain.dkim import dkim_step

    zones = ZoneSet([Record("*.wild.test", "TXT", "v=spf1 -all")], zones=["wild.test"])
    with DnsServer(zones) as server:
        r = Resolver(nameservers=[server.nameserver], timeout=1.0)
        discovered = dkim_step("wild.test", r, candidates=["google", "default"])
        named = dkim_step("mail.wild.test", r, selectors=["s1"])
    # a wildcard TXT answers every selector, but it is not a key: discovery does not count it
    assert [f.code for f in discovered.findings] == ["dkim.no_selector_found"]
    f = named.findings[0]
    assert f.code == "dkim.key_missing" and "not a DKIM key" in f.explanation and "v=spf1 -all" in f.evidence
    assert "the host field is s1._domainkey.mail" in f.fix  # relative to the zone wild.test, as DNS panels want it


def test_dangling_alias_inside_one_zone_is_named() -> None:
    """The server follows an in-zone CNAME itself and answers NXDOMAIN: the alias must still be reported."""
    from smtpkit.checks.domain.dkim import dkim_step

    zones = ZoneSet([Record("sel._domainkey.alias.test", "CNAME", "gone.alias.test")], zones=["alias.test"])
    with DnsServer(zones) as server:
        r = Resolver(nameservers=[server.nameserver], timeout=1.0)
        ans = r.resolve("sel._domainkey.alias.test", "TXT")
        step = dkim_step("alias.test", r, candidates=["sel", "google"])
    assert (
        ans.status == "nxdomain"
        and ans.cnames == ["sel._domainkey.alias.test"]
        and ans.canonical_name == "gone.alias.test"
    )
    f = step.findings[0]
    assert f.code == "dkim.key_missing" and "sel._domainkey.alias.test -> gone.alias.test" in f.explanation
