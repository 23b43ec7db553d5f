"""`smtpkit audit`: the domain check for a whole portfolio of domains, as one table."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from typing import Any

from smtpkit.cli.common import EXIT_FAILURE, EXIT_OK, UsageError, add_json_flag, add_nameserver_flag, emit_json

EPILOG = """\
examples:
  smtpkit audit domains.txt                       one domain a line; a summary and the worst domains
  smtpkit audit clients.csv --column domain --out results.parquet
                                                  a CSV column in, Parquet out (one file per chunk)
  smtpkit audit domains.txt --out results.parquet --resume
                                                  continue a run that was interrupted
  smtpkit audit --compare last-week.parquet results.parquet
                                                  which domains got better and which got worse
  smtpkit audit domains.txt --workers 4           a pool of 4 processes
  smtpkit audit domains.txt --dask                a Dask LocalCluster (pip install "smtpkit[dask]")
  smtpkit audit domains.txt --dask-scheduler tcp://scheduler:8786 --nameserver 10.0.0.53
                                                  an existing Dask cluster, every worker asking your resolver
  smtpkit audit --lab --out lab.parquet           the practice lab's generated portfolio (smtpkit lab)
  smtpkit audit domains.txt --probe-mx            also MTA-STS, TLS-RPT and every MX over STARTTLS
                                                  (each MX host probed once for all the domains using it)
  cat domains.txt | smtpkit audit - --json        standard input in, one JSON document out

what a row says (all columns: docs/audit.md):
  status   checked, or "could not check" (timeout, SERVFAIL, REFUSED, deadline): never a failure
  grade    A nothing to fix, B warnings only, C/D one/two failing findings, F three or more
  codes    the finding codes of `smtpkit domain` for the same domain (smtpkit findings CODE explains one)

at scale, point --nameserver at a caching resolver of your own (every process and Dask worker uses it),
never at a public resolver; with a resolver of your own, --query-limit 300 (say) lets a pool or a cluster
ask more at once than the default 100, which is polite to one resolver you share.

exit codes:
  0  no domain has a failing finding (with --compare: nothing got worse)
  1  at least one domain has a failing finding (with --compare: something got worse)
  2  usage error
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "audit",
        help="audit a portfolio of domains (MX, SPF, DKIM, DMARC for each) as one table",
        description=textwrap.fill(
            "Check many domains at once, the way `smtpkit domain` checks one: MX, SPF, DKIM, DMARC, with the"
            " same findings, one row per domain. Thousands of domains a minute on one machine; more on a"
            " process pool or a Dask cluster. Results can be written to Parquet as they come, resumed after"
            " an interruption, and compared with an earlier run."
        ),
        epilog=EPILOG,
    )
    p.add_argument("file", nargs="?", metavar="FILE|-", help="one domain a line, or a CSV; - reads standard input")
    p.add_argument("--column", metavar="NAME", help="the CSV column holding the domains (name, or number from 1)")
    add_nameserver_flag(p)
    p.add_argument(
        "--selector",
        action="append",
        default=[],
        metavar="S",
        help="DKIM selector to look for keys under (repeatable); default: the common ones",
    )
    p.add_argument("--out", metavar="PATH", help="write results.parquet (a directory, one file per chunk) or .csv")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run written to --out (its domains that could not be checked are asked again)",
    )
    p.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two results instead of auditing")
    p.add_argument("--workers", type=int, metavar="N", help="run on a pool of N processes (with --dask: its size)")
    p.add_argument("--dask", action="store_true", help="run on a new Dask LocalCluster")
    p.add_argument("--dask-scheduler", metavar="ADDR", help="run on the Dask cluster at ADDR (tcp://host:8786)")
    p.add_argument(
        "--probe-mx",
        action="store_true",
        help="also check the receiving side: MTA-STS (policy over HTTPS), TLS-RPT, every MX over STARTTLS",
    )
    p.add_argument("--mx-port", type=int, default=25, help="the port MX hosts are probed on (default 25)")
    p.add_argument(
        "--probes-per-network",
        type=int,
        default=4,
        metavar="N",
        help="with --probe-mx: MX probes under way at once into one IPv4 /24 or IPv6 /48, for the whole run (4)",
    )
    p.add_argument("--cafile", metavar="FILE", help="CA certificates to verify MTA-STS and MX certificates with")
    p.add_argument("--trust-anchor", metavar="FILE", help="DNSSEC trust anchor for DANE (default: the root's)")
    p.add_argument("--trust-ad", action="store_true", help="trust the resolver's AD bit for DANE instead of validating")
    p.add_argument(
        "--lab",
        action="store_true",
        help="audit the practice lab's generated portfolio, via its DNS: the lab whose state file"
        " $SMTPKIT_LAB_STATE names (smtpkit lab prints it), or one started for this run",
    )
    p.add_argument("--dns-timeout", type=float, default=2.0, help="seconds per DNS query (default 2)")
    p.add_argument("--deadline", type=float, default=20.0, help="seconds per domain before 'could not check' (20)")
    p.add_argument("--concurrency", type=int, default=50, help="domains in flight per process (default 50)")
    p.add_argument(
        "--query-limit",
        type=int,
        default=100,
        metavar="N",
        help="DNS queries in flight at once for the whole run, shared by a pool's processes or a cluster's"
        " workers (default 100, polite to one resolver; more only for a resolver of your own)",
    )
    p.add_argument("--chunk-size", type=int, default=500, help="domains per Parquet file and per task (500)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.compare:
        if args.file or args.lab:
            raise UsageError("--compare OLD NEW compares two results; give no FILE (or --lab) with it")
        return _compare(args)
    if bool(args.file) == bool(args.lab):
        raise UsageError(
            "give the domains to audit: a FILE (one domain a line, or a CSV), - for standard input, or --lab"
        )
    if args.resume and not args.out:
        raise UsageError("--resume continues a run written with --out: give the same --out")
    if args.dask and args.dask_scheduler:
        raise UsageError("--dask starts a cluster, --dask-scheduler uses one: give one of them")
    if args.workers is not None and not 1 <= args.workers <= 1024:
        raise UsageError("--workers takes a number of processes from 1 to 1024")
    if args.workers and args.workers > 1 and not (args.dask or args.dask_scheduler):
        from smtpkit.audit.fork_server import start_early

        start_early()  # the pool's fork server imports the audit while this process starts the run

    import smtpkit.audit as audit_pkg
    from smtpkit.settings.audit import AuditConfig

    domains: Any = args.file
    lab: dict[str, Any] = {}
    selectors = tuple(args.selector)
    if args.lab:
        from smtpkit.lab import ensure_running
        from smtpkit.lab.portfolio import audit_options, lab_portfolio

        info = ensure_running()
        domains = lab_portfolio(info)
        lab = audit_options(info)
        selectors = selectors or lab["selectors"]
        if not args.json:
            print(lab_note(info.origin, len(domains)), file=sys.stderr)
    try:
        config = AuditConfig(
            **{
                "nameservers": tuple(args.nameserver or ()) or lab.get("nameservers", ()),
                "selectors": selectors,
                "dns_timeout": args.dns_timeout,
                "deadline": args.deadline,
                "concurrency": args.concurrency,
                "query_limit": args.query_limit,
                "chunk_size": args.chunk_size,
                "probe_mx": args.probe_mx,
                "probes_per_network": args.probes_per_network,
                "cafile": args.cafile or lab.get("cafile"),
                "mx_port": args.mx_port if args.mx_port != 25 else lab.get("mx_port", 25),
                "mta_sts_port": lab.get("mta_sts_port", 443),
                "allow_private": lab.get("allow_private", False),
                "trust_anchor": args.trust_anchor or lab.get("trust_anchor"),
                "trust_ad": args.trust_ad,
            }
        )
        if config.nameservers:
            from smtpkit.net.dns import Nameserver

            for ns in config.nameservers:
                Nameserver.parse(ns)
        df = audit_pkg.audit(
            domains,
            config=config,
            column=args.column,
            out=args.out,
            resume=args.resume,
            workers=args.workers,
            dask=args.dask,
            scheduler=args.dask_scheduler,
            progress=not (args.quiet or args.json),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        if args.out:
            from smtpkit.audit.store import ResultStore

            print(ResultStore(args.out).resume_note("run the same command with --resume added"), file=sys.stderr)
        raise
    failing = bool(((df["status"] == "checked") & (df["n_fail"].fillna(0) > 0)).any())
    if args.json:
        doc: dict[str, Any] = {"command": "audit", "summary": df.attrs.get("audit", {}), "exit_code": int(failing)}
        if args.out:
            doc["out"] = args.out
        else:
            doc["rows"] = _json_rows(df)
        emit_json(doc)
    else:
        print(summary_text(df, out=args.out))
    return EXIT_FAILURE if failing else EXIT_OK


def lab_note(origin: str, domains: int) -> str:
    """Which practice lab `--lab` audits: a lab started with `smtpkit lab --audit-zones N` in another terminal is
    used only through the state file it printed, so without it a person saw 215 domains where they had asked
    their lab for 10,000, and could not tell why."""
    from smtpkit.lab.lab import ENV_STATE

    if origin == "this process":
        why = f"the lab {ENV_STATE} names cannot be used" if os.environ.get(ENV_STATE) else f"{ENV_STATE} is not set"
        return (
            f"the practice lab: none found ({why}), so one was started for this run, with its"
            f" portfolio of {domains} domains. To audit a lab of your own (smtpkit lab --audit-zones N), export"
            f" the {ENV_STATE}=... line it printed, then run this again."
        )
    return f"the practice lab: {origin}, its portfolio of {domains} domains"


def _json_rows(df: Any) -> list[dict[str, Any]]:
    import json

    return json.loads(df.to_json(orient="records", date_format="iso"))  # type: ignore[no-any-return]


def summary_text(df: Any, *, out: str | None = None, worst: int = 15) -> str:
    """What a person reads after a run: counts, grades, the worst domains, the commonest findings."""
    from smtpkit.audit.views import codes_text, findings_table, resolver_limit_note
    from smtpkit.render.plural import counted

    info = df.attrs.get("audit", {})
    lines = [
        f"{counted(len(df), 'domain')} audited in {info.get('seconds', 0):.1f} s"
        f" ({info.get('runner', 'local')} runner)",
    ]
    if info.get("resumed_chunks"):
        lines[0] += (
            f", {info.get('resumed_domains', 0):,} of them kept from the run before ({info['resumed_chunks']} chunks"
            " already in --out)"
        )
        if info.get("asked_again"):
            n = info["asked_again"]
            lines[0] += f"; the {n:,} it could not check {'was' if n == 1 else 'were'} asked again"
    if info.get("duplicates"):
        examples = ", ".join(info.get("duplicate_examples", [])[:3])
        lines.append(f"{counted(info['duplicates'], 'duplicate')} skipped, e.g. {examples}")
    statuses = df["status"].value_counts()
    lines.append("status: " + ", ".join(f"{k} {v}" for k, v in statuses.items()))
    grades = df["grade"].value_counts().sort_index()
    if len(grades):
        lines.append("grades: " + ", ".join(f"{k} {v}" for k, v in grades.items()))
    if info.get("dask"):
        lines.append(f"Dask dashboard: {info['dask']}")
    held = resolver_limit_note(info, "--query-limit")
    if held:
        lines.append(held)
    checked = df[df["status"] == "checked"]
    if len(checked):
        top = checked.sort_values(["n_fail", "n_warn"], ascending=False).head(worst)
        top = top[top["n_fail"] + top["n_warn"] > 0]
        if len(top):
            lines.append("\nworst domains:")
            for row in top.itertuples():
                lines.append(f"  {row.grade}  {row.domain:<40} {codes_text(row.codes, row.severities)}")
        grouped = findings_table(df).head(10)
        if len(grouped):
            lines.append("\ncommonest findings, failing ones first (domains; smtpkit findings CODE explains one):")
            for found in grouped.itertuples():
                lines.append(f"  {found.domains:>6}  {found.severity:<4}  {found.code}")
    unknown = df[df["status"] == "could not check"]
    if len(unknown):
        lines.append(f"\ncould not check {len(unknown)} (not failures: nothing is known about them):")
        for row in unknown.head(5).itertuples():
            lines.append(f"  {row.domain}: {row.status_reason}")
    invalid = df[df["status"] == "invalid"]
    if len(invalid):
        are = "is not a domain" if len(invalid) == 1 else "are not domains"
        lines.append(f"\n{counted(len(invalid), 'name')} {are}:")
        for row in invalid.head(5).itertuples():
            lines.append(f"  {row.status_reason}")
    if out:
        lines.append(f"\nresults: {out}")
    return "\n".join(lines)


def _grade(value: Any) -> str:
    return "-" if value is None or value != value or str(value) == "<NA>" else str(value)


def _compare(args: argparse.Namespace) -> int:
    from smtpkit.audit.compare import WORSE, compare, summary

    try:
        diff = compare(args.compare[0], args.compare[1])
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    counts = summary(diff)
    worse = counts.get(WORSE, 0) > 0
    if args.json:
        changed = diff[diff["change"] != "same"]
        emit_json(
            {
                "command": "audit --compare",
                "old": args.compare[0],
                "new": args.compare[1],
                "summary": counts,
                "changes": _json_rows(changed),
                "exit_code": int(worse),
            }
        )
    else:
        print(", ".join(f"{v} {k}" for k, v in counts.items()) or "no domains in either run")
        for row in diff[diff["change"] != "same"].head(100).itertuples():
            detail = []
            if row.fixed:
                detail.append("fixed " + ", ".join(row.fixed))
            if row.appeared:
                detail.append("new " + ", ".join(row.appeared))
            grades = f"{_grade(row.old_grade)} -> {_grade(row.new_grade)}"
            print(f"  {row.change:<20} {row.domain:<40} {grades:<8} {'; '.join(detail)}")
    return EXIT_FAILURE if worse else EXIT_OK
