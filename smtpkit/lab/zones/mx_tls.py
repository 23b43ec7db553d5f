"""Lab domains for the MX STARTTLS probe (``smtpkit domain <name> --probe-mx --lab``): one MX problem each.

Every MX here resolves to a loopback address where the lab has (or has not)
an SMTP server on the lab MX's port, the lab's "port 25":

* ``mxtls-partial.test``: a second MX at 127.0.0.9, where nothing listens
  (mx.tls.unreachable, while the first MX works);
* ``mxtls-badname.test``: its MX name is not on the lab MX's certificate
  (mx.tls.cert_invalid: fine for opportunistic TLS, fatal for MTA-STS);
* ``mxtls-nostarttls.test``: its MX is the lab's server without STARTTLS at
  127.0.0.3 (mx.tls.no_starttls).
"""

from __future__ import annotations

from smtpkit.lab.inbound import NO_STARTTLS_ADDRESS
from smtpkit.lab.zones.dkim import baseline
from smtpkit.lab.zoneset import Record

SILENT_ADDRESS = "127.0.0.9"
#: MX names the lab MX's certificate must not carry: the lesson is that it does not (see `mx_names`).
OFF_CERTIFICATE = ("mx.mxtls-badname.test",)

ZONES = {
    "mxtls-partial.test": f"a second MX at {SILENT_ADDRESS}, where nothing listens: mx.tls.unreachable",
    "mxtls-badname.test": "an MX whose name is not on the MX's certificate: mx.tls.cert_invalid",
    "mxtls-nostarttls.test": f"an MX ({NO_STARTTLS_ADDRESS}) that offers no STARTTLS: mx.tls.no_starttls",
}


def records(ip: str = "127.0.0.1") -> list[Record]:
    v4 = ip if ":" not in ip else "127.0.0.1"
    out: list[Record] = []
    d = "mxtls-partial.test"
    out += baseline(d, ip, mx=False)
    out += [
        Record(d, "MX", (10, "mail.smtpkit.test")),
        Record(d, "MX", (20, f"mx2.{d}")),
        Record(f"mx2.{d}", "A", SILENT_ADDRESS),
    ]
    d = "mxtls-badname.test"
    out += baseline(d, ip, mx=False)
    out += [Record(d, "MX", (10, f"mx.{d}")), Record(f"mx.{d}", "A", v4)]
    d = "mxtls-nostarttls.test"
    out += baseline(d, ip, mx=False)
    out += [Record(d, "MX", (10, f"mx.{d}")), Record(f"mx.{d}", "A", NO_STARTTLS_ADDRESS)]
    return out
