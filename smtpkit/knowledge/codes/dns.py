"""Finding codes of the `resolve` step: turning the server's name into addresses.

When a name does not resolve, mail clients say "unknown host" or "getaddrinfo
failed" and nothing else. These texts say which of the three very different
situations it is: the name does not exist (a typo, or a record never created),
the name exists but has no address, or DNS itself did not answer.

Template parameters: host, asked (what we asked and whom), nameserver,
suggestion (a "did you mean" sentence or empty), status, waited.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_RFC1035 = "RFC 1034/1035 (DNS); RFC 2308 (NXDOMAIN and NODATA)"

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="dns.nxdomain",
        severity=Severity.FAIL,
        step="resolve",
        title="The host name {host} does not exist in DNS",
        explanation=(
            "We asked DNS for the addresses of {host} ({asked}) and the answer was NXDOMAIN: no such name exists. "
            "Nothing can connect to a name that does not exist, so the mail client fails before sending a single "
            "byte. Usual causes: a typo in the server name, the provider's host name was copied incompletely, or "
            "the DNS record was never created (or was deleted) in the domain's zone.{suggestion}"
        ),
        fix=(
            "Check the spelling of the server name against your provider's documentation (it is usually "
            "smtp.<provider> or mail.<your domain>). If it is your own server, create an A (and AAAA) record for "
            "{host} at your DNS host, then confirm with `dig +short A {host}`."
        ),
        reference=_RFC1035,
    ),
    FindingSpec(
        code="dns.resolver_filtered",
        severity=Severity.WARN,
        step="resolve",
        title="This machine's DNS says {host} does not exist, but it is {provider_name}'s published server",
        explanation=(
            "We asked DNS for the addresses of {host} ({asked}) and the answer was NXDOMAIN. {host} is the SMTP "
            "server {provider_name} documents, and it exists: the resolver in use is broken, filtered or offline "
            "(a firewall, a VPN, a parental or corporate DNS filter that blocks mail servers, a captive portal, or "
            "no working upstream). The server itself could not be checked from here, and no mail client on this "
            "machine can reach it either."
        ),
        fix=(
            "Check this machine's DNS, not {provider_name}'s: compare `dig {host}` with `dig {host} @1.1.1.1` (or "
            "another public resolver). If only your resolver says NXDOMAIN, switch off the VPN or filter, use "
            "another network, or ask your network administrator to allow {host}; you can also point the check at a "
            "working resolver (`smtpkit check {host} --nameserver 1.1.1.1`). Then run the check again."
        ),
        reference=_RFC1035,
    ),
    FindingSpec(
        code="dns.resolver_broken",
        severity=Severity.WARN,
        step="resolve",
        title="This machine's DNS says {host} does not exist, and says the same of .{tld}",
        explanation=(
            "We asked DNS for the addresses of {host} ({asked}) and the answer was NXDOMAIN; it said the same of "
            "{tld}, the top-level domain {host} is under, which exists in the root of DNS. A resolver that denies "
            "a whole top-level domain is broken, filtered or offline (no working upstream, a captive portal before "
            "its login page, a VPN, a DNS filter), so its NXDOMAIN says nothing about {host}. The server could not "
            "be checked from here, and no mail client on this machine can reach it by name either."
        ),
        fix=(
            "Check this machine's DNS, not the server: `dig NS {tld}` should list the nameservers of {tld}. Compare "
            "`dig {host}` with `dig {host} @1.1.1.1` (or another public resolver). Log in to the captive portal, "
            "switch off the VPN or filter, or use another network; you can also point the check at a resolver that "
            "works (`smtpkit check {host} --nameserver 1.1.1.1`). Then run the check again."
        ),
        reference=_RFC1035,
    ),
    FindingSpec(
        code="dns.no_address",
        severity=Severity.FAIL,
        step="resolve",
        title="{host} exists in DNS but has no IPv4 or IPv6 address",
        explanation=(
            "DNS knows the name {host}, but it has neither an A (IPv4) nor an AAAA (IPv6) record ({asked}), so there is"
            " no address to connect to. This happens when a bare domain name is used as the server (the domain has MX"
            " and TXT records but no address), or when only a record of another type was created.{suggestion}"
        ),
        fix=(
            "Use the SMTP server's host name from your provider's settings page rather than your domain name. If "
            "{host} should be the server, add an A record (and AAAA for IPv6) pointing at it; a CNAME to the "
            "provider's host name also works. Confirm with `dig +short A {host}`."
        ),
        reference=_RFC1035,
    ),
    FindingSpec(
        code="dns.timeout",
        severity=Severity.FAIL,
        step="resolve",
        title="DNS did not answer for {host}",
        explanation=(
            "We asked {nameserver} for the addresses of {host} and got no answer within {waited}. The name may "
            "well be correct: the resolver itself is unreachable or too slow, or the domain's authoritative "
            "name servers are down or block queries. Until DNS answers, no mail client can find the server."
        ),
        fix=(
            "Check that this machine can resolve anything (`dig example.com` or `nslookup example.com`); if not, "
            "fix its DNS settings (/etc/resolv.conf, the router's DNS, a VPN that took over DNS). If only this name "
            "fails, its domain's name servers are broken: `dig +trace {host}` shows where the chain stops."
        ),
        reference=_RFC1035,
    ),
    FindingSpec(
        code="dns.servfail",
        severity=Severity.FAIL,
        step="resolve",
        title="DNS failed to look up {host} ({status})",
        explanation=(
            "The DNS server {nameserver} answered our question about {host} with an error ({status}) instead of "
            "addresses. SERVFAIL usually means the domain's own name servers are broken or disagree, or DNSSEC "
            "validation failed (an expired signature, a wrong DS record at the registrar); REFUSED means that "
            "resolver will not answer for you at all."
        ),
        fix=(
            "Try another resolver to tell the two apart: `dig @1.1.1.1 {host}`. If every resolver fails, the "
            "domain's DNS is broken: check it with `dig +trace {host}` or a DNSSEC analyser (dnsviz.net) and "
            "contact whoever hosts the domain's DNS. If only your resolver refuses, fix this machine's DNS settings."
        ),
        reference=_RFC1035,
    ),
]
