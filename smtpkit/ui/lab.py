"""The practice lab as settings: which endpoint a scenario is, and how to reach it.

A notebook's defaults target the lab so that "Run All" works offline; these
helpers turn a scenario name into the same `Target` (with the lab's password
beside it, a `ServerInput`) a person would type for a real server (name,
port, security, login), plus the two things only the lab needs: its CA file
and its DNS server. A lab domain becomes a `DomainQuery` asking the lab's DNS.

Each scenario's own setup (`smtpkit.lab.lessons`: an outside recipient for
relay-denied, a real send for the size limit, the right IP for a PTR domain,
no login for an MX) is applied first, so the defaults show every lesson.
"""

from __future__ import annotations

import re
from typing import Any

from smtpkit.settings import Target
from smtpkit.settings.domain import DomainQuery
from smtpkit.ui.inputs import ServerInput

LAB_MAIL_HOST = "mail.smtpkit.test"


_HEADLINE_END = re.compile(r":\s|\.\s|\.$")
# quoted replies ('421 4.3.2 ... too many sessions') and asides (in parentheses) are read over whole
_QUOTED = re.compile(r"(?<!\w)'[^']*'(?!\w)|\([^()]*\)")


def headline(description: str) -> str:
    """The first clause of a scenario's description, whole: up to its first colon or the end of its
    first sentence, never cut at a dot inside a name (``mail.someone-else.test``), a number, a
    quoted reply or an aside in parentheses."""
    masked = _QUOTED.sub(lambda m: "x" * len(m.group(0)), description)
    m = _HEADLINE_END.search(masked)
    return (description[: m.start()] if m else description).strip()


def scenario_choices(lab: Any, categories: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """(label, endpoint name) pairs for a dropdown, healthy servers first."""
    out = []
    for ep in lab.smtp:
        if categories and ep.scenario not in categories and ep.scenario != "healthy":
            continue
        out.append((_fits(f"{ep.name}: {headline(ep.description)}"), ep.name))
    return out


#: What the scenario menu shows of a label (its width, at its font): longer ones were cut mid-word, and the
#: expected finding after them never showed ("…like port 587 at any provide"). The hint under the menu says
#: the whole description and the finding it teaches.
_MENU_CHARS = 66


def _fits(label: str) -> str:
    if len(label) <= _MENU_CHARS:
        return label
    return label[: _MENU_CHARS - 2].rsplit(" ", 1)[0].rstrip(",;:(") + " …"


def domain_choices(zones: list[str]) -> list[tuple[str, str]]:
    """(label, domain) pairs for the lab domains' menu, in `zones`' order: each domain with the first clause of
    what is wrong with it, as the scenario menu shows a server ("dmarc-pct.test: p=quarantine; pct=25, a ramp-up
    left half-way"). The domain field's list had the 85 bare names, and only while the field was empty."""
    from smtpkit.lab.lessons import without_codes, zone_descriptions

    described = zone_descriptions()
    out = []
    for zone in zones:
        # the codes are the hint's to name, by their titles; in a menu line they pushed the words out
        what = without_codes(headline(described.get(zone, ""))).strip(" ,;:")
        out.append((_fits(f"{zone}: {what}") if what else zone, zone))
    return out


def lab_server_settings(lab: Any, scenario: str = "submission", **overrides: Any) -> ServerInput:
    """Settings that reach one lab endpoint the way a real client would: by name, via the lab's DNS.

    The lab's certificates name ``mail.smtpkit.test`` and its DNS server says
    that name is the lab's address, so the diagnosis walks the same DNS, TCP
    and TLS steps as for a real server; only the CA file and the DNS server
    are lab-specific. Endpoints not on 127.0.0.1 are reached by address.
    `overrides` are `Target` settings (and ``password``/``token``); None keeps
    the lab's value. Raises `InvalidSettings` for an override that cannot be used.
    """
    ep = lab.endpoint(scenario)
    nameservers: tuple[str, ...] = ()
    host = ep.host
    # Servers imitating a provider are reached by name too: the engine still recognises the
    # provider from their greeting, since the lab's own name only says where the server is.
    if lab.dns is not None and ep.host == "127.0.0.1":
        host = LAB_MAIL_HOST
        nameservers = (lab.nameserver,)
    values: dict[str, Any] = {
        "host": host,
        "port": ep.port,
        "security": ep.security,
        "username": lab.user,
        "cafile": lab.ca_file,
        "nameservers": nameservers,
        "mail_from": lab.user,
        "rcpt_to": (f"alice@{lab.domain}",),
    }
    secrets: dict[str, Any] = {"password": lab.password, "token": None}
    from smtpkit.lab.lessons import server_lesson

    for key, value in server_lesson(lab, ep.name).settings.items():
        (secrets if key in secrets else values)[key] = value
    for key, value in overrides.items():
        if value is None:
            continue
        (secrets if key in secrets else values)[key] = value
    return ServerInput(
        Target(**values),
        password=secrets["password"] or None,
        token=secrets["token"] or None,
        scenario=ep.name,
        provider=ep.provider,
    )


def lab_domain_settings(lab: Any, domain: str | None = None, **overrides: Any) -> DomainQuery:
    """A `DomainQuery` that checks a lab domain against the lab's DNS server (`overrides`: None keeps the lab's)."""
    name = (domain or lab.domain).strip().rstrip(".").lower()
    timeout = overrides.get("timeout") or 3.0
    from smtpkit.lab.lessons import GOOD_LISTS, domain_lesson

    values: dict[str, Any] = {
        "domain": name,
        # the healthy domain signs with selector "lab"; elsewhere let discovery find the selectors
        "selectors": (),
        "ip": "127.0.0.1",
        "timeout": timeout,
        "dns_timeout": min(2.0, float(timeout)),
    }
    if lab.dns is not None:
        values["nameservers"] = (lab.nameserver,)
        if "mx" in lab.names:
            # how the lab's MTA-STS host, MX ports, CA, trust anchor and blocklist are reached (smtpkit.lab.inbound)
            values.update({k: v for k, v in lab.domain_options().items() if k != "nameservers"})
            # the working practice list only: the broken ones are dnsbl.test's own lesson
            values["dnsbl_lists"] = GOOD_LISTS
    values.update(domain_lesson(lab, name).settings)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return DomainQuery(**values)


def lab_zones(lab: Any) -> list[str]:
    """The domains the lab's DNS server answers for (the healthy one first)."""
    zones = list(lab.dns.zones) if lab.dns is not None else []
    zones = [
        z.rstrip(".") for z in zones if not z.rstrip(".").endswith(".arpa")
    ]  # reverse zones are not sending domains
    if lab.domain in zones:
        zones.remove(lab.domain)
        zones.insert(0, lab.domain)
    return zones


def is_lab_domain(name: str, zones: list[str]) -> bool:
    """`name` is one of the lab's domains or a name under one (news.dmarc-sp-none.test)."""
    name = name.strip().rstrip(".").lower()
    return any(name == z or name.endswith("." + z) for z in zones)
