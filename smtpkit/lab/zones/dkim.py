"""Broken DKIM lab domains: each one breaks the DKIM key record in one way people meet.

Every domain is otherwise healthy (MX, SPF, DMARC p=reject), so `smtpkit domain
<name>` points at the one DKIM problem and nothing else. The public keys are
fixed constants (nobody signs with them; only their size and shape matter),
so the zones are the same on every machine and cost nothing to build.

This module also holds `baseline()`, the healthy records the other broken-domain
modules (zones.dmarc, zones.mx) start from.
"""

from __future__ import annotations

from smtpkit.lab.zones.healthy import spf_record
from smtpkit.lab.zoneset import Record

# A 2048-bit RSA public key (DER SubjectPublicKeyInfo, base64): the size we recommend.
RSA_2048 = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtSJpM8fZiAL+1crG8af24ZxCC4RCikT04Ygv9Nc9KKLvwdK8J0ECVa7cmvSn"
    "YzgG5c4G8QL/F9f1wdYKbsJRfRgGr5T7fbQxqcgK+FRBveR0sV5hspy7upUiuLHTYA5BDSzSWVDhopaKi7SS0ywbBaP2C9g6gdCi6vlO"
    "JHXLh0/CE4roPjoKUjOX6D7RhzDUSobZVzi0VocwWUm9QdC7CJC462yOA98NgavUCNq+EPIkKFhcl1LDiXFH5DnYvfNEvAm5Uo58eYx4"
    "Hesr6Tbwr/XQWg7K3ojvi0qhV3AWQ+zuf85IOKpT/lGR7ho6h2/90pn+5olrmsR4ZDIdvGQG2QIDAQAB"
)
# 1024 bits: still accepted by receivers, but weak (a warning).
RSA_1024 = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDtMGhsBGu+Z773oYDsgMUJ4igZNkrHkkihi3n29zoRtP8kbBm4JLKKq8+rRq7MCQeJ"
    "vmVIUF5WaeWmwDVYSxf+J7cL2ypPAtH+Bj7ZYKnSak0KBIgN+N7pNU0kDSuEwoS6UAdv4V69eQd7CklPy85JIDKosubJ0XWPQ+XOfdA3"
    "WwIDAQAB"
)
# 512 bits: what old control panels generated; receivers ignore it (RFC 8301).
RSA_512 = (
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMUpUdJIPkejSmXQaEtS+qiRUAHs/0MGfS6SP/v4yTUlMZiDX7vRdHDXT6A082l85ojzjCUc1GSERdcGm"
    "KJ3DN8CAwEAAQ=="
)

BASELINE_SELECTOR = "default"

ZONES = {
    "dkim-missing.test": (
        "DKIM selector1 is a CNAME (Microsoft 365 style) to a key that was never created: dkim.key_missing"
    ),
    "dkim-tenant.test": "the DKIM provider's zone that dkim-missing.test points into (the key is absent)",
    "dkim-none.test": "no DKIM key at any common selector: dkim.no_selector_found",
    "dkim-revoked.test": "DKIM key with an empty p= (revoked) at selector default: dkim.key_revoked",
    "dkim-invalid.test": "DKIM key cut off in the middle when pasted (selector default): dkim.key_invalid",
    "dkim-short.test": "512-bit DKIM key (selector default): dkim.key_too_short (fail)",
    "dkim-1024.test": "1024-bit DKIM key (selector default): dkim.key_too_short (warning)",
    "dkim-testing.test": "DKIM key left in testing mode t=y (selector default): dkim.testing_mode",
}


def dkim_record(key: str = RSA_2048, extra: str = "") -> str:
    return f"v=DKIM1; k=rsa;{' ' + extra if extra else ''} p={key}"


def baseline(
    domain: str, ip: str, *, mx: bool = True, spf: bool = True, dkim: bool = True, dmarc: bool = True
) -> list[Record]:
    """The healthy records of a broken-domain scenario, minus the parts it breaks itself."""
    v4 = ip if ":" not in ip else "127.0.0.1"
    out = [Record(f"mail.{domain}", "A", v4)]
    if mx:
        out.append(Record(domain, "MX", (10, f"mail.{domain}")))
    if spf:
        out.append(Record(domain, "TXT", spf_record(ip)))
    if dkim:
        out.append(Record(f"{BASELINE_SELECTOR}._domainkey.{domain}", "TXT", dkim_record()))
    if dmarc:
        out.append(Record(f"_dmarc.{domain}", "TXT", f"v=DMARC1; p=reject; rua=mailto:dmarc-reports@{domain}"))
    return out


def records(ip: str = "127.0.0.1") -> list[Record]:
    out: list[Record] = []

    d = "dkim-missing.test"
    out += baseline(d, ip, dkim=False)
    out.append(Record(f"selector1._domainkey.{d}", "CNAME", "selector1-dkim-missing-test._domainkey.dkim-tenant.test"))

    out += baseline("dkim-none.test", ip, dkim=False)

    d = "dkim-revoked.test"
    out += baseline(d, ip, dkim=False)
    out.append(Record(f"{BASELINE_SELECTOR}._domainkey.{d}", "TXT", "v=DKIM1; k=rsa; p="))

    d = "dkim-invalid.test"
    out += baseline(d, ip, dkim=False)
    out.append(Record(f"{BASELINE_SELECTOR}._domainkey.{d}", "TXT", dkim_record(RSA_2048[:180])))

    d = "dkim-short.test"
    out += baseline(d, ip, dkim=False)
    out.append(Record(f"{BASELINE_SELECTOR}._domainkey.{d}", "TXT", dkim_record(RSA_512)))

    d = "dkim-1024.test"
    out += baseline(d, ip, dkim=False)
    out.append(Record(f"{BASELINE_SELECTOR}._domainkey.{d}", "TXT", dkim_record(RSA_1024)))

    d = "dkim-testing.test"
    out += baseline(d, ip, dkim=False)
    out.append(Record(f"{BASELINE_SELECTOR}._domainkey.{d}", "TXT", dkim_record(RSA_2048, "t=y;")))
    return out
