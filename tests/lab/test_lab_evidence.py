"""The practice lab makes evidence: its MX stamps what it keeps, its refusals become DSNs; analysed end to end."""

from __future__ import annotations

from smtpkit.checks.evidence import analyze_bounce, analyze_message
from smtpkit.lab.evidence import bounce_from_lab, send_to_lab
from smtpkit.net.dns import Resolver


def test_mx_stamps_received_and_authentication_results(lab) -> None:  # type: ignore[no-untyped-def]
    raw = send_to_lab(lab)
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("Return-Path: <alice@smtpkit.test>")
    assert "spf=pass" in head and "dkim=pass header.d=smtpkit.test" in head and "dmarc=pass" in head
    assert "with ESMTPS" in head and "(using TLSv1." in head
    report = analyze_message(raw, resolver=Resolver(nameservers=[lab.nameserver], timeout=2.0))
    verdicts = {r["method"]: r for r in report.step("re-verification").tables["verdicts"]}  # type: ignore[union-attr]
    for method in ("spf", "dkim", "dmarc"):
        assert verdicts[method]["receiver said"] == verdicts[method]["kit says"] == "pass", method
    assert report.verdict != "fail"


def test_unsigned_mail_passes_on_spf_alone_and_misses_the_bulk_bar(lab) -> None:  # type: ignore[no-untyped-def]
    raw = send_to_lab(lab, sign=False)
    assert b"dkim=none" in raw and b"dmarc=pass" in raw  # SPF for alice@smtpkit.test is aligned (aspf=s)
    report = analyze_message(raw, dns=False)
    req = {r["requirement"]: r["status"] for r in report.step("requirements").tables["requirements"]}  # type: ignore[union-attr]
    assert req["SPF or DKIM passes"] == "met" and req["SPF and DKIM both pass"] == "not met"


def test_unknown_recipient_and_relay_denied_become_dsns(lab) -> None:  # type: ignore[no-untyped-def]
    unknown = analyze_bounce(bounce_from_lab(lab, rcpt="nobody@smtpkit.test"))
    row = unknown.step("bounce").tables["recipients"][0]  # type: ignore[union-attr]
    assert (row["recipient"], row["status"], row["reply"], row["code"]) == (
        "nobody@smtpkit.test",
        "5.1.1",
        "550",
        "send.recipient_unknown",
    )
    relay = analyze_bounce(bounce_from_lab(lab, rcpt="bob@elsewhere.example"))
    row = relay.step("bounce").tables["recipients"][0]  # type: ignore[union-attr]
    assert (row["status"], row["code"]) == ("5.7.1", "send.relay_denied")
    assert len(lab.bounces("mx")) >= 2
