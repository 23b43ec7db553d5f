"""DNSSEC findings: the chain of trust behind an answer smtpkit validated itself, and the link that broke.

smtpkit validates from a trust anchor (the root's, shipped; or --trust-anchor)
down through DS, DNSKEY and RRSIG records with dnspython, and names the link
where the chain fails: the finding says which zone, which record, which key.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="dnssec.bogus",
        severity=Severity.FAIL,
        step="dane",
        title="DNSSEC validation of {name} {rdtype} fails at the {link} link ({zone})",
        explanation=(
            "The chain of trust breaks: {reason}. Validating resolvers answer SERVFAIL for a bogus answer, as they "
            "must (it looks like an attack), so {consequence}"
        ),
        fix=(
            "Fix the broken link in {zone}: re-sign the zone if a signature is wrong or expired (most DNS hosts do it "
            "automatically; a manually signed zone needs its signatures refreshed before they expire), and make the "
            "DS at the parent match the zone's current key after a key change. `delv {name} {rdtype}` or dnsviz.net "
            "show the same chain."
        ),
        reference="RFC 4035 §5; RFC 7672 §2.1.1",
    ),
    FindingSpec(
        code="dnssec.anchor_mismatch",
        severity=Severity.WARN,
        step="dane",
        title="The trust anchor matches no key of {zone} (could not check)",
        explanation=(
            "Validation must start from a key the trust anchor names, and {zone} publishes none of them: {reason}. "
            "Nothing below {zone} can be validated from this anchor, so DNSSEC and DANE could not be checked."
        ),
        fix=(
            "If you gave --trust-anchor, check that the file holds the current DS or DNSKEY of {zone} (`dig DNSKEY "
            "{zone}` shows the keys); for the root, update smtpkit, whose shipped root anchors follow IANA's key "
            "rollovers."
        ),
        reference="RFC 9718; RFC 5011",
    ),
    FindingSpec(
        code="dnssec.indeterminate",
        severity=Severity.WARN,
        step="dane",
        title="DNSSEC for {name} could not be checked",
        explanation="A link of the chain of trust could not be fetched or placed: {reason}.",
        fix=(
            "Run the check again, or through another resolver (--nameserver) that passes DNSSEC records (RRSIG, DS, "
            "DNSKEY) through; some home routers and captive portals strip them."
        ),
        reference="RFC 4035 §4.3",
    ),
    FindingSpec(
        code="dnssec.ad_trusted",
        severity=Severity.INFO,
        step="dane",
        title="DNSSEC was not validated by smtpkit: the resolver's AD bit was trusted",
        explanation=(
            "As asked (--trust-ad), the answers' DNSSEC status is the AD ('authenticated data') bit of {resolver}: "
            "{summary}. That is only as trustworthy as that resolver and the network between it and this machine: "
            "anyone on that path can set the bit, and no link of the chain can be named when it fails."
        ),
        fix=(
            "Use it only with a validating resolver you run or trust on a secure path (127.0.0.1, your own unbound). "
            "Without --trust-ad, smtpkit validates the chain itself from the root's trust anchor."
        ),
        reference="RFC 4035 §3.2.3; RFC 6840 §5.8",
    ),
]
