"""Finding codes for a received message: its journey, the receiver's verdicts, the kit's own, the requirements.

People arrive with a message that landed in spam or was rejected, and the
headers hold the answers: where it went and how long each step took
(Received, RFC 5321 §4.4), what the receiver concluded (Authentication-Results,
RFC 8601; Received-SPF, RFC 7208 §9.1; ARC, RFC 8617), and whether the sender
meets what Gmail, Yahoo and Microsoft require of senders since 2024. Steps:
``journey``, ``auth-results``, ``re-verification``, ``requirements``.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_BULK_REF = (
    "https://support.google.com/a/answer/81126 (Gmail sender guidelines); "
    "https://senders.yahooinc.com/best-practices/ (Yahoo sender requirements); "
    "https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/strengthening-email-ecosystem-outlook%E2%80%99s-new-requirements-for-high%E2%80%90volume-senders/4399730"
)

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="message.unreadable",
        severity=Severity.WARN,
        step="journey",
        title="This is not an e-mail message the kit can read",
        explanation=(
            "No header fields could be read from the input ({problem}). A message starts with header lines such as "
            "'Received: …', 'From: …', 'Subject: …', then a blank line and the body."
        ),
        fix=(
            "Save the message with its full headers: Gmail: the ⋮ menu > Show original > Download original (or copy "
            "the text shown there); Outlook: File > Properties > Internet headers, or save as .eml; Apple Mail: "
            "View > Message > Raw Source. Then run `smtpkit message FILE.eml`."
        ),
        reference="RFC 5322 §2.1",
    ),
    FindingSpec(
        code="message.input_truncated",
        severity=Severity.WARN,
        step="journey",
        title="Part of the input was not read: {what}",
        explanation=(
            "To stay fast and safe on any input the kit reads at most {limit}; this input had more, so {what}. "
            "Everything shown comes from the part that was read. A real message rarely comes near these limits: "
            "an input this large is usually several messages pasted together, or made to be hostile."
        ),
        fix=(
            "Analyse one message at a time, saved as received (one .eml file). If this really is one message, the "
            "headers that explain a delivery are at the top and were read."
        ),
        reference="RFC 5322 §2.1.1 (line limits); RFC 5321 §6.3 (hop limits)",
    ),
    FindingSpec(
        code="message.no_received",
        severity=Severity.INFO,
        step="journey",
        title="The message has no Received fields: its journey cannot be shown",
        explanation=(
            "Every server that handles a message adds a Received field on top (RFC 5321 §4.4). None is here, so "
            "this is a draft or a copy saved before sending, only part of the headers was pasted, or a program "
            "removed them."
        ),
        fix=(
            "Take the headers from the copy the recipient got (Gmail: Show original; Outlook: Internet headers), "
            "not from your Sent folder."
        ),
        reference="RFC 5321 §4.4",
    ),
    FindingSpec(
        code="message.hop_unparsed",
        severity=Severity.INFO,
        step="journey",
        title="Received fields that could not be read completely: {count}",
        explanation=(
            "These fields are shown as they are, with a note: {notes}. Servers write Received fields in their own "
            "dialect, and some leave out the date or use an odd one; the hop is kept in the table, not dropped, "
            "and delays around it are computed from the hops that do have a time."
        ),
        fix="Nothing to fix on your side; read the raw field in the table for what the server wrote.",
        reference="RFC 5321 §4.4; RFC 5322 §3.6.7",
    ),
    FindingSpec(
        code="message.too_many_hops",
        severity=Severity.WARN,
        step="journey",
        title="{count} Received fields: a mail loop or a hostile message",
        explanation=(
            "RFC 5321 §6.3 tells servers to reject a message after about 100 hops, because so many means it is "
            "looping between servers (a forward that points back, two servers that each think the other is "
            "responsible). The kit read the newest {kept} hops and counted the rest."
        ),
        fix=(
            "Look for two servers that appear again and again in the table: that is the loop. Fix the forwarding or "
            "MX/relay settings that send the mail back, then send a new message."
        ),
        reference="RFC 5321 §6.3",
    ),
    FindingSpec(
        code="message.hop_slow",
        severity=Severity.WARN,
        step="journey",
        title="Hop {hop} took {delay}: the delay happened at {by}",
        explanation=(
            "The message reached {by} {delay} after the previous server ({previous}) had it (hop {hop} of the "
            "journey). A delay this long at one hop is the server queueing the message: the next server deferred "
            "it (greylisting, a 4xx rate limit), the server was overloaded or offline, or it held the message for "
            "a content scan. Clocks that are wrong by minutes can also show up as a delay."
        ),
        fix=(
            "If {by} is yours, look in its mail log for the queue id {id} around {time}: a 'deferred' line says "
            "why. If it belongs to the recipient's side, nothing on your side can speed it up; repeated delays "
            "there often mean greylisting or a reputation limit, which improve with authenticated, steady mail."
        ),
        reference="RFC 5321 §4.5.4.1 (retry strategy)",
    ),
    FindingSpec(
        code="message.clock_backwards",
        severity=Severity.INFO,
        step="journey",
        title="Hop {hop} is stamped {delay} earlier than the hop before it",
        explanation=(
            "{by} wrote a time {delay} before {previous} did, although it received the message later. A mail "
            "server's clock is wrong (or its time zone is set wrongly): the delays around this hop cannot be "
            "trusted, and a wrong clock also breaks DKIM signature times (t=, x=) and TLS certificate checks."
        ),
        fix=(
            "If {by} or {previous} is yours, synchronise its clock with NTP (chrony or systemd-timesyncd) and set "
            "the correct time zone."
        ),
        reference="RFC 5322 §3.3",
    ),
    FindingSpec(
        code="message.hop_no_tls",
        severity=Severity.WARN,
        step="journey",
        title="Hop {hop} crossed from {from_org} to {by_org} without TLS",
        explanation=(
            "{by} received the message from {sender} over a connection that was not encrypted (with {protocol}). "
            "Between two organisations that means anybody on the path could read or change it, and Gmail and "
            "Microsoft count unencrypted delivery against the sender. TLS is the norm between mail servers."
        ),
        fix=(
            "If the sending server ({sender}) is yours, enable opportunistic TLS for outgoing mail (Postfix: "
            "smtp_tls_security_level = may; Exim: on by default with a certificate; Exchange: the send connector's "
            "TLS setting) and check that it has a trusted CA store. If the receiving side is yours, offer STARTTLS "
            "with a valid certificate (`smtpkit check {by} --port 25`)."
        ),
        reference="RFC 3207; RFC 8461 (MTA-STS)",
    ),
    FindingSpec(
        code="message.first_external_hop",
        severity=Severity.INFO,
        step="journey",
        title="The receiver judged the sending address {ip} ({name})",
        explanation=(
            "Hop {hop} is where the message left the sender's side and reached the receiver's: {by} accepted it "
            "from {ip}{rdns}. That is the address SPF, reverse DNS and blocklists were checked against; the hops "
            "before it are the sender's own and cannot be verified."
        ),
        fix=(
            "Check that address: `smtpkit spf {mail_from_domain} --ip {ip}` (is it allowed to send for the envelope "
            "domain?) and `smtpkit domain {mail_from_domain} --ip {ip}` (reverse DNS)."
        ),
        reference="RFC 7208 §2.4; RFC 8601 §2.7.1 (smtp.remote-ip)",
    ),
    FindingSpec(
        code="message.is_bounce",
        severity=Severity.INFO,
        step="journey",
        title="This message is a bounce: see the bounce step",
        explanation=(
            "The message is a delivery report about another message ({kind}), so its own journey matters less "
            "than what it says about the failed recipients; the bounce step reads that."
        ),
        fix="Run `smtpkit bounce FILE` for the bounce alone, or read the bounce step below.",
        reference="RFC 3464",
    ),
    FindingSpec(
        code="message.auth_results_missing",
        severity=Severity.INFO,
        step="auth-results",
        title="No Authentication-Results: the receiver's verdicts are not in this copy",
        explanation=(
            "Receivers record SPF, DKIM and DMARC results in an Authentication-Results field (RFC 8601) on top of "
            "the message. This copy has none: it was saved before delivery, the receiver does not add them, or "
            "only part of the headers was pasted. The kit's own re-verification still runs."
        ),
        fix=(
            "Take the headers from the received copy (Gmail: Show original shows SPF, DKIM and DMARC at the top; "
            "Outlook: Internet headers)."
        ),
        reference="RFC 8601",
    ),
    FindingSpec(
        code="message.spf_failed",
        severity=Severity.WARN,
        step="auth-results",
        title="The receiver ({authserv}) judged SPF {result} for {domain}",
        explanation=(
            "SPF asks whether the sending IP may send for the envelope sender's domain. {authserv} found that "
            "{ip} is not allowed by the SPF record of {domain} (spf={result}). {meaning}"
        ),
        fix=(
            "If {ip} is your legitimate sending server, add it to the SPF record of {domain} (for a provider, "
            "the include: they document); check with `smtpkit spf {domain} --ip {ip}`. If mail passed through a "
            "forwarder, SPF fails by design: rely on DKIM, which survives forwarding."
        ),
        reference="RFC 7208 §2.6",
    ),
    FindingSpec(
        code="message.dkim_failed",
        severity=Severity.WARN,
        step="auth-results",
        title="The receiver ({authserv}) judged DKIM {result} for {domain}",
        explanation=(
            "The DKIM signature of {domain} did not verify at {authserv} (dkim={result}{reason}). A signature "
            "fails when the message was changed after signing (a footer, a rewritten link, a mailing list), the "
            "key in DNS does not match the signing key, or the key could not be fetched."
        ),
        fix=(
            "Compare with the kit's own verification in the re-verification step: if it passes now, the copy the "
            "receiver saw was modified on the way, or the key was fixed since. If it fails here too, follow that "
            "step's finding (key missing, body changed, …)."
        ),
        reference="RFC 6376 §6.3",
    ),
    FindingSpec(
        code="message.dmarc_failed",
        severity=Severity.FAIL,
        step="auth-results",
        title="The receiver ({authserv}) judged DMARC fail for {domain}",
        explanation=(
            "DMARC passes only when SPF or DKIM passes for a domain that matches the From domain {domain}. "
            "{why} With a DMARC policy of quarantine or reject, this is exactly why the message went to spam or "
            "was refused."
        ),
        fix=(
            "Make at least one of them pass aligned: sign with DKIM using d={domain} (or a subdomain of it) at your "
            "sending service, and/or send with an envelope sender (Return-Path) in {domain} that SPF allows. Check "
            "with `smtpkit domain {domain}` and send a new test message."
        ),
        reference="RFC 7489 §3.1, §4.2",
    ),
    FindingSpec(
        code="message.arc_failed",
        severity=Severity.WARN,
        step="auth-results",
        title="The ARC chain is broken ({detail})",
        explanation=(
            "ARC (RFC 8617) lets forwarders and mailing lists vouch for the authentication results they saw before "
            "they changed a message. Here the chain does not validate ({detail}), so a receiver cannot use it to "
            "forgive an SPF or DKIM failure caused by forwarding."
        ),
        fix=(
            "Nothing the original sender can change: the intermediary that added ARC instance {instance} must sign "
            "with a key that is published, and must not change the message after sealing it."
        ),
        reference="RFC 8617 §5.2",
    ),
    FindingSpec(
        code="message.recheck_skipped",
        severity=Severity.INFO,
        step="re-verification",
        title="The kit did not re-verify the message: {why}",
        explanation=(
            "Re-verifying DKIM, SPF, DMARC and ARC needs DNS lookups of the sender's records, and {why}. That is "
            "not a failure of the message: only the receiver's verdicts are shown."
        ),
        fix="Run again with DNS (`smtpkit message FILE.eml`, without --no-dns; --nameserver to choose a resolver).",
        reference="RFC 6376 §3.6.2; RFC 7208 §4",
    ),
    FindingSpec(
        code="message.verdict_differs",
        severity=Severity.WARN,
        step="re-verification",
        title="{method}: the receiver said {receiver}, the kit says {kit} now",
        explanation=(
            "The kit verified {method} again just now and got {kit}; the receiver recorded {receiver} when the "
            "message arrived. {why}"
        ),
        fix=(
            "Trust the receiver's verdict for what happened to this message, and the kit's for what would happen "
            "now. {fix_hint}"
        ),
        reference="RFC 8601 §5 (results are the receiver's, at the time of delivery)",
    ),
    FindingSpec(
        code="message.ptr_missing",
        severity=Severity.WARN,
        step="requirements",
        title="The sending address {ip} has no forward-confirmed reverse DNS",
        explanation=(
            "Gmail, Yahoo and Microsoft require the sending IP to have a PTR record whose name resolves back to the "
            "same IP (forward-confirmed reverse DNS). {detail}"
        ),
        fix=(
            "Ask whoever owns {ip} (your hosting or mail provider; the PTR lives in their reverse zone, not in your "
            "domain's DNS) to set its PTR to your server's host name, e.g. mail.yourdomain, and publish an A/AAAA "
            "record for that name pointing back to {ip}. Check with `smtpkit domain yourdomain --ip {ip}`."
        ),
        reference="RFC 8601 §2.7.4 (iprev); " + _BULK_REF,
    ),
    FindingSpec(
        code="message.list_unsubscribe_missing",
        severity=Severity.WARN,
        step="requirements",
        title="Bulk mail without one-click unsubscribe",
        explanation=(
            "This looks like bulk or marketing mail ({signs}), and since 2024 Gmail and Yahoo require such mail to "
            "carry List-Unsubscribe with an https link and List-Unsubscribe-Post: List-Unsubscribe=One-Click "
            "(RFC 8058), and to honour it within two days. {detail}"
        ),
        fix=(
            "Add both header fields to every bulk message (most sending services have a setting for it): "
            "List-Unsubscribe: <https://example.com/unsubscribe?id=…>, <mailto:unsubscribe@example.com> and "
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click; sign both with DKIM (list them in h=)."
        ),
        reference="RFC 8058; RFC 2369; " + _BULK_REF,
    ),
    FindingSpec(
        code="message.message_id_invalid",
        severity=Severity.WARN,
        step="requirements",
        title="The Message-ID is missing or malformed",
        explanation=(
            "RFC 5322 asks every message for a unique Message-ID of the form <left@right>, and Gmail rejects or "
            "spam-folders messages without a valid one. Here: {detail}"
        ),
        fix=(
            "Let the sending program or server set it (Postfix adds one for local submissions; most libraries "
            "have make_msgid), as <random-unique-part@your.domain>."
        ),
        reference="RFC 5322 §3.6.4; " + _BULK_REF,
    ),
    FindingSpec(
        code="message.date_invalid",
        severity=Severity.WARN,
        step="requirements",
        title="The Date field is missing or malformed",
        explanation=(
            "RFC 5322 requires one Date field in its own format (e.g. 'Mon, 2 Jan 2023 10:00:00 +0000'); receivers "
            "score a missing, unreadable or far-off date as a sign of spam. Here: {detail}"
        ),
        fix="Let the sending program set Date from a correct clock (NTP), in RFC 5322 format with a time zone.",
        reference="RFC 5322 §3.3, §3.6.1",
    ),
]
