"""DMARC aggregate and TLS-RPT reports as Steps with Findings: what was read, who fails and why, the next policy.

`check_reports(report_set)` turns the tables of a `smtpkit.reports.ReportSet`
into a `Report` of four steps:

* ``reports``: what was read (files, reports, the period, the reporters) and
  what could not be (``reports.unreadable``, ``reports.none_found``);
* ``senders``: one finding per legitimate sender that fails DMARC, naming the
  concrete fix from why it fails (``reports.sender_*``), forwarded mail
  recognised as such (``reports.forwarding``), unauthenticated sources
  (``reports.spoofing``);
* ``policy``: per domain, what p=quarantine and p=reject would have done, and
  whether the next step is safe (``reports.policy_next_step`` /
  ``reports.policy_not_ready``);
* ``tls-rpt``: TLS-RPT failures per kind (``reports.tls_*``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from smtpkit.knowledge import finding
from smtpkit.model import Finding, Report, Severity, Status, Step
from smtpkit.render.plural import counted

if TYPE_CHECKING:
    import pandas as pd

    from smtpkit.reports.reportset import ReportSet

__all__ = ["check_reports", "sender_finding"]

MAX_DOMAINS = 5
_SENDER_COLUMNS = ["sender", "category", "messages", "pass_rate", "failure", "ips", "ptr_example", "identified_by"]
_EFFECT = {
    "none": "delivers them like any other mail",
    "quarantine": "sends them to the spam folder",
    "reject": "has them refused",
}


def check_reports(rs: ReportSet) -> Report:
    """The findings of a set of reports (see the module docstring)."""
    steps = [_timed(_read_step, rs), _timed(_senders_step, rs), _timed(_policy_step, rs), _timed(_tls_step, rs)]
    target = {"files": rs.files, "domain": rs.domain or ", ".join(rs.domains[:MAX_DOMAINS]) or "(none)"}
    return Report(target=target, steps=steps, title="DMARC aggregate and TLS-RPT reports")


def _timed(fn: Any, rs: ReportSet) -> Step:
    start = time.monotonic()
    step: Step = fn(rs)
    step.elapsed_ms = (time.monotonic() - start) * 1000.0
    return step


def _rows(frame: pd.DataFrame, limit: int = 100) -> list[dict[str, Any]]:
    """Table rows for a Step: missing values as empty cells (every dtype, nullable integers included)."""
    head = frame.head(limit).astype(object)
    return list(head.where(head.notna(), "").to_dict("records"))


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


# -- what was read ----------------------------------------------------------------------------------


def _read_step(rs: ReportSet) -> Step:
    s = rs.summary()
    step = Step(
        "reports",
        Status.PASS,
        f"{s['aggregate_reports']} aggregate and {s['tls_reports']} TLS-RPT reports from {s['files']} files",
        details={
            "files": s["files"],
            "aggregate reports": s["aggregate_reports"],
            "records": s["records"],
            "messages": s["messages"],
            "DMARC pass": f"{s['dmarc_pass']} ({s['pass_rate']:.1%})" if s["messages"] else "",
            "period": f"{s['begin'] or '?'} to {s['end'] or '?'}" if s["records"] else "",
            "reporters": ", ".join(s["reporters"][:10]) + (" …" if len(s["reporters"]) > 10 else ""),
            "domains": ", ".join(s["domains"][:10]),
            "TLS-RPT reports": s["tls_reports"],
            "reverse DNS": s["reverse_dns"],
        },
    )
    bad = rs.problems[rs.problems["kind"].isin(["unreadable", "refused", "partial"])]
    if len(bad):
        kinds = ", ".join(f"{n} {k}" for k, n in bad["kind"].value_counts().items())
        step.add(finding("reports.unreadable", "\n".join(_problem_lines(bad)), count=len(bad), kinds=kinds))
    if not s["records"] and not s["tls_reports"]:
        filters = rs.filters()
        step.add(
            finding(
                "reports.none_found",
                f"{s['files']} files read, {len(rs.problems)} problems",
                paths=f"the {s['files']} files given",
                filters=(" " + " and ".join(filters)) if filters else "",
            )
        )
    if len(rs.problems):
        step.tables["files that could not be used"] = _rows(rs.problems, 50)
    return step


def _problem_lines(problems: pd.DataFrame, limit: int = 10) -> list[str]:
    lines = [f"{r.source}: {r.kind}: {r.reason}" for r in problems.head(limit).itertuples()]
    if len(problems) > limit:
        lines.append(f"… and {len(problems) - limit} more")
    return lines


# -- senders -------------------------------------------------------------------------------------


def _senders_step(rs: ReportSet) -> Step:
    senders = rs.senders
    if senders.empty:
        return Step("senders", Status.SKIP, "no aggregate report records to read senders from")
    failing = senders[senders["pass_rate"] < 1.0]
    legit = senders[senders["category"] == "legitimate"]
    step = Step(
        "senders",
        Status.PASS,
        f"{counted(len(senders), 'sender')}, {counted(len(legit), 'legitimate sender')} failing DMARC",
        details={c: int(n) for c, n in senders["category"].value_counts().items()},
    )
    step.tables["senders"] = _rows(senders[_SENDER_COLUMNS])
    for row in legit.itertuples():
        f = sender_finding(rs, row.sender)
        if f is not None:
            step.add(f)
    forwarders = failing[failing["category"] == "forwarder"]
    if len(forwarders):
        step.add(_forwarding(rs, forwarders))
    unknown = failing[failing["category"] == "unknown"]
    if len(unknown):
        step.add(_spoofing(rs, unknown))
    return step


def _sender_records(rs: ReportSet, sender: str) -> pd.DataFrame:
    return rs.records[rs.records["sender"].astype(object) == sender]


def _weighted_top(frame: pd.DataFrame, column: str) -> str:
    if frame.empty:
        return ""
    sums = frame.groupby(frame[column].astype(object), dropna=True)["count"].sum().sort_values(ascending=False)
    return str(sums.index[0]) if len(sums) else ""


def sender_finding(rs: ReportSet, sender: str) -> Finding | None:
    """The finding for one failing sender: the code follows from why its mail fails (the `failure` words)."""
    from smtpkit.dmarc.alignment import aligned

    recs = _sender_records(rs, sender)
    failing = recs[~recs["dmarc_pass"]]
    if failing.empty:
        return None
    row = rs.senders[rs.senders["sender"] == sender].iloc[0]
    messages = int(failing["count"].sum())
    words = failing.groupby(failing["failure"].astype(object))["count"].sum().sort_values(ascending=False)
    main = set(str(words.index[0]).replace(" ", "").split(";")) if len(words) else set()
    domain = _weighted_top(failing, "header_from") or _weighted_top(failing, "policy_domain")
    foreign_dkim = failing[
        (failing["dkim_result"] == "pass")
        & ~failing["dkim_domain"]
        .astype(object)
        .map(lambda d: bool(d) and isinstance(d, str) and aligned(d, domain, "r"))
    ]
    ips = [str(ip) for ip in failing["source_ip"].astype(object).unique()[:3]]
    spf_domain = _weighted_top(failing, "spf_domain") or domain
    docs = f"{sender}'s own guide: {row['docs']}" if row["docs"] else ""
    params: dict[str, Any] = {
        "sender": sender,
        "domain": domain,
        "messages": messages,
        "share": _pct(messages, int(row["messages"])),
        "spf_domain": spf_domain,
        "spf_result": _weighted_top(failing, "spf_result") or "none",
        "dkim_domain": _weighted_top(foreign_dkim, "dkim_domain") or _weighted_top(failing, "dkim_domain"),
        "ips": ", ".join(ips) + (" …" if int(row["ips"]) > 3 else ""),
        "docs": docs,
        "include": _include(row, ips),
    }
    evidence = _evidence(failing)
    if "spf_fail" in main and "dkim_not_aligned" not in main:
        code = "reports.sender_spf_fail"
    elif "dkim_not_aligned" in main:
        code = "reports.sender_dkim_not_aligned"
    elif "dkim_fail" in main:
        code = "reports.sender_dkim_fail"
        params["dkim_domain"] = _weighted_top(failing[failing["dkim_result"] != "pass"], "dkim_domain") or domain
    elif "no_dkim" in main:
        code = "reports.sender_no_dkim"
    else:
        code = "reports.sender_spf_not_aligned"
    return finding(code, evidence, **params)


def _include(row: Any, ips: list[str]) -> str:
    if row["spf_include"]:
        return f"add {row['spf_include']} before the final all (for example v=spf1 {row['spf_include']} ~all)"
    if row["type"] == "own":
        terms = " ".join(f"ip6:{ip}" if ":" in ip else f"ip4:{ip}" for ip in ips)
        return f"add its addresses ({terms}) before the final all"
    return f"add the include: that {row['sender']} documents, or its addresses ({', '.join(ips)})"


def _evidence(failing: pd.DataFrame, limit: int = 5) -> str:
    """A few failing records as the reporters wrote them (the heaviest first)."""
    cols = ["org_name", "source_ip", "count", "header_from", "spf_domain", "spf_result", "dkim_domain", "dkim_result"]
    top = failing.sort_values("count", ascending=False).head(limit)
    lines = []
    for r in top[cols].astype(object).fillna("").itertuples(index=False):
        lines.append(
            f"{r.org_name or '(no org name)'}: {r.source_ip} x{r.count} From {r.header_from}; "
            f"SPF {r.spf_domain or '-'}={r.spf_result or '-'}; DKIM {r.dkim_domain or '-'}={r.dkim_result or '-'}"
        )
    return "\n".join(lines)


def _forwarding(rs: ReportSet, forwarders: pd.DataFrame) -> Finding:
    names = list(forwarders["sender"])
    recs = rs.records[rs.records["sender"].astype(object).isin(names) & ~rs.records["dmarc_pass"]]
    messages = int(recs["count"].sum())
    reasons = recs["reason"].astype(object).fillna("")
    said = recs[reasons.str.contains("forwarded|mailing_list|trusted_forwarder")]
    stated = (
        f"The receivers said so themselves for {int(said['count'].sum())} of them (reason: "
        f"{', '.join(sorted({r.split(':')[0] for r in said['reason'].astype(object)}))}). "
        if len(said)
        else ""
    )
    return finding(
        "reports.forwarding",
        _evidence(recs),
        messages=messages,
        senders=", ".join(names[:5]) + (" …" if len(names) > 5 else ""),
        reasons=stated,
    )


def _spoofing(rs: ReportSet, unknown: pd.DataFrame) -> Finding:
    from smtpkit.reports.policy import current_policy

    names = list(unknown["sender"])
    recs = rs.records[rs.records["sender"].astype(object).isin(names) & ~rs.records["dmarc_pass"]]
    messages = int(recs["count"].sum())
    ips = recs["source_ip"].astype(object).unique()
    domain = _weighted_top(recs, "header_from")
    p, pct = current_policy(rs.for_domain(_weighted_top(recs, "policy_domain")))
    examples = ", ".join(
        f"{ip} ({ptr})" if ptr else str(ip)
        for ip, ptr in rs.sources[rs.sources["source_ip"].isin(ips[:3])][["source_ip", "ptr"]].itertuples(index=False)
    )
    f = finding(
        "reports.spoofing",
        _evidence(recs),
        severity=Severity.WARN if p == "none" else Severity.INFO,
        messages=messages,
        ips=len(ips),
        domain=domain,
        examples=examples,
        unnamed=(
            "nothing names them (reverse DNS was not asked)"
            if rs.offline
            else (
                "their reverse DNS names no known service, where it answered"
                if rs.ptr_unanswered
                else "their reverse DNS names no known service"
            )
        ),
        policy=f"p={p}" + (f"; pct={pct}" if pct != 100 else ""),
        effect=_EFFECT.get(p, "decides what happens to them"),
    )
    return f


# -- policy -------------------------------------------------------------------------------------------


def _policy_step(rs: ReportSet) -> Step:
    domains = [rs.domain] if rs.domain else rs.domains[:MAX_DOMAINS]
    if rs.records.empty or not domains:
        return Step("policy", Status.SKIP, "no aggregate report records: nothing to simulate")
    step = Step("policy", Status.PASS, f"what a stricter DMARC policy would have done, for {', '.join(domains)}")
    for domain in domains:
        rec = rs.recommend(domain)
        sim = rs.simulate(domain=domain)
        step.tables[f"simulation for {domain}"] = _rows(sim)
        step.details[domain] = f"{rec.current} -> {rec.next}: " + ("safe" if rec.safe else "not yet")
        if rec.current == rec.next:
            fix = "Nothing to change; keep reading the reports (weekly) for new senders."
            step.add(
                finding(
                    "reports.policy_next_step",
                    _sim_line(sim),
                    domain=domain,
                    next=f"{rec.current}, enforced",
                    text=rec.text,
                    fix=fix,
                )
            )
        elif rec.legitimate_share > _safe_share():
            step.add(
                finding(
                    "reports.policy_not_ready",
                    _sim_line(sim),
                    domain=domain,
                    next=rec.next,
                    lost=rec.legitimate_failing,
                    text=rec.text,
                    record=_record(domain, rec.next),
                )
            )
        else:
            fix = (
                f"Publish {_record(domain, rec.next)}."
                if rec.safe
                else f"Keep {rec.current} a little longer; then publish {_record(domain, rec.next)}."
            )
            title = f"{rec.next} is safe now" if rec.safe else f"{rec.next} next, once the reports cover more"
            step.add(
                finding("reports.policy_next_step", _sim_line(sim), domain=domain, next=title, text=rec.text, fix=fix)
            )
    return step


def _sim_line(sim: pd.DataFrame) -> str:
    """The simulation in one line per policy, as evidence."""
    return "\n".join(
        (
            f"{r.policy}: all {r.messages} messages {r.effect}, {r.failing} of them failing DMARC"
            if not r.affected and r.failing
            else f"{r.policy}: {r.affected} of {r.messages} messages {r.effect} (legitimate {r.legitimate_lost}, "
            f"forwarded {r.forwarded_lost}, unknown {r.unknown_stopped})"
        )
        for r in sim.itertuples()
    )


def _safe_share() -> float:
    from smtpkit.reports.policy import SAFE_SHARE

    return SAFE_SHARE


def _record(domain: str, policy: str) -> str:
    p = policy.split()[0].split(";")[0]  # "p=quarantine (pct=100)" -> "p=quarantine"
    ramp = "; pct=25" if p == "p=quarantine" and "pct=100" not in policy else ""
    return f'_dmarc.{domain} TXT "v=DMARC1; {p}{ramp}; rua=mailto:<the address your reports go to>"'


# -- TLS-RPT ----------------------------------------------------------------------------------------------


def _tls_step(rs: ReportSet) -> Step:
    tls, failures = rs.tls, rs.tls_failures
    if tls.empty:
        return Step("tls-rpt", Status.SKIP, "no TLS-RPT reports were read")
    ok, failed = int(tls["successful_sessions"].sum()), int(tls["failed_sessions"].sum())
    step = Step(
        "tls-rpt",
        Status.PASS,
        f"{counted(ok, 'TLS session')} succeeded and {failed:,} failed,"
        f" from {counted(tls['org_name'].nunique(), 'reporter')}",
        details={
            f"{d}": f"{int(g['successful_sessions'].sum())} ok, {int(g['failed_sessions'].sum())} failed"
            for d, g in tls.groupby("policy_domain")
        },
    )
    step.tables["policies"] = _rows(tls.drop(columns=["source"]))
    if failures.empty:
        return step
    step.tables["failures"] = _rows(failures.drop(columns=["source"]))
    for (code, domain), group in failures.groupby(["finding", "policy_domain"], sort=True):
        sessions = int(group["failed_sessions"].sum())
        hosts = sorted({h for h in group["receiving_mx_hostname"] if h})
        codes = sorted({c for c in group["failure_reason_code"] if c})
        evidence = "\n".join(
            f"{r.org_name}: {r.result_type} x{r.failed_sessions} {r.sending_mta_ip} -> "
            f"{r.receiving_mx_hostname or r.receiving_ip or '?'} {r.failure_reason_code}".rstrip()
            for r in group.sort_values("failed_sessions", ascending=False).head(5).itertuples()
        )
        step.add(
            finding(
                str(code),
                evidence,
                domain=domain or "(no policy domain)",
                sessions=sessions,
                reporters=", ".join(sorted(set(group["org_name"]))[:5]),
                hosts=", ".join(hosts[:3]) + (" …" if len(hosts) > 3 else "") or "not named",
                meaning="; ".join(sorted(set(group["meaning"]))),
                types=", ".join(sorted(set(group["result_type"]))),
                codes=", ".join(codes[:5]) or "none given",
            )
        )
    return step
