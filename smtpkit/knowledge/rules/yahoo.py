"""Reply rules: Yahoo and AOL.

Each rule carries the real reply text it was written from (`example`) and
where that text was seen (`reference`); `smtpkit.knowledge.rules` discovers
this module and matches its rules in `ORDER` (providers first, generic last).
"""

from __future__ import annotations

from smtpkit.knowledge.rules import ReplyRule, rule

ORDER = 40

_YAHOO = "https://senders.yahooinc.com/smtp-error-codes/"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "yahoo.too_many_bad_auth",
        "auth.too_many_attempts",
        r"\(#auth005\) too many bad auth attempts",
        provider="yahoo",
        stages=("auth",),
        detail=(
            "Despite its wording, Yahoo returns AUTH005 even on the first attempt when the normal account password is"
            " used: Yahoo accepts only app passwords for SMTP. Repeated attempts then really lock logins for a while."
        ),
        fix=(
            "Create an app password (Yahoo Account security > Generate app password), use it as the SMTP password with"
            " the full Yahoo address as username, and wait about an hour before retrying if the lock persists."
        ),
        reference="https://github.com/PHPMailer/PHPMailer/issues/2034; https://github.com/nedimf/maildroid/issues/17",
        example="535 5.7.0 (#AUTH005) Too many bad auth attempts.",
    ),
    rule(
        "yahoo.incorrect_password",
        "auth.bad_credentials",
        r"\(#mbr1212\) incorrect username or password",
        provider="yahoo",
        stages=("auth",),
        reference="https://github.com/PHPMailer/PHPMailer/issues/1287",
        example="535 5.7.0 (#MBR1212) Incorrect username or password.",
    ),
    rule(
        "yahoo.spamhaus_listed",
        "send.ip_blocklisted",
        r"(because the ip is in spamhaus'?s list|not accepted from ip addresses on spamhaus)",
        provider="yahoo",
        detail="Yahoo refuses connections from IP addresses on Spamhaus's blocklists ([BL21]/[BL23]).",
        reference=_YAHOO + "; https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/YahooInc.pm",
        example=(
            "553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.9, because the ip is in Spamhaus's list;"
            " see http://postmaster.yahoo.com/550-bl23.html"
        ),
    ),
    rule(
        "yahoo.deferred_volume",
        "send.rate_limited",
        r"temporarily deferred due to unexpected volume or user complaints",
        provider="yahoo",
        detail=(
            "Yahoo is deferring mail from your IP because of unusual volume or complaints from Yahoo users ([TSS04]);"
            " it also appears for senders without SPF, DKIM or DMARC."
        ),
        fix=(
            "Let your server retry (it is temporary), slow down, remove addresses that bounce or complain, and"
            " authenticate the domain with SPF, DKIM and DMARC. Check your standing with Yahoo's Sender Hub."
        ),
        reference=_YAHOO + "; https://smtpfieldmanual.com/provider/yahoo/421/4.7.0",
        example=(
            "421 4.7.0 [TSS04] Messages from 203.0.113.9 temporarily deferred due to unexpected volume or user"
            " complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"
        ),
    ),
    rule(
        "yahoo.permanently_deferred",
        "send.ip_blocklisted",
        r"will be permanently deferred",
        provider="yahoo",
        reference=_YAHOO,
        example=(
            "553 5.7.2 [TSS09] All messages from 203.0.113.9 will be permanently deferred; Retrying will NOT succeed."
            " See https://postmaster.yahooinc.com/error-codes"
        ),
    ),
    rule(
        "yahoo.policy_reasons",
        "send.blocked_spam",
        r"not accepted for policy reasons",
        provider="yahoo",
        detail=(
            "Yahoo judged the message (content, links, or the sender's reputation and authentication) against its"
            " sender requirements and refused it."
        ),
        reference=_YAHOO,
        example="554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes",
    ),
    rule(
        "yahoo.requires_spf_dkim",
        "send.unauthenticated",
        r"yahoo requires all senders to authenticate with either spf or dkim",
        provider="yahoo",
        stages=("rcpt", "data", "message"),
        detail="Yahoo checked the From domain's SPF and DKIM and neither passed.",
        fix=(
            "Publish an SPF record that includes your sending server or service and enable DKIM signing for the From"
            " domain; check with `smtpkit domain <domain>`."
        ),
        reference="https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/YahooInc.pm; " + _YAHOO,
        example=(
            "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to"
            " authenticate with either SPF or DKIM."
        ),
    ),
    rule(
        "yahoo.unresolvable_from",
        "send.sender_domain_unresolvable",
        r"unresolvable rfc\.?5321 from domain",
        provider="yahoo",
        reference=_YAHOO + "#unresolvable-from-domain",
        example=(
            "451 Message temporarily deferred due to unresolvable RFC.5321 from domain. See"
            " https://senders.yahooinc.com/error-codes#unresolvable-from-domain"
        ),
    ),
    rule(
        "yahoo.no_such_account",
        "send.recipient_unknown",
        r"this user doesn'?t have a [a-z.]+ account",
        provider="yahoo",
        stages=("rcpt", "data", "message"),
        reference="https://github.com/sisimai/p5-sisimai/blob/master/lib/Sisimai/Rhost/YahooInc.pm",
        example=(
            "554 delivery error: dd This user doesn't have a yahoo.com account (nobody@yahoo.com) [0] -"
            " mta1234.mail.gq1.yahoo.com"
        ),
    ),
)
