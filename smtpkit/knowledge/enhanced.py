"""Enhanced mail system status codes (RFC 3463 and the IANA registry) in plain words.

An enhanced code ``class.subject.detail`` is more precise than the three-digit
reply: ``5.1.1`` is "that mailbox does not exist", ``5.7.8`` is "wrong
password". The registry's own wording is terse and written for implementers,
so every entry here also says what it means for the person whose mail did not
go out. Providers add private codes (Microsoft's ``5.7.57``, ``5.7.139``,
Gmail's use of ``5.7.26``/``5.7.27``); those are listed separately with the
provider that uses them, because the same number can mean something else
elsewhere.
"""

from __future__ import annotations

import re

from smtpkit.record import record

__all__ = [
    "EnhancedInfo",
    "CLASSES",
    "SUBJECTS",
    "DETAILS",
    "PROVIDER_CODES",
    "parse_enhanced",
    "describe",
    "explain_enhanced",
]

_CODE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$", re.ASCII)  # ASCII digits only, as RFC 3463 writes them

CLASSES: dict[int, tuple[str, str]] = {
    2: ("Success", "it worked"),
    4: ("Persistent transient failure", "a temporary problem; the same message may go through later without changes"),
    5: ("Permanent failure", "a permanent problem; resending as is will fail again, something must change"),
}

SUBJECTS: dict[int, tuple[str, str]] = {
    0: ("Other or undefined status", "no more precise category was given"),
    1: ("Addressing status", "about an address (sender or recipient)"),
    2: ("Mailbox status", "about the recipient's mailbox"),
    3: ("Mail system status", "about the receiving mail system itself"),
    4: ("Network and routing status", "about the network or routing between servers"),
    5: ("Mail delivery protocol status", "about the SMTP conversation itself"),
    6: ("Message content or media status", "about the message's content or format"),
    7: ("Security or policy status", "about security, authentication or policy"),
}


@record(frozen=True)
class EnhancedInfo:
    """One enhanced status code, explained.

    `registry_text` is the IANA registry's title; `meaning` is what it means
    to the reader; `source` is the RFC (or provider) that defines it.
    """

    code: str
    klass: str
    subject: str
    registry_text: str
    meaning: str
    source: str = ""
    provider: str = ""

    @property
    def temporary(self) -> bool:
        return self.code.startswith("4.")

    @property
    def permanent(self) -> bool:
        return self.code.startswith("5.")


def _d(
    subject_detail: str, registry_text: str, meaning: str, source: str = "RFC 3463"
) -> tuple[str, tuple[str, str, str]]:
    return subject_detail, (registry_text, meaning, source)


# Keyed by "subject.detail"; the class digit is applied when describing.
DETAILS: dict[str, tuple[str, str, str]] = dict(
    [
        _d("0.0", "Other undefined Status", "The server gave no specific reason."),
        # X.1 addressing
        _d("1.0", "Other address status", "Something is wrong with an address."),
        _d(
            "1.1",
            "Bad destination mailbox address",
            "The recipient's mailbox does not exist at that domain: a typo in the address, or the person left.",
        ),
        _d("1.2", "Bad destination system address", "The recipient's domain is wrong or cannot receive mail."),
        _d(
            "1.3",
            "Bad destination mailbox address syntax",
            "The recipient address is not a valid email address (syntax).",
        ),
        _d("1.4", "Destination mailbox address ambiguous", "The recipient address matches more than one mailbox."),
        _d("1.5", "Destination address valid", "The recipient address is fine."),
        _d(
            "1.6",
            "Destination mailbox has moved, No forwarding address",
            "The recipient has moved and left no forwarding address.",
        ),
        _d(
            "1.7", "Bad sender's mailbox address syntax", "The sender (MAIL FROM) address is not a valid email address."
        ),
        _d(
            "1.8",
            "Bad sender's system address",
            "The sender's domain does not exist in DNS or cannot receive replies, so the server refuses mail from it.",
        ),
        _d(
            "1.9",
            "Message relayed to non-compliant mailer",
            "The message was passed to a system that does not support delivery reports.",
            "RFC 3886",
        ),
        _d(
            "1.10",
            "Recipient address has null MX",
            "The recipient's domain publishes that it accepts no email at all (a 'null MX' record).",
            "RFC 7505",
        ),
        # X.2 mailbox
        _d("2.0", "Other or undefined mailbox status", "Something is wrong with the recipient's mailbox."),
        _d(
            "2.1",
            "Mailbox disabled, not accepting messages",
            "The recipient's mailbox exists but is disabled or suspended.",
        ),
        _d("2.2", "Mailbox full", "The recipient's mailbox is over its storage quota."),
        _d(
            "2.3",
            "Message length exceeds administrative limit",
            "The message is bigger than this mailbox or organisation allows.",
        ),
        _d("2.4", "Mailing list expansion problem", "A mailing list could not be expanded."),
        # X.3 mail system
        _d("3.0", "Other or undefined mail system status", "The receiving mail system has a problem."),
        _d("3.1", "Mail system full", "The receiving server is out of disk space."),
        _d(
            "3.2",
            "System not accepting network messages",
            "The receiving server is not taking mail right now (maintenance, shutdown, overload).",
        ),
        _d("3.3", "System not capable of selected features", "The receiving server lacks a feature the message needs."),
        _d("3.4", "Message too big for system", "The message is larger than the server's maximum message size."),
        _d("3.5", "System incorrectly configured", "The receiving server is misconfigured."),
        _d("3.6", "Requested priority was changed", "The server changed the priority you asked for.", "RFC 6710"),
        # X.4 network and routing
        _d("4.0", "Other or undefined network or routing status", "A network or routing problem between servers."),
        _d("4.1", "No answer from host", "The next server did not answer."),
        _d("4.2", "Bad connection", "The connection to the next server broke."),
        _d("4.3", "Directory server failure", "A lookup (DNS or directory) failed."),
        _d("4.4", "Unable to route", "The server found no route to the destination (often: no MX or A record)."),
        _d("4.5", "Mail system congestion", "The mail system is congested."),
        _d("4.6", "Routing loop detected", "The message went round in a loop between servers."),
        _d("4.7", "Delivery time expired", "The message waited too long in a queue and was given up."),
        _d(
            "4.8",
            "RRVS test cannot be completed",
            "A 'require recipient valid since' check could not be done.",
            "RFC 7293",
        ),
        # X.5 protocol
        _d("5.0", "Other or undefined protocol status", "Something went wrong in the SMTP conversation."),
        _d("5.1", "Invalid command", "The server did not accept a command."),
        _d("5.2", "Syntax error", "A command or its argument was malformed."),
        _d("5.3", "Too many recipients", "The message has more recipients than the server allows per message."),
        _d("5.4", "Invalid command arguments", "A command's argument is not acceptable."),
        _d("5.5", "Wrong protocol version", "The protocol version is not supported."),
        _d(
            "5.6",
            "Authentication Exchange line is too long",
            "The login data sent in one line was too long.",
            "RFC 4954",
        ),
        # X.6 content
        _d("6.0", "Other or undefined media error", "The server did not like the message's content or format."),
        _d("6.1", "Media not supported", "The message uses a format the server does not support."),
        _d("6.2", "Conversion required and prohibited", "The message would need converting, which is not allowed."),
        _d(
            "6.3",
            "Conversion required but not supported",
            "The message would need converting, which the server cannot do.",
        ),
        _d("6.4", "Conversion with loss performed", "The message was converted and lost something."),
        _d("6.5", "Conversion Failed", "A needed conversion failed."),
        _d("6.6", "Message content not available", "The referenced message content could not be fetched.", "RFC 4468"),
        _d(
            "6.7",
            "Non-ASCII addresses not permitted for that sender/recipient",
            "An address with non-ASCII characters is not allowed here.",
            "RFC 6531",
        ),
        _d(
            "6.8",
            "UTF-8 string reply is required, but not permitted by the SMTP client",
            "The server needs to reply in UTF-8 but the client did not allow it.",
            "RFC 6531",
        ),
        _d(
            "6.9",
            "UTF-8 header message cannot be transferred to one or more recipients",
            "A message with UTF-8 headers cannot reach a recipient whose server does not support them.",
            "RFC 6531",
        ),
        # X.7 security or policy
        _d(
            "7.0",
            "Other or undefined security status",
            "A security or policy rule refused the request. After AUTH or before it, it usually means 'log in first' or"
            " 'use TLS first'; 4.7.0 often means a temporary authentication problem or throttling.",
            "RFC 3463, RFC 4954",
        ),
        _d(
            "7.1",
            "Delivery not authorized, message refused",
            "Policy forbids this: the sender is not allowed to send to this recipient, relaying is denied, or the"
            " message was judged as spam.",
        ),
        _d("7.2", "Mailing list expansion prohibited", "You may not send to this mailing list."),
        _d(
            "7.3",
            "Security conversion required but not possible",
            "A security conversion was needed but impossible. (Microsoft also uses 5.7.3 for 'Authentication"
            " unsuccessful'.)",
        ),
        _d("7.4", "Security features not supported", "The requested security feature is not supported."),
        _d("7.5", "Cryptographic failure", "A cryptographic operation failed."),
        _d("7.6", "Cryptographic algorithm not supported", "The cryptographic algorithm is not supported."),
        _d("7.7", "Message integrity failure", "The message's integrity check failed."),
        _d("7.8", "Authentication credentials invalid", "The username or password (or token) was wrong.", "RFC 4954"),
        _d(
            "7.9",
            "Authentication mechanism is too weak",
            "The server will not accept this login method; a stronger one (or an app-specific password) is required.",
            "RFC 4954",
        ),
        _d("7.10", "Encryption Needed", "The server requires an encrypted (TLS) connection for this.", "RFC 5248"),
        _d(
            "7.11",
            "Encryption required for requested authentication mechanism",
            "This login method is only allowed after STARTTLS / over TLS.",
            "RFC 4954",
        ),
        _d(
            "7.12",
            "A password transition is needed",
            "The account's password must be changed or re-entered before login works again.",
            "RFC 4954",
        ),
        _d("7.13", "User Account Disabled", "The sending account is disabled.", "RFC 5248"),
        _d(
            "7.14",
            "Trust relationship required",
            "The server needs a trust relationship with you that does not exist. (Gmail uses 5.7.14 for 'sign in with"
            " your web browser first'.)",
            "RFC 5248",
        ),
        _d("7.15", "Priority Level is too low", "The message's priority is too low to be accepted now.", "RFC 6710"),
        _d(
            "7.16",
            "Message is too big for the specified priority",
            "The message is too big for its priority.",
            "RFC 6710",
        ),
        _d(
            "7.17",
            "Mailbox owner has changed",
            "The recipient mailbox changed owner since the date you asked about.",
            "RFC 7293",
        ),
        _d("7.18", "Domain owner has changed", "The recipient domain changed owner.", "RFC 7293"),
        _d(
            "7.19",
            "RRVS test cannot be completed",
            "A 'require recipient valid since' check cannot be done.",
            "RFC 7293",
        ),
        _d(
            "7.20",
            "No passing DKIM signature found",
            "The message carries no DKIM signature that verifies.",
            "RFC 7372",
        ),
        _d(
            "7.21",
            "No acceptable DKIM signature found",
            "The message's DKIM signatures are not acceptable to the receiver.",
            "RFC 7372",
        ),
        _d(
            "7.22",
            "No valid author-matched DKIM signature found",
            "No valid DKIM signature matches the From: domain.",
            "RFC 7372",
        ),
        _d(
            "7.23",
            "SPF validation failed",
            "The sending server is not listed in the sender domain's SPF record.",
            "RFC 7372",
        ),
        _d(
            "7.24",
            "SPF validation error",
            "The sender domain's SPF record could not be evaluated (broken record or DNS error).",
            "RFC 7372",
        ),
        _d(
            "7.25",
            "Reverse DNS validation failed",
            "The sending IP address has no matching reverse DNS (PTR) name.",
            "RFC 7372",
        ),
        _d(
            "7.26",
            "Multiple authentication checks failed",
            "Several authentication checks failed together (SPF, DKIM, DMARC): the receiver cannot tell the mail really"
            " comes from your domain.",
            "RFC 7372",
        ),
        _d(
            "7.27",
            "Sender address has null MX",
            "The sender's domain says it accepts no mail (null MX), so replies would be impossible. (Gmail also uses"
            " 5.7.27 when a bulk sender's SPF fails.)",
            "RFC 7505",
        ),
        _d(
            "7.28",
            "Mail flood detected",
            "The receiver sees a flood of similar mail from you and is refusing it.",
            "RFC 8689 registry",
        ),
        _d("7.29", "ARC validation failure", "The message's ARC chain did not validate.", "RFC 8617"),
        _d(
            "7.30",
            "REQUIRETLS support required",
            "The message requires TLS all the way, which a server on the path does not support.",
            "RFC 8689",
        ),
    ]
)

# Codes that are not in the IANA registry (or mean something else there) but
# that people meet daily. Keyed by the full code; values carry the provider.
PROVIDER_CODES: dict[str, tuple[str, str, str]] = {
    "5.7.3": (
        "office365",
        "Authentication unsuccessful",
        (
            "Exchange / Microsoft 365 use 5.7.3 when the username or password is wrong, or when Basic authentication is"
            " blocked for the account."
        ),
    ),
    "5.7.57": (
        "office365",
        "Client not authenticated to send mail",
        (
            "Microsoft 365 refuses MAIL FROM because the session did not log in (SMTP AUTH) first, or the login was"
            " silently rejected."
        ),
    ),
    "5.7.60": (
        "office365",
        "Client does not have permissions to send as this sender",
        "The logged-in account is not allowed to send with that From address (no 'Send As' permission).",
    ),
    "5.7.139": (
        "office365",
        "Authentication unsuccessful (SMTP AUTH blocked)",
        (
            "Microsoft 365 refused the login by policy: SMTP AUTH is disabled for the tenant or mailbox, Basic"
            " authentication is blocked, or Security defaults / Conditional Access block it."
        ),
    ),
    "5.7.500": (
        "office365",
        "Access denied / server busy (throttling range 4.7.500-4.7.699)",
        "Microsoft 365 is temporarily throttling your sending IP or account.",
    ),
    "4.7.500": (
        "office365",
        "Server busy, please try again later",
        "Microsoft 365 is temporarily throttling your sending IP or account; it clears on its own if you slow down.",
    ),
    "4.7.66": (
        "office365",
        "TLS 1.0 and 1.1 are not supported",
        "Microsoft 365 only accepts SMTP AUTH submissions over TLS 1.2 or newer.",
    ),
    "5.7.520": (
        "office365",
        "Access denied, organization does not allow external forwarding",
        "An automatic forward to an outside address was blocked by the outbound spam policy.",
    ),
    "5.7.708": (
        "office365",
        "Access denied, traffic not accepted from this IP",
        "Microsoft 365 refuses mail from your sending IP because of its reputation (common for new or trial tenants).",
    ),
    "5.2.252": ("office365", "SendAsDenied", "The logged-in mailbox may not send as the From address you used."),
    "5.7.14": (
        "gmail",
        "Please log in via your web browser",
        (
            "Google blocked the sign-in as suspicious until someone signs in to the account in a browser (or the"
            " account needs an App Password)."
        ),
    ),
    "5.4.5": (
        "gmail",
        "Daily sending quota exceeded",
        (
            "Gmail uses 5.4.5 when an account hits its daily sending limit (in the registry, X.4.5 means 'mail system"
            " congestion')."
        ),
    ),
    "5.7.26": (
        "gmail",
        "Unauthenticated mail (SPF/DKIM/DMARC)",
        "Gmail rejects mail that passes neither SPF nor DKIM, or fails the sender domain's DMARC policy.",
    ),
    "5.7.27": (
        "gmail",
        "SPF did not pass (bulk senders)",
        "Gmail requires bulk senders to pass SPF; this message did not.",
    ),
}


def parse_enhanced(code: str) -> tuple[int, int, int] | None:
    """``"5.7.8"`` -> ``(5, 7, 8)``, or None for anything that is not an enhanced code."""
    m = _CODE.match((code or "").strip())
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def describe(code: str, provider: str | None = None) -> EnhancedInfo | None:
    """Everything we know about an enhanced code, or None if it is not one.

    A provider-specific meaning wins when the code is that provider's (or the
    code is not in the registry at all); otherwise the registry meaning is
    used, and unknown details fall back to the class and subject.
    """
    parts = parse_enhanced(code)
    if parts is None:
        return None
    klass, subject, detail = parts
    code = f"{klass}.{subject}.{detail}"
    class_text, class_meaning = CLASSES[klass]
    subject_text, subject_meaning = SUBJECTS.get(subject, ("Unknown subject", "an unregistered category"))
    key = f"{subject}.{detail}"
    specific = PROVIDER_CODES.get(code)
    if specific is None and klass == 4 and code.startswith("4.7.") and 500 <= detail <= 699:
        specific = PROVIDER_CODES["4.7.500"]
    if specific and (key not in DETAILS or provider == specific[0]):
        who, registry_text, meaning = specific
        return EnhancedInfo(
            code,
            class_text,
            subject_text,
            registry_text,
            meaning,
            source=f"{who} (not in the IANA registry)",
            provider=who,
        )
    if key in DETAILS:
        registry_text, meaning, source = DETAILS[key]
        return EnhancedInfo(code, class_text, subject_text, registry_text, meaning, source=source)
    generic = (
        f"{class_text} {subject_meaning}; detail {detail} is not in the registry, so the server's text is the best"
        " guide."
    )
    return EnhancedInfo(code, class_text, subject_text, "(unregistered detail)", generic, source="")


def explain_enhanced(code: str, provider: str | None = None) -> str:
    """One plain sentence for an enhanced code, including whether to wait or act."""
    info = describe(code, provider)
    if info is None:
        return ""
    klass = int(info.code[0])
    when = CLASSES[klass][1]
    return (
        f"Enhanced code {info.code} ({info.registry_text}) means: {info.meaning} The first digit {klass} says: {when}."
    )
