"""Notebook 10 runs headless on Dask: the dashboard link before the run, a progress bar, the charts.

(`pytest notebooks/10_portfolio_audit.ipynb` runs it with its defaults, in the kernel's own process.)
"""

from __future__ import annotations

import json

import pytest

from smtpkit.reporting import execute_notebook, notebooks_dir

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _outputs(cell) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(cell.get("outputs", []))


def test_notebook_10_on_dask_shows_the_dashboard_a_progress_bar_and_charts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("distributed")
    path = notebooks_dir() / "10_portfolio_audit.ipynb"
    run = execute_notebook(
        path,
        {"size": 60, "dask": True, "workers": 2, "probe_mx": False, "out": str(tmp_path / "run.parquet")},
        cell_timeout=240,
        scrub=False,  # the progress bar is a widget: look at it before the scrubber would take it out
    )
    assert run.ok, [e.ename + ": " + e.evalue for e in run.errors] + [run.aborted]
    cells = {c.source.splitlines()[0]: c for c in run.notebook.cells if c.cell_type == "code" and c.source}
    audit_cell = cells["runner = views.runner(workers=workers, dask=dask)"]
    shown = _outputs(audit_cell)
    assert "Dask LocalCluster of 2 worker processes" in shown
    assert "Dask dashboard" in shown and "http://127.0.0.1:" in shown
    # tqdm's notebook bar: a widget view, whose text form counts the domains
    assert WIDGET_VIEW in shown, shown[:2000]
    assert "domain/s" in shown or "/60" in shown
    summary = _outputs(cells["views.summary(df)"])
    assert "dask runner" in summary and "Dask dashboard" in summary
    charts = _outputs(cells["display(*views.charts(df))"])
    assert charts.count("<svg") >= 4, charts[:2000]
    assert "DMARC" in charts and "MTA-STS" in charts
    table = _outputs(cells["views.sortable(df)"])
    assert "--p0000" in table
