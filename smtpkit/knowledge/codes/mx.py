"""MX findings: where mail for a domain goes (RFC 5321 §5.1, RFC 7505 null MX).

A sending domain needs working MX records too: bounces and replies come back
through them, and many receivers reject mail whose sender domain cannot
receive mail.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="mx.missing",
        severity=Severity.WARN,
        step="mx",
        title="{domain} has no MX records",
        explanation=(
            "The MX lookup for {domain} returned {status}. {implicit} Receivers check that a sender's domain can "
            "receive mail (for bounces); without MX records, many treat the domain as suspicious and some reject "
            "its mail."
        ),
        fix=(
            "Publish the MX records of the service that receives your mail, for example "
            "{domain}. 3600 IN MX 10 mail.{domain}. (Google Workspace: MX 1 smtp.google.com.; Microsoft 365: "
            "MX 0 <your-domain-with-dashes>.mail.protection.outlook.com.). If the domain must never receive mail, "
            "publish a null MX instead: {domain}. IN MX 0 ."
        ),
        reference="RFC 5321 §5.1",
    ),
    FindingSpec(
        code="mx.null",
        severity=Severity.FAIL,
        step="mx",
        title="{domain} publishes a null MX: it accepts no mail",
        explanation=(
            '{domain} has the MX record "0 ." (RFC 7505 null MX), which declares that the domain never receives '
            "mail. Bounces and replies to it cannot be delivered, and receivers may reject mail that uses it as the "
            "sender (RFC 7505 §4.2, reply 550 5.7.27).{mixed}"
        ),
        fix=(
            "If {domain} sends mail, replace the null MX with the MX records of your mail service, e.g. "
            '{domain}. 3600 IN MX 10 mail.{domain}. and delete "MX 0 .". If it really never sends or receives '
            'mail, keep the null MX and also publish "v=spf1 -all" and "v=DMARC1; p=reject".'
        ),
        reference="RFC 7505",
    ),
    FindingSpec(
        code="mx.invalid_target",
        severity=Severity.FAIL,
        step="mx",
        title="MX {exchange} of {domain} is not a usable mail server name",
        explanation=(
            'The MX record "{preference} {exchange}" points at a name that senders cannot use: {problem}. {consequence}'
        ),
        fix="An MX must name a host that has its own A/AAAA records, directly (no alias, no address). {remedy}",
        reference="RFC 5321 §5.1; RFC 2181 §10.3",
    ),
    FindingSpec(
        code="mx.lookup_failed",
        severity=Severity.WARN,
        step="mx",
        title="The MX lookup of {domain} did not get an answer",
        explanation=(
            "Looking up the MX records of {domain} ended with {status}: {error}. Senders seeing this keep your mail "
            "queued and retry; receivers checking your sender domain may defer your mail with a 4xx reply."
        ),
        fix=(
            "Check that every authoritative nameserver of {domain} answers (`dig +norec MX {domain} @<each NS>`) "
            "and that your DNS provider has no outage, then run the check again."
        ),
        reference="RFC 5321 §5.1",
    ),
]
