"""The `dmarc` step: find the policy, read it in plain words, check reporting and alignment.

The record is shown twice: as a table of every tag (set or default, with
what it means and the RFC 9989 status), and as one paragraph. Every finding's
fix is a complete record to paste, built from the person's own record with
only the problem changed, so following one fix never undoes another setting.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from smtpkit.dmarc.alignment import AlignmentRow, check_alignment, dmarc_passes, mail_from_domain, mode_rule, org_domain
from smtpkit.dmarc.discovery import DmarcDiscovery, DmarcLookup, discover, is_external, rua_authorization
from smtpkit.dmarc.record import DmarcRecord, parse_record, parse_uris, read_tags, reading
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Severity, Status, Step
from smtpkit.net.dns import NXDOMAIN, Resolver

_SPF_REMEDY = (
    "have your sending service use a bounce (MAIL FROM / Return-Path) domain under {from_domain} and publish SPF for it"
    " (Amazon SES: custom MAIL FROM domain such as bounce.{from_domain}; SendGrid: domain authentication; Mailgun: send"
    " from a domain like mg.{from_domain}; Postmark: custom Return-Path; Microsoft 365 and Google Workspace already use"
    " your domain).{strict_note} DMARC also passes through DKIM alone, so an aligned DKIM signature (d={from_domain})"
    " is the more robust fix."
)
_DKIM_REMEDY = (
    "sign with d={from_domain} instead of (or as well as) d={identifier_domain}: set up your provider's custom DKIM for"
    " {from_domain} (SendGrid domain authentication, Mailgun domain DKIM, Amazon SES Easy DKIM for {from_domain},"
    " Google Workspace or Microsoft 365 DKIM for the domain) and publish the records it gives.{strict_note}"
)


def _strict_note(row: AlignmentRow) -> str:
    if row.mode != "s":
        return ""
    if org_domain(row.domain) == org_domain(row.from_domain):
        tag = "aspf" if row.identifier.startswith("SPF") else "adkim"
        return (
            f" Your record asks for strict alignment ({tag}=s), so even {row.domain}, a domain of your own "
            f"organization, does not count: use exactly {row.from_domain}, or relax to {tag}=r."
        )
    return ""


def _without_message(row: AlignmentRow) -> AlignmentRow:
    """A domain check's DKIM row says what it can: the key's d= aligns; a signature needs a message to verify.

    "DKIM not checked" under a DKIM step that passed read as if the check had been skipped.
    """
    if row.identifier != "DKIM d=" or row.authenticated is not None:
        return row
    return dataclasses.replace(
        row,
        not_checked="needs a message",
        detail=(
            f"{row.domain} publishes a DKIM key, so mail signed with it carries d={row.domain}. Whether a "
            "signature verifies is checked on a message you received: notebook 7, The evidence in hand "
            "(smtpkit message FILE)."
        ),
    )


def with_spf_result(dmarc: Step, spf: Step | None, ip: str | None) -> None:
    """Put the spf step's result for the sending IP into the alignment table's SPF row, when the spf step
    evaluated the row's domain: the row said "not checked" right under a step that had checked it.

    The two steps run side by side, so this is done once both have landed (`DomainPlan.steps`).
    """
    if spf is None or not ip:
        return
    result = str(spf.details.get(f"result for {ip}") or "")
    if not result:
        return
    for row in dmarc.tables.get("alignment", []):
        if row.get("identifier") == "SPF MAIL FROM" and row.get("domain") == spf.details.get("domain"):
            row["authenticated"] = {"softfail": "fail"}.get(result, result)
            row["detail"] = f"SPF gives {ip} {result} for {row['domain']} (the spf step)"


def alignment_findings(rows: Sequence[AlignmentRow], policy: str = "none", tag: str = "p") -> list[Finding]:
    """dmarc.not_aligned for every identifier that does not align, named, with a severity that tells
    whether DMARC still passes through another identifier."""
    out: list[Finding] = []
    passes = dmarc_passes(list(rows))
    for row in rows:
        if row.aligned:
            continue
        others = [r for r in rows if r is not row and r.counts]
        if others and all(o.authenticated is True for o in others):
            severity = Severity.INFO
            consequence = (
                f"DMARC still passes through {others[0].identifier} {others[0].domain}, so this costs nothing today."
            )
        elif others:
            # Only a possible pass (a published key, not a verified signature): the domain now depends on it alone.
            severity = Severity.WARN
            consequence = (
                f"DMARC can still pass through {others[0].identifier} {others[0].domain}, but only if every message "
                "carries that signature intact; nothing backs it up when a signature breaks in transit."
            )
        elif passes:
            severity, consequence = Severity.WARN, ""
        else:
            severity = Severity.FAIL
            consequence = (
                "No other identifier is aligned and authenticated either, so this mail fails DMARC and receivers apply "
                f"{tag}={policy}."
            )
        if row.identifier.startswith("SPF"):
            remedy = _SPF_REMEDY
            if not others and not passes:
                consequence += " Even when SPF passes, it does not count for DMARC."
        else:
            remedy = _DKIM_REMEDY
        remedy = remedy.format(from_domain=row.from_domain, identifier_domain=row.domain, strict_note=_strict_note(row))
        out.append(
            finding(
                "dmarc.not_aligned",
                f"From domain {row.from_domain}; {row.identifier} {row.domain}"
                f" ({'strict' if row.mode == 's' else 'relaxed'})",
                severity=severity,
                identifier=row.identifier,
                identifier_domain=row.domain,
                from_domain=row.from_domain,
                mode="strict" if row.mode == "s" else "relaxed",
                mode_rule=mode_rule(row.mode),
                consequence=consequence,
                remedy=remedy,
            )
        )
    return out


def _merge(records: list[str]) -> str:
    """One record from several: the first one's tags, with every report address of all of them."""
    parsed = [parse_record(r) for r in records]
    strength = {"none": 0, "quarantine": 1, "reject": 2}
    base = max(parsed, key=lambda p: (p.valid, strength.get(p.policy, 0)))  # keep the strongest valid policy
    rua: list[str] = []
    for p in parsed:
        for u in p.rua:
            if u.uri not in rua:
                rua.append(u.uri)
    return base.corrected(rua=",".join(rua) if rua else None)


# Receivers need only support two report URIs (RFC 7489 §6.2) and real records name one to three.
# A hostile record can list thousands; each external one costs a DNS lookup, so we bound them.
MAX_AUTH_LOOKUPS = 10


def inherited_words(domain: str, policy_domain: str, name: str, rec: DmarcRecord, tag: str) -> str:
    """The sentence that says a subdomain's policy comes from its organizational domain's sp=/np= (or p=)."""
    if not policy_domain or policy_domain == domain:
        return ""
    text = (
        f" {domain} has no DMARC record of its own, so receivers apply the {tag}= of {policy_domain}'s record at {name}"
    )
    if tag != "p":
        text += f" (its p={rec.policy} covers only {policy_domain} itself)"
    return text + "."


def record_findings(
    rec: DmarcRecord,
    name: str,
    domain: str,
    policy_domain: str,
    resolver: Resolver | None,
    *,
    deadline: float | None = None,
    in_effect: tuple[str, str] | None = None,
) -> tuple[list[Finding], list[dict[str, Any]]]:
    """Findings about one DMARC record's content, and the report-destination table.

    `in_effect` is the (tag, policy) receivers apply to mail From `domain`
    (`DmarcDiscovery.policy_in_effect`): the record's p= for its own domain,
    its sp= or np= for a subdomain that inherits it. The policy findings speak
    of that one, and their fixes change that tag.

    External report destinations are checked for consent with one lookup per
    distinct domain, at most MAX_AUTH_LOOKUPS of them and none after `deadline`
    (a `time.monotonic()` value): a record with a thousand rua URIs must not
    turn one check into a thousand sequential DNS queries.
    """
    authorised: dict[str, tuple[bool | None, Any]] = {}
    out: list[Finding] = []
    raw = rec.raw if len(rec.raw) <= 500 else rec.raw[:500] + f"… ({len(rec.raw)} characters)"
    evidence = f'{name} TXT "{raw}"'
    if not rec.valid:
        problem = "; ".join(p.message for p in rec.problems_of("syntax"))
        out.append(finding("dmarc.syntax_error", evidence, name=name, problem=problem, corrected=rec.corrected()))
        return out, []
    corrected = rec.corrected()
    for p in rec.problems:
        if p.kind == "invalid_value":
            out.append(
                finding(
                    "dmarc.invalid_tag_value", evidence, name=name, tag=p.tag, problem=p.message, corrected=corrected
                )
            )
        elif p.kind == "unknown_tag":
            out.append(
                finding(
                    "dmarc.invalid_tag_value",
                    evidence,
                    severity=Severity.WARN,
                    name=name,
                    tag=p.tag,
                    problem=p.message,
                    corrected=corrected,
                )
            )
    bad_tags = {p.tag for p in rec.problems}
    tag, policy = in_effect or rec.policy_for("domain")
    inherited = inherited_words(domain, policy_domain, name, rec, tag)
    if tag not in bad_tags and policy == "none":
        out.append(
            finding(
                "dmarc.policy_none",
                evidence,
                domain=domain,
                name=name,
                tag=tag,
                inherited=inherited,
                stricter=rec.corrected(**{tag: "quarantine"}),
            )
        )
    if rec.pct < 100 and policy != "none":
        out.append(
            finding(
                "dmarc.pct_partial",
                evidence,
                domain=domain,
                name=name,
                pct=rec.pct,
                tag=tag,
                policy=policy,
                inherited=inherited,
                corrected=rec.corrected(pct=None),
            )
        )
    if rec.testing and policy != "none":
        out.append(
            finding(
                "dmarc.testing_mode",
                evidence,
                domain=domain,
                name=name,
                tag=tag,
                policy=policy,
                inherited=inherited,
                corrected=rec.corrected(t=None),
            )
        )
    if not rec.rua and "rua" not in bad_tags:
        out.append(
            finding(
                "dmarc.no_reporting",
                evidence,
                domain=domain,
                name=name,
                with_rua=rec.corrected(rua=f"mailto:dmarc-reports@{policy_domain}"),
            )
        )
    rows: list[dict[str, Any]] = []
    for tag in ("rua", "ruf"):
        for uri in parse_uris(rec.tags.get(tag, ""))[0]:
            row: dict[str, Any] = {
                "tag": tag,
                "destination": uri.uri,
                "domain": uri.domain,
                "external": False,
                "authorised": "",
            }
            if uri.scheme == "mailto" and uri.domain and is_external(policy_domain, uri.domain):
                row["external"] = True
                auth_name = f"{policy_domain}._report._dmarc.{uri.domain}"
                if resolver is None:
                    row["authorised"] = "not checked"
                elif uri.domain not in authorised and (
                    len(authorised) >= MAX_AUTH_LOOKUPS or (deadline is not None and time.monotonic() >= deadline)
                ):
                    row["authorised"] = (
                        f"not checked (only the first {MAX_AUTH_LOOKUPS} destination domains are looked up)"
                        if len(authorised) >= MAX_AUTH_LOOKUPS
                        else "not checked (out of time)"
                    )
                else:
                    first = uri.domain not in authorised
                    if first:
                        authorised[uri.domain] = rua_authorization(policy_domain, uri.domain, resolver)
                    ok, ans = authorised[uri.domain]
                    row["authorised"] = {True: "yes", False: "NO", None: f"unknown ({ans.status})"}[ok]
                    if ok is False and first:
                        out.append(
                            finding(
                                "dmarc.rua_unauthorized",
                                f"{auth_name} TXT -> {ans.status.upper()}"
                                + (f" ({'; '.join(ans.texts)[:200]})" if ans.texts else ""),
                                domain=policy_domain,
                                dest_domain=uri.domain,
                                address=uri.address,
                                auth_name=auth_name,
                                status=ans.status.upper() if not ans.ok else "no v=DMARC1 record",
                            )
                        )
            rows.append(row)
    return out, rows


def missing_finding(disc: DmarcDiscovery) -> Finding:
    """dmarc.missing: no record at the domain's own _dmarc name, nor (for a subdomain) at its organization's.

    The fix publishes at the organizational domain, whose record also covers
    every subdomain (their policy is its sp=).
    """
    org = disc.org_domain
    subdomain = org != disc.domain
    fallback = f", nor at the organizational domain's _dmarc.{org}" if subdomain else ""
    covers = (
        f" It covers {disc.domain} and every other subdomain of {org} too (sp= sets their policy)." if subdomain else ""
    )
    return finding(
        "dmarc.missing",
        "; ".join(f"{lk.name} TXT -> {lk.answer.status.upper()}" for lk in disc.lookups),
        domain=disc.domain,
        checked=f"_dmarc.{disc.domain}",
        name=f"_dmarc.{org}",
        fallback=fallback,
        covers=covers,
        host_suffix="",
        org_domain=org,
    )


def _exists(domain: str, resolver: Resolver) -> bool:
    """Whether `domain` exists in DNS (for np=, RFC 9989): anything but NXDOMAIN counts as existing.

    The MX question is the one the mx step asks too, so a shared `Resolver.once()` answers it from memory.
    """
    return resolver.resolve(domain, "MX").status != NXDOMAIN


def lookup_failed_finding(lk: DmarcLookup) -> Finding:
    ans = lk.answer
    why = ans.error or ans.status
    return finding("dmarc.lookup_failed", why, name=lk.name, status=ans.status.upper(), error=why)


def dmarc_step(
    domain: str,
    resolver: Resolver,
    *,
    mail_from: str | None = None,
    dkim_domains: Sequence[str] | None = None,
    discovery: DmarcDiscovery | None = None,
    deadline: float | None = None,
) -> Step:
    """Check the DMARC policy that applies to mail From `domain`.

    `mail_from`: the envelope sender your mail uses (SPF identity) to check SPF
    alignment; `dkim_domains`: the d= domains your mail is signed with (for a
    domain check, the domain itself when it publishes a usable DKIM key).
    `deadline` (a `time.monotonic()` value) stops the report-consent lookups.
    """
    start = time.monotonic()
    disc = discovery or discover(domain, resolver)
    findings: list[Finding] = []
    tables: dict[str, list[dict[str, Any]]] = {"lookups": disc.rows()}
    details: dict[str, Any] = {"domain": disc.domain, "organizational domain": disc.org_domain}
    summary = ""
    for name, text in disc.malformed:
        rec = parse_record(text)
        findings.append(
            finding(
                "dmarc.syntax_error",
                f'{name} TXT "{text}"',
                name=name,
                problem="; ".join(p.message for p in rec.problems_of("syntax")) or "it does not start with v=DMARC1",
                corrected=rec.corrected(),
            )
        )
    failed = disc.failed
    record = disc.record
    if failed is not None:
        findings.append(lookup_failed_finding(failed))
        summary = f"DMARC lookup of {failed.name} failed ({failed.answer.status})"
    elif not disc.records:
        if not disc.malformed:
            findings.append(missing_finding(disc))
            summary = "no DMARC record"
        else:
            summary = "the DMARC record is malformed, so receivers discard it"
    elif len(disc.records) > 1:
        findings.append(
            finding(
                "dmarc.multiple_records",
                " | ".join(disc.records),
                name=disc.record_name,
                count=len(disc.records),
                merged=_merge(disc.records),
            )
        )
        summary = f"{len(disc.records)} DMARC records at {disc.record_name}: no policy applies"
    elif record is not None:
        details["record"] = record.raw
        details["found at"] = disc.record_name + (" (organizational domain fallback)" if disc.used_fallback else "")
        details["reading"] = reading(record)
        tables["tags"] = [t.to_row() for t in read_tags(record)]
        in_effect = None
        if record.valid:
            exists = True
            if disc.used_fallback and record.nonexistent_policy != record.subdomain_policy:
                exists = _exists(disc.domain, resolver)
            in_effect = disc.policy_in_effect(exists=exists)
        if in_effect is not None:
            tag, effective = in_effect
            details["policy in effect"] = f"{tag}={effective}" + (f", pct={record.pct}" if record.pct < 100 else "")
            if disc.used_fallback:
                which = "subdomains that do not exist" if tag == "np" else "subdomains"
                details["policy in effect"] += f" (for {which} of {disc.policy_domain})"
        more, rua_rows = record_findings(
            record,
            disc.record_name,
            disc.domain,
            disc.policy_domain,
            resolver,
            deadline=deadline,
            in_effect=in_effect,
        )
        findings += more
        if rua_rows:
            tables["report destinations"] = rua_rows
        if record.valid:
            summary = f"p={record.policy}" + (
                f", sp={record.subdomain_policy}" if record.subdomain_policy != record.policy else ""
            )
            summary += f", reports to {', '.join(u.address for u in record.rua)}" if record.rua else ", no reports"
            if disc.used_fallback and in_effect is not None:
                summary += f" (inherited from {disc.policy_domain}: {in_effect[0]}={in_effect[1]} applies here)"
        else:
            summary = "the DMARC record is malformed, so receivers discard it"
        if record.valid and (mail_from or dkim_domains):
            rows = check_alignment(
                disc.domain,
                spf_domain=mail_from_domain(mail_from) if mail_from else None,
                dkim=[(d, None) for d in dkim_domains or []],
                adkim=record.adkim,
                aspf=record.aspf,
            )
            rows = [_without_message(r) for r in rows]
            tables["alignment"] = [r.to_row() for r in rows]
            tag, effective = in_effect or ("p", record.policy)
            findings += alignment_findings(rows, effective, tag)
    step = Step(
        name="dmarc",
        status=Status.PASS,
        summary=summary,
        elapsed_ms=(time.monotonic() - start) * 1000,
        details=details,
        tables=tables,
    )
    step.add(*findings)
    return step
