"""Reply rules: Outlook.com (consumer Microsoft accounts).

Each rule carries the real reply text it was written from (`example`) and
where that text was seen (`reference`); `smtpkit.knowledge.rules` discovers
this module and matches its rules in `ORDER` (providers first, generic last).
"""

from __future__ import annotations

from smtpkit.knowledge.rules import ReplyRule, rule

ORDER = 30

RULES: tuple[ReplyRule, ...] = (
    rule(
        "outlook.send_as_denied",
        "send.sender_not_owned",
        r"sendasdeniedexception",
        provider="outlook",
        detail=(
            "Microsoft (Outlook.com and Exchange Online) refuses a From address that is not the logged-in mailbox or"
            " one of its allowed aliases."
        ),
        reference=(
            "https://github.com/rss2email/rss2email/issues/147;"
            " https://github.com/MicrosoftDocs/OfficeDocs-Support/issues/1187"
        ),
        example=(
            "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process"
            " message due to a permanent exception with message Cannot submit message. 0.35250:7D060000,"
            " 1.36674:0A000000, 1.61250:00000000"
        ),
    ),
    rule(
        "outlook.outbound_spam",
        "send.blocked_spam",
        r"outboundspamexception",
        provider="outlook",
        detail=(
            "Outlook.com's outbound spam filter stopped the account ('WASCL UserAction verdict … HipNotify /"
            " RefuseQuota' means it wants you to verify the account or it hit a sending quota)."
        ),
        reference=(
            "https://github.com/Youans/nodejs-nodemailer-outlook/issues/11;"
            " https://github.com/nodemailer/nodemailer/issues/1486"
        ),
        example=(
            "554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due to a"
            " permanent exception with message WASCL UserAction verdict is not None. Actual verdict is RefuseQuota,"
            " ShowTierUpgrade. OutboundSpamException: WASCL UserAction verdict is not None. Actual verdict is"
            " RefuseQuota, ShowTierUpgrade. [Hostname=VI1PR05MB5405.eurprd05.prod.outlook.com]"
        ),
    ),
)
