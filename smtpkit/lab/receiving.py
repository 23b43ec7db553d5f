"""One call per result for notebook ``09_inbound_and_reputation``: the receiving side and the blocklists.

Notebooks hold no logic, so the choices live here: which lab domains teach
what, the settings that point a check at the lab (`smtpkit.lab.inbound`) or,
when you give your own domain, at the internet, and a side-by-side table of
the lab's receiving-side domains. Everything returns ordinary results (a
`Report`, a pandas DataFrame), so a saved notebook shows them without a kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smtpkit.model import Report, Severity
from smtpkit.settings.domain import DomainQuery

if TYPE_CHECKING:
    import pandas as pd

    from smtpkit.lab.lab import LabInfo

__all__ = ["INBOUND_STEPS", "LESSONS", "REPUTATION_STEPS", "blocklists", "compare", "domain_query", "receiving_side"]

#: The steps about mail *to* a domain, in the order the notebook explains them.
INBOUND_STEPS = ("mx", "mx_tls", "mta_sts", "dane", "tlsrpt")

#: Lab domain -> the lesson it teaches (the finding a correct check names, or None for a healthy one).
LESSONS: dict[str, str | None] = {
    "sts-enforce.test": None,
    "sts-testing.test": "mta_sts.mode_testing",
    "sts-nocover.test": "mta_sts.mx_not_covered",
    "sts-mxcert.test": "mta_sts.mx_cert_invalid",
    "sts-redirect.test": "mta_sts.policy_redirect",
    "sts-html.test": "mta_sts.policy_content_type",
    "sts-badcert.test": "mta_sts.policy_cert_invalid",
    "mxtls-nostarttls.test": "mx.tls.no_starttls",
    "mxtls-partial.test": "mx.tls.unreachable",
    "dane-ok.test": None,
    "dane-stale.test": "dane.no_match",
    "dane-bogus.test": "dnssec.bogus",
    "dane-unsigned.test": "dane.insecure",
    "dane-port.test": "dane.wrong_port",
    "dane-ta.test": "dane.no_rollover",
    "tlsrpt-missing.test": "tlsrpt.missing",
}
DEFAULT_DOMAIN = "sts-enforce.test"


def domain_query(
    lab: LabInfo,
    domain: str | None = None,
    *,
    ip: str | None = None,
    nameserver: str | None = None,
    probe_mx: bool = True,
    timeout: float = 15.0,
) -> DomainQuery:
    """The settings for one check: a lab domain through the lab (default `sts-enforce.test`), or yours as given.

    Your own domain is checked against the internet (your resolvers, or
    `nameserver`), with the root's DNSSEC anchor and the real blocklists; the
    lab's options (its CA, ports, private addresses) are for its domains only.
    """
    name = (domain or DEFAULT_DOMAIN).strip().rstrip(".").lower()
    lab_zones = lab.dns.zones if lab.dns is not None else ()
    if name in lab_zones:
        options = lab.domain_options()
        if nameserver:
            options["nameservers"] = (nameserver,)
        return DomainQuery(name, ip=ip, timeout=timeout, probe_mx=probe_mx, **options)
    return DomainQuery(name, ip=ip, nameservers=nameserver or (), timeout=timeout, probe_mx=probe_mx)


#: The steps about the address mail leaves from (its reverse DNS and the blocklists), present with an IP.
REPUTATION_STEPS = ("ptr", "dnsbl")


def receiving_side(report: Report) -> Report:
    """The part of a domain report about mail *to* the domain (MX, STARTTLS, MTA-STS, DANE, TLS-RPT), and the
    sending IP's reverse DNS and blocklists when the check was given an IP."""
    steps = [s for name in INBOUND_STEPS + REPUTATION_STEPS for s in report.steps if s.name == name]
    return Report(target=report.target, steps=steps, title=f"{report.title}: the receiving side")


def compare(lab: LabInfo, domains: Sequence[str] | None = None, *, probe_mx: bool = True) -> pd.DataFrame:
    """The lab's receiving-side domains side by side: each step's status and the findings, one row per domain,
    indexed by the domain (a column beside a 0, 1, 2 … index read as a raw table in the app)."""
    import pandas as pd
    from tqdm.auto import tqdm

    from smtpkit.checks.domain import check_domain
    from smtpkit.checks.domain.inbound import InboundCache

    cache = InboundCache()  # the lab MX is probed once for all of them
    rows: list[dict[str, Any]] = []
    # leave=True: a closed bar's widget is gone, and the app (Voilà) then shows "model not found" in its place
    for domain in tqdm(list(domains or LESSONS), desc="lab domains", leave=True):
        report = check_domain(domain_query(lab, domain, probe_mx=probe_mx, timeout=10.0), inbound_cache=cache)
        statuses = {s.name: s.status.value for s in report.steps if s.name in INBOUND_STEPS}
        rows.append(
            {
                "domain": domain,
                "verdict": report.verdict,
                **statuses,
                # problems only: a note (severity info) beside a step that passed read as a contradiction
                "findings": ", ".join(
                    f.code for f in report.findings if f.step in INBOUND_STEPS and f.severity is not Severity.INFO
                )
                or "none",
            }
        )
    return pd.DataFrame(rows).set_index("domain")


def blocklists(lab: LabInfo, ip: str | None = None, *, nameserver: str | None = None, timeout: float = 10.0) -> Report:
    """Your IP on the real blocklists; or, with no `ip`, the lab's listed address on every practice list."""
    from smtpkit.checks.domain.dnsbl import check_dnsbl
    from smtpkit.lab.zones.dnsbl import LAB_LISTS, LISTED_IP

    if ip:
        return check_dnsbl(ip, nameservers=(nameserver,) if nameserver else (), timeout=timeout)
    return check_dnsbl(
        LISTED_IP, LAB_LISTS, only_lists=True, nameservers=(lab.nameserver,), allow_private=True, timeout=timeout
    )
