"""Who must act on a finding, and what they must do, in the words of a report's reader.

A report is often read by someone other than the person who ran the check:
the mail server's administrator, whoever manages a domain's DNS, the owner of
an account. The first lines of a report name, for each problem, who that is
("the administrator of mail.example.com must renew the certificate"), so the
reader knows at once whether the next step is theirs. The table is data: a
code prefix (most specific first) or the finding's step, then the actor and
the action, with ``{host}``, ``{domain}``, ``{ip}`` and ``{user}`` filled in
from what was checked.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ACTIONS", "STEP_ACTORS", "who_acts"]

SERVER = "the administrator of {host}"
DNS = "whoever manages the DNS of {domain}"
NETWORK = "whoever runs the network the check ran from"
IP_OWNER = "the provider of the sending address {ip}"
ACCOUNT = "the owner of the account {user} (or the administrator of {host})"

_BROKEN_RESOLVER = "repair its DNS resolver (it denies a whole top-level domain), or check from another network"

#: code prefix -> (who, what they must do); the longest matching prefix wins
ACTIONS: Mapping[str, tuple[str, str]] = {
    "tls.cert.expired": (SERVER, "renew the certificate"),
    "tls.cert.expiring_soon": (SERVER, "renew the certificate before it expires"),
    "tls.cert.not_yet_valid": (SERVER, "install a certificate that is valid now (or correct the server's clock)"),
    "tls.cert": (SERVER, "install a certificate that clients can verify for {host}"),
    "tls.protocol": (SERVER, "enable TLS 1.2 or 1.3"),
    "dns.resolver_filtered": (NETWORK, "let its DNS resolver answer for {host}, or check from another network"),
    "domain.resolver_filtered": (NETWORK, "let its DNS resolver answer for {domain}, or check from another network"),
    "dns.resolver_broken": (
        NETWORK,
        "repair its DNS resolver (it denies a whole top-level domain), or check from elsewhere",
    ),
    "domain.resolver_broken": (
        NETWORK,
        "repair its DNS resolver (it denies a whole top-level domain), or check from elsewhere",
    ),
    "domain.unanswered": (NETWORK, "let its DNS resolver answer for {domain} (or ask another), then check again"),
    "dns.nxdomain": ("the sender", "correct the server name ({host} does not exist)"),
    "auth.smtp_auth_disabled": ("the administrator of the mail tenant", "enable SMTP AUTH for the account"),
    "auth": (ACCOUNT, "correct the login (see the fix below)"),
    "spf.too_many_lookups": (DNS, "shorten the SPF record to 10 DNS lookups or fewer"),
    "spf.missing": (DNS, "publish an SPF record"),
    "spf": (DNS, "correct the SPF record"),
    # (there is no "dkim.missing": a key absent at its selector and no key at any selector are these two)
    "dkim.key_missing": (DNS, "publish a DKIM key (made by the mail provider or server that signs)"),
    "dkim.no_selector_found": (DNS, "publish a DKIM key (made by the mail provider or server that signs)"),
    "dkim": (DNS, "correct the DKIM key record"),
    "dmarc.missing": (DNS, "publish a DMARC record"),
    # the cure is at the service that sends: its bounce (Return-Path) domain or its DKIM signature
    "dmarc.not_aligned": (
        "whoever runs the service that sends mail for {domain}",
        "send with a Return-Path (bounce) domain or a DKIM signature that aligns with {domain} (see the fix)",
    ),
    "dmarc": (DNS, "correct the DMARC record"),
    "mx": (DNS, "correct the MX records"),
    "ptr": (IP_OWNER, "set a reverse DNS name that points back to {ip}"),
    "dnsbl": (IP_OWNER, "have {ip} removed from the blocklist (after stopping what got it listed)"),
}

#: the step a finding belongs to -> who acts, when no code prefix matches
STEP_ACTORS: Mapping[str, str] = {
    "resolve": SERVER,
    "connect": SERVER,
    "banner": SERVER,
    "ehlo": SERVER,
    "tls": SERVER,
    "auth": ACCOUNT,
    "send": SERVER,
    "mx": DNS,
    "spf": DNS,
    "dkim": DNS,
    "dmarc": DNS,
    "mta_sts": DNS,
    "tlsrpt": DNS,
    "dane": DNS,
    "mx_tls": "the administrator of the domain's mail servers",
    "ptr": IP_OWNER,
    "dnsbl": IP_OWNER,
}

_DEFAULT_ACTION = "fix it (the fix is below)"


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return {
            "host": "the server",
            "domain": "the domain",
            "ip": "the sending address",
            "user": "used for the login",
        }.get(key, key)


def who_acts(code: str, step: str, **names: str | None) -> tuple[str, str]:
    """(who, what they must do) for a finding, the names of what was checked filled in."""
    values = _Blank({k: v for k, v in names.items() if v})
    best = max((p for p in ACTIONS if code == p or code.startswith(p + ".")), key=len, default=None)
    if best is not None:
        who, action = ACTIONS[best]
    else:
        who, action = STEP_ACTORS.get(step, "the sender"), _DEFAULT_ACTION
    return who.format_map(values), action.format_map(values)
