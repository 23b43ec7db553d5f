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
    """(inverse as int32, first row of each combination) for rows grouped by their codes in `arrays`.

    The codes are folded into one int64 key in place (no temporary per column),
    and `pd.factorize` numbers the combinations in order of first appearance, so
    the first row of each is where the running maximum of the numbers grows.
    """
    sizes = [int(a.max(initial=-1)) + 2 for a in arrays]
    if math.prod(sizes) < 2**62:
        key = arrays[0].astype(np.int64)
        key += 1
        for a, size in zip(arrays[1:], sizes[1:]):
            key *= size
            key += a
            key += 1
        inverse, _uniques = pd.factorize(key)
        del key
    else:  # too many distinct values to fold into 64 bits: sort instead
        _u, inverse = np.unique(np.stack(arrays, axis=1), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(inverse, kind="stable")
        _u, starts = np.unique(inverse[order], return_index=True)
        return inverse.astype(np.int32), order[starts]
    first = np.flatnonzero(np.diff(np.maximum.accumulate(inverse), prepend=-1) > 0)
    return inverse.astype(np.int32), first


class _Codes:
    """Each column's codes: row columns as they are, report columns repeated on demand (not all at once)."""

    def __init__(self, raw: Raw, rows: int, per_report: Raw | None, report_rows: Any) -> None:
        self.rows = {name: _codes(raw, name, rows) for name in raw}
        self.cats = {name: raw[name][1] for name in raw}
        self.reports: dict[str, np.ndarray] = {}
        self.repeat = np.frombuffer(report_rows, dtype=np.int64) if per_report else np.empty(0, np.int64)
        for name, (codes, categories) in (per_report or {}).items():
            self.reports[name] = np.frombuffer(codes, dtype=np.int32) if len(codes) else np.empty(0, np.int32)
            self.cats[name] = categories

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self.rows:
            return self.rows[name]
        return np.repeat(self.reports[name], self.repeat)

    def categorical(self, name: str) -> pd.Categorical:
        if name in self.rows:
            return _categorical(self.rows[name], self.cats[name])
        small = _categorical(self.reports[name], self.cats[name])  # small codes, then repeated
        return pd.Categorical.from_codes(np.repeat(small.codes, self.repeat), categories=small.categories)

    def numbers(self, name: str, convert: Callable[[str], float]) -> np.ndarray:
        if name in self.rows:
            return _numbers(self.rows[name], self.cats[name], convert)
        return np.repeat(_numbers(self.reports[name], self.cats[name], convert), self.repeat)


def build_records(raw: Raw, rows: int, *, per_report: Raw | None = None, report_rows: Any = None) -> pd.DataFrame:
    """The `records` DataFrame from the parser's coded columns (see docs/reports.md for each column).

    `raw` holds one code per row; `per_report` one code per report, repeated
    `report_rows[i]` times (a report's metadata is stored once, not per record).
    """
    if rows == 0:
        return empty_records()
    out: dict[str, Any] = {}
    codes = _Codes(raw, rows, per_report, report_rows)
    cats = codes.cats
    for name in _PLAIN:
        out[name] = codes.categorical(name)
    for name in _LOWER:
        out[name] = _recode(codes[name], [normalize(c) or None for c in cats[name]])
    out["count"] = np.nan_to_num(codes.numbers("count", _number), nan=0.0).astype(np.int64)
    out["pct"] = pd.array(codes.numbers("pct", _number), dtype="Float64").astype("Int16")
    for name in ("begin", "end"):
        out[name] = pd.to_datetime(codes.numbers(name, _epoch), unit="s", utc=True, errors="coerce")
    out["reason"] = _recode(codes["reason"], [_reason_text(r) for r in cats["reason"]])
    out["org_domain"] = _recode(codes["header_from"], [_org(h) for h in cats["header_from"]])

    # alignment, once per distinct combination of its inputs
    inputs = [codes[name] for name in _COMBO]
    inverse, first = _combine(inputs)
    derived: list[tuple[Any, ...]] = []
    for row in first:
        args = [None if a[row] < 0 else cats[n][a[row]] for n, a in zip(_COMBO, inputs)]
        derived.append(derive(*args))
    del inputs
    for i, name in enumerate(_DERIVED):
        values = [d[i] for d in derived]
        if name in _BOOLS:
            out[name] = np.array(values, dtype=bool)[inverse]
        else:
            out[name] = _recode(inverse, [v or None for v in values])
    del inverse
    out["dmarc_pass"] = out["spf_aligned"] | out["dkim_aligned"]
    dk = np.array([normalize(c) == "pass" for c in cats["dkim_evaluated"]] + [False])[codes["dkim_evaluated"]]
    sp = np.array([normalize(c) == "pass" for c in cats["spf_evaluated"]] + [False])[codes["spf_evaluated"]]
    out["dmarc_pass_reported"] = dk | sp
    return pd.DataFrame({name: out[name] for name in RECORD_COLUMNS}, copy=False)


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
