"""A saved message's DKIM signatures and DMARC alignment, as Steps with Findings.

People arrive with a message as often as with a domain ("why did *this* mail
fail DKIM?"): every DKIM-Signature is verified through the kit's resolver
(`verify_step`), then the From domain's DMARC policy is applied to what
verified (`message_dmarc_step`). The wording comes from the catalogue
(knowledge/codes/dkim.py and dmarc.py).
"""

from __future__ import annotations

import dataclasses
import time

from smtpkit.checks.domain.dkim import PROBLEM_CODE, key_host, new_selector, via_cnames
from smtpkit.checks.domain.dmarc import alignment_findings, lookup_failed_finding, missing_finding
from smtpkit.dkim.record import record_text, without_flag
from smtpkit.dkim.verify import MAX_ADDRESSES, SignatureResult, VerifyResult
from smtpkit.dmarc.alignment import check_alignment
from smtpkit.dmarc.discovery import discover
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Report, Severity, Status, Step
from smtpkit.net.dns import Resolver


def _unsigned_tail(sig: SignatureResult) -> int:
    """Bytes of the canonical body after the l= limit: content the signature does not cover."""
    if not sig.body_length or sig.body_bytes is None:
        return 0
    text = sig.body_length.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 20:  # as dkimpy reads l= (bytes)
        return 0
    length = int(text)
    return max(0, sig.body_bytes - length)


def signature_findings(sig: SignatureResult, *, others_pass: bool = False, deadline: float = 0.0) -> list[Finding]:
    """Findings for one signature; failures are warnings when another signature passes (RFC 6376 §6.1)."""
    params = {
        "index": sig.index,
        "d": sig.domain,
        "s": sig.selector,
        "domain": sig.domain,
        "selector": sig.selector,
        "name": sig.key_name,
        "host": key_host(sig.key_name, sig.domain),
        "signed": sig.body_hash_signed,
        "computed": sig.body_hash_computed,
        "canon": sig.canonicalization,
        "headers": ", ".join(sig.signed_headers),
        "expiration": sig.expiration,
        "problem": sig.reason,
    }
    evidence = f"DKIM-Signature: {sig.header[:400]}" + (f" | {sig.reason}" if sig.reason else "")
    downgrade = (
        {"severity": Severity.WARN, "extra": "Another signature on this message verifies, so DKIM still passes."}
        if others_pass
        else {}
    )
    if sig.passed:
        out: list[Finding] = []
        unsigned = _unsigned_tail(sig)
        if unsigned:
            out.append(
                finding(
                    "dkim.body_length_limit",
                    evidence,
                    length=sig.body_length,
                    body_bytes=sig.body_bytes,
                    unsigned=unsigned,
                    **params,
                )
            )
        rec = sig.key_record
        if rec is not None:
            if rec.problem("short"):
                out.append(
                    finding(
                        "dkim.key_too_short",
                        evidence,
                        severity=Severity.WARN,
                        bits=rec.key_bits,
                        new_selector=new_selector(sig.selector),
                        **params,
                    )
                )
            if rec.testing:
                out.append(
                    finding("dkim.testing_mode", evidence, corrected=record_text(without_flag(rec.tags, "y")), **params)
                )
        return out
    code = PROBLEM_CODE.get(sig.problem)
    if code is None:
        return []
    kwargs: dict[str, object] = dict(params)
    ans = sig.key_answer
    if code == "dkim.key_missing":
        kwargs.update(
            status=(ans.status.upper() if ans else "no answer"),
            via=via_cnames(ans.cnames, ans.canonical_name) if ans else "",
        )
    elif code == "dkim.key_lookup_failed":
        kwargs.update(status=(ans.status.upper() if ans else "TIMEOUT"), error=(ans.error if ans else sig.reason))
    elif code == "dkim.key_too_short":
        kwargs.update(
            bits=sig.key_record.key_bits if sig.key_record else "under 1024", new_selector=new_selector(sig.selector)
        )
    elif code == "dkim.verify_deadline":
        kwargs["deadline"] = f"{deadline:g}"
    elif code == "dkim.key_invalid":
        rec = sig.key_record
        kwargs["problem"] = (
            "; ".join(p.message for p in rec.problems if p.kind == "invalid") if rec and rec.problems else sig.reason
        )
    return [finding(code, evidence, **{**kwargs, **downgrade})]


def verify_step(result: VerifyResult) -> Step:
    """The `dkim` step for a message: one table row and the findings per signature."""
    findings: list[Finding] = []
    passed = result.passed
    if result.message_problem:
        findings.append(
            finding(
                "dkim.no_signature",
                result.message_problem,
                extra=f"Here the input could not be read: {result.message_problem}.",
            )
        )
        summary = result.message_problem
    elif not result.signatures:
        findings.append(
            finding(
                "dkim.no_signature", f"From: {result.from_header}" if result.from_header else "no DKIM-Signature header"
            )
        )
        summary = "the message carries no DKIM signature"
    else:
        for sig in result.signatures:
            others = any(p is not sig for p in passed)
            findings += signature_findings(sig, others_pass=others, deadline=result.deadline)
        summary = (
            f"{len(passed)} of {len(result.signatures)} DKIM signature{'s' if len(result.signatures) != 1 else ''}"
            " verified"
        )
        if passed:
            summary += ": " + ", ".join(f"d={s.domain} s={s.selector}" for s in passed)
        if result.unverified:
            summary += (
                f"; {result.unverified} more DKIM-Signature headers were not checked (limit {len(result.signatures)})"
            )
    step = Step(
        name="dkim",
        status=Status.PASS if passed else Status.WARN,
        summary=summary,
        details={
            "From": result.from_header,
            "From domain": result.from_domain,
            "Return-Path domain": result.return_path_domain or "(none in the message)",
            "signatures": len(result.signatures) + result.unverified,
            "verified": len(passed),
            **(
                {"not checked": f"{result.unverified} signatures beyond the first {len(result.signatures)}"}
                if result.unverified
                else {}
            ),
        },
        tables={"signatures": result.rows()},
    )
    step.add(*findings)
    return step


def verify_report(
    message: bytes | str, resolver: Resolver, *, source: str = "", deadline: float | None = None
) -> Report:
    """A Report for one saved message: its DKIM signatures, then DMARC alignment of their domains.

    `deadline` bounds the verification (seconds; `smtpkit.dkim.verify.DEADLINE` by default).
    """
    from smtpkit.dkim.verify import DEADLINE, verify_message

    result = verify_message(message, resolver, deadline=DEADLINE if deadline is None else deadline)
    steps = [verify_step(result)]
    if not result.message_problem:
        steps.append(message_dmarc_step(result, resolver))
    target: dict[str, object] = {"message": source or "(message)", "From": result.from_header}
    return Report(target=target, steps=steps, title="DKIM verification")


def _domain_list(domains: list[str], truncated: bool, shown: int = 5) -> str:
    """'a.test, b.test and 98 more' (a From header can name thousands)."""
    text = ", ".join(domains[:shown])
    more = len(domains) - shown
    if more > 0:
        text += f" and {more} more"
    if truncated:
        text += " (and addresses not looked at)"
    return text


def _ambiguous_from(result: VerifyResult) -> Finding | None:
    """dmarc.from_ambiguous when the From header(s) name more than one domain (RFC 7489 §6.6.1).

    A From naming more addresses than are looked at (`MAX_ADDRESSES`) counts as
    ambiguous too: the ones not looked at could name any domain.
    """
    if len(result.from_domains) < 2 and not result.from_truncated:
        return None
    if result.from_truncated:
        how = (
            f"From header fields naming more than {MAX_ADDRESSES} addresses (only the first {MAX_ADDRESSES} were read)"
        )
    elif result.from_count > 1:
        how = f"{result.from_count} From header fields"
    else:
        how = "one From header field with several addresses"
    header = result.from_header if len(result.from_header) <= 300 else result.from_header[:300] + "…"
    return finding(
        "dmarc.from_ambiguous",
        f"From: {header}" + (f" (and {result.from_count - 1} more From fields)" if result.from_count > 1 else ""),
        how=how,
        domains=_domain_list(result.from_domains, result.from_truncated),
        first_domain=result.from_domain,
    )


def message_dmarc_step(result: VerifyResult, resolver: Resolver) -> Step:
    """DMARC for one saved message: From domain vs Return-Path and every DKIM d=, with the policy's modes.

    SPF itself cannot be evaluated from a saved message (it needs the connecting
    IP), so the SPF identifier is checked for alignment only.
    """
    start = time.monotonic()
    if not result.from_domain:
        step = Step(
            name="dmarc", status=Status.SKIP, summary="no From address in the message: DMARC cannot be evaluated"
        )
        return step
    disc = discover(result.from_domain, resolver)
    record = disc.record
    adkim = record.adkim if record and record.valid else "r"
    aspf = record.aspf if record and record.valid else "r"
    spf_pass = {"pass": True, "": None}.get(result.spf_result, False)
    rows = check_alignment(
        result.from_domain,
        spf_domain=result.return_path_domain or None,
        spf_pass=spf_pass,
        dkim=[(s.domain, s.passed) for s in result.signatures if s.domain],
        adkim=adkim,
        aspf=aspf,
    )
    spf_note = (
        f"spf={result.spf_result} as recorded by the receiver ({result.spf_source})"
        if result.spf_result
        else "not re-checked: SPF needs the sending IP (smtpkit spf DOMAIN --ip IP)"
    )
    rows = [dataclasses.replace(r, detail=spf_note) if r.identifier.startswith("SPF") else r for r in rows]
    findings: list[Finding] = []
    # the policy receivers apply to this From domain: p=, or an inherited record's sp= (np= needs a DNS lookup
    # of the From domain, which a message check does not make; sp= is what applies to a domain that sends)
    tag, policy = disc.policy_in_effect() or ("p", "none")
    verified = any(r.aligned and r.authenticated is True for r in rows)
    possible = any(r.counts for r in rows)
    status = Status.PASS if verified else Status.INFO if possible else Status.FAIL
    ambiguous = _ambiguous_from(result)
    if record is not None and record.valid:
        findings += alignment_findings(rows, policy, tag)
        if verified:
            summary = f"DMARC passes for From domain {result.from_domain} ({tag}={policy})"
        elif possible:
            summary = (
                f"DMARC for {result.from_domain} ({tag}={policy}) passes only if SPF passed for the sending IP: "
                "no aligned DKIM signature verified"
            )
        else:
            summary = f"DMARC fails for From domain {result.from_domain}: receivers apply {tag}={policy}"
    elif disc.failed is not None:
        findings.append(lookup_failed_finding(disc.failed))
        summary = f"DMARC lookup failed for {result.from_domain}"
        status = Status.WARN
    else:
        if not disc.records and not disc.malformed:
            findings.append(missing_finding(disc))
        summary = f"{result.from_domain} publishes no usable DMARC policy; alignment shown for reference"
        status = Status.INFO
    if ambiguous is not None:
        # A pass for one of several From domains vouches for nothing the reader can rely on.
        findings.insert(0, ambiguous)
        status = Status.FAIL
        summary = (
            f"DMARC cannot vouch for this message: its From names "
            f"{'more than ' if result.from_truncated else ''}{len(result.from_domains)} domain"
            f"{'s' if len(result.from_domains) != 1 else ''} "
            f"({_domain_list(result.from_domains, result.from_truncated)});"
            f" the alignment below is for {result.from_domain} only"
        )
    step = Step(
        name="dmarc",
        status=status,
        summary=summary,
        elapsed_ms=(time.monotonic() - start) * 1000,
        details={
            "From domain": result.from_domain,
            "policy record": record.raw if record else "none",
            "found at": disc.record_name if disc.records else "",
            "adkim": adkim,
            "aspf": aspf,
            "SPF": spf_note,
        },
        tables={"alignment": [r.to_row() for r in rows]},
    )
    step.add(*findings)
    return step
