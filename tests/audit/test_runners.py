"""The same DataFrame from every runner: in-process, a process pool, a Dask LocalCluster of 2 processes."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import smtpkit
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import SELECTORS, portfolio, portfolio_zoneset

VOLATILE = ["checked_at", "seconds"]


def _domains() -> list[str]:
    return [m.domain for m in portfolio(36)] + ["not a domain"]


def _settings(dns: DnsServer) -> dict[str, object]:
    # a generous timeout: two processes of a loaded test machine must not turn slowness into findings
    return {"nameservers": [dns.nameserver], "selectors": SELECTORS, "dns_timeout": 4.0, "chunk_size": 8}


@pytest.fixture(scope="module")
def in_process(portfolio_dns: DnsServer) -> pd.DataFrame:
    return smtpkit.audit(_domains(), progress=False, **_settings(portfolio_dns))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=VOLATILE), b.drop(columns=VOLATILE))


def test_process_pool_gives_the_same_dataframe(
    portfolio_dns: DnsServer, in_process: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smtpkit.audit import runners

    updates: list[int] = []

    def counting_bar(total: int, enabled: bool) -> object:
        bar = real_bar(total, False)
        monkeypatch.setattr(bar, "update", updates.append)
        return bar

    real_bar = runners.progress_bar
    monkeypatch.setattr(runners, "progress_bar", counting_bar)
    df = smtpkit.audit(_domains(), workers=2, progress=False, **_settings(portfolio_dns))
    assert df.attrs["audit"]["runner"] == "processes"
    assert df.attrs["audit"]["pool_cpu_seconds"] > 0  # the processes' own count (not the parent's children)
    _same(df, in_process)
    # the progress bar hears of every domain, in batches (a pool process sends at most ten a second)
    assert sum(updates) == len(_domains()) and 0 < len(updates) <= len(_domains())


@pytest.mark.skipif(sys.platform == "win32", reason="no fork server on Windows: the pool spawns its processes")
def test_pool_processes_start_with_the_audit_imported_and_are_not_this_processs_children() -> None:
    """The pool's processes are forked by a fork server that imported the audit once (pyarrow included), so
    they start ready to run instead of each importing it (about a second of every core before the first row);
    spawned processes would have neither (fails with multiprocessing.get_context("spawn"))."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from smtpkit.audit.fork_server import pool_context

    with ProcessPoolExecutor(1, mp_context=pool_context()) as pool:
        # eval, a builtin, pickles by name: nothing of this test module is imported to run it
        found = pool.submit(eval, "[m in __import__('sys').modules for m in ('pyarrow', 'smtpkit.checks.domain')]")
        assert found.result(timeout=60) == [True, True]
        assert pool.submit(os.getppid).result(timeout=60) != os.getpid()  # forked by the server, not by us


def test_a_script_without_a_main_guard_is_told_what_to_do(tmp_path: Path) -> None:
    """The classic mistake, run as a shell runs it: `smtpkit.audit(..., workers=2)` at the top level of a
    script, which every pool process imports before it starts, so each would start a pool of its own. The
    script stops with what to do, not with BrokenProcessPool alone (what it said before), and never hangs."""
    script = tmp_path / "audit_mine.py"
    script.write_text(
        "import smtpkit\n"
        "smtpkit.audit(['a.test', 'b.test'], workers=2, nameservers=['127.0.0.1:9'], dns_timeout=0.5,"
        " progress=False)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()
    told = [line for line in last if line.startswith("smtpkit.errors.InvalidSettings:")]
    assert told and 'if __name__ == "__main__":' in told[-1], done.stderr[-2000:]


def test_a_pool_process_takes_pieces_until_told_and_sends_its_progress_before_each(
    portfolio_dns: DnsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What one pool process does (run here, in this process): it takes pieces from the pool's queue until the
    queue says there are no more, leaves what follows for the others, and sends every row counted once, each
    piece's rows before the piece, even when the clock never says it is time to send."""
    import queue
    import threading

    from smtpkit.audit import runners
    from smtpkit.settings.audit import AuditConfig

    sent: queue.Queue[tuple[str, int, object]] = queue.Queue()
    work: queue.Queue[object] = queue.Queue()
    monkeypatch.setattr(runners, "_pool_links", (sent, threading.Event(), None, work))
    monkeypatch.setattr(runners._Progress, "EVERY", 3600.0)
    names = [m.domain for m in portfolio(12, dead=0)]
    todo = [(0, 0, names[:5]), (2, 5, names[5:9]), (4, 9, names[9:])]
    for item in [*runners.pieces(todo, size=2), None, "for another process"]:
        work.put(item)
    runners._stream_work(AuditConfig(nameservers=(portfolio_dns.nameserver,), dns_timeout=4.0))
    assert list(work.queue) == ["for another process"]
    messages = []
    while not sent.empty():
        messages.append(sent.get())
    assert messages[0][0] == "hello"
    counted, pieces, rows = 0, [], 0
    for kind, number, table in messages[1:]:
        if kind == "rows":
            counted += number
        else:
            rows += table.num_rows  # type: ignore[attr-defined]
            assert counted >= rows  # the piece's rows were counted before it left
            pieces.append((number, table.column("position").to_pylist()))  # type: ignore[attr-defined]
    assert counted == rows == len(names)
    assert sorted(pieces) == [(0, [0, 1]), (0, [2, 3]), (0, [4]), (2, [5, 6]), (2, [7, 8]), (4, [9, 10]), (4, [11])]


def test_pieces_cut_chunks_and_the_assembler_puts_them_back_in_order() -> None:
    import pyarrow as pa

    from smtpkit.audit.runners import ChunkAssembler, pieces

    todo = [(3, 30, ["a", "b", "c", "d", "e"]), (4, 35, ["f"])]
    cut = pieces(todo, size=2)
    assert cut == [(3, 30, ["a", "b"]), (3, 32, ["c", "d"]), (3, 34, ["e"]), (4, 35, ["f"])]
    written: list[tuple[int, list[int]]] = []
    assembler = ChunkAssembler(todo, lambda number, table: written.append((number, table["position"].to_pylist())))

    def table(start: int, names: list[str]) -> pa.Table:
        return pa.table({"position": list(range(start, start + len(names))), "domain": names})

    for number, start, names in [cut[2], cut[3], cut[0]]:  # back in any order, from any worker
        assembler.add(number, table(start, names))
    assert written == [(4, [35])]  # chunk 3 waits for its middle piece
    assembler.add(3, table(32, ["c", "d"]))
    assert written == [(4, [35]), (3, [30, 31, 32, 33, 34])]  # every chunk once, its rows in input order


def test_a_dask_run_cuts_large_pieces_but_enough_for_every_worker() -> None:
    """A Dask task costs the caller about 12 ms of CPU: a large run takes `DASK_PIECE` domains a task, a small one
    still gives each worker `PIECES_PER_WORKER` pieces, and no piece is smaller than the pool's."""
    from smtpkit.audit.runners import DASK_PIECE, PIECE, PIECES_PER_WORKER, dask_piece_size

    assert dask_piece_size(5000, 2) == DASK_PIECE == 100
    assert dask_piece_size(100_000, 8) == DASK_PIECE
    assert dask_piece_size(1000, 2) == 63  # 16 pieces: 8 for each worker
    assert dask_piece_size(1000, 2) * PIECES_PER_WORKER * 2 >= 1000
    assert dask_piece_size(300, 2) == dask_piece_size(10, 2) == dask_piece_size(0, 0) == PIECE


def test_pool_progress_is_batched_and_complete() -> None:
    from smtpkit.audit.runners import _Progress

    sent: list[int] = []
    progress = _Progress(sent.append, every=3600)
    for _ in range(500):
        progress.add(1)
    assert sent == []  # nothing before its time
    progress.flush()
    progress.flush()  # nothing twice
    assert sent == [500]
    eager = _Progress(sent.append, every=0)
    eager.add(2)
    eager.add(3)
    assert sent == [500, 2, 3]


def test_dask_local_cluster_gives_the_same_dataframe(portfolio_dns: DnsServer, in_process: pd.DataFrame) -> None:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        with distributed.Client(cluster) as client:
            df = smtpkit.audit(_domains(), client=client, progress=False, **_settings(portfolio_dns))
            assert set(client.nthreads()) and len(client.nthreads()) == 2
    finally:
        cluster.close()
    info = df.attrs["audit"]
    assert info["runner"] == "dask" and info["workers"] == 2 and info["leases_per_resolver"] == 2
    _same(df, in_process)


def _stream_stats() -> dict[str, object]:
    import gc

    from smtpkit.audit import worker_stream

    return dict(worker_stream.STATS) | {"running": len(worker_stream._registry), "young": gc.get_threshold()[0]}


def test_a_dask_worker_streams_its_chunks_through_one_loop(portfolio_dns: DnsServer) -> None:
    """One worker of one thread, four chunks that each end with a dead domain (it waits out its timeouts): the
    worker takes every chunk at once into its one stream (the old way, one chunk per thread, ran them one after
    another, idle through each tail), the rows are in-process's, and the stream ends once idle, giving its
    resolver lease back, and the worker's garbage collector its usual threshold."""
    import gc
    import time

    distributed = pytest.importorskip("distributed")
    from smtpkit.audit.gc_threshold import YOUNG
    from smtpkit.audit.runners import run_dask
    from smtpkit.lab.portfolio import member_name
    from smtpkit.settings.audit import AuditConfig

    names = []
    for c in range(4):
        names += [member_name("smtpkit.test", 10 * c + i) for i in range(1, 4)] + [member_name("dead", c)]
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), selectors=SELECTORS, dns_timeout=0.5, deadline=6)
    todo = [(c, 4 * c, names[4 * c : 4 * c + 4]) for c in range(4)]
    finished: list[int] = []
    tables = {}

    def sink(number: int, table: object) -> None:
        finished.append(number)
        tables[number] = table

    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        with distributed.Client(cluster) as client:
            info = run_dask(todo, config, sink, lambda n: None, client)
            stats = list(client.run(_stream_stats).values())[0]
            assert stats["streams"] == 1 and stats["most_chunks"] == 4, stats
            assert stats["young"] == YOUNG  # while the stream lives (gc_threshold)
            time.sleep(1.5)  # IDLE: the stream ends
            after = list(client.run(_stream_stats).values())[0]
            assert after["running"] == 0
            assert after["young"] == gc.get_threshold()[0] != YOUNG  # the worker's own (CPython's default)
            semaphore = distributed.Semaphore(max_leases=1, name="smtpkit-audit-resolver:" + portfolio_dns.nameserver)
            assert semaphore.acquire(timeout=5), "the stream gave its lease back"
            semaphore.release()
            # a run counts its own: the ended stream's counts are kept, and taken off as "before" the next run
            again = run_dask(todo, config, lambda number, table: None, lambda n: None, client)
            assert info["domains_asked"] == again["domains_asked"] == 16, (info, again)
    finally:
        cluster.close()
    assert info["leases_per_resolver"] == 1
    assert sorted(finished) == [0, 1, 2, 3]  # (their dead domains time out within moments of each other)
    rows = pd.concat([tables[c].to_pandas() for c in range(4)], ignore_index=True)
    expected = smtpkit.audit(
        names, progress=False, nameservers=[portfolio_dns.nameserver], selectors=SELECTORS, dns_timeout=0.5, deadline=6
    )
    assert list(rows["domain"]) == list(expected["domain"])
    assert (
        list(rows["status"])
        == list(expected["status"])
        == ["checked"] * 3 + ["could not check"] + (["checked"] * 3 + ["could not check"]) * 3
    )
    assert [sorted(c) for c in rows["codes"]] == [sorted(c) for c in expected["codes"]]


def test_a_started_cluster_is_stopped_again(portfolio_dns: DnsServer, in_process: pd.DataFrame) -> None:
    pytest.importorskip("distributed")
    df = smtpkit.audit(_domains()[:8], dask=True, workers=1, progress=False, **_settings(portfolio_dns))
    _same(df, in_process.head(8))
    link = df.attrs["audit"]["dask"]
    assert link.startswith("http://127.0.0.1:")
    with pytest.raises(OSError):  # the cluster the audit started is gone, its dashboard with it
        urllib.request.urlopen(link, timeout=5)


def test_the_cluster_the_audit_starts_has_a_working_dashboard_and_no_profiler() -> None:
    """The link the notebook shows is a working dashboard (Bokeh is part of the dask extra), on loopback."""
    pytest.importorskip("distributed")
    from smtpkit.audit.runners import dask_client

    client = dask_client(workers=1)
    try:
        link = client.dashboard_link
        assert link.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(link, timeout=20) as page:
            assert page.status == 200 and b"Dask" in page.read()
        # the cluster the audit starts samples no stacks: a worker holds a thread per piece whose rows are
        # still coming, and the profiler's 100 samples a second of each cost 18% of the audit's CPU
        sampling = client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
        assert list(sampling.values()) == [False]
        # and its servers check their event loop every 100 ms, not every 20 ms (half the idle cluster's CPU)
        ticks = client.run(lambda dask_worker: dask_worker.periodic_callbacks["tick"].callback_time)
        assert list(ticks.values()) == [100]
        assert (
            client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.periodic_callbacks["tick"].callback_time)
            == 100
        )
        # a terminal's ^C reaches its workers too: they leave it to the audit, which closes them
        import signal

        ignoring = client.run(lambda: signal.getsignal(signal.SIGINT) == signal.SIG_IGN)
        assert list(ignoring.values()) == [True]
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()


def _audit_with_query_limit_8(limit: int = 8, **runner: Any) -> tuple[pd.DataFrame, int]:
    """160 portfolio domains audited with query_limit=8 (or `limit`) by `runner` against a DNS server answering
    50 ms late: the rows, and the most questions the server had in flight at once (answers waiting out its delay). No
    domain has a name that never answers (dead ones, the copies of spf-dns-error and dmarc-rollout, whose SPF
    trees hold one), so every row is checked."""
    unread = ("spf-dns-error.test", "dmarc-rollout.test")
    names = [m.domain for m in portfolio(160, dead=0, servfail=0) if m.template not in unread]
    with DnsServer(portfolio_zoneset("127.0.0.1"), delay=0.05) as dns:
        df = smtpkit.audit(
            names,
            progress=False,
            nameservers=[dns.nameserver],
            selectors=SELECTORS,
            dns_timeout=5.0,
            chunk_size=10,
            query_limit=limit,
            **runner,
        )
        return df, dns.peak_pending


def test_a_process_pool_keeps_to_one_resolvers_query_limit() -> None:
    """Politeness on every runner: 2 processes ask one resolver, and together they never have more than
    `query_limit` questions in flight; each alone would have had as many (the limit was per process)."""
    df, peak = _audit_with_query_limit_8(workers=2)
    info = df.attrs["audit"]
    assert info["workers"] == 2
    assert set(df["status"]) == {"checked"}
    assert 4 < peak <= 8, peak  # more than one process's share (4) at once, never more than the limit
    # both processes' waits for a place are summed for the summary (each alone waits for some of its queries)
    assert info["query_waits"] > 0.2 * info["queries"] and info["query_wait_seconds"] > 0, info
    # and the time their queries held a place: at least the DNS server's 50 ms for each query
    assert info["query_held_seconds"] >= 0.05 * info["queries"], info


def test_one_process_keeps_no_more_domains_in_flight_than_its_places_serve() -> None:
    """In one process with 4 places, 50 domains in flight made each wait for a place while its clock ran, and
    the 5 with the deepest SPF trees missed their deadline ('could not check'); 16 in flight check them all."""
    df, peak = _audit_with_query_limit_8(limit=4)
    assert df.attrs["audit"]["runner"] == "local"
    assert set(df["status"]) == {"checked"}, df[df["status"] != "checked"][["domain", "status_reason"]]
    assert peak <= 4, peak


def test_a_dask_cluster_keeps_to_one_resolvers_query_limit() -> None:
    """Cluster-wide politeness: 2 workers of 2 threads each ask one resolver, and together they never have
    more than `query_limit` questions in flight."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        with distributed.Client(cluster) as client:
            df, peak = _audit_with_query_limit_8(client=client)
    finally:
        cluster.close()
    info = df.attrs["audit"]
    assert info["leases_per_resolver"] == 2  # one per worker's stream
    assert set(df["status"]) == {"checked"}
    assert 4 < peak <= 8, peak  # more than one stream's share (4) at once, never more than the limit
    # the workers' streams count as the in-process runner does, this run only (read before and after it)
    assert info["domains_asked"] == len(df), info
    assert info["query_waits"] > 0.2 * info["queries"] and info["query_held_seconds"] >= 0.05 * info["queries"], info


def _semaphores_refreshing() -> int:
    """On a Dask worker: its MX networks' `distributed.Semaphore`s whose lease-refresh timer still runs."""
    import gc

    import distributed

    from smtpkit.audit.runners import MX_NETWORK_SEMAPHORE

    found = [
        o for o in gc.get_objects() if isinstance(o, distributed.Semaphore) and o.name.startswith(MX_NETWORK_SEMAPHORE)
    ]
    return sum(1 for o in found if getattr(o, "refresh_callback", None) and o.refresh_callback.is_running())


@pytest.mark.parametrize(("runner", "limit"), [("pool", 1), ("dask", 2)])
def test_every_runner_keeps_to_its_limit_of_mx_probes_per_network(runner: str, limit: int) -> None:
    """Politeness towards the receiving side: 12 domains, each with its own MX host, all in one /24 (127.0.0.1,
    slow to greet), audited with --probe-mx by 2 processes (of 2 threads on Dask): the MX server never sees more
    than `probes_per_network` probes at once, though each process alone would allow that many."""
    from smtpkit.lab.zoneset import Record, ZoneSet
    from tests.support.peers import Counted, Peer, ScriptedSmtp

    names = [f"d{i}.probes.test" for i in range(12)]
    records = [Record(n, "MX", (10, f"mx.{n}")) for n in names] + [Record(f"mx.{n}", "A", "127.0.0.1") for n in names]
    counted = Counted(ScriptedSmtp(ehlo=("mx.probes.test",)), delay=0.4)
    with DnsServer(ZoneSet.from_records(records)) as dns, Peer(counted).start() as mx:
        settings = {"nameservers": [dns.nameserver], "selectors": ["s1"], "probe_mx": True, "mx_port": mx.port}
        settings |= {"allow_private": True, "probes_per_network": limit, "chunk_size": 2, "deadline": 40}
        if runner == "pool":
            df = smtpkit.audit(names, workers=2, progress=False, **settings)
        else:
            distributed = pytest.importorskip("distributed")
            cluster = distributed.LocalCluster(
                n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=None
            )
            try:
                with distributed.Client(cluster) as client:
                    df = smtpkit.audit(names, client=client, progress=False, **settings)
                    # a network's semaphore is dropped with its last probe: each refreshes its leases on a
                    # timer for as long as it lives, thousands of timers on a worker kept for a big portfolio
                    refreshing = client.run(_semaphores_refreshing)
                    assert sum(refreshing.values()) == 0, refreshing
            finally:
                cluster.close()
        assert mx.connections == 12  # every MX host probed once
    assert set(df["status"]) == {"checked"}
    assert counted.peak == limit, counted.peak


@pytest.mark.parametrize(
    "runner", [[], ["--workers", "2"], ["--dask", "--workers", "2"]], ids=["local", "pool", "dask"]
)
def test_the_command_gives_the_same_rows_on_every_runner(
    runner: list[str], portfolio_dns: DnsServer, in_process: pd.DataFrame, tmp_path: Path
) -> None:
    """`smtpkit audit FILE --json` as a shell runs it, in-process, on a pool and on a Dask LocalCluster."""
    if "--dask" in runner:
        pytest.importorskip("distributed")
    listing = tmp_path / "domains.txt"
    listing.write_text("\n".join(_domains()) + "\n")
    cmd = [sys.executable, "-m", "smtpkit", "audit", str(listing), "--json", "--nameserver", portfolio_dns.nameserver]
    cmd += [arg for s in SELECTORS for arg in ("--selector", s)] + ["--dns-timeout", "4", "--chunk-size", "8"]
    done = subprocess.run(cmd + runner, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stderr[-2000:]  # some domains of the portfolio have failing findings
    doc = json.loads(done.stdout)
    assert doc["summary"]["runner"] == ("dask" if "--dask" in runner else "processes" if runner else "local")
    rows = [(r["domain"], r["status"], r["codes"], r["grade"]) for r in doc["rows"]]
    expected = [
        (r["domain"], r["status"], list(r["codes"]), None if pd.isna(r["grade"]) else r["grade"])
        for r in in_process.to_dict("records")
    ]
    assert rows == expected


def test_a_pool_stopped_by_an_error_ends_at_once_and_leaves_no_process() -> None:
    """A sink that fails (a full disk) while the pool's processes still have chunks to send: the error reaches
    the caller at once, and no process is left behind (each was told to stop and could exit with chunks unsent;
    a full queue used to hold them, and the pool's shutdown with them, for ever)."""
    import multiprocessing
    import time

    from smtpkit.audit.runners import run_processes
    from smtpkit.settings.audit import AuditConfig

    names = [f"not a domain {i}" for i in range(4000)]  # each a row at once, without DNS
    todo = [(number, start, names[start : start + 500]) for number, start in enumerate(range(0, 4000, 500))]
    before = set(multiprocessing.active_children())

    def sink(number: int, table: object) -> None:
        raise OSError("disk full")

    started = time.monotonic()
    with pytest.raises(OSError, match="disk full"):
        run_processes(todo, AuditConfig(chunk_size=500), sink, lambda rows: None, workers=2)
    assert time.monotonic() - started < 30
    deadline = time.monotonic() + 10
    while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not set(multiprocessing.active_children()) - before


@pytest.mark.timeout(90)
def test_a_pool_stopped_in_the_middle_of_a_message_ends_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """^C can stop the parent in the middle of reading a piece from the pool's queue; what is left in the pipe
    then starts inside a message. The stop must not read it again: it took bytes of a table for a message's
    length and waited for ever (CI: `smtpkit audit --workers 2` did not end within 60 s of ^C, one time in
    about ten). Here the half message is written into the pipe, then ^C is raised where the parent reads."""
    import multiprocessing
    import struct
    import time

    from smtpkit.audit import runners
    from smtpkit.settings.audit import AuditConfig

    names = [f"not a domain {i}" for i in range(4000)]
    todo = [(number, start, names[start : start + 500]) for number, start in enumerate(range(0, 4000, 500))]
    before = set(multiprocessing.active_children())
    real_gather = runners._gather

    def gather(futures: list[object], results: Any, *args: Any) -> None:
        def interrupted(number: int, table: object) -> None:
            results._writer._send(struct.pack("!i", 1 << 28) + b"the start of a table")  # a frame cut short
            raise KeyboardInterrupt

        real_gather(futures, results, args[0], interrupted, *args[2:])

    monkeypatch.setattr(runners, "_gather", gather)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        runners.run_processes(todo, AuditConfig(chunk_size=500), lambda n, t: None, lambda rows: None, workers=2)
    assert time.monotonic() - started < runners.ABANDON_GRACE + 20
    deadline = time.monotonic() + 10
    while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not set(multiprocessing.active_children()) - before


_STOPPED_POOL_EXITS = """
from smtpkit.audit.runners import run_processes
from smtpkit.settings.audit import AuditConfig


def sink(number, table):
    raise OSError("disk full")


if __name__ == "__main__":
    names = [f"not a domain {i:05}" + "x" * 40 for i in range(8000)]  # more pieces than a pipe holds
    todo = [(n, s, names[s : s + 500]) for n, s in enumerate(range(0, 8000, 500))]
    try:
        run_processes(todo, AuditConfig(chunk_size=500), sink, lambda rows: None, workers=2)
    except OSError as exc:
        print("stopped:", exc, flush=True)
"""


def test_a_program_whose_pool_was_stopped_exits(tmp_path: Path) -> None:
    """Pieces never taken by a stopped pool must not keep the program from exiting (its queue's thread would
    wait for ever to send them)."""
    script = tmp_path / "stopped_pool.py"
    script.write_text(_STOPPED_POOL_EXITS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "stopped: disk full" in done.stdout


def test_a_worker_stream_whose_loop_fails_takes_no_more_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream whose loop ends other than by being idle (here: its resolver cannot be made) is marked closed
    and leaves the registry, so the next chunk on that worker starts a new stream instead of waiting on a dead
    one."""
    from smtpkit.audit import worker_stream
    from smtpkit.settings.audit import AuditConfig

    config = AuditConfig(nameservers=("127.0.0.1:53",))
    key = (repr(config), "smtpkit-test-semaphore", 1)
    stream = worker_stream.WorkerStream(key, config, "smtpkit-test-semaphore", 1)

    async def broken() -> None:
        raise OSError("no resolver")

    monkeypatch.setattr(stream, "_open", broken)
    monkeypatch.setitem(worker_stream._registry, key, stream)
    with pytest.raises(OSError, match="no resolver"):
        stream._run()
    assert stream.closed and key not in worker_stream._registry
