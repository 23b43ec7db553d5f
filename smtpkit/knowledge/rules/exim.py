"""Reply rules: Exim (the default MTA of Debian and cPanel), as its default ACLs and routers word them.

Texts from Exim's default configuration (``acl_check_rcpt``: "relay not
permitted", ``verify = recipient``: "Unrouteable address", ``verify =
sender``: "Sender verify failed"); see the Exim specification, chapters 42-43.
"""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 300
_SPEC = "https://www.exim.org/exim-html-current/doc/html/spec_html/ch-access_control_lists.html"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "exim.sender_verify_failed",
        "send.sender_rejected",
        r"sender verif(y|ication) failed",
        stages=SEND_STAGES,
        detail=(
            "Exim checked your envelope sender by calling back or routing it, and that address could not be "
            "verified: the sender's domain has no working MX, or the address does not exist there."
        ),
        reference=f"Exim 'require verify = sender' ({_SPEC})",
        example="550-Verification failed for <alice@example.org>\n550-Unrouteable address\n550 Sender verify failed",
    ),
    rule(
        "exim.unrouteable",
        "send.recipient_unknown",
        r"unrouteable address",
        stages=("rcpt", "data", "message"),
        detail="Exim found no router that accepts this address: no such mailbox or alias in its domain.",
        reference=f"Exim 'require verify = recipient' ({_SPEC})",
        example="550 Unrouteable address",
    ),
    rule(
        "exim.relay_not_permitted",
        "send.relay_denied",
        r"relay not permitted",
        stages=SEND_STAGES,
        reference=f"Exim default ACL 'deny message = relay not permitted' ({_SPEC})",
        example="550 relay not permitted",
    ),
    rule(
        "exim.quota",
        "send.mailbox_full",
        r"^mailbox quota exceeded",
        stages=("rcpt", "data", "message"),
        reference="Exim appendfile transport 'quota' (Mailbox quota exceeded)",
        example="552 Mailbox quota exceeded",
    ),
)
