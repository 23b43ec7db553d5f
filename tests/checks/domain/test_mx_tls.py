"""`check_domain(..., probe_mx=True)`: every MX address over STARTTLS, against the lab and hostile peers."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from smtpkit.checks.domain import check_domain
from smtpkit.checks.domain.inbound import InboundCache
from smtpkit.cli import main
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver
from tests.support.peers import Peer, ScriptedSmtp, free_port, ipv6_loopback_usable


@pytest.fixture()
def options(lab: Any) -> dict[str, Any]:
    return {**lab.domain_options(), "probe_mx": True}


def _table(report: Any) -> list[dict[str, Any]]:
    return report.step("mx_tls").tables["MX hosts over STARTTLS"]  # type: ignore[no-any-return]


def test_the_healthy_lab_domain_takes_mail_over_tls_on_every_address(options: dict[str, Any]) -> None:
    report = check_domain("sts-enforce.test", **options)
    assert report.codes() == [], report.to_text()
    rows = _table(report)
    addresses = {r["address"] for r in rows}
    assert "127.0.0.1" in addresses
    if ipv6_loopback_usable():
        assert "::1" in addresses  # every address of the MX, IPv4 and IPv6
    for row in rows:
        assert row["STARTTLS"] == "offered" and row["certificate"] == "valid for the name"
        assert row["TLS"] in ("TLSv1.2", "TLSv1.3") and row["MTA-STS"] == "pass"


@pytest.mark.parametrize(
    ("domain", "code", "severity"),
    [
        ("mxtls-partial.test", "mx.tls.unreachable", "warn"),
        ("mxtls-badname.test", "mx.tls.cert_invalid", "info"),
        ("mxtls-nostarttls.test", "mx.tls.no_starttls", "warn"),
        ("sts-mxcert.test", "mta_sts.mx_cert_invalid", "fail"),
    ],
)
def test_each_lab_mx_scenario_names_its_code(options: dict[str, Any], domain: str, code: str, severity: str) -> None:
    report = check_domain(domain, **options)
    assert report.codes() == [code], report.to_text()
    assert report.findings[0].severity.value == severity


def test_a_certificate_that_fails_mta_sts_is_said_once_with_its_consequence(options: dict[str, Any]) -> None:
    report = check_domain("sts-mxcert.test", **options)
    (f,) = report.findings
    assert "refuse to deliver" in f.explanation and "Hostname mismatch" in f.explanation
    (row,) = _table(report)
    assert row["MTA-STS"] == "FAIL: certificate" and row["certificate"].startswith("fails: Hostname mismatch")


def test_port_25_blocked_is_could_not_check_not_a_verdict(options: dict[str, Any]) -> None:
    closed = free_port()
    report = check_domain("sts-enforce.test", **{**options, "mx_port": closed})
    assert report.codes() == ["mx.tls.port25_blocked"] and report.verdict == "warn"
    f = report.findings[0]
    assert "network blocks it" in f.explanation and "from a machine that can send mail" in f.fix
    assert "could not check" in report.step("mx_tls").summary  # type: ignore[union-attr]


def test_private_addresses_are_not_probed_without_permission(lab: Any) -> None:
    options = {**lab.domain_options(), "probe_mx": True, "allow_private": False, "mta_sts_port": 443}
    report = check_domain("mxtls-badname.test", **options)
    assert "mx.tls.private_address" in report.codes()
    assert report.step("mx_tls").details["MX addresses probed"] == 0  # type: ignore[union-attr]
    f = next(f for f in report.findings if f.code == "mx.tls.private_address")
    assert "turned against your own network" in f.explanation and "--allow-private" in f.fix


def _hostile(peer: Peer) -> DnsServer:
    zone = ZoneSet(
        [Record("hostile-mx.test", "MX", (10, "mx.hostile-mx.test")), Record("mx.hostile-mx.test", "A", "127.0.0.1")],
        zones=["hostile-mx.test"],
    )
    return DnsServer(zone)


@pytest.mark.parametrize(
    ("server", "code"),
    [
        (ScriptedSmtp(greeting="554 5.7.1 no SMTP service here"), "mx.tls.session_failed"),
        (
            ScriptedSmtp(ehlo=("peer.test", "STARTTLS"), replies={"STARTTLS": "454 4.7.0 TLS unavailable"}),
            "mx.tls.handshake_failed",
        ),
        (
            ScriptedSmtp(ehlo=("peer.test", "STARTTLS"), replies={"STARTTLS": "220 2.0.0 go ahead"}),
            "mx.tls.handshake_failed",
        ),
    ],
    ids=["554 greeting", "STARTTLS refused", "no TLS after 220"],
)
def test_hostile_mx_servers(server: ScriptedSmtp, code: str) -> None:
    with Peer(server).start() as peer, _hostile(peer) as dns:
        start = time.monotonic()
        report = check_domain(
            "hostile-mx.test",
            resolver=Resolver([dns.nameserver], timeout=1),
            probe_mx=True,
            mx_port=peer.port,
            allow_private=True,
            timeout=6,
        )
        assert time.monotonic() - start < 6.5
    assert code in report.codes(), report.to_text()


def test_a_shared_cache_probes_a_shared_mx_once(options: dict[str, Any]) -> None:
    cache = InboundCache()
    for domain in ("sts-enforce.test", "sts-testing.test", "tlsrpt-missing.test"):
        check_domain(domain, **options, inbound_cache=cache)
    assert len(cache.probes) == 2  # mail.smtpkit.test at 127.0.0.1 and ::1, probed once for the three domains


def test_cli_probe_mx(lab: Any, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["domain", "mxtls-nostarttls.test", "--probe-mx", "--mx-port", str(lab.mx_port)]
    argv += ["--nameserver", lab.nameserver, "--allow-private", "--json"]
    assert main(argv) == 0  # a warning, not a failure
    doc = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in doc["findings"]] == ["mx.tls.no_starttls"]
    (row,) = next(s for s in doc["steps"] if s["name"] == "mx_tls")["tables"]["MX hosts over STARTTLS"]
    assert row["STARTTLS"] == "NOT OFFERED" and row["address"] == "127.0.0.3"
    assert main(["domain", "example.com", "--mx-port", "0", "--json"]) == 2
    assert "mx_port" in json.loads(capsys.readouterr().out)["error"]


def test_documentation_addresses_are_never_probed_even_in_the_lab(lab: Any) -> None:
    """The lab's report domain has its MX at 192.0.2.201: with allow_private it is still not contacted."""
    report = check_domain("dmarc-rollout.test", **{**lab.domain_options(), "probe_mx": True})
    assert "mx.tls.private_address" in report.codes()
    step = report.step("mx_tls")
    assert step.details["MX addresses probed"] == 0  # type: ignore[union-attr]
    assert _table(report)[0]["reached"] == "not probed: a documentation address"
    f = next(f for f in report.findings if f.code == "mx.tls.private_address")
    assert "192.0.2.201 is a documentation address" in f.explanation, f.explanation
    assert "no server lives at a documentation address" in f.explanation and "allow-private" not in f.fix
