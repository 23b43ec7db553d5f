"""Blocklist lookups against the practice lab's lists: each answer names the right code, none is misread."""

from __future__ import annotations

import json
import time

import pytest

from smtpkit.checks.domain import check_domain
from smtpkit.checks.domain.dnsbl import check_dnsbl, dnsbl_step
from smtpkit.cli import main
from smtpkit.dnsbl import query_name
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zones.dnsbl import (
    CLEAN_IP,
    DEAD_ZONE,
    LAB_LISTS,
    LIST_ZONE,
    LISTED_IP,
    LISTED_IP6,
    REFUSED_ZONE,
    REWRITE_ZONE,
    UNKNOWN_CODE_IP,
    WORLD_ZONE,
)
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver


def _only(resolver: Resolver, ip: str, *zones: str):  # type: ignore[no-untyped-def]
    return check_dnsbl(ip, list(zones), only_lists=True, resolver=resolver, allow_private=True)


@pytest.mark.parametrize(
    ("zone", "ip", "code", "answer"),
    [
        (LIST_ZONE, LISTED_IP, "dnsbl.listed", "listed"),
        (LIST_ZONE, LISTED_IP6, "dnsbl.listed", "listed"),
        (LIST_ZONE, UNKNOWN_CODE_IP, "dnsbl.unknown_code", "could not check"),
        (REFUSED_ZONE, LISTED_IP, "dnsbl.query_refused", "could not check"),
        (REWRITE_ZONE, LISTED_IP, "dnsbl.resolver_rewrites", "could not check"),
        (WORLD_ZONE, CLEAN_IP, "dnsbl.lists_everything", "could not check"),
        (DEAD_ZONE, LISTED_IP, "dnsbl.test_entry_missing", "could not check"),
    ],
)
def test_each_lab_list_names_its_code(resolver: Resolver, zone: str, ip: str, code: str, answer: str) -> None:
    report = _only(resolver, ip, zone)
    assert report.codes() == [code], report.to_text()
    (row,) = report.steps[0].tables["blocklists"]
    assert row["zone"] == zone and row["answer"] == answer
    if answer == "could not check":
        assert report.verdict != "fail" and row["why"] != "-"  # never a verdict on the IP


def test_a_listing_says_what_why_and_how_to_delist(resolver: Resolver) -> None:
    report = _only(resolver, LISTED_IP, LIST_ZONE)
    (f,) = report.findings
    assert f.severity.value == "fail" and report.verdict == "fail"
    assert "127.0.0.2, 127.0.0.4" in f.explanation and "SBL-style" in f.explanation and "XBL-style" in f.explanation
    assert "spam trap" in f.explanation  # the list's TXT reason
    assert "https://check.spamhaus.org/" in f.fix
    row = report.steps[0].tables["blocklists"][0]
    assert row["reason (TXT)"].startswith("Listed in the practice lab") and row["delist"].startswith("https://")


def test_clean_ip_on_a_healthy_list_passes(resolver: Resolver) -> None:
    report = _only(resolver, CLEAN_IP, LIST_ZONE)
    assert report.verdict == "pass" and report.findings == []
    assert report.steps[0].tables["blocklists"][0]["answer"] == "not listed"


def test_all_lab_lists_at_once_are_concurrent(resolver: Resolver) -> None:
    start = time.monotonic()
    report = _only(resolver, LISTED_IP, *LAB_LISTS)
    assert time.monotonic() - start < 3
    assert set(report.codes()) == {
        "dnsbl.listed",
        "dnsbl.query_refused",
        "dnsbl.resolver_rewrites",
        "dnsbl.lists_everything",
        "dnsbl.test_entry_missing",
    }
    step = report.steps[0]
    assert step.details["listed on"] == 1 and step.details["could not check"] == 4


def test_private_addresses_are_not_asked_unless_allowed(resolver: Resolver) -> None:
    report = check_dnsbl("10.20.30.40", [LIST_ZONE], only_lists=True, resolver=resolver)
    assert report.codes() == ["dnsbl.not_public"] and report.steps[0].status.value == "skip"
    assert "private address" in report.findings[0].explanation
    assert not any("10.20.30.40" in q.name or "40.30.20.10" in q.name for q in resolver.log)


def test_a_silent_list_is_a_lookup_failure_within_the_deadline() -> None:
    names = [query_name(ip, "silent.test") for ip in ("203.0.114.5", "127.0.0.2", "127.0.0.1")]
    zones = ZoneSet([Record(n, "TIMEOUT") for n in names], zones=["silent.test"])
    with DnsServer(zones) as server:
        r = Resolver([server.nameserver], timeout=0.3, retries=0)
        start = time.monotonic()
        step = dnsbl_step("203.0.114.5", r, ["silent.test"], only_lists=True, deadline=time.monotonic() + 1.5)
        assert time.monotonic() - start < 2.5
    assert [f.code for f in step.findings] == ["dnsbl.lookup_failed"]
    assert step.findings[0].severity.value == "warn"


def test_check_domain_with_ip_adds_the_blocklist_step(resolver: Resolver) -> None:
    report = check_domain(
        "smtpkit.test", ip=LISTED_IP, resolver=resolver, dnsbl_lists=[LIST_ZONE], only_lists=True, allow_private=True
    )
    assert report.steps[-1].name == "dnsbl" and "dnsbl.listed" in report.codes()
    assert report.target_dict()["dnsbl_lists"] == [LIST_ZONE]


def test_cli_dnsbl_json_says_which_lists_and_each_answer(
    lab_dns: DnsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = lab_dns.nameserver
    argv = ["dnsbl", LISTED_IP, "--only-lists", "--allow-private", "--nameserver", ns, "--json"]
    for zone in (LIST_ZONE, REFUSED_ZONE):
        argv += ["--list", zone]
    assert main(argv) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["target"]["lists"] == [LIST_ZONE, REFUSED_ZONE]
    rows = {r["zone"]: r for r in doc["steps"][0]["tables"]["blocklists"]}
    assert rows[LIST_ZONE]["answer"] == "listed" and "SBL-style" in rows[LIST_ZONE]["meaning"]
    assert rows[LIST_ZONE]["reason (TXT)"].startswith("Listed in the practice lab")
    assert rows[REFUSED_ZONE]["answer"] == "could not check" and "refused" in rows[REFUSED_ZONE]["why"]
    assert main(["dnsbl", CLEAN_IP, "--list", LIST_ZONE, "--only-lists", "--allow-private", "--nameserver", ns]) == 0
    assert "not listed" in capsys.readouterr().out
    for bad, msg in [
        (["dnsbl", "not-an-ip"], "not an IP address"),
        (["dnsbl", LISTED_IP, "--only-lists"], "at least one --list"),
        (["dnsbl", LISTED_IP, "--list", "no spaces.example"], "not a blocklist zone"),
    ]:
        assert main([*bad, "--json"]) == 2
        assert msg in json.loads(capsys.readouterr().out)["error"]


@pytest.mark.parametrize(
    ("ip", "words"),
    [
        ("203.0.113.5", "a documentation address (RFC 5737"),  # Python calls it private; it is not RFC 1918
        ("2001:db8::25", "a documentation address"),
        ("169.254.1.1", "a link-local address"),
        ("10.1.2.3", "a private address (RFC 1918"),
        ("fd00::1", "a private address"),
    ],
)
def test_an_address_no_list_holds_is_named_for_what_it_is(ip: str, words: str) -> None:
    report = check_dnsbl(ip, nameservers=("127.0.0.1:9",), timeout=1)  # refused before any question is asked
    assert report.codes() == ["dnsbl.not_public"]
    assert f"{ip} is {words}" in report.findings[0].explanation
