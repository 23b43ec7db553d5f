"""TLS-RPT findings (RFC 8460): where senders report TLS failures delivering to the domain.

TLS reporting is how a domain learns that its MTA-STS policy or DANE records
broke delivery: the sending servers that honour them send a daily JSON
report of every failure. Publishing MTA-STS or DANE without it is flying
blind.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_EXAMPLE = '_smtp._tls.{domain}. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@{domain}"'

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="tlsrpt.missing",
        # a warning, not a note: the domain asks senders to refuse rather than deliver without TLS, and without
        # the record those refusals are silent (the lab's tlsrpt-missing.test read "No problem found")
        severity=Severity.WARN,
        step="tlsrpt",
        title="{domain} publishes {uses} but no TLS-RPT record",
        explanation=(
            "{domain} asks senders to require TLS ({uses}), but has no _smtp._tls TXT record, so when a policy "
            "mistake or an attack makes them refuse to deliver, nobody tells you: the first sign is missing mail."
        ),
        fix=(
            "Publish where reports should go: " + _EXAMPLE + " (a mailbox that accepts JSON attachments, or a "
            "reporting service's https:// address). Reports arrive once a day from Google, Microsoft and others."
        ),
        reference="RFC 8460 §3",
    ),
    FindingSpec(
        code="tlsrpt.record_invalid",
        severity=Severity.WARN,
        step="tlsrpt",
        title="The TLS-RPT record of {domain} is invalid",
        explanation=(
            'The record "{record}" breaks RFC 8460: {problems}. Senders ignore an invalid record, so no TLS '
            "report reaches you."
        ),
        fix="Replace it with a valid record, for example " + _EXAMPLE + ".",
        reference="RFC 8460 §3",
    ),
    FindingSpec(
        code="tlsrpt.multiple_records",
        severity=Severity.WARN,
        step="tlsrpt",
        title="{domain} has {count} TLS-RPT records: senders ignore them all",
        explanation=(
            "RFC 8460 §3 says that when more than one _smtp._tls TXT record starts with v=TLSRPTv1, senders must "
            "treat the domain as having no TLS reporting. Found: {records}."
        ),
        fix=(
            "Keep one record and list every destination in its rua=, separated by commas: "
            '_smtp._tls.{domain}. IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@{domain},https://reports.example.net/tls"'
        ),
        reference="RFC 8460 §3",
    ),
    FindingSpec(
        code="tlsrpt.lookup_failed",
        severity=Severity.WARN,
        step="tlsrpt",
        title="The TLS-RPT lookup of {domain} did not get an answer (could not check)",
        explanation="Looking up {name} TXT ended with {status}: {error}.",
        fix=(
            "Check that every nameserver of {domain} answers (`dig +norec TXT {name} @<each NS>`), then run the check "
            "again, or from another resolver (--nameserver)."
        ),
        reference="RFC 8460 §3",
    ),
]
