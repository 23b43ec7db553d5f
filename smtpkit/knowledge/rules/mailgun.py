"""Reply rules: Mailgun.

Each rule carries the real reply text it was written from (`example`) and
where that text was seen (`reference`); `smtpkit.knowledge.rules` discovers
this module and matches its rules in `ORDER` (providers first, generic last).
"""

from __future__ import annotations

from smtpkit.knowledge.rules import ReplyRule, rule

ORDER = 70

RULES: tuple[ReplyRule, ...] = (
    rule(
        "mailgun.bad_credentials",
        "auth.bad_credentials",
        r"^authentication failed\.?$",
        provider="mailgun",
        codes=(535,),
        enhanced=("",),
        exclusive=True,
        detail="Mailgun needs the SMTP credentials of a sending domain, not the account login or API key.",
        reference="https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp",
        example="535 Authentication failed",
    ),
    rule(
        "mailgun.sandbox_only",
        "send.account_restricted",
        r"is not allowed to send: (free accounts|sandbox subdomains) are for test purposes only",
        provider="mailgun",
        reference=(
            "https://github.com/baserow/baserow/issues/1776; https://github.com/mailgun/wordpress-plugin/issues/68"
        ),
        example=(
            "421 Domain sandboxdf3479ebf6574f74ae2b802abc2ae513.mailgun.org is not allowed to send: Sandbox subdomains"
            " are for test purposes only. Please add your own domain or add the address to authorized recipients in"
            " Account Settings."
        ),
    ),
)
