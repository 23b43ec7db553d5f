"""The `spf` step of check_domain(): the record read back, linted, and evaluated for an IP.

One Step carries everything a person needs to fix SPF: the record and how many
of the 10 lookups it uses (details), the plain-language reading, the trace
(for the sending IP when one is given, else the static include tree) and the
lookups per include (tables), and findings whose fixes are corrected records.
"""

from __future__ import annotations

import time

from smtpkit.model import Status, Step
from smtpkit.net.dns import Resolver
from smtpkit.spf.evaluator import Result, SpfResult, check_host
from smtpkit.spf.explain import explain_record
from smtpkit.spf.lint import analyze, lint_findings

STEP = "spf"


def spf_step(
    domain: str,
    resolver: Resolver,
    ip: str | None = None,
    sender: str | None = None,
    helo: str | None = None,
) -> Step:
    """Check `domain`'s SPF; with `ip`, also whether that address may send for it.

    `sender` defaults to postmaster@domain. Raises ValueError only for an `ip`
    that is not an IP address (the CLI reports that as a usage error).
    """
    started = time.monotonic()
    domain = domain.strip().rstrip(".")
    resolver = resolver.once()  # the evaluation asks again what the lint walk just asked
    an = analyze(domain, resolver)
    result: SpfResult | None = None
    if ip:
        result = check_host(ip, domain, sender or f"postmaster@{domain}", helo, resolver)
    findings = lint_findings(an, result, ip=ip)

    details: dict[str, object] = {"domain": domain}
    if an.record is not None:
        details["record"] = an.record
        details["lookups used"] = f"{an.lookups} of 10"
        details["void lookups"] = f"{len(an.voids)} (receivers allow 2)"
    elif an.spf_records:
        details["records"] = an.spf_records
    else:
        details["record"] = "(none)"
    if an.spf99_records:
        details["type-99 SPF record"] = an.spf99_records
    if an.truncated:
        details["analysis"] = (
            f"stopped after {an.queries} DNS queries: the include tree is too large or too slow "
            "to walk completely, so lookup counts are lower bounds"
        )
    tables: dict[str, list[dict[str, object]]] = {}
    if an.record is not None:
        reading = explain_record(an.record, domain=domain)
        tables["reading"] = reading.to_rows()
        details["reading"] = reading.summary
    if result is not None:
        details[f"result for {result.ip}"] = result.result.value
        details["explanation"] = result.explanation
        if result.mechanism:
            details["matched"] = " > ".join(result.matched_path) or result.mechanism
        details["lookups for this IP"] = f"{result.lookups} of 10 (void: {result.void_lookups})"
        tables["trace"] = [{k: v for k, v in row.items() if k not in ("depth", "domain")} for row in result.to_rows()]
    else:
        tables["trace"] = an.tree_rows()
    tables["lookups per include"] = an.include_rows()
    tree = an.include_tree_rows()
    if tree:  # a record of ip4:/ip6: terms has no lookups to draw
        tables["include tree"] = tree

    summary = _summary(domain, an.record, an.lookups, result, bool(an.spf_records))
    step = Step(STEP, Status.PASS, summary, details=details, tables=tables)
    step.add(*findings)
    if not findings and result is not None and result.result is not Result.PASS:
        step.status = Status.WARN
    step.elapsed_ms = (time.monotonic() - started) * 1000.0
    return step


def _summary(domain: str, record: str | None, lookups: int, result: SpfResult | None, any_record: bool) -> str:
    if record is None:
        head = f"{domain}: several SPF records" if any_record else f"{domain}: no SPF record"
    else:
        head = f"{domain}: SPF record found, {lookups}/10 lookups"
    if result is not None:
        head += f"; {result.ip} -> {result.result.value}"
    return head
