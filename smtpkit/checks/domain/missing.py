"""A domain that does not exist: said once, at the top, instead of once per record.

When DNS answers NXDOMAIN for the domain itself, nothing exists at that name
or below it (RFC 8020), so every step that looks for a record there fails the
same way: no MX, no SPF, no DKIM key, no DMARC policy, no MTA-STS or TLS-RPT
record. Five failures for one cause bury it, and their fixes ("publish an SPF
record") are wrong: the domain must exist first. So, once every step has run,
this module replaces them with one headline finding on the mx step and marks
the other steps of the domain as not checked. The steps about the sending IP
(reverse DNS, blocklists) do not depend on the domain and stay as they are, and
so does a DMARC policy inherited from an organizational domain that exists
(its np= says what receivers do with mail forged from names that do not).

A provider's own domain (gmail.com, outlook.com) certainly exists: for it the
NXDOMAIN says that the resolver in use is broken, filtered or offline (a VPN,
a captive portal, a DNS filter), which is "could not check", not "fail". So
does an NXDOMAIN from a resolver that denies the domain's top-level domain too
(the mx step asks, `smtpkit.checks.denied_tld`): it says that of every name.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtpkit.knowledge import finding
from smtpkit.knowledge.presets import close_domain, published_domain
from smtpkit.model import Status, Step

__all__ = ["DOMAIN_STEPS", "Absence", "does_not_exist", "recognise_missing"]

#: the steps that look for records at the domain itself (the rest are about the sending IP)
DOMAIN_STEPS = frozenset({"mx", "spf", "dkim", "dmarc", "mta_sts", "tlsrpt", "dane", "mx_tls"})


def does_not_exist(steps: dict[str, Step]) -> bool:
    """True when DNS said NXDOMAIN for the domain's own MX lookup (the name and everything below it are absent)."""
    mx = steps.get("mx")
    return mx is not None and str(mx.details.get("MX lookup") or "") == "nxdomain"


def recognise_missing(domain: str, steps: dict[str, Step], asked: str) -> bool:
    """When `domain` does not exist, say so once and skip its other steps; True if it does not exist.

    `asked` says which resolver answered (``MX query to 192.0.2.53:53``).
    """
    if not does_not_exist(steps):
        return False
    mx = steps["mx"]
    evidence = f"{domain} MX -> NXDOMAIN ({asked})"
    absent = Absence.of(domain, mx)
    provider = published_domain(domain)
    if absent.filtered and provider is not None:
        headline = finding(
            "domain.resolver_filtered", evidence, domain=domain, asked=asked, provider_name=provider.name
        )
    elif absent.filtered:
        tld = absent.tld
        evidence += f"; {tld} NS -> NXDOMAIN"
        headline = finding("domain.resolver_broken", evidence, domain=domain, asked=asked, tld=tld)
    else:
        close = close_domain(domain)
        suggestion = f" Did you mean {close}? It is one small typo away from what was typed." if close else ""
        parent = domain.split(".", 1)[1] if "." in domain else "."
        headline = finding(
            "domain.nxdomain", evidence, domain=domain, asked=asked, suggestion=suggestion, parent=parent
        )
    for step in steps.values():
        if absent.skips(step):
            step.findings = []
            step.status = Status.SKIP
            step.summary = absent.skipped
    mx.findings = []  # "no MX records" and the like: the headline says why
    mx.status = absent.status
    mx.summary = absent.why
    mx.add(headline)
    return True


@dataclass(frozen=True)
class Absence:
    """What a domain that DNS says does not exist makes of its steps: the mx step's status and words, and the
    words of every other step of the domain (not checked).

    One place for the words, so that the live lines of a check (announced as each step lands) say what its
    result says: "✘ spf: no SPF record" went by above a table that said the step was not checked.
    """

    filtered: bool  # the resolver is broken or filtered, not the domain missing (could not check)
    status: Status
    why: str
    skipped: str
    tld: str = ""  # the top-level domain the resolver also denied (the mx step's "TLD lookup")

    @classmethod
    def of(cls, domain: str, mx: Step) -> Absence:
        """For `domain`, whose `mx` step's lookup said NXDOMAIN: a provider's own domain, or a domain under a
        top-level domain the resolver also denies (`smtpkit.checks.denied_tld`), is a resolver that lies."""
        lied = str(mx.details.get("TLD lookup") or "")
        if published_domain(domain) is not None or lied:
            return cls(
                True,
                Status.WARN,
                f"this machine's DNS says {domain} does not exist: the resolver is broken or filtered",
                f"not checked: this machine's DNS is broken or filtered (it says {domain} does not exist)",
                lied.split(" ", 1)[0],
            )
        return cls(False, Status.FAIL, f"{domain} does not exist (NXDOMAIN)", f"not checked: {domain} does not exist")

    @staticmethod
    def skips(step: Step) -> bool:
        """Is `step` one the absence makes 'not checked'? A name that does not exist below an existing
        organizational domain still gets that domain's DMARC policy (np=, RFC 9989): it is kept."""
        if step.name not in DOMAIN_STEPS or step.name == "mx":
            return False
        return not (step.name == "dmarc" and bool(step.details.get("record")))
