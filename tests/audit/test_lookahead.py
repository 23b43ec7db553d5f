"""Domains read ahead of their turn (`smtpkit.audit.lookahead`): a dead domain, or an SPF include that never
answers, is known before the domain takes a slot, and nothing about the rows changes."""

from __future__ import annotations

import asyncio
import time

import pandas as pd
import pytest

from smtpkit.audit import lookahead
from smtpkit.audit.cache import DnsCache, SharedResolver
from smtpkit.audit.engine import audit_chunk, check_one
from smtpkit.audit.lookahead import Lookahead, Scout
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import DEAD, SELECTORS, portfolio
from smtpkit.settings.audit import AuditConfig

VOLATILE = ["checked_at", "seconds"]


def _config(server: DnsServer, **kwargs: object) -> AuditConfig:
    settings: dict[str, object] = {"dns_timeout": 0.3, "deadline": 10, "selectors": SELECTORS, **kwargs}
    return AuditConfig(nameservers=(server.nameserver,), **settings)  # type: ignore[arg-type]


def _asked(server: DnsServer, since: float, domain: str) -> list[float]:
    return sorted(q.t for q in server.queries if q.t >= since and q.name.endswith(domain))


@pytest.mark.parametrize("ahead", [True, False], ids=["read-ahead", "not-read-ahead"])
def test_a_dead_domain_is_asked_before_its_turn_comes(
    portfolio_dns: DnsServer, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """Ten domains at a time: read ahead, the dead domain's questions go out while the live domains before it are
    checked, so its timeouts overlap their checks instead of coming after them (where, at the end of a run, they
    kept the cores idle for 4 s). Not read ahead (AHEAD_MOST = 0), the test sees the old order: it can fail."""
    if not ahead:
        monkeypatch.setattr(lookahead, "AHEAD_MOST", 0)
    live = [f"hosted--p{i:06d}.test" for i in range(1000, 1150)]
    dead = f"{DEAD}--p001150.test"
    since = time.time()
    df = audit_chunk([*live, dead], _config(portfolio_dns, concurrency=10))
    dead_asked = _asked(portfolio_dns, since, dead)
    # the last question of a domain 50 places before it: not read ahead, the dead domain waits for 140 rows
    before_ends = _asked(portfolio_dns, since, live[100])[-1]
    if ahead:
        assert dead_asked[0] < before_ends, "the dead domain was asked only when its turn came"
    else:
        assert dead_asked[0] > before_ends
    row = df.iloc[-1]
    assert row["status"] == "could not check" and row["codes"] == ["domain.unanswered"]
    # its time is its own: the two timeouts of its questions (0.3 s each, twice), not the wait for its turn
    assert 0.5 < row["seconds"] < 3, row["seconds"]
    assert (df["status"][:-1] == "checked").all()


def test_a_dask_worker_reads_ahead_too(portfolio_dns: DnsServer) -> None:
    """A Dask worker's stream reads ahead across the pieces it is handed: the dead domain, six pieces on, is asked
    while the live domains 50 places before it are checked, and the rows are in-process's."""
    distributed = pytest.importorskip("distributed")
    import smtpkit

    live = [f"hosted--p{i:06d}.test" for i in range(2000, 2150)]
    dead = f"{DEAD}--p002150.test"
    settings = {"nameservers": [portfolio_dns.nameserver], "selectors": SELECTORS, "dns_timeout": 0.3}
    settings |= {"concurrency": 10, "chunk_size": 50, "progress": False}
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    try:
        with distributed.Client(cluster) as client:
            since = time.time()
            df = smtpkit.audit([*live, dead], client=client, **settings)
    finally:
        cluster.close()
    assert _asked(portfolio_dns, since, dead)[0] < _asked(portfolio_dns, since, live[100])[-1]
    assert df.iloc[-1]["status"] == "could not check" and (df["status"][:-1] == "checked").all()
    in_process = smtpkit.audit([*live, dead], **settings)
    pd.testing.assert_frame_equal(df.drop(columns=VOLATILE), in_process.drop(columns=VOLATILE))


def test_rows_are_the_same_read_ahead_or_not(portfolio_dns: DnsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps run ahead are the domain check's own, through the domain's own resolver: every row of the
    generated portfolio (every template, dead and SERVFAIL domains and dead SPF includes among them) says the same,
    `dns_queries` included."""
    from smtpkit.audit.engine import forget_caches

    names = [m.domain for m in portfolio(400, dead=0.02)]
    # the lab's DNS answers from a thread of this process: a timeout of 0.3 s lets a busy moment pass for silence
    config = _config(portfolio_dns, concurrency=20, dns_timeout=1.0)
    ahead = audit_chunk(names, config).drop(columns=VOLATILE)
    forget_caches()
    monkeypatch.setattr(lookahead, "AHEAD_MOST", 0)
    not_ahead = audit_chunk(names, config).drop(columns=VOLATILE)
    pd.testing.assert_frame_equal(ahead, not_ahead)
    assert (ahead["status"] == "could not check").sum() >= 8  # the slow domains were there to be read ahead


def test_waiting_for_its_turn_does_not_use_up_a_domains_deadline(portfolio_dns: DnsServer) -> None:
    """A domain whose first steps are done waits for a slot longer than its whole deadline: its check still gets
    the rest of its deadline (its clock runs while its steps do), and finds what it finds without waiting."""
    config = _config(portfolio_dns, deadline=1.0)

    async def run() -> dict[str, object]:
        shared = SharedResolver(config.nameservers, config.dns_timeout, cache=DnsCache())
        try:
            scout = Scout(0, "hosted.test", config, shared)
            assert scout.start()
            await asyncio.sleep(1.5)
            assert scout.done_at is not None  # MX and SPF answered long ago
            return await check_one(0, "hosted.test", config, shared, scout)
        finally:
            shared.close()

    row = asyncio.run(run())
    expected = audit_chunk(["hosted.test"], config).iloc[0]
    assert row["status"] == "checked", row["status_reason"]
    assert row["codes"] == expected["codes"] and row["dns_queries"] == expected["dns_queries"]
    assert isinstance(row["seconds"], float) and row["seconds"] < 1.0


def test_a_lookahead_closed_early_stops_the_steps_of_the_domains_read_ahead(portfolio_dns: DnsServer) -> None:
    """A run that stops (^C, a failed sink) closes its lookahead: the steps of the domains read ahead and never
    checked are cancelled, not left asking on the loop (the stream closes it in its `finally`)."""
    config = _config(portfolio_dns, concurrency=2)
    names = [f"{DEAD}--p{i:06d}.test" for i in range(200, 240)]

    async def run() -> tuple[int, int, int]:
        shared = SharedResolver(config.nameservers, config.dns_timeout, cache=DnsCache())
        try:
            ahead = Lookahead(enumerate(names), config, shared)
            first = ahead.take()
            assert first is not None
            read = len(ahead)
            first.cancel()
            await ahead.close()
            await asyncio.sleep(0.01)
            left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
            return read, len(ahead), len(left)
        finally:
            shared.close()

    read, kept, left = asyncio.run(run())
    assert read >= 1  # read ahead of the first one's turn, its steps started
    assert kept == 0 and left == 0


def test_a_dask_worker_stream_whose_admission_fails_fails_its_chunks_instead_of_hanging(
    portfolio_dns: DnsServer,
) -> None:
    """The stream's one admission loop takes every domain to its turn; if it ever failed (a bug of ours), the
    chunks handed to the stream would wait for rows that never come: they fail, with what happened."""
    from smtpkit.audit import worker_stream

    config = _config(portfolio_dns)
    stream = worker_stream.WorkerStream(("test", "test", 1), config, "test", 1)

    def broken() -> None:
        raise ValueError("a bug of ours")

    async def run() -> list[dict[str, object]]:
        await stream._open()
        assert stream._ahead is not None
        stream._ahead.take = broken  # type: ignore[method-assign,assignment]
        await asyncio.sleep(0.05)  # the admission loop asks for the next domain and fails
        return await asyncio.wait_for(stream._chunk(["hosted.test", "smtpkit.test"], 0), 5)

    stream.admitting.acquire()
    try:
        with pytest.raises(RuntimeError, match="audit stream failed: ValueError"):
            stream._loop.run_until_complete(run())
    finally:
        assert stream._shared is not None
        stream._shared.close()
        stream._loop.close()
