"""Notebook 10 runs headless on Dask: the dashboard link before the run, a progress bar, the charts.

(`pytest notebooks/10_portfolio_audit.ipynb` runs it with its defaults, in the kernel's own process.)
"""

from __future__ import annotations

import json
import re

import pandas as pd
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


def test_notebook_10_audits_your_own_list_through_the_dns_server_and_query_limit_you_give(tmp_path, lab) -> None:  # type: ignore[no-untyped-def]
    """Your own domains (a file), the DNS server you name and a query limit: every row is checked through that
    server (the session's lab here, not the kernel's own lab nor this machine's resolver), and a limit of one
    query at a time shows in the summary as what held the run back."""
    import pandas as pd

    from smtpkit.lab.portfolio import SELECTORS, lab_portfolio

    mine = tmp_path / "mine.txt"
    mine.write_text("\n".join(lab_portfolio(lab, n=12)[:12]) + "\n")
    out = tmp_path / "mine.parquet"
    path = notebooks_dir() / "10_portfolio_audit.ipynb"
    parameters = {"domains_file": str(mine), "nameservers": [lab.nameserver], "query_limit": 1}
    parameters |= {"selectors": list(SELECTORS), "probe_mx": False, "out": str(out)}
    run = execute_notebook(path, parameters, cell_timeout=240)
    assert run.ok, [e.ename + ": " + e.evalue for e in run.errors] + [run.aborted]
    rows = pd.read_parquet(out)
    assert len(rows) == 12 and set(rows["resolver"]) == {lab.nameserver}, rows[["domain", "resolver"]]
    # checked, but for the portfolio's domains made not to answer (a dead SPF include, dead nameservers)
    unchecked = rows.loc[rows["status"] != "checked", "domain"]
    assert all(d.startswith(("spf-dns-error-", "dead-", "servfail-")) for d in unchecked), list(unchecked)
    assert len(unchecked) <= 3, rows[["domain", "status"]]
    cells = {c.source.splitlines()[0]: c for c in run.notebook.cells if c.cell_type == "code" and c.source}
    summary = _outputs(cells["views.summary(df)"])
    assert "The resolver limit held the run back" in summary and "the single place of query_limit 1" in summary, (
        summary[:3000]
    )
    # retries (the SERVFAIL domain's) count among the queries as among those that waited: never "109%"
    said = re.search(r"held the run back: (\d+) of (\d+) DNS queries", summary)
    assert said is not None and 0 < int(said[1]) <= int(said[2]), summary[:3000]


def test_a_bad_setting_in_notebook_10_says_what_to_change_without_a_traceback() -> None:
    """A query_limit of 0 in the parameters cell: the audit cell shows the message that names the setting and
    the fix, not a traceback through the kit's code."""
    path = notebooks_dir() / "10_portfolio_audit.ipynb"
    run = execute_notebook(path, {"query_limit": 0, "size": 5, "probe_mx": False}, cell_timeout=120)
    errors = [o for c in run.notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "InvalidSettings", errors[:1]
    assert errors[0]["traceback"] == [
        "InvalidSettings: AuditConfig.query_limit: 0 is out of range: give a whole number from 1 to 10000 queries"
    ]
    # the cells after it (run, as JupyterLab runs some after an error) show no results, not the last run's
    assert {e["ename"] for e in errors} == {"InvalidSettings"}, [e["ename"] for e in errors]  # no NameError
    cells = {c.source.splitlines()[0]: c for c in run.notebook.cells if c.cell_type == "code" and c.source}
    for first_line in ("views.summary(df)", "views.sortable(df)", "display(*views.charts(df))"):
        assert "No results to show" in _outputs(cells[first_line]), first_line


@pytest.fixture(scope="module")
def lab_state(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A lab whose state file the kernels are given: two kernels, one lab (as in one JupyterLab session)."""
    from smtpkit.lab import Lab

    lab = Lab()
    lab.start()
    try:
        yield lab.write_state(tmp_path_factory.mktemp("lab") / "state.json")
    finally:
        lab.stop()


def test_notebook_10_resumes_a_stopped_run_from_its_parameters(tmp_path, lab_state) -> None:  # type: ignore[no-untyped-def]
    """`resume = True` in the parameters cell, the same `out`: the chunks already written are kept and the
    summary says how many domains came from them (a run stopped before its last chunk was written, made here by
    taking that file away); the comparison with the lab's "last week" still runs."""
    path = notebooks_dir() / "10_portfolio_audit.ipynb"
    out = tmp_path / "run.parquet"
    parameters = {"size": 600, "probe_mx": False, "out": str(out)}  # two chunks of results (500 domains each)
    env = {"SMTPKIT_LAB_STATE": str(lab_state)}
    first = execute_notebook(path, parameters, cell_timeout=240, env=env)
    assert first.ok, [e.ename + ": " + e.evalue for e in first.errors] + [first.aborted]
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == 2
    kept = sum(int((pd.read_parquet(p)["status"] != "could not check").sum()) for p in parts[:-1])
    parts[-1].unlink()  # the last chunk was never written: the run was stopped before it
    again = execute_notebook(path, parameters | {"resume": True}, cell_timeout=240, env=env)
    assert again.ok, [e.ename + ": " + e.evalue for e in again.errors] + [again.aborted]
    cells = {c.source.splitlines()[0]: c for c in again.notebook.cells if c.cell_type == "code" and c.source}
    summary = _outputs(cells["views.summary(df)"])
    assert f"{kept} of them were kept from the stopped run in the same out (resume)" in summary, summary[:3000]
    assert len(sorted(out.glob("part-*.parquet"))) == len(parts)
    assert "better" in _outputs(cells["earlier = views.earlier_run(previous, domains, options)"])
