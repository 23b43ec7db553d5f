"""The MTA-STS lab domains (RFC 8461): their MX, ``_mta-sts`` TXT, policy host and TLS-RPT records.

What each domain's policy host serves, and how each is wrong, is
`smtpkit.lab.policies` (shared with the lab's HTTPS host and its
certificate). Every policy host resolves to the lab's address; the HTTPS
host listens on a port the lab names as its "443" (``LabInfo.mta_sts_port``).
"""

from __future__ import annotations

from smtpkit.lab.policies import DOMAINS, LAB_MX, STS_ID
from smtpkit.lab.zones.dkim import baseline
from smtpkit.lab.zoneset import Record

ZONES = {d.domain: d.description for d in DOMAINS}
#: MX names the lab MX's certificate must not carry: sts-mxcert.test's lesson is that it does not.
OFF_CERTIFICATE = ("mx.sts-mxcert.test",)


def records(ip: str = "127.0.0.1") -> list[Record]:
    v4 = ip if ":" not in ip else "127.0.0.1"
    out: list[Record] = []
    for d in DOMAINS:
        out += baseline(d.domain, ip, mx=False)
        out.append(Record(d.domain, "MX", (10, d.mx)))
        if d.mx != LAB_MX:
            out.append(Record(d.mx, "A", v4))
        if d.record is not None:
            out.append(Record(f"_mta-sts.{d.domain}", "TXT", d.record))
        if d.domain == "sts-multiple.test":
            out.append(Record(f"_mta-sts.{d.domain}", "TXT", "v=STSv1; id=20230101T000000"))
        if d.host_address:
            out.append(Record(d.policy_host, "A", v4))
        if d.tlsrpt:
            out.append(Record(f"_smtp._tls.{d.domain}", "TXT", f"v=TLSRPTv1; rua=mailto:tls-reports@{d.domain}"))
    return out


__all__ = ["OFF_CERTIFICATE", "STS_ID", "ZONES", "records"]
