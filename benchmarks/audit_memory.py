"""Peak memory of a large audit streamed to Parquet (bar: 100,000 domains under 1.5 GB).

Runs ``smtpkit audit FILE --out results.parquet`` as a child process against the lab's generated portfolio
(served by ``smtpkit lab --servers-only --audit-zones N`` in another process) and reads the child's peak
resident memory from the kernel (getrusage of the finished child). While it runs, the child's resident
memory is sampled as its Parquet parts appear, so the output also shows whether memory grows with the
number of domains done (it must not: rows go to disk chunk by chunk, the DNS cache is bounded) or levels
off. Latency does not change memory, so the lab answers at once by default (``--delay 20ms`` to add it).

Run: python benchmarks/audit_memory.py [--domains 100000] [--delay 0] [--chunk-size 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from smtpkit.lab.portfolio import SELECTORS, portfolio


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # so the lab and the audit are stopped on the way out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--delay", default="0")
    parser.add_argument("--chunk-size", type=int, default=1000)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)

    lab = subprocess.Popen(
        [sys.executable, "-m", "smtpkit", "lab", "--servers-only", "--json", "--audit-zones", str(args.domains)]
        + ["--dns-delay", args.delay],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    audit: subprocess.Popen[str] | None = None
    samples: list[tuple[int, float, float]] = []  # (parts written, seconds, resident MB)
    try:
        assert lab.stdout is not None
        doc = json.loads(lab.stdout.readline())
        lab.stdout.readline()  # READY
        ns = f"{doc['dns']['host']}:{doc['dns']['port']}"
        print(f"load average {os.getloadavg()[0]:.1f} before the run ({os.cpu_count()} cores)", flush=True)
        with tempfile.TemporaryDirectory(prefix="smtpkit-audit-memory-") as tmp:
            names = Path(tmp) / "domains.txt"
            dead = float(doc["dns"].get("timeouts", 0.01))
            names.write_text("\n".join(m.domain for m in portfolio(args.domains, dead=dead)) + "\n")
            out = Path(tmp) / "results.parquet"
            cmd = [sys.executable, "-m", "smtpkit", "audit", str(names), "--out", str(out), "--quiet", "--json"]
            cmd += ["--nameserver", ns, "--chunk-size", str(args.chunk_size), "--dns-timeout", "2"]
            for s in SELECTORS:
                cmd += ["--selector", s]
            t0 = time.perf_counter()
            with tempfile.TemporaryFile(mode="w+") as stdout:
                audit = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True)
                total = -(-args.domains // args.chunk_size)
                shown = 0
                while audit.poll() is None:
                    time.sleep(1.0)
                    parts = len(list(out.glob("part-*.parquet"))) if out.is_dir() else 0
                    rss = _rss_mb(audit.pid)
                    if rss is not None:
                        samples.append((parts, time.perf_counter() - t0, rss))
                    if parts >= shown + max(1, total // 10):
                        shown = parts
                        print(f"  {parts:>4}/{total} parts after {samples[-1][1]:6.0f} s: {rss:.0f} MB", flush=True)
                stderr = audit.stderr.read() if audit.stderr else ""
                seconds = time.perf_counter() - t0
                peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
                stdout.seek(0)
                text = stdout.read()
            summary = json.loads(text)["summary"] if text else {"error": stderr[-500:]}
            parts = len(list(out.glob("part-*.parquet")))
            size_mb = sum(p.stat().st_size for p in out.glob("part-*.parquet")) / 1e6
    finally:
        if audit is not None and audit.poll() is None:
            audit.terminate()
            audit.wait(20)
        lab.terminate()
        lab.wait(20)
    print(
        f"{args.domains} domains in {seconds:.0f} s ({args.domains / seconds:.0f} domains/s),"
        f" {parts} Parquet parts, {size_mb:.1f} MB; load average {os.getloadavg()[0]:.1f} after"
    )
    print(f"status: {summary.get('status')}")
    if samples:
        half = [rss for done, _t, rss in samples if done * 2 >= parts]
        first = [rss for done, _t, rss in samples if 0 < done * 2 < parts]
        if half and first:
            print(f"resident memory: at most {max(first):.0f} MB in the first half, {max(half):.0f} MB in the second")
    print(
        f"peak resident memory of the audit process: {peak_mb:.0f} MB  [bar: < 1500 MB]"
        f"  ({peak_mb / 1500:.2f} of the bar)"
    )


if __name__ == "__main__":
    main()
