"""Findings about a domain as a whole, drawn from several of its records at once.

A parked domain is recognised from three records that each look like a
problem alone (a null MX, an SPF record that authorises nobody, a DMARC policy
that rejects everything) but together say exactly what they should. A domain
that does not exist is one problem, not five (no MX, no SPF, no DKIM, no
DMARC...): it is said once, and for a provider's own domain (gmail.com) the
NXDOMAIN is the resolver's fault, not the domain's.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="domain.parked",
        severity=Severity.INFO,
        step="mx",
        title="{domain} is parked correctly: it neither sends nor receives mail",
        explanation=(
            "{domain} publishes a null MX ({mx}), an SPF record that authorises no server ({spf}) and a DMARC "
            "policy that rejects everything ({dmarc}). Together they say what a domain without mail should say: "
            "senders do not try to deliver to it, and receivers refuse mail that claims to come from it, so nobody "
            "can use it for phishing. A parked domain needs no DKIM key, no DMARC reports and no MTA-STS."
        ),
        fix=(
            "Nothing to do while {domain} stays parked. When it starts to send or receive mail, replace the null MX "
            "with your mail service's MX records, list your sending servers in SPF, publish DKIM keys, and keep "
            "DMARC at p=reject with rua= reports once the reports show every legitimate sender passing."
        ),
        reference=(
            "RFC 7505 (null MX); RFC 7208 §5.1 (-all); RFC 9989 §4.7 (p=reject); M3AAWG Protecting Parked Domains"
        ),
    ),
    FindingSpec(
        code="domain.nxdomain",
        severity=Severity.FAIL,
        step="mx",
        title="The domain {domain} does not exist in DNS",
        explanation=(
            "DNS answered NXDOMAIN for {domain} ({asked}): no such name exists, so it has no MX, SPF, DKIM or DMARC "
            "record to check and every other step was skipped. Mail to addresses at {domain} bounces, and mail "
            "from them is refused by receivers that check the sender's domain. Usual causes: a typo in the domain, "
            "a registration that expired, or a nameserver delegation that was removed or points at servers that "
            "do not serve the zone.{suggestion}"
        ),
        fix=(
            "Check the spelling first. If {domain} is yours, look it up at your registrar: renew the registration "
            "if it lapsed, and check that its nameservers are the ones your DNS host gives you (`dig NS {parent} "
            "+trace` shows the delegation). When `dig SOA {domain}` answers from another network, run the check "
            "again."
        ),
        reference="RFC 1034/1035 (DNS); RFC 2308 (NXDOMAIN); RFC 8020 (nothing exists below an NXDOMAIN)",
    ),
    FindingSpec(
        code="domain.resolver_filtered",
        severity=Severity.WARN,
        step="mx",
        title="This machine's DNS says {domain} does not exist, but it is {provider_name}'s own domain",
        explanation=(
            "DNS answered NXDOMAIN for {domain} ({asked}). {domain} is a domain of {provider_name}, and it exists: "
            "the resolver in use is broken, filtered or offline (a VPN, a captive portal in a hotel or on a train, "
            "a parental or corporate DNS filter, or no working upstream). Nothing about {domain} could be checked "
            "from here, and the other steps were skipped."
        ),
        fix=(
            "Check this machine's DNS, not {domain}: compare `dig MX {domain}` with `dig MX {domain} @1.1.1.1` (or "
            "another public resolver). If only your resolver says NXDOMAIN, log in to the captive portal, switch "
            "off the VPN or filter, or use another network; then run the check again, or ask another resolver "
            "(the DNS server setting)."
        ),
        reference="RFC 1034/1035 (DNS); RFC 2308 (NXDOMAIN)",
    ),
    FindingSpec(
        code="domain.resolver_broken",
        severity=Severity.WARN,
        step="mx",
        title="This machine's DNS says {domain} does not exist, and says the same of .{tld}",
        explanation=(
            "DNS answered NXDOMAIN for {domain} ({asked}), and also for {tld}, the top-level domain it is under, "
            "which exists in the root of DNS. A resolver that denies a whole top-level domain is broken, filtered "
            "or offline (no working upstream, a captive portal before its login page, a VPN, a DNS filter), so "
            "its NXDOMAIN says nothing about {domain}. Whether {domain} exists could not be checked from here, and "
            "the other steps were skipped."
        ),
        fix=(
            "Check this machine's DNS, not {domain}: `dig NS {tld}` should list the nameservers of {tld}. Compare "
            "`dig MX {domain}` with `dig MX {domain} @1.1.1.1` (or another public resolver). Log in to the captive "
            "portal, switch off the VPN or filter, or use another network, or ask a resolver that works (the DNS "
            "server setting); then run the check again."
        ),
        reference="RFC 1034/1035 (DNS); RFC 2308 (NXDOMAIN)",
    ),
    FindingSpec(
        code="domain.unanswered",
        severity=Severity.WARN,
        step="mx",
        title="Could not check {domain}: DNS gave no answer ({status})",
        explanation=(
            "The resolver asked ({asked}) {why} for {domain}'s MX, SPF and DMARC records, so nothing about the "
            "domain could be read and its other steps were skipped. This is not a verdict on {domain}: its "
            "records may be fine. Either the resolver is the problem (a firewall that blocks DNS, a VPN, a DNS "
            "server that serves only its own network, or the practice lab's DNS server asked about a real domain), "
            "or all of the domain's own nameservers are down or broken, in which case every sender sees the same, "
            "defers its mail and finally bounces it."
        ),
        fix=(
            "Ask from elsewhere: `dig MX {domain}` and `dig MX {domain} @1.1.1.1` (or another public resolver, or "
            "an online DNS checker). If only your resolver fails, use another one (the DNS server setting) or "
            "another network, then run the check again. If every resolver fails, the domain's DNS is broken: "
            "`dig NS {domain} +trace` shows its nameservers; ask whoever hosts them."
        ),
        reference="RFC 1034/1035 (DNS); RFC 2308 (SERVFAIL, negative answers); RFC 8914 (extended DNS errors)",
    ),
]
