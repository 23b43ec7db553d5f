"""DANE and DNSSEC against the practice lab: each signed (or unsigned, or bogus) lab domain names its code."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from smtpkit.checks.domain import check_domain
from smtpkit.cli import main


@pytest.fixture()
def options(lab: Any) -> dict[str, Any]:
    return {**lab.domain_options(), "probe_mx": True}


def _dane(report: Any) -> Any:
    return report.step("dane")


@pytest.mark.parametrize(
    ("domain", "code", "severity"),
    [
        ("dane-single.test", "dane.no_rollover", "info"),
        ("dane-stale.test", "dane.no_match", "fail"),
        ("dane-port.test", "dane.wrong_port", "warn"),
        ("dane-bogus.test", "dnssec.bogus", "fail"),
        ("dane-unsigned.test", "dane.insecure", "warn"),
        ("dane-pkix.test", "dane.unusable", "warn"),
    ],
)
def test_each_dane_lab_domain_names_its_code(options: dict[str, Any], domain: str, code: str, severity: str) -> None:
    report = check_domain(domain, **options)
    assert code in report.codes(), report.to_text()
    assert next(f for f in report.findings if f.code == code).severity.value == severity
    # the lesson is about DANE/DNSSEC (an MX certificate note may come along where DANE is not in force)
    assert {c.split(".")[0] for c in report.codes()} <= {"dane", "dnssec", "mx"}, report.codes()


def test_a_rollover_ready_domain_passes(options: dict[str, Any]) -> None:
    report = check_domain("dane-ok.test", **options)
    assert report.codes() == [] and report.verdict == "pass", report.to_text()
    step = _dane(report)
    rows = step.tables["TLSA records"]
    assert len(rows) == 2 and {r["DNSSEC"] for r in rows} == {"secure"}
    assert sum("matches" in r["against the MX"] for r in rows) == 1  # the other names the next key
    assert [r["link"] for r in step.tables["DNSSEC chain of trust"]] == [
        "trust anchor",
        "DNSKEY",
        "DS",
        "DNSKEY",
        "RRSIG",
    ]
    assert step.details["MX records (DNSSEC)"] == "secure"
    (row,) = report.step("mx_tls").tables["MX hosts over STARTTLS"]
    assert row["DANE"] == "pass"


def test_a_stale_record_gets_the_record_to_publish(lab: Any, options: dict[str, Any]) -> None:
    report = check_domain("dane-stale.test", **options)
    f = next(f for f in report.findings if f.code == "dane.no_match")
    cert = x509.load_pem_x509_certificate(Path(lab.ca_file).with_name("good.crt.pem").read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert f"_25._tcp.mx.dane-stale.test. IN TLSA 3 1 1 {hashlib.sha256(spki).hexdigest()}" in f.fix
    assert "rotated" in f.explanation and report.verdict == "fail"


def test_a_bogus_signature_names_the_link(options: dict[str, Any]) -> None:
    report = check_domain("dane-bogus.test", **options)
    f = next(f for f in report.findings if f.code == "dnssec.bogus")
    assert "RRSIG link (dane-bogus.test)" in f.title and "does not match the data" in f.explanation
    failed = [r for r in _dane(report).tables["DNSSEC chain of trust"] if r["result"] == "FAILED"]
    assert [(r["link"], r["zone"]) for r in failed] == [("RRSIG", "dane-bogus.test")]


def test_an_unsigned_zone_says_which_link_is_missing(options: dict[str, Any]) -> None:
    report = check_domain("dane-unsigned.test", **options)
    f = next(f for f in report.findings if f.code == "dane.insecure")
    assert "test proves it has no DS" in f.explanation


def test_dane_ta_matches_through_the_presented_chain(options: dict[str, Any]) -> None:
    report = check_domain("dane-ta.test", **options)
    assert report.codes() == ["dane.no_rollover"], report.to_text()
    (row,) = _dane(report).tables["TLSA records"]
    assert row["meaning"].startswith("DANE-TA") and "matches" in row["against the MX"]
    assert "issuer" in row["against the MX"]


def test_without_the_lab_anchor_the_chain_cannot_start(lab: Any) -> None:
    options = {k: v for k, v in lab.domain_options().items() if k != "trust_anchor"}
    report = check_domain("dane-ok.test", **options)
    assert "dnssec.indeterminate" in report.codes()
    assert report.verdict != "fail"  # could not check is never a failure


def test_a_wrong_anchor_file(lab: Any, tmp_path: Path) -> None:
    wrong = tmp_path / "anchor.txt"
    wrong.write_text("test. IN DS 11111 13 2 " + "00" * 32 + "\n")
    report = check_domain("dane-ok.test", **{**lab.domain_options(), "trust_anchor": str(wrong)})
    f = next(f for f in report.findings if f.code == "dnssec.anchor_mismatch")
    assert "11111" in f.explanation and report.verdict == "warn"


def test_trusting_the_ad_bit_is_said(lab: Any) -> None:
    report = check_domain("dane-ok.test", **lab.domain_options(), trust_ad=True)
    assert {"dnssec.ad_trusted", "dane.insecure"} <= set(report.codes())  # the lab's server does not validate
    ad = next(f for f in report.findings if f.code == "dnssec.ad_trusted")
    assert (
        lab.nameserver in ad.explanation
        and "not set" in next(f for f in report.findings if f.code == "dane.insecure").explanation
    )


def test_cli_trust_anchor(lab: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["domain", "dane-stale.test", "--nameserver", lab.nameserver, "--allow-private", "--json"]
    argv = [*base, "--probe-mx", "--mx-port", str(lab.mx_port), "--trust-anchor", lab.trust_anchor]
    assert main(argv) == 1
    doc = json.loads(capsys.readouterr().out)
    assert "dane.no_match" in [f["code"] for f in doc["findings"]]
    assert doc["target"]["trust_anchor"] == lab.trust_anchor
    assert main([*base, "--trust-anchor", str(tmp_path / "missing")]) == 2
    assert "does not exist" in json.loads(capsys.readouterr().out)["error"]
