"""From the parser's coded columns to the `records` DataFrame, without a Python object per cell.

The parser (`smtpkit.reports.dmarc`) stores each column as integer codes into
a list of distinct values. Here every column becomes a pandas categorical
directly from those codes; numbers and dates are converted once per distinct
value; and the alignment, which depends only on a handful of columns, is
computed once per distinct combination of them (`dmarc.derive`) and spread to
the rows with numpy. A million records have a few thousand such combinations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from smtpkit.dmarc.alignment import normalize
from smtpkit.reports.dmarc import RECORD_COLUMNS, derive

__all__ = ["build_records", "empty_records"]

Raw = dict[str, tuple[Any, list[Any]]]

_PLAIN = (
    "source",
    "org_name",
    "org_email",
    "report_id",
    "schema",
    "generator",
    "errors",
    "policy_domain",
    "p",
    "sp",
    "np",
    "adkim",
    "aspf",
    "fo",
    "testing",
    "discovery_method",
    "source_ip",
)
# read as written; lower-cased (and trailing dots dropped) here, once per distinct value
_LOWER = ("disposition", "dkim_evaluated", "spf_evaluated", "header_from", "envelope_from", "envelope_to")
# the inputs of the alignment computation, in `derive`'s argument order
_COMBO = ("dkim", "spf", "header_from", "envelope_from", "adkim", "aspf", "dkim_evaluated", "spf_evaluated")
_DERIVED = (
    "dkim_domain",
    "dkim_selector",
    "dkim_result",
    "dkim_signatures",
    "spf_domain",
    "spf_scope",
    "spf_result",
    "spf_aligned",
    "dkim_aligned",
    "failure",
)
_BOOLS = ("spf_aligned", "dkim_aligned")


def _codes(raw: Raw, name: str, rows: int) -> np.ndarray:
    codes = np.frombuffer(raw[name][0], dtype=np.int32) if len(raw[name][0]) else np.empty(0, np.int32)
    if len(codes) != rows:
        raise AssertionError(f"column {name} has {len(codes)} values for {rows} rows")
    return codes


def _categorical(codes: np.ndarray, categories: Sequence[Any]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(categories), dtype=object))


def _recode(codes: np.ndarray, values: Sequence[Any]) -> pd.Categorical:
    """Rows whose code points into `values` (one per old category) as a categorical of those values."""
    new_codes, uniques = pd.factorize(pd.Series(list(values) + [None], dtype=object), use_na_sentinel=True)
    lookup = new_codes.astype(np.int32)  # the appended None is the code -1
    return pd.Categorical.from_codes(lookup[codes], categories=pd.Index(uniques, dtype=object))


def _numbers(codes: np.ndarray, categories: Sequence[str], convert: Callable[[str], float]) -> np.ndarray:
    values = np.array([convert(c) for c in categories] + [math.nan], dtype=float)
    out: np.ndarray = values[codes]
    return out


def _number(text: str) -> float:
    try:
        return float(str(text).strip())
    except ValueError:
        return math.nan


def _epoch(text: str) -> float:
    value = _number(text)
    if not math.isnan(value):
        return value
    stamp = pd.to_datetime(text, utc=True, errors="coerce")  # a reporter that wrote a date instead
    return math.nan if pd.isna(stamp) else float(stamp.timestamp())


def _combine(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(inverse, first row of each combination) for rows grouped by their codes in `arrays`."""
    sizes = [int(a.max(initial=-1)) + 2 for a in arrays]
    if math.prod(sizes) < 2**62:
        key = np.zeros(len(arrays[0]), dtype=np.int64)
        for a, size in zip(arrays, sizes):
            key = key * size + (a.astype(np.int64) + 1)
        inverse, _uniques = pd.factorize(key)
        first = np.unique(inverse, return_index=True)[1]
        return inverse, first
    stacked = np.stack(arrays, axis=1)
    _u, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    return inverse.reshape(-1), first


def build_records(raw: Raw, rows: int) -> pd.DataFrame:
    """The `records` DataFrame from the parser's coded columns (see docs/reports.md for each column)."""
    if rows == 0:
        return empty_records()
    out: dict[str, Any] = {}
    codes = {name: _codes(raw, name, rows) for name in raw}
    cats = {name: raw[name][1] for name in raw}
    for name in _PLAIN:
        out[name] = _categorical(codes[name], cats[name])
    for name in _LOWER:
        out[name] = _recode(codes[name], [normalize(c) or None for c in cats[name]])
    out["count"] = np.nan_to_num(_numbers(codes["count"], cats["count"], _number), nan=0.0).astype(np.int64)
    out["pct"] = pd.array(_numbers(codes["pct"], cats["pct"], _number), dtype="Float64").astype("Int16")
    for name in ("begin", "end"):
        seconds = _numbers(codes[name], cats[name], _epoch)
        out[name] = pd.to_datetime(seconds, unit="s", utc=True, errors="coerce")
    out["reason"] = _recode(codes["reason"], [_reason_text(r) for r in cats["reason"]])
    out["org_domain"] = _recode(codes["header_from"], [_org(h) for h in cats["header_from"]])

    # alignment, once per distinct combination of its inputs
    inverse, first = _combine([codes[name] for name in _COMBO])
    derived: list[tuple[Any, ...]] = []
    for row in first:
        args = [None if codes[n][row] < 0 else cats[n][codes[n][row]] for n in _COMBO]
        derived.append(derive(*args))
    for i, name in enumerate(_DERIVED):
        values = [d[i] for d in derived]
        if name in _BOOLS:
            out[name] = np.array(values, dtype=bool)[inverse]
        else:
            out[name] = _recode(inverse.astype(np.int32), [v or None for v in values])
    out["dmarc_pass"] = out["spf_aligned"] | out["dkim_aligned"]
    dk = np.array([normalize(c) == "pass" for c in cats["dkim_evaluated"]] + [False])[codes["dkim_evaluated"]]
    sp = np.array([normalize(c) == "pass" for c in cats["spf_evaluated"]] + [False])[codes["spf_evaluated"]]
    out["dmarc_pass_reported"] = dk | sp
    return pd.DataFrame({name: out[name] for name in RECORD_COLUMNS})


def _reason_text(reasons: Sequence[tuple[str, str]]) -> str | None:
    parts = [f"{t}: {c}" if t and c else (t or c) for t, c in reasons]
    return "; ".join(p for p in parts if p) or None


def _org(domain: str) -> str | None:
    from smtpkit.dmarc.alignment import org_domain

    return org_domain(domain) or None if domain else None


def empty_records() -> pd.DataFrame:
    """`records` with its columns and dtypes and no rows."""
    frame = pd.DataFrame({name: pd.Categorical([]) for name in RECORD_COLUMNS})
    frame["count"] = frame["count"].astype(np.int64)
    frame["pct"] = pd.array([], dtype="Int16")
    for name in ("begin", "end"):
        frame[name] = pd.to_datetime(pd.Series([], dtype=float), unit="s", utc=True)
    for name in ("spf_aligned", "dkim_aligned", "dmarc_pass", "dmarc_pass_reported"):
        frame[name] = frame[name].astype(bool)
    return frame
