"""Reports on Dask: the same tables from a cluster's workers, and a Dask DataFrame partitioned by file.

A LocalCluster in this process (processes=False: no sockets beyond loopback,
and none at all between scheduler and workers); Dask is in the test extra.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import smtpkit.reports as reports
from smtpkit.lab import reports as lab_reports

distributed = pytest.importorskip("distributed", reason="dask[distributed] is missing: pip install smtpkit[dask]")


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("month")
    lab_reports.write_month(folder, days=6)
    return folder


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    cluster = distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_load_on_a_cluster_gives_the_same_tables(month: Path, client) -> None:  # type: ignore[no-untyped-def]
    here = reports.load(month, offline=True)
    there = reports.load(month, offline=True, client=client)
    assert there.summary() == here.summary()
    assert sorted(there.problems["kind"]) == sorted(here.problems["kind"]) == ["duplicate", "unreadable"]
    key = ["org_name", "report_id", "source_ip", "count", "dmarc_pass"]
    a = here.records[key].astype(str).sort_values(key).reset_index(drop=True)
    b = there.records[key].astype(str).sort_values(key).reset_index(drop=True)
    assert a.equals(b)
    assert str(there.records["source_ip"].dtype) == "category"
    assert there.senders["sender"].tolist() == here.senders["sender"].tolist()


def test_to_dask_is_partitioned_by_file_and_deduplicated(month: Path, client) -> None:  # type: ignore[no-untyped-def]
    files = [p for p in month.iterdir()]
    ddf = reports.to_dask(month, dedupe=False)
    assert ddf.npartitions == len(files)
    here = reports.load(month, offline=True).records
    by_ip = reports.to_dask(month).groupby("source_ip")["count"].sum().compute()
    expected = here.groupby(here["source_ip"].astype(str))["count"].sum()
    assert by_ip.sort_index().to_dict() == expected.sort_index().to_dict()
    raw = int(ddf["count"].sum().compute())
    assert raw > int(here["count"].sum())  # the resent report counted twice without dedupe
    assert set(ddf["file"].unique().compute()) <= {str(p) for p in files}
