"""Portfolio audit speed against the lab's DNS with realistic latency, every runner measured side by side.

The lab runs in its own process (`smtpkit lab --servers-only --audit-zones N --dns-delay 20ms`), so its DNS
server answers every query 20 ms late, like a real resolver. Measured in one run, on the lab's generated
portfolio (a known mix with 1% dead and 0.5% SERVFAIL domains):

* one domain at a time (`check_domain` in a loop: how a sequential tool works), for reference;
* the in-process runner (the quality bar: >= 100 domains/s);
* a process pool of N processes (bar: >= 0.8 x N x the in-process rate, up to the resolver's limit);
* a Dask LocalCluster of 2 worker processes on 5,000 domains (bar: >= 1.6 x in-process, the same results).

Every phase also says what it cost, so a missed bar can be put down to the code or to the machine: the CPU
the audit used per domain (this process, or the pool's and the cluster's processes), the CPU the lab's DNS
server used per domain (it shares the machine's cores with the audit), how busy the machine's cores were
(other programs included, and the time the hypervisor gave other guests), and how late the lab answered a
probe asking beside the audit. `1000 / CPU ms per domain` is what one core could do for that side alone.
The lab runs at nice -10 where this user may raise its priority, so that it answers 20 ms late however hard
a runner loads the cores (at normal priority it answered in 45 ms while the pool ran). Before and after the
run, pure-CPU work in one process and in N at once says how many cores' worth the machine really gives.

Run: python benchmarks/audit_throughput.py [--domains 5000] [--rounds 2] [--workers N] [--delay 20ms]
[--query-limit 1000]. The lab's DNS server is a resolver of your own, as docs/audit.md asks for at scale, so
the benchmark lets it take 1000 queries at once, and the runners, not the limit, set the pace. With the
audit's own default of 100 (polite to a resolver others share; the pool's processes and Dask's workers
share it) the in-process runner already makes what 100 places let through (about 230 domains/s at 20 ms),
so every runner is held to that rate (measured: 0.97 x); `--query-limit 100` shows it, and the summary
says for each runner what share it made of what the limit lets through.
5,000 domains for every runner by default: the pool's and the cluster's start-up, a second or two of CPU per
process, is then a small part of the run, as in the portfolios they are for. The runners take turns, round
after round, and the medians are compared (and each round's ratio, side by side, with their median): this
machine's speed changes by a quarter from one minute to the next (the CPU one domain costs, same code, same
questions), more than the differences being measured.
For each parallel runner, the summary also says what share it made of what the resolver's limit lets through at
the pace of the run (the pool's bar holds "up to the resolver's limit"; near 100%, the limit holds the rate).
The absolute numbers depend on the machine and on what else runs on it; the ratios are what the bars are about.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from smtpkit.audit import audit
from smtpkit.audit.views import resolver_use
from smtpkit.checks.domain import check_domain
from smtpkit.lab.portfolio import SELECTORS, portfolio
from smtpkit.net.dns import Resolver

VOLATILE = ["checked_at", "seconds"]


LAB_NICE = -10  # the lab's scheduling priority, where this user may raise it (see start_lab)


def _raise_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(LAB_NICE)


def start_lab(size: int, delay: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """The lab in a process of its own, at a higher scheduling priority where allowed.

    Why the priority: the lab stands in for a resolver on another machine that answers 20 ms late. Sharing
    two cores with the audit, at normal priority it answered a probe in 45 ms (median) while a process pool
    ran, against 22 ms during the in-process run: the benchmark measured the lab starved by the runner that
    loads the cores most, not the runner. Each phase prints the lab's latency as a probe saw it.
    """
    cmd = [sys.executable, "-m", "smtpkit", "lab", "--servers-only", "--json", "--audit-zones", str(size)]
    proc = subprocess.Popen(
        cmd + ["--dns-delay", delay],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=_raise_priority,  # noqa: PLW1509 - only os.nice, before exec
    )
    assert proc.stdout is not None
    doc = json.loads(proc.stdout.readline())
    if proc.stdout.readline().strip() != "READY":
        raise SystemExit("the lab did not start")
    return proc, doc


def _machine() -> tuple[int, int, int]:
    """(busy, total, stolen) jiffies of all cores since boot (/proc/stat), whoever used them; stolen: time the
    hypervisor ran other guests on our virtual cores (then our processes wait, and their CPU seems dearer)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    steal = fields[7] if len(fields) > 7 else 0
    return sum(fields) - idle, sum(fields), steal


# A separate process asks the lab one question every 50 ms while a phase runs (a load of 20 questions a second,
# nothing beside the audit's thousand) and prints how late the answers came: the latency the audit saw.
_PROBE = """
import select, socket, statistics, sys, time
import dns.message
host, port = sys.argv[1], int(sys.argv[2])
sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(2)
wire = dns.message.make_query("smtpkit.test", "SOA", use_edns=0).to_wire()
rtts = []
while not select.select([sys.stdin], [], [], 0.05)[0]:
    t = time.perf_counter()
    sock.sendto(wire, (host, port))
    try:
        sock.recvfrom(65535)
        rtts.append(1000 * (time.perf_counter() - t))
    except OSError:
        rtts.append(2000.0)
rtts.sort()
print(f"{statistics.median(rtts):.1f} {rtts[int(0.9 * len(rtts))]:.1f}" if rtts else "nan nan", flush=True)
"""


_SPIN = "x = 0\nfor i in range(8_000_000):\n    x += i * i"


def parallel_capacity(n: int) -> float:
    """How many times one process's pure-CPU work `n` such processes get done at once on this machine: `n` on
    idle, unshared cores; less where the cores are shared with other guests or busy with other programs."""

    def run(k: int) -> float:
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(k)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - t0

    return n * run(1) / run(n)


class LatencyProbe:
    """The lab's answer time during a phase, as a client beside the audit sees it (median, 90th percentile)."""

    def __init__(self, host: str, port: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _PROBE, host, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def stop(self) -> tuple[float, float]:
        out, _ = self.proc.communicate("stop\n", timeout=30)
        median, p90 = (float(x) for x in (out.split() or ["nan", "nan"]))
        return median, p90


def _cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    label: str
    n: int
    seconds: float
    audit_cpu: float  # CPU seconds of the audit (this process, a pool's processes, Dask's workers)
    lab_cpu: float  # CPU seconds of the lab's DNS server
    busy: float  # share of all the machine's cores that were busy (anyone's work)
    stolen: float  # share of the machine's time the hypervisor gave other guests
    lab_ms: tuple[float, float] = (math.nan, math.nan)  # the lab's answer time (median, p90), as probed
    ceiling: float = math.nan  # domains/s the resolver's query_limit let through at most, at this run's pace

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    def line(self) -> str:
        return (
            f"  {self.label:<40} {self.n:>6} in {self.seconds:6.1f} s = {self.rate:6.1f} domains/s"
            f" | audit CPU {1000 * self.audit_cpu / self.n:5.1f} ms/domain,"
            f" lab DNS CPU {1000 * self.lab_cpu / self.n:4.1f} ms/domain,"
            f" cores {100 * self.busy:3.0f}% busy ({100 * self.stolen:.0f}% stolen),"
            f" lab answers in {self.lab_ms[0]:.0f} ms (p90 {self.lab_ms[1]:.0f})"
        )


def measure(
    label: str,
    n: int,
    lab: tuple[int, str, int],
    fn: Callable[[], Any],
    workers_cpu: Callable[[], float] = lambda: 0.0,
) -> tuple[Phase, Any]:
    """Run `fn` and say what it cost; `lab` is the lab's (pid, DNS host, DNS port); `workers_cpu` adds the CPU
    of processes not ours to wait for (Dask's)."""
    lab_pid, host, port = lab
    probe = LatencyProbe(host, port)
    m0, l0, c0, w0 = _machine(), _cpu_of(lab_pid), time.process_time(), workers_cpu()
    running = set(multiprocessing.active_children())  # the Dask cluster's workers, started before
    t0 = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t0
    for child in set(multiprocessing.active_children()) - running:  # a pool's processes still exiting (audit()
        child.join(30)  # does not wait): their CPU is the phase's, and must not slow the next phase down
    m1 = _machine()
    busy = (m1[0] - m0[0]) / max(1, m1[1] - m0[1])
    stolen = (m1[2] - m0[2]) / max(1, m1[1] - m0[1])
    # a pool's processes say what they used: the fork server's processes are not this process's children
    pool_cpu = result.attrs.get("audit", {}).get("pool_cpu_seconds", 0.0) if isinstance(result, pd.DataFrame) else 0
    audit_cpu = time.process_time() - c0 + pool_cpu + workers_cpu() - w0
    lab_cpu = _cpu_of(lab_pid) - l0
    phase = Phase(label, n, seconds, audit_cpu, lab_cpu, busy, stolen, probe.stop())
    print(phase.line(), flush=True)
    if isinstance(result, pd.DataFrame):
        use = resolver_use(result.attrs.get("audit", {}))
        held = ""
        if use is not None:
            held = f"; {use['waited']:.0%} of its queries waited for a query_limit place ({use['mean_wait_ms']:.0f} ms)"
            if "place_seconds" in use:
                held += f"; a domain held places {use['place_seconds']:.2f} s:"
                held += f" {use['limit']} let through at most {use['most_per_second']:.0f}/s"
                phase = dataclasses.replace(phase, ceiling=float(use["most_per_second"]))
        print(f"  {'':<40} status {result['status'].value_counts().to_dict()}{held}", flush=True)
    return phase, result


def same(a: pd.DataFrame, b: pd.DataFrame) -> str:
    """'yes', or why not: which rows differ, and whether only by timeouts (a row that could not be checked
    in one of the runs: the machine or the lab's DNS server did not keep up) or by findings."""
    try:
        pd.testing.assert_frame_equal(a.drop(columns=VOLATILE), b.drop(columns=VOLATILE))
        return "yes"
    except AssertionError as exc:
        why = str(exc).splitlines()[0]
        if len(a) != len(b) or list(a["domain"]) != list(b["domain"]):
            return f"no ({why})"
    differ = (a["codes"].astype(str) != b["codes"].astype(str)) | (a["status"] != b["status"])
    timeouts = differ & ((a["status"] == "could not check") | (b["status"] == "could not check"))
    for row in a[differ & ~timeouts].head(5).itertuples():
        other = b.loc[row.Index]
        print(f"    {row.domain}: {row.status} {list(row.codes)} / {other['status']} {list(other['codes'])}")
    if int(differ.sum()) == 0:
        queries = a["dns_queries"] != b["dns_queries"]
        rest = [*VOLATILE, "dns_queries"]
        if int(queries.sum()) and a.drop(columns=rest).equals(b.drop(columns=rest)):
            unchecked = int((queries & (a["status"] != "checked")).sum())
            return (
                f"the same status, findings and columns but dns_queries, which differs on {int(queries.sum())} rows"
                f" ({unchecked} of them could not be checked)"
            )
        return f"no ({why})"
    if int((differ & ~timeouts).sum()) == 0:
        return f"yes but for {int(timeouts.sum())} rows that timed out in one run only (load)"
    return f"no: {int((differ & ~timeouts).sum())} rows differ in their findings"


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # so the lab and the cluster are stopped on the way out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=5000, help="domains for each runner in each round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of in-process, pool, Dask, one after another")
    parser.add_argument("--sequential", type=int, default=20, help="domains checked one at a time")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--delay", default="20ms")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--query-limit",
        type=int,
        default=1000,
        help="DNS queries in flight at the lab for any runner (shared by a pool's processes and Dask's workers);"
        " default 1000, for a resolver of your own: at the audit's default of 100 the limit, not the runner,"
        " sets the pace",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)

    lab, doc = start_lab(args.domains, args.delay)
    try:
        ns = f"{doc['dns']['host']}:{doc['dns']['port']}"
        lab_ref = (lab.pid, str(doc["dns"]["host"]), int(doc["dns"]["port"]))
        nice = os.getpriority(os.PRIO_PROCESS, lab.pid)
        names = [m.domain for m in portfolio(args.domains, dead=float(doc["dns"].get("timeouts", 0.01)))]
        settings: dict[str, Any] = {
            "nameservers": [ns],
            "selectors": SELECTORS,
            "dns_timeout": 2.0,
            "deadline": 20,
            "concurrency": args.concurrency,
            "query_limit": args.query_limit,
            "progress": False,
        }
        print(
            f"lab DNS {ns}, every answer {args.delay} late; {os.cpu_count()} cores;"
            f" load average {os.getloadavg()[0]:.1f} before the run (other programs on this machine);"
            f" the lab runs at nice {nice}"
            + ("" if nice < 0 else " (this user may not raise its priority: under load its answers come later)")
        )
        before = parallel_capacity(args.workers)
        from smtpkit.audit.engine import forget_caches
        from smtpkit.audit.runners import dask_client

        seq, _ = measure(
            "one domain at a time (check_domain loop)",
            args.sequential,
            lab_ref,
            lambda: [
                check_domain(d, selectors=SELECTORS, resolver=Resolver([ns], timeout=2.0))
                for d in names[: args.sequential]
            ],
        )
        client = dask_client(workers=2)  # the LocalCluster `smtpkit audit --dask --workers 2` starts
        cluster = client.cluster
        rounds: list[tuple[Phase, Phase, Phase]] = []
        sameness: list[tuple[str, str]] = []
        one_df = pd.DataFrame()
        try:
            client.run(lambda: None)  # workers up before the clock starts
            for r in range(1, args.rounds + 1):
                print(f"round {r} of {args.rounds}:")
                forget_caches()  # a cold cache for every runner, as in a fresh process
                one, one_df = measure("in-process runner", args.domains, lab_ref, lambda: audit(names, **settings))
                forget_caches()
                pool, pool_df = measure(
                    f"process pool, {args.workers} processes",
                    args.domains,
                    lab_ref,
                    lambda: audit(names, workers=args.workers, chunk_size=250, **settings),
                )
                client.run(forget_caches)
                dask, dask_df = measure(
                    "Dask LocalCluster, 2 worker processes",
                    args.domains,
                    lab_ref,
                    lambda: audit(names, client=client, chunk_size=250, **settings),
                    lambda: float(sum(client.run(time.process_time).values())),
                )
                rounds.append((one, pool, dask))
                sameness.append((same(pool_df, one_df), same(dask_df, one_df)))
        finally:
            client.close()
            cluster.close()

        capacity = parallel_capacity(args.workers)
        print(
            f"\nthe cores now: {args.workers} processes of pure CPU work got {capacity:.2f} x the work of one done"
            f" ({args.workers} on idle, unshared cores; {before:.2f} x before the run)"
        )
        print(f"\nin-process grades: {one_df['grade'].value_counts().sort_index().to_dict()}")

        def rates(i: int) -> list[float]:
            return [phases[i].rate for phases in rounds]

        def ratios(i: int) -> str:
            # each round's runners ran minutes apart at most: their ratio is side by side, and the median of
            # the rounds' ratios is the paired figure (the ratio of the medians, first, mixes rounds)
            each = [phases[i].rate / phases[0].rate for phases in rounds]
            return ", ".join(f"{x:.2f}" for x in each) + f"; median of the rounds' ratios {statistics.median(each):.2f}"

        one_rate, pool_rate, dask_rate = (statistics.median(rates(i)) for i in range(3))
        pool_same = "yes" if all(p == "yes" for p, _d in sameness) else "; ".join(p for p, _d in sameness)
        dask_same = "yes" if all(d == "yes" for _p, d in sameness) else "; ".join(d for _p, d in sameness)
        print(
            f"\nmeasured side by side in this run, the median of {len(rounds)} rounds"
            " (each round's ratio in brackets; the bar after it):"
        )
        print(
            f"  in-process domains/s          {one_rate:8.1f}     ({', '.join(f'{x:.1f}' for x in rates(0))})  [>= 100]"
        )
        print(f"  vs one domain at a time       {one_rate / seq.rate:8.1f} x")
        print(
            f"  process pool / in-process     {pool_rate / one_rate:8.2f} x   ({ratios(1)})"
            f"  [>= {0.8 * args.workers:.1f} = 0.8 x {args.workers}, up to the resolver's limit];"
            f" same results: {pool_same}"
        )
        print(
            f"  Dask 2 workers / in-process   {dask_rate / one_rate:8.2f} x   ({ratios(2)})  [>= 1.6];"
            f" same results: {dask_same}"
        )
        # "up to the resolver's limit": how near each runner came to what the query limit lets through. Near it,
        # the limit (politeness to one resolver), not the runner, is what holds the rate (--query-limit lifts it).
        for i, name in ((1, "process pool"), (2, "Dask")):
            ceiling = statistics.median(phases[i].ceiling for phases in rounds)
            if ceiling == ceiling:  # known (the runner said how long a domain held its places)
                rate = statistics.median(rates(i))
                print(
                    f"  {name}: {rate:.0f} domains/s = {rate / ceiling:.0%} of the {ceiling:.0f}/s the resolver's"
                    f" limit (--query-limit {args.query_limit}) lets through at this pace"
                )
        one = rounds[-1][0]
        print("\nwhat limits it (CPU per domain; 1000 / that = domains/s one core could do for that side alone):")
        print(
            f"  the audit, in one process: {1000 * one.audit_cpu / one.n:.1f} ms/domain"
            f" -> at most {one.n / one.audit_cpu:.0f} domains/s per core it gets"
        )
        print(
            f"  the lab's DNS server (one Python thread, same cores): {1000 * one.lab_cpu / one.n:.1f} ms/domain"
            f" -> at most {one.n / max(one.lab_cpu, 1e-9):.0f} domains/s"
        )
        cores = os.cpu_count() or 1
        print(
            f"  the machine: {cores} cores, {100 * one.busy:.0f}% busy during the last in-process run (the audit and"
            f" the lab used {100 * (one.audit_cpu + one.lab_cpu) / one.seconds / cores:.0f}% of them);"
            f" load average now {os.getloadavg()[0]:.1f}"
        )
        need = (one.audit_cpu + one.lab_cpu) / one.seconds
        print(
            f"  in-process the audit and the lab together keep {need:.2f} cores busy: a runner can go"
            f" {cores / need:.2f} x faster on {cores} idle cores at most, whatever its number of processes"
        )
        # The cores as this machine gave them: N CPU-bound processes got `capacity` times the work of one, so a
        # runner spending what in-process spends per domain (the audit's and the lab's, the lab's growing with
        # the rate) can go at most capacity / need times faster; less with the start-up and the last timeouts.
        print(
            f"  on the cores as this machine gave them ({args.workers} CPU-bound processes got {before:.2f} x and"
            f" {capacity:.2f} x the work of one, before and after the run): at most"
            f" {min(before, capacity) / need:.2f}-{max(before, capacity) / need:.2f} x"
            " for a runner spending per domain what in-process spends"
        )
    finally:
        lab.terminate()
        lab.wait(20)


if __name__ == "__main__":
    main()
