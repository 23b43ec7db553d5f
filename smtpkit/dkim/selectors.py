"""DKIM selector discovery: DNS cannot list selectors, so we ask for the usual ones.

A receiver learns the selector from the `s=` of each signature; someone checking
their domain usually does not know it. Providers use predictable names
(Google Workspace `google`, Microsoft 365 `selector1`/`selector2`, Mailchimp
`k1`..`k3`, cPanel `default`), so asking for a few dozen names concurrently
finds most real setups in one round trip. Finding none proves nothing, and the
check says so: Amazon SES Easy DKIM, for one, publishes random 32-character
selectors that no list can guess.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from smtpkit.aio import run_sync as run_sync  # re-exported: discovery and verification run through it
from smtpkit.aio import wait_owned
from smtpkit.dkim.record import DkimKeyRecord, parse_key_record
from smtpkit.net.dns import DnsAnswer, Resolver

# Who uses which selector; shown when discovery finds one, so a person can tell
# which service's key they are looking at.
COMMON_SELECTORS: dict[str, str] = {
    "google": "Google Workspace",
    "selector1": "Microsoft 365",
    "selector2": "Microsoft 365",
    "default": "cPanel, Plesk, many hosts",
    "dkim": "generic",
    "mail": "generic",
    "email": "generic",
    "k1": "Mailchimp / Mandrill, Klaviyo",
    "k2": "Mailchimp / Mandrill",
    "k3": "Mailchimp / Mandrill",
    "s1": "SendGrid, generic",
    "s2": "SendGrid, generic",
    "smtp": "Mailgun (older setups), generic",
    "mx": "Mailgun, generic",
    "pic": "Mailgun",
    "krs": "Mailgun",
    "mandrill": "Mandrill",
    "mxvault": "MXVault",
    "everlytickey1": "Everlytic",
    "everlytickey2": "Everlytic",
    "dkim1": "generic",
    "dkim2": "generic",
    "sig1": "iCloud custom domain",
    "zoho": "Zoho Mail",
    "zmail": "Zoho Mail",
    "protonmail": "Proton Mail",
    "protonmail2": "Proton Mail",
    "protonmail3": "Proton Mail",
    "fm1": "Fastmail",
    "fm2": "Fastmail",
    "fm3": "Fastmail",
    "mesmtp": "Fastmail (older)",
    "hs1": "HubSpot",
    "hs2": "HubSpot",
    "cm": "Campaign Monitor",
    "turbo-smtp": "turboSMTP",
    "scph0122": "SiteGround",
    "key1": "generic",
    "key2": "generic",
    "selector": "generic",
    "mailjet": "Mailjet",
    "ovh": "OVH",
    "postmark": "Postmark (older)",
    "pm": "Postmark",
}


@dataclass
class SelectorProbe:
    """What the lookup of one selector found."""

    selector: str
    name: str
    answer: DnsAnswer
    records: list[str]
    record: DkimKeyRecord | None

    @property
    def found(self) -> bool:
        """A TXT that looks like a DKIM key (some zones have wildcard TXT records that are not)."""
        return self.record is not None

    @property
    def used_by(self) -> str:
        return COMMON_SELECTORS.get(self.selector, "")


def looks_like_dkim(text: str) -> bool:
    """True for what is meant as a DKIM key record: a wildcard SPF TXT is not one."""
    t = text.strip()
    if t.startswith("v=DKIM1"):
        return True
    return "p=" in t.replace(" ", "") and not t.lower().startswith(("v=spf1", "v=dmarc1"))


def key_name(selector: str, domain: str) -> str:
    return f"{selector.strip('.')}._domainkey.{domain.strip('.')}"


def probe_from_answer(selector: str, domain: str, answer: DnsAnswer) -> SelectorProbe:
    records = list(answer.texts) if answer.ok else []
    keyish = [r for r in records if looks_like_dkim(r)]
    record = parse_key_record(keyish[0]) if keyish else None
    return SelectorProbe(
        selector=selector, name=key_name(selector, domain), answer=answer, records=records, record=record
    )


def lookup_selector(domain: str, selector: str, resolver: Resolver) -> SelectorProbe:
    return probe_from_answer(selector, domain, resolver.resolve(key_name(selector, domain), "TXT"))


async def adiscover(
    domain: str,
    resolver: Resolver,
    selectors: Iterable[str] | None = None,
    *,
    concurrency: int = 16,
    deadline: float | None = None,
) -> list[SelectorProbe]:
    """Look every selector up concurrently; return one probe per selector, in the given order.

    `concurrency` caps queries in flight so a list of fifty selectors does not
    trip a resolver's rate limit; `deadline` (seconds) bounds the whole sweep:
    selectors not answered by then come back as timeouts.
    """
    names = list(
        dict.fromkeys(
            s.strip().lower() for s in (selectors if selectors is not None else COMMON_SELECTORS) if s.strip()
        )
    )
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(sel: str) -> SelectorProbe:
        async with gate:
            ans = await resolver.aresolve(key_name(sel, domain), "TXT")
        return probe_from_answer(sel, domain, ans)

    tasks = [asyncio.ensure_future(one(s)) for s in names]
    limit = deadline if deadline is not None else resolver.lifetime * (len(names) / max(1, concurrency) + 2)
    done, pending = await wait_owned(tasks, timeout=limit)
    for t in pending:
        t.cancel()
    out: list[SelectorProbe] = []
    for sel, task in zip(names, tasks, strict=True):
        if task in done and not task.cancelled():
            exc = task.exception()
            if exc is None:
                out.append(task.result())
                continue
            # answered, but the answer could not be read: say so, never call it a timeout
            ans = DnsAnswer(
                name=key_name(sel, domain),
                rdtype="TXT",
                status="error",
                error=f"the answer could not be read ({type(exc).__name__}: {exc})",
            )
        else:
            ans = DnsAnswer(
                name=key_name(sel, domain), rdtype="TXT", status="timeout", error=f"not answered within {limit:.1f}s"
            )
        out.append(probe_from_answer(sel, domain, ans))
    return out


def discover(
    domain: str, resolver: Resolver, selectors: Iterable[str] | None = None, *, deadline: float | None = None
) -> list[SelectorProbe]:
    """Synchronous `adiscover`, safe to call from a notebook whose event loop is already running."""
    return run_sync(adiscover(domain, resolver, selectors, deadline=deadline))


def found(probes: Sequence[SelectorProbe]) -> list[SelectorProbe]:
    return [p for p in probes if p.found]
