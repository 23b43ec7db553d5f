"""Broken TLS-RPT records (RFC 8460): a report address senders cannot use, and two records at once.

Each domain is otherwise healthy, so ``smtpkit domain <name>`` names the one
TLS-RPT problem; ``tlsrpt-missing.test`` publishes an MTA-STS policy (served by
the lab's HTTPS host) but no TLS-RPT record, so its policy failures would go
unreported.
"""

from __future__ import annotations

from smtpkit.lab.zones.dkim import baseline
from smtpkit.lab.zoneset import Record

ZONES = {
    "tlsrpt-invalid.test": "TLS-RPT reports to an http:// address (only mailto: and https:): tlsrpt.record_invalid",
    "tlsrpt-multiple.test": "two TLS-RPT records, so senders ignore both: tlsrpt.multiple_records",
    "tlsrpt-missing.test": "an MTA-STS policy but no TLS-RPT record: tlsrpt.missing",
}
MISSING_STS_ID = "20240101T000000"


def records(ip: str = "127.0.0.1") -> list[Record]:
    out: list[Record] = []
    d = "tlsrpt-invalid.test"
    out += baseline(d, ip)
    out.append(Record(f"_smtp._tls.{d}", "TXT", f"v=TLSRPTv1; rua=http://reports.{d}/tls"))
    d = "tlsrpt-multiple.test"
    out += baseline(d, ip)
    out.append(Record(f"_smtp._tls.{d}", "TXT", f"v=TLSRPTv1; rua=mailto:tls-reports@{d}"))
    out.append(Record(f"_smtp._tls.{d}", "TXT", f"v=TLSRPTv1; rua=https://reports.{d}/tls"))
    d = "tlsrpt-missing.test"
    out += baseline(d, ip, mx=False)
    out.append(Record(d, "MX", (10, "mail.smtpkit.test")))
    out.append(Record(f"_mta-sts.{d}", "TXT", f"v=STSv1; id={MISSING_STS_ID}"))
    out.append(Record(f"mta-sts.{d}", "A", ip if ":" not in ip else "127.0.0.1"))
    return out
