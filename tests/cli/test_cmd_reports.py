"""`smtpkit reports`: the lab's month from the command line (JSON, CSV, Parquet, text) and its exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from smtpkit.cli import main
from smtpkit.lab import reports as lab_reports


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("month")
    lab_reports.write_month(folder, days=16)
    return folder


def test_json_is_one_document_and_a_failing_sender_exits_1(month: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reports", str(month), "--offline", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["files"] == len(list(month.iterdir()))
    assert doc["summary"]["reverse_dns"] == "skipped (offline)"
    codes = {f["code"] for f in doc["report"]["findings"]}
    assert {"reports.sender_dkim_not_aligned", "reports.policy_not_ready", "reports.spoofing"} <= codes
    assert doc["recommendation"]["domain"] == lab_reports.DOMAIN and doc["recommendation"]["safe"] is False
    assert [row["policy"] for row in doc["simulation"]][-1] == "p=reject"
    assert {p["kind"] for p in doc["problems"]} == {"unreadable", "duplicate"}


def test_domain_filter_with_only_passing_mail_exits_0(month: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reports", str(month), "--offline", "--domain", lab_reports.ENFORCED_DOMAIN]) == 0
    out = capsys.readouterr().out
    assert "reports.policy_next_step" in out and "p=reject, enforced" in out


def test_tables_as_csv_and_parquet(month: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reports", str(month), "--offline", "--csv", str(tmp_path / "csv")]) == 1
    assert main(["reports", str(month), "--offline", "--parquet", str(tmp_path / "pq")]) == 1
    out = capsys.readouterr().out
    assert "6 tables written" in out
    csv = pd.read_csv(tmp_path / "csv" / "records.csv")
    pq = pd.read_parquet(tmp_path / "pq" / "records.parquet")
    assert len(csv) == len(pq) > 0 and int(csv["count"].sum()) == int(pq["count"].sum())
    senders = pd.read_parquet(tmp_path / "pq" / "senders.parquet")
    assert "Amazon SES" in set(senders["sender"])
    assert {p.name for p in (tmp_path / "csv").iterdir()} == {
        f"{t}.csv" for t in ("records", "senders", "sources", "tls", "tls_failures", "problems")
    }


def test_usage_errors_exit_2_with_one_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reports", str(tmp_path / "missing"), "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 2 and "no such file" in doc["error"]
    assert main(["reports", str(tmp_path), "--offline", "--since", "soon", "--json"]) == 2
    assert "since" in json.loads(capsys.readouterr().out)["error"]
    with pytest.raises(SystemExit) as exc:
        main(["reports", str(tmp_path), "--json", "--csv", str(tmp_path / "x")])
    assert exc.value.code == 2


def test_the_lab_writes_its_month_of_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "--write-reports", str(tmp_path / "month")]) == 0
    assert f"report files for {lab_reports.DOMAIN}" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "month").iterdir()) == sorted(lab_reports.generate())
