"""Lab scenarios that answer like real providers do when mail will not go out.

Each row imitates one provider's failure with the provider's real reply text
(the same texts the rules table in `smtpkit.knowledge.rules` was
written from), so a person can meet "534-5.7.9 Application-specific password
required" or Amazon SES's "Email address is not verified" on their own
machine, and see smtpkit name the cause and the provider's own fix.

Discovered automatically by `smtpkit.lab.scenarios.all_scenarios`.
"""

from __future__ import annotations

from smtpkit.lab.scenarios import Scenario

ORDER = 70

__all__ = ["SCENARIOS"]

_GMAIL_BANNER = "220 smtp.gmail.com ESMTP {queue_id} - gsmtp"
_O365_BANNER = "220 BN0PR04CA0042.outlook.office365.com Microsoft ESMTP MAIL Service ready at {date}"

SCENARIOS: list[Scenario] = [
    Scenario(
        "gmail_app_password",
        "Gmail when the account has 2-Step Verification on and the program logs in with the normal Google "
        "password: '534-5.7.9 Application-specific password required'. No password typed here will work; "
        "the cure is an App Password (Google Account > Security > App passwords) or OAuth.",
        category="auth",
        expect="auth.app_password_required",
        provider="gmail",
        hostname="smtp.gmail.com",
        replies={
            "banner": _GMAIL_BANNER,
            "auth": (
                "534-5.7.9 Application-specific password required. For more information, go to\n"
                "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor {queue_id} - gsmtp"
            ),
        },
    ),
    Scenario(
        "gmail_daily_limit",
        "Gmail after the account has sent its daily allowance (about 500 messages, 2,000 on Workspace): the "
        "login works but MAIL FROM is answered '550-5.4.5 Daily user sending limit exceeded'. Nothing is "
        "misconfigured; the block lifts within 24 hours.",
        category="send",
        expect="send.daily_limit_exceeded",
        provider="gmail",
        hostname="smtp.gmail.com",
        replies={
            "banner": _GMAIL_BANNER,
            "mail": (
                "550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n"
                "550-5.4.5 sending limits go to\n"
                "550 5.4.5  https://support.google.com/a/answer/166852 {queue_id} - gsmtp"
            ),
        },
    ),
    Scenario(
        "o365_not_authenticated",
        "Microsoft 365 when the application sends without logging in (SMTP authentication unticked in its "
        "settings, or a login that failed and was ignored): MAIL FROM is answered '530 5.7.57 Client not "
        "authenticated to send mail'. This lab server answers so even after a successful login, the way Microsoft "
        "365 does when the session's login was not applied, so any client reproduces the lesson.",
        category="send",
        expect="send.unauthenticated",
        provider="office365",
        hostname="smtp.office365.com",
        auth_mechanisms=("LOGIN", "XOAUTH2"),
        require_auth=False,
        replies={
            "banner": _O365_BANNER,
            "mail": (
                "530 5.7.57 Client not authenticated to send mail. [BN0PR04CA0042.namprd04.prod.outlook.com {date}]"
            ),
        },
    ),
    Scenario(
        "o365_send_as_denied",
        "Microsoft 365 when the login works but the From address is another mailbox the account has no 'Send "
        "As' permission for: the message is refused after DATA with '554 5.2.252 SendAsDenied; ... not allowed "
        "to send as ...'.",
        category="send",
        expect="send.sender_not_owned",
        provider="office365",
        hostname="smtp.office365.com",
        replies={
            "banner": _O365_BANNER,
            "message": (
                "554 5.2.252 SendAsDenied; {user} not allowed to send as {sender}; "
                "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process "
                "message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message."
            ),
        },
    ),
    Scenario(
        "yahoo_app_password",
        "Yahoo Mail when the normal account password is used: '535 5.7.0 (#AUTH005) Too many bad auth "
        "attempts.' even on the very first try. Yahoo takes only app passwords for SMTP.",
        category="auth",
        expect="auth.too_many_attempts",
        provider="yahoo",
        hostname="smtp.mail.yahoo.com",
        security="tls",
        auth_mechanisms=("PLAIN", "LOGIN", "XOAUTH2"),
        replies={
            "banner": "220 smtp.mail.yahoo.com ESMTP ready",
            "auth": "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
        },
    ),
    Scenario(
        "ses_unverified_sender",
        "Amazon SES when the From address (or, in the sandbox, a recipient) is not a verified identity in the "
        "region: login and envelope pass, then the message is refused with '554 Message rejected: Email "
        "address is not verified. The following identities failed the check in region US-EAST-1: ...'.",
        category="send",
        expect="send.sender_not_verified",
        provider="ses",
        hostname="email-smtp.us-east-1.amazonaws.com",
        auth_mechanisms=("PLAIN", "LOGIN"),
        replies={
            "banner": "220 email-smtp.amazonaws.com ESMTP SimpleEmailService-d-{queue_id}",
            "message": (
                "554 Message rejected: Email address is not verified. The following identities failed "
                "the check in region US-EAST-1: {sender}"
            ),
        },
    ),
    Scenario(
        "sendgrid_sender_identity",
        "Twilio SendGrid when the From address is not a verified Sender Identity: '550 The from address does "
        "not match a verified Sender Identity'. The API key works; the sender must be verified (Single Sender "
        "Verification or Domain Authentication).",
        category="send",
        expect="send.sender_not_verified",
        provider="sendgrid",
        hostname="smtp.sendgrid.net",
        auth_mechanisms=("PLAIN", "LOGIN"),
        replies={
            "banner": "220 SG ESMTP service ready at geopod-ismtpd-{queue_id}",
            "message": (
                "550 The from address does not match a verified Sender Identity. Mail cannot be sent "
                "until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/"
                "sender-identity/ to see the Sender Identity requirements"
            ),
        },
    ),
]
