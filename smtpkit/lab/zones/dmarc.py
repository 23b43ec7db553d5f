"""Broken DMARC lab domains: each one gets the `_dmarc` record wrong in one common way.

Every domain is otherwise healthy (MX, SPF, a 2048-bit DKIM key at selector
`default`), so `smtpkit domain <name>` names the one DMARC problem. Two
helper zones stand for other organisations: `dmarc-reports.test`, a report
service that authorised one customer (`dmarc-rua-authorized.test`) but not
another (`dmarc-rua-external.test`), and `dmarc-org.test`, whose
subdomain `news.dmarc-org.test` shows the organizational-domain fallback.
"""

from __future__ import annotations

from smtpkit.lab.zones.dkim import baseline
from smtpkit.lab.zoneset import Record

REPORT_SERVICE = "dmarc-reports.test"

ZONES = {
    "dmarc-missing.test": "no _dmarc record at all: dmarc.missing",
    "dmarc-multiple.test": "two v=DMARC1 records at _dmarc: dmarc.multiple_records",
    "dmarc-syntax.test": "tags separated by commas instead of semicolons: dmarc.syntax_error",
    "dmarc-badvalue.test": "adkim=relaxed and rua without mailto: dmarc.invalid_tag_value",
    "dmarc-none.test": "p=none, monitoring only: dmarc.policy_none",
    "dmarc-noreport.test": "p=reject without rua=: dmarc.no_reporting",
    "dmarc-rua-external.test": "reports to another domain that never authorised them: dmarc.rua_unauthorized",
    "dmarc-rua-authorized.test": "reports to another domain that authorised them (passes)",
    REPORT_SERVICE: "a DMARC report service's domain (authorises dmarc-rua-authorized.test only)",
    "dmarc-pct.test": "p=quarantine; pct=25, a ramp-up left half-way: dmarc.pct_partial",
    "dmarc-testing.test": "p=reject; t=y, RFC 9989 test mode left on: dmarc.testing_mode",
    "dmarc-strict.test": (
        "aspf=s with a bounce subdomain, bounce@mail.dmarc-strict.test, as MAIL FROM: dmarc.not_aligned"
    ),
    "dmarc-org.test": "policy at the organizational domain only; news.dmarc-org.test inherits it (passes)",
}


def _with_dmarc(domain: str, ip: str, *texts: str) -> list[Record]:
    out = baseline(domain, ip, dmarc=False)
    out += [Record(f"_dmarc.{domain}", "TXT", t) for t in texts]
    return out


def records(ip: str = "127.0.0.1") -> list[Record]:
    out: list[Record] = []
    out += baseline("dmarc-missing.test", ip, dmarc=False)

    d = "dmarc-multiple.test"
    out += _with_dmarc(
        d, ip, f"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{d}", f"v=DMARC1; p=quarantine; rua=mailto:postmaster@{d}"
    )
    d = "dmarc-syntax.test"
    out += _with_dmarc(d, ip, f"v=DMARC1, p=reject, rua=mailto:dmarc-reports@{d}")
    d = "dmarc-badvalue.test"
    out += _with_dmarc(d, ip, f"v=DMARC1; p=reject; adkim=relaxed; rua=dmarc-reports@{d}")
    d = "dmarc-none.test"
    out += _with_dmarc(d, ip, f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{d}")
    out += _with_dmarc("dmarc-noreport.test", ip, "v=DMARC1; p=reject")
    out += _with_dmarc("dmarc-rua-external.test", ip, f"v=DMARC1; p=reject; rua=mailto:agg@{REPORT_SERVICE}")
    d = "dmarc-rua-authorized.test"
    out += _with_dmarc(d, ip, f"v=DMARC1; p=reject; rua=mailto:agg@{REPORT_SERVICE}")
    out.append(Record(f"{d}._report._dmarc.{REPORT_SERVICE}", "TXT", "v=DMARC1"))
    out.append(Record(REPORT_SERVICE, "MX", (10, f"mail.{REPORT_SERVICE}")))
    out.append(Record(f"mail.{REPORT_SERVICE}", "A", ip if ":" not in ip else "127.0.0.1"))
    d = "dmarc-pct.test"
    out += _with_dmarc(d, ip, f"v=DMARC1; p=quarantine; pct=25; rua=mailto:dmarc-reports@{d}")
    d = "dmarc-testing.test"
    out += _with_dmarc(d, ip, f"v=DMARC1; p=reject; t=y; rua=mailto:dmarc-reports@{d}")
    d = "dmarc-strict.test"
    out += _with_dmarc(d, ip, f"v=DMARC1; p=reject; adkim=s; aspf=s; rua=mailto:dmarc-reports@{d}")
    out += baseline(f"mail.{d}", ip, mx=False, dkim=False, dmarc=False)[1:]  # SPF for the bounce subdomain
    d = "dmarc-org.test"
    out += _with_dmarc(d, ip, f"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{d}")
    sub = f"news.{d}"
    out += baseline(sub, ip, dmarc=False)
    return out
