"""Lab servers for the login and sending refusals that no other scenario shows, each with a real reply text.

Every reply rule family of `smtpkit.knowledge.rules` should be met by a real
diagnosis, not only by a unit test of the rules: these servers answer one
stage with the text a provider really sends (the same rows the rules tests
hold), so `diagnose` must find the stage, read the reply and name the code.
They are also what a person meets: a locked account, a full mailbox, mail
refused as spam, a message refused for a missing Message-ID.

Discovered automatically by `smtpkit.lab.scenarios.all_scenarios`.
"""

from __future__ import annotations

from smtpkit.lab.scenarios import Scenario

ORDER = 80

__all__ = ["SCENARIOS"]

_GMAIL_BANNER = "220 smtp.gmail.com ESMTP {queue_id} - gsmtp"
_O365_BANNER = "220 BN0PR04CA0042.outlook.office365.com Microsoft ESMTP MAIL Service ready at {date}"

SCENARIOS: list[Scenario] = [
    Scenario(
        "gmail_web_login",
        "Gmail when Google wants a person to sign in through the web first (a new device, a suspicious login): "
        "'534-5.7.14 Please log in via your web browser and then try again'. The password may be right; sign in "
        "once at accounts.google.com from the same network, then retry.",
        category="auth",
        expect="auth.web_login_required",
        provider="gmail",
        hostname="smtp.gmail.com",
        replies={
            "banner": _GMAIL_BANNER,
            "auth": (
                "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbv>\n"
                "534-5.7.14 Please log in via your web browser and then try again.\n"
                "534-5.7.14  Learn more at\n"
                "534 5.7.14  https://support.google.com/mail/answer/78754 {queue_id} - gsmtp"
            ),
        },
    ),
    Scenario(
        "gmail_auth_tempfail",
        "Gmail's login service has a temporary problem: '454 4.7.0 Cannot authenticate due to a temporary system "
        "problem'. Nothing is wrong with the settings; try again in a few minutes.",
        category="auth",
        expect="auth.tempfail",
        provider="gmail",
        hostname="smtp.gmail.com",
        replies={
            "banner": _GMAIL_BANNER,
            "auth": "454 4.7.0 Cannot authenticate due to a temporary system problem. Try again later. - gsmtp",
        },
    ),
    Scenario(
        "o365_account_locked",
        "Office 365 with a locked or disabled account: '535 5.7.139 Authentication unsuccessful, account locked'. "
        "No password will work until an administrator unlocks the account.",
        category="auth",
        expect="auth.account_disabled",
        provider="office365",
        hostname="BN0PR04CA0042.outlook.office365.com",
        replies={
            "banner": _O365_BANNER,
            "auth": (
                "535 5.7.139 Authentication unsuccessful, account locked. Contact your administrator. "
                "[BN0PR04CA0042.namprd04.prod.outlook.com {date}]"
            ),
        },
    ),
    Scenario(
        "o365_tls_outdated",
        "Office 365 refusing a login from a client that negotiated TLS 1.0 or 1.1: '421 4.7.66 TLS 1.0 and 1.1 are "
        "not supported'. The client (or its system's TLS library) must be updated to speak TLS 1.2.",
        category="auth",
        expect="auth.tls_version_rejected",
        provider="office365",
        hostname="BN0PR04CA0042.outlook.office365.com",
        replies={
            "banner": _O365_BANNER,
            "auth": (
                "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. "
                "Visit https://aka.ms/smtp_auth_tls. [BN0PR04CA0042.namprd04.prod.outlook.com]"
            ),
        },
    ),
    Scenario(
        "mailbox_full",
        "The recipient's mailbox is over its quota: every RCPT gets '552 5.2.2 ... Quota exceeded (mailbox for "
        "user is full)'. Nothing to fix on the sending side; the recipient must make room.",
        category="send",
        expect="send.mailbox_full",
        replies={"rcpt": "552 5.2.2 <{rcpt}>: Quota exceeded (mailbox for user is full)"},
    ),
    Scenario(
        "gmail_likely_spam",
        "Gmail refusing a message after its last line because it looks like unsolicited mail: '550-5.7.1 Our "
        "system has detected that this message is likely unsolicited mail'. The fix is authentication (SPF, DKIM, "
        "DMARC) and the message itself.",
        category="send",
        expect="send.blocked_spam",
        provider="gmail",
        hostname="smtp.gmail.com",
        replies={
            "banner": _GMAIL_BANNER,
            "message": (
                "550-5.7.1 [127.0.0.1] Our system has detected that this message is likely\n"
                "550-5.7.1 unsolicited mail. To reduce the amount of spam sent to Gmail,\n"
                "550-5.7.1 this message has been blocked. For more information, go to\n"
                "550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError {queue_id} - gsmtp"
            ),
        },
    ),
    Scenario(
        "workspace_sending_denied",
        "Google Workspace refusing MAIL FROM because the sending account is disabled or not registered in the "
        "Workspace domain: '550 5.7.0 Mail Sending denied'. An administrator must enable the account.",
        category="send",
        expect="send.account_restricted",
        provider="gmail",
        hostname="smtp.gmail.com",
        replies={
            "banner": _GMAIL_BANNER,
            "mail": (
                "550 5.7.0 Mail Sending denied. This error occurs if the sender account is disabled or not registered "
                "within your Google Workspace domain. - gsmtp"
            ),
        },
    ),
    Scenario(
        "gmail_missing_message_id",
        "Gmail refusing a message that breaks RFC 5322: '550-5.7.1 Messages missing a valid Message-ID header are "
        "not accepted'. The sending program must write a proper Message-ID (and Date and From) header.",
        category="send",
        expect="send.message_malformed",
        provider="gmail",
        hostname="smtp.gmail.com",
        replies={
            "banner": _GMAIL_BANNER,
            "message": (
                "550-5.7.1 [127.0.0.1] Messages missing a valid Message-ID header are not\n"
                "550-5.7.1 accepted. For more information, go to\n"
                "550 5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant {queue_id} - gsmtp"
            ),
        },
    ),
    Scenario(
        "sender_domain_unknown",
        "A server that checks the sender's domain: MAIL FROM gets '450 4.1.8 <sender>: Sender address rejected: "
        "Domain not found' when the envelope sender's domain has no DNS records.",
        category="send",
        expect="send.sender_domain_unresolvable",
        replies={"mail": "450 4.1.8 <{sender}>: Sender address rejected: Domain not found"},
    ),
    Scenario(
        "queue_expired",
        "A relay that accepted the envelope but answers the end of the message with a temporary failure: "
        "'451 4.3.0 Error: queue file write error'. Nothing is wrong with the message; try again later.",
        category="send",
        expect="send.tempfail",
        replies={"message": "451 4.3.0 Error: queue file write error"},
    ),
]
