"""How fast the `smtpkit` command line is, as whole-process ratios against plain Python (issue 8 §5).

Two pairs, each run alternately in one go (so both sides see the same machine
load) and compared by their medians:

* ``smtpkit check 127.0.0.1 --json`` doing STARTTLS and AUTH PLAIN against the
  practice lab's submission server, against a minimal Python script doing the
  same STARTTLS and AUTH PLAIN with `smtplib` and a verifying SSL context.
  Target: at most 1.5 times the script.
* ``smtpkit --help`` against ``python -c pass``. Target: at most 1.3 times that
  plus 30 ms.

The lab runs in this process on loopback; nothing else is contacted.
Run: python benchmarks/cli_startup.py [ROUNDS]   (at least 7; default 9)

Both sides run with their bytecode cached, as an installed package's is (pip
compiles it at install time): the runs write it to a temporary
PYTHONPYCACHEPREFIX, which the warm-up runs fill, and not into the source tree.
Without a cache (PYTHONDONTWRITEBYTECODE=1 on a checkout that has none) every
run would compile each imported module from source, which measures the
compiler rather than the command line.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from smtpkit.lab import Lab

SMTPLIB_SCRIPT = """\
import os, smtplib, ssl, sys
host, port, cafile, user = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
context = ssl.create_default_context(cafile=cafile)
with smtplib.SMTP(host, port, timeout=10) as smtp:
    smtp.starttls(context=context)
    smtp.ehlo()
    smtp.user, smtp.password = user, os.environ["BENCH_PASSWORD"]
    code, _ = smtp.auth("PLAIN", smtp.auth_plain)
    assert code == 235, code
"""


def smtpkit_command() -> list[str]:
    """The `smtpkit` console script next to this Python (what people run), or ``python -m smtpkit``."""
    script = Path(sys.executable).with_name("smtpkit")
    if script.exists():
        return [str(script)]
    found = shutil.which("smtpkit")
    return [found] if found else [sys.executable, "-m", "smtpkit"]


def timed(argv: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout.decode()}{proc.stderr.decode()}")
    return elapsed


def alternate(a: Sequence[str], b: Sequence[str], env: dict[str, str], rounds: int) -> tuple[float, float]:
    """Medians of `a` and `b`, run in turn (a first on even rounds, b first on odd ones), after one warm-up each."""
    timed(a, env)
    timed(b, env)
    times_a: list[float] = []
    times_b: list[float] = []
    for i in range(rounds):
        first, second = ((a, times_a), (b, times_b)) if i % 2 == 0 else ((b, times_b), (a, times_a))
        first[1].append(timed(first[0], env))
        second[1].append(timed(second[0], env))
    return statistics.median(times_a), statistics.median(times_b)


def main(rounds: int = 9) -> int:
    rounds = max(7, rounds)
    password = "bench-" + os.urandom(6).hex()
    smtpkit = smtpkit_command()
    ok = True
    with Lab(password=password) as info, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, BENCH_PASSWORD=password, PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("SMTPKIT_LAB_STATE", None)
        ep = info.endpoint("submission")
        script = Path(tmp) / "smtplib_auth.py"
        script.write_text(SMTPLIB_SCRIPT)
        plain = [sys.executable, str(script), "127.0.0.1", str(ep.port), info.ca_file, info.user]
        check = [
            *smtpkit,
            "check",
            "127.0.0.1",
            "--port",
            str(ep.port),
            "--security",
            "starttls",
            "--cafile",
            info.ca_file,
            "--user",
            info.user,
            "--password-env",
            "BENCH_PASSWORD",
            "--auth-mech",
            "PLAIN",
            "--json",
        ]
        base, ours = alternate(plain, check, env, rounds)
        ratio = ours / base
        met = ratio <= 1.5
        ok &= met
        print(f"smtpkit check (STARTTLS + AUTH PLAIN) vs smtplib script, median of {rounds} alternating runs:")
        print(f"  smtplib {base * 1000:.0f} ms, smtpkit {ours * 1000:.0f} ms: ratio {ratio:.2f} (target <= 1.5) "
              f"{'met' if met else 'NOT MET'}")  # fmt: skip

        base, ours = alternate([sys.executable, "-c", "pass"], [*smtpkit, "--help"], env, rounds)
        limit = 1.3 * base + 0.030
        met = ours <= limit
        ok &= met
        print(f"smtpkit --help vs python -c pass, median of {rounds} alternating runs:")
        print(f"  python {base * 1000:.0f} ms, smtpkit {ours * 1000:.0f} ms: ratio {ours / base:.2f}, "
              f"limit 1.3 x python + 30 ms = {limit * 1000:.0f} ms {'met' if met else 'NOT MET'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 9))
