"""Finding codes for a bounce as a whole; each failed recipient gets the reply rules' finding (send.*).

A bounce is the sender's side of a failed delivery: the reasons per recipient
are the same replies a live session meets, so they come from the same rules
table as `smtpkit explain` and the session checks. These codes cover what is
about the report itself: that it is not a bounce, cannot be read, only
announces a delay, or states no status code.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="bounce.not_a_bounce",
        severity=Severity.INFO,
        step="bounce",
        title="This is not a bounce: {what}",
        explanation=(
            "{why} A bounce (non-delivery report) comes from a mail server, usually as MAILER-DAEMON or postmaster, "
            "and says which recipient failed and why; this message does not."
        ),
        fix=(
            "Nothing failed here. If you were looking for why a message did not arrive, find the report from "
            "MAILER-DAEMON or postmaster (often titled 'Undelivered Mail Returned to Sender', 'Mail delivery "
            "failed' or 'Undeliverable') and run `smtpkit bounce` on that."
        ),
        reference="RFC 3464; RFC 3834 (automatic responses)",
    ),
    FindingSpec(
        code="bounce.feedback_report",
        severity=Severity.INFO,
        step="bounce",
        title="This is a feedback report ({feedback_type}), not a bounce",
        explanation=(
            "An ARF report (RFC 5965) tells a sender that a recipient's provider received a message of theirs and "
            "someone flagged it (abuse: marked as spam; auth-failure: a DMARC failure report; fraud, virus). The "
            "message was delivered; the report is about reputation, not delivery."
        ),
        fix=(
            "Stop sending to the recipient who complained (remove them from your list), and look at why they did "
            "not expect the mail. For auth-failure reports, run `smtpkit message` on the original headers inside "
            "the report to see which check failed."
        ),
        reference="RFC 5965; RFC 6591 (auth-failure)",
    ),
    FindingSpec(
        code="bounce.unreadable",
        severity=Severity.WARN,
        step="bounce",
        title="The bounce could not be read: {problem}",
        explanation=(
            "The kit found no failed recipient with a reason in this message ({problem}). Some bounces are written "
            "in a form no parser knows, or the input is only part of the report."
        ),
        fix=(
            "Open the bounce and look for the line with a three-digit code (550, 554, 452 …) and the recipient "
            'address; paste that line into `smtpkit explain "…"` to get its meaning and fix.'
        ),
        reference="RFC 3464 §2.3",
    ),
    FindingSpec(
        code="bounce.delayed",
        severity=Severity.INFO,
        step="bounce",
        title="Delivery to {recipient} is delayed, not failed (the server keeps trying)",
        explanation=(
            "This report says the message has not been delivered yet (Action: delayed, status {status}). The "
            "sending server keeps it in its queue and retries, usually for up to five days, before it gives up "
            "and sends a final bounce. {reason}"
        ),
        fix=(
            "Wait: if the cause is temporary (greylisting, a full mailbox, a server down) the next try may "
            "succeed. If the same delay repeats for this recipient, fix the cause named in the reply."
        ),
        reference="RFC 3464 §2.3.3 (Action: delayed)",
    ),
    FindingSpec(
        code="bounce.no_status",
        severity=Severity.INFO,
        step="bounce",
        title="The bounce states no status code for {recipient}{inferred}",
        explanation=(
            "The report gives a reason in words but no RFC 3463 status code (5.1.1 and the like). The kit read "
            "the words with its reply rules: {meaning}"
        ),
        fix="Read the reason in the diagnostic column; the finding for this recipient gives the fix.",
        reference="RFC 3463",
    ),
]
