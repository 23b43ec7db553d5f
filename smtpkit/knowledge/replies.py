"""SMTP reply codes (RFC 5321 §4.2) in plain words, and the parsing of reply text.

A server's reply is three digits, an optional enhanced status code (RFC 3463,
``5.7.8``) and free text. People paste the whole thing into a search engine;
we instead say what each part means, so the first digit alone already tells
a stressed reader whether to wait (4xx) or to change something (5xx).

Everything here is pure: the SMTP engine hands us the code and the text it
read, and gets words back.
"""

from __future__ import annotations

import re

from smtpkit.record import field, record

__all__ = [
    "Reply",
    "ReplyInfo",
    "REPLY_CODES",
    "reply_class",
    "reply_info",
    "explain_reply",
    "split_enhanced",
    "parse_reply_text",
    "normalize_text",
    "format_reply",
    "is_expected",
]

# An enhanced status code at the start of a line: class 2/4/5, subject 0-9
# (three digits allowed by the RFC), detail up to three digits.
# re.ASCII: reply text comes from servers and pastes, and \d alone matches every Unicode digit
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$|[,;:])", re.ASCII)
_WIRE_LINE = re.compile(r"^(\d{3})([ -]?)(.*)$", re.ASCII)


@record(frozen=True)
class ReplyInfo:
    """One reply code: the RFC's own words and what they mean for the reader."""

    code: int
    rfc_text: str
    meaning: str


def _r(code: int, rfc_text: str, meaning: str) -> tuple[int, ReplyInfo]:
    return code, ReplyInfo(code, rfc_text, meaning)


# RFC 5321 §4.2.2/§4.2.3, plus the codes of the extensions every submission
# server speaks: STARTTLS (RFC 3207), AUTH (RFC 4954), SIZE (RFC 1870).
REPLY_CODES: dict[int, ReplyInfo] = dict(
    [
        _r(211, "System status, or system help reply", "The server answered a status or help request."),
        _r(214, "Help message", "The server sent help text meant for a human."),
        _r(
            220,
            "<domain> Service ready",
            "The server is ready: the greeting, or the go-ahead to start TLS after STARTTLS.",
        ),
        _r(
            221,
            "<domain> Service closing transmission channel",
            "The server is closing the connection politely (usually after QUIT).",
        ),
        _r(235, "Authentication successful", "The server accepted the username and password (or token)."),
        _r(250, "Requested mail action okay, completed", "The command worked: the server accepted it."),
        _r(
            251,
            "User not local; will forward to <forward-path>",
            "The recipient is elsewhere, but the server will pass the message on.",
        ),
        _r(
            252,
            "Cannot VRFY user, but will accept message and attempt delivery",
            "The server will not confirm the address exists, but will try to deliver.",
        ),
        _r(
            334,
            "Server challenge (AUTH)",
            "The server is waiting for the next piece of the login (a base64 challenge).",
        ),
        _r(354, "Start mail input; end with <CRLF>.<CRLF>", "The server is ready for the message itself."),
        _r(
            421,
            "<domain> Service not available, closing transmission channel",
            "The server is temporarily refusing and is hanging up: it is busy, overloaded, throttling you, or shutting"
            " down. Retrying later may work.",
        ),
        _r(
            432,
            "A password transition is needed",
            "The server wants the password changed (or re-entered in a new format) before it accepts a login (RFC"
            " 4954).",
        ),
        _r(
            450,
            "Requested mail action not taken: mailbox unavailable",
            "A temporary refusal for this mailbox or sender: busy, greylisting, or a policy that wants you to try again"
            " later.",
        ),
        _r(
            451,
            "Requested action aborted: local error in processing",
            "A temporary error on the server's side (or a deliberate 'try again later', as greylisting and throttling"
            " do).",
        ),
        _r(
            452,
            "Requested action not taken: insufficient system storage",
            "The server temporarily cannot take more: out of space, or too many recipients in one message.",
        ),
        _r(
            454,
            "TLS not available due to temporary reason / Temporary authentication failure",
            "Something temporary failed: TLS could not start, the login back-end was unavailable, or you are being"
            " throttled; retry later.",
        ),
        _r(
            455,
            "Server unable to accommodate parameters",
            "The server cannot handle the parameters given to MAIL or RCPT right now.",
        ),
        _r(
            500,
            "Syntax error, command unrecognized",
            "The server did not understand the command (or the line was too long).",
        ),
        _r(
            501,
            "Syntax error in parameters or arguments",
            "The command was understood but its argument was not: a malformed address, name or base64 string.",
        ),
        _r(502, "Command not implemented", "The server does not support this command at all."),
        _r(
            503,
            "Bad sequence of commands",
            "The command came at the wrong moment (for example AUTH twice, or RCPT before MAIL).",
        ),
        _r(
            504,
            "Command parameter not implemented",
            "The server does not support this parameter, e.g. this AUTH mechanism.",
        ),
        _r(521, "Host does not accept mail", "This server never accepts mail (RFC 7504)."),
        _r(523, "Encryption Needed", "The server requires an encrypted connection for this (RFC 5248)."),
        _r(
            530,
            "Authentication required / Must issue STARTTLS first",
            "The server refuses until you log in, or until you switch the connection to TLS.",
        ),
        _r(
            534,
            "Authentication mechanism is too weak",
            "The server will not accept this way of logging in; with Gmail it means an App Password is required.",
        ),
        _r(535, "Authentication credentials invalid", "The server rejected the username and password (or token)."),
        _r(
            538,
            "Encryption required for requested authentication mechanism",
            "The server accepts this login only over TLS.",
        ),
        _r(
            550,
            "Requested action not taken: mailbox unavailable",
            "A permanent refusal: the mailbox does not exist, or policy forbids this sender, recipient or message.",
        ),
        _r(
            551,
            "User not local; please try <forward-path>",
            "The server will not handle this recipient; it is not theirs.",
        ),
        _r(
            552,
            "Requested mail action aborted: exceeded storage allocation",
            "Too big: the message exceeds a size limit, or the recipient's mailbox is full.",
        ),
        _r(
            553,
            "Requested action not taken: mailbox name not allowed",
            "The address is not allowed: bad syntax, or the server will not let you use it.",
        ),
        _r(
            554,
            "Transaction failed / No SMTP service here",
            "A permanent failure of the whole transaction; at the greeting it means 'no service for you'.",
        ),
        _r(
            555,
            "MAIL FROM/RCPT TO parameters not recognized or not implemented",
            "The server did not accept an extra parameter on MAIL or RCPT (such as SIZE= or SMTPUTF8).",
        ),
        _r(
            556,
            "Domain does not accept mail",
            "The recipient's domain publishes that it accepts no mail (null MX, RFC 7504).",
        ),
    ]
)

_CLASS_MEANING = {
    2: "success",
    3: "the server is waiting for more input",
    4: "a temporary failure: the same thing may work later, nothing needs to change",
    5: "a permanent failure: retrying the same thing will fail the same way; something must change",
}


def reply_class(code: int) -> int:
    """The first digit: 2 success, 3 go on, 4 temporary failure, 5 permanent failure."""
    return int(code) // 100


def reply_info(code: int) -> ReplyInfo:
    """The known entry for `code`, or a generic one built from its first digit."""
    code = int(code)
    if code in REPLY_CODES:
        return REPLY_CODES[code]
    cls = reply_class(code)
    meaning = _CLASS_MEANING.get(cls, "a reply code outside the SMTP standard")
    return ReplyInfo(
        code, "(not a standard reply code)", f"Not a standard code; its first digit {cls} means {meaning}."
    )


def explain_reply(code: int) -> str:
    """One sentence a non-specialist can act on: what reply `code` means."""
    info = reply_info(code)
    cls = reply_class(code)
    kind = {4: " (temporary)", 5: " (permanent)"}.get(cls, "")
    return f"Reply {info.code}{kind} means: {info.meaning}"


def is_expected(stage: str, code: int) -> bool:
    """True for a reply that lets the conversation go on at `stage`.

    2xx is always fine; 334 is fine during AUTH (the server wants the next
    piece) and 354 after DATA (send the message now).
    """
    code = int(code)
    if 200 <= code < 300:
        return True
    if code == 334 and stage == "auth":
        return True
    if code == 354 and stage in ("data", "message"):
        return True
    return False


def reply_line(code: int, text: str) -> str:
    """A reply as one line of words, as a finding's text quotes it: ``550 5.7.1 Our system ... mail.`` for a
    multi-line reply (its lines joined, the enhanced code's repeats dropped). The explain step's header showed
    the pasted lines as they came, and its finding the same reply joined: two forms of one reply."""
    enhanced, message = split_enhanced(text)
    return re.sub(r"\s+", " ", f"{code} {enhanced or ''} {message}").strip()


def split_enhanced(text: str) -> tuple[str | None, str]:
    """Split an enhanced status code off reply text: ``("5.7.8", "Username and ...")``.

    Servers such as Gmail repeat the enhanced code at the start of every line
    of a multi-line reply; the repeats are removed too, so the rest reads as
    the server's sentence. Text without a leading enhanced code returns
    ``(None, text)`` unchanged.
    """
    text = text or ""
    lines = text.split("\n")
    m = _ENHANCED.match(lines[0]) if lines else None
    if not m:
        return None, text
    enhanced = ".".join(m.groups())
    rest: list[str] = []
    for line in lines:
        lm = _ENHANCED.match(line)
        if lm and ".".join(lm.groups()) == enhanced:
            line = line[lm.end() :]
        rest.append(line.strip())
    return enhanced, "\n".join(rest).strip()


def normalize_text(text: str) -> str:
    """Reply text as one lower-case line with single spaces, for pattern matching.

    Providers wrap long sentences over several reply lines (and repeat the
    enhanced code on each), so a pattern must not depend on where the
    server broke the line.
    """
    _, rest = split_enhanced(text or "")
    return re.sub(r"\s+", " ", rest).strip().lower()


@record(frozen=True)
class Reply:
    """A parsed reply: the code, its enhanced status code, and the text lines."""

    code: int
    lines: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        """All lines joined with newlines, without code prefixes (what `classify_reply` takes)."""
        return "\n".join(self.lines)

    @property
    def enhanced(self) -> str | None:
        return split_enhanced(self.text)[0]

    @property
    def message(self) -> str:
        """The text without the enhanced code: the server's own sentence."""
        return split_enhanced(self.text)[1]


def parse_reply_text(raw: str) -> Reply:
    """Parse a reply as it appears on the wire or in a log.

    Accepts ``"535-5.7.8 Username and Password not accepted.\\r\\n535 5.7.8 https://..."``
    as well as a single line ``"550 5.1.1 <bob@example.com>: Recipient address rejected"``.
    Raises ValueError when the first line does not start with a three-digit code,
    so a caller can report garbage instead of guessing.
    """
    lines = [ln for ln in (raw or "").replace("\r\n", "\n").replace("\r", "\n").split("\n") if ln.strip()]
    if not lines:
        raise ValueError("empty reply")
    first = _WIRE_LINE.match(lines[0].strip())
    if not first:
        raise ValueError(f"not an SMTP reply (no three-digit code): {lines[0][:80]!r}")
    code = int(first.group(1))
    texts: list[str] = []
    for ln in lines:
        m = _WIRE_LINE.match(ln.strip())
        if m and int(m.group(1)) == code:
            texts.append(m.group(3).strip())
        else:
            # A wrapped line without the code prefix (as some logs print it).
            texts.append(ln.strip())
    return Reply(code, tuple(texts))


def format_reply(code: int, text: str) -> str:
    """Render a reply the way it looked on the wire: ``535-…`` continuation lines, ``535 …`` last."""
    lines = (text or "").split("\n") or [""]
    out = []
    for i, line in enumerate(lines):
        sep = " " if i == len(lines) - 1 else "-"
        out.append(f"{int(code)}{sep}{line}".rstrip())
    return "\n".join(out)
