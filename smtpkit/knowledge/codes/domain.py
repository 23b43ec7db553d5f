"""Findings about a domain as a whole, drawn from several of its records at once.

A parked domain is recognised from three records that each look like a
problem alone (a null MX, an SPF record that authorises nobody, a DMARC policy
that rejects everything) but together say exactly what they should.
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
]
