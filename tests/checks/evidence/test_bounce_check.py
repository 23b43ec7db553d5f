"""Bounces through the check layer: the recipients table, one finding per recipient from the reply rules."""

from __future__ import annotations

import json

import pytest

from smtpkit.checks.evidence.bounce import COLUMNS, analyze_bounce, analyze_bounces, summarize_bounces
from smtpkit.cli import main
from smtpkit.errors import InvalidSettings
from tests.evidence.bounce_expectations import SHARED_BOUNCES


@pytest.fixture(scope="module")
def bounces(conformance_dir):  # type: ignore[no-untyped-def]
    if not SHARED_BOUNCES.is_dir():
        pytest.skip(f"no shared bounces at {SHARED_BOUNCES}")
    return SHARED_BOUNCES


def test_recipients_table_and_rule_finding(bounces) -> None:  # type: ignore[no-untyped-def]
    report = analyze_bounce(bounces / "lhost-qmail-01.eml")
    step = report.step("bounce")
    assert step is not None
    (row,) = step.tables["recipients"]
    assert list(row) == COLUMNS
    assert (row["recipient"], row["status"], row["reply"], row["code"]) == (
        "kijitora@example.ne.jp",
        "5.5.0",
        "550",
        "send.recipient_unknown",
    )
    assert report.has("send.recipient_unknown") and report.verdict == "fail"


def test_no_status_is_inferred_from_the_rules_and_said(bounces) -> None:  # type: ignore[no-untyped-def]
    report = analyze_bounce(bounces / "lhost-domino-01.eml")
    row = report.step("bounce").tables["recipients"][0]  # type: ignore[union-attr]
    assert (row["status"], row["status_source"], row["code"]) == ("5.1.1", "inferred", "send.recipient_unknown")
    assert report.has("bounce.no_status")


@pytest.mark.parametrize(
    ("name", "code"),
    [("rfc3834-01.eml", "bounce.not_a_bounce"), ("arf-01.eml", "bounce.feedback_report")],
)
def test_not_bounces_are_said_so(bounces, name: str, code: str) -> None:  # type: ignore[no-untyped-def]
    report = analyze_bounce(bounces / name)
    assert report.codes() == [code] and report.verdict == "pass"


def test_unreadable_and_ordinary_messages() -> None:
    r = analyze_bounce(b"garbage without headers\n\n\n")
    assert r.codes() == ["bounce.unreadable"]
    r = analyze_bounce(b"From: alice@example.com\nTo: bob@example.org\nSubject: lunch?\n\nSee you at noon.\n")
    assert r.codes() == ["bounce.not_a_bounce"]
    with pytest.raises(InvalidSettings):
        analyze_bounce("/no/such/bounce.eml")


def test_a_delayed_dsn_is_not_a_failure() -> None:
    dsn = (
        b"From: MAILER-DAEMON@mx.example.com\nTo: alice@example.com\nSubject: Delayed Mail (still being retried)\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain\n\nThis is a delay notice; the server will keep trying.\n\n"
        b"--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
        b"Final-Recipient: rfc822; bob@example.org\nAction: delayed\nStatus: 4.4.1\n"
        b"Diagnostic-Code: smtp; 451 4.4.1 connection timed out\n\n--b--\n"
    )
    report = analyze_bounce(dsn)
    assert "bounce.delayed" in report.codes() and report.verdict == "pass"


def test_folder_frame_summary_and_speed(bounces) -> None:  # type: ignore[no-untyped-def]
    frame = analyze_bounces(bounces)
    assert list(frame.columns) == ["file", *COLUMNS]
    names = {p.name for p in bounces.iterdir() if p.is_file()}
    assert set(frame["file"]) == names  # every file has a row: a result or "not a bounce / cannot read"
    qmail = frame[frame["file"] == "lhost-qmail-01.eml"].iloc[0]
    assert (qmail["recipient"], qmail["status"]) == ("kijitora@example.ne.jp", "5.5.0")
    summary = summarize_bounces(frame)
    assert summary.iloc[0]["code"] == "send.recipient_unknown" and "{" not in "".join(summary["reason"])


def test_mbox_input(tmp_path, bounces) -> None:  # type: ignore[no-untyped-def]
    box = tmp_path / "bounces.mbox"
    parts = []
    for name in ("lhost-exim-01.eml", "lhost-qmail-01.eml"):
        parts.append(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + (bounces / name).read_bytes() + b"\n")
    box.write_bytes(b"".join(parts))
    frame = analyze_bounces(box)
    assert list(frame["recipient"]) == ["kijitora@example.ed.jp", "kijitora@example.ne.jp"]


def test_cli_bounce_file_folder_and_json(bounces, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["bounce", str(bounces / "lhost-exim-01.eml"), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    rows = doc["steps"][0]["tables"]["recipients"]
    assert rows[0]["status"] == "5.7.0" and rows[0]["reply"] == "550"
    assert main(["bounce", str(bounces), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"] == len([p for p in bounces.iterdir() if p.is_file()]) and doc["summary"]
    assert main(["bounce", str(bounces / "rfc3834-01.eml")]) == 0
    assert "not a bounce" in capsys.readouterr().out
    assert main(["bounce", "/no/such/file", "--json"]) == 2
