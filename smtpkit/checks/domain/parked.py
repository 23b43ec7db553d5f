"""A parked domain: recognised from its MX, SPF and DMARC together, and then not asked for what it does not need.

A domain that sends and receives no mail should publish a null MX (RFC 7505
"0 ."), ``v=spf1 -all`` and a DMARC policy of reject: exactly what the kit's
own `mx.null` fix recommends. Each step looks at one record, and alone each of
these looks like a problem (the null MX is `mx.null`, a failure for a domain
that sends), so the recognition happens here, once every step has run: the
null MX becomes the information `domain.parked`, and the findings that ask a
sending domain for DKIM keys or DMARC reports are dropped, since a parked domain
needs neither. Anything else the steps found (a broken record, a failed lookup)
stays.
"""

from __future__ import annotations

import re

from smtpkit.knowledge import finding
from smtpkit.model import Finding, Severity, Status, Step

# What a sending domain is asked for and a parked one does not need.
NOT_NEEDED_WHEN_PARKED = frozenset({"mx.null", "dkim.no_selector_found", "dmarc.no_reporting"})

_SPF_NOTHING = re.compile(r"^v=spf1\s+-all$", re.IGNORECASE)
_REJECT = re.compile(r"^(p|sp|np)=reject$")


def is_parked(steps: dict[str, Step]) -> bool:
    """A null MX alone, SPF authorising no one, and DMARC reject in effect (all of it, no test mode)."""
    mx, spf, dmarc = steps.get("mx"), steps.get("spf"), steps.get("dmarc")
    if mx is None or spf is None or dmarc is None:
        return False
    if not mx.details.get("null MX"):
        return False
    record = " ".join(str(spf.details.get("record") or "").split())
    if not _SPF_NOTHING.match(record) or spf.status is Status.FAIL:
        return False
    in_effect = str(dmarc.details.get("policy in effect") or "").split(" (", 1)[0]
    testing = re.search(r"(?:^|;)\s*t\s*=\s*y", str(dmarc.details.get("record") or ""), re.IGNORECASE)
    return bool(_REJECT.match(in_effect)) and not testing and dmarc.status is not Status.FAIL


def _refresh(step: Step, keep: list[Finding], base: Status) -> None:
    step.findings = []
    step.status = base
    step.add(*keep)


def recognise_parked(domain: str, steps: dict[str, Step]) -> bool:
    """When `domain` is parked correctly, say so on the mx step and drop what it does not need; True if it is."""
    if not is_parked(steps):
        return False
    mx, spf, dmarc = steps["mx"], steps["spf"], steps["dmarc"]
    parked = finding(
        "domain.parked",
        f"{domain}: MX 0 . ; {spf.details.get('record')} ; {dmarc.details.get('record')}",
        domain=domain,
        mx='"0 ."',
        spf=f'"{spf.details.get("record")}"',
        dmarc=f'"{dmarc.details.get("policy in effect")}" from "{dmarc.details.get("record")}"',
    )
    for step in steps.values():
        kept = [f for f in step.findings if f.code not in NOT_NEEDED_WHEN_PARKED]
        if len(kept) != len(step.findings):
            worst = {f.severity for f in kept}
            _refresh(step, kept, Status.INFO if step.name != "dmarc" else Status.PASS)
            if step.name == "dkim" and Severity.FAIL not in worst and Severity.WARN not in worst:
                step.summary = "no DKIM key: a parked domain signs nothing, so it needs none"
    mx.add(parked)
    mx.summary = "parked: null MX, v=spf1 -all and DMARC reject; the domain neither sends nor receives mail"
    return True
