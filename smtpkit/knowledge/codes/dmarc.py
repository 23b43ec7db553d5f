"""DMARC findings: the policy record at `_dmarc.<domain>` and identifier alignment.

Texts follow RFC 7489 and its successor RFC 9989 (DMARCbis, with RFC 9990 for
aggregate reports). Every fix carries the record to publish, filled in with
the person's own domain and reporting address where we know them.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="dmarc.missing",
        severity=Severity.FAIL,
        step="dmarc",
        title="{domain} publishes no DMARC policy",
        explanation=(
            "There is no DMARC record at {checked}{fallback}. Without one, receivers apply no policy to mail that "
            "fakes your From address, you get no reports about who sends as your domain, and since 2024 Gmail, "
            "Yahoo and Microsoft (Outlook.com) reject or spam-folder bulk mail from domains without DMARC."
        ),
        fix=(
            "Publish a TXT record named {name} (host field: _dmarc{host_suffix}) with the value "
            '"v=DMARC1; p=none; rua=mailto:dmarc-reports@{org_domain}".{covers} Read the aggregate reports for two '
            "to four weeks, fix every legitimate sender that fails, then move to p=quarantine and finally p=reject."
        ),
        reference="RFC 9989 §4.7; RFC 7489 §6.1",
    ),
    FindingSpec(
        code="dmarc.multiple_records",
        severity=Severity.FAIL,
        step="dmarc",
        title="{name} has {count} DMARC records",
        explanation=(
            "Receivers find {count} TXT records starting with v=DMARC1 at {name}. The standard says that then no "
            "DMARC policy applies at all (RFC 7489 §6.6.3), so your policy is silently ignored. This usually "
            "happens when a second service (a DMARC reporting vendor, a new e-mail provider) is set up while the "
            "old record stays."
        ),
        fix=(
            'Keep exactly one record at {name}. Merge what you need into one, for example: {name} TXT "{merged}", '
            "and delete the others."
        ),
        reference="RFC 9989 §4.10.1; RFC 7489 §6.6.3",
    ),
    FindingSpec(
        code="dmarc.syntax_error",
        severity=Severity.FAIL,
        step="dmarc",
        title="The DMARC record at {name} is not valid",
        explanation=(
            "The TXT record at {name} looks like a DMARC record but receivers discard it: {problem}. A record must "
            "start with exactly v=DMARC1 followed by tags separated by semicolons (tag=value; tag=value). A "
            "discarded record is the same as no record."
        ),
        fix='Replace it with the corrected record: {name} TXT "{corrected}"',
        reference="RFC 9989 §4.7; RFC 7489 §6.4",
    ),
    FindingSpec(
        code="dmarc.invalid_tag_value",
        severity=Severity.FAIL,
        step="dmarc",
        title="The DMARC record at {name} has an invalid {tag}= value",
        explanation=(
            "{problem} Receivers ignore a tag they cannot read and use its default instead, so the record does not "
            "do what you meant."
        ),
        fix='Publish the corrected record: {name} TXT "{corrected}"',
        reference="RFC 9989 §4.7; RFC 7489 §6.3",
    ),
    FindingSpec(
        code="dmarc.policy_none",
        severity=Severity.WARN,
        step="dmarc",
        title="DMARC policy of {domain} is {tag}=none: monitoring only",
        explanation=(
            "{tag}=none asks receivers to deliver mail that fails DMARC as if there were no policy: it only collects "
            "reports. That is the right first step, but anyone can still send mail with your From address, and "
            "Gmail and Yahoo treat p=none as the bare minimum for bulk senders.{inherited}"
        ),
        fix=(
            "When your aggregate reports show that all your legitimate mail passes DMARC, publish "
            '{name} TXT "{stricter}", and after a few quiet weeks move to p=reject.'
        ),
        reference="RFC 9989 §4.7 (p=)",
    ),
    FindingSpec(
        code="dmarc.no_reporting",
        severity=Severity.WARN,
        step="dmarc",
        title="DMARC record of {domain} asks for no aggregate reports (no rua=)",
        explanation=(
            "The record has no rua= tag, so receivers send you no aggregate reports. Those reports are the only "
            "way to learn which servers send mail as your domain and whether they pass SPF and DKIM; without them, "
            "moving to p=quarantine or p=reject is guesswork, and a forgotten sender breaks silently."
        ),
        fix='Add a reporting address you read (or a DMARC report service\'s address): {name} TXT "{with_rua}"',
        reference="RFC 9989 §4.7 (rua=); RFC 9990",
    ),
    FindingSpec(
        code="dmarc.rua_unauthorized",
        severity=Severity.WARN,
        step="dmarc",
        title="Reports to {dest_domain} are not authorised by {dest_domain}",
        explanation=(
            "The record sends aggregate reports to {address}, in another organisation's domain. Receivers only "
            "send reports there when {dest_domain} agrees, by publishing a TXT record v=DMARC1 at {auth_name}; that "
            "lookup returned {status}, so your reports to {address} are dropped."
        ),
        fix=(
            'Ask the owner of {dest_domain} (your DMARC report service) to publish {auth_name} TXT "v=DMARC1" '
            "(most services do this automatically once you add {domain} in their dashboard), or send reports to an "
            "address in your own domain: rua=mailto:dmarc-reports@{domain}."
        ),
        reference="RFC 9990 §3 (external destinations); RFC 7489 §7.1",
    ),
    FindingSpec(
        code="dmarc.pct_partial",
        severity=Severity.WARN,
        step="dmarc",
        title="DMARC policy of {domain} applies to only {pct}% of failing mail",
        explanation=(
            "pct={pct} asks receivers to apply {tag}={policy} to {pct}% of failing messages and the next weaker "
            "policy to the rest, so most spoofed mail still gets through. pct= is a ramp-up tool, and RFC 9989 "
            "removes it (receivers following the new standard ignore it and apply the policy to everything; use t=y "
            "for a trial instead).{inherited}"
        ),
        fix='Finish the ramp-up: publish {name} TXT "{corrected}"',
        reference="RFC 7489 §6.3 (pct=); RFC 9989 Appendix C",
    ),
    FindingSpec(
        code="dmarc.testing_mode",
        severity=Severity.WARN,
        step="dmarc",
        title="DMARC policy of {domain} is in test mode (t=y)",
        explanation=(
            "t=y (RFC 9989) asks receivers not to apply {tag}={policy} fully: quarantine is treated like none and "
            "reject like quarantine. It replaces the old pct=0 trick for a trial period, and while it is set, spoofed "
            "mail is not blocked.{inherited}"
        ),
        fix='When the reports look clean, drop the test flag: {name} TXT "{corrected}"',
        reference="RFC 9989 §4.7 (t=)",
    ),
    FindingSpec(
        code="dmarc.lookup_failed",
        severity=Severity.WARN,
        step="dmarc",
        title="The DMARC lookup of {name} did not get an answer",
        explanation=(
            "Looking up {name} ended with {status}: {error}. A receiver seeing the same thing gives DMARC a "
            "temporary error and may defer your mail; we cannot tell whether your policy is right."
        ),
        fix=(
            "Check that every authoritative nameserver of your domain answers TXT queries for {name} "
            "(`dig +norec TXT {name} @<each NS>`), then run the check again."
        ),
        reference="RFC 9989 §4.10",
    ),
    FindingSpec(
        code="dmarc.not_aligned",
        severity=Severity.FAIL,
        step="dmarc",
        title="{identifier} {identifier_domain} is not aligned with From domain {from_domain}",
        explanation=(
            "DMARC only counts an SPF or DKIM pass when the domain it authenticates matches the domain in the "
            "From header ({from_domain}). Here the {identifier} domain is {identifier_domain}, which does not "
            "match under {mode} alignment ({mode_rule}). {consequence}"
        ),
        fix="Make the {identifier} domain your own: {remedy}",
        reference="RFC 9989 §4.4; RFC 7489 §3.1",
    ),
    FindingSpec(
        code="dmarc.from_ambiguous",
        severity=Severity.FAIL,
        step="dmarc",
        title="The From header names more than one domain: {domains}",
        explanation=(
            "DMARC checks one domain: the one in the message's From address. This message has {how}, naming "
            "{domains}. A receiver can check DMARC for only one of them, while the recipient's mail program may "
            "show the other: an old trick to pass DMARC with one domain while looking like another. The mail "
            "standard (RFC 5322) allows exactly one From header, and DMARC (RFC 7489 §6.6.1) lets receivers "
            "refuse such messages; Gmail, for one, rejects mail with several From headers. So we do not count "
            "this as a DMARC pass."
        ),
        fix=(
            "If you sent this message: write exactly one From header with one address, for example "
            "`From: Your Name <you@{first_domain}>`, and put anyone else in Reply-To, To or Cc. A second From "
            "usually comes from code that sets the header twice: in Python's email.message.Message, "
            "`msg['From'] = ...` adds another header each time, so run `del msg['From']` before setting it; in "
            "PHPMailer, call setFrom() once and addReplyTo() for the others. If you received this message: treat "
            "it as suspect, because the address you see may not be the one that was checked."
        ),
        reference="RFC 7489 §6.6.1; RFC 5322 §3.6",
    ),
]
