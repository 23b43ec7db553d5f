"""Audit results on disk: Parquet, one file per chunk of domains, so a long run survives and resumes.

``--out results.parquet`` is a Parquet dataset directory (what pandas, pyarrow,
Dask and Spark all read as one table): ``part-00000.parquet``, ``part-00001…``,
one per chunk of `chunk_size` domains in input order, each written whole
(to a temporary name, then renamed) as soon as its last domain is done, and a
``_smtpkit_audit.json`` manifest saying which input and which settings the
parts belong to. After a crash or Ctrl-C, ``--resume`` checks the manifest
against the new command (same input, same chunk size, same result-changing
settings) and audits only the chunks without a file. ``--out results.csv``
keeps the same parts next to it (``results.csv.parts/``) and writes the CSV
from them at the end; in CSV, list columns are joined with `` | ``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtpkit import __version__
from smtpkit.audit.domains import DomainList
from smtpkit.audit.row import COLUMNS, NAMES
from smtpkit.audit.table import missing_column, schema, to_frame
from smtpkit.errors import InvalidSettings
from smtpkit.render.plural import counted
from smtpkit.settings.audit import AuditConfig

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

MANIFEST = "_smtpkit_audit.json"
LIST_SEPARATOR = " | "
_PART = "part-{:05d}.parquet"


class StoreError(InvalidSettings):
    """The output cannot be used as asked (exists, belongs to another run, unreadable): the `out` setting."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="out")


def _fmt(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq", "") or path.is_dir():
        return "parquet"
    raise StoreError(f"--out {path}: the name must end in .parquet or .csv, which says the format to write")


class ResultStore:
    """The chunk files and manifest of one run (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self.format = _fmt(self.path)
        self.parts = self.path if self.format == "parquet" else self.path.with_name(self.path.name + ".parts")

    def __repr__(self) -> str:
        return f"ResultStore({str(self.path)!r}, {self.format})"

    def _manifest(self, domains: DomainList, config: AuditConfig) -> dict[str, Any]:
        return {
            "smtpkit": __version__,
            "input": domains.fingerprint(),
            "domains": len(domains),
            "chunk_size": config.chunk_size,
            "settings": config.results_key(),
            "columns": list(NAMES),
        }

    def _ours(self, directory: Path) -> bool:
        return all(p.name == MANIFEST or p.name.startswith(("part-", ".part-")) for p in directory.iterdir())

    def begin(self, domains: DomainList, config: AuditConfig, *, resume: bool = False) -> set[int]:
        """Prepare the output; return the chunk numbers already done (only when resuming)."""
        wanted = self._manifest(domains, config)
        if resume:
            return self._resume(wanted)
        if self.parts.is_file():
            if not _is_result_file(self.parts):
                raise StoreError(f"{self.parts} exists and is not an audit result; choose another --out")
            self.parts.unlink()  # an older single-file result under the same name: replaced by the dataset
        elif self.parts.is_dir():
            if not self._ours(self.parts):
                raise StoreError(
                    f"{self.parts} is a directory with files that are not audit results; choose another --out"
                )
            shutil.rmtree(self.parts)
        try:
            self.parts.mkdir(parents=True)
            (self.parts / MANIFEST).write_text(json.dumps(wanted, indent=1), encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"cannot write {self.parts}: {exc.strerror or exc}") from None
        return set()

    def _resume(self, wanted: dict[str, Any]) -> set[int]:
        try:
            had = json.loads((self.parts / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise StoreError(
                f"resume: {self.parts} holds no audit run to continue (no readable {MANIFEST}); run without"
                " resume (--resume) to start one"
            ) from None
        for key, what in (
            ("input", "a different list of domains"),
            ("chunk_size", "another chunk size"),
            ("settings", "other settings (selectors, DNS servers, timeouts or probe_mx)"),
        ):
            if had.get(key) != wanted[key]:
                raise StoreError(
                    f"resume: the results in {self.parts} were made from {what}, so this run cannot continue them."
                    " Give the same domains and settings again, or start a new run without resume (--resume): it"
                    " replaces them"
                )
        done = set()
        for part in self.parts.glob("part-*.parquet"):
            try:
                import pyarrow.parquet as pq

                pq.read_metadata(part)
                done.add(int(part.name[5:10]))
            except (OSError, ValueError):
                part.unlink(missing_ok=True)  # half-written by a crash: do it again
        return done

    def write_chunk(self, index: int, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        final = self.parts / _PART.format(index)
        temporary = self.parts / ("." + final.name)
        pq.write_table(table.cast(schema()), temporary)
        os.replace(temporary, final)

    def could_not_check(self, done: set[int]) -> list[tuple[int, str]]:
        """(position, name as given) of every row of the kept chunks `done` that could not be checked: a resume
        asks them again (a timeout or a SERVFAIL is often gone by then), not only the chunks never written."""
        import pyarrow.parquet as pq

        from smtpkit.audit.row import COULD_NOT_CHECK

        out: list[tuple[int, str]] = []
        for number in sorted(done):
            part = self.parts / _PART.format(number)
            try:
                rows = pq.read_table(part, columns=["position", "input", "status"]).to_pylist()
            except (OSError, ValueError, KeyError):
                continue  # unreadable parts were removed by begin(); a part without these columns is kept as is
            out += [(int(r["position"]), str(r["input"])) for r in rows if r["status"] == COULD_NOT_CHECK]
        return out

    def replace_rows(self, rows: list[dict[str, Any]], chunk_size: int) -> None:
        """Put `rows` (asked again) in place of the rows of the same positions in their chunks' parts; each part
        is rewritten whole and atomically, so a run stopped here leaves every part as it was or as it is now."""
        import pyarrow.parquet as pq

        from smtpkit.audit.table import complete, to_arrow

        by_chunk: dict[int, dict[int, dict[str, Any]]] = {}
        for row in rows:
            by_chunk.setdefault(int(row["position"]) // chunk_size, {})[int(row["position"])] = row
        for number, fresh in sorted(by_chunk.items()):
            part = self.parts / _PART.format(number)
            old = complete(pq.read_table(part)).to_pylist()
            self.write_chunk(number, to_arrow([fresh.get(int(r["position"]), r) for r in old]))

    def chunk_files(self) -> list[Path]:
        return sorted(self.parts.glob("part-*.parquet"))

    def resume_note(self, how: str) -> str:
        """What a run stopped part-way (Ctrl-C, a kernel interrupted) left here, and `how` to continue it: people
        stop a long run and must know that it was not lost."""
        try:
            chunks, rows, total = self.saved()
        except (OSError, ValueError):
            return f"the results written so far are in {self.path}; {how} to continue"
        if not chunks:
            return f"no chunk of results was complete yet, so {self.path} holds none: run it again to start over"
        of = f" of {total:,}" if total else ""
        return (
            f"{counted(chunks, 'chunk')} of results ({rows:,}{of} domains) {'is' if chunks == 1 else 'are'} saved in"
            f" {self.path}; {how} to continue where"
            " it stopped (the domains of unfinished chunks, and those that could not be checked, are audited again)"
        )

    def saved(self) -> tuple[int, int, int | None]:
        """What a run stopped part-way left here: (chunks written, their domains, the run's domains or None when
        its manifest cannot be read); what `--resume` will keep."""
        import pyarrow.parquet as pq

        chunks = rows = 0
        for part in self.chunk_files():
            try:
                rows += pq.read_metadata(part).num_rows
                chunks += 1
            except (OSError, ValueError):
                continue  # half-written: done again on resume
        try:
            total = int(json.loads((self.parts / MANIFEST).read_text(encoding="utf-8"))["domains"])
        except (OSError, ValueError, KeyError, TypeError):
            total = None
        return chunks, rows, total

    def tables(self) -> Iterator[pa.Table]:
        import pyarrow.parquet as pq

        for part in self.chunk_files():
            yield pq.read_table(part)

    def finish(self) -> None:
        """Write the CSV from the parts (a Parquet output is complete already)."""
        if self.format != "csv":
            return
        temporary = self.path.with_name("." + self.path.name + ".tmp")
        with temporary.open("w", encoding="utf-8", newline="") as out:
            first = True
            for table in self.tables():
                csv_frame(to_frame(table)).to_csv(out, header=first, index=False)
                first = False
            if first:
                csv_frame(to_frame(schema().empty_table())).to_csv(out, index=False)
        os.replace(temporary, self.path)

    def read(self) -> pd.DataFrame:
        return read_results(self.parts)


def _is_result_file(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        return missing_column(pq.read_schema(path).names) is None
    except (OSError, ValueError):
        return False


def csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The audit frame with list columns joined for CSV."""
    out = df.copy()
    for column in COLUMNS:
        if column.kind == "list":
            out[column.name] = [LIST_SEPARATOR.join(v) for v in out[column.name]]
    return out


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """An audit result as written by `smtpkit audit --out`: a Parquet dataset or file, or a CSV."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Path(path).expanduser()
    try:
        if p.suffix.lower() == ".csv" and p.is_file():
            raw = pd.read_csv(p, dtype=str, keep_default_na=False)
            missing = missing_column(raw.columns)
            if missing:
                raise StoreError(f"{p} is not an audit result: no column {missing!r}")
            rows = raw.to_dict("records")
            for row in rows:
                for column in COLUMNS:
                    row[column.name] = _from_csv(column.kind, row.get(column.name, ""), column.name)
            table = pa.Table.from_pylist(rows, schema=schema())
        elif p.is_dir():
            parts = sorted(p.glob("part-*.parquet"))
            tables = [pq.read_table(part) for part in parts]
            # parts resumed from an earlier smtpkit may lack a column added since (filled as empty)
            table = pa.concat_tables(tables, promote_options="default") if tables else schema().empty_table()
        else:
            table = pq.read_table(p)
    except FileNotFoundError:
        raise StoreError(f"{p}: no such file or directory") from None
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"cannot read {p} as audit results: {exc}") from None
    missing = missing_column(table.column_names)
    if missing:
        raise StoreError(f"{p} is not an audit result: no column {missing!r}")
    return to_frame(table).sort_values("position", kind="stable").reset_index(drop=True)


_NEVER_EMPTY = {"input", "status", "status_reason"}  # text columns that are "" rather than missing


def _from_csv(kind: str, text: str, name: str = "") -> Any:
    if text == "":
        return [] if kind == "list" else "" if name in _NEVER_EMPTY else None
    if kind == "list":
        return text.split(LIST_SEPARATOR)
    if kind == "int":
        return int(float(text))
    if kind == "float":
        return float(text)
    if kind == "bool":
        return text.strip().lower() in ("true", "1", "yes")
    if kind == "time":
        import pandas as pd

        return pd.Timestamp(text).to_pydatetime()
    return text
