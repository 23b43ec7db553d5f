"""Reply rules: HCL (Lotus) Domino and Notes."""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 300

RULES: tuple[ReplyRule, ...] = (
    rule(
        "domino.not_listed",
        "send.recipient_unknown",
        r"not listed in (the )?(domino directory|public name & address book)",
        stages=("rcpt", "data", "message"),
        detail="Domino looked the recipient up in its directory (names.nsf) and found no such person or group.",
        reference="Domino delivery failure reports ('User … not listed in Domino Directory')",
        example="550 5.1.1 User some.name (bob@example.jp) not listed in Domino Directory",
    ),
    rule(
        "domino.relay_rejected",
        "send.relay_denied",
        r"relay rejected for policy reasons",
        stages=SEND_STAGES,
        reference="Domino SMTP inbound relay controls (Configuration > Router/SMTP > Restrictions and Controls)",
        example="554 Relay rejected for policy reasons.",
    ),
)
