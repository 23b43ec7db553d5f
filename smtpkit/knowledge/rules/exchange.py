"""Reply rules: Microsoft Exchange (on-premises) and Exchange Online NDR texts.

The codes and wording are Microsoft's published NDR reference; on-premises
Exchange and Exchange Online share most of them, so these rules do not name a
provider (`names_provider=False`). Exchange Online's own texts (RecipNotFound,
Directory-Based Edge Blocking, banned IPs) live in `office365.py`.
"""

from __future__ import annotations

from smtpkit.knowledge.rules import SEND_STAGES, ReplyRule, rule

ORDER = 300
_NDR = "https://learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "exchange.non_accepted_domain",
        "send.relay_denied",
        r"unable to relay recipient in non-accepted domain",
        stages=SEND_STAGES,
        names_provider=False,
        reference=_NDR + " (5.7.54)",
        example="550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
    ),
    rule(
        "exchange.quota",
        "send.mailbox_full",
        r"quotaexceededexception|mailbox full",
        stages=("rcpt", "data", "message"),
        names_provider=False,
        reference=_NDR + " (5.2.2)",
        example=(
            "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
            "MapiExceptionShutoffQuotaExceeded"
        ),
    ),
    rule(
        "exchange.queue_expired",
        "send.tempfail",
        r"queue\.expired|message expired",
        names_provider=False,
        detail=(
            "The sending Exchange server kept the message in its queue until it expired (2 days by default) "
            "because the next server never accepted it."
        ),
        reference=_NDR + " (4.4.7)",
        example="550 4.4.7 QUEUE.Expired; message expired",
    ),
)
