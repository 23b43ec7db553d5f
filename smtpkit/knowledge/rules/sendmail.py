"""Reply rules: Sendmail, as its default rulesets word them ("<addr>... User unknown")."""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 300
_CF = "Sendmail cf/README and proto.m4 (check_rcpt, check_mail)"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "sendmail.relaying_denied_auth",
        "send.relay_denied",
        r"relaying denied\.? proper authentication required",
        stages=SEND_STAGES,
        reference=_CF + ": 'Relaying denied. Proper authentication required.'",
        example="550 5.7.1 <bob@elsewhere.example>... Relaying denied. Proper authentication required.",
    ),
    rule(
        "sendmail.user_unknown",
        "send.recipient_unknown",
        r"\.\.\. user unknown",
        stages=("rcpt", "data", "message"),
        reference=_CF,
        example="550 5.1.1 <nobody@example.com>... User unknown",
    ),
)
