"""Reply rules: hMailServer (Windows), worded as its documentation lists them."""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 300
_DOC = "https://www.hmailserver.com/documentation/v4.4/?page=reference_error_messages"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "hmailserver.delivery_not_allowed",
        "send.relay_denied",
        r"delivery is not allowed to this address",
        stages=SEND_STAGES,
        detail=("hMailServer's IP range settings do not let this client send to outside addresses without logging in."),
        reference=_DOC,
        example="550 Delivery is not allowed to this address.",
    ),
    rule(
        "hmailserver.auth_required",
        "send.unauthenticated",
        r"smtp authentication is required",
        stages=SEND_STAGES,
        reference=_DOC,
        example="530 SMTP authentication is required.",
    ),
    rule(
        "hmailserver.unknown_user",
        "send.recipient_unknown",
        r"^unknown user\.?$",
        stages=("rcpt",),
        reference="hMailServer RCPT TO for a local domain without that account",
        example="550 Unknown user",
    ),
    rule(
        "hmailserver.auth_failed",
        "auth.bad_credentials",
        r"authentication failed\. restarting authentication process",
        stages=("auth",),
        reference="hMailServer SMTP AUTH failure",
        example="535 Authentication failed. Restarting authentication process.",
    ),
)
