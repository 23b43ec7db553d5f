"""Round-two hardening of the domain check against hostile zones, over real DNS on loopback.

A DMARC record may list a thousand report addresses, each in a domain whose
DNS never answers. Each external address costs a consent lookup, and the
checks run in worker threads: before this round the wait was bounded but the
work was not, so `smtpkit domain` printed its report and then could not exit
until every lookup had timed out, and the finished DKIM step was reported as
overdue with the slow DMARC step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtpkit.checks.domain import check_domain
from smtpkit.checks.domain.dmarc import MAX_AUTH_LOOKUPS, dmarc_step
from smtpkit.dkim.keygen import generate
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver

KEY = generate("hostile.test", "s1")
SILENT_DESTINATIONS = 400


def _zone() -> ZoneSet:
    rua = ",".join(f"mailto:r@d{i}.sink.test" for i in range(SILENT_DESTINATIONS))
    many_same = ",".join(f"mailto:r{i}@refuses.test" for i in range(300))
    recs = [
        Record("hostile.test", "MX", (10, "mail.hostile.test")),
        Record("mail.hostile.test", "A", "127.0.0.1"),
        Record("hostile.test", "TXT", "v=spf1 -all"),
        Record("s1._domainkey.hostile.test", "TXT", KEY.txt_value),
        Record("_dmarc.hostile.test", "TXT", f"v=DMARC1; p=reject; rua={rua}"),
        Record("same.test", "TXT", "v=spf1 -all"),
        Record("_dmarc.same.test", "TXT", f"v=DMARC1; p=reject; rua={many_same}"),
        Record("refuses.test", "MX", (10, "mail.refuses.test")),
    ]
    # every consent lookup (hostile.test._report._dmarc.dN.sink.test) goes unanswered
    recs += [Record(f"hostile.test._report._dmarc.d{i}.sink.test", "TIMEOUT") for i in range(SILENT_DESTINATIONS)]
    return ZoneSet(recs, zones=["hostile.test", "sink.test", "same.test", "refuses.test"])


@pytest.fixture(scope="module")
def server() -> Iterator[DnsServer]:
    with DnsServer(_zone()) as srv:
        yield srv


def test_a_thousand_silent_report_destinations_cost_at_most_ten_lookups(server: DnsServer) -> None:
    resolver = Resolver([server.nameserver], timeout=0.2)  # 0.5 s lifetime per lookup
    start = time.monotonic()
    step = dmarc_step("hostile.test", resolver)
    elapsed = time.monotonic() - start
    rows = step.tables["report destinations"]
    assert len(rows) == SILENT_DESTINATIONS
    looked_up = [q for q in resolver.log if "._report._dmarc." in q.name]
    assert len(looked_up) == MAX_AUTH_LOOKUPS
    assert sum(r["authorised"].startswith("unknown") for r in rows) == MAX_AUTH_LOOKUPS
    assert all("not checked" in r["authorised"] for r in rows[MAX_AUTH_LOOKUPS:])
    assert elapsed < MAX_AUTH_LOOKUPS * 0.5 + 3


def test_one_refusing_destination_named_300_times_is_one_lookup_and_one_finding(server: DnsServer) -> None:
    resolver = Resolver([server.nameserver], timeout=1.0)
    step = dmarc_step("same.test", resolver)
    assert len([q for q in resolver.log if "._report._dmarc." in q.name]) == 1
    assert [f.code for f in step.findings].count("dmarc.rua_unauthorized") == 1
    assert all(r["authorised"] == "NO" for r in step.tables["report destinations"])


def test_the_report_consent_lookups_stop_at_the_deadline(server: DnsServer) -> None:
    resolver = Resolver([server.nameserver], timeout=0.4)
    start = time.monotonic()
    step = dmarc_step("hostile.test", resolver, deadline=time.monotonic() + 1.0)
    assert time.monotonic() - start < 1.0 + 1.0 + 1  # the lookup under way when time ran out may finish
    assert any(r["authorised"] == "not checked (out of time)" for r in step.tables["report destinations"])


def test_a_finished_dkim_step_is_kept_when_dmarc_overruns_the_deadline(server: DnsServer) -> None:
    resolver = Resolver([server.nameserver], timeout=0.4)
    start = time.monotonic()
    report = check_domain("hostile.test", selectors=["s1"], resolver=resolver, timeout=1.5)
    assert time.monotonic() - start < 2.5
    assert report.step("dkim").status.value == "pass", report.step("dkim").summary
    assert "dkim.key_lookup_failed" not in report.codes()
    assert report.step("dmarc").summary.startswith("the check did not finish")


def test_the_cli_exits_at_its_deadline_even_while_lookups_are_pending(server: DnsServer, tmp_path: Path) -> None:
    """Before: the report printed after 2 s, then the process waited for 400 unanswered lookups at exit."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    argv = [
        sys.executable,
        "-m",
        "smtpkit",
        "domain",
        "hostile.test",
        "--selector",
        "s1",
        "--nameserver",
        server.nameserver,
    ]
    argv += ["--timeout", "2", "--dns-timeout", "0.8", "--json"]
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env, cwd=tmp_path)
    elapsed = time.monotonic() - start
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["target"]["domain"] == "hostile.test"
    assert elapsed < 8, f"the process lingered {elapsed:.1f} s after a 2 s deadline"
