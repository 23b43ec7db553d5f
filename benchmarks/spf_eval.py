"""SPF evaluations per second for a realistic nested record, over the lab DNS server on loopback.

The record looks like a small company's: its own MX and A, a mailbox provider
whose include nests two more, a newsletter service, a CRM with an exists
macro, and -all: 7 of the 10 lookups. Each evaluation asks the DNS server for
real (no cache), so the number measures our evaluator plus a loopback round
trip per query; it is bounded in count and time and talks only to 127.0.0.1.

    python benchmarks/spf_eval.py [--seconds 5] [--max 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import ZoneSet
from smtpkit.net.dns import Resolver
from smtpkit.spf import check_host

DOMAIN = "bench.test"

ZONE = [
    (DOMAIN, "TXT", "v=spf1 mx a include:_spf.mailbox.test include:news.test exists:%{i}._spf.crm.test -all"),
    (DOMAIN, "MX", (10, f"mx1.{DOMAIN}")),
    (DOMAIN, "MX", (20, f"mx2.{DOMAIN}")),
    (DOMAIN, "A", "192.0.2.10"),
    (f"mx1.{DOMAIN}", "A", "192.0.2.11"),
    (f"mx2.{DOMAIN}", "A", "192.0.2.12"),
    ("_spf.mailbox.test", "TXT", "v=spf1 include:_netblocks.mailbox.test include:_netblocks2.mailbox.test ~all"),
    ("_netblocks.mailbox.test", "TXT", "v=spf1 ip4:198.51.100.0/25 ip4:203.0.113.0/26 ip6:2001:db8:100::/40 ~all"),
    ("_netblocks2.mailbox.test", "TXT", "v=spf1 ip4:198.51.100.128/25 ip6:2001:db8:200::/40 ~all"),
    ("news.test", "TXT", "v=spf1 ip4:203.0.113.64/26 ip4:203.0.113.128/25 -all"),
    ("192.0.2.200._spf.crm.test", "A", "127.0.0.2"),
]

# (client address, what it exercises)
CASES = [
    ("192.0.2.11", "pass via mx (early match)"),
    ("198.51.100.200", "pass via a nested include"),
    ("192.0.2.200", "pass via exists (7 lookups)"),
    ("192.0.2.99", "fail: every term evaluated"),
]


def run(seconds: float, max_evals: int) -> None:
    with DnsServer(ZoneSet(ZONE, answer_all=True), "127.0.0.1", 0) as server:
        resolver = Resolver(nameservers=[server.nameserver], timeout=1.0, retries=0)
        print(f"record: {ZONE[0][2]}")
        print(f"{'case':<32} {'result':<8} {'lookups':>7} {'queries':>7} {'evals':>6} {'evals/s':>9} {'median ms':>10}")
        for ip, label in CASES:
            first = check_host(ip, DOMAIN, f"user@{DOMAIN}", resolver=resolver)
            queries = sum(1 for _ in _queries(first.trace))
            times: list[float] = []
            deadline = time.monotonic() + seconds / len(CASES)
            while time.monotonic() < deadline and len(times) < max_evals:
                t0 = time.perf_counter()
                r = check_host(ip, DOMAIN, f"user@{DOMAIN}", resolver=resolver)
                times.append(time.perf_counter() - t0)
                assert r.result == first.result
            total = sum(times)
            print(
                f"{label:<32} {first.result.value:<8} {first.lookups:>7} {queries:>7} {len(times):>6} "
                f"{len(times) / total:>9.0f} {statistics.median(times) * 1000:>10.2f}"
            )


def _queries(node):  # type: ignore[no-untyped-def]
    yield from node.record_queries
    for t in node.terms:
        yield from t.queries
        if t.child is not None:
            yield from _queries(t.child)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="total measuring time (split over the cases)")
    parser.add_argument("--max", type=int, default=20000, help="at most this many evaluations per case")
    args = parser.parse_args()
    run(args.seconds, args.max)


if __name__ == "__main__":
    main()
