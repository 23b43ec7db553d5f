"""The audit table's one schema: rows -> Arrow -> pandas, the same way in every runner and from Parquet.

A DataFrame built from a list of dicts guesses its dtypes from the values, so
a chunk whose `dmarc_pct` happens to be all empty would come out as floats and
another as integers, and a resumed run could not be concatenated with the
first. Every path here goes through the Arrow schema made from `COLUMNS`
instead: pandas' nullable dtypes (Int64, boolean, string), UTC timestamps, and
Python lists in the list columns, whether the rows were just computed, came
back from a worker process or Dask, or were read from Parquet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from smtpkit.audit.row import ADDED_LATER, COLUMNS, NAMES

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


def schema() -> pa.Schema:
    import pyarrow as pa

    kinds = {
        "str": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "list": pa.list_(pa.string()),
        "time": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([pa.field(c.name, kinds[c.kind]) for c in COLUMNS])


def to_arrow(rows: Iterable[dict[str, Any]]) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pylist([{name: row.get(name) for name in NAMES} for row in rows], schema=schema())


def _types(arrow_type: pa.DataType) -> Any:
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_string(arrow_type):
        return pd.StringDtype()
    if pa.types.is_int64(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def missing_column(names: Iterable[str]) -> str | None:
    """The first audit column that results with these column `names` lack (None: they are audit results)."""
    have = set(names)
    return next((n for n in NAMES if n not in have and n not in ADDED_LATER), None)


def complete(table: pa.Table) -> pa.Table:
    """An Arrow table that has (at least) the audit columns, but for those an earlier smtpkit did not write
    (`ADDED_LATER`: added empty), with exactly the audit columns in the audit schema."""
    import pyarrow as pa

    for name in ADDED_LATER - set(table.column_names):
        table = table.append_column(name, pa.nulls(len(table), schema().field(name).type))
    return table.select(list(NAMES)).cast(schema())


def to_frame(table: pa.Table) -> pd.DataFrame:
    """The audit DataFrame of an Arrow table that has (at least) the audit columns (see `complete`)."""
    df = complete(table).to_pandas(types_mapper=_types)
    for column in COLUMNS:
        if column.kind == "list":
            df[column.name] = [list(v) if v is not None else [] for v in df[column.name]]
    return df


def frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows (dicts with the audit columns) as the audit DataFrame, ordered by input position."""
    df = to_frame(to_arrow(rows))
    return df.sort_values("position", kind="stable").reset_index(drop=True)


def empty() -> pd.DataFrame:
    return frame([])
