"""hosted.test: a healthy domain whose mail a provider runs (mailhost.test), as most domains' mail is.

In a real portfolio most domains point at the same few providers: the same MX
hosts, the same SPF include, DKIM keys behind CNAMEs into the provider's
zone. This pair of zones is that shape, so the lab's generated audit portfolio
(`smtpkit.lab.portfolio`) has it too, and an audit can show the provider's
records being resolved once for every domain that uses them.
"""

from __future__ import annotations

from smtpkit.lab.zones.dkim import RSA_2048, dkim_record
from smtpkit.lab.zoneset import Record

D = "hosted.test"
PROVIDER = "mailhost.test"
SELECTOR = "s1"  # one of the common selectors, so discovery finds it

ZONES = {
    D: f"healthy domain run by a provider: MX and SPF include at {PROVIDER}, DKIM {SELECTOR} as a CNAME, p=quarantine",
    PROVIDER: "a mail provider's zone (MX hosts, SPF include tree, DKIM keys) that hosted.test and the portfolio share",
}


def records(ip: str = "127.0.0.1") -> list[Record]:
    v4 = ip if ":" not in ip else "127.0.0.1"
    p = PROVIDER
    return [
        Record(D, "MX", (10, f"mx1.{p}")),
        Record(D, "MX", (20, f"mx2.{p}")),
        Record(D, "TXT", f"v=spf1 include:_spf.{p} -all"),
        Record(f"{SELECTOR}._domainkey.{D}", "CNAME", f"{SELECTOR}.dkim.{p}"),
        Record(f"_dmarc.{D}", "TXT", f"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{D}"),
        # the provider
        Record(f"mx1.{p}", "A", v4),
        Record(f"mx1.{p}", "AAAA", "::1"),
        Record(f"mx2.{p}", "A", v4),
        Record(f"_spf.{p}", "TXT", f"v=spf1 include:_netblocks.{p} -all"),
        Record(f"_netblocks.{p}", "TXT", "v=spf1 ip4:127.0.0.0/8 ip4:192.0.2.128/26 ip6:::1 -all"),
        Record(f"{SELECTOR}.dkim.{p}", "TXT", dkim_record(RSA_2048)),
        Record(p, "MX", (10, f"mx1.{p}")),
        Record(p, "TXT", f"v=spf1 include:_spf.{p} -all"),
        Record(f"_dmarc.{p}", "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{p}"),
    ]
