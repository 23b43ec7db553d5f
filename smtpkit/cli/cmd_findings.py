"""`smtpkit findings`: look up what a finding code means, or list the catalogue."""

from __future__ import annotations

import argparse
import sys

from smtpkit.cli.common import EXIT_OK, UsageError, add_json_flag, emit_json

EPILOG = """\
examples:
  smtpkit findings                      every code, one line each
  smtpkit findings tls.cert.expired     what it means and how to fix it
  smtpkit findings spf                  every code of one area
  smtpkit findings --markdown > docs/findings.md
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "findings",
        help="explain finding codes (the catalogue)",
        description="Explain finding codes: what each means and how to fix it.",
        epilog=EPILOG,
    )
    p.add_argument("code", nargs="?", help="a code (tls.cert.expired) or an area prefix (tls, spf)")
    p.add_argument("--markdown", action="store_true", help="print docs/findings.md")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from smtpkit.knowledge.catalogue import catalogue, render_markdown

    if args.markdown and args.json:
        raise UsageError("--markdown and --json are two different outputs; choose one")
    cat = catalogue()
    specs = sorted(cat.values(), key=lambda s: s.code)
    if args.code:
        prefix = args.code.rstrip(".")
        specs = [s for s in specs if s.code == prefix or s.code.startswith(prefix + ".")]
        if not specs:
            raise UsageError(f"no finding code is or starts with {args.code!r}; run 'smtpkit findings' for the list")
    if args.markdown:
        sys.stdout.write(render_markdown(specs if args.code else None))
        return EXIT_OK
    if args.json:
        emit_json(
            [
                {
                    "code": s.code,
                    "severity": s.severity.value,
                    "step": s.step,
                    "title": s.title,
                    "explanation": s.explanation,
                    "fix": s.fix,
                    "reference": s.reference,
                    "provider_fixes": dict(s.provider_fixes),
                }
                for s in specs
            ]
        )
        return EXIT_OK
    if args.code and len(specs) <= 3:
        for s in specs:
            print(f"{s.code}  [{s.severity.value}]  step: {s.step}\n  {s.title}\n")
            print(f"  What happened and why: {s.explanation}\n\n  Fix: {s.fix}")
            for provider, fix in sorted(s.provider_fixes.items()):
                print(f"\n  Fix for {provider}: {fix}")
            if s.reference:
                print(f"\n  Reference: {s.reference}")
            print()
        return EXIT_OK
    width = max((len(s.code) for s in specs), default=10)
    for s in specs:
        print(f"{s.code.ljust(width)}  {s.severity.value:<4}  {s.title}")
    if not specs:
        print("(the catalogue is empty)")
    return EXIT_OK
