"""Broken TLS-RPT records (RFC 8460): a report address senders cannot use, and two records at once.

Each domain is otherwise healthy, so ``smtpkit domain <name>`` names the one
TLS-RPT problem. (``tlsrpt-missing.test``, an MTA-STS domain without TLS-RPT,
is served with the other MTA-STS domains: `smtpkit.lab.policies`.)
"""

from __future__ import annotations

from smtpkit.lab.zones.dkim import baseline
from smtpkit.lab.zoneset import Record

ZONES = {
    "tlsrpt-invalid.test": "TLS-RPT reports to an http:// address (only mailto: and https:): tlsrpt.record_invalid",
    "tlsrpt-multiple.test": "two TLS-RPT records, so senders ignore both: tlsrpt.multiple_records",
}


def records(ip: str = "127.0.0.1") -> list[Record]:
    out: list[Record] = []
    d = "tlsrpt-invalid.test"
    out += baseline(d, ip)
    out.append(Record(f"_smtp._tls.{d}", "TXT", f"v=TLSRPTv1; rua=http://reports.{d}/tls"))
    d = "tlsrpt-multiple.test"
    out += baseline(d, ip)
    out.append(Record(f"_smtp._tls.{d}", "TXT", f"v=TLSRPTv1; rua=mailto:tls-reports@{d}"))
    out.append(Record(f"_smtp._tls.{d}", "TXT", f"v=TLSRPTv1; rua=https://reports.{d}/tls"))
    return out
