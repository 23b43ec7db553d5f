"""Check and tidy the bundled sender map (smtpkit/reports/data/senders.csv): run after editing it.

Every row must be a domain name, have a name, a known type and (optionally) an
``include:`` and an https:// guide; domains must be unique. The file is
rewritten sorted by domain, so a diff shows only what changed. `--check` only
reports (for CI). The map's source and licence: smtpkit/reports/data/README.md.

    python tools/sender_map.py [--check]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

MAP = Path(__file__).resolve().parent.parent / "smtpkit" / "reports" / "data" / "senders.csv"
COLUMNS = ["domain", "name", "type", "spf_include", "docs"]


def problems(rows: list[dict[str, str]]) -> list[str]:
    from smtpkit.reports.senders import DOMAIN_NAME, TYPES

    out: list[str] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, 2):
        domain = row.get("domain", "")
        if not DOMAIN_NAME.match(domain):
            out.append(f"line {n}: {domain!r} is not a lower-case domain name")
        if domain in seen:
            out.append(f"line {n}: {domain} is listed twice")
        seen.add(domain)
        if not row.get("name", "").strip():
            out.append(f"line {n}: {domain} has no name")
        if row.get("type") not in TYPES:
            out.append(f"line {n}: {domain}: type {row.get('type')!r} is not one of {', '.join(TYPES)}")
        include = row.get("spf_include", "")
        if include and (not include.startswith("include:") or " " in include):
            out.append(f"line {n}: {domain}: spf_include {include!r} must be one include:<domain> term")
        docs = row.get("docs", "")
        if docs and not docs.startswith("https://"):
            out.append(f"line {n}: {domain}: docs must be an https:// address")
    return out


def render(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda r: r["domain"]))
    return out.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report problems and whether the file is sorted")
    args = ap.parse_args()
    text = MAP.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    found = problems(rows)
    for line in found:
        print(f"{MAP.name}: {line}", file=sys.stderr)
    tidy = render(rows)
    if args.check:
        if tidy != text:
            print(
                f"{MAP.name}: not sorted or not in the canonical form; run python tools/sender_map.py", file=sys.stderr
            )
        return 1 if found or tidy != text else 0
    if found:
        return 1
    MAP.write_text(tidy, encoding="utf-8")
    print(f"{MAP.name}: {len(rows)} rows, sorted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
