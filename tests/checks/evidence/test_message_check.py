"""A received message through the checks: journey, the receiver's verdicts, the kit's own (lab DNS), requirements."""

from __future__ import annotations

import json

import pytest

from smtpkit.checks.evidence.message import analyze_message
from smtpkit.cli import main
from smtpkit.errors import InvalidSettings
from smtpkit.lab.dkim_signer import example_message, sign_message

TOP = (
    "Received: from mail.smtpkit.test (mail.smtpkit.test [127.0.0.1]) (using TLSv1.3 with cipher"
    " TLS_AES_256_GCM_SHA384 (256/256 bits)) by mx.receiver.example (Postfix) with ESMTPS id 4AB12 for"
    " <bob@receiver.example>; Mon, 2 Jan 2023 10:00:05 +0000\r\n"
)
SUBMIT = (
    "Received: from [127.0.0.1] (helo=laptop) by mail.smtpkit.test with esmtpsa (TLS1.3) tls"
    " TLS_AES_256_GCM_SHA384 (Exim 4.96) id 1pXyZ; Mon, 2 Jan 2023 10:00:01 +0000\r\n"
)


def _received(extra: str = "", *, sign: bool = True, top: str = TOP) -> bytes:
    msg = example_message()
    if sign:
        msg = sign_message(msg)
    return (extra + top + SUBMIT).encode() + msg


def test_healthy_lab_message_passes_every_recheck(resolver) -> None:  # type: ignore[no-untyped-def]
    ar = (
        "Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=alice@smtpkit.test;"
        " dkim=pass header.d=smtpkit.test header.s=lab; dmarc=pass header.from=smtpkit.test\r\n"
    )
    report = analyze_message(b"Return-Path: <alice@smtpkit.test>\r\n" + _received(ar), resolver=resolver)
    assert [s.name for s in report.steps] == ["journey", "auth-results", "re-verification", "requirements"]
    rows = {r["method"]: r for r in report.step("re-verification").tables["verdicts"]}  # type: ignore[union-attr]
    assert rows["dkim"]["kit says"] == "pass" and rows["dkim"]["agree"] == "yes"
    assert rows["spf"]["kit says"] == "pass" and rows["dmarc"]["kit says"] == "pass"
    hops = report.step("journey").tables["hops"]  # type: ignore[union-attr]
    assert [h["by"] for h in hops] == ["mail.smtpkit.test", "mx.receiver.example"]
    assert hops[1]["tls"] == "yes" and hops[1]["delay"] == "4 s"
    judged = [f for f in report.findings if f.code == "message.first_external_hop"]
    assert judged and "127.0.0.1" in judged[0].title
    req = {r["requirement"]: r["status"] for r in report.step("requirements").tables["requirements"]}  # type: ignore[union-attr]
    assert req["SPF and DKIM both pass"] == "met" and req["Valid Message-ID"] == "met"
    assert req["Sending IP has forward-confirmed reverse DNS"] == "met"
    assert report.verdict != "fail"


def test_receiver_dmarc_fail_explained_and_disagreement(resolver) -> None:  # type: ignore[no-untyped-def]
    ar = (
        "Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=bounces@esp.example;"
        " dkim=fail (body hash did not verify) header.d=smtpkit.test; dmarc=fail header.from=smtpkit.test\r\n"
    )
    report = analyze_message(_received(ar), resolver=resolver)
    dmarc = next(f for f in report.findings if f.code == "message.dmarc_failed")
    assert "esp.example" in dmarc.explanation and "not aligned" in dmarc.explanation
    assert report.has("message.dkim_failed")
    differs = [f for f in report.findings if f.code == "message.verdict_differs"]
    assert {f.title.split(":")[0] for f in differs} >= {"DKIM"}  # the kit verifies it now: key rotated, modified…
    assert report.verdict == "fail"


def test_without_dns_nothing_is_looked_up_and_that_is_said() -> None:
    report = analyze_message(_received(), dns=False)
    step = report.step("re-verification")
    assert step is not None and step.status.value == "skip"
    assert report.has("message.recheck_skipped") and report.has("message.auth_results_missing")


def test_journey_findings_slow_backwards_no_tls_unparsed() -> None:
    hops = (
        "Received: from relay.other.example (relay.other.example [198.51.100.7]) by mx.receiver.example with ESMTP"
        " id C; Mon, 2 Jan 2023 11:00:00 +0000\r\n"
        "Received: from mail.sender.example (mail.sender.example [203.0.113.5]) by relay.other.example with ESMTPS"
        " id B; Mon, 2 Jan 2023 09:50:00 +0000\r\n"
        "Received: (something odd without clauses)\r\n"
        "Received: from laptop ([192.168.1.20]) by mail.sender.example with ESMTPSA id A; Mon, 2 Jan 2023"
        " 10:00:00 +0000\r\n"
    )
    report = analyze_message((hops + "From: a@sender.example\r\nSubject: x\r\n\r\nbody\r\n").encode(), dns=False)
    codes = report.codes()
    for code in ("message.hop_slow", "message.clock_backwards", "message.hop_no_tls", "message.hop_unparsed"):
        assert code in codes, code
    slow = next(f for f in report.findings if f.code == "message.hop_slow")
    assert "mx.receiver.example" in slow.title and "1.2 h" in slow.title
    assert len(report.step("journey").tables["hops"]) == 4  # type: ignore[union-attr]  # the odd hop kept


def test_requirements_not_met() -> None:
    msg = (
        "Received: from mail.sender.example (unknown [203.0.113.5]) by mx.receiver.example with ESMTP id C;"
        " Mon, 2 Jan 2023 11:00:00 +0000\r\n"
        "Received-SPF: softfail (mx.receiver.example: domain of sender.example does not designate 203.0.113.5)"
        " client-ip=203.0.113.5; envelope-from=news@sender.example;\r\n"
        "From: news@sender.example\r\nPrecedence: bulk\r\nList-Id: <news.sender.example>\r\n"
        "Message-ID: not-a-valid-id\r\nDate: yesterday-ish\r\nSubject: offers\r\n\r\nbuy\r\n"
    )
    report = analyze_message(msg.encode(), dns=False)
    for code in (
        "message.spf_failed",
        "message.list_unsubscribe_missing",
        "message.message_id_invalid",
        "message.date_invalid",
        "message.ptr_missing",
        "message.hop_no_tls",
    ):
        assert report.has(code), code


def test_arc_chain_broken_is_reported() -> None:
    msg = (
        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=list.example; s=arc; t=1; b=AAAA\r\n"
        "ARC-Seal: i=2; a=rsa-sha256; cv=fail; d=fwd.example; s=arc; t=2; b=BBBB\r\n"
        "ARC-Message-Signature: i=1; a=rsa-sha256; d=list.example; s=arc; h=from; bh=x; b=y\r\n"
        "ARC-Authentication-Results: i=1; mx.list.example; spf=pass smtp.mailfrom=a@sender.example\r\n"
        "From: a@sender.example\r\nSubject: x\r\n\r\nbody\r\n"
    )
    report = analyze_message(msg.encode(), dns=False)
    arc = next(f for f in report.findings if f.code == "message.arc_failed")
    assert "instance 2" in arc.title
    assert len(report.step("auth-results").tables["arc"]) == 2  # type: ignore[union-attr]


def test_unreadable_no_received_and_missing_file() -> None:
    assert analyze_message(b"\x00\x01 not a message", dns=False).codes() == ["message.unreadable"]
    assert analyze_message(b"From: a@b.example\r\nSubject: draft\r\n\r\nx", dns=False).has("message.no_received")
    with pytest.raises(InvalidSettings):
        analyze_message("/no/such/message.eml")


def test_a_bounce_given_to_message_gets_the_bounce_step(conformance_dir) -> None:  # type: ignore[no-untyped-def]
    report = analyze_message(conformance_dir / "messages" / "bounces" / "lhost-exim-01.eml", dns=False)
    assert report.steps[0].name == "bounce" and report.has("message.is_bounce")


def test_dmarc_failure_reports_read_their_hops(conformance_dir) -> None:  # type: ignore[no-untyped-def]
    folder = conformance_dir / "messages" / "dmarc-failure"
    files = sorted(folder.glob("*.eml"))
    assert files
    for f in files:
        report = analyze_message(f, dns=False)
        hops = report.step("journey").tables["hops"]  # type: ignore[union-attr]
        assert hops and all(h["time (UTC)"] for h in hops), f.name


def test_cli_message_json_and_no_dns(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.eml"
    path.write_bytes(_received())
    assert main(["message", str(path), "--no-dns", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in doc["steps"]] == ["journey", "auth-results", "re-verification", "requirements"]
    assert main(["message", str(tmp_path / "missing.eml")]) == 2
