"""Reply rules: Amazon SES.

Each rule carries the real reply text it was written from (`example`) and
where that text was seen (`reference`); `smtpkit.knowledge.rules` discovers
this module and matches its rules in `ORDER` (providers first, generic last).
"""

from __future__ import annotations

from smtpkit.knowledge.rules import ReplyRule, rule

ORDER = 50

_SES_ERR = "https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html"

RULES: tuple[ReplyRule, ...] = (
    rule(
        "ses.identity_not_verified",
        "send.sender_not_verified",
        r"email address is not verified\. the following identities failed the check in region"
        r" (?P<region>[a-z0-9-]+):\s*(?P<identities>.*)",
        provider="ses",
        reference=(
            "https://docs.aws.amazon.com/ses/latest/dg/troubleshoot-error-messages.html;"
            " https://github.com/mageplaza/magento-2-smtp/issues/152"
        ),
        example=(
            "554 Message rejected: Email address is not verified. The following identities failed the check in region"
            " US-EAST-1: yoyo <yoyo@domain.com>, yoyo@domain.com"
        ),
    ),
    rule(
        "ses.max_send_rate",
        "send.rate_limited",
        r"throttling failure: maximum sending rate exceeded",
        provider="ses",
        detail=(
            "Amazon SES allows a fixed number of messages per second per account (sandbox: 1). The message was dropped,"
            " not queued: the sending program must retry."
        ),
        reference=_SES_ERR
        + "; https://aws.amazon.com/blogs/messaging-and-targeting/how-to-handle-a-throttling-maximum-sending-rate-exceeded-error/",
        example="454 Throttling failure: Maximum sending rate exceeded.",
    ),
    rule(
        "ses.daily_quota",
        "send.daily_limit_exceeded",
        r"throttling failure: daily message quota exceeded",
        provider="ses",
        reference=_SES_ERR,
        example="454 Throttling failure: Daily message quota exceeded.",
    ),
    rule(
        "ses.bad_credentials",
        "auth.bad_credentials",
        r"^authentication credentials invalid",
        provider="ses",
        codes=(535,),
        enhanced=("",),
        exclusive=True,
        detail=(
            "Amazon SES refuses IAM access keys and console passwords here: it needs SMTP credentials created for SES"
            " in the same region, and new credentials can take a few minutes to work."
        ),
        reference=(
            "https://docs.aws.amazon.com/ses/latest/dg/smtp-credentials.html;"
            " https://github.com/gophish/gophish/issues/1665"
        ),
        example="535 Authentication Credentials Invalid",
    ),
    rule(
        "ses.iam_not_authorized",
        "send.account_restricted",
        r"is not authorized to perform `?ses:send(raw)?email",
        provider="ses",
        detail=(
            "The IAM user behind these SMTP credentials lacks permission to send for this identity or configuration"
            " set."
        ),
        fix=(
            "In IAM, give the SMTP user a policy that allows `ses:SendRawEmail` on the resources named in the reply"
            " (the identity ARN, and the configuration set if one is used; in the sandbox also the recipient"
            ' identities), e.g. `"Action": "ses:SendRawEmail", "Resource": "*"`.'
        ),
        reference=(
            "https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html (reply text quoted in public write-ups)"
        ),
        example=(
            "554 Access denied: User `arn:aws:iam::123456789012:user/ses-smtp-user.20180131-111111' is not authorized"
            " to perform `ses:SendRawEmail' on resource `arn:aws:ses:us-west-2:123456789012:identity/alice@example.com'"
        ),
    ),
    rule(
        "ses.sending_paused",
        "send.account_restricted",
        r"sending paused for this account",
        provider="ses",
        detail=(
            "AWS paused sending for the whole SES account, usually because its bounce or complaint rate got too high"
            " (see SES > Reputation metrics); AWS emails the account owner the reason."
        ),
        fix=(
            "Read the message AWS sent to the account's root email address, open the SES console > Reputation metrics"
            " to see the bounce and complaint rates, fix the cause (clean the address list, stop unsolicited mail),"
            " then reply to the case AWS opened to ask for sending to be resumed."
        ),
        reference=(
            "https://docs.aws.amazon.com/ses/latest/dg/faqs-enforcement.html (reply text quoted in public code and"
            " logs)"
        ),
        example=(
            "554 Message rejected: Sending paused for this account. For more information, please check the inbox of the"
            " email address associated with your AWS account."
        ),
    ),
)
