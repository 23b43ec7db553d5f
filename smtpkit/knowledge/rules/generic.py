"""Reply rules: any server: generic reply texts, then RFC 3463 enhanced-code rules.

Each rule carries the real reply text it was written from (`example`) and
where that text was seen (`reference`); `smtpkit.knowledge.rules` discovers
this module and matches its rules in `ORDER` (providers first, generic last).
"""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 900

_MS_SMTP_AUTH = (
    "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission"
)
_MS_NDR = "https://learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "generic.starttls_first",
        "auth.requires_tls",
        r"must issue a starttls command first",
        reference="RFC 3207 §4; Gmail, Postfix, Amazon SES and Exchange all use this wording",
        example="530 5.7.0 Must issue a STARTTLS command first.",
    ),
    rule(
        "generic.encryption_required",
        "auth.requires_tls",
        r"(encryption required for requested authentication mechanism|tls required|requires? (a )?(secure|encrypted)"
        r" connection)",
        stages=("auth", "mail"),
        reference="RFC 4954 §6 (538 5.7.11)",
        example="538 5.7.11 Encryption required for requested authentication mechanism",
    ),
    rule(
        "generic.relay_denied",
        "send.relay_denied",
        r"(relay(ing)? (access )?(denied|not permitted|prohibited)|unable to relay|we do not relay|not permitted to"
        r" relay)",
        stages=SEND_STAGES,
        reference="Postfix reject_unauth_destination ('Relay access denied'); Mailgun '550 5.7.1 Relaying denied'",
        example="554 5.7.1 <bob@elsewhere.example>: Relay access denied",
    ),
    rule(
        "generic.greylisted",
        "send.greylisted",
        r"(grey|gray)[ -]?list",
        stages=SEND_STAGES,
        reference="Postgrey, milter-greylist (RFC 6647)",
        example=(
            "450 4.2.0 <bob@example.com>: Recipient address rejected: Greylisted, see"
            " http://postgrey.schweikert.ch/help/example.com.html"
        ),
    ),
    rule(
        "generic.user_unknown",
        "send.recipient_unknown",
        r"(user unknown|unknown user|no such (user|mailbox|recipient)|mailbox (not found|does not exist)|recipient"
        r" (address )?(rejected: )?(unknown|does not exist)|address rejected: user unknown|invalid recipient)",
        stages=("rcpt", "data", "message"),
        reference=(
            "Postfix local_recipient_maps ('User unknown in local recipient table'), Exchange"
            " 'RESOLVER.ADR.RecipNotFound'"
        ),
        example="550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table",
    ),
    rule(
        "generic.sender_domain_not_found",
        "send.sender_domain_unresolvable",
        r"sender address rejected: domain not found",
        stages=SEND_STAGES,
        reference="Postfix reject_unknown_sender_domain",
        example="450 4.1.8 <alice@nonexistent.invalid>: Sender address rejected: Domain not found",
    ),
    rule(
        "generic.sender_login_mismatch",
        "send.sender_not_owned",
        r"sender address rejected: not owned by (auth )?user",
        stages=SEND_STAGES,
        reference="Postfix reject_sender_login_mismatch",
        example="553 5.7.1 <ceo@example.com>: Sender address rejected: not owned by user alice@example.com",
    ),
    rule(
        "generic.bare_lf",
        "send.message_malformed",
        r"(bare <?lf>?|bare line ?feeds?|barelinefeedsareillegal)",
        stages=("data", "message"),
        reference=(
            "Postfix smtpd_forbid_bare_newline ('Error: bare <LF> received'); Exchange"
            " 'SMTPSEND.BareLinefeedsAreIllegal'"
        ),
        example="521 5.5.2 mail.example.com Error: bare <LF> received",
    ),
    rule(
        "generic.message_too_large",
        "send.message_too_large",
        r"(message size exceeds|message too (big|large)|exceeds (the )?(maximum )?(message )?size limit|size limit"
        r" exceeded)",
        reference="Postfix message_size_limit ('Message size exceeds fixed limit')",
        example="552 5.3.4 Message size exceeds fixed limit",
    ),
    rule(
        "generic.mailbox_full",
        "send.mailbox_full",
        r"(mailbox( for user)? (is )?full|over ?quota|mailbox size limit exceeded|exceeded storage allocation)",
        stages=("rcpt", "data", "message"),
        reference="Dovecot/LMTP 'Quota exceeded (mailbox for user is full)', RFC 5321 §4.2.2 (552)",
        example="552 5.2.2 <bob@example.com>: Quota exceeded (mailbox for user is full)",
    ),
    rule(
        "generic.blocklisted",
        "send.ip_blocklisted",
        r"(blocked using [a-z0-9.-]+|listed (at|in|on)"
        r" [a-z0-9.-]+\.[a-z]{2,}|spamhaus|dnsbl|\brbl\b|blacklisted|blocklisted)",
        reference="Postfix reject_rbl_client ('Client host [ip] blocked using zen.spamhaus.org')",
        example=(
            "554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org;"
            " https://www.spamhaus.org/query/ip/203.0.113.9"
        ),
    ),
    rule(
        "generic.spf_failed",
        "send.unauthenticated",
        r"(sender policy framework violation|spf (check |validation )?fail|fails? (to pass )?(spf|dmarc)|dmarc policy)",
        stages=("rcpt", "data", "message"),
        reference="Exchange '550 5.7.23 The message was rejected because of Sender Policy Framework violation'",
        example="550 5.7.23 The message was rejected because of Sender Policy Framework violation",
    ),
    rule(
        "generic.rate_limited",
        "send.rate_limited",
        r"(rate limit|ratelimit|throttl|too many (messages|connections|mails)|sending rate|exceeded the configured"
        r" limit)",
        reference=(
            "Postfix anvil/policyd ('Error: too many connections from'), Exchange 4.4.2 'Message submission rate for"
            " this client has exceeded the configured limit'"
        ),
        example="421 4.7.0 mail.example.com Error: too many connections from 203.0.113.9",
    ),
    rule(
        "generic.auth_required",
        "send.unauthenticated",
        r"(authentication (is )?required|please authenticate|you must (first )?authenticate|not logged in|sender"
        r" address rejected: .*not logged in)",
        stages=SEND_STAGES,
        reference="RFC 4954 §6 (530 5.7.0 Authentication required); Postfix smtpd_sender_login_maps",
        example="530 5.7.0 Authentication required",
    ),
    rule(
        "generic.account_disabled",
        "auth.account_disabled",
        r"(account (is )?(disabled|suspended|locked|blocked)|user account disabled)",
        stages=("auth", "mail"),
        reference="RFC 5248 (X.7.13)",
        example="535 5.7.13 Account disabled",
    ),
    rule(
        "generic.mechanism_unsupported",
        "auth.mechanism_unsupported",
        r"(unrecognized authentication type|authentication mechanism (is )?(not supported|too weak|not"
        r" available)|mechanism not supported)",
        stages=("auth",),
        reference="RFC 4954 §4 (504 5.5.4, 534 5.7.9)",
        example="504 5.7.4 Unrecognized authentication type",
    ),
    rule(
        "generic.auth_failed",
        "auth.bad_credentials",
        r"(authentication (failed|failure|unsuccessful)|incorrect authentication data|invalid"
        r" (credentials|login|password)|incorrect (username|password|login)|bad (username|password))",
        stages=("auth",),
        codes=(500, 501, 530, 534, 535, 550, 554),
        weak=True,
        reference=(
            "Exim ('535 Incorrect authentication data'); Postfix/Dovecot SASL ('535 5.7.8 Error: authentication failed:"
            " authentication failure')"
        ),
        example="535 Incorrect authentication data",
    ),
    # RFC 3463 enhanced-code rules (a text rule above wins over these)
    rule("enhanced.5.7.8", "auth.bad_credentials", enhanced=("5.7.8",), reference="RFC 4954 §6"),
    rule(
        "enhanced.5.7.139",
        "auth.smtp_auth_disabled",
        enhanced=("5.7.139",),
        provider="office365",
        stages=("auth",),
        reference="https://aka.ms/smtp_auth_disabled",
    ),
    rule(
        "enhanced.5.7.3.auth",
        "auth.bad_credentials",
        enhanced=("5.7.3",),
        stages=("auth",),
        reference="Exchange 'Authentication unsuccessful'",
    ),
    rule(
        "enhanced.5.7.9.auth",
        "auth.mechanism_unsupported",
        enhanced=("5.7.9",),
        stages=("auth",),
        reference="RFC 4954 §6 (534 5.7.9)",
    ),
    rule("enhanced.5.7.11", "auth.requires_tls", enhanced=("5.7.11", "5.7.10"), reference="RFC 4954 §6; RFC 5248"),
    rule(
        "enhanced.5.7.12",
        "auth.bad_credentials",
        enhanced=("4.7.12", "5.7.12"),
        stages=("auth",),
        detail=(
            "The server asks for a password change (or the password to be re-entered in a new form) before login works"
            " again."
        ),
        reference="RFC 4954 §6 (432 4.7.12)",
    ),
    rule("enhanced.5.7.13", "auth.account_disabled", enhanced=("5.7.13",), reference="RFC 5248"),
    rule(
        "enhanced.4.7.0.auth", "auth.tempfail", enhanced=("4.*",), stages=("auth",), reference="RFC 4954 §6 (454 4.7.0)"
    ),
    rule(
        "enhanced.5.7.57", "send.unauthenticated", enhanced=("5.7.57",), provider="office365", reference=_MS_SMTP_AUTH
    ),
    rule(
        "enhanced.5.7.60",
        "send.sender_not_owned",
        enhanced=("5.7.60", "5.2.252"),
        provider="office365",
        reference=_MS_NDR,
    ),
    rule(
        "enhanced.5.1.1",
        "send.recipient_unknown",
        enhanced=("5.1.1", "5.1.2", "5.1.6", "5.2.1"),
        stages=("rcpt", "data", "message"),
        reference="RFC 3463",
    ),
    rule(
        "enhanced.5.1.8",
        "send.sender_domain_unresolvable",
        enhanced=("5.1.8", "4.1.8"),
        stages=SEND_STAGES,
        reference="RFC 3463",
    ),
    rule(
        "enhanced.5.1.7",
        "send.sender_rejected",
        enhanced=("5.1.7", "5.1.0", "5.1.3"),
        stages=("mail",),
        reference="RFC 3463",
    ),
    rule(
        "enhanced.5.2.2",
        "send.mailbox_full",
        enhanced=("5.2.2", "4.2.2"),
        stages=("rcpt", "data", "message"),
        reference="RFC 3463",
    ),
    rule(
        "enhanced.5.3.4",
        "send.message_too_large",
        enhanced=("5.3.4", "5.2.3", "4.3.4", "5.7.16"),
        reference="RFC 3463; RFC 1870",
    ),
    rule(
        "enhanced.domain_auth",
        "send.unauthenticated",
        enhanced=("5.7.20", "5.7.21", "5.7.22", "5.7.23", "5.7.24", "5.7.26", "4.7.26", "5.7.27", "4.7.27"),
        stages=("rcpt", "data", "message"),
        reference="RFC 7372",
    ),
    rule("enhanced.4.2.1", "send.rate_limited", enhanced=("4.2.1",), stages=SEND_STAGES, reference="Gmail 450 4.2.1"),
    rule(
        "enhanced.mail_flood", "send.blocked_spam", enhanced=("5.7.28",), reference="IANA X.7.28 'Mail flood detected'"
    ),
    rule(
        "enhanced.4.7.x",
        "send.rate_limited",
        enhanced=("4.7.*",),
        stages=SEND_STAGES,
        codes=(421, 450, 451, 452, 454),
        detail=(
            "The server gave no more specific reason. A 4.7.x deferral is usually throttling; at RCPT it can also be"
            " greylisting, which asks for the same thing: retry the same message in a few minutes."
        ),
        reference="RFC 3463 (X.7); most 4.7.x replies at MAIL/RCPT/DATA are throttling",
    ),
)
