"""Subdomains that inherit their organizational domain's DMARC record: which policy receivers apply.

A subdomain without a `_dmarc` record of its own gets the organizational
domain's record, and then its sp= (RFC 7489 §6.3), or, when the subdomain does
not exist in DNS at all, its np= (RFC 9989 §4.7); each falls back to the next
(np= to sp= to p=), and pct= applies to whichever is in effect. Every domain
here is its own registrable domain under .test with healthy MX, SPF and DKIM,
so `smtpkit domain <subdomain>` names the one DMARC lesson:

* news.dmarc-sp-none.test: the parent says p=reject; sp=none, so the subdomain is
  not protected at all (dmarc.policy_none, naming sp=)
* ghost.dmarc-np.test (no records at all) gets np=none (dmarc.policy_none, naming
  np=); news.dmarc-np.test, which exists, gets sp=reject (passes)
* news.dmarc-sp-pct.test: sp=quarantine with pct=50 (dmarc.pct_partial, naming sp=)
* football.dmarc-sub-missing.test: no record at the subdomain nor at the parent
  (dmarc.missing naming _dmarc.football.dmarc-sub-missing.test first)
"""

from __future__ import annotations

from smtpkit.lab.zones.dkim import baseline
from smtpkit.lab.zoneset import Record

ZONES = {
    "dmarc-sp-none.test": "p=reject; sp=none: news.dmarc-sp-none.test inherits sp=none: dmarc.policy_none",
    "dmarc-np.test": (
        "p=reject; sp=reject; np=none: the non-existent ghost.dmarc-np.test gets np=none (dmarc.policy_none), "
        "news.dmarc-np.test gets sp=reject (passes)"
    ),
    "dmarc-sp-pct.test": "p=reject; sp=quarantine; pct=50: news.dmarc-sp-pct.test gets sp=quarantine at 50%",
    "dmarc-sub-missing.test": "no DMARC anywhere: football.dmarc-sub-missing.test names its own _dmarc first",
}


def _org(domain: str, ip: str, dmarc: str | None, subdomain: str = "news") -> list[Record]:
    out = baseline(domain, ip, dmarc=False)
    if dmarc is not None:
        out.append(Record(f"_dmarc.{domain}", "TXT", f"{dmarc}; rua=mailto:dmarc-reports@{domain}"))
    out += baseline(f"{subdomain}.{domain}", ip, dmarc=False)  # an existing subdomain without its own _dmarc
    return out


def records(ip: str = "127.0.0.1") -> list[Record]:
    out: list[Record] = []
    out += _org("dmarc-sp-none.test", ip, "v=DMARC1; p=reject; sp=none")
    out += _org("dmarc-np.test", ip, "v=DMARC1; p=reject; sp=reject; np=none")
    out += _org("dmarc-sp-pct.test", ip, "v=DMARC1; p=reject; sp=quarantine; pct=50")
    out += _org("dmarc-sub-missing.test", ip, None, subdomain="football")
    return out
