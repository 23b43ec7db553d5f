"""Reply rules: Twilio SendGrid.

Each rule carries the real reply text it was written from (`example`) and
where that text was seen (`reference`); `smtpkit.knowledge.rules` discovers
this module and matches its rules in `ORDER` (providers first, generic last).
"""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 60

RULES: tuple[ReplyRule, ...] = (
    rule(
        "sendgrid.bad_credentials",
        "auth.bad_credentials",
        r"authentication failed: bad username / password",
        provider="sendgrid",
        stages=("auth",),
        reference="https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api",
        example="535 Authentication failed: Bad username / password",
    ),
    rule(
        "sendgrid.key_revoked",
        "auth.bad_credentials",
        r"the provided authorization grant is invalid, expired,? or revoked",
        provider="sendgrid",
        stages=("auth",),
        detail=(
            "SendGrid recognised the username but the API key is wrong, deleted or revoked (an API key *ID* instead of"
            " the key, a truncated key, or a key from another account)."
        ),
        reference="https://github.com/bertjohnson/OpaqueMail/issues/74; https://github.com/sendgrid/docs/issues/3947",
        example="535 Authentication failed: The provided authorization grant is invalid, expired, or revoked",
    ),
    rule(
        "sendgrid.sender_identity",
        "send.sender_not_verified",
        r"the from address does not match a verified sender identity",
        provider="sendgrid",
        reference=(
            "https://github.com/sahat/hackathon-starter/issues/1083; https://github.com/EBWiki/EBWiki/issues/3861"
        ),
        example=(
            "550 The from address does not match a verified Sender Identity. Mail cannot be sent until this error is"
            " resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender"
            " Identity requirements"
        ),
    ),
    rule(
        "sendgrid.max_credits",
        "send.daily_limit_exceeded",
        r"maximum credits exceeded",
        provider="sendgrid",
        detail=(
            "SendGrid returns this at login when the account has no credits left for the period (Free plan: 100 emails"
            " a day)."
        ),
        reference="https://github.com/mautic/mautic/issues/8721",
        example="451 Authentication failed: Maximum credits exceeded",
    ),
    rule(
        "sendgrid.messaging_limits",
        "send.daily_limit_exceeded",
        r"you'?ve exceeded your messaging limits",
        provider="sendgrid",
        reference="https://github.com/WA-WF-Bot/WA-WF-Bot-Public/issues/282",
        example="451 You've exceeded your messaging limits",
    ),
    rule(
        "sendgrid.unauthenticated",
        "send.unauthenticated",
        r"unauthenticated senders not allowed",
        provider="sendgrid",
        stages=SEND_STAGES,
        detail=(
            "SendGrid saw MAIL FROM without a successful login; usually the API key setting is empty in the"
            " application's environment."
        ),
        reference=(
            "https://github.com/sisimai/p5-sisimai (test data); reported with smtp.sendgrid.net in application READMEs"
        ),
        example="550 Unauthenticated senders not allowed",
    ),
)
