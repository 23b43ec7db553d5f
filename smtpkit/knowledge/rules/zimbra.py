"""Reply rules: Zimbra Collaboration (Postfix in front, its own LMTP mailbox server behind).

Zimbra's MTA rejects an address that is not in its LDAP directory with the
address itself as the reason, and its LMTP server reports a full mailbox as
"Over quota"; both reach senders quoted in bounces.
"""

from __future__ import annotations

from smtpkit.knowledge.rules import ReplyRule, rule

ORDER = 300

RULES: tuple[ReplyRule, ...] = (
    rule(
        "zimbra.recipient_rejected",
        "send.recipient_unknown",
        r"recipient address rejected: [^\s:;]+@[^\s:;]+$",
        stages=("rcpt",),
        detail="Zimbra's MTA found no account or alias for this address in its directory.",
        reference="Zimbra MTA (Postfix with LDAP virtual mailbox maps)",
        example="550 5.1.1 <bob@example.com>: Recipient address rejected: bob@example.com",
    ),
    rule(
        "zimbra.over_quota",
        "send.mailbox_full",
        r"^over quota$",
        stages=("rcpt", "data", "message"),
        reference="Zimbra LMTP (mailboxd) quota check",
        example="552 5.2.2 Over quota",
    ),
)
