"""Results on disk: one Parquet file per chunk, resume after an interrupted run, CSV, compare."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import smtpkit
from smtpkit.audit.compare import BETTER, GONE, NEW, SAME, UNKNOWN_NOW, WORSE, compare, summary
from smtpkit.audit.store import MANIFEST, StoreError, csv_frame, read_results
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import SELECTORS, portfolio

VOLATILE = ["checked_at", "seconds"]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=VOLATILE), b.drop(columns=VOLATILE))


def test_out_writes_one_parquet_file_per_chunk(portfolio_dns: DnsServer, tmp_path: Path) -> None:
    domains = [m.domain for m in portfolio(23)]
    out = tmp_path / "results.parquet"
    df = smtpkit.audit(
        domains, nameservers=[portfolio_dns.nameserver], selectors=SELECTORS, chunk_size=10, out=out, progress=False
    )
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST,
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    assert list(df["domain"]) == domains and list(df["position"]) == list(range(23))
    _same(read_results(out), df)
    _same(pd.read_parquet(out).sort_values("position").reset_index(drop=True).pipe(_as_audit), df)
    assert df.attrs["audit"]["runner"] == "local" and df.attrs["audit"]["domains"] == 23


def _as_audit(df: pd.DataFrame) -> pd.DataFrame:
    import pyarrow as pa

    from smtpkit.audit.table import to_frame

    return to_frame(pa.Table.from_pandas(df, preserve_index=False))


def test_csv_out_and_back(portfolio_dns: DnsServer, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    domains = ["smtpkit.test", "mx-cname.test", "dead--p000003.test", "not a domain"]
    df = smtpkit.audit(domains, nameservers=[portfolio_dns.nameserver], dns_timeout=0.3, out=out, progress=False)
    text = out.read_text()
    assert text.startswith("position,input,domain,status")
    assert "mx.invalid_target" in text and "could not check" in text
    back = read_results(out)
    # CSV cannot tell an empty text from a missing one; everything a person sorts on survives
    kept = ["position", "input", "domain", "status", "status_reason", "grade", "worst", "codes", "n_fail", "mx_hosts"]
    pd.testing.assert_frame_equal(back[kept], df[kept])
    assert list(back.dtypes) == list(df.dtypes)


def test_results_of_an_earlier_smtpkit_without_severities_are_still_read(
    portfolio_dns: DnsServer, tmp_path: Path
) -> None:
    """`severities` came later than `codes`: last month's results (Parquet, CSV, or parts to resume) lack it, and
    must still be compared and resumed, not refused as "not an audit result"."""
    import pyarrow.parquet as pq

    domains = ["smtpkit.test", "spf-plus-all.test"]
    out = tmp_path / "new.parquet"
    df = smtpkit.audit(domains, nameservers=[portfolio_dns.nameserver], out=out, progress=False)
    assert df.loc[1, "severities"][df.loc[1, "codes"].index("spf.plus_all")] == "fail"
    old = tmp_path / "old.parquet"
    pq.write_table(pq.read_table(out).drop_columns(["severities"]), old)
    back = read_results(old)
    assert list(back["codes"]) == list(df["codes"]) and list(back["severities"]) == [[], []]
    csv_frame(df).drop(columns=["severities"]).to_csv(tmp_path / "old.csv", index=False)
    from_csv = read_results(tmp_path / "old.csv")
    assert list(from_csv["severities"]) == [[], []] and list(from_csv["codes"]) == list(df["codes"])
    assert set(compare(back, df)["change"]) == {SAME}
    part = out / "part-00000.parquet"  # a part written before: resumed beside one written now
    pq.write_table(pq.read_table(part).drop_columns(["severities"]), part)
    pq.write_table(pq.read_table(part), out / "part-00001.parquet")
    both = read_results(out)
    assert len(both) == 4 and list(both["severities"]) == [[], [], [], []]


def test_resume_after_an_interrupted_run(slow_dns: DnsServer, tmp_path: Path) -> None:
    """A run killed half-way (SIGKILL, no clean-up at all) continues where it stopped."""
    names = tmp_path / "domains.txt"
    names.write_text("\n".join(m.domain for m in portfolio(40)) + "\n")
    out = tmp_path / "results.parquet"
    command = [
        sys.executable,
        "-m",
        "smtpkit",
        "audit",
        str(names),
        "--nameserver",
        slow_dns.nameserver,
        "--selector",
        "default",
        "--dns-timeout",
        "1",
        "--deadline",
        "6",
        "--concurrency",
        "4",
        "--chunk-size",
        "5",
        "--out",
        str(out),
        "--quiet",
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(smtpkit.__file__).parent.parent)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("part-*.parquet"))) < 2:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    assert 2 <= len(before) < 8, before  # interrupted part-way
    resumed = subprocess.run([*command, "--resume", "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode in (0, 1), resumed.stderr
    doc = json.loads(resumed.stdout)
    assert doc["summary"]["resumed_chunks"] == len(before)
    # the rows read back asked nothing this time, but those that could not be checked, asked again
    again = doc["summary"]["asked_again"]
    assert doc["summary"]["domains_asked"] == 40 - 5 * len(before) + again
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}
    assert len(after) == 8
    redone = [name for name, mtime in before.items() if after[name] != mtime]
    assert len(redone) <= again  # done chunks were not redone, but to put the rows asked again in place
    df = read_results(out)
    assert list(df["position"]) == list(range(40)) and df["domain"].is_unique


def test_ctrl_c_says_what_was_saved_and_the_resumed_run_says_what_it_kept(slow_dns: DnsServer, tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) in a run with --out, as a shell sends it: it stops with exit 130 and says how many chunks
    are saved and to add --resume; the resumed run's summary says how many domains it kept from them."""
    names = tmp_path / "domains.txt"
    names.write_text("\n".join(m.domain for m in portfolio(40)) + "\n")
    out = tmp_path / "results.parquet"
    command = [sys.executable, "-m", "smtpkit", "audit", str(names), "--nameserver", slow_dns.nameserver]
    command += ["--selector", "default", "--dns-timeout", "1", "--deadline", "6", "--concurrency", "4"]
    command += ["--chunk-size", "5", "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(Path(smtpkit.__file__).parent.parent)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("part-*.parquet"))) < 2:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    saved = len(list(out.glob("part-*.parquet")))
    unchecked = sum(int((pd.read_parquet(p)["status"] == "could not check").sum()) for p in out.glob("part-*.parquet"))
    assert proc.returncode == 130, err
    assert 2 <= saved < 8
    said = f"{saved} chunks of results ({5 * saved} of 40 domains) are saved in {out}; run the same command with"
    assert said + " --resume added to continue where it stopped" in err, err
    assert "Traceback" not in err
    resumed = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode in (0, 1), resumed.stderr
    first = resumed.stdout.splitlines()[0]
    kept = f", {5 * saved - unchecked} of them kept from the run before ({saved} chunks already in --out)"
    asked = f"; the {unchecked} it could not check {'was' if unchecked == 1 else 'were'} asked again"
    assert first.startswith("40 domains audited in ") and first.endswith(kept + (asked if unchecked else "")), first


def test_an_interrupted_call_says_what_was_saved_under_its_traceback(slow_dns: DnsServer, tmp_path: Path) -> None:
    """A kernel interrupted during smtpkit.audit(out=...) (KeyboardInterrupt in the main thread, as JupyterLab's
    stop button sends it): the exception (still a KeyboardInterrupt) says what is saved and how to continue, and
    a notebook shows that alone; then resume=True keeps those chunks."""
    import _thread
    import threading

    names = [m.domain for m in portfolio(40)]
    out = tmp_path / "results.parquet"
    settings = dict(nameservers=[slow_dns.nameserver], selectors=["default"], dns_timeout=1.0, deadline=6.0)
    settings.update(concurrency=4, chunk_size=5, out=out, progress=False)

    def interrupt_after_two_chunks() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(out.glob("part-*.parquet"))) < 2:
            time.sleep(0.05)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_after_two_chunks, daemon=True).start()
    with pytest.raises(KeyboardInterrupt) as stopped:
        smtpkit.audit(names, **settings)  # type: ignore[arg-type]
    saved = len(list(out.glob("part-*.parquet")))
    note = (
        f"{saved} chunk{'' if saved == 1 else 's'} of results ({5 * saved} of 40 domains)"
        f" {'is' if saved == 1 else 'are'} saved in {out}; call smtpkit.audit again with"
        " the same domains, out and resume=True to continue where it stopped (the domains of unfinished chunks, and"
        " those that could not be checked, are audited again)"
    )
    assert str(stopped.value) == note
    # a notebook (IPython) shows that line alone, not an event loop's traceback above it
    assert stopped.value._render_traceback_() == [f"Stopped: {note}"]  # type: ignore[attr-defined]
    df = smtpkit.audit(names, resume=True, **settings)  # type: ignore[arg-type]
    info = df.attrs["audit"]
    assert info["resumed_chunks"] == saved and info["resumed_domains"] == 5 * saved - info["asked_again"]
    assert list(df["position"]) == list(range(40))


def test_resume_refuses_another_input(portfolio_dns: DnsServer, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    smtpkit.audit(["smtpkit.test"], nameservers=[portfolio_dns.nameserver], out=out, progress=False)
    with pytest.raises(StoreError, match="different list of domains"):
        smtpkit.audit(["hosted.test"], nameservers=[portfolio_dns.nameserver], out=out, resume=True, progress=False)
    with pytest.raises(StoreError, match="other settings"):
        smtpkit.audit(
            ["smtpkit.test"],
            nameservers=[portfolio_dns.nameserver],
            selectors=["x"],
            out=out,
            resume=True,
            progress=False,
        )
    with pytest.raises(StoreError, match="no audit run to continue"):
        smtpkit.audit(["smtpkit.test"], out=tmp_path / "new.parquet", resume=True, progress=False)


def test_out_never_overwrites_what_is_not_an_audit(tmp_path: Path) -> None:
    stranger = tmp_path / "thesis.parquet"
    stranger.mkdir()
    (stranger / "chapter1.txt").write_text("years of work")
    with pytest.raises(StoreError, match="not audit results"):
        smtpkit.audit(["smtpkit.test"], out=stranger, progress=False)
    assert (stranger / "chapter1.txt").exists()


def test_compare_two_runs(portfolio_dns: DnsServer) -> None:
    ns = [portfolio_dns.nameserver]
    domains = ["smtpkit.test", "hosted.test", "dmarc-none.test", "dead--p000009.test"]
    old = smtpkit.audit(domains[:3] + ["mx-null.test"], nameservers=ns, selectors=["nothing"], progress=False)
    new = smtpkit.audit(domains, nameservers=ns, selectors=SELECTORS, dns_timeout=0.3, progress=False)
    diff = compare(old, new).set_index("domain")
    assert diff.loc["smtpkit.test", "change"] == BETTER  # a DKIM key found under the new selectors
    assert diff.loc["smtpkit.test", "fixed"] == ["dkim.no_selector_found"]
    assert diff.loc["mx-null.test", "change"] == GONE
    assert diff.loc["dead--p000009.test", "change"] == NEW
    assert summary(compare(new, new)) == {SAME: 4}
    worse = compare(new, old).set_index("domain")
    assert worse.loc["smtpkit.test", "change"] == WORSE
    assert worse.loc["smtpkit.test", "appeared"] == ["dkim.no_selector_found"]
    gone_unknown = new.copy()
    gone_unknown.loc[gone_unknown["domain"] == "hosted.test", "status"] = "could not check"
    assert compare(new, gone_unknown).set_index("domain").loc["hosted.test", "change"] == UNKNOWN_NOW
    assert list(compare(new, old)["change"])[0] == WORSE  # worse first


def _small_zones(silent: set[str]) -> object:
    """Four healthy domains; those in `silent` never answer (the lab DNS server's TIMEOUT records)."""
    from smtpkit.lab.zoneset import TIMEOUT_TYPE, Record, ZoneSet

    records = []
    for d in ("a.example", "b.example", "c.example", "d.example"):
        records += [
            Record(d, "SOA", f"ns.{d}. hostmaster.{d}. 1 3600 600 86400 60"),
            Record(d, "NS", f"ns.{d}."),
            Record(d, "MX", (10, f"mx.{d}")),
            Record(f"mx.{d}", "A", "127.0.0.1"),
            Record(d, "TXT", "v=spf1 mx -all"),
            Record(f"_dmarc.{d}", "TXT", "v=DMARC1; p=reject"),
        ]
        if d in silent:
            records.append(Record(d, TIMEOUT_TYPE))
    return ZoneSet.from_records(records)


def test_a_resume_asks_again_the_domains_it_could_not_check(tmp_path: Path) -> None:
    """A resumed run kept every row of the chunks already written, "could not check" included: the timeout of
    last night was reported again this morning for a domain that answers now. It asks those again."""
    names = ["a.example", "b.example", "c.example", "d.example"]
    out = tmp_path / "results.parquet"
    with DnsServer(_small_zones({"c.example"})) as server:
        settings = dict(nameservers=[server.nameserver], selectors=["default"], dns_timeout=0.5, deadline=3.0)
        settings.update(chunk_size=2, out=out, progress=False)
        first = smtpkit.audit(names, **settings)  # type: ignore[arg-type]
        assert list(first["status"]) == ["checked", "checked", "could not check", "checked"]
        server.load(_small_zones(set()))  # the next morning, c.example answers
        again = smtpkit.audit(names, resume=True, **settings)  # type: ignore[arg-type]
    assert list(again["status"]) == ["checked"] * 4 and list(again["position"]) == [0, 1, 2, 3]
    assert again.loc[2, "grade"] == first.loc[0, "grade"]  # c.example now as healthy as a.example
    kept = again.drop(index=2).reset_index(drop=True)
    assert list(kept["checked_at"]) == list(first.drop(index=2)["checked_at"])  # the others were not asked
    info = again.attrs["audit"]
    assert info["asked_again"] == 1 and info["resumed_domains"] == 3 and info["resumed_chunks"] == 2
    assert list(read_results(out)["status"]) == ["checked"] * 4  # the parts on disk were rewritten
    from smtpkit.audit.views import summary as audit_summary

    text = audit_summary(again).to_text()
    assert "3 were kept from the earlier run" in text and "the 1 domain it could not check was asked again" in text
    # nothing left that could not be checked: a resume of a finished run asks nothing
    with DnsServer(_small_zones(set())) as other:
        settings["nameservers"] = [other.nameserver]
        smtpkit.audit(names, **settings)  # type: ignore[arg-type]
        done = smtpkit.audit(names, resume=True, **settings)  # type: ignore[arg-type]
    assert done.attrs["audit"]["asked_again"] == 0 and "nothing was asked now" in audit_summary(done).to_text()
