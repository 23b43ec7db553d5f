"""How long `check_ports` takes against the practice lab, compared with its timeout.

The matrix probes every port twice (STARTTLS and implicit TLS) concurrently,
so its cost should be about one timeout however many ports are silent or
filtered; probing them one after another would cost the sum. This runs the
matrix over the lab's healthy, implicit-TLS, refusing, silent and broken
ports plus one filtered port (a listener with a full backlog), several times
at a few timeouts, and prints the measurements next to the sequential worst
case. Everything stays on 127.0.0.1.

    python benchmarks/ports_matrix.py [--timeouts 1,2,4] [--runs 3]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import time

from smtpkit import check_ports
from smtpkit.lab import Lab

NAMES = ("submission", "implicit_tls", "mx", "refusing", "silent", "self_signed", "expired_cert", "starttls_required")


class FullBacklog:
    """A port whose accept queue is full: connection attempts get no answer (a filtering firewall)."""

    def __enter__(self) -> int:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.fillers = []
        for _ in range(8):
            s = socket.socket()
            s.settimeout(0.2)
            try:
                s.connect(("127.0.0.1", self.port))
            except OSError:
                s.close()
                break
            self.fillers.append(s)
        return self.port

    def __exit__(self, *exc: object) -> None:
        for s in self.fillers:
            s.close()
        self.sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeouts", default="1,2,4", help="comma-separated timeouts in seconds (default 1,2,4)")
    parser.add_argument("--runs", type=int, default=3, help="runs per timeout (default 3)")
    args = parser.parse_args()
    timeouts = [float(t) for t in args.timeouts.split(",") if t]
    with Lab() as lab, FullBacklog() as filtered:
        ports = [lab.endpoint(n).port for n in NAMES if n in lab.names] + [filtered]
        probes = len(ports) * 2
        print(
            f"{len(ports)} ports x 2 modes = {probes} probes (lab: {', '.join(n for n in NAMES if n in lab.names)}, + 1"
            " filtered)"
        )
        print(
            f"{'timeout':>8}  {'runs':>4}  {'min s':>7}  {'median s':>8}  {'max s':>7}  {'x timeout':>9} "
            f" {'sequential worst case s':>23}"
        )
        for timeout in timeouts:
            times = []
            for _ in range(args.runs):
                start = time.monotonic()
                matrix = check_ports("127.0.0.1", ports, timeout=timeout, cafile=lab.ca_file)
                times.append(time.monotonic() - start)
            # silent and filtered ports cost a full timeout in each mode when probed one by one
            slow = sum(1 for r in matrix.results if r.reachable != "refused" and r.best_mode == "none") * 2
            print(
                f"{timeout:>8.1f}  {args.runs:>4}  {min(times):>7.2f}  {statistics.median(times):>8.2f} "
                f" {max(times):>7.2f}  {max(times) / timeout:>9.2f}  {slow * timeout:>23.1f}"
            )
        print("recommendation:", matrix.recommendation.get("summary"))


if __name__ == "__main__":
    main()
