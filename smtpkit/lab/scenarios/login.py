"""Login failures: STARTTLS required before AUTH, and provider-style rejections of a password.

The reply texts are the providers' own (Gmail's BadCredentials, Office 365's
SmtpClientAuthentication disabled), so the lesson transfers to the real thing.
"""

from __future__ import annotations

from smtpkit.lab.scenarios import Scenario

ORDER = 30

GMAIL_BAD_CREDENTIALS = (
    "535-5.7.8 Username and Password not accepted. For more information, go to\n"
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials {queue_id} - gsmtp"
)
O365_AUTH_DISABLED = (
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
    "Visit https://aka.ms/smtp_auth_disabled for more information. [LO4P123CA0042.GBRP123.PROD.OUTLOOK.COM]"
)

SCENARIOS: list[Scenario] = [
    Scenario(
        "starttls_required",
        "AUTH is advertised on the plain connection, but answered '530 5.7.0 Must issue a STARTTLS command "
        "first': what an application set to 'no encryption' meets. Connect in plain mode to see it; after "
        "STARTTLS the login works.",
        category="auth",
        expect="auth.requires_tls",
        security="plain",
        offer_starttls=True,
        auth="plaintext_refused",
    ),
    Scenario(
        "gmail_bad_credentials",
        "Gmail's answer to a login with the account's normal password (or a wrong one): the multi-line "
        "'535-5.7.8 Username and Password not accepted ... BadCredentials'. Every password is refused here; "
        "with Gmail the cure is an App Password (2-Step Verification on) or OAuth.",
        category="auth",
        expect="auth.bad_credentials",
        provider="gmail",
        hostname="smtp.gmail.com",
        replies={
            "banner": "220 smtp.gmail.com ESMTP {queue_id} - gsmtp",
            "auth": GMAIL_BAD_CREDENTIALS,
        },
    ),
    Scenario(
        "o365_auth_disabled",
        "Office 365 / Exchange Online with SMTP AUTH switched off for the tenant (Microsoft's default for new "
        "tenants): '535 5.7.139 ... SmtpClientAuthentication is disabled for the Tenant'. The password is "
        "fine; an administrator must enable Authenticated SMTP for the mailbox.",
        category="auth",
        expect="auth.smtp_auth_disabled",
        provider="office365",
        hostname="smtp.office365.com",
        auth_mechanisms=("LOGIN", "XOAUTH2"),
        replies={
            "banner": "220 LO4P123CA0042.outlook.office365.com Microsoft ESMTP MAIL Service ready at {date}",
            "auth": O365_AUTH_DISABLED,
        },
    ),
]
