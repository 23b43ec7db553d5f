"""The same DataFrame from every runner: in-process, a process pool, a Dask LocalCluster of 2 processes."""

from __future__ import annotations

import pandas as pd
import pytest

import smtpkit
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import SELECTORS, portfolio

VOLATILE = ["checked_at", "seconds"]


def _domains() -> list[str]:
    return [m.domain for m in portfolio(36)] + ["not a domain"]


def _settings(dns: DnsServer) -> dict[str, object]:
    # a generous timeout: two processes of a loaded test machine must not turn slowness into findings
    return {"nameservers": [dns.nameserver], "selectors": SELECTORS, "dns_timeout": 2.0, "chunk_size": 8}


@pytest.fixture(scope="module")
def in_process(portfolio_dns: DnsServer) -> pd.DataFrame:
    return smtpkit.audit(_domains(), progress=False, **_settings(portfolio_dns))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=VOLATILE), b.drop(columns=VOLATILE))


def test_process_pool_gives_the_same_dataframe(portfolio_dns: DnsServer, in_process: pd.DataFrame) -> None:
    df = smtpkit.audit(_domains(), workers=2, progress=False, **_settings(portfolio_dns))
    assert df.attrs["audit"]["runner"] == "processes"
    _same(df, in_process)


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


def test_a_started_cluster_is_stopped_again(portfolio_dns: DnsServer, in_process: pd.DataFrame) -> None:
    pytest.importorskip("distributed")
    df = smtpkit.audit(_domains()[:8], dask=True, workers=1, progress=False, **_settings(portfolio_dns))
    _same(df, in_process.head(8))
