"""Reply rules: the Courier mail server (courier-mta)."""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 300

RULES: tuple[ReplyRule, ...] = (
    rule(
        "courier.relaying_denied",
        "send.relay_denied",
        r"^relaying denied\.?$",
        stages=SEND_STAGES,
        codes=(513,),
        reference=(
            "Courier submit (courier/submit.C): '513 Relaying denied.' for a domain not in hosteddomains or"
            " esmtpacceptmailfor"
        ),
        example="513 Relaying denied.",
    ),
    rule(
        "courier.unknown_user",
        "send.recipient_unknown",
        r"^user unknown\.?$",
        stages=("rcpt", "data", "message"),
        reference="Courier local delivery ('550 User unknown.'), as in courier bounces",
        example="550 User unknown.",
    ),
)
