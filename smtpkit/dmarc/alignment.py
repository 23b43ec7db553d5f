"""Organizational domains and DMARC identifier alignment (RFC 7489 §3.1-3.2, RFC 9989 §4.4).

DMARC passes only when SPF or DKIM passes *for a domain that matches the From
domain*: exactly (strict) or within the same organization (relaxed). The
organizational domain comes from the Public Suffix List, bundled with
`publicsuffixlist`, so this works offline. (RFC 9989 replaces the PSL with a
DNS tree walk; for the ordinary registrable domains people check, both give
the same answer, and the tree walk needs DNS we may not have in a lab.)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from publicsuffixlist import PublicSuffixList


@functools.lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def normalize(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def org_domain(domain: str) -> str:
    """The organizational domain: the public suffix plus one label (mail.example.co.uk -> example.co.uk).

    A name that *is* a public suffix is its own organizational domain.
    """
    d = normalize(domain)
    if not d:
        return d
    return _psl().privatesuffix(d) or d


def aligned(a: str, b: str, mode: str = "r") -> bool:
    """Do two domains align? strict: equal; relaxed: same organizational domain."""
    x, y = normalize(a), normalize(b)
    if not x or not y:
        return False
    if mode == "s":
        return x == y
    return org_domain(x) == org_domain(y)


def mode_rule(mode: str) -> str:
    return (
        "strict: the domains must be identical"
        if mode == "s"
        else "relaxed: the domains must share the organizational domain"
    )


@dataclass(frozen=True)
class AlignmentRow:
    """One identifier checked against the From domain."""

    identifier: str  # "SPF MAIL FROM" or "DKIM d="
    domain: str
    from_domain: str
    mode: str
    aligned: bool
    authenticated: bool | None  # True: SPF/DKIM passed; False: failed; None: not evaluated here
    detail: str = ""
    #: what `authenticated` says when it is None: a domain check has no message, so "needs a message"
    not_checked: str = "not checked"

    @property
    def counts(self) -> bool:
        """Would DMARC pass on this identifier? (aligned, and authenticated or not evaluated)"""
        return self.aligned and self.authenticated is not False

    def to_row(self) -> dict[str, Any]:
        """The row of the 'alignment' table; 'detail' only when there is one (an empty row read as a gap)."""
        row = {
            "identifier": self.identifier,
            "domain": self.domain,
            "From domain": self.from_domain,
            "mode": "strict" if self.mode == "s" else "relaxed",
            "org domains": f"{org_domain(self.domain)} / {org_domain(self.from_domain)}",
            "aligned": self.aligned,
            "authenticated": {True: "pass", False: "fail", None: self.not_checked}[self.authenticated],
        }
        if self.detail:
            row["detail"] = self.detail
        return row


def check_alignment(
    from_domain: str,
    *,
    spf_domain: str | None = None,
    spf_pass: bool | None = None,
    dkim: list[tuple[str, bool | None]] | None = None,
    adkim: str = "r",
    aspf: str = "r",
) -> list[AlignmentRow]:
    """Compare the From domain with the SPF MAIL FROM domain and each DKIM d= (with its pass/fail)."""
    rows: list[AlignmentRow] = []
    if spf_domain:
        rows.append(
            AlignmentRow(
                "SPF MAIL FROM",
                normalize(spf_domain),
                normalize(from_domain),
                aspf,
                aligned(spf_domain, from_domain, aspf),
                spf_pass,
            )
        )
    for d, ok in dkim or []:
        rows.append(
            AlignmentRow("DKIM d=", normalize(d), normalize(from_domain), adkim, aligned(d, from_domain, adkim), ok)
        )
    return rows


def dmarc_passes(rows: list[AlignmentRow]) -> bool:
    """DMARC passes when at least one identifier is both aligned and authenticated."""
    return any(r.counts for r in rows)


def mail_from_domain(address: str) -> str:
    """Domain of a MAIL FROM address (or a bare domain); '' for the null sender <>."""
    a = address.strip().strip("<>").strip()
    if not a:
        return ""
    return normalize(a.rsplit("@", 1)[1] if "@" in a else a)
