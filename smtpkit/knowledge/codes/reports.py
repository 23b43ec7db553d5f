"""Findings from DMARC aggregate and TLS-RPT reports (RFC 7489 §7.2, RFC 9990, RFC 8460).

Aggregate reports are the only place that says which real senders of a
domain fail SPF or DKIM alignment, which is what a person needs to know before
moving from p=none to p=reject. Each failing sender gets one finding whose fix
is the concrete setting at that sender (a DKIM key with your domain, a custom
Return-Path, an ``include:``); forwarded mail and spoofing are named as such
instead of being blamed on a sender; the policy finding says what the next
step on the none -> quarantine -> reject path would break. TLS-RPT result
types map to findings through `smtpkit.knowledge.tlsrpt_results`.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_ALIGN = (
    "DMARC passes only when SPF or DKIM passes for a domain that matches the From domain ({domain}): the same "
    "domain, or (relaxed alignment) a subdomain of the same organisation."
)

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="reports.sender_dkim_not_aligned",
        severity=Severity.FAIL,
        step="senders",
        title="{sender} signs your mail with its own domain ({dkim_domain}), not {domain}",
        explanation=(
            "The reports show {messages} messages from {sender} with From: {domain} that failed DMARC "
            "({share} of its mail). Their DKIM signatures are valid, but made with d={dkim_domain}, the provider's "
            "domain, and SPF passes only for its bounce domain ({spf_domain}). " + _ALIGN + " Under p=quarantine "
            "or p=reject this real mail would be lost."
        ),
        fix=(
            "In {sender}'s settings, authenticate your domain: it gives you DKIM records (usually CNAMEs) to publish "
            "under {domain}, after which it signs with d={domain}. {docs}"
        ),
        reference="RFC 7489 §3.1.1; RFC 9989 §4.4",
    ),
    FindingSpec(
        code="reports.sender_no_dkim",
        severity=Severity.FAIL,
        step="senders",
        title="{sender} sends as {domain} without a DKIM signature",
        explanation=(
            "The reports show {messages} messages from {sender} with From: {domain} that failed DMARC ({share} of "
            "its mail): they carry no DKIM signature at all, and SPF passes only for {spf_domain}, the provider's "
            "bounce domain. " + _ALIGN
        ),
        fix=(
            "Turn on DKIM signing with your domain at {sender} (publish the key or CNAMEs it gives you under "
            "{domain}); DKIM survives forwarding, SPF does not. Alternatively set a custom Return-Path (MAIL FROM) "
            "domain there, such as bounces.{domain}, so that SPF aligns. {docs}"
        ),
        reference="RFC 6376; RFC 7489 §3.1",
    ),
    FindingSpec(
        code="reports.sender_spf_not_aligned",
        severity=Severity.FAIL,
        step="senders",
        title="{sender} passes SPF for {spf_domain}, not for {domain}",
        explanation=(
            "The reports show {messages} messages from {sender} with From: {domain} that failed DMARC ({share} of "
            "its mail). SPF passes, but for the envelope sender (Return-Path) domain {spf_domain}, which is the "
            "provider's, and no DKIM signature of {domain} passed. " + _ALIGN
        ),
        fix=(
            "At {sender}, set a custom Return-Path (MAIL FROM, bounce) domain under your own domain, for example "
            "bounces.{domain}, and publish the records it asks for; better still, also set up DKIM with d={domain} "
            "there. {docs}"
        ),
        reference="RFC 7489 §3.1.2; RFC 7208 §2.4",
    ),
    FindingSpec(
        code="reports.sender_spf_fail",
        severity=Severity.FAIL,
        step="senders",
        title="{sender} is not in the SPF record of {spf_domain}",
        explanation=(
            "The reports show {messages} messages from {sender} ({ips}) that used {spf_domain} as the envelope "
            "sender and failed SPF ({spf_result}) and DMARC ({share} of its mail): the SPF record of {spf_domain} "
            "does not list these servers, and no valid DKIM signature of {domain} saved them."
        ),
        fix=(
            "Add {sender} to the SPF record of {spf_domain}: {include}. Keep the whole record under 10 DNS lookups "
            "(`smtpkit spf {spf_domain} --ip <one of its addresses>` shows the count), and set up DKIM with "
            "d={domain} at {sender} too. {docs}"
        ),
        reference="RFC 7208 §5; RFC 7489 §3.1.2",
    ),
    FindingSpec(
        code="reports.sender_dkim_fail",
        severity=Severity.FAIL,
        step="senders",
        title="DKIM signatures of {domain} from {sender} do not verify",
        explanation=(
            "The reports show {messages} messages from {sender} signed with d={dkim_domain} whose signatures failed "
            "({share} of its mail failed DMARC). The usual causes: the selector's public key in DNS is not the one "
            "{sender} signs with (a key rotated on one side only, or a record cut or mistyped), or the messages "
            "are changed after signing."
        ),
        fix=(
            "Compare the key {sender} shows in its settings with the TXT record at <selector>._domainkey.{domain} "
            "(`smtpkit domain {domain} --selector <selector>` reads it back); republish it exactly, or have "
            "{sender} generate a new key and publish that. {docs}"
        ),
        reference="RFC 6376 §6.1.3",
    ),
    FindingSpec(
        code="reports.forwarding",
        severity=Severity.INFO,
        step="senders",
        title="{messages} forwarded or mailing-list messages failed DMARC: expected, not a sender to fix",
        explanation=(
            "Mail that {senders} forwarded or re-sent (mailing lists, forwarding services, mailbox rules) failed "
            "DMARC: the forwarder's servers are not in your SPF record, and lists that change the subject or "
            "body break your DKIM signature. {reasons}This is normal and is not fixed on your side: under "
            "p=reject some of it would be refused unless the receiver trusts the forwarder's ARC seal."
        ),
        fix=(
            "Nothing to change for these senders. Keep DKIM on all your mail (it survives plain forwarding), "
            "and before moving to p=reject check that the volume here is small next to your own mail."
        ),
        reference="RFC 7960 (interoperability issues with indirect mail flows); RFC 8617 (ARC)",
    ),
    FindingSpec(
        code="reports.spoofing",
        severity=Severity.WARN,
        step="senders",
        title="{messages} messages from {ips} unknown sources used {domain} without authenticating",
        explanation=(
            "These sources sent mail with From: {domain} that passed neither SPF nor DKIM for any domain, and "
            "{unnamed} ({examples}). This is either spoofing (somebody pretending "
            "to be you) or a sender you did not know about. The policy published now ({policy}) {effect}."
        ),
        fix=(
            "If one of them is yours, set it up like any other sender (SPF include and DKIM with your domain). "
            "Otherwise this is exactly what p=quarantine and p=reject stop: follow the policy finding below."
        ),
        reference="RFC 7489 §6.3 and §10.5",
    ),
    FindingSpec(
        code="reports.policy_next_step",
        severity=Severity.INFO,
        step="policy",
        title="{domain}: {next}",
        explanation=(
            "The aggregate reports show what a stricter DMARC policy would have done to the real mail of "
            "{domain}. {text}"
        ),
        fix=(
            "{fix} Move one step at a time (p=none, p=quarantine with pct=25, p=quarantine, p=reject) and read "
            "the reports for a week or two between steps."
        ),
        reference="RFC 7489 §6.3 (p, pct); RFC 9989 §4.7 and §7.1 (t=, the policy ramp)",
    ),
    FindingSpec(
        code="reports.policy_not_ready",
        severity=Severity.WARN,
        step="policy",
        title="{domain}: {next} would lose {lost} legitimate messages",
        explanation=(
            "{text} Each failing sender has its own finding with the fix; forwarded mail and unknown sources "
            "are not counted as legitimate."
        ),
        fix=(
            "Fix the failing senders first (each has its own finding above), wait until a week of reports shows "
            "them passing, then publish {record}."
        ),
        reference="RFC 7489 §6.3; RFC 9989 §7.1",
    ),
    FindingSpec(
        code="reports.unreadable",
        severity=Severity.WARN,
        step="reports",
        title="Report files or parts that could not be read: {count}",
        explanation=(
            "Some of what was given could not be used: {kinds}. Their reasons are in the table of files that "
            "could not be used (in Python `ReportSet.problems`; on the command line `smtpkit reports --json`). "
            "The numbers here leave them out."
        ),
        fix=(
            "Look at that table: a 'refused' file hit a safety cap (for a file you trust, whoever runs smtpkit "
            "from Python can raise it with `smtpkit.reports.Limits`), an 'unreadable' one is corrupt or not a "
            "report; ask its sender for a new copy if you need it."
        ),
        reference="RFC 7489 §7.2.1 (report format); RFC 8460 §5 (TLS-RPT delivery)",
    ),
    FindingSpec(
        code="reports.none_found",
        severity=Severity.WARN,
        step="reports",
        title="No DMARC aggregate or TLS-RPT report found",
        explanation=(
            "Nothing in {paths} is an aggregate report (XML, also gzipped, zipped or attached to a message) or a "
            "TLS-RPT report (JSON){filters}."
        ),
        fix=(
            "Point it at the folder or mailbox where reports arrive (the rua= address of your DMARC record). "
            "With no reports yet, check that your DMARC record has rua=mailto:... (`smtpkit domain <domain>`), "
            "and wait a day: receivers send them daily."
        ),
        reference="RFC 7489 §7.2",
    ),
    FindingSpec(
        code="reports.tls_starttls",
        severity=Severity.FAIL,
        step="tls-rpt",
        title="{sessions} deliveries to {domain} found no STARTTLS",
        explanation=(
            "{reporters} reported {sessions} sessions to your MX hosts ({hosts}) where the server did not offer "
            "STARTTLS: {meaning}. Senders that enforce MTA-STS or DANE do not deliver at all then."
        ),
        fix=(
            "Enable STARTTLS on every MX host with a valid certificate (`smtpkit ports <mx host>` shows what each "
            "port offers); a load balancer or filtering gateway in front of the server is a common culprit."
        ),
        reference="RFC 8460 §4.3.2.1; RFC 3207",
    ),
    FindingSpec(
        code="reports.tls_certificate",
        severity=Severity.FAIL,
        step="tls-rpt",
        title="{sessions} deliveries to {domain} failed on the MX certificate",
        explanation=(
            "{reporters} reported {sessions} sessions to your MX hosts ({hosts}) that failed because of the "
            "certificate: {meaning}."
        ),
        fix=(
            "Install a certificate from a public CA that names each MX host as it appears in your MX records, "
            "with the full chain, and renew it automatically (`smtpkit check <mx host> --port 25` shows the "
            "certificate the server sends)."
        ),
        reference="RFC 8460 §4.3.2.1; RFC 8461 §4.2",
    ),
    FindingSpec(
        code="reports.tls_sts_policy",
        severity=Severity.WARN,
        step="tls-rpt",
        title="{sessions} deliveries to {domain} could not use its MTA-STS policy",
        explanation=(
            "{reporters} reported {sessions} sessions where your MTA-STS policy was the problem: {meaning}. "
            "Senders then fall back to the policy they had cached, or deliver without MTA-STS protection."
        ),
        fix=(
            "Serve the policy at https://mta-sts.{domain}/.well-known/mta-sts.txt with a valid certificate for "
            "mta-sts.{domain}, as text/plain, with version: STSv1, mode, one mx: line per MX host and max_age; "
            "change the id= in the _mta-sts TXT record after every change."
        ),
        reference="RFC 8460 §4.3.2.2; RFC 8461 §3.2",
    ),
    FindingSpec(
        code="reports.tls_dane",
        severity=Severity.FAIL,
        step="tls-rpt",
        title="{sessions} deliveries to {domain} failed DANE validation",
        explanation=(
            "{reporters} reported {sessions} sessions to your MX hosts ({hosts}) that failed DANE: {meaning}. "
            "DANE senders do not deliver when TLSA validation fails."
        ),
        fix=(
            "Publish TLSA records (3 1 1, the SHA-256 of the public key, is the robust choice) at "
            "_25._tcp.<mx host> in a DNSSEC-signed zone, matching the certificate the server presents; publish "
            "the new key's TLSA record before you roll the certificate over."
        ),
        reference="RFC 8460 §4.3.2.1; RFC 7672 §3",
    ),
    FindingSpec(
        code="reports.tls_validation",
        severity=Severity.WARN,
        step="tls-rpt",
        title="{sessions} deliveries to {domain} failed TLS validation",
        explanation=(
            "{reporters} reported {sessions} sessions to your MX hosts ({hosts}) that failed with {types}: "
            "{meaning}. The failure reason codes they gave: {codes}."
        ),
        fix=(
            "Connect to each MX host the way a sender does (`smtpkit check <mx host> --port 25`) and fix what "
            "the TLS step reports; the reason codes above are the sender's own OpenSSL or library errors."
        ),
        reference="RFC 8460 §4.3.2.3",
    ),
]
