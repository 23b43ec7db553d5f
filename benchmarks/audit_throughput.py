"""Portfolio audit speed against the lab's DNS with realistic latency, every runner measured side by side.

The lab runs in its own process (`smtpkit lab --servers-only --audit-zones N --dns-delay 20ms`), so its DNS
server answers every query 20 ms late, like a real resolver, and does not share this process's CPU.
Measured in one run, on the lab's generated portfolio (a known mix with 1% dead and 0.5% SERVFAIL domains):

* one domain at a time (`check_domain` in a loop: how a sequential tool works), for reference;
* the in-process runner (the quality bar: >= 100 domains/s);
* a process pool of N processes (bar: >= 0.8 x N x the in-process rate, up to the resolver's limit);
* a Dask LocalCluster of 2 worker processes on 5,000 domains (bar: >= 1.6 x in-process, the same results).

Run: python benchmarks/audit_throughput.py [--domains 2000] [--dask-domains 5000] [--workers N] [--delay 20ms]
The absolute numbers depend on the machine (and on what else runs on it: the load average is printed);
the ratios are what the bars are about.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

import pandas as pd

import smtpkit
from smtpkit.checks.domain import check_domain
from smtpkit.lab.portfolio import SELECTORS, portfolio
from smtpkit.net.dns import Resolver

VOLATILE = ["checked_at", "seconds"]


def start_lab(size: int, delay: str) -> tuple[subprocess.Popen[str], str]:
    cmd = [
        sys.executable,
        "-m",
        "smtpkit",
        "lab",
        "--servers-only",
        "--json",
        "--audit-zones",
        str(size),
        "--dns-delay",
        delay,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    doc = json.loads(proc.stdout.readline())
    if proc.stdout.readline().strip() != "READY":
        raise SystemExit("the lab did not start")
    return proc, f"{doc['dns']['host']}:{doc['dns']['port']}"


def timed(label: str, n: int, fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    print(f"  {label:<44} {n:>6} domains in {seconds:7.1f} s = {n / seconds:7.1f} domains/s", flush=True)
    return n / seconds, result


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a.drop(columns=VOLATILE), b.drop(columns=VOLATILE))
        return True
    except AssertionError as exc:
        print(f"  (results differ: {str(exc).splitlines()[0]})")
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--dask-domains", type=int, default=5000)
    parser.add_argument("--sequential", type=int, default=20, help="domains checked one at a time")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--delay", default="20ms")
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    size = max(args.domains, args.dask_domains)
    lab, ns = start_lab(size, args.delay)
    try:
        names = [m.domain for m in portfolio(size)]
        settings: dict[str, Any] = {
            "nameservers": [ns],
            "selectors": SELECTORS,
            "dns_timeout": 2.0,
            "deadline": 20,
            "concurrency": args.concurrency,
            "progress": False,
        }
        print(f"lab DNS {ns}, every answer {args.delay} late; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")

        seq_rate, _ = timed(
            "one domain at a time (check_domain loop)",
            args.sequential,
            lambda: [
                check_domain(d, selectors=SELECTORS, resolver=Resolver([ns], timeout=2.0))
                for d in names[: args.sequential]
            ],
        )
        # a fresh process for each runner would be fairer still; a cold cache per run is what matters:
        from smtpkit.audit.engine import forget_caches

        forget_caches()
        one_rate, one = timed(
            "in-process runner", args.domains, lambda: smtpkit.audit(names[: args.domains], **settings)
        )
        forget_caches()
        pool_rate, pool = timed(
            f"process pool, {args.workers} processes",
            args.domains,
            lambda: smtpkit.audit(names[: args.domains], workers=args.workers, chunk_size=250, **settings),
        )
        print(f"  process pool gives the same results: {same(pool, one)}")

        forget_caches()
        base_rate, base = timed(
            "in-process runner (Dask's reference)",
            args.dask_domains,
            lambda: smtpkit.audit(names[: args.dask_domains], **settings),
        )
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1", dashboard_address=None
        )
        client = Client(cluster)
        try:
            client.run(lambda: None)  # workers up before the clock starts
            dask_rate, dask_df = timed(
                "Dask LocalCluster, 2 worker processes",
                args.dask_domains,
                lambda: smtpkit.audit(names[: args.dask_domains], client=client, chunk_size=250, **settings),
            )
        finally:
            client.close()
            cluster.close()
        dask_same = same(dask_df, base)

        status = one["status"].value_counts().to_dict()
        print(f"\nin-process results: {status}; grades {one['grade'].value_counts().sort_index().to_dict()}")
        print("\nmeasured side by side (bar in brackets):")
        print(f"  in-process domains/s          {one_rate:8.1f}   [>= 100]")
        print(f"  vs one domain at a time       {one_rate / seq_rate:8.1f} x")
        print(
            f"  process pool / in-process     {pool_rate / one_rate:8.2f} x"
            f"  [>= {0.8 * args.workers:.1f} = 0.8 x {args.workers}]"
        )
        print(f"  Dask 2 workers / in-process   {dask_rate / base_rate:8.2f} x  [>= 1.6], same results: {dask_same}")
    finally:
        lab.terminate()
        lab.wait(20)


if __name__ == "__main__":
    main()
