"""DMARC report ingestion: records per second, files per second, and memory against the resulting DataFrame.

Three measurements in one run, each printed next to the bar it is held to:

1. **records/s**: 1,000,000 generated aggregate-report records (200 XML files of
   5,000 records, drawn from the practice lab's senders) read into the
   `records` table in this one process (one core): the parse (`read_tables`) and
   the whole `load(offline=True)` (plus naming senders and summarising them).
   Bar: >= 50,000 records/s. CPU seconds of this process are shown beside the
   wall-clock ones, because the machine may be shared.
2. **files/s**: a folder of 10,000 small reports (plain XML, ``.xml.gz`` and
   ``.zip`` in turn, five records each) read with `load(offline=True)`.
   Bar: >= 300 files/s.
3. **memory**: the peak of Python allocations (tracemalloc) while the million
   records are read, against ``records.memory_usage(deep=True)`` of the result.
   Bar: below 4x. (tracemalloc slows the run down, so this is a separate pass
   and its time is not reported.)

Everything is generated into a temporary folder and deleted afterwards; nothing
touches the network.

    python benchmarks/reports_ingest.py [--records 1000000] [--per-file 5000] [--files 10000]
"""

from __future__ import annotations

import argparse
import gzip
import io
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from smtpkit.lab.reports import synthetic_report
from smtpkit.reports import load
from smtpkit.reports.ingest import expand_paths
from smtpkit.reports.loader import read_tables

RECORDS_BAR = 50_000
FILES_BAR = 300
MEMORY_BAR = 4.0


def _timed(fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _verdict(ok: bool) -> str:
    return "meets the bar" if ok else "BELOW THE BAR"


def big_folder(folder: Path, records: int, per_file: int) -> int:
    files = max(1, records // per_file)
    for i in range(files):
        (folder / f"bench-{i:05d}.xml").write_bytes(synthetic_report(per_file, seed=i, report_id=f"big-{i}"))
    return files


def small_folder(folder: Path, files: int) -> None:
    for i in range(files):
        xml = synthetic_report(5, seed=i, report_id=f"small-{i}")
        kind = i % 3
        if kind == 0:
            (folder / f"r{i:05d}.xml").write_bytes(xml)
        elif kind == 1:
            (folder / f"r{i:05d}.xml.gz").write_bytes(gzip.compress(xml, mtime=0))
        else:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(f"r{i:05d}.xml", xml)
            (folder / f"r{i:05d}.zip").write_bytes(buf.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=5_000)
    ap.add_argument("--files", type=int, default=10_000)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="smtpkit-bench-") as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        big.mkdir()
        small.mkdir()
        print(f"generating {args.records:,} records in files of {args.per_file:,} and {args.files:,} small files ...")
        n_big = big_folder(big, args.records, args.per_file)
        small_folder(small, args.files)
        files, _ = expand_paths([big])
        mib = sum(f.stat().st_size for f in files) / 2**20

        print(f"\n1. {n_big} files, {mib:.0f} MiB of XML -> the records table (this process, one core)")
        (records, *_rest), wall, cpu = _timed(lambda: read_tables(files))
        n = len(records)
        print(
            f"   parse to DataFrame : {n:,} records in {wall:.2f} s wall ({n / wall:,.0f}/s), {cpu:.2f} s CPU "
            f"({n / cpu:,.0f}/s)  bar {RECORDS_BAR:,}/s: {_verdict(n / cpu >= RECORDS_BAR)}"
        )
        del records
        rs, wall, cpu = _timed(lambda: load(big, offline=True))
        print(
            f"   load(offline=True) : {len(rs.records):,} records in {wall:.2f} s wall ({n / wall:,.0f}/s), "
            f"{cpu:.2f} s CPU ({n / cpu:,.0f}/s), {len(rs.senders)} senders named  "
            f"bar {RECORDS_BAR:,}/s: {_verdict(n / cpu >= RECORDS_BAR)}"
        )
        frame_bytes = int(rs.records.memory_usage(deep=True).sum())
        del rs

        print(f"\n2. {args.files:,} small files (xml, xml.gz, zip in turn; 5 records each) with load(offline=True)")
        rs, wall, cpu = _timed(lambda: load(small, offline=True))
        print(
            f"   {rs.summary()['aggregate_reports']:,} reports, {len(rs.records):,} records in {wall:.2f} s wall "
            f"({args.files / wall:,.0f} files/s), {cpu:.2f} s CPU ({args.files / cpu:,.0f} files/s)  "
            f"bar {FILES_BAR}/s: {_verdict(args.files / cpu >= FILES_BAR)}"
        )
        del rs

        print(f"\n3. memory while reading the {n:,} records (tracemalloc peak; a separate, slower pass)")
        tracemalloc.start()
        try:
            (records, *_rest) = read_tables(files)
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        parsed_bytes = int(records.memory_usage(deep=True).sum())
        ratio = peak / parsed_bytes
        print(
            f"   records DataFrame {parsed_bytes / 2**20:.1f} MiB (load()'s, with the sender column: "
            f"{frame_bytes / 2**20:.1f} MiB); peak {peak / 2**20:.1f} MiB = {ratio:.2f}x  "
            f"bar < {MEMORY_BAR:.0f}x: {_verdict(ratio < MEMORY_BAR)}"
        )


if __name__ == "__main__":
    main()
