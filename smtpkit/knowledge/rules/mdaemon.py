"""Reply rules: MDaemon (Alt-N / MDaemon Technologies), as its bounces word them."""

from __future__ import annotations

from smtpkit.knowledge.rules import ReplyRule, rule

ORDER = 300

RULES: tuple[ReplyRule, ...] = (
    rule(
        "mdaemon.no_such_user",
        "send.recipient_unknown",
        r"there is no user by that name at this server|- no such user here",
        stages=("rcpt", "data", "message"),
        reference="MDaemon non-delivery notice ('- no such user here. There is no user by that name at this server.')",
        example="550 bob@example.net - no such user here. There is no user by that name at this server.",
    ),
)
