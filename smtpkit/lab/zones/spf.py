"""Broken SPF domains for the practice lab: one registrable .test domain per mistake.

Each domain reproduces one SPF mistake people publish (the lint code it
triggers is in `ZONES`), with MX, DKIM and DMARC set up properly so the SPF problem is
the only thing wrong. `spf-relay.test` plays an email provider whose include
authorises the lab's address. Addresses other than the lab's are from the
documentation ranges (RFC 5737), so nothing ever connects to them.
"""

from __future__ import annotations

from smtpkit.lab.zones.dkim import BASELINE_SELECTOR, dkim_record
from smtpkit.lab.zoneset import Record

RELAY = "spf-relay.test"

ZONES = {
    "spf-missing.test": "no SPF record, only another TXT record (spf.missing)",
    "spf-multiple.test": "two v=spf1 records (spf.multiple_records)",
    "spf-syntax.test": "a misspelled mechanism 'inlude:' (spf.syntax_error)",
    "spf-too-many-lookups.test": "nested includes needing 15 DNS lookups (spf.too_many_lookups)",
    "spf-void-lookups.test": "three names that do not exist (spf.void_lookups)",
    "spf-include-loop.test": "two records including each other (spf.include_loop)",
    "spf-include-missing.test": "include of a name without SPF (spf.include_target_missing)",
    "spf-dns-error.test": "include of a name whose DNS never answers (spf.dns_error)",
    "spf-too-many-mx.test": "mx with 11 MX hosts (spf.too_many_mx)",
    "spf-plus-all.test": "ends in +all (spf.plus_all)",
    "spf-neutral-all.test": "ends in ?all (spf.neutral_all)",
    "spf-no-all.test": "no all term (spf.no_all)",
    "spf-ptr.test": "uses the deprecated ptr mechanism (spf.ptr_deprecated)",
    "spf-too-long.test": "a 700-character record (spf.record_too_long)",
    "spf-type99.test": "an obsolete type-99 SPF record beside the TXT one (spf.deprecated_rr_type)",
    "spf-not-authorized.test": "valid SPF that does not list the lab's address (spf.ip_not_authorized)",
    RELAY: "a provider-like include that authorises the lab's address",
}

# Domain -> its SPF TXT record; "{d}" is the domain, "{ip}" the lab address.
SPF_TXT = {
    "spf-multiple.test": ["v=spf1 mx -all", f"v=spf1 include:{RELAY} ~all"],
    "spf-syntax.test": [f"v=spf1 mx inlude:{RELAY} -all"],
    "spf-too-many-lookups.test": ["v=spf1 mx a include:_bulk.{d} include:" + RELAY + " include:_crm.{d} -all"],
    "spf-void-lookups.test": ["v=spf1 a:gone1.{d} mx:gone2.{d} a:gone3.{d} ip4:{ip} -all"],
    "spf-include-loop.test": ["v=spf1 ip4:192.0.2.90 include:_a.{d} -all"],
    "spf-include-missing.test": ["v=spf1 mx include:_spf.{d} -all"],
    "spf-dns-error.test": ["v=spf1 mx include:_spf.{d} -all"],
    "spf-too-many-mx.test": ["v=spf1 mx -all"],
    "spf-plus-all.test": ["v=spf1 mx +all"],
    "spf-neutral-all.test": ["v=spf1 mx ?all"],
    "spf-no-all.test": ["v=spf1 mx ip4:192.0.2.0/28"],
    "spf-ptr.test": ["v=spf1 ptr -all"],
    "spf-type99.test": ["v=spf1 mx -all"],
    "spf-not-authorized.test": ["v=spf1 mx ip4:192.0.2.0/28 -all"],
    RELAY: ["v=spf1 ip4:{ip} ip4:192.0.2.32/28 -all"],
}


def _long_record() -> str:
    # ends in mx, so the lab's own address passes: the length is the only thing wrong
    return "v=spf1 " + " ".join(f"ip4:198.51.100.{n}" for n in range(10, 48)) + " mx -all"


def records(ip: str = "127.0.0.1") -> list[Record]:
    out: list[Record] = []
    for d in ZONES:
        # Mail host, DKIM and DMARC done right, so SPF is the only broken part of each scenario (a check of one
        # showed the lesson's finding beside "no DKIM key found", which is not what it teaches).
        out.append(Record(d, "MX", (10, f"mail.{d}")) if d != "spf-too-many-mx.test" else Record(d, "A", "192.0.2.100"))
        mail_ip = "192.0.2.25" if d == "spf-not-authorized.test" else ip
        if d != "spf-too-many-mx.test":
            out.append(Record(f"mail.{d}", "A", mail_ip))
        out.append(Record(f"_dmarc.{d}", "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{d}"))
        if d != RELAY:  # the provider's own domain, not a sender's
            out.append(Record(f"{BASELINE_SELECTOR}._domainkey.{d}", "TXT", dkim_record()))
        for text in SPF_TXT.get(d, []):
            out.append(Record(d, "TXT", text.replace("{d}", d).replace("{ip}", ip)))

    out.append(Record("spf-missing.test", "TXT", "google-site-verification=lab-only-token-7f3a"))
    out.append(Record("spf-too-long.test", "TXT", _long_record()))
    out.append(Record("spf-type99.test", "SPF", "v=spf1 mx -all"))
    out.append(Record("spf-ptr.test", "A", "192.0.2.120"))

    d = "spf-too-many-lookups.test"
    out += [
        Record(d, "A", "192.0.2.60"),
        Record(f"_bulk.{d}", "TXT", " ".join(["v=spf1", *(f"include:_n{i}.{d}" for i in range(1, 5)), "~all"])),
        Record(f"_crm.{d}", "TXT", f"v=spf1 a:crm.{d} mx:crm.{d} ~all"),
        Record(f"crm.{d}", "A", "192.0.2.80"),
        Record(f"crm.{d}", "MX", (10, f"crm.{d}")),
    ]
    for i in range(1, 5):
        out += [
            Record(f"_n{i}.{d}", "TXT", f"v=spf1 a:out{i}.{d} ~all"),
            Record(f"out{i}.{d}", "A", f"192.0.2.{64 + i}"),
        ]

    d = "spf-include-loop.test"
    out.append(Record(f"_a.{d}", "TXT", f"v=spf1 include:{d} ~all"))

    d = "spf-dns-error.test"
    out.append(Record(f"_spf.{d}", "TIMEOUT"))

    d = "spf-too-many-mx.test"
    for i in range(11):
        out += [Record(d, "MX", (i, f"mx{i}.{d}")), Record(f"mx{i}.{d}", "A", f"192.0.2.{100 + i}")]
    return out
