"""`smtpkit audit` on the command line: text, JSON, exit codes, usage errors, --compare."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smtpkit.cli import main
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import portfolio_zoneset


@pytest.fixture(scope="module")
def dns() -> DnsServer:  # type: ignore[misc]
    with DnsServer(portfolio_zoneset()) as server:
        yield server


def _args(dns: DnsServer, *more: str) -> list[str]:
    return ["audit", *more, "--nameserver", dns.nameserver, "--selector", "default", "--dns-timeout", "0.5", "-q"]


def test_text_summary_and_exit_code(dns: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "d.txt"
    f.write_text("dkim-1024.test\nspf-plus-all.test\nspf-plus-all.test\ndead--p000004.test\nnot a domain\n")
    code = main(_args(dns, str(f)))
    out = capsys.readouterr().out
    assert code == 1  # spf-plus-all fails
    assert "4 domains audited" in out and "1 duplicate skipped" in out and "1 name is not a domain:" in out
    assert "spf.plus_all" in out
    # the worst domains' codes and the commonest findings with the severity each domain got
    assert re.search(r"spf-plus-all\.test +fail: [^\n]*spf\.plus_all", out), out
    assert re.search(r"\n +1  fail  spf\.plus_all\n", out), out
    assert "could not check 1 (not failures" in out and "dead--p000004.test: MX: timeout" in out
    assert "'not a domain' holds spaces, and a domain name has none" in out


def test_json_is_one_document(dns: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "d.txt"
    f.write_text("dkim-1024.test\n")
    code = main(_args(dns, str(f), "--json"))
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["exit_code"] == 0
    assert doc["rows"][0]["codes"] == ["dkim.key_too_short"] and doc["rows"][0]["grade"] == "B"
    assert doc["summary"]["status"] == {"checked": 1}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["audit"], "give the domains to audit"),
        (["audit", "x.txt", "--resume"], "--resume continues a run written with --out"),
        (["audit", "x.txt", "--dask", "--dask-scheduler", "tcp://127.0.0.1:1"], "give one of them"),
        (["audit", "x.txt", "--compare", "a", "b"], "give no FILE"),
        (["audit", "/no/such/file.txt"], "cannot read /no/such/file.txt"),
        (["audit", "x.txt", "--concurrency", "0"], "AuditConfig.concurrency: 0 is out of range"),
        (["audit", "x.txt", "--probes-per-network", "0"], "AuditConfig.probes_per_network: 0 is out of range"),
        (["audit", "x.txt", "--query-limit", "0"], "AuditConfig.query_limit: 0 is out of range"),
        (["audit", "x.txt", "--out", "r.json"], "must end in .parquet or .csv"),
    ],
)
def test_usage_errors(argv: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("example.com\n")
    assert main(argv + ["--json"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert json.loads(captured.out)["exit_code"] == 2


def test_compare_exit_code(dns: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "d.txt"
    f.write_text("smtpkit.test\nhosted.test\n")
    old, new = tmp_path / "old.parquet", tmp_path / "new.parquet"
    base = ["audit", str(f), "--nameserver", dns.nameserver, "-q", "--out"]
    assert main([*base, str(old), "--selector", "lab", "--selector", "s1"]) == 0
    assert main([*base, str(new), "--selector", "nothing"]) == 0
    capsys.readouterr()
    assert main(["audit", "--compare", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("2 worse") and "A -> B" in out and "new dkim.no_selector_found" in out
    assert main(["audit", "--compare", str(new), str(old), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {"better": 2} and doc["changes"][0]["fixed"] == ["dkim.no_selector_found"]


def test_query_limit_caps_the_questions_in_flight_from_a_shell(tmp_path: Path) -> None:
    """`--query-limit 4`, run as a shell runs it: the DNS server (answering 50 ms late) never has more than 4 of
    the run's questions in flight, and has 4 at times (50 domains in flight would have it far above)."""
    import subprocess
    import sys

    from smtpkit.lab.portfolio import SELECTORS, portfolio

    unread = ("spf-dns-error.test", "dmarc-rollout.test")  # their SPF trees hold a name that never answers
    names = [m.domain for m in portfolio(60, dead=0, servfail=0) if m.template not in unread]
    f = tmp_path / "d.txt"
    f.write_text("\n".join(names) + "\n")
    with DnsServer(portfolio_zoneset("127.0.0.1"), delay=0.05) as dns:
        argv = [sys.executable, "-m", "smtpkit", "audit", str(f), "--nameserver", dns.nameserver, "--json"]
        argv += ["--query-limit", "4", "--dns-timeout", "5", *[a for s in SELECTORS for a in ("--selector", s)]]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=240, check=False)
        peak = dns.peak_pending
    doc = json.loads(done.stdout)
    assert doc["summary"]["settings"]["query_limit"] == 4, done.stderr
    assert doc["summary"]["status"] == {"checked": len(names)}
    assert peak == 4, peak


def test_a_pool_run_from_a_shell_gives_the_rows_of_one_process(dns: DnsServer, tmp_path: Path) -> None:
    """`--workers 2` as a shell runs it: the pool's processes (forked by the fork server the command starts
    before it reads its input) audit every domain, say the CPU they used, and give the rows of one process."""
    import subprocess
    import sys

    from smtpkit.lab.portfolio import portfolio

    f = tmp_path / "d.txt"
    f.write_text("\n".join(m.domain for m in portfolio(40)) + "\n")
    argv = [sys.executable, "-m", "smtpkit", "audit", str(f), "--nameserver", dns.nameserver, "--json"]
    argv += ["--selector", "default", "--dns-timeout", "2", "--chunk-size", "10"]
    docs = []
    for more in ([], ["--workers", "2"]):
        done = subprocess.run(argv + more, capture_output=True, text=True, timeout=240, check=False)
        assert done.returncode in (0, 1), done.stderr
        docs.append(json.loads(done.stdout))
    one, pool = docs
    assert pool["summary"]["runner"] == "processes" and pool["summary"]["workers"] == 2
    assert pool["summary"]["pool_cpu_seconds"] > 0
    volatile = ("checked_at", "seconds")
    rows = [[{k: v for k, v in row.items() if k not in volatile} for row in doc["rows"]] for doc in docs]
    assert len(rows[0]) == 40 and rows[1] == rows[0]


def test_the_summary_says_when_the_resolver_limit_held_the_run_back(
    dns: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With one query at a time, most of the run's queries wait for the place: the summary says so, with the
    flag that raises it; with the default limit and a few domains nothing waits, and it says nothing."""
    f = tmp_path / "d.txt"
    f.write_text("smtpkit.test\nhosted.test\ndkim-1024.test\nspf-plus-all.test\n")
    main(_args(dns, str(f), "--query-limit", "1"))
    out = capsys.readouterr().out
    assert "The resolver limit held the run back:" in out and "the single place of --query-limit 1," in out, out
    said = re.search(r"held the run back: (\d+) of (\d+) DNS queries", out)
    assert said is not None and 0 < int(said[1]) <= int(said[2]), out  # every query counted that could wait
    main(_args(dns, str(f)))
    assert "resolver limit" not in capsys.readouterr().out


def test_audit_lab_says_which_lab_it_audits_from_a_shell(tmp_path: Path) -> None:
    """`smtpkit lab --audit-zones 30` in one terminal, `smtpkit audit --lab` in another, as a shell runs them:
    with the lab's state file exported the audit says it audits that lab's portfolio and does; without it, it
    says it started a lab of its own (with its default portfolio, not the 30 asked for) and how to use yours."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SMTPKIT_LAB_STATE"}
    lab = subprocess.Popen(
        [sys.executable, "-m", "smtpkit", "lab", "--servers-only", "--json", "--audit-zones", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert lab.stdout is not None
        doc = json.loads(lab.stdout.readline())
        assert lab.stdout.readline().strip() == "READY"
        audit = [sys.executable, "-m", "smtpkit", "audit", "--lab", "-q", "--dns-timeout", "0.5"]
        yours = subprocess.run(
            audit, capture_output=True, text=True, timeout=240, env={**env, "SMTPKIT_LAB_STATE": doc["state_file"]}
        )
        own = subprocess.run(audit, capture_output=True, text=True, timeout=240, env=env)
    finally:
        lab.terminate()
        lab.wait(30)
    n = int(re.search(r"its portfolio of (\d+) domains", yours.stderr).group(1))  # type: ignore[union-attr]
    assert f"the practice lab: smtpkit lab (pid {lab.pid}), its portfolio of {n} domains" in yours.stderr
    assert 30 < n < 100 and f"{n} domains audited" in yours.stdout  # the 30 generated, then the lab's own
    said = " ".join(own.stderr.split())
    assert "none found (SMTPKIT_LAB_STATE is not set), so one was started for this run" in said, own.stderr
    assert "export the SMTPKIT_LAB_STATE=... line it printed" in said
    m = int(re.search(r"its portfolio of (\d+) domains", said).group(1))  # type: ignore[union-attr]
    assert m > 200 and f"{m} domains audited" in own.stdout


@pytest.mark.parametrize("to", ["process", "group"])
@pytest.mark.parametrize("runner", [["--workers", "2"], ["--dask", "--workers", "2"]], ids=["pool", "dask"])
def test_ctrl_c_stops_a_parallel_run_quickly_and_quietly(runner: list[str], to: str, tmp_path: Path) -> None:
    """Ctrl-C in a run on a process pool or on the LocalCluster the command started: the command stops within
    seconds with exit 130 and says what it saved, without a traceback, and without the line Dask's workers
    logged for each piece they were running when the cluster closed (twenty of them). Sent to the command's
    process (`kill -INT`), and to its whole process group as a terminal's ^C is (and a notebook's Interrupt):
    then the pool's processes and Dask's workers get it too, and a worker printed a traceback of its own."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from smtpkit.lab.portfolio import portfolio

    if "--dask" in runner:
        pytest.importorskip("distributed")
    f = tmp_path / "d.txt"
    f.write_text("\n".join(m.domain for m in portfolio(1500)) + "\n")
    out = tmp_path / "r.parquet"
    with DnsServer(portfolio_zoneset("127.0.0.1"), delay=0.05) as dns:
        argv = [sys.executable, "-m", "smtpkit", "audit", str(f), "--nameserver", dns.nameserver, "--quiet"]
        argv += ["--selector", "default", "--chunk-size", "100", "--out", str(out), *runner]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob("part-*.parquet")) and proc.poll() is None:
            time.sleep(0.1)
        if to == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        try:
            _out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the command and what it started: nothing left behind
            raise
        took = time.monotonic() - stopped
    assert proc.returncode == 130, err
    assert took < 15, took
    assert " saved in " in err and "--resume added" in err, err
    assert "Traceback" not in err and "CancelledError" not in err, err
    assert "still alive" not in err and "heartbeat" not in err, err  # workers ended as asked, not warned of
