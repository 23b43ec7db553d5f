"""smtpkit.test: the lab's healthy domain, configured the way we tell users to configure theirs.

Every check of the kit passes here, so it is the reference a broken scenario is
compared with: MX with forward addresses, a strict SPF record, DKIM keys (RSA
2048 and Ed25519) whose private halves the lab signs with
(`smtpkit.lab.dkim_signer`), an enforcing DMARC policy with strict alignment,
and reverse DNS for the lab's address that confirms forward.
"""

from __future__ import annotations

import ipaddress

from smtpkit.lab.dkim_signer import DkimKeys, lab_keys
from smtpkit.lab.zoneset import HEALTHY_DOMAIN, LAB_NAMESERVER, Record
from smtpkit.net.dns import reverse_name

D = HEALTHY_DOMAIN
MAIL_HOST = f"mail.{D}"
SMTP_HOST = f"smtp.{D}"
DMARC_RECORD = f"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{D}; adkim=s; aspf=s"
TLSRPT_RECORD = f"v=TLSRPTv1; rua=mailto:tls-reports@{D}"

ZONES = {
    D: "healthy domain: MX, strict SPF, DKIM (selectors lab and lab-ed25519), DMARC p=reject, PTR",
}


def spf_record(ip: str) -> str:
    """Loopback only, and a hard fail for everyone else: the strict form we recommend."""
    terms = ["v=spf1", "ip4:127.0.0.0/8", "ip6:::1"]
    addr = ipaddress.ip_address(ip)
    if not addr.is_loopback:
        terms.append(f"ip{addr.version}:{addr}")
    terms.append("-all")
    return " ".join(terms)


def records(ip: str = "127.0.0.1", keys: DkimKeys | None = None) -> list[Record]:
    keys = keys or lab_keys()
    addr = ipaddress.ip_address(ip)
    v4 = str(addr) if addr.version == 4 else "127.0.0.1"
    v6 = str(addr) if addr.version == 6 else "::1"
    out = [
        Record(D, "SOA", f"{LAB_NAMESERVER}. hostmaster.{D}. 1 3600 600 86400 300"),
        Record(D, "NS", LAB_NAMESERVER),
        Record(LAB_NAMESERVER, "A", v4),
        Record(D, "MX", (10, MAIL_HOST)),
        Record(D, "A", v4),
        Record(D, "AAAA", v6),
        Record(D, "TXT", spf_record(ip)),
        Record(f"_dmarc.{D}", "TXT", DMARC_RECORD),
        Record(f"_smtp._tls.{D}", "TXT", TLSRPT_RECORD),
    ]
    for host in (MAIL_HOST, SMTP_HOST):
        out += [Record(host, "A", v4), Record(host, "AAAA", v6)]
    for selector, text in keys.txt_records().items():
        out.append(Record(f"{selector}._domainkey.{D}", "TXT", text))
    # Reverse DNS: the lab address and ::1 name mail.smtpkit.test, which points back at them (forward-confirmed).
    for address in {v4, v6}:
        out.append(Record(reverse_name(address), "PTR", MAIL_HOST))
    return out
