"""The receiving side of a domain as a form (notebook 09): mail *to* the domain, and the sending IP's name.

`ReceivingForm` is the domain form (`DomainForm`: the two modes, the lab's
lessons, inline messages, Run, Cancel) with what notebook 09 is about: a box
to connect to every MX on port 25 (STARTTLS, the certificate, DANE), no DKIM
selectors (they are about sending), and a result that holds the receiving
steps (MX, MX over TLS, MTA-STS, DANE, TLS-RPT), plus reverse DNS and the
blocklists when a sending IP is given. Before it, the notebook checked your
own domain only when its parameters cell was edited and run again, which the
no-code app cannot do.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import ipywidgets as widgets

from smtpkit import record
from smtpkit.lab.lessons import Lesson
from smtpkit.lab.receiving import DEFAULT_DOMAIN, INBOUND_STEPS, LESSONS, REPUTATION_STEPS, receiving_side
from smtpkit.settings.domain import DomainQuery
from smtpkit.ui.fields import show
from smtpkit.ui.forms import DomainForm
from smtpkit.ui.modes import Banner

__all__ = ["ReceivingForm", "receiving_action"]

PROBE_LABEL = "Connect to each MX on port 25 (STARTTLS, certificate, DANE)"
PROBE_SHORT = "Connect to each MX"


def receiving_action(settings: DomainQuery) -> Any:
    """The domain check, its receiving side kept (and the sending IP's reverse DNS and blocklists)."""
    from smtpkit.checks.domain import check_domain

    return receiving_side(check_domain(settings))


class ReceivingForm(DomainForm):
    """Mode, domain, sending IP (for blocklists), DNS server, "connect to each MX", timeout, Run."""

    title = "Receiving side"
    empty_domain = "Domain is empty: type the domain you receive mail at (the part after @ in your address)."
    own_hint = (
        "My domain: asked of this computer's own resolver (or the DNS server you type below), and its MX hosts "
        "reached from this computer. The sending IP is only the one you type: give it to look it up on the "
        "blocklists and check its reverse DNS."
    )

    def __init__(
        self,
        lab: Any = None,
        *,
        domain: str | None = None,
        ip: str | None = None,
        nameserver: str | None = None,
        probe_mx: bool = True,
        timeout: float = 15.0,
    ) -> None:
        super().__init__(
            lab,
            domain=domain or (DEFAULT_DOMAIN if lab is not None else None),
            ip=ip,
            nameserver=nameserver,
            timeout=timeout,
            action=receiving_action,
            focus=("mx_tls", "mta_sts", "dane", "dnsbl"),
        )
        self.probe = widgets.Checkbox(value=bool(probe_mx), description=PROBE_LABEL, indent=False)
        self.probe.add_class("smtpkit-probe-mx")
        self.probe.layout.width = "auto"
        self.live.only_plan = True  # the strip draws the steps the result shows, not SPF, DKIM and DMARC
        self.probe_hint = widgets.HTML(
            value=(
                '<div class="smtpkit-hint-text">Untick where port 25 is blocked (many home and cloud networks): '
                "the records (MX, MTA-STS, DANE, TLS-RPT) are still read, but no MX is connected to, so the "
                "MX over TLS step is left out.</div>"
            ),
            layout=widgets.Layout(),
        )
        show(self.fields.boxes["selectors"], False)  # DKIM is about sending mail, not receiving it
        self.ip.placeholder = "for reverse DNS and blocklists (empty: none)"
        children = list(self.box.children)
        at = children.index(self.fields.boxes["timeout"]) + 1
        self.box.children = (*children[:at], self.probe, self.probe_hint, *children[at:])

    #: Where the lesson of a lab domain about sending mail is seen.
    shown_elsewhere = (
        "about sending mail: the Domain check of notebook 05 shows it; this page shows the domain's receiving side"
    )

    def _lab_start(self) -> str:
        return DEFAULT_DOMAIN

    def _teaches_here(self, lesson: Lesson) -> tuple[str, ...]:
        """The lesson's codes whose step this page's result holds (the MX, MTA-STS, DANE, TLS-RPT, reverse DNS
        and blocklist steps)."""
        from smtpkit.knowledge.catalogue import catalogue

        specs = catalogue()
        steps = set(INBOUND_STEPS + REPUTATION_STEPS)
        return tuple(code for code in lesson.expect if code in specs and specs[code].step in steps)

    def _menu(self, zones: list[str]) -> list[str]:
        """The Lab domain menu: the receiving-side lessons first, then the other lab domains this page shows
        (`_shows`); a domain that teaches SPF, DKIM or DMARC showed "did not appear: please report it" here.
        Typed, any lab domain is still asked of the lab, and its hint says where its lesson is."""
        ordered = [z for z in LESSONS if z in zones] + [z for z in zones if z not in LESSONS]
        return [z for z in ordered if self._shows(z)]

    def _shows(self, zone: str) -> bool:
        """Is `zone` one for this page: a receiving-side lesson (or a healthy receiving side: `LESSONS`), the
        lab's own domain, or a lab domain whose lesson is on one of this page's steps? (The lab's helper zones
        and the DMARC report domains have no lesson here; one showed "Lesson: a healthy domain" above a FAIL.)"""
        from smtpkit.lab.lessons import domain_lesson

        return zone in LESSONS or zone == self.lab.domain or bool(self._teaches_here(domain_lesson(self.lab, zone)))

    def _plan(self, settings: DomainQuery) -> tuple[str, ...]:
        """The steps the result shows, in its order (`receiving_side`): the domain check's others (SPF, DKIM,
        DMARC) run but are not drawn. In the domain check's order, the strip under Run listed them otherwise
        than the result's table below it."""
        planned = set(super()._plan(settings))
        return tuple(n for n in INBOUND_STEPS + REPUTATION_STEPS if n in planned)

    def _linkable(self) -> dict[str, widgets.Widget]:
        return {**super()._linkable(), PROBE_SHORT: self.probe}

    def settings(self) -> DomainQuery:
        """The domain form's settings with the MX connections as the box says."""
        return record.replace(super().settings(), probe_mx=bool(self.probe.value))

    def _banner(self, settings: DomainQuery, result: Any) -> Banner:
        """The domain form's banner, saying whether the MX hosts were connected to (unticked, the MX over TLS
        step is simply absent; a lab lesson on the MX's TLS then says to tick the box)."""
        from smtpkit.lab.lessons import domain_lesson, missed

        banner = super()._banner(settings, result)
        # the box says port 25; in the lab the MX hosts listen on a port of the lab's
        stand_in = f"; {settings.mx_port} is the lab's stand-in for port 25" if settings.mx_port != 25 else ""
        connected = (
            f"each MX on port {settings.mx_port} (STARTTLS, certificate, DANE){stand_in if self.in_lab else ''}"
            if settings.probe_mx
            else f"none: “{PROBE_SHORT}” is unticked, so the MX over TLS step is left out"
        )
        note = banner.note
        if self.in_lab and not settings.probe_mx and note:
            lesson = domain_lesson(self.lab, settings.domain)
            if lesson.settings.get("probe_mx"):
                codes = result.codes() if hasattr(result, "codes") else []
                note = missed(lesson, codes, [PROBE_SHORT])
        return dataclasses.replace(banner, lines=(*banner.lines, ("MX connections", connected)), note=note)

    def _describe(self, settings: DomainQuery) -> str:
        return f"{self.title} of {settings.domain}"
