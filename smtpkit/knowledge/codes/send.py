"""Finding codes of the SEND step: MAIL FROM, RCPT TO, DATA and the message itself.

Once logged in, a message can still be refused for its sender, a recipient,
its size, the sending rate or policy. These are the replies people forward to
their provider's support; each explanation says whose side the problem is on
(yours, the recipient's, the provider's) because that decides who can fix it.

Template parameters (filled by `smtpkit.knowledge.provider_rules.classify_reply`):
host, port, username, mail_from, rcpt_to, size, max_size, provider_name,
limits, limits_note, reply, code, enhanced, region, identities.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_SES_VERIFY = (
    "In the Amazon SES console for region {region}, open Configuration > Identities and verify the domain of "
    "{mail_from} (recommended: DNS records with Easy DKIM) or the address itself; identities are per region, so verify "
    "them where your SMTP endpoint is. While the account is in the sandbox, every recipient must be verified too: "
    "request production access (Account dashboard > Request production access) to send to anyone."
)
_SENDGRID_SENDER = (
    "In SendGrid, verify the From address under Settings > Sender Authentication: either Single Sender Verification "
    "for {mail_from}, or Domain Authentication for its domain (adds CNAME records), then send with exactly that From."
)

#: Where a blocked sending address is looked up on the public blocklists at once (the app: page 9's Sending IP).
_WHICH_LISTS = (
    "See which blocklists name your public address (`curl -4 https://ifconfig.me` on the sending machine shows "
    "it): `smtpkit dnsbl IP`."
)

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="send.relay_denied",
        severity=Severity.FAIL,
        step="send",
        title="Relaying denied: the server will not pass mail on for you",
        explanation=(
            "The server refused to accept mail for {rcpt_to} because it would have to relay it to another domain, and "
            "it only does that for clients it trusts ({reply}). Almost always the session was not logged in (AUTH), or "
            "the login belongs to a different domain, or the client is talking to the recipient's server instead of "
            "its own submission server."
        ),
        fix=(
            "Log in first: enable SMTP authentication in the client with the mailbox's username and password, on port "
            "587 (STARTTLS) or 465 (TLS) of your own provider's submission server, not the recipient's MX on port 25. "
            "If the login already worked, this account may not send to outside domains (or not from this From "
            "address): the server's administrator must allow it (Postfix: permit_sasl_authenticated in "
            "smtpd_relay_restrictions). Only the administrator can allow relaying without a login for an IP address, "
            "and should do so only for known devices."
        ),
        provider_fixes={
            "mailgun": (
                "Authenticate with the SMTP credentials of a domain you own in Mailgun, and send with a From address in"
                " that domain; Mailgun only relays for your verified sending domains."
            ),
            "gmail": (
                "For smtp.gmail.com, log in with the account (App Password). For the Workspace SMTP relay"
                " (smtp-relay.gmail.com), an administrator adds your IP address or enables SMTP AUTH under Apps >"
                " Google Workspace > Gmail > Routing > SMTP relay service."
            ),
            "office365": (
                "Log in with SMTP AUTH on smtp.office365.com:587, or for devices without login set up a connector for"
                " your static IP (direct send/SMTP relay)."
            ),
        },
        reference="RFC 5321 §3.6, §7.1",
    ),
    FindingSpec(
        code="send.sender_rejected",
        severity=Severity.FAIL,
        step="send",
        title="The sender address was refused",
        explanation=(
            "The server refused {mail_from} as the envelope sender (MAIL FROM) ({reply}). The address may be malformed,"
            " its domain may not exist, or the logged-in account is not allowed to use it."
        ),
        fix=(
            "Send from the address of the account you logged in with (or an alias configured for it), spelled as a "
            "plain address like name@example.com."
        ),
        reference="RFC 5321 §3.3",
    ),
    FindingSpec(
        code="send.recipient_unknown",
        severity=Severity.FAIL,
        step="send",
        title="The recipient's mailbox does not exist",
        explanation=(
            "The receiving side says there is no mailbox for {rcpt_to} ({reply}). The address has a typo, the person"
            " left, or the domain's mail is hosted somewhere that does not know them. This is not a problem with your"
            " server."
        ),
        fix=(
            "Check the spelling of {rcpt_to} (especially the part after @) and ask the recipient for their current "
            "address. Remove addresses that bounce like this from mailing lists: repeated sends to unknown users hurt "
            "your reputation."
        ),
        reference="RFC 3463 (X.1.1)",
    ),
    FindingSpec(
        code="send.message_too_large",
        severity=Severity.FAIL,
        step="send",
        title="The message is too large",
        explanation=(
            "The server refused the message because of its size ({reply}). Limits apply to the encoded message: "
            "attachments grow by about a third when base64-encoded, so a 20 MB file needs about 27 MB. {max_size}"
        ),
        fix=(
            "Send large files as a link (cloud storage) instead of an attachment, or compress them, and keep the whole "
            "message under the server's limit (the SIZE value in its EHLO reply)."
        ),
        provider_fixes={
            "gmail": (
                "Gmail's SMTP limit is about 35 MB encoded (25 MB of attachments): share big files from Google Drive"
                " instead."
            ),
            "office365": (
                "Exchange Online accepts 35 MB by default (up to 150 MB if an administrator raises the mailbox's"
                " MaxSendSize/MaxReceiveSize); send large files as OneDrive links."
            ),
            "ses": "Amazon SES accepts messages up to 40 MB (encoded) over SMTP; use links for larger content.",
            "sendgrid": "SendGrid accepts up to 30 MB per message including attachments.",
        },
        reference="RFC 1870; RFC 3463 (X.3.4, X.2.3)",
    ),
    FindingSpec(
        code="send.rate_limited",
        severity=Severity.FAIL,
        step="send",
        title="Sending too fast or too much: rate limited",
        explanation=(
            "The server is throttling you ({reply}): too many messages, recipients or connections in a short time, or "
            "a reputation problem that lowers your allowance. A 4xx reply is temporary; a queueing mail server retries "
            "by itself, a script usually does not."
        ),
        fix=(
            "Slow down: send fewer messages per minute, reuse one connection, and retry later with growing delays "
            "(exponential backoff). For newsletters or bulk mail, use a service built for volume. {limits_note}"
        ),
        provider_fixes={
            "gmail": (
                "Gmail allows about 500 messages/day per Gmail account and 2,000/day on Google Workspace (recipients"
                " count). Wait for the 24-hour window to reset, and move bulk or application mail to a sending service"
                " or the Workspace SMTP relay."
            ),
            "office365": (
                "Exchange Online allows 30 messages/minute and 10,000 recipients/day per mailbox. Spread sends out; for"
                " more, use a dedicated service (Azure Communication Services Email or a third-party relay)."
            ),
            "ses": (
                "Your SES account has a maximum send rate and a 24-hour quota (sandbox: 1 message/second, 200/day). See"
                " SES console > Account dashboard; retry with backoff, and request a quota increase (or production"
                " access) in Service Quotas."
            ),
            "sendgrid": (
                "Your SendGrid plan's credits or daily limit (Free: 100/day) are used up; wait for the reset or upgrade"
                " the plan (Settings > Account Details > Your Products)."
            ),
            "yahoo": "Yahoo limits about 500 messages/day; slow down and retry later.",
        },
        reference="RFC 5321 §4.2.5; RFC 3463 (X.7.x)",
    ),
    FindingSpec(
        code="send.greylisted",
        severity=Severity.WARN,
        step="send",
        title="Greylisted: try again in a few minutes",
        explanation=(
            "The receiving server temporarily refused the message ({reply}) because it has not seen this combination "
            "of sending IP, sender and recipient before. This is greylisting, an anti-spam measure: a real mail server "
            "retries after a few minutes and is then accepted. Nothing is broken."
        ),
        fix=(
            "Retry the same message after 5-15 minutes from the same IP address; a mail server with a queue (Postfix, "
            "Exchange, any provider) does this automatically. Scripts that send directly must retry too."
        ),
        reference="RFC 6647",
    ),
    FindingSpec(
        code="send.unauthenticated",
        severity=Severity.FAIL,
        step="send",
        title="The server requires authentication for this mail",
        explanation=(
            "The server refused the mail as unauthenticated ({reply}). Two different problems produce this reply, and "
            "its codes tell them apart: '530', '5.7.0', '5.7.57' or 'not authenticated' mean this SMTP session did not "
            "log in (or its login was ignored); '5.7.26', 'unauthenticated email' or a mention of SPF, DKIM or DMARC "
            "mean a receiving server checked your domain's records and neither SPF nor DKIM vouched for the message."
        ),
        fix=(
            "Not logged in (530, 5.7.0, 5.7.57): tick 'My server requires authentication' / enable SMTP AUTH in the "
            "client, with the mailbox's username and password, on port 587 (STARTTLS) or 465 (TLS), and send from that "
            "mailbox's address. Domain not authenticated (5.7.26, SPF/DKIM/DMARC): publish an SPF record that includes "
            "your sending service and turn on DKIM signing for the From domain; check both with "
            "`smtpkit domain <your-domain>`."
        ),
        provider_fixes={
            "office365": (
                "Make the client log in (SMTP AUTH) on smtp.office365.com:587 with STARTTLS before sending, with the"
                " From address of that mailbox. If it does log in, SMTP AUTH is disabled for the mailbox or tenant: an"
                " administrator enables 'Authenticated SMTP' (Set-CASMailbox -Identity {username}"
                " -SmtpClientAuthenticationDisabled $false) and checks Security defaults."
            ),
            "sendgrid": (
                "The session did not log in: use username `apikey` and a valid API key as the password (a missing or"
                " empty API key produces this)."
            ),
            "gmail": (
                "For Gmail's 5.7.26: publish SPF (`v=spf1 include:<your sender> ~all`) and DKIM for the From domain,"
                " and a DMARC record; Gmail requires at least one of SPF or DKIM to pass and align."
            ),
        },
        reference="RFC 4954 §6 (530 5.7.0); RFC 7372 (X.7.26)",
    ),
    FindingSpec(
        code="send.sender_not_verified",
        severity=Severity.FAIL,
        step="send",
        title="The sender address is not verified with the provider",
        explanation=(
            "The sending service refused the message because the From/sender address is not a verified identity of "
            "your account ({reply}). Services such as Amazon SES only send from domains or addresses you have proven "
            "to own; in the SES sandbox, recipients must be verified too. Failed identities: {identities}."
        ),
        fix=(
            "Verify the sender's domain (preferred) or address in the service's console, then send from exactly that"
            " address."
        ),
        provider_fixes={"ses": _SES_VERIFY, "sendgrid": _SENDGRID_SENDER},
        reference="https://docs.aws.amazon.com/ses/latest/dg/verify-addresses-and-domains.html",
    ),
    FindingSpec(
        code="send.sender_not_owned",
        severity=Severity.FAIL,
        step="send",
        title="Not allowed to send as this From address",
        explanation=(
            "The server accepted your login but refuses mail from {mail_from} ({reply}): you are logged in as "
            "{username}, which has no permission to send as that address. Providers check this so that one account "
            "cannot impersonate another."
        ),
        fix=(
            "Send with the From and MAIL FROM address of the account you log in with, or give that account permission"
            " to send as the other address."
        ),
        provider_fixes={
            "office365": (
                "Use {username} as the From address, or have an administrator grant 'Send As' on {mail_from} to"
                " {username} (Exchange admin center > Recipients > Mailboxes > {mail_from} > Delegation > Send as, or"
                " `Add-RecipientPermission -Identity {mail_from} -Trustee {username} -AccessRights SendAs`). Permission"
                " changes can take an hour."
            ),
            "outlook": (
                "Outlook.com only sends from the account's own address or a verified alias (Settings > Mail > Sync"
                " email > aliases)."
            ),
            "gmail": (
                "Add {mail_from} under Gmail Settings > Accounts > Send mail as and confirm it; otherwise Gmail"
                " rewrites or refuses the From address."
            ),
        },
        reference=(
            "https://learn.microsoft.com/exchange/recipients-in-exchange-online/manage-permissions-for-recipients"
        ),
    ),
    FindingSpec(
        code="send.daily_limit_exceeded",
        severity=Severity.FAIL,
        step="send",
        title="Daily sending limit reached",
        explanation=(
            "The account has sent as much as it may in 24 hours ({reply}). Nothing is wrong with the message; the "
            "account is blocked from sending until the window resets."
        ),
        fix=(
            "Wait up to 24 hours for the limit to reset. For regular volume above the limit, use a sending service "
            "(Amazon SES, SendGrid, Mailgun) or the provider's business plan. {limits_note}"
        ),
        provider_fixes={
            "gmail": (
                "Gmail: about 500 messages/day (2,000 on Google Workspace), counted per recipient. The block lifts"
                " within 24 hours; move bulk or automated mail to a sending service or the Workspace SMTP relay."
            ),
            "office365": (
                "Exchange Online: 10,000 recipients/day per mailbox. The block lifts within 24 hours; if the account"
                " was flagged as sending spam, an administrator releases it in Microsoft Defender > Restricted"
                " entities."
            ),
            "ses": (
                "Your SES 24-hour quota is used up (sandbox: 200). Request a higher quota in the SES console (Account"
                " dashboard) or Service Quotas."
            ),
            "sendgrid": "Your SendGrid credits are used up (Free: 100/day). Wait for the reset or upgrade the plan.",
        },
        reference="https://support.google.com/a/answer/166852",
    ),
    FindingSpec(
        code="send.mailbox_full",
        severity=Severity.FAIL,
        step="send",
        title="The recipient's mailbox is full",
        explanation=(
            "Mail for {rcpt_to} cannot be stored: the mailbox is full ({reply}). This is on the recipient's side; your"
            " server and settings are fine."
        ),
        fix=(
            "Tell the recipient by another channel to free up space, then resend. A 4xx (temporary) reply is retried"
            " automatically by mail servers."
        ),
        reference="RFC 3463 (X.2.2)",
    ),
    FindingSpec(
        code="send.blocked_spam",
        severity=Severity.FAIL,
        step="send",
        title="Refused as spam or abuse",
        explanation=(
            "The server judged the message or the sending account as spam ({reply}): its content, links or attachments,"
            " a sudden jump in volume, or complaints. Some providers also block the account from sending until it is"
            " verified."
        ),
        fix=(
            "Check the message content (no URL shorteners, link to your own domain, text and HTML parts, a real "
            "subject), send only to people who asked for it, and authenticate the domain with SPF, DKIM and DMARC. "
            "If the account itself is blocked, sign in to the provider's web interface and follow its unblock steps."
        ),
        provider_fixes={
            "outlook": (
                "Outlook.com blocked the account from sending (OutboundSpamException): sign in at"
                " https://outlook.live.com, complete the verification it asks for (often a phone number), then retry"
                " later. Sending many similar messages from a personal account triggers this."
            ),
            "office365": (
                "An administrator checks Microsoft Defender > Email & collaboration > Review > Restricted entities; if"
                " the user is blocked for outbound spam, secure the account (reset the password, check inbox rules) and"
                " release it."
            ),
            "gmail": (
                "Review Google's sender guidelines (https://support.google.com/mail/answer/81126): authenticate with"
                " SPF and DKIM, keep spam complaints below 0.3%, and include a one-click unsubscribe for bulk mail."
            ),
        },
        reference="RFC 3463 (X.7.1)",
    ),
    FindingSpec(
        code="send.sender_domain_unresolvable",
        severity=Severity.FAIL,
        step="send",
        title="The sender's domain does not resolve",
        explanation=(
            "The server refused {mail_from} because its domain has no DNS records it can use (no MX or A record) "
            "({reply}), so bounces could never be returned. Usually a typo in the sender address or an internal-only "
            "domain such as example.local."
        ),
        fix=(
            "Send from an address in a real, public domain, or publish an MX (or A) record for the sender's domain. "
            "Check with `smtpkit domain <domain>`."
        ),
        reference="RFC 3463 (X.1.8)",
    ),
    FindingSpec(
        code="send.ip_blocklisted",
        severity=Severity.FAIL,
        step="send",
        title="Your sending IP address is blocked",
        explanation=(
            "The receiving server refuses connections or mail from your IP address because it is on a blocklist or has "
            "a bad reputation ({reply}). On a home or office connection, the IP is often a dynamic one that is listed "
            "for all direct-to-MX mail."
        ),
        fix=(
            "Do not send directly from this IP: send through your provider's submission server (port 587 with login) "
            "or a sending service. If it is your server's fixed IP, find and stop the cause (compromised account, open "
            "relay, malware), then request delisting from the list named in the reply. " + _WHICH_LISTS
        ),
        provider_fixes={
            "office365": (
                "Request delisting at https://sender.office.com (Microsoft's delist portal) after fixing the cause; for"
                " a new Microsoft 365 tenant, outbound restrictions relax as it builds reputation. " + _WHICH_LISTS
            ),
            "yahoo": (
                "Check the IP at https://check.spamhaus.org and request removal there; Yahoo follows Spamhaus. "
                + _WHICH_LISTS
            ),
            "gmail": (
                "Check Google Postmaster Tools for your domain/IP reputation, stop any unsolicited mail and"
                " authenticate with SPF/DKIM; rate limits lift as reputation recovers. " + _WHICH_LISTS
            ),
        },
        reference="RFC 5782",
    ),
    FindingSpec(
        code="send.account_restricted",
        severity=Severity.FAIL,
        step="send",
        title="The account is restricted from sending",
        explanation=(
            "The provider accepted the connection but will not send for this account ({reply}): it is in a test/sandbox"
            " mode, unverified, suspended, or over its plan."
        ),
        fix="Sign in to the provider's dashboard, finish the account verification or upgrade, and retry.",
        provider_fixes={
            "mailgun": (
                "Mailgun sandbox domains and free accounts deliver only to authorized recipients: add {rcpt_to} as an"
                " Authorized Recipient in the Mailgun control panel (up to 5; each must confirm by email), or add and"
                " verify your own sending domain and upgrade the plan."
            ),
            "sendgrid": (
                "Check the SendGrid account status (Settings > Account Details) for a suspension or review, and that"
                " the plan has credits left."
            ),
            "ses": (
                "Check the SES console > Account dashboard: a paused or sandboxed account cannot send to unverified"
                " recipients."
            ),
        },
        reference="https://help.mailgun.com/hc/en-us/articles/217531258",
    ),
    FindingSpec(
        code="send.message_malformed",
        severity=Severity.FAIL,
        step="send",
        title="The message breaks the email format rules",
        explanation=(
            "The server refused the message itself because its headers or line endings break the Internet Message"
            " Format ({reply}): a missing or invalid From: or Message-ID: header, duplicate headers, or bare line feeds"
            " (LF without CR). Big providers enforce RFC 5322 strictly since 2024, and bare line feeds are refused"
            " since the 'SMTP smuggling' fixes. Programs that build messages by hand with string concatenation"
            " typically cause this."
        ),
        fix=(
            "Build the message with a mail library instead of by hand (Python: email.message.EmailMessage with "
            "email.utils.make_msgid() and formatdate()); make sure it has exactly one From: with a valid address, a "
            "Message-ID:, a Date:, no duplicated headers, and CRLF line endings throughout."
        ),
        reference="RFC 5322 §3.6; RFC 5321 §2.3.8",
    ),
    FindingSpec(
        code="send.tempfail",
        severity=Severity.WARN,
        step="send",
        title="Temporarily refused: try again later",
        explanation=(
            "The server refused for now ({reply}). A 4xx reply means a temporary condition (busy, greylisting, a queue "
            "or storage problem on its side); the same message is expected to succeed later."
        ),
        fix=(
            "Retry later with growing delays; a mail server does this by itself. If it persists for hours, contact the"
            " receiving side with this exact reply."
        ),
        reference="RFC 5321 §4.2.1",
    ),
    FindingSpec(
        code="send.policy_rejected",
        severity=Severity.FAIL,
        step="send",
        title="Refused by the server's policy",
        explanation=(
            "The server refused the message with a reply we have no more specific rule for ({reply}). What the reply "
            "and enhanced codes mean follows."
        ),
        fix=(
            "Read the server's own words in the evidence; they usually name the rule. If it is unclear, send the exact"
            " reply and the time to the receiving side's postmaster or your provider's support."
        ),
        reference="RFC 5321 §4.2",
    ),
]
