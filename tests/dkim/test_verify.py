"""DKIM message verification over real DNS on loopback: RFC 8463 vectors, the lab signer, and every failure.

Keys are served by the lab's DNS server (`DnsServer` + a `ZoneSet` built here),
and `verify_message` fetches them through our `Resolver`: no stubbed DNS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest

from smtpkit.checks.domain.message import verify_report, verify_step
from smtpkit.cli import main
from smtpkit.dkim.keygen import generate
from smtpkit.dkim.verify import verify_message
from smtpkit.lab.dkim_signer import example_message, sign_message
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zones import lab_zoneset
from smtpkit.lab.zones.dkim import RSA_512, RSA_2048
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver

KEY = generate("signer.test", "good")
OTHER = generate("signer.test", "other")  # a second pair: its public half never matches KEY


def _signing_zone(conformance: Path | None = None) -> ZoneSet:
    recs = [
        Record("good._domainkey.signer.test", "TXT", KEY.txt_value),
        Record("mismatch._domainkey.signer.test", "TXT", OTHER.txt_value),
        Record("revoked._domainkey.signer.test", "TXT", "v=DKIM1; k=rsa; p="),
        Record("broken._domainkey.signer.test", "TXT", f"v=DKIM1; k=rsa; p={RSA_2048[:180]}"),
        Record("short._domainkey.signer.test", "TXT", f"v=DKIM1; k=rsa; p={RSA_512}"),
        Record("slow._domainkey.signer.test", "TIMEOUT"),
        Record("_dmarc.signer.test", "TXT", "v=DMARC1; p=reject; rua=mailto:d@signer.test"),
        Record("_dmarc.brand.test", "TXT", "v=DMARC1; p=reject; adkim=s; rua=mailto:d@brand.test"),
        Record("brand.test", "MX", (10, "mail.brand.test")),
        Record("nodmarc.test", "MX", (10, "mail.nodmarc.test")),
    ]
    zones = ["signer.test", "brand.test", "nodmarc.test"]
    if conformance is not None:
        manifest = json.loads((conformance / "dkim" / "rfc8463-manifest.json").read_text())
        ed_name, ed_value = next((k, v) for k, v in manifest["dns_txt_records"].items() if "brisbane" in k)
        rsa_value = (conformance / "dkim" / manifest["files"]["rsa_public_txt_record"]).read_text().strip()
        recs += [Record(ed_name, "TXT", ed_value), Record("test._domainkey.football.example.com", "TXT", rsa_value)]
        zones.append("football.example.com")
    return ZoneSet(recs, zones=zones)


@pytest.fixture(scope="module")
def signing_dns() -> Iterator[DnsServer]:
    with DnsServer(_signing_zone()) as server:
        yield server


@pytest.fixture(scope="module")
def vector_dns(conformance_dir: Path) -> Iterator[DnsServer]:
    with DnsServer(_signing_zone(conformance_dir)) as server:
        yield server


@pytest.fixture(scope="module")
def lab_dns() -> Iterator[DnsServer]:
    with DnsServer(lab_zoneset("127.0.0.1")) as server:
        yield server


def resolver_for(server: DnsServer, timeout: float = 2.0) -> Resolver:
    return Resolver(nameservers=[server.nameserver], timeout=timeout)


def signed(
    selector: str, *, key=KEY, frm: str = "alice@signer.test", body: str = "Hello.\r\n", domain: str = "signer.test"
) -> bytes:  # type: ignore[no-untyped-def]
    msg = f"From: {frm}\r\nTo: bob@example.org\r\nSubject: Test\r\nMessage-ID: <1@signer.test>\r\n\r\n{body}".encode()
    sig = dkim.sign(
        msg,
        selector.encode(),
        domain.encode(),
        key.private_key,
        include_headers=[b"from", b"to", b"subject", b"message-id"],
    )
    return sig + msg


# -- RFC 8463 Appendix A vectors ------------------------------------------------------------------


def _vector(conformance_dir: Path) -> bytes:
    return (conformance_dir / "dkim" / "rfc6376.signed.msg").read_bytes()


def test_rfc8463_example_passes_both_signatures(vector_dns: DnsServer, conformance_dir: Path) -> None:
    manifest = json.loads((conformance_dir / "dkim" / "rfc8463-manifest.json").read_text())
    res = verify_message(_vector(conformance_dir), resolver_for(vector_dns))
    assert res.from_domain == "football.example.com"
    assert len(res.signatures) == 2
    for exp in manifest["expected"][:2]:
        sig = res.signatures[exp["signature_index"]]
        assert (sig.algorithm, sig.canonicalization, sig.selector) == (exp["a"], exp["c"], exp["s"])
        assert sig.result == exp["result"] == "pass", sig.reason
        assert sig.domain == "football.example.com" and sig.body_hash_ok is True
        assert sig.signed_headers[:5] == ["from", "to", "subject", "date", "message-id"]
    assert res.signatures[1].key_record is not None and res.signatures[1].key_record.key_bits == 1024
    step = verify_step(res)
    # both verify; the RSA one uses a 1024-bit key, which earns a warning, not a failure
    assert step.status.value == "warn" and [f.code for f in step.findings] == ["dkim.key_too_short"]
    assert all(f.severity.value == "warn" for f in step.findings)


def test_rfc8463_changed_body_is_body_hash_mismatch(vector_dns: DnsServer, conformance_dir: Path) -> None:
    msg = _vector(conformance_dir).replace(b"hungry yet", b"hungry now")
    res = verify_message(msg, resolver_for(vector_dns))
    assert [s.problem for s in res.signatures] == ["body_hash_mismatch", "body_hash_mismatch"]
    sig = res.signatures[0]
    assert sig.body_hash_signed == "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ="
    assert sig.body_hash_computed == "wnc8Jb0l4ucOUHI4eiTOKhAQIJ6mtdDB1CU7IpyQOX0="
    step = verify_step(res)
    found = [f for f in step.findings if f.code == "dkim.body_hash_mismatch"]
    assert len(found) == 2 and step.status.value == "fail"
    text = found[0].explanation + found[0].fix
    for hint in ("mailing list", "antivirus", "line endings", "relaxed", "canonicalisation"):
        assert hint in text
    assert "wnc8Jb0l4ucOUHI4eiTOKhAQIJ6mtdDB1CU7IpyQOX0=" in found[0].explanation


def test_rfc8463_changed_subject_is_signature_invalid(vector_dns: DnsServer, conformance_dir: Path) -> None:
    msg = _vector(conformance_dir).replace(b"Subject: Is dinner ready?", b"Subject: [EXTERNAL] Is dinner ready?")
    res = verify_message(msg, resolver_for(vector_dns))
    assert [s.problem for s in res.signatures] == ["signature_invalid", "signature_invalid"]
    assert all(s.body_hash_ok for s in res.signatures)  # the body is intact
    codes = [f.code for f in verify_step(res).findings]
    assert codes.count("dkim.signature_invalid") == 2


# -- the lab signer against the lab zone -----------------------------------------------------------


def test_lab_signed_message_verifies_against_lab_zone(lab_dns: DnsServer) -> None:
    for selector in ("lab", "lab-ed25519"):
        msg = sign_message(example_message(), selector=selector)
        report = verify_report(msg, resolver_for(lab_dns))
        assert report.verdict == "pass", report.to_text()
        dkim_rows = report.step("dkim").tables["signatures"]  # type: ignore[union-attr]
        assert dkim_rows[0]["result"] == "pass" and dkim_rows[0]["s="] == selector
        assert "DMARC passes" in report.step("dmarc").summary  # type: ignore[union-attr]
    tampered = sign_message(example_message()).replace(b"signed by the practice lab", b"signed by somebody else")
    assert verify_report(tampered, resolver_for(lab_dns)).has("dkim.body_hash_mismatch")


# -- every failure, with its own key record --------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "problem", "code"),
    [
        ("good", "", None),
        ("absent", "key_missing", "dkim.key_missing"),
        ("revoked", "key_revoked", "dkim.key_revoked"),
        ("broken", "key_invalid", "dkim.key_invalid"),
        ("short", "key_too_short", "dkim.key_too_short"),
        ("mismatch", "signature_invalid", "dkim.signature_invalid"),
    ],
)
def test_key_problems_in_verification(signing_dns: DnsServer, selector: str, problem: str, code: str | None) -> None:
    res = verify_message(signed(selector), resolver_for(signing_dns))
    sig = res.signatures[0]
    assert sig.problem == problem, sig.reason
    assert sig.result == ("pass" if not problem else ("fail" if problem == "signature_invalid" else "permerror"))
    step = verify_step(res)
    if code is None:
        assert step.findings == [] and step.status.value == "pass"
    else:
        assert [f.code for f in step.findings] == [code]
        assert step.findings[0].severity.value == "fail"
        assert f"{selector}._domainkey.signer.test" in step.findings[0].explanation + step.findings[0].evidence


def test_key_lookup_timeout_is_temperror(signing_dns: DnsServer) -> None:
    res = verify_message(signed("slow"), resolver_for(signing_dns, timeout=0.3))
    assert res.signatures[0].problem == "key_lookup_failed" and res.signatures[0].result == "temperror"
    f = verify_step(res).findings[0]
    assert f.code == "dkim.key_lookup_failed" and "TIMEOUT" in f.explanation


def test_expired_and_malformed_signatures(signing_dns: DnsServer) -> None:
    good = signed("good")
    expired = good.replace(b"DKIM-Signature: v=1;", b"DKIM-Signature: v=1; x=1000000000;", 1)
    res = verify_message(expired, resolver_for(signing_dns))
    assert res.signatures[0].problem == "expired" and res.signatures[0].expiration == "1000000000"
    assert [f.code for f in verify_step(res).findings] == ["dkim.signature_expired"]

    md5 = re.sub(rb"a=rsa-sha256", b"a=rsa-md5", good, count=1)
    res = verify_message(md5, resolver_for(signing_dns))
    assert res.signatures[0].problem == "malformed" and "algorithm" in res.signatures[0].reason
    assert [f.code for f in verify_step(res).findings] == ["dkim.signature_malformed"]

    garbage = (
        b"DKIM-Signature: this is not a tag list\r\n"
        + good.split(b"\r\n", 1)[1].split(b"From:", 1)[0]
        + b"From: a@signer.test\r\n\r\nx\r\n"
    )
    res = verify_message(garbage, resolver_for(signing_dns))
    assert res.signatures[0].problem == "malformed"


def test_no_signature_and_not_a_message(signing_dns: DnsServer) -> None:
    plain = b"From: alice@signer.test\r\nTo: bob@example.org\r\nSubject: unsigned\r\n\r\nhi\r\n"
    step = verify_step(verify_message(plain, resolver_for(signing_dns)))
    assert [f.code for f in step.findings] == ["dkim.no_signature"] and step.status.value == "fail"
    junk = verify_message(b"\x00\x01 this: is\r\n not a message at all\r\n\x7f", resolver_for(signing_dns))
    assert junk.message_problem
    assert [f.code for f in verify_step(junk).findings] == ["dkim.no_signature"]


def test_a_failing_signature_beside_a_passing_one_is_a_warning(signing_dns: DnsServer) -> None:
    msg = signed("good")
    extra = dkim.sign(msg, b"absent", b"signer.test", KEY.private_key, include_headers=[b"from"])
    res = verify_message(extra + msg, resolver_for(signing_dns))
    assert [s.result for s in res.signatures] == ["permerror", "pass"]
    step = verify_step(res)
    assert [(f.code, f.severity.value) for f in step.findings] == [("dkim.key_missing", "warn")]
    assert step.status.value == "warn"


def test_unaligned_signature_fails_dmarc_and_names_the_identifier(signing_dns: DnsServer) -> None:
    # From brand.test, signed only by the sending service's own domain signer.test
    msg = signed("good", frm="news@brand.test")
    report = verify_report(msg, resolver_for(signing_dns))
    assert report.step("dkim").status.value == "pass"  # type: ignore[union-attr]
    f = [f for f in report.findings if f.code == "dmarc.not_aligned"]
    assert len(f) == 1 and f[0].severity.value == "fail"
    assert "DKIM d=" in f[0].title and "signer.test" in f[0].title and "brand.test" in f[0].title
    assert "d=brand.test" in f[0].fix and "strict" in f[0].explanation
    assert report.verdict == "fail"


def test_cli_verify(
    vector_dns: DnsServer, conformance_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = conformance_dir / "dkim" / "rfc6376.signed.msg"
    assert main(["dkim", "verify", str(path), "--nameserver", vector_dns.nameserver, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["result"] for r in doc["steps"][0]["tables"]["signatures"]] == ["pass", "pass"]
    bad = tmp_path / "bad.eml"
    bad.write_bytes(path.read_bytes().replace(b"hungry yet", b"hungry now"))
    assert main(["dkim", "verify", str(bad), "--nameserver", vector_dns.nameserver]) == 1
    out = capsys.readouterr().out
    assert "dkim.body_hash_mismatch" in out and "verdict FAIL" in out
    assert main(["dkim", "verify", str(tmp_path / "nope.eml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_message_dmarc_uses_the_receivers_spf_verdict(signing_dns: DnsServer) -> None:
    # DKIM broken in transit; the receiver recorded spf=pass for an aligned bounce domain: DMARC still passes
    msg = signed("good").replace(b"Hello.", b"Hello, changed.")
    headers = (
        b"Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=bounce@signer.test; dkim=fail\r\n"
        b"Return-Path: <bounce@signer.test>\r\n"
    )
    report = verify_report(headers + msg, resolver_for(signing_dns))
    dmarc_step = report.step("dmarc")
    assert dmarc_step is not None and dmarc_step.summary.startswith("DMARC passes")
    row = dmarc_step.tables["alignment"][0]
    assert row["identifier"] == "SPF MAIL FROM" and row["authenticated"] == "pass" and "mx.example.org" in row["detail"]
    assert report.codes() == ["dkim.body_hash_mismatch"]

    # the same without the receiver's verdict: DMARC depends on an SPF result the message does not show
    unsure = verify_report(b"Return-Path: <bounce@signer.test>\r\n" + msg, resolver_for(signing_dns))
    assert "passes only if SPF passed" in unsure.step("dmarc").summary  # type: ignore[union-attr]

    # Received-SPF: fail, and the DKIM signature broken: DMARC fails
    received_spf = (
        b"Received-SPF: fail (mx.example.org: domain does not designate)\r\nReturn-Path: <bounce@signer.test>\r\n"
    )
    failed = verify_report(received_spf + msg, resolver_for(signing_dns))
    assert failed.step("dmarc").summary.startswith("DMARC fails")  # type: ignore[union-attr]


def test_message_from_a_domain_without_dmarc(signing_dns: DnsServer) -> None:
    msg = signed("good", frm="someone@nodmarc.test")
    report = verify_report(msg, resolver_for(signing_dns))
    assert "dmarc.missing" in report.codes() and "dmarc.not_aligned" not in report.codes()


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sig=st.text(alphabet=st.sampled_from(list("abhsdvlxt=;: .0123456789+/_-")), max_size=120),
    body=st.binary(max_size=200),
)
def test_hostile_signatures_and_bodies_never_raise(signing_dns: DnsServer, sig: str, body: bytes) -> None:
    msg = (
        f"DKIM-Signature: v=1; a=rsa-sha256; d=signer.test; s=good; {sig}\r\nFrom: a@signer.test\r\n\r\n".encode()
        + body
    )
    res = verify_message(msg, resolver_for(signing_dns))
    step = verify_step(res)  # a finding, never a traceback
    assert step.status.value in ("pass", "warn", "fail")
    if res.signatures:
        assert res.signatures[0].result in ("pass", "fail", "permerror", "temperror", "neutral")
