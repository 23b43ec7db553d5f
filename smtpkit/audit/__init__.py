"""Audit a portfolio of domains: the domain check for thousands of domains at once, as one table.

>>> import smtpkit
>>> df = smtpkit.audit(["example.com", "example.org"], selectors=["google"])   # doctest: +SKIP
>>> df[["domain", "status", "grade", "codes"]]                                   # doctest: +SKIP

`smtpkit.audit(domains, **options)` returns a pandas DataFrame, one row per
domain, with the columns documented in ``docs/audit.md``. The findings are
`check_domain`'s own, from the same steps; "could not check" (timeout,
SERVFAIL, REFUSED, the per-domain deadline) is a status of its own, never a
failure. The same call runs in this process (default), on a process pool
(`workers=N`) or on Dask (`dask=True` for a LocalCluster, `client=` or
`scheduler=` for an existing cluster), writes Parquet as it goes (`out=`),
and continues an interrupted run (`resume=True`).

This package is also callable (``smtpkit.audit(...)``), so the function and
its package share the one name the issue and the docs use.
"""

from __future__ import annotations

import os
import sys
import time
import types
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from smtpkit.errors import Interrupted, InvalidSettings
from smtpkit.settings.audit import AuditConfig

if TYPE_CHECKING:
    import pandas as pd

    from smtpkit.audit.store import ResultStore

__all__ = ["AuditConfig", "audit", "audit_chunk", "compare", "export", "read_domains", "read_results"]

_CONFIG_FIELDS = {
    "nameservers",
    "selectors",
    "dns_timeout",
    "deadline",
    "concurrency",
    "query_limit",
    "chunk_size",
    "cache_size",
    "probe_mx",
    "probes_per_network",
    "cafile",
    "mta_sts_port",
    "mx_port",
    "allow_private",
    "trust_anchor",
    "trust_ad",
}


def audit(
    domains: str | os.PathLike[str] | Iterable[str],
    *,
    config: AuditConfig | None = None,
    column: str | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    workers: int | None = None,
    dask: bool = False,
    scheduler: str | None = None,
    client: Any = None,
    progress: bool = True,
    **options: Any,
) -> pd.DataFrame:
    """Audit every domain of `domains` and return one row per domain (see ``docs/audit.md``).

    `domains`: a list of names, or a path (text, one domain a line; CSV, by
    `column`). `options` are `AuditConfig` fields (`nameservers`,
    `selectors`, `dns_timeout`, `deadline`, `concurrency`, `query_limit`,
    `chunk_size`, `cache_size`, `probe_mx`, `probes_per_network`, …), or pass
    a ready `config`.
    Runner: this process by default; `workers=N` a process pool of N;
    `dask=True` a new Dask LocalCluster (of `workers` processes), `scheduler`
    or `client` an existing cluster. `out` writes Parquet (or CSV) as chunks
    finish and `resume=True` continues a run into the same `out`.
    `df.attrs["audit"]` holds the run's summary (counts, duplicates skipped,
    time, DNS queries, runner; and on every runner
    `query_waits` and `query_wait_seconds`: the queries that waited for one
    of the `query_limit` places, and how long together; `query_held_seconds`:
    how long queries held a place, together, so `query_limit` divided by it
    per domain asked (`domains_asked`: in this run, valid names) is the most
    domains a second the limit lets through); on a process pool
    `pool_cpu_seconds`, the CPU its processes used, together).

    Raises `InvalidSettings` (with the field and the fix) for settings that
    cannot work and `UnreadableInput` for an input file that cannot be read;
    no domain, however broken, raises.
    """
    from smtpkit.audit.cache import summed
    from smtpkit.audit.domains import read_domains
    from smtpkit.audit.engine import forget_failures
    from smtpkit.audit.runners import chunks, dask_client, progress_bar, run_dask, run_local, run_processes
    from smtpkit.audit.store import ResultStore
    from smtpkit.audit.table import empty, to_frame
    from smtpkit.progress import current

    unknown = sorted(set(options) - _CONFIG_FIELDS)
    if unknown:
        raise InvalidSettings(
            f"smtpkit.audit() got an unknown option {unknown[0]!r};"
            f" the settings are: {', '.join(sorted(_CONFIG_FIELDS))}",
            field=unknown[0],
        )
    if config is not None and options:
        raise InvalidSettings("give either config=AuditConfig(...) or its fields as options, not both", field="config")
    cfg = config or AuditConfig(**options)
    if workers is not None and (isinstance(workers, bool) or not 1 <= int(workers) <= 1024):
        raise InvalidSettings(f"workers: {workers!r} is not a number of processes from 1 to 1024", field="workers")
    if sum(bool(x) for x in (workers and not dask, dask or scheduler or client is not None)) > 1:
        raise InvalidSettings(
            "choose one runner: workers=N (a process pool) or Dask (dask=True, scheduler= or client=)", field="workers"
        )
    if resume and out is None:
        raise InvalidSettings("resume=True continues a run written with out=...: give the same out", field="resume")

    listed = read_domains(domains, column=column)
    store = ResultStore(out) if out is not None else None
    done = store.begin(listed, cfg, resume=resume) if store is not None else set()
    todo = chunks(listed, cfg.chunk_size, done)
    again = store.could_not_check(done) if store is not None and done else []
    tables: list[Any] = []

    def sink(number: int, table: Any) -> None:
        if store is not None:
            store.write_chunk(number, table)
        else:
            tables.append(table)

    forget_failures()  # what failed in a run before this one is asked again (good answers stay, for their TTL)
    started = time.monotonic()
    bar = progress_bar(sum(len(names) for _n, _s, names in todo) + len(again), progress)
    own_client = None
    try:
        if dask or scheduler or client is not None:
            if client is None:
                client = own_client = dask_client(scheduler, workers)
            runner = "dask"
            client.run(forget_failures)  # the workers' caches, kept between runs on a cluster that stays up
            info = run_dask(todo, cfg, sink, bar.update, client)
        elif workers and workers > 1:
            runner = "processes"
            info = run_processes(todo, cfg, sink, bar.update, int(workers))
        else:
            runner = "local"
            asker = current()  # a form's Progress in its worker thread: its Cancel stops the run
            info = run_local(todo, cfg, sink, bar.update, stopped=lambda: asker.cancelled)
        if again and store is not None:
            counts = _ask_again(store, again, cfg, bar.update)
            info = {**info, **summed([{k: v for k, v in info.items() if k in counts}, counts])}
    except KeyboardInterrupt as stopped:
        if store is not None:  # shown alone in a notebook (the command line says it its own way)
            how = "call smtpkit.audit again with the same domains, out and resume=True"
            raise Interrupted(store.resume_note(how)) from stopped
        raise
    finally:
        bar.close()
        if own_client is not None:
            from smtpkit.audit.worker_plugin import closing_quietly

            cluster = own_client.cluster
            with closing_quietly():
                own_client.close()
                if cluster is not None:
                    cluster.close()
    if store is not None:
        store.finish()
        df = store.read()
    elif tables:
        import pyarrow as pa

        df = to_frame(pa.concat_tables(tables)).sort_values("position", kind="stable").reset_index(drop=True)
    else:
        df = empty()
    df.attrs["audit"] = {
        **listed.summary(),
        "runner": runner,
        "resumed_chunks": len(done),
        "resumed_domains": sum(len(listed.names[n * cfg.chunk_size : (n + 1) * cfg.chunk_size]) for n in done)
        - len(again),
        "asked_again": len(again),
        "seconds": round(time.monotonic() - started, 3),
        "status": {str(k): int(v) for k, v in df["status"].value_counts().items()},
        "settings": cfg.to_dict(),
        **info,
    }
    return df


def _ask_again(
    store: ResultStore, again: Sequence[tuple[int, str]], config: AuditConfig, update: Any
) -> dict[str, Any]:
    """Audit again, in this process, the domains a resumed run's kept chunks could not check (`again`:
    (position, name as given)), and put their new rows in place of the old: the timeout or SERVFAIL that
    stopped them is often gone by the time a run is resumed, and keeping them made a resume say "could not
    check" for domains that now answer. Returns the DNS counters of that stream (added to the run's)."""
    from smtpkit.aio import run_sync
    from smtpkit.audit.engine import audit_stream

    rows: list[dict[str, Any]] = []

    def one(row: dict[str, Any]) -> None:
        rows.append(row)
        update(1)

    counts = run_sync(audit_stream(list(again), config, one))
    store.replace_rows(rows, config.chunk_size)
    return counts


def audit_chunk(domains: Sequence[str], config: AuditConfig, *, start: int = 0) -> pd.DataFrame:
    """The unit every runner runs (see `smtpkit.audit.engine.audit_chunk`)."""
    from smtpkit.audit.engine import audit_chunk as run

    return run(domains, config, start=start)


def read_domains(source: Any, *, column: str | None = None) -> Any:
    """A portfolio from a list, a text file or a CSV column (see `smtpkit.audit.domains`)."""
    from smtpkit.audit.domains import read_domains as read

    return read(source, column=column)


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A result written by ``--out`` (Parquet dataset or file, or CSV) as the audit DataFrame."""
    from smtpkit.audit.store import read_results as read

    return read(path)


def compare(old: Any, new: Any) -> pd.DataFrame:
    """What got better and worse between two runs (DataFrames or result paths); see `smtpkit.audit.compare`."""
    from smtpkit.audit.compare import compare as diff

    return diff(old, new)


def export(df: pd.DataFrame, path: str | os.PathLike[str]) -> str:
    """Write an audit DataFrame to one ``.parquet`` or ``.csv`` file (list columns joined with `` | `` in CSV);
    return the path written. ``smtpkit.audit.read_results`` reads either back as the same DataFrame."""
    from pathlib import Path

    from smtpkit.audit.store import csv_frame
    from smtpkit.audit.table import to_arrow

    target = Path(path).expanduser()
    suffix = target.suffix.lower()
    if suffix == ".csv":
        csv_frame(df).to_csv(target, index=False)
    elif suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        pq.write_table(to_arrow(df.to_dict("records")), target)
    else:
        raise InvalidSettings(f"export to {path}: the name must end in .parquet or .csv", field="path")
    return str(target)


class _CallableModule(types.ModuleType):
    """`smtpkit.audit(...)` calls `audit()`, while `smtpkit.audit.engine` stays the package's module."""

    def __call__(self, *args: Any, **kwargs: Any) -> pd.DataFrame:
        return audit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
