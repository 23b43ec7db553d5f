"""Bounces: RFC 3464 delivery status notifications and the text-only reports many servers still send.

A bounce answers three questions per failed recipient: who, what the remote
server said (the reply code, the RFC 3463 enhanced status code and its
text), and which server said it. A DSN (``multipart/report;
report-type=delivery-status``) states them in fields (``Final-Recipient``,
``Action``, ``Status``, ``Remote-MTA``, ``Diagnostic-Code``); text bounces
(Exim's "This message was created automatically by mail delivery software",
qmail's "Hi. This is the qmail-send program", Postfix without DSN, Sendmail's
transcript, Exchange and Office 365 NDRs in HTML, Domino, Courier, …) state
them in prose that follows a few stable shapes: the recipient on a line of
its own or ahead of a colon, then the remote server's reply.

So the text reader is generic rather than one parser per MTA: it cuts the
human-readable part off the returned original message, finds the recipients
(``X-Failed-Recipients``, address-shaped lines, ``RCPT TO:<…>`` in a
transcript), and reads each recipient's block for the reply code, the
enhanced code (``5.1.1``, qmail's ``(#5.1.1)``), the remote host and the
SMTP command it answered. Where a bounce states no enhanced code, none is
invented here: `status_source` says "none", and the checks layer may name
the likely one from the reply rules ("inferred").

Auto-replies (RFC 3834) and feedback reports (ARF, RFC 5965) are recognised
as *not* bounces. Nothing here raises on bad input: the result says what
could not be read.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import html
import re
from dataclasses import dataclass, field
from typing import Any

from smtpkit.evidence.headers import decode_words

__all__ = [
    "MAX_BOUNCE_BYTES",
    "Bounce",
    "BounceRecipient",
    "parse_bounce",
]

MAX_BOUNCE_BYTES = 26 * 1024 * 1024  # read from a file
MAX_PARSE_BYTES = 4 * 1024 * 1024  # parsed as MIME: the report comes first, the returned original last
MAX_PARTS = 200  # MIME parts walked
MAX_TEXT_CHARS = 200_000  # human-readable text read for recipients and replies
MAX_RECIPIENTS = 500
MAX_DIAGNOSTIC = 1000

_ADDR = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
_ADDR_RX = re.compile(rf"(?<![A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.@-])({_ADDR})(?![A-Za-z0-9-])")
_ENHANCED_RX = re.compile(r"(?<![\d.#])(?:#)?([245])\.(\d{1,3})\.(\d{1,3})(?![\d])(?!\.\d)")
_QMAIL_CODE = re.compile(r"\(#([245])\.(\d{1,3})\.(\d{1,3})\)")
_REPLY_RX = re.compile(r"(?:^|[\s:;>'\"(\[#]|said:?|<<<)\s*([45][0-5]\d)(?=[ -]|$)(?![ -]?\d{2,}\b[^.])", re.MULTILINE)
_REPLY_LINE_RX = re.compile(r"(?<![\d./-])(?<!\d:)([45][0-5]\d)(?:[ -](?=\S)|$)")

# Where the returned original message starts: the rest is the sender's own mail, not the report.
_ORIGINAL_MARKERS = re.compile(
    r"^\s*(?:-{2,}\s*)?(?:"
    r"this is a copy of the message|below this line is a copy of the message|original message"
    r"|returned message|the original message (?:was|is)|original message headers|message headers follow"
    r"|headers of the original message|unsent message below|\*\*\* ?original|the message you sent"
    r"|your message reads|content-type: message/rfc822|original mail header"
    r")",
    re.IGNORECASE | re.MULTILINE,
)

_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery (status notification|fail|failure|problem|has failed|notification)|returned mail"
    r"|failure notice|mail delivery (failed|system|subsystem)|non[- ]?delivery|could not be delivered"
    r"|not delivered|delivery failure|mail system error|returned to sender|rejected|nondeliverable"
    r"|unzustellbar|non remis|no se puede entregar|mail could not|message not delivered|delayed mail"
    r"|warning: could not send|permanent error|message delivery failure|delivery notification"
    r"|^\s*dsn\b|^\s*ndn\b|unable to deliver|mail failure|bounce)",
    re.IGNORECASE,
)
_DAEMON_FROM = re.compile(
    r"(mailer-daemon|post_?master|ndr\b|mail delivery|mail\.?delivery|bounce|mdaemon|daemon@)", re.I
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesenheit|vacation|away from"
    r"|autoreply|auto:|réponse automatique|risposta automatica)",
    re.IGNORECASE,
)
_TEXT_BOUNCE_SIGNS = re.compile(
    r"(could not be delivered|couldn't be delivered|delivery (has )?failed|undeliverable|permanent (fatal )?error"
    r"|failed permanently|user unknown|no such (user|mailbox)|address not found|unable to deliver"
    r"|the following address(es)? failed|qmail-send program|returned to sender|delivery to the following"
    r"|not delivered|transcript of session|mailbox (is )?(full|unavailable)|did not reach|not listed in)",
    re.IGNORECASE,
)

# The bounce writer, from its own wording (shown in the report; recipients are read generically).
_WRITERS: tuple[tuple[str, str], ...] = (
    ("exim", r"created automatically by mail delivery software"),
    ("qmail", r"this is the qmail-send program"),
    ("postfix", r"this is the mail system at host"),
    ("courier", r"courier mail server|this is a delivery status notification from"),
    ("opensmtpd", r"this is the mailer-daemon, please do not reply|opensmtpd"),
    ("sendmail", r"the original message was received at|-{3,} ?transcript of session follows"),
    ("office365", r"office ?365|protection\.outlook\.com|your message to .{0,200} couldn't be delivered"),
    ("exchange", r"delivery has failed to these recipients|did not reach the following recipient|microsoft exchange"),
    ("gmail", r"delivery to the following recipient failed|google\.com|gmail"),
    ("yahoo", r"yahoo"),
    ("amazonses", r"amazonses|amazon ses"),
    ("sendgrid", r"sendgrid"),
    ("domino", r"domino|lotus notes"),
    ("zimbra", r"zimbra"),
    ("mdaemon", r"mdaemon"),
    ("hmailserver", r"hmailserver"),
)


@dataclass
class BounceRecipient:
    """One recipient the bounce reports on."""

    recipient: str
    action: str = ""  # failed, delayed, delivered, relayed, expanded (RFC 3464 §2.3.3)
    status: str = ""  # the enhanced status code, e.g. 5.1.1
    reply: str = ""  # the SMTP reply code, e.g. 550
    remote_mta: str = ""
    reporting_mta: str = ""
    diagnostic: str = ""
    stage: str = ""  # the command the reply answered: mail, rcpt, data, message; "" unknown
    status_source: str = ""  # dsn (the Status field), text (stated in the text), none
    original_recipient: str = ""

    def to_row(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "action": self.action,
            "status": self.status,
            "reply": self.reply,
            "remote_mta": self.remote_mta,
            "reporting_mta": self.reporting_mta,
            "diagnostic": self.diagnostic,
            "stage": self.stage,
            "status_source": self.status_source,
        }


@dataclass
class Bounce:
    """What one message is, and, for a bounce, every recipient it reports on."""

    kind: str = "unreadable"  # dsn, text, auto-reply, feedback-report, not-a-bounce, unreadable
    writer: str = ""  # the MTA or provider that wrote it, when its wording says so
    recipients: list[BounceRecipient] = field(default_factory=list)
    reporting_mta: str = ""
    subject: str = ""
    from_: str = ""
    date: str = ""
    problem: str = ""  # why it could not be read (kind == unreadable), or a note
    feedback_type: str = ""  # ARF
    truncated: bool = False

    @property
    def is_bounce(self) -> bool:
        return self.kind in ("dsn", "text")

    @property
    def failed(self) -> list[BounceRecipient]:
        return [r for r in self.recipients if r.action in ("failed", "delayed", "")]


# ---------------------------------------------------------------------------------------------- helpers


def _text_of(part: email.message.Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except (LookupError, UnicodeError):
        return payload.decode("latin-1", errors="replace")


def _html_to_text(text: str) -> str:
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", text[:MAX_TEXT_CHARS])
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h\d|table)>", "\n", text)
    text = re.sub(r"<[^>]{0,2000}>", " ", text)
    text = html.unescape(text)
    return re.sub(r"[ \t\xa0]+", " ", text)


def _unfold_block(text: str) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") and fields:
            k, v = fields[-1]
            fields[-1] = (k, f"{v} {line.strip()}")
            continue
        k, colon, v = line.partition(":")
        if colon and re.match(r"^[A-Za-z][A-Za-z0-9-]{0,60}$", k.strip()):
            fields.append((k.strip(), v.strip()))
    return fields


def _dsn_groups(part: email.message.Message) -> list[list[tuple[str, str]]]:
    """The field groups of a message/delivery-status part: per-message first, then per-recipient."""
    payload = part.get_payload()
    blocks = [p for p in payload if isinstance(p, email.message.Message)] if isinstance(payload, list) else []
    if blocks:
        groups = [[(str(k), decode_words(str(v))) for k, v in p.items()] for p in blocks]
        # a group the parser could not split (no blank line between groups) hides in a payload
        for p in blocks:
            tail = p.get_payload()
            if isinstance(tail, str) and re.search(r"(?im)^(final-recipient|original-recipient)\s*:", tail):
                groups += [_unfold_block(g) for g in re.split(r"\n\s*\n", tail.replace("\r\n", "\n"))]
        return [g for g in groups if g]
    text = _text_of(part).replace("\r\n", "\n")
    return [g for g in (_unfold_block(b) for b in re.split(r"\n\s*\n", text[:MAX_TEXT_CHARS])) if g]


def _typed(value: str) -> str:
    """``rfc822; bob@example.com`` -> ``bob@example.com``; ``dns; mx.example.com`` -> ``mx.example.com``."""
    _, semi, rest = value.partition(";")
    out = (rest if semi else value).strip().strip("<>").strip()
    return out[:320]


def _enhanced_in(text: str) -> str:
    m = _QMAIL_CODE.search(text)
    if m:
        return ".".join(m.groups())
    m = _ENHANCED_RX.search(text)
    return ".".join(m.groups()) if m else ""


def _diag_enhanced(text: str) -> str:
    """The enhanced code the remote server gave: the one after its reply code ("550 5.7.1"), else the first."""
    m = re.search(r"(?<![\d.])[45]\d\d[ -]['\"]?#?([245]\.\d{1,3}\.\d{1,3})(?![\d])(?!\.\d)", text)
    return m.group(1) if m else _enhanced_in(text)


def _reply_in(text: str) -> str:
    for m in _REPLY_LINE_RX.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()]
        if re.search(r"(port|id|bits|size|/|#|\.)\s*$", before, re.I):
            continue
        return m.group(1)
    return ""


def _stage_in(text: str) -> str:
    t = text.lower()
    if re.search(r"(rcpt to|after rcpt|in reply to rcpt|recipient address rejected|rcpt command)", t):
        return "rcpt"
    if re.search(r"(end of (data|message)|after data|in reply to end of data|data command|after end of|final data)", t):
        return "message"
    if re.search(r"(mail from|after mail|sender address rejected|in reply to mail)", t):
        return "mail"
    return ""


_HOST_RX = re.compile(
    r"(?:remote host|host|server|while talking to|generating server:|remote server|mta|reporting-mta:|"
    r"remote-mta:)\s*(?:dns;\s*)?\[?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+)\]?",
    re.IGNORECASE,
)


def _host_in(text: str) -> str:
    for m in _HOST_RX.finditer(text):
        h = m.group(1).rstrip(".")
        if "." in h and not h.lower().endswith((".eml", ".txt", ".html")) and not re.match(r"^\d+\.\d+$", h):
            return h[:255]
    return ""


def _clean_diag(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text[:MAX_DIAGNOSTIC]


def _permanence(text: str, status: str, reply: str) -> str:
    if status:
        return "failed" if status[0] == "5" else "delayed" if status[0] == "4" else "delivered"
    if reply:
        return "failed" if reply[0] == "5" else "delayed"
    if re.search(
        r"(will (keep|continue) trying|still trying|delayed|temporar|will be retried|not yet been delivered)",
        text,
        re.I,
    ):
        return "delayed"
    return "failed"


# ---------------------------------------------------------------------------------------------- the parts


@dataclass
class _Parts:
    delivery_status: list[email.message.Message] = field(default_factory=list)
    feedback: list[email.message.Message] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # human-readable text, outside returned messages
    htmls: list[str] = field(default_factory=list)
    report_type: str = ""


def _walk(msg: email.message.Message) -> _Parts:
    out = _Parts()
    if msg.get_content_type() == "multipart/report":
        out.report_type = (msg.get_param("report-type") or "").__str__().lower()
    count = 0

    def visit(part: email.message.Message, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_PARTS or depth > 10:
            return
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            out.delivery_status.append(part)
            return
        if ctype == "message/feedback-report":
            out.feedback.append(part)
            return
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, email.message.Message) and inner.get_content_type() == "multipart/report":
                visit(inner, depth + 1)  # a bounce forwarded as an attachment
            return  # otherwise the returned original: not the report
        if ctype in ("text/rfc822-headers", "message/global-headers"):
            return
        payload = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(payload, str):
            out.texts.append(payload[:MAX_TEXT_CHARS])  # no boundary matched: the body is all we have
            return
        if part.is_multipart():
            if isinstance(payload, list):
                for sub in payload:
                    if isinstance(sub, email.message.Message):
                        visit(sub, depth + 1)
            return
        if ctype == "text/plain" or ctype == "text" or part.get_content_maintype() == "text" and ctype != "text/html":
            out.texts.append(_text_of(part)[:MAX_TEXT_CHARS])
        elif ctype == "text/html":
            out.htmls.append(_text_of(part)[:MAX_TEXT_CHARS])

    visit(msg, 0)
    return out


def _report_text(parts: _Parts) -> str:
    text = "\n".join(parts.texts)
    if not text.strip() and parts.htmls:
        text = _html_to_text("\n".join(parts.htmls))
    text = text.replace("\r\n", "\n").replace("\r", "\n")[:MAX_TEXT_CHARS]
    return text


def _cut_original(text: str) -> str:
    """The report without the returned original message (its headers would add false recipients)."""
    m = _ORIGINAL_MARKERS.search(text)
    if m and m.start() > 0:
        text = text[: m.start()]
    # a returned header block pasted inline ("Return-Path: ...\nReceived: ...") ends the report too
    m = re.search(r"(?im)^(Return-Path|Received|Message-ID|DKIM-Signature)\s*:", text)
    if m and m.start() > 40:
        text = text[: m.start()]
    return text


# ---------------------------------------------------------------------------------------------- DSN


def _from_dsn(parts: _Parts, out: Bounce) -> None:
    for part in parts.delivery_status:
        groups = _dsn_groups(part)
        if not groups:
            continue
        per_message: dict[str, str] = {}
        start = 0
        if not any(k.lower() in ("final-recipient", "original-recipient") for k, _ in groups[0]):
            per_message = {k.lower(): v for k, v in groups[0]}
            start = 1
        reporting = _typed(per_message.get("reporting-mta", ""))
        out.reporting_mta = out.reporting_mta or reporting
        for g in groups[start:]:
            f = {k.lower(): v for k, v in reversed(g)}
            rcpt = _typed(f.get("final-recipient", "") or f.get("original-recipient", ""))
            if not rcpt and not f.get("status"):
                continue
            diag = f.get("diagnostic-code", "")
            diag_text = _typed(diag) if diag.lower().startswith(("smtp;", "x-", "smtp ;")) or ";" in diag[:20] else diag
            status_field = f.get("status", "").strip()
            status = _enhanced_in(status_field.split("(")[0]) or ""
            diag_status = _diag_enhanced(diag_text)
            # "Status: 5.0.0" with "Diagnostic-Code: smtp; 550 5.7.1 ..." : the remote server's own code is
            # the precise one (the Status field is the reporting MTA's summary of it)
            if status and diag_status and status[0] == diag_status[0]:
                status = diag_status
            r = BounceRecipient(
                recipient=rcpt,
                original_recipient=_typed(f.get("original-recipient", "")),
                action=f.get("action", "").strip().lower().split()[0] if f.get("action", "").strip() else "",
                status=status or diag_status,
                reply=_reply_in(diag_text),
                remote_mta=_typed(f.get("remote-mta", "")),
                reporting_mta=reporting,
                diagnostic=_clean_diag(decode_words(diag_text)),
                status_source="dsn" if status else ("text" if diag_status else "none"),
            )
            r.stage = _stage_in(diag_text)
            if not r.action:
                r.action = _permanence(diag_text, r.status, r.reply)
            out.recipients.append(r)
            if len(out.recipients) >= MAX_RECIPIENTS:
                return


# ---------------------------------------------------------------------------------------------- text


def _sender_side(msg: email.message.Message, text: str) -> set[str]:
    """Addresses that are the bounce's own sender side, never a failed recipient."""
    out: set[str] = set()
    for name in ("To", "From", "Return-Path", "Reply-To", "Sender", "Cc"):
        for v in msg.get_all(name, []) or []:
            out.update(a.lower() for a in _ADDR_RX.findall(decode_words(str(v))))
    for m in re.finditer(r"mail from:?\s*<?(" + _ADDR + ")", text, re.I):
        out.add(m.group(1).lower())
    for m in re.finditer(r"(?:envelope-from|return-path)[:= ]\s*<?(" + _ADDR + ")", text, re.I):
        out.add(m.group(1).lower())
    return out


_ADDRESS_LINE = re.compile(
    rf"^[\s>*•-]*(?:\d+\.\s*)?(?:recipient:\s*|to:\s*|address:\s*|rcpt to:\s*)?<?(?:mailto:)?({_ADDR})>?\s*"
    r"(?:[:;,.]|\.\.\.|\bon\b|\bsaid\b|\(|\[|$|\s+[A-Z0-9(<#])",
    re.IGNORECASE | re.MULTILINE,
)
_ADDRESS_CONTEXT = re.compile(
    rf"(?:rcpt to:?\s*<?|recipient[^\n:]{{0,40}}:\s*<?|failed[^\n:]{{0,40}}:\s*<?|to\s+<"
    rf"|address(?:es)?[^\n:]{{0,40}}:\s*<?|delivered to:?\s*<?|<)({_ADDR})",
    re.IGNORECASE,
)
_BORING_LOCAL = re.compile(
    r"^(mailer-daemon|postmaster|abuse|noreply|no-reply|support|help|hostmaster|webmaster)@", re.I
)


def _text_recipients(msg: email.message.Message, text: str) -> list[tuple[str, int]]:
    """(address, offset of its first mention in the report), in order."""
    exclude = _sender_side(msg, text)
    found: dict[str, int] = {}
    failed = msg.get_all("X-Failed-Recipients", []) or []
    for v in failed:
        for a in _ADDR_RX.findall(str(v)):
            pos = text.lower().find(a.lower())
            found.setdefault(a.lower(), pos if pos >= 0 else 0)
    if found:
        return sorted(found.items(), key=lambda kv: kv[1])

    def add(addr: str, pos: int, *, strict: bool = False) -> None:
        a = addr.strip(".").lower()
        if a in exclude or a in found or (strict and _BORING_LOCAL.match(a)):
            return
        line_start = text.rfind("\n", 0, pos) + 1
        if re.match(r"\s*(message-id|references|in-reply-to)\s*:", text[line_start:pos], re.I):
            return  # a message id looks like an address
        found[a] = pos

    for m in _ADDRESS_LINE.finditer(text):
        add(m.group(1), m.start(1))
    for m in _ADDRESS_CONTEXT.finditer(text):
        add(m.group(1), m.start(1))
    if not found:
        for m in _ADDR_RX.finditer(text):
            add(m.group(1), m.start(1), strict=True)
    return sorted(found.items(), key=lambda kv: kv[1])[:MAX_RECIPIENTS]


def _block(text: str, start: int, end: int) -> str:
    return text[start:end] if end > start else text[start : start + 2000]


def _diagnostic_from(block: str, reply: str) -> str:
    if reply:
        m = re.search(rf"(?<![\d.]){reply}[ -]", block)
        if m:
            return _clean_diag(block[m.start() :])
    lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
    return _clean_diag(" ".join(lines[1:] or lines))


def _original_to(msg: email.message.Message, text: str, report: str) -> list[tuple[str, int]]:
    """The returned original's To, when the report itself names nobody (old Sendmail, MMS gateways)."""
    exclude = _sender_side(msg, text)
    candidates: list[str] = []
    tail = text[len(report) :]
    for m in re.finditer(r"(?im)^to:[ \t]*(.+)$", tail[:50_000]):
        candidates += _ADDR_RX.findall(m.group(1))
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, email.message.Message):
                candidates += _ADDR_RX.findall(decode_words(str(inner.get("To", ""))))
            elif isinstance(inner, str):
                m2 = re.search(r"(?im)^to:[ \t]*(.+)$", inner[:50_000])
                candidates += _ADDR_RX.findall(m2.group(1)) if m2 else []
    out: list[tuple[str, int]] = []
    for a in candidates:
        if a.lower() not in exclude and a.lower() not in [x for x, _ in out]:
            out.append((a.lower(), len(report)))
    return out[:1] if len(out) >= 1 else []


def _from_text(msg: email.message.Message, text: str, out: Bounce) -> None:
    report = _cut_original(text)
    recipients = _text_recipients(msg, report) or _original_to(msg, text, report)
    whole_status = _enhanced_in(report)
    whole_reply = _reply_in(report)
    whole_host = _host_in(report)
    for n, (addr, pos) in enumerate(recipients):
        nxt = recipients[n + 1][1] if n + 1 < len(recipients) else len(report)
        block = _block(report, pos, nxt)
        status = _enhanced_in(block)
        reply = _reply_in(block[len(addr) :])
        source = "text" if status else "none"
        if not status and len(recipients) == 1 and whole_status:
            status, source = whole_status, "text"
        if not reply and len(recipients) == 1:
            reply = whole_reply
        diag = _diagnostic_from(block[len(addr) :], reply)
        if not diag.strip() and len(recipients) == 1:
            diag = _clean_diag(report)
        r = BounceRecipient(
            recipient=addr,
            status=status,
            reply=reply,
            remote_mta=_host_in(block) or (whole_host if len(recipients) == 1 else ""),
            reporting_mta=out.reporting_mta,
            diagnostic=diag,
            stage=_stage_in(block) or (_stage_in(report) if len(recipients) == 1 else ""),
            status_source=source,
        )
        r.action = _permanence(block, r.status, r.reply)
        out.recipients.append(r)


def _merge_text_into_dsn(out: Bounce, text_bounce: Bounce) -> None:
    """A DSN that leaves fields empty (no Diagnostic-Code, no Remote-MTA) is completed from its text."""
    by_addr = {r.recipient.lower(): r for r in text_bounce.recipients}
    for r in out.recipients:
        t = by_addr.get(r.recipient.lower()) or (
            text_bounce.recipients[0] if len(text_bounce.recipients) == 1 else None
        )
        if t is None:
            continue
        if not r.diagnostic and t.diagnostic:
            r.diagnostic = t.diagnostic
        if not r.reply and t.reply:
            r.reply = t.reply
        if not r.remote_mta and t.remote_mta:
            r.remote_mta = t.remote_mta
        if not r.stage and t.stage:
            r.stage = t.stage
        if t.status and (not r.status or (r.status.endswith(".0.0") and t.status[0] == r.status[0])):
            # "Status: 5.0.0" and the text quotes the remote reply "550 5.7.26 ...": the text is precise
            r.status, r.status_source = t.status, "text"


# ---------------------------------------------------------------------------------------------- entry


def _header(msg: email.message.Message, name: str) -> str:
    try:
        v = msg.get(name)
    except Exception:
        return ""
    return decode_words(str(v)) if v is not None else ""


def parse_bounce(data: bytes, *, truncated: bool = False) -> Bounce:
    """Read one message as a bounce; never raises. `kind` says what it turned out to be."""
    out = Bounce(truncated=truncated)
    if not data.strip():
        out.problem = "the input is empty"
        return out
    try:
        if len(data) > MAX_PARSE_BYTES:
            out.truncated = True
            data = data[:MAX_PARSE_BYTES]
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
    except Exception as exc:  # the standard parser is lenient; this keeps the promise if it is not
        out.problem = f"not an e-mail message ({type(exc).__name__})"
        return out
    out.subject = _header(msg, "Subject")[:300]
    out.from_ = _header(msg, "From")[:300]
    out.date = _header(msg, "Date")[:100]
    if not msg.keys():
        out.problem = "no header fields could be read: this is not an e-mail message"
        return out
    try:
        parts = _walk(msg)
    except Exception as exc:
        out.problem = f"its MIME structure could not be read ({type(exc).__name__})"
        return out
    text = _report_text(parts)
    out.writer = _writer(text, out.from_, msg)

    if parts.feedback or parts.report_type == "feedback-report":
        out.kind = "feedback-report"
        for p in parts.feedback:
            groups = _dsn_groups(p)
            fields = {k.lower(): v for g in groups for k, v in g}
            out.feedback_type = fields.get("feedback-type", "")[:60]
        return out
    if not parts.delivery_status and re.search(r"(?im)^final-recipient\s*:", text):
        # a broken MIME structure (a boundary that matches no part) hides the DSN part in the text
        fake = email.message.Message()
        fake.set_payload(text[re.search(r"(?im)^(reporting-mta|final-recipient)\s*:", text).start() :])  # type: ignore[union-attr]
        parts.delivery_status.append(fake)
    if parts.delivery_status:
        out.kind = "dsn"
        _from_dsn(parts, out)
        text_view = Bounce()
        _from_text(msg, text, text_view)
        if out.recipients:
            _merge_text_into_dsn(out, text_view)
            return out
        # a DSN part with no per-recipient group: the text must say it
        out.recipients = text_view.recipients
        out.kind = "dsn" if out.recipients else "unreadable"
        if not out.recipients:
            out.problem = "the delivery-status part names no recipient, and neither does the text"
        return out

    if _from_json(text, out):
        return out
    bounce_signs = _looks_like_bounce(msg, out, text)
    if not bounce_signs and _looks_like_auto_reply(msg, out):
        out.kind = "auto-reply"
        return out
    if not bounce_signs:
        out.kind = "not-a-bounce"
        out.problem = "no delivery-status part, no bounce sender or subject, and no failure wording"
        return out
    out.kind = "text"
    _from_text(msg, text, out)
    if not out.recipients:
        out.kind = "unreadable"
        out.problem = "it looks like a bounce, but no failed recipient address could be found in its text"
    return out


_JSON_START = re.compile(r'\{\s*"(?:notificationType|eventType)"\s*:\s*"Bounce"')


def _from_json(text: str, out: Bounce) -> bool:
    """Amazon SES bounce notifications (SNS e-mail subscriptions carry the JSON as the body)."""
    import json

    m = _JSON_START.search(text)
    if m is None:
        return False
    try:
        doc, _ = json.JSONDecoder().raw_decode(text[m.start() : m.start() + 1_000_000])
    except ValueError:
        return False
    bounce = doc.get("bounce") if isinstance(doc, dict) else None
    if not isinstance(bounce, dict):
        return False
    out.kind, out.writer = "dsn", out.writer or "amazonses"
    out.reporting_mta = _typed(str(bounce.get("reportingMTA", "")))
    permanent = str(bounce.get("bounceType", "")).lower() == "permanent"
    for item in (bounce.get("bouncedRecipients") or [])[:MAX_RECIPIENTS]:
        if not isinstance(item, dict):
            continue
        diag = _typed(str(item.get("diagnosticCode", "")))
        status = _enhanced_in(str(item.get("status", ""))) or _diag_enhanced(diag)
        out.recipients.append(
            BounceRecipient(
                recipient=str(item.get("emailAddress", ""))[:320],
                action=str(item.get("action", "") or ("failed" if permanent else "delayed")),
                status=status,
                reply=_reply_in(diag),
                remote_mta=_host_in(diag),
                reporting_mta=out.reporting_mta,
                diagnostic=_clean_diag(diag),
                stage=_stage_in(diag),
                status_source="dsn" if status else "none",
            )
        )
    return bool(out.recipients)


def _looks_like_bounce(msg: email.message.Message, out: Bounce, text: str) -> bool:
    score = 0
    if _DAEMON_FROM.search(out.from_):
        score += 2
    if _BOUNCE_SUBJECT.search(out.subject):
        score += 2
    if msg.get("X-Failed-Recipients"):
        score += 3
    rp = str(msg.get("Return-Path", "") or "").strip()
    if rp in ("<>", ""):
        score += 1 if rp == "<>" else 0
    if _TEXT_BOUNCE_SIGNS.search(text[:20000]):
        score += 2
    if any(p.get_content_type() in ("message/rfc822", "text/rfc822-headers") for p in msg.walk()):
        score += 1
    return score >= 3


def _looks_like_auto_reply(msg: email.message.Message, out: Bounce) -> bool:
    auto = str(msg.get("Auto-Submitted", "") or "").lower()
    if auto.startswith("auto-replied"):
        return True
    if (
        msg.get("X-Autoreply")
        or msg.get("X-Autorespond")
        or msg.get("X-Auto-Response-Suppress")
        and _AUTO_REPLY_SUBJECT.search(out.subject)
    ):
        return True
    if str(msg.get("Precedence", "")).lower().strip() == "auto_reply":
        return True
    return bool(_AUTO_REPLY_SUBJECT.search(out.subject))


def _writer(text: str, from_: str, msg: email.message.Message) -> str:
    sample = f"{from_}\n{text[:5000]}\n{msg.get('X-Mailer', '')}\n{msg.get('Received', '')}"
    for name, pattern in _WRITERS:
        if re.search(pattern, sample, re.IGNORECASE):
            return name
    return ""
