"""DMARC policy discovery: `_dmarc.<domain>`, then the organizational domain.

Receivers look for the policy at the From domain first and, when there is
none, at its organizational domain (RFC 7489 §6.6.3). People misread this in
both directions ("my subdomain has no record, so no DMARC" / "the parent's
record covers my typo'd record"), so the discovery records every lookup,
every TXT it saw, and which records receivers would keep or discard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smtpkit.dmarc.alignment import normalize, org_domain
from smtpkit.dmarc.record import DmarcRecord, is_dmarc_candidate, parse_record, starts_like_dmarc
from smtpkit.net.dns import DnsAnswer, Resolver


@dataclass
class DmarcLookup:
    """One `_dmarc` TXT lookup and how receivers would sort what it returned."""

    name: str
    answer: DnsAnswer
    records: list[str] = field(default_factory=list)  # start with v=DMARC1: kept by receivers
    malformed: list[str] = field(default_factory=list)  # meant as DMARC, discarded by receivers

    def to_row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.answer.status,
            "dmarc records": " | ".join(self.records),
            "discarded": " | ".join(self.malformed),
            "other TXT": len([t for t in self.answer.texts if t not in self.records and t not in self.malformed]),
        }


@dataclass
class DmarcDiscovery:
    """Where the policy for `domain` came from (if anywhere) and what it says."""

    domain: str
    org_domain: str
    lookups: list[DmarcLookup] = field(default_factory=list)

    @property
    def chosen(self) -> DmarcLookup | None:
        """The lookup receivers take the policy from: the first with a record, or a failed one."""
        for lk in self.lookups:
            if lk.records or lk.answer.failed:
                return lk
        return None

    @property
    def failed(self) -> DmarcLookup | None:
        lk = self.chosen
        return lk if lk is not None and lk.answer.failed else None

    @property
    def records(self) -> list[str]:
        lk = self.chosen
        return lk.records if lk else []

    @property
    def record_name(self) -> str:
        lk = self.chosen
        return lk.name if lk else f"_dmarc.{self.domain}"

    @property
    def policy_domain(self) -> str:
        """The domain whose record applies ('' when none does)."""
        lk = self.chosen
        if lk is None or not lk.records:
            return ""
        return lk.name.split(".", 1)[1]

    @property
    def used_fallback(self) -> bool:
        return bool(self.policy_domain) and self.policy_domain != self.domain

    @property
    def record(self) -> DmarcRecord | None:
        """The parsed policy when exactly one record applies (two or more means no policy)."""
        recs = self.records
        return parse_record(recs[0]) if len(recs) == 1 else None

    def policy_in_effect(self, *, exists: bool = True) -> tuple[str, str] | None:
        """(tag, policy) receivers apply to mail From `domain`, or None without one usable record.

        The domain's own record: its p=. A record inherited from the organizational
        domain: its sp= for a subdomain, and its np= (RFC 9989) when the subdomain
        does not exist in DNS (`exists=False`); each falls back to the next
        (np= to sp= to p=). "p=reject; sp=none" thus leaves every subdomain open.
        """
        rec = self.record
        if rec is None or not rec.valid:
            return None
        if not self.used_fallback:
            return rec.policy_for("domain")
        return rec.policy_for("subdomain" if exists else "nonexistent")

    @property
    def malformed(self) -> list[tuple[str, str]]:
        """Records meant as DMARC but discarded, at every name we looked at."""
        return [(lk.name, text) for lk in self.lookups for text in lk.malformed]

    def rows(self) -> list[dict[str, Any]]:
        return [lk.to_row() for lk in self.lookups]


def _lookup(name: str, resolver: Resolver) -> DmarcLookup:
    ans = resolver.resolve(name, "TXT")
    lk = DmarcLookup(name=name, answer=ans)
    if ans.ok:
        lk.records = [t for t in ans.texts if starts_like_dmarc(t)]
        lk.malformed = [t for t in ans.texts if is_dmarc_candidate(t) and not starts_like_dmarc(t)]
    return lk


def discover(domain: str, resolver: Resolver) -> DmarcDiscovery:
    """Find the DMARC policy that applies to mail From `domain`, as a receiver would."""
    d = normalize(domain)
    org = org_domain(d)
    disc = DmarcDiscovery(domain=d, org_domain=org)
    first = _lookup(f"_dmarc.{d}", resolver)
    disc.lookups.append(first)
    if first.records or first.answer.failed or org == d:
        return disc
    disc.lookups.append(_lookup(f"_dmarc.{org}", resolver))
    return disc


def rua_authorization(policy_domain: str, dest_domain: str, resolver: Resolver) -> tuple[bool | None, DnsAnswer]:
    """Has `dest_domain` agreed to receive reports about `policy_domain`? (RFC 9990 §3)

    True: `<policy_domain>._report._dmarc.<dest_domain>` has a v=DMARC1 TXT;
    False: it has none; None: the lookup failed, so we cannot tell.
    """
    name = f"{normalize(policy_domain)}._report._dmarc.{normalize(dest_domain)}"
    ans = resolver.resolve(name, "TXT")
    if ans.failed:
        return None, ans
    return any(starts_like_dmarc(t) for t in ans.texts), ans


def is_external(policy_domain: str, dest_domain: str) -> bool:
    """Reports to another organization need that organization's consent."""
    return org_domain(policy_domain) != org_domain(dest_domain)
