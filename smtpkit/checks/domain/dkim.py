"""The `dkim` step: a domain's DKIM keys in DNS, as Findings.

Two entry points because people arrive with two questions: "is my DKIM set
up?" (`dkim_step`: keys in DNS, found by selector or by discovery) and "why did
this message fail DKIM?" (`smtpkit.checks.domain.message.verify_step`).
The wording of every finding comes from the catalogue (knowledge/codes/dkim.py).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Sequence

from smtpkit.dkim.record import record_text, without_flag
from smtpkit.dkim.selectors import COMMON_SELECTORS, SelectorProbe, adiscover, run_sync
from smtpkit.dmarc.alignment import org_domain
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Severity, Status, Step
from smtpkit.net.dns import Resolver


def new_selector(old: str) -> str:
    """A fresh selector name for a rotation: date-stamped, so it never collides with the old one."""
    stamp = datetime.date.today().strftime("%Y%m")
    return f"s{stamp}" if not old.startswith(f"s{stamp}") else f"s{stamp}b"


def _chain(cnames: list[str], canonical: str) -> str:
    """'a -> b -> c' for an alias chain: the owners of each CNAME, then where it ends."""
    names = list(cnames) + ([canonical] if canonical and canonical not in cnames else [])
    return " -> ".join(names)


def key_host(name: str, domain: str) -> str:
    """The name as a DNS panel for the organizational domain wants it (relative, no zone suffix)."""
    org = org_domain(domain)
    return name[: -len(org) - 1] if name.endswith("." + org) else name


def via_cnames(cnames: list[str], canonical: str = "") -> str:
    return f" at the end of the alias {_chain(cnames, canonical)}" if cnames else ""


def key_findings(probe: SelectorProbe, domain: str, *, requested: bool = True) -> list[Finding]:
    """Findings for one selector's key record. `requested`: the person named this selector."""
    ans = probe.answer
    params = {
        "selector": probe.selector,
        "domain": domain,
        "name": probe.name,
        "host": key_host(probe.name, domain),
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
                via=via_cnames(cnames, ans.canonical_name),
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
            finding("dkim.key_too_short", evidence, bits=bits, new_selector=new_selector(probe.selector), **params)
        )
    elif rec.problem("short"):
        out.append(
            finding(
                "dkim.key_too_short",
                evidence,
                severity=Severity.WARN,
                bits=bits,
                new_selector=new_selector(probe.selector),
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
        "lookup": (
            probe.answer.status
            + (f" via {_chain(probe.answer.cnames, probe.answer.canonical_name)}" if probe.answer.cnames else "")
        ),
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
        summary = (
            f"DKIM selector{'s' if len(found_any) != 1 else ''} set up but not usable:"
            f" {', '.join(p.selector for p in found_any)}"
        )
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

PROBLEM_CODE = {
    "body_hash_mismatch": "dkim.body_hash_mismatch",
    "signature_invalid": "dkim.signature_invalid",
    "key_missing": "dkim.key_missing",
    "key_revoked": "dkim.key_revoked",
    "key_invalid": "dkim.key_invalid",
    "key_too_short": "dkim.key_too_short",
    "malformed": "dkim.signature_malformed",
    "expired": "dkim.signature_expired",
    "key_lookup_failed": "dkim.key_lookup_failed",
    "timed_out": "dkim.verify_deadline",
}
