"""A parked lab domain: set up exactly as the kit's own `mx.null` fix recommends, and recognised as such.

A domain that sends and receives no mail should say so, so that nobody can
send as it: a null MX (RFC 7505 "0 ."), an SPF record that authorises no one
(``v=spf1 -all``) and a DMARC policy that rejects everything (``p=reject``).
`smtpkit domain parked.test` calls it correctly parked (information, verdict
pass) and asks for no DKIM keys and no DMARC reports. `parked-leaky.test` has
the null MX but no SPF or DMARC, so anyone can still send as it: not parked,
and the missing records are named.
"""

from __future__ import annotations

from smtpkit.lab.zoneset import Record

ZONES = {
    "parked.test": "a correctly parked domain (null MX, v=spf1 -all, DMARC p=reject): domain.parked, verdict pass",
    "parked-leaky.test": "a null MX but no SPF or DMARC, so anyone can send as it: mx.null, spf.missing, dmarc.missing",
}


def records(ip: str = "127.0.0.1") -> list[Record]:
    d = "parked.test"
    out = [
        Record(d, "MX", (0, ".")),
        Record(d, "TXT", "v=spf1 -all"),
        Record(f"_dmarc.{d}", "TXT", "v=DMARC1; p=reject"),
    ]
    out.append(Record("parked-leaky.test", "MX", (0, ".")))
    return out
