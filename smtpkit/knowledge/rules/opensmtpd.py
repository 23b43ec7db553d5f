"""Reply rules: OpenSMTPD (OpenBSD's MTA).

OpenSMTPD answers an unknown recipient, and also a recipient in a domain it
does not handle when the client is not authenticated, with the same "Invalid
recipient" (smtp_session.c); the session context decides which it is (see
`classify_reply`). An unknown virtual user can surface as RFC 3463 5.2.4
"Mailing list expansion problem".
"""

from __future__ import annotations

from smtpkit.knowledge.rules import ReplyRule, rule

ORDER = 300
_SRC = "OpenSMTPD smtpd/smtp_session.c (openbsd/src usr.sbin/smtpd)"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "opensmtpd.invalid_recipient",
        "send.recipient_unknown",
        r"invalid recipient",
        stages=("rcpt", "data", "message"),
        detail=(
            "OpenSMTPD says 'Invalid recipient' both for a mailbox it does not know and for a domain it does not "
            "serve when the client has not logged in."
        ),
        reference=_SRC,
        example="550 Invalid recipient: <bob@example.com>",
    ),
    rule(
        "opensmtpd.expansion_problem",
        "send.recipient_unknown",
        r"mailing list expansion problem",
        stages=("rcpt", "data", "message"),
        detail="OpenSMTPD could not expand this address through its aliases or virtual table: no such user.",
        reference=_SRC + " (RFC 3463 5.2.4)",
        example="524 5.2.4 Mailing list expansion problem: <bob@example.com>",
    ),
)
