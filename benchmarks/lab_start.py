"""How long the practice lab takes to start and stop (every SMTP endpoint and the DNS server).

Notebooks call `smtpkit.lab.ensure_running()` in their first cell, so this is
the wait a person sees before "Run All" shows anything.
Run: python benchmarks/lab_start.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import time

from smtpkit.lab import Lab


def main(rounds: int = 5) -> None:
    starts, stops = [], []
    for _ in range(rounds):
        lab = Lab()
        t0 = time.perf_counter()
        info = lab.start()
        t1 = time.perf_counter()
        lab.stop()
        t2 = time.perf_counter()
        starts.append(t1 - t0)
        stops.append(t2 - t1)
    print(f"endpoints: {len(info.smtp)} SMTP + DNS ({len(info.dns.zones) if info.dns else 0} zones)")
    print(
        f"start: median {statistics.median(starts) * 1000:.0f} ms, max {max(starts) * 1000:.0f} ms over {rounds} rounds"
    )
    print(f"stop:  median {statistics.median(stops) * 1000:.0f} ms, max {max(stops) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
