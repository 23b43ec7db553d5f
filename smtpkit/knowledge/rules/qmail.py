"""Reply rules: qmail (and netqmail, notqmail), which ends its replies with "(#X.Y.Z)"."""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 300
_SRC = "qmail-smtpd.c / qmail-send (djb's qmail 1.03, netqmail)"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "qmail.no_mailbox",
        "send.recipient_unknown",
        r"no mailbox here by that name",
        stages=("rcpt", "data", "message"),
        reference=_SRC,
        example="550 sorry, no mailbox here by that name. (#5.1.1)",
    ),
    rule(
        "qmail.rcpthosts",
        "send.relay_denied",
        r"isn'?t in my list of allowed rcpthosts",
        stages=SEND_STAGES,
        detail="qmail accepts mail only for the domains in its rcpthosts file unless the client is allowed to relay.",
        reference=_SRC + " (control/rcpthosts)",
        example="553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
    ),
    rule(
        "qmail.databytes",
        "send.message_too_large",
        r"message size exceeds my databytes limit",
        stages=("data", "message"),
        reference=_SRC + " (control/databytes)",
        example="552 sorry, that message size exceeds my databytes limit (#5.3.4)",
    ),
    rule(
        "qmail.badmailfrom",
        "send.sender_rejected",
        r"envelope sender is in my badmailfrom list",
        stages=("mail",),
        reference=_SRC + " (control/badmailfrom)",
        example="553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)",
    ),
)
