"""Broken MX and reverse DNS in the lab: where mail for a domain goes, and who an IP says it is.

MX scenarios are their own registrable domains under .test, otherwise healthy.
Reverse DNS scenarios live in 127.in-addr.arpa on addresses the lab does not
otherwise use (127.0.2.x), so `smtpkit domain <name> --ip 127.0.2.N` shows one
PTR problem each:

* 127.0.2.1 has no PTR at all (ptr.missing)
* 127.0.2.2 names mail.ptr-mismatch.test, which resolves to 127.0.2.99 (ptr.not_forward_confirmed)
* 127.0.2.3 names host.ptr-noforward.test, which has no address (ptr.not_forward_confirmed)
"""

from __future__ import annotations

from smtpkit.lab.zones.dkim import baseline
from smtpkit.lab.zoneset import Record
from smtpkit.net.dns import reverse_name

PTR_MISSING_IP = "127.0.2.1"
PTR_MISMATCH_IP = "127.0.2.2"
PTR_NOFORWARD_IP = "127.0.2.3"

ZONES = {
    "mx-null.test": 'null MX (RFC 7505 "0 .") on a domain that sends mail: mx.null',
    "mx-none.test": "no MX records, only an A record (implicit MX): mx.missing",
    "mx-cname.test": "MX points at a CNAME: mx.invalid_target",
    "mx-ip.test": "MX written as an IP address: mx.invalid_target",
    "mx-dangling.test": "MX points at a name without addresses: mx.invalid_target",
    "ptr-mismatch.test": f"PTR of {PTR_MISMATCH_IP} names a host that resolves elsewhere: ptr.not_forward_confirmed",
    "ptr-noforward.test": f"PTR of {PTR_NOFORWARD_IP} names a host without an address: ptr.not_forward_confirmed",
}


def records(ip: str = "127.0.0.1") -> list[Record]:
    v4 = ip if ":" not in ip else "127.0.0.1"
    out: list[Record] = []

    d = "mx-null.test"
    out += baseline(d, ip, mx=False)
    out.append(Record(d, "MX", (0, ".")))

    d = "mx-none.test"
    out += baseline(d, ip, mx=False)
    out.append(Record(d, "A", v4))

    d = "mx-cname.test"
    out += baseline(d, ip, mx=False)
    out.append(Record(d, "MX", (10, f"mx.{d}")))
    out.append(Record(f"mx.{d}", "CNAME", f"mail.{d}"))

    d = "mx-ip.test"
    out += baseline(d, ip, mx=False)
    out.append(Record(d, "MX", (10, v4)))

    d = "mx-dangling.test"
    out += baseline(d, ip, mx=False)
    out.append(Record(d, "MX", (10, f"mx1.{d}")))

    d = "ptr-mismatch.test"
    out += baseline(d, ip)
    out = [r for r in out if not (r.name == f"mail.{d}" and r.rdtype == "A")]
    out.append(Record(f"mail.{d}", "A", "127.0.2.99"))
    out.append(Record(reverse_name(PTR_MISMATCH_IP), "PTR", f"mail.{d}"))

    d = "ptr-noforward.test"
    out += baseline(d, ip)
    out.append(Record(reverse_name(PTR_NOFORWARD_IP), "PTR", f"host.{d}"))
    return out
