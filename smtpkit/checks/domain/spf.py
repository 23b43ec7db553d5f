"""The `spf` step of check_domain(): the record read back, linted, and evaluated for an IP.

One Step carries everything a person needs to fix SPF: the record and how many
of the 10 lookups it uses (details), the plain-language reading, the trace
(for the sending IP when one is given, else the static include tree) and the
lookups per include (tables), and findings whose fixes are corrected records.

The SPF engine (`smtpkit.spf.lint`) reports problems as facts; the words a
reader gets (the finding texts, from the catalogue) are put together here,
like DKIM's and DMARC's findings in their steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from smtpkit.knowledge.catalogue import finding
from smtpkit.model import Finding, Severity, Status, Step
from smtpkit.net.dns import Resolver
from smtpkit.render.plural import counted
from smtpkit.spf.evaluator import RESULT_MEANING, Result, SpfResult, check_host
from smtpkit.spf.explain import explain_record
from smtpkit.spf.lint import LintProblem, SpfAnalysis, analyze, lint_problems

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
        head += f"; {result.ip} -> {result.result.value}{_decided_by(result)}"
    return head


def _decided_by(result: SpfResult) -> str:
    """Which term of the record gave the address its result, in the summary's words.

    "127.0.0.1 -> pass" on a +all domain read as if the address were rightly listed, next to the step's failure
    for +all; naming the term ("by +all, which every address matches") says the pass is the problem.
    """
    term = (result.mechanism or "").strip()
    if not term:
        return ""
    if term.lower().lstrip("+") == "all" and result.result is Result.PASS:
        return f" (by {term}, which every address matches)"
    return f" (by {term})"


# -- the findings ---------------------------------------------------------------------------------


def lint_findings(an: SpfAnalysis, result: SpfResult | None = None, *, ip: str | None = None) -> list[Finding]:
    """The findings for an analysed domain (and, with `result`, for one sending IP)."""
    return spf_findings(lint_problems(an, result, ip=ip))


def spf_findings(problems: Sequence[LintProblem]) -> list[Finding]:
    """Each SPF problem in words, from the catalogue; an evaluation error is named once, by its own code."""
    out: list[Finding] = []
    for p in problems:
        if p.kind == "evaluation_error":
            out += _evaluation_error(p, {f.code for f in out})
        else:
            out.append(_WORDS[p.kind](p))
    return out


_STATUS_WORDS = {
    "timeout": "got no answer in time",
    "servfail": "failed on the server (SERVFAIL)",
    "refused": "was refused by the server",
    "error": "failed with a network error",
}


def _dns_error(p: LintProblem) -> Finding:
    status = str(p.facts["status"])
    return finding(
        "spf.dns_error",
        evidence=p.evidence,
        name=p.facts["name"],
        rdtype=p.facts["rdtype"],
        status=status.upper(),
        status_words=_STATUS_WORDS.get(status, status),
    )


def _missing(p: LintProblem) -> Finding:
    f = p.facts
    d = f["domain"]
    if f["spf99"]:
        detail = f"{d} has only an obsolete type-99 SPF record, which receivers no longer read."
    elif f["txt_records"]:
        detail = f"{d} has {counted(len(f['txt_records']), 'TXT record')}, but none starts with v=spf1."
    elif f["txt_status"] == "nxdomain":
        detail = (
            f"{d} does not exist in DNS at all (NXDOMAIN): check the spelling, and that the domain is registered"
            " and delegated."
        )
    else:
        detail = f"{d} has no TXT records at all ({f['txt_status']})."
    return finding("spf.missing", evidence=p.evidence, domain=d, detail=detail, suggested=f["suggested"])


def _deprecated_rr_type(p: LintProblem) -> Finding:
    f = p.facts
    if f["only"]:
        detail = "Only the type-99 record exists, so receivers see no SPF at all."
    elif f["same"]:
        detail = (
            "It is identical to the TXT record, so it is harmless today, but it is one more copy to forget when the TXT"
            " record changes."
        )
    else:
        detail = (
            "It differs from the TXT record, which confuses anyone reading the DNS; receivers use only the TXT one."
        )
    return finding(
        "spf.deprecated_rr_type", evidence=p.evidence, domain=f["domain"], detail=detail, txt_record=f["txt_record"]
    )


def _syntax_error(p: LintProblem) -> Finding:
    message = str(p.facts["message"])
    return finding(
        "spf.syntax_error",
        evidence=p.evidence,
        **{**p.facts, "message": message[0].upper() + message[1:]},
    )


def _include_loop(p: LintProblem) -> Finding:
    return finding("spf.include_loop", evidence=p.evidence, **{**p.facts, "chain": " -> ".join(p.facts["chain"])})


def _too_many_lookups(p: LintProblem) -> Finding:
    f = p.facts
    heavy, cost = f["heavy_term"], f["heavy_cost"]
    who = f" ({f['provider']})" if f["provider"] else ""
    if f["flattened"] is not None:
        advice = (
            f"{heavy}{who} alone costs {cost} lookups. Flatten it: replace it by the {len(f['flattened'])} address "
            f"range(s) it currently stands for (saves {cost} lookups). Flattened addresses go stale when the "
            f"provider changes servers, so re-check monthly (smtpkit spf {f['domain']}) or ask the provider for a "
            "smaller include. If you no longer send through it, drop it instead."
        )
    else:
        advice = (
            f"{heavy}{who} alone costs {cost} lookups and cannot be flattened safely (it uses macros, "
            "exists, ptr or nested lookups). Drop it if you no longer send through it; otherwise move the senders "
            f"that use it to a subdomain with its own SPF record (e.g. news.{f['domain']}), or use the provider's "
            "smaller include if it offers one."
        )
    for term in f["also_replaced"]:
        advice += f" Replace '{term}' by its addresses too (saves 1)."
    return finding(
        "spf.too_many_lookups",
        evidence=p.evidence,
        domain=f["domain"],
        count=f["count"],
        breakdown=", ".join(f"{t} {c}" for t, c in f["costs"]),
        advice=advice,
        corrected=f["corrected"],
    )


def _void_lookups(p: LintProblem) -> Finding:
    f = p.facts
    return finding(
        "spf.void_lookups",
        evidence=p.evidence,
        # a third void lookup is a permerror at every receiver; up to two are a risk
        severity=Severity.FAIL if f["count"] > 2 else Severity.WARN,
        domain=f["domain"],
        count=f["count"],
        names=", ".join(f"{term} ({name}: {status})" for _where, term, name, status in f["voids"]),
        corrected=f["corrected"],
    )


def _record_too_long(p: LintProblem) -> Finding:
    f = p.facts
    suggested = f'{f["domain"]} TXT "{f["top_record"]}" and {f["sub_name"]} TXT "{f["sub_record"]}"'
    return finding(
        "spf.record_too_long",
        evidence=p.evidence,
        domain=f["domain"],
        length=f["length"],
        rrset=f["rrset"],
        suggested=suggested,
    )


_ALTERNATIVE = (
    "If it is a provider's server (your relay or newsletter service), add the include from that provider's "
    "setup guide instead, e.g. include:_spf.google.com (Google Workspace), include:spf.protection.outlook.com "
    "(Microsoft 365), include:amazonses.com (Amazon SES), include:sendgrid.net (SendGrid), include:mailgun.org "
    "(Mailgun)."
)


def _ip_not_authorized(p: LintProblem) -> Finding:
    f = p.facts
    result = Result(f["result"])
    if f["matched"]:
        how = f"The deciding term was '{f['matched']}'."
    else:
        how = "No term of the record matched it, so the default result applies."
    return finding(
        "spf.ip_not_authorized",
        evidence=p.evidence,
        severity=Severity.WARN if result is Result.NEUTRAL else Severity.FAIL,
        ip=f["ip"],
        domain=f["domain"],
        sender=f["sender"],
        result=result.value,
        meaning=RESULT_MEANING[result].format(ip=f["ip"], domain=f["domain"], reason=f["reason"]),
        how=how,
        term=f["term"],
        corrected=f["corrected"],
        alternative=_ALTERNATIVE,
    )


# Why an evaluation for the sending IP ended in permerror/temperror -> the finding that explains it.
_ERROR_CODES = {
    "syntax": "spf.syntax_error",
    "lookup_limit": "spf.too_many_lookups",
    "void_limit": "spf.void_lookups",
    "loop": "spf.include_loop",
    "target_missing": "spf.include_target_missing",
    "too_many_names": "spf.too_many_mx",
    "dns": "spf.dns_error",
    "deadline": "spf.dns_error",
    "multiple_records": "spf.multiple_records",
}


def _evaluation_error(p: LintProblem, already: set[str]) -> list[Finding]:
    f = p.facts
    code = _ERROR_CODES.get(f["error_kind"])
    if code is None or code in already:
        return []
    if code == "spf.dns_error":
        return [
            finding(
                code,
                evidence=p.evidence,
                name=f["error_domain"] or f["domain"],
                rdtype="DNS",
                status=f["result"].upper(),
                status_words=f["reason"],
            )
        ]
    reason = f["reason"]
    return [
        finding(
            code,
            evidence=p.evidence,
            domain=f["domain"],
            term=f["error_term"],
            message=reason,
            hint="",
            corrected=f["corrected"],
            count=f["lookups"] if code == "spf.too_many_lookups" else f["void_lookups"],
            breakdown=reason,
            advice="Reduce the DNS-querying terms.",
            names=reason,
            chain=reason,
            where=f["error_domain"],
            target=f["error_domain"],
            status=f["result"],
            merged=f["record"],
        )
    ]


def _plain(code: str) -> Callable[[LintProblem], Finding]:
    """Problems whose facts are the finding's parameters as they are."""

    def words(p: LintProblem) -> Finding:
        return finding(code, evidence=p.evidence, **p.facts)

    return words


_WORDS: dict[str, Callable[[LintProblem], Finding]] = {
    "dns_error": _dns_error,
    "missing": _missing,
    "deprecated_rr_type": _deprecated_rr_type,
    "multiple_records": _plain("spf.multiple_records"),
    "syntax_error": _syntax_error,
    "include_loop": _include_loop,
    "include_target_missing": _plain("spf.include_target_missing"),
    "too_many_mx": _plain("spf.too_many_mx"),
    "too_many_lookups": _too_many_lookups,
    "void_lookups": _void_lookups,
    "plus_all": _plain("spf.plus_all"),
    "neutral_all": _plain("spf.neutral_all"),
    "no_all": _plain("spf.no_all"),
    "ptr_deprecated": _plain("spf.ptr_deprecated"),
    "record_too_long": _record_too_long,
    "ip_not_authorized": _ip_not_authorized,
}
