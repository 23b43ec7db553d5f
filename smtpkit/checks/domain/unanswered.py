"""A domain DNS did not answer for: said once, as "could not check", instead of once per record.

When the resolver in use times out, fails (SERVFAIL), refuses or cannot be
reached for the domain's own MX, SPF and DMARC lookups, every record check
reports the same non-answer: five warnings and an SPF "temperror" for one
cause, each with a fix about a record that may well be fine. Nothing about the
domain was read, so nothing about it can be a failure (a non-answer is never a
verdict on the domain). This module replaces them with one headline finding on
the mx step that names the resolver and the answer it gave, and marks the
other steps of the domain as not checked. The steps about the sending IP
(reverse DNS, blocklists) do not depend on the domain and stay as they are.

A single failed lookup among answered ones (one include, the DMARC record
only) is left to its own step: there the domain was read and the one failure
is worth its own words.
"""

from __future__ import annotations

from smtpkit.checks.domain.missing import DOMAIN_STEPS
from smtpkit.knowledge import finding
from smtpkit.model import Status, Step

__all__ = ["NON_ANSWERS", "recognise_unanswered"]

#: what a resolver can say instead of an answer (dnspython outcomes as smtpkit.net.dns names them)
NON_ANSWERS = {
    "timeout": "did not answer in time",
    "servfail": "answered SERVFAIL (it could not get an answer from the domain's nameservers)",
    "refused": "refused to answer (REFUSED: it does not serve this machine, or not this name)",
    "error": "could not be reached (a network error)",
}

# the lookups at the domain's own name, each recognised by the finding its step gives when it gets no answer
_UNANSWERED = {"spf": "spf.dns_error", "dmarc": "dmarc.lookup_failed"}


def _unanswered(steps: dict[str, Step]) -> str | None:
    """The MX lookup's non-answer when the SPF and DMARC lookups got none either; else None."""
    mx = steps.get("mx")
    status = str(mx.details.get("MX lookup") or "") if mx is not None else ""
    if status not in NON_ANSWERS:
        return None
    for name, code in _UNANSWERED.items():
        step = steps.get(name)
        if step is None or not any(f.code == code for f in step.findings):
            return None
    return status


def recognise_unanswered(domain: str, steps: dict[str, Step], asked: str) -> bool:
    """When DNS gave no answer for `domain` itself, say so once and skip its other steps; True if so.

    `asked` says which resolver was asked (``MX query to 192.0.2.53:53``).
    """
    status = _unanswered(steps)
    if status is None:
        return False
    mx = steps["mx"]
    evidence = f"{domain} MX, TXT and _dmarc TXT -> {status.upper()} ({asked})"
    headline = finding(
        "domain.unanswered", evidence, domain=domain, asked=asked, status=status.upper(), why=NON_ANSWERS[status]
    )
    skipped = f"not checked: DNS gave no answer for {domain} ({status})"
    for step in steps.values():
        if step.name not in DOMAIN_STEPS:
            continue
        step.findings = []
        step.status = Status.SKIP
        step.summary = skipped
    mx.status = Status.WARN
    mx.summary = f"could not check: the resolver gave no answer for {domain} ({status})"
    mx.add(headline)
    return True
