"""Bounce reading quality: the extracted per-recipient status code against what each bounce states.

    python benchmarks/bounce_quality.py                       # the shared set (../shared/conformance/messages/bounces)
    python benchmarks/bounce_quality.py --corpus DIR --expect DIR [-v]

Ground truth. For the shared set (71 bounces, the first of each kind from
sisimai's set-of-emails) the expected values are the ones pinned by
tests/evidence/test_bounce_corpus.py. For a larger corpus, point --corpus at
a checkout of sisimai's ``set-of-emails/maildir/bsd`` and --expect at the
``t/`` folder of a sisimai checkout (p5-sisimai): its tests list, per file, the
delivery status code and reply code of every recipient (``'01' => [['5.1.1',
'550', 'userunknown', 1]]``). Neither is downloaded by this script (no
network); it reads the folders you give it.

What is counted, per file (sisimai's conventions):
* "stated" files: every expected code is a real RFC 3463 code. sisimai writes
  ``X.0.9NN`` for codes it derived itself when the bounce states none; such
  files are counted apart ("unstated"), where only the class (5 or 4) and a
  recipient are compared.
* a file matches when the set of expected status codes equals the set the kit
  extracted (recipient order and duplicates ignored).
* every file must give a result without an exception.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smtpkit.evidence.bounce import parse_bounce  # noqa: E402

_ENTRY = re.compile(r"'(\d{2,4})'\s*=>\s*\[((?:\s*\[[^\]]*\],?)+)\s*\]")
_ROW = re.compile(r"\[\s*'([^']*)'\s*,\s*'([^']*)'\s*,\s*'([^']*)'")
_ENGINE = re.compile(r"\$enginename\s*=\s*'([^']+)'")


def sisimai_expectations(tests: Path, corpus: Path) -> dict[Path, list[tuple[str, str, str]]]:
    """file -> [(status, reply, reason)] from sisimai's t/*.t tables."""
    out: dict[Path, list[tuple[str, str, str]]] = {}
    for t in sorted(tests.glob("*.t")):
        src = t.read_text(encoding="utf-8", errors="replace")
        m = _ENGINE.search(src)
        if not m:
            continue
        engine = m.group(1).lower()
        for entry in _ENTRY.finditer(src):
            index = int(entry.group(1))
            rows = [(s, r, why) for s, r, why in _ROW.findall(entry.group(2))]
            for prefix in ("lhost-", "rhost-", ""):
                f = corpus / f"{prefix}{engine}-{index:02d}.eml"
                if f.is_file():
                    out[f] = rows
                    break
    return out


def shared_expectations() -> dict[Path, list[tuple[str, str, str]]]:
    sys.path.insert(0, str(ROOT))
    from tests.evidence.bounce_expectations import EXPECTED, SHARED_BOUNCES

    out: dict[Path, list[tuple[str, str, str]]] = {}
    for name, rows in EXPECTED.items():
        out[SHARED_BOUNCES / name] = [(status, "", "") for _rcpt, status in rows]
    return out


def _pseudo(status: str) -> bool:
    return bool(re.match(r"^[245]\.0\.9\d\d$", status)) or status == ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, help="folder of bounce .eml files (sisimai set-of-emails maildir/bsd)")
    ap.add_argument("--expect", type=Path, help="sisimai's t/ folder with the expected values")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every file that does not match")
    args = ap.parse_args()
    if args.corpus and args.expect:
        expected = sisimai_expectations(args.expect, args.corpus)
        where = f"{args.corpus} with expectations from {args.expect}"
    else:
        expected = shared_expectations()
        where = "the shared set (../shared/conformance/messages/bounces)"
    if not expected:
        print("no expectations found", file=sys.stderr)
        return 2
    stated = matched = unstated = class_ok = errors = not_bounce_ok = 0
    misses: list[str] = []
    started = time.perf_counter()
    for path, rows in sorted(expected.items()):
        try:
            b = parse_bounce(path.read_bytes())
        except Exception:
            errors += 1
            misses.append(f"{path.name}: EXCEPTION {traceback.format_exc(limit=2)}")
            continue
        want = {s for s, _r, _w in rows}
        got = {r.status for r in b.recipients if r.status}
        if any(w in ("feedback", "vacation", "delivered") for _s, _r, w in rows) and not b.is_bounce:
            not_bounce_ok += 1
            continue
        if all(not _pseudo(s) for s in want):
            stated += 1
            if want == got:
                matched += 1
            else:
                misses.append(f"{path.name}: want {sorted(want)} got {sorted(got)} ({b.kind}, {b.writer})")
        else:
            unstated += 1
            classes = {s[0] for s in want if s}
            if b.recipients and classes <= {
                r.status[0] if r.status else r.action[:1].replace("f", "5").replace("d", "4") for r in b.recipients
            }:
                class_ok += 1
            elif not b.recipients:
                misses.append(f"{path.name}: (unstated {sorted(want)}) no recipient found ({b.kind}: {b.problem})")
    elapsed = time.perf_counter() - started
    print(f"corpus: {where}")
    print(f"files: {len(expected)} in {elapsed:.2f} s ({len(expected) / elapsed:.0f} files/s), exceptions: {errors}")
    print(
        f"status stated by the bounce: {stated} files, extracted status matches in {matched}"
        f" = {100.0 * matched / max(1, stated):.1f}%"
    )
    print(f"status not stated (sisimai derived X.0.9NN or none): {unstated} files, class+recipient in {class_ok}")
    if not_bounce_ok:
        print(f"recognised as not a bounce (feedback report, auto-reply, delivered): {not_bounce_ok}")
    if args.verbose:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
