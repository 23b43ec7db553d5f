"""dmarc-rollout.test: the domain the lab's generated month of DMARC reports is about (`smtpkit.lab.reports`).

It publishes ``p=none`` with a reporting address, the stage where a domain
owner reads aggregate reports before enforcing, and the reverse DNS of every
source IP in those reports (documentation addresses, RFC 5737), so that the
senders can be named against the lab's DNS server, offline.
"""

from __future__ import annotations

from smtpkit.lab.reports import DMARC_RECORD, DOMAIN, ptr_records
from smtpkit.lab.zoneset import Record
from smtpkit.net.dns import reverse_name

ZONES = {
    DOMAIN: "p=none while reading a month of aggregate reports (smtpkit reports; notebook 08)",
}


def records(ip: str = "127.0.0.1") -> list[Record]:
    out = [
        Record(DOMAIN, "MX", (10, f"mail.{DOMAIN}")),
        Record(f"mail.{DOMAIN}", "A", "192.0.2.201"),
        Record(DOMAIN, "TXT", "v=spf1 ip4:192.0.2.201 include:_spf.google.com ~all"),
        Record(f"_dmarc.{DOMAIN}", "TXT", DMARC_RECORD),
    ]
    for address, name in sorted(ptr_records().items()):
        out.append(Record(reverse_name(address), "PTR", name))
    return out
