"""Reports beyond one process: parse files on a Dask cluster, or build a Dask DataFrame partitioned by file.

Two ways, both one task per input file (`smtpkit.reports.parse_file`, a pure,
picklable function of a path), so any Dask scheduler runs them: a
``LocalCluster`` on this machine or an existing cluster's address, the same
runners the bulk audit uses.

* ``load(paths, client=client)``: the files are parsed on the cluster's
  workers and the tables come back here, de-duplicated across files, into an
  ordinary `ReportSet` (for folders that fit in memory once parsed but take
  long to parse).
* `to_dask(paths)`: a lazy Dask DataFrame of the records, one partition per
  file, for folders larger than memory; aggregate it with Dask
  (``ddf.groupby("source_ip")["count"].sum().compute()``).

Dask is optional (``pip install smtpkit[dask]``); without it these raise
`smtpkit.errors.InvalidSettings` saying so.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtpkit.reports.ingest import Limits, Problem, expand_paths
from smtpkit.reports.loader import FileResult, parse_file

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_tables_on", "to_dask"]


def _dask() -> Any:
    from smtpkit.errors import InvalidSettings

    try:
        import dask.dataframe as dd
    except ImportError:
        raise InvalidSettings(
            "reading reports with Dask needs the optional dask package: pip install 'smtpkit[dask]'", field="client"
        ) from None
    return dd


def _key(org: Any, email: Any, report_id: Any) -> tuple[str, str]:
    name = org if isinstance(org, str) and org else email if isinstance(email, str) else ""
    return (name.strip().lower(), str(report_id or "").strip())


def read_tables_on(
    client: Any, files: Iterable[str | os.PathLike[str]], limits: Limits | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Parse every file on `client`'s workers; the same tables (and duplicates rule) as reading them here."""
    import pandas as pd

    from smtpkit.reports.columns import empty_records

    _dask()
    paths = [str(f) for f in files]
    futures = client.map(parse_file, paths, limits=limits, pure=False)
    seen: set[tuple[str, str]] = set()
    seen_tls: set[tuple[str, str]] = set()
    records, policies, failures, problems = [], [], [], []
    for path, future in zip(paths, futures):  # in file order, so "first copy wins" as in load()
        result: FileResult = future.result()
        problems.extend(result.problems)
        rec = result.records
        if len(rec):
            keys = [_key(o, e, r) for o, e, r in zip(rec["org_name"], rec["org_email"], rec["report_id"])]
            dup = [k in seen for k in keys]
            for k in sorted(set(k for k, d in zip(keys, dup) if d)):
                problems.append(Problem(path, "duplicate", f"report {k[1]} from {k[0]} was already read: counted once"))
            seen.update(keys)
            records.append(rec[[not d for d in dup]])
        tls = result.tls
        if len(tls):
            keys = [(str(o).lower(), str(r)) for o, r in zip(tls["org_name"], tls["report_id"])]
            fresh = [k not in seen_tls for k in keys]
            seen_tls.update(keys)
            policies.append(tls[fresh])
            fkeys = {k for k, f in zip(keys, fresh) if f}
            fail = result.tls_failures
            keep = [(str(o).lower(), str(r)) in fkeys for o, r in zip(fail["org_name"], fail["report_id"])]
            failures.append(fail[keep])
    frame = empty_records() if not records else _categorise(pd.concat(records, ignore_index=True))
    if not policies:
        from smtpkit.reports.tlsrpt import TlsTable

        tls_frame, fail_frame = TlsTable().frames()
    else:
        tls_frame = pd.concat(policies, ignore_index=True)
        fail_frame = pd.concat(failures, ignore_index=True)
    return frame, tls_frame, fail_frame, problems


def _categorise(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns that were categorical in every part again categorical (concat turns differing categories to object)."""
    from smtpkit.reports.columns import empty_records

    template = empty_records()
    for name in frame.columns:
        if str(template[name].dtype) == "category" and str(frame[name].dtype) != "category":
            frame[name] = frame[name].astype("category")
    return frame


def _partition(path: str, limits: Limits | None) -> pd.DataFrame:
    """One file's records with plain string columns (every partition then has the same dtypes)."""
    frame = parse_file(path, limits).records
    return _plain(frame)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if str(out[name].dtype) == "category":
            out[name] = out[name].astype(object)
    out["file"] = out["source"].astype(object).map(lambda s: str(s).split(" › ", 1)[0])
    return out


def to_dask(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    limits: Limits | None = None,
    dedupe: bool = True,
) -> Any:
    """The records under `paths` as a lazy ``dask.dataframe.DataFrame``, one partition per file.

    Columns as in `ReportSet.records` (docs/reports.md), text columns as plain
    strings, plus ``file``. Problems are not collected here (use `load` or
    `parse_file` for them). With `dedupe`, a report delivered in two files is
    counted once (a shuffle on the record's identity, so it also works beyond
    memory). Nothing is read until you compute.
    """
    dd = _dask()
    from smtpkit.reports.columns import empty_records

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files, _problems = expand_paths(paths)
    meta = _plain(empty_records())
    if not files:
        return dd.from_pandas(meta, npartitions=1)
    ddf = dd.from_map(_partition, [str(Path(f)) for f in files], limits=limits, meta=meta, enforce_metadata=False)
    if dedupe:
        identity = [c for c in meta.columns if c not in ("source", "file")]  # the same record read from two files
        ddf = ddf.drop_duplicates(subset=identity, split_out=ddf.npartitions)
    return ddf
