"""The `dkim` step: a domain's DKIM keys, or a message's DKIM signatures, as Findings.

Two entry points because people arrive with two questions: "is my DKIM set
up?" (`dkim_step`: keys in DNS, found by selector or by discovery) and "why did
this message fail DKIM?" (`verify_step`: every signature of a saved message).
The wording of every finding comes from the catalogue (knowledge/codes/dkim.py).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Sequence

from smtpkit.dkim.record import record_text, without_flag
from smtpkit.dkim.selectors import COMMON_SELECTORS, SelectorProbe, adiscover, run_sync
from smtpkit.dkim.verify import SignatureResult, VerifyResult
from smtpkit.dmarc.alignment import org_domain
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Report, Severity, Status, Step
from smtpkit.net.dns import Resolver


def _new_selector(old: str) -> str:
    """A fresh selector name for a rotation: date-stamped, so it never collides with the old one."""
    stamp = datetime.date.today().strftime("%Y%m")
    return f"s{stamp}" if not old.startswith(f"s{stamp}") else f"s{stamp}b"


def _chain(cnames: list[str], canonical: str) -> str:
    """'a -> b -> c' for an alias chain: the owners of each CNAME, then where it ends."""
    names = list(cnames) + ([canonical] if canonical and canonical not in cnames else [])
    return " -> ".join(names)


def _host(name: str, domain: str) -> str:
    """The name as a DNS panel for the organizational domain wants it (relative, no zone suffix)."""
    org = org_domain(domain)
    return name[: -len(org) - 1] if name.endswith("." + org) else name


def _via(cnames: list[str], canonical: str = "") -> str:
    return f" at the end of the alias {_chain(cnames, canonical)}" if cnames else ""


def key_findings(probe: SelectorProbe, domain: str, *, requested: bool = True) -> list[Finding]:
    """Findings for one selector's key record. `requested`: the person named this selector."""
    ans = probe.answer
    params = {
        "selector": probe.selector,
        "domain": domain,
        "name": probe.name,
        "host": _host(probe.name, domain),
    }
    if ans.failed:
        return [
            finding(
                "dkim.key_lookup_failed",
                ans.error or ans.status,
                status=ans.status.upper(),
                error=ans.error or ans.status,
                **params,
            )
        ]
    if probe.record is None:
        if not requested:
            return []
        cnames = ans.cnames
        evidence = f"{probe.name} TXT -> {ans.status.upper()}" + (
            f" (CNAME {_chain(cnames, ans.canonical_name)})" if cnames else ""
        )
        extras: list[str] = []
        fix_extra = ""
        if probe.records:
            extras.append(f'There is a TXT record at that name, but it is not a DKIM key: "{probe.records[0][:120]}".')
            evidence += f"; TXT found: {probe.records[0][:200]}"
        if cnames:
            target = ans.canonical_name or cnames[-1]
            extras.append(
                f"The name is an alias (CNAME) pointing at {target}, which has no key: the CNAME is in place but "
                "the provider side was never activated."
            )
            fix_extra = (
                f"Here the CNAME already points at {target}: activate DKIM signing for {domain} at that provider "
                "(Microsoft 365: Defender portal > Email authentication settings > DKIM > select the domain > "
                "'Sign messages for this domain with DKIM signatures'), which creates the key behind the alias."
            )
        return [
            finding(
                "dkim.key_missing",
                evidence,
                status="a TXT record that is not a DKIM key" if probe.records else ans.status.upper(),
                via=_via(cnames, ans.canonical_name),
                extra=" ".join(extras),
                fix_extra=fix_extra,
                **params,
            )
        ]

    rec = probe.record
    out: list[Finding] = []
    evidence = f'{probe.name} TXT "{rec.raw[:300]}{"…" if len(rec.raw) > 300 else ""}"'
    keyish = [t for t in probe.records if "p=" in t.replace(" ", "")]
    if len(keyish) > 1:
        out.append(
            finding(
                "dkim.key_invalid",
                evidence,
                problem=f"there are {len(keyish)} DKIM records at this one name, and receivers may pick any of them",
                fix_extra="Delete all but the record that matches the private key your mail system signs with.",
                **params,
            )
        )
    if rec.problem("revoked"):
        out.append(finding("dkim.key_revoked", evidence, **params))
        return out
    invalid = [p.message for p in rec.problems if p.kind == "invalid"]
    if invalid:
        out.append(finding("dkim.key_invalid", evidence, problem="; ".join(invalid), **params))
    bits = rec.key_bits
    if rec.problem("too_short"):
        out.append(
            finding("dkim.key_too_short", evidence, bits=bits, new_selector=_new_selector(probe.selector), **params)
        )
    elif rec.problem("short"):
        out.append(
            finding(
                "dkim.key_too_short",
                evidence,
                severity=Severity.WARN,
                bits=bits,
                new_selector=_new_selector(probe.selector),
                extra="Receivers still accept this key today, so mail is not failing yet; rotate before they stop.",
                **params,
            )
        )
    if rec.testing:
        corrected = record_text(without_flag(rec.tags, "y"))
        out.append(finding("dkim.testing_mode", evidence, corrected=corrected, **params))
    return out


def _key_row(probe: SelectorProbe) -> dict[str, object]:
    rec = probe.record
    problems = "; ".join(f"{p.kind}: {p.message}" for p in rec.problems) if rec else ""
    return {
        "selector": probe.selector,
        "name": probe.name,
        "lookup": probe.answer.status
        + (f" via {_chain(probe.answer.cnames, probe.answer.canonical_name)}" if probe.answer.cnames else ""),
        "key": f"{rec.key_type} {rec.key_bits or ''}".strip() if rec else "",
        "flags": ",".join(rec.flags) if rec else "",
        "used by": probe.used_by,
        "problems": problems,
    }


def dkim_step(
    domain: str,
    resolver: Resolver,
    selectors: Sequence[str] = (),
    *,
    candidates: Iterable[str] | None = None,
    deadline: float | None = None,
) -> Step:
    """Check the DKIM keys of `domain`: the given selectors, or the common ones when none is given."""
    start = time.monotonic()
    requested = [s.strip().lower() for s in selectors if s.strip()]
    names = requested or list(candidates if candidates is not None else COMMON_SELECTORS)
    probes = run_sync(adiscover(domain, resolver, names, deadline=deadline))
    found = [p for p in probes if p.found]
    failed = [p for p in probes if p.answer.failed]
    found_any = found
    findings: list[Finding] = []
    if requested:
        for p in probes:
            findings += key_findings(p, domain, requested=True)
    else:
        for p in found:
            findings += key_findings(p, domain, requested=False)
        # An alias at a selector that leads nowhere is a DKIM setup left half-done (the usual
        # Microsoft 365 state): report it as a missing key, not as "nothing found".
        dangling = [p for p in probes if not p.found and p.answer.void and p.answer.cnames]
        for p in dangling:
            findings += key_findings(p, domain, requested=True)
        found_any = found + dangling
        if not found_any and failed and len(failed) == len(probes):
            ans = failed[0].answer
            findings.append(
                finding(
                    "dkim.key_lookup_failed",
                    f"{len(failed)} selector lookups, e.g. {failed[0].name}: {ans.status}",
                    selector=f"discovery ({len(failed)} common selectors)",
                    name=f"<selector>._domainkey.{domain}",
                    status=ans.status.upper(),
                    error=ans.error or ans.status,
                )
            )
        elif not found_any:
            tried = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
            extra = ""
            if failed:
                extra = (
                    f"{len(failed)} of these lookups got no answer ({', '.join(p.selector for p in failed[:5])}"
                    f"{', ...' if len(failed) > 5 else ''}), so a key may hide behind them: run the check again."
                )
            findings.append(
                finding(
                    "dkim.no_selector_found",
                    f"no DKIM key at <selector>._domainkey.{domain} for {len(names)} selectors",
                    domain=domain,
                    count=len(names),
                    tried=tried,
                    extra=extra,
                )
            )
    usable = [p for p in found if p.record is not None and p.record.usable]
    if usable:
        desc = ", ".join(f"{p.selector} ({p.record.key_type} {p.record.key_bits} bits)" for p in usable if p.record)
        summary = f"{len(usable)} usable DKIM key{'s' if len(usable) != 1 else ''}: {desc}"
    elif found_any:
        summary = f"DKIM selector{'s' if len(found_any) != 1 else ''} set up but not usable: {', '.join(p.selector for p in found_any)}"
    elif requested:
        summary = f"no DKIM key at selector{'s' if len(requested) > 1 else ''} {', '.join(requested)}"
    else:
        summary = f"no DKIM key found at {len(names)} common selectors"
    step = Step(
        name="dkim",
        status=Status.PASS if usable else Status.WARN,
        summary=summary,
        elapsed_ms=(time.monotonic() - start) * 1000,
        details={
            "domain": domain,
            "selectors checked": ", ".join(names) if requested else f"{len(names)} common selectors",
            "keys found": ", ".join(p.selector for p in found) or "none",
            "usable keys": len(usable),
        },
        tables={"keys": [_key_row(p) for p in (probes if requested else found_any)]},
    )
    step.add(*findings)
    return step


# -- message verification -------------------------------------------------------------------

_PROBLEM_CODE = {
    "body_hash_mismatch": "dkim.body_hash_mismatch",
    "signature_invalid": "dkim.signature_invalid",
    "key_missing": "dkim.key_missing",
    "key_revoked": "dkim.key_revoked",
    "key_invalid": "dkim.key_invalid",
    "key_too_short": "dkim.key_too_short",
    "malformed": "dkim.signature_malformed",
    "expired": "dkim.signature_expired",
    "key_lookup_failed": "dkim.key_lookup_failed",
}


def _unsigned_tail(sig: SignatureResult) -> int:
    """Bytes of the canonical body after the l= limit: content the signature does not cover."""
    if not sig.body_length or sig.body_bytes is None:
        return 0
    try:
        length = int(sig.body_length.strip())
    except ValueError:
        return 0
    return max(0, sig.body_bytes - length)


def signature_findings(sig: SignatureResult, *, others_pass: bool = False) -> list[Finding]:
    """Findings for one signature; failures are warnings when another signature passes (RFC 6376 §6.1)."""
    params = {
        "index": sig.index,
        "d": sig.domain,
        "s": sig.selector,
        "domain": sig.domain,
        "selector": sig.selector,
        "name": sig.key_name,
        "host": _host(sig.key_name, sig.domain),
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
                        new_selector=_new_selector(sig.selector),
                        **params,
                    )
                )
            if rec.testing:
                out.append(
                    finding("dkim.testing_mode", evidence, corrected=record_text(without_flag(rec.tags, "y")), **params)
                )
        return out
    code = _PROBLEM_CODE.get(sig.problem)
    if code is None:
        return []
    kwargs: dict[str, object] = dict(params)
    ans = sig.key_answer
    if code == "dkim.key_missing":
        kwargs.update(
            status=(ans.status.upper() if ans else "no answer"), via=_via(ans.cnames, ans.canonical_name) if ans else ""
        )
    elif code == "dkim.key_lookup_failed":
        kwargs.update(status=(ans.status.upper() if ans else "TIMEOUT"), error=(ans.error if ans else sig.reason))
    elif code == "dkim.key_too_short":
        kwargs.update(
            bits=sig.key_record.key_bits if sig.key_record else "under 1024", new_selector=_new_selector(sig.selector)
        )
    elif code == "dkim.key_invalid":
        rec = sig.key_record
        kwargs["problem"] = (
            "; ".join(p.message for p in rec.problems if p.kind == "invalid") if rec and rec.problems else sig.reason
        )
    return [finding(code, evidence, **{**kwargs, **downgrade})]  # type: ignore[arg-type]


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
            findings += signature_findings(sig, others_pass=others)
        summary = f"{len(passed)} of {len(result.signatures)} DKIM signature{'s' if len(result.signatures) != 1 else ''} verified"
        if passed:
            summary += ": " + ", ".join(f"d={s.domain} s={s.selector}" for s in passed)
        if result.unverified:
            summary += f"; {result.unverified} more DKIM-Signature headers were not checked (limit {len(result.signatures)})"
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
            **({"not checked": f"{result.unverified} signatures beyond the first {len(result.signatures)}"} if result.unverified else {}),
        },
        tables={"signatures": result.rows()},
    )
    step.add(*findings)
    return step


def verify_report(message: bytes | str, resolver: Resolver, *, source: str = "") -> Report:
    """A Report for one saved message: its DKIM signatures, then DMARC alignment of their domains."""
    from smtpkit.checks.dmarc_step import message_dmarc_step
    from smtpkit.dkim.verify import verify_message

    result = verify_message(message, resolver)
    steps = [verify_step(result)]
    if not result.message_problem:
        steps.append(message_dmarc_step(result, resolver))
    target: dict[str, object] = {"message": source or "(message)", "From": result.from_header}
    return Report(target=target, steps=steps, title="DKIM verification")
