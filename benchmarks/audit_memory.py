"""Peak memory of a large audit streamed to Parquet (bar: 100,000 domains under 1.5 GB).

Runs ``smtpkit audit FILE --out results.parquet`` as a child process against the lab's generated portfolio
(served by ``smtpkit lab --servers-only --audit-zones N`` in another process) and reads the child's peak
resident memory from the kernel (getrusage of the finished child). Latency does not change memory, so the
lab answers at once by default (``--delay 20ms`` to add it).

Run: python benchmarks/audit_memory.py [--domains 100000] [--delay 0]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smtpkit.lab.portfolio import SELECTORS, portfolio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--delay", default="0")
    parser.add_argument("--chunk-size", type=int, default=1000)
    args = parser.parse_args()

    lab = subprocess.Popen(
        [sys.executable, "-m", "smtpkit", "lab", "--servers-only", "--json", "--audit-zones", str(args.domains)]
        + ["--dns-delay", args.delay],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert lab.stdout is not None
    doc = json.loads(lab.stdout.readline())
    lab.stdout.readline()  # READY
    ns = f"{doc['dns']['host']}:{doc['dns']['port']}"
    try:
        with tempfile.TemporaryDirectory(prefix="smtpkit-audit-memory-") as tmp:
            names = Path(tmp) / "domains.txt"
            names.write_text("\n".join(m.domain for m in portfolio(args.domains)) + "\n")
            out = Path(tmp) / "results.parquet"
            cmd = [sys.executable, "-m", "smtpkit", "audit", str(names), "--out", str(out), "--quiet", "--json"]
            cmd += ["--nameserver", ns, "--chunk-size", str(args.chunk_size), "--dns-timeout", "2"]
            for s in SELECTORS:
                cmd += ["--selector", s]
            t0 = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True)
            seconds = time.perf_counter() - t0
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
            summary = json.loads(done.stdout)["summary"] if done.stdout else {"error": done.stderr[-500:]}
            parts = len(list(out.glob("part-*.parquet")))
            size_mb = sum(p.stat().st_size for p in out.glob("part-*.parquet")) / 1e6
    finally:
        lab.terminate()
        lab.wait(20)
    print(
        f"{args.domains} domains in {seconds:.0f} s ({args.domains / seconds:.0f} domains/s),"
        f" {parts} Parquet parts, {size_mb:.1f} MB"
    )
    print(f"status: {summary.get('status')}")
    print(
        f"peak resident memory of the audit process: {peak_mb:.0f} MB  [bar: < 1500 MB]"
        f"  ({peak_mb / 1500:.2f} of the bar)"
    )


if __name__ == "__main__":
    main()
