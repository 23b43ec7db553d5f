"""SPF findings (RFC 7208): the published record, its limits, and a given sending IP.

Every fix carries the corrected record, filled in from the person's own record,
so it can be pasted into the DNS provider's form as it is.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_REF = "RFC 7208"

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="spf.missing",
        severity=Severity.FAIL,
        step="spf",
        title="{domain} publishes no SPF record",
        explanation=(
            "{detail} Without a TXT record starting with v=spf1, receivers cannot tell which servers may send mail "
            "for {domain}: SPF gives 'none'. Gmail and Yahoo require SPF or DKIM for every sender (both for bulk "
            "senders), Microsoft increasingly junks such mail, anyone can forge the envelope sender, and DMARC can "
            "only pass through DKIM."
        ),
        fix=(
            "Publish one TXT record at {domain} (host field '@'): \"{suggested}\". List every service that sends "
            "as {domain} (your mailbox provider, newsletter tool, web shop, server), use ~all while you verify, "
            "then -all."
        ),
        reference=f"{_REF} §4.5, §2.6.1",
    ),
    FindingSpec(
        code="spf.multiple_records",
        severity=Severity.FAIL,
        step="spf",
        title="{domain} publishes {count} SPF records",
        explanation=(
            "There must be exactly one TXT record starting with v=spf1 at {domain} (RFC 7208 §4.5). With {count}, "
            "every receiver returns permerror and ignores SPF for all your mail. This usually happens when a new "
            "provider's setup guide says 'add this SPF record' and the old one stays."
        ),
        fix='Delete all of them and publish one merged record: "{merged}"',
        reference=f"{_REF} §4.5",
    ),
    FindingSpec(
        code="spf.syntax_error",
        severity=Severity.FAIL,
        step="spf",
        title="SPF syntax error at '{term}' in {domain}'s record",
        explanation=(
            "{message}. One bad term makes the whole record a permerror at every receiver (RFC 7208 §4.6), so "
            "SPF fails for all your mail, not just for this term. {hint}"
        ),
        fix='Publish the corrected record: "{corrected}"',
        reference=f"{_REF} §4.6, §12 (ABNF)",
    ),
    FindingSpec(
        code="spf.too_many_lookups",
        severity=Severity.FAIL,
        step="spf",
        title="{domain}'s SPF needs {count} DNS lookups; the limit is 10",
        explanation=(
            "Receivers count every include, a, mx, ptr, exists and redirect, including those inside the records "
            "you include, and stop at 10 with permerror (RFC 7208 §4.6.4): SPF then fails for your mail. "
            "Lookups by term: {breakdown}."
        ),
        fix='{advice} Corrected record: "{corrected}"',
        reference=f"{_REF} §4.6.4",
    ),
    FindingSpec(
        code="spf.void_lookups",
        severity=Severity.WARN,
        step="spf",
        title="{domain}'s SPF queries names that do not exist: {count}",
        explanation=(
            "These terms look up names that return nothing (NXDOMAIN or no records): {names}. Receivers return "
            "permerror after 2 such 'void lookups' (RFC 7208 §4.6.4), so a third one breaks SPF for all your mail. "
            "They are usually a provider you no longer use, or a typo."
        ),
        fix='Remove or correct them: "{corrected}"',
        reference=f"{_REF} §4.6.4",
    ),
    FindingSpec(
        code="spf.include_loop",
        severity=Severity.FAIL,
        step="spf",
        title="SPF include loop: {chain}",
        explanation=(
            "The records include each other ({chain}), so evaluation can never end: receivers run into the "
            "10-lookup limit and return permerror for all your mail."
        ),
        fix='Remove the term that points back ({term} in {where}\'s record): "{corrected}"',
        reference=f"{_REF} §4.6.4, §5.2",
    ),
    FindingSpec(
        code="spf.include_target_missing",
        severity=Severity.FAIL,
        step="spf",
        title="'{term}' names a domain without an SPF record",
        explanation=(
            "{target} has no SPF record ({status}). Including (or redirecting to) such a domain is a permerror "
            "(RFC 7208 §5.2, §6.1) for every message, not only for that provider's. Usually a typo, or a provider "
            "that renamed its include."
        ),
        fix='Correct the name from your provider\'s current setup guide, or remove the term: "{corrected}"',
        reference=f"{_REF} §5.2, §6.1",
    ),
    FindingSpec(
        code="spf.dns_error",
        severity=Severity.WARN,
        step="spf",
        title="Could not read part of SPF from here: {rdtype} {name} {status}",
        explanation=(
            "The {rdtype} lookup of {name} {status_words}, so this part of the SPF record could not be checked "
            "from here: that is not a verdict on the record. The cause may be on this side (a resolver or network "
            "that cannot reach those nameservers) or at {name}'s nameservers. If it is theirs, receivers meet it "
            "too: SPF gives temperror (RFC 7208 §2.6.6), mail is usually deferred with a 4xx reply and retried, "
            "and bounces if it lasts."
        ),
        fix=(
            "Check from elsewhere: ask a public resolver from another network (dig {rdtype} {name} @1.1.1.1) and "
            "each authoritative nameserver of {name} directly (dig +norec {rdtype} {name} @<each NS>). If they "
            "fail too, fix the nameserver that does not answer, or remove the term that needs {name} if it "
            "belongs to a provider you no longer use; if they answer, this network's DNS is at fault."
        ),
        reference=f"{_REF} §2.6.6, §4.4",
    ),
    FindingSpec(
        code="spf.too_many_mx",
        severity=Severity.FAIL,
        step="spf",
        title="'{term}' refers to {count} MX hosts; the limit is 10",
        explanation=(
            "{target} has {count} MX records. An mx mechanism may look at most 10 MX hosts up (RFC 7208 §4.6.4), "
            "and with more, receivers return permerror for all your mail."
        ),
        fix='Replace mx with the addresses of the servers that really send (ip4:/ip6:): "{corrected}"',
        reference=f"{_REF} §4.6.4",
    ),
    FindingSpec(
        code="spf.plus_all",
        severity=Severity.FAIL,
        step="spf",
        title="'{term}' lets the whole internet send as {domain}",
        explanation=(
            "The record ends with {term}, which authorises every IP address: any spammer's mail passes SPF for "
            "{domain}, and receivers that notice treat your domain as untrustworthy."
        ),
        fix='End the record with -all (or ~all while you check that all your senders are listed): "{corrected}"',
        reference=f"{_REF} §5.1, §10.1",
    ),
    FindingSpec(
        code="spf.neutral_all",
        severity=Severity.WARN,
        step="spf",
        title="'{term}' makes no statement about other senders",
        explanation=(
            "?all gives 'neutral' to every server not listed, which receivers treat like having no SPF at all: "
            "forged mail from {domain} is not flagged."
        ),
        fix='Use ~all (softfail) now and -all once all your senders are listed: "{corrected}"',
        reference=f"{_REF} §2.6.2, §8.2",
    ),
    FindingSpec(
        code="spf.no_all",
        severity=Severity.WARN,
        step="spf",
        title="{domain}'s SPF record has no 'all' term",
        explanation=(
            "Without an all term or a redirect, mail from servers the record does not list gets 'neutral' (RFC "
            "7208 §4.7), the same as no SPF, so forged mail from {domain} is not flagged."
        ),
        fix='Add ~all (or -all) as the last term: "{corrected}"',
        reference=f"{_REF} §4.7, §5.1",
    ),
    FindingSpec(
        code="spf.ptr_deprecated",
        severity=Severity.WARN,
        step="spf",
        title="'{term}' uses the deprecated ptr mechanism",
        explanation=(
            "RFC 7208 §5.5 says 'ptr' SHOULD NOT be used: it costs reverse and forward lookups for every message, "
            "is slow and unreliable, and large receivers may skip it, so your mail can fail SPF."
        ),
        fix='Replace it with your servers\' addresses (ip4:/ip6:) or a:/mx: terms: "{corrected}"',
        reference=f"{_REF} §5.5",
    ),
    FindingSpec(
        code="spf.record_too_long",
        severity=Severity.WARN,
        step="spf",
        title="{domain}'s SPF record is {length} characters",
        explanation=(
            "RFC 7208 §3.4 advises keeping SPF small so the DNS answer fits a 512-byte UDP packet. This record is "
            "{length} characters (all TXT records at {domain} together {rrset} bytes), so receivers must retry over "
            "TCP, and some fail with temperror. Long records are also hard to maintain."
        ),
        fix="Move the address ranges into a record on a subdomain and include it: {suggested}",
        reference=f"{_REF} §3.4",
    ),
    FindingSpec(
        code="spf.deprecated_rr_type",
        severity=Severity.WARN,
        step="spf",
        title="{domain} publishes the obsolete SPF (type 99) record",
        explanation="RFC 7208 §3.1 retired the SPF record type: receivers read only TXT records. {detail}",
        fix='Delete the type-99 SPF record and keep one TXT record: "{txt_record}"',
        reference=f"{_REF} §3.1, §14.1",
    ),
    FindingSpec(
        code="spf.ip_not_authorized",
        severity=Severity.FAIL,
        step="spf",
        title="{ip} is not authorised by {domain}'s SPF ({result})",
        explanation="SPF for {ip} sending as {sender} gives {result}: {meaning} {how}",
        fix='If {ip} really sends for {domain}, add {term} before the all term: "{corrected}". {alternative}',
        reference=f"{_REF} §2.6, §4",
    ),
]
