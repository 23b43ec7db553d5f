"""Blocklist findings for a sending IP (RFC 5782 DNSBLs such as Spamhaus ZEN).

A listing is about the IP address mail leaves from, not about the domain's
records: the fix is to stop what got it listed, then ask the list. Everything
that is not a documented listing code (a list refusing the resolver, a
resolver rewriting NXDOMAIN, a list that lists everything) is "could not
check", never "listed": acting on a listing that does not exist wastes days.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_OWN_RESOLVER = (
    "Ask through a resolver of your own that talks to the lists directly (unbound or bind on your mail server, "
    "then --nameserver 127.0.0.1), not through a public resolver (8.8.8.8, 1.1.1.1, 9.9.9.9) or a cloud "
    "provider's shared DNS, which most lists refuse to answer."
)

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="dnsbl.listed",
        severity=Severity.FAIL,
        step="dnsbl",
        title="{ip} is listed on {list}",
        explanation=(
            "{list} ({zone}) answered {codes} for {ip}: {meanings}.{reason} Receivers that consult {list} reject "
            "mail from this address or file it as spam, whatever your SPF, DKIM and DMARC say: a blocklist "
            "judges the IP your mail leaves from, not your domain."
        ),
        fix=(
            "First stop what got the address listed (a compromised account or machine, a web form that sends to "
            "anyone, a purchased address list), then ask for removal: {delist} {removal_url} If {ip} belongs to "
            "your provider (shared hosting, a relay service), send them this finding instead: only they can fix "
            "and delist it."
        ),
        reference="RFC 5782; the list's documentation",
    ),
    FindingSpec(
        code="dnsbl.query_refused",
        severity=Severity.WARN,
        step="dnsbl",
        title="{lists} would not answer the question (could not check)",
        explanation=(
            "Instead of a listing code, the lists answered with their query-error codes: {details}. An error "
            "code is not a listing: it says nothing at all about {ip}. Mail servers that count it as a listing "
            "reject everybody."
        ),
        fix=_OWN_RESOLVER + " Or look {ip} up on each list's own web site.",
        reference="RFC 5782 §2.1; Spamhaus DNSBL return codes (127.255.255.0/24)",
    ),
    FindingSpec(
        code="dnsbl.resolver_rewrites",
        severity=Severity.WARN,
        step="dnsbl",
        title="The resolver rewrote the blocklist answers (could not check)",
        explanation=(
            "The answers for {lists} are addresses outside 127.0.0.0/8 ({details}), where no blocklist answers. "
            "The resolver replaced the real reply (usually NXDOMAIN, 'not listed') with the address of a search "
            "or block page, as some ISP and 'DNS filtering' resolvers do. No blocklist answer from this resolver "
            "can be trusted, listed or not."
        ),
        fix=(
            "Check from a resolver that returns NXDOMAIN unchanged: your own (unbound on the mail server, then "
            "--nameserver 127.0.0.1), or turn off the resolver's 'search assist' / filtering feature."
        ),
        reference="RFC 5782 §2.1; RFC 8499 (NXDOMAIN)",
    ),
    FindingSpec(
        code="dnsbl.unknown_code",
        severity=Severity.WARN,
        step="dnsbl",
        title="{lists} answered with a code it does not document (could not check)",
        explanation=(
            "The answers ({details}) are in 127.0.0.0/8, where lists answer, but are not among the listing codes "
            "the lists document, so smtpkit will not call {ip} listed or not listed on them."
        ),
        fix=(
            "Look {ip} up on the list's own web site, and if the code is new, add it to smtpkit/dnsbl/lists.json "
            "with its documented meaning."
        ),
        reference="RFC 5782 §2.1",
    ),
    FindingSpec(
        code="dnsbl.lookup_failed",
        severity=Severity.WARN,
        step="dnsbl",
        title="{lists} could not be asked (could not check)",
        explanation=(
            "The lookups got no usable answer: {details}. Some lists answer only registered or low-volume "
            "resolvers and stay silent or refuse for everyone else; a firewall may also block DNS to them. This "
            "says nothing about {ip}."
        ),
        fix=_OWN_RESOLVER + " Then run the check again.",
        reference="RFC 5782",
    ),
    FindingSpec(
        code="dnsbl.test_entry_missing",
        severity=Severity.WARN,
        step="dnsbl",
        title="{lists} did not list its own test address (could not check)",
        explanation=(
            "Every blocklist must list its test address {test_listed} (RFC 5782 §5), and these did not ({details}). "
            "So their 'not listed' for {ip} cannot be trusted: the zone name may be misspelt, the list may have "
            "shut down, or it may be answering this resolver with NXDOMAIN for everything."
        ),
        fix=(
            "Check the list's zone name on its web site; if it is right, ask through a resolver of your own "
            "(--nameserver), or remove the list from your set."
        ),
        reference="RFC 5782 §5",
    ),
    FindingSpec(
        code="dnsbl.lists_everything",
        severity=Severity.WARN,
        step="dnsbl",
        title="{lists} lists every address, even its test address {test_unlisted} (could not check)",
        explanation=(
            "A blocklist must never list its test address {test_unlisted} (RFC 5782 §5), and these do ({details}). "
            "A list that lists the whole internet is shutting down or broken, and its answer for {ip} means "
            "nothing."
        ),
        fix=(
            "Stop using these lists in your own mail server (they would reject all mail), and ignore their answer "
            "for {ip}."
        ),
        reference="RFC 5782 §5",
    ),
    FindingSpec(
        code="dnsbl.not_public",
        severity=Severity.INFO,
        step="dnsbl",
        title="{ip} is not a public address: blocklists were not asked",
        explanation=(
            "{ip} is {kind}. Blocklists list public addresses only, so asking them about it says nothing about "
            "your mail. The address that matters is the public one your mail leaves from: the IP in the first "
            "Received: line the receiving server added."
        ),
        fix=(
            "Give the public IP your mail server connects from (the Sending IP field; --ip on the command line), "
            "for example from a received message's headers, or `curl -4 https://ifconfig.me` on the mail server. "
            "To ask a list of your own about a private address, use the command line's --allow-private."
        ),
        reference="RFC 5782; RFC 6890 (special-purpose addresses)",
    ),
]
