"""`smtpkit reports`: DMARC aggregate and TLS-RPT reports -> who fails, why, the fix, and what p=reject would break."""

from __future__ import annotations

import argparse
import sys

from smtpkit.cli.common import UsageError, add_json_flag, add_nameserver_flag

EPILOG = """\
examples:
  smtpkit reports ~/dmarc-reports/                   a folder: .xml, .gz, .zip, .eml, mbox, Maildir, any mix
  smtpkit reports reports.mbox --domain example.com --since 2024-05-01
  smtpkit reports ~/Maildir/.DMARC --offline         no reverse DNS lookups (senders named from DKIM/SPF domains)
  smtpkit reports reports/ --json                    one JSON document: summary, findings, senders, simulation
  smtpkit reports reports/ --csv tables/             every table as a CSV file in tables/ (records.csv, ...)
  smtpkit reports reports/ --parquet tables/         the same as Parquet files

Files are recognised by their content, not their names, and read with caps on
size, decompressed size, archive members and nesting; XML entities and DTDs
are refused. A file that cannot be read is listed, never fatal. The same
report delivered twice is counted once.

exit codes: 0 no sender fails, 1 a failure was diagnosed (a sender failing
DMARC, TLS failures), 2 usage error
"""

TABLES = ("records", "senders", "sources", "tls", "tls_failures", "problems")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "reports",
        help="read DMARC aggregate and TLS-RPT reports: failing senders, fixes, policy simulation",
        description=(
            "Read DMARC aggregate (rua) and TLS-RPT reports from files and folders: which senders of your\n"
            "domain fail SPF or DKIM alignment and how to fix each, forwarding and spoofing recognised,\n"
            "what p=quarantine or p=reject would have done, and TLS delivery failures to your MX hosts."
        ),
        epilog=EPILOG,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="report files, folders, mbox files or Maildirs")
    p.add_argument("--domain", metavar="D", help="only reports about this domain (and mail from its subdomains)")
    p.add_argument("--since", metavar="DATE", help="only reports whose period ends on or after DATE (2024-05-01)")
    p.add_argument("--offline", action="store_true", help="no reverse DNS lookups of the source IPs")
    p.add_argument("--sender-map", metavar="CSV", help="your own domain,name,type rows added to the sender map")
    add_nameserver_flag(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--csv", metavar="OUT", help="write every table as CSV into the folder OUT")
    out.add_argument("--parquet", metavar="OUT", help="write every table as Parquet into the folder OUT")
    add_json_flag(out)
    p.add_argument("-v", "--verbose", action="count", default=0, help="print every table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from smtpkit.cli.common import emit_json, exit_code, make_resolver
    from smtpkit.errors import InvalidSettings
    from smtpkit.reports import load

    if not any(Path(p).exists() for p in args.paths):
        raise UsageError(f"no such file or folder: {', '.join(args.paths)}")
    resolver = None if args.offline else make_resolver(args)
    try:
        rs = load(
            args.paths,
            domain=args.domain,
            since=args.since,
            offline=args.offline,
            resolver=resolver,
            sender_map=args.sender_map,
            progress=not args.json and sys.stderr.isatty(),
        )
    except InvalidSettings as exc:
        option = f"--{exc.field.replace('_', '-')}: " if getattr(exc, "field", None) else ""
        raise UsageError(option + str(exc)) from None
    report = rs.check()
    if args.json:
        emit_json(_document(rs, report))
        return exit_code(report)
    written = _write_tables(rs, args)
    _print(rs, report, args)
    if written:
        print(f"\n{len(written)} tables written: {', '.join(written)}")
    return exit_code(report)


def _document(rs: object, report: object) -> dict[str, object]:
    from smtpkit.reports.reportset import ReportSet

    assert isinstance(rs, ReportSet)
    rec = rs.recommend()
    return {
        "summary": rs.summary(),
        "recommendation": rec.to_dict(),
        "simulation": _records(rs.simulate()),
        "senders": _records(rs.senders),
        "problems": _records(rs.problems),
        "tls_failures": _records(rs.tls_failures),
        "report": report.to_dict(),  # type: ignore[attr-defined]
    }


def _records(frame: object) -> list[dict[str, object]]:
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    out = frame.astype(object).where(frame.notna(), None)
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            out[name] = [v.isoformat() if v is not None else None for v in out[name]]
    return list(out.to_dict("records"))


def _write_tables(rs: object, args: argparse.Namespace) -> list[str]:
    from pathlib import Path

    folder = args.csv or args.parquet
    if not folder:
        return []
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder {folder} for the tables: {exc.strerror or exc}") from None
    written = []
    for name in TABLES:
        frame = getattr(rs, name)
        path = out / f"{name}.{'csv' if args.csv else 'parquet'}"
        try:
            if args.csv:
                frame.to_csv(path, index=False)
            else:
                frame.to_parquet(path, index=False)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(str(path))
    return written


def _print(rs: object, report: object, args: argparse.Namespace) -> None:
    from smtpkit.render.text import terminal_safe, terminal_width

    width = terminal_width()
    print(terminal_safe(str(rs)))
    print()
    print(report.to_text(width=width, tables=True if args.verbose else None))  # type: ignore[attr-defined]
