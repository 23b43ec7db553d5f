"""Pictures the notebooks show beside their forms: one call each, drawn from real checks of the lab (or yours).

A form's result already opens with its pictures (`render.report_view.ReportView`);
these are the lessons that compare several results at once (the lab's
certificates on one calendar) or draw one part of a check on its own (the SPF
include tree of a domain), so a notebook cell stays one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smtpkit.model import Report
from smtpkit.render.panel import Panel
from smtpkit.render.pictures import Pictures, certificate_validity, spf_include_tree
from smtpkit.ui.lab import headline, lab_server_settings

__all__ = ["CERTIFICATE_SCENARIOS", "certificate_calendar", "spf_tree"]

#: the lab servers whose certificates tell the story of a certificate's life, in order
CERTIFICATE_SCENARIOS = ("submission", "expiring_soon", "expired_cert", "not_yet_valid")


def certificate_calendar(
    lab: Any, scenarios: Sequence[str] = CERTIFICATE_SCENARIOS, *, timeout: float = 3.0
) -> Pictures:
    """Each lab server's certificate on a calendar (issued, the day of the check, expiry), one picture each."""
    charts = []
    for name in scenarios:
        if name not in lab.names:
            continue
        report = lab_server_settings(lab, name, timeout=timeout).diagnose()
        chart = certificate_validity(report, title=f"{name}: {headline(lab.endpoint(name).description)}")
        if chart is not None:
            charts.append(chart)
    return Pictures(charts)


def spf_tree(lab: Any, domain: str | None = None, *, nameserver: str | None = None, timeout: float = 5.0) -> Any:
    """The SPF include tree of `domain` (the lab's by default) against the limit of 10 lookups.

    Asks the lab's DNS server, or `nameserver` ("host[:port]"); a domain whose
    record needs no lookup has nothing to draw and gets a sentence instead.
    """
    from smtpkit.checks.domain.spf import spf_step
    from smtpkit.net.dns import Resolver

    domain = domain or lab.domain
    if nameserver:
        resolver = Resolver(nameservers=[nameserver], timeout=min(timeout, 2.0))
    elif lab is not None and lab.dns is not None:
        resolver = Resolver(nameservers=[lab.nameserver], timeout=min(timeout, 2.0))
    else:
        resolver = Resolver(timeout=min(timeout, 2.0))
    step = spf_step(domain, resolver)
    chart = spf_include_tree(Report(target={"domain": domain}, steps=[step]))
    if chart is not None:
        return chart
    return Panel(f"SPF of {domain}", [("", f"{step.summary}: no include to draw.")], status=step.status.value)
