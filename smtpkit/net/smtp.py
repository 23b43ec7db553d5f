"""The SMTP client probe: one traced, capped, deadline-bound conversation on socket + ssl.

Why not `smtplib`: a diagnosis has needs smtplib was never built for.

* Deadlines. smtplib has one socket timeout that restarts with every byte, so a
  server that drips one byte a second keeps it waiting forever. Here every
  reply has an absolute time limit, and every step and the whole session have
  a `Deadline` on top.
* Caps. smtplib reads reply lines up to 8 KiB but accepts any number of them;
  a hostile server can stream an endless multi-line reply. Here lines are
  capped at `MAX_LINE` bytes and replies at `MAX_LINES` lines.
* A full trace. We record every line in both directions with a millisecond
  timestamp, mark the TLS boundary, and write credential lines to the trace
  already redacted (`AUTH PLAIN <redacted>`), never raw, not even for a moment.
* Garbage as evidence. When a port answers with an SSH banner or TLS bytes,
  smtplib raises "Connection unexpectedly closed" or a parse error; we keep
  the raw bytes so the knowledge layer can say what is really listening.
* STARTTLS hygiene. After "220 ready" any plaintext the server already sent
  is discarded (and reported: that is the CVE-2011-0411 injection pattern),
  and certificates are verified by default, which smtplib's `starttls()`
  without a context does not do.

Pure parsers (`parse_reply_line`, `parse_ehlo`, `build_test_message`) are unit
tested with strings; `SmtpConnection` is tested against real loopback servers.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import socket
import ssl
import time
from collections.abc import Sequence

from smtpkit.model import Transcript
from smtpkit.net.connect import Deadline
from smtpkit.octets import printable
from smtpkit.progress import guard
from smtpkit.record import field, record
from smtpkit.secrets import REDACTED, Secret

# RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets; real servers exceed it
# (long EHLO AUTH lists, provider error texts with URLs), so we allow 4x.
MAX_LINE = 2048
# No honest multi-line reply needs more than a few dozen lines (EHLO has ~15).
MAX_LINES = 100
# Bytes we read and throw away after STARTTLS; more than this is an attack anyway.
_MAX_DRAIN = 65536

# An EHLO reply inside the line caps can still list ~34,000 AUTH mechanisms (real servers list two to
# ten). They are read once, in linear time, and at most this many distinct ones are kept (plus the
# mechanisms this module implements, wherever they appear), so nothing downstream does work in
# proportion to what a hostile server sends.
MAX_AUTH_MECHANISMS = 32
IMPLEMENTED_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2")
# More EHLO keywords than this is not a real server either (real ones announce ten to fifteen).
MAX_EHLO_KEYWORDS = 50

_REPLY_LINE = re.compile(rb"^([2-5][0-9][0-9])(?:([ -])(.*))?$", re.DOTALL)
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)", re.ASCII)  # RFC 3463: ASCII digits


# -- errors ----------------------------------------------------------------------------


class ProbeError(Exception):
    """Something went wrong below the level of an SMTP reply; `partial` holds bytes already received."""

    def __init__(self, message: str, *, partial: bytes = b"", lines: Sequence[bytes] = ()) -> None:
        super().__init__(message)
        self.partial = partial
        self.lines = list(lines)

    @property
    def received(self) -> bytes:
        """Everything received for the reply in progress (complete lines and the partial one)."""
        return b"\r\n".join(self.lines) + (b"\r\n" if self.lines and self.partial else b"") + self.partial


class ReplyTimeout(ProbeError):
    """No complete reply in time. `by_deadline`: the step/session deadline ran out, not the timeout."""

    def __init__(
        self, message: str, *, waited: float, by_deadline: bool, partial: bytes = b"", lines: Sequence[bytes] = ()
    ) -> None:
        super().__init__(message, partial=partial, lines=lines)
        self.waited = waited
        self.by_deadline = by_deadline


class PeerClosed(ProbeError):
    """The server closed the connection (cleanly or not) before finishing its reply."""


class ConnectionLost(ProbeError):
    """A socket error (reset, broken pipe, TLS error) in the middle of the conversation."""

    def __init__(
        self, message: str, *, error: BaseException, partial: bytes = b"", lines: Sequence[bytes] = ()
    ) -> None:
        super().__init__(message, partial=partial, lines=lines)
        self.error = error


class MalformedReply(ProbeError):
    """Bytes that are not an SMTP reply; `problem` says which rule they break."""

    def __init__(self, problem: str, *, partial: bytes = b"", lines: Sequence[bytes] = ()) -> None:
        super().__init__(problem, partial=partial, lines=lines)
        self.problem = problem


class ReplyLimitExceeded(MalformedReply):
    """A reply line longer than MAX_LINE or a reply with more than MAX_LINES lines."""


# -- replies ---------------------------------------------------------------------------


@record(frozen=True)
class Reply:
    """One complete SMTP reply: a code and its text lines (without the code prefixes)."""

    code: int
    lines: tuple[str, ...]
    elapsed_ms: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def first(self) -> str:
        return self.lines[0] if self.lines else ""

    @property
    def enhanced(self) -> str | None:
        """The RFC 3463 enhanced status code of the first line (5.7.8), if the server sent one."""
        m = _ENHANCED.match(self.first)
        return ".".join(m.groups()) if m else None

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 400

    @property
    def transient(self) -> bool:
        return 400 <= self.code < 500

    @property
    def permanent(self) -> bool:
        return self.code >= 500

    def wire(self) -> str:
        """The reply as the server sent it (codes and separators restored), for evidence."""
        if not self.lines:
            return str(self.code)
        out = [f"{self.code}-{t}" for t in self.lines[:-1]]
        out.append(f"{self.code} {self.lines[-1]}".rstrip())
        return "\n".join(out)

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Server text made safe to show: control characters (terminal escape sequences!) become \\xNN.

    A reply line is printed in terminals, notebooks and shared reports; a
    hostile server must not be able to recolour, move the cursor or rewrite
    what the user sees by embedding ANSI escape codes in it.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def parse_reply_line(raw: bytes) -> tuple[int, bool, str]:
    """Parse one reply line (CRLF already removed) -> (code, is_last, text); raise MalformedReply.

    RFC 5321 §4.2: ``Reply-code [ SP textstring ]`` for the last line and
    ``Reply-code "-" [ textstring ]`` for the others.
    """
    m = _REPLY_LINE.match(raw)
    if not m:
        if raw[:3].isdigit():
            problem = f"the reply code {raw[:3].decode()} is outside the 200-599 range SMTP uses"
            if raw[:3].decode()[0] in "2345":
                problem = "the reply code is not followed by a space or a hyphen"
        else:
            problem = "the line does not start with a three-digit reply code"
        raise MalformedReply(problem, partial=raw)
    code = int(m.group(1))
    sep = m.group(2)
    text = clean_text((m.group(3) or b"").decode("utf-8", errors="replace"))
    return code, sep != b"-", text


def _plausible_prefix(buf: bytes | bytearray) -> bool:
    """Could `buf` still become a valid reply line? Lets us give up on garbage without waiting."""
    head = bytes(buf[:4])
    for i, b in enumerate(head[:3]):
        if not 0x30 <= b <= 0x39 or (i == 0 and b not in b"2345"):
            return False
    return not (len(head) == 4 and head[3:4] not in (b" ", b"-", b"\r", b"\n"))


# -- EHLO capabilities -----------------------------------------------------------------


@record()
class Capabilities:
    """What a server's EHLO reply says it can do (RFC 5321 §4.1.1.1, extensions by keyword)."""

    domain: str = ""
    greeting: str = ""
    keywords: dict[str, str] = field(default_factory=dict)
    esmtp: bool = True
    auth: tuple[str, ...] | None = None  # the AUTH mechanisms kept, read once (see auth_mechanisms)
    auth_offered: int = 0  # distinct AUTH mechanisms the server listed (more than `auth` holds in a flood)

    @property
    def auth_mechanisms(self) -> list[str]:
        """AUTH mechanisms from both ``AUTH X Y`` and the pre-standard ``AUTH=X Y`` lines, upper-case, in order.

        Read once and capped (MAX_AUTH_MECHANISMS, plus the IMPLEMENTED_MECHANISMS
        wherever they appear): before, every access de-duplicated the whole list
        again with `in` on a list, and a flood of 34,000 names cost half a minute.
        """
        if self.auth is None:
            self.auth, self.auth_offered = read_auth_mechanisms(self.keywords)
        return list(self.auth)

    @property
    def flooded(self) -> bool:
        """More AUTH mechanisms or EHLO keywords than a real server announces (some were not kept)."""
        self.auth_mechanisms  # noqa: B018 (reads them once)
        return self.auth_offered > MAX_AUTH_MECHANISMS or len(self.keywords) > MAX_EHLO_KEYWORDS

    @property
    def starttls(self) -> bool:
        return "STARTTLS" in self.keywords

    @property
    def size(self) -> int | None:
        """The SIZE limit in bytes; 0 means "no fixed limit"; None when SIZE is not announced."""
        if "SIZE" not in self.keywords:
            return None
        value = self.keywords["SIZE"].strip()
        # ASCII digits only ("²".isdigit() is true but int() refuses it), and a
        # sane length: a hostile server must not raise out of the EHLO step.
        return int(value) if value.isascii() and value.isdigit() and len(value) <= 20 else 0

    def has(self, keyword: str) -> bool:
        return keyword.upper() in self.keywords

    def names(self) -> list[str]:
        return [k for k in self.keywords if k != "AUTH="]


def read_auth_mechanisms(keywords: dict[str, str]) -> tuple[tuple[str, ...], int]:
    """(the mechanisms kept, how many distinct ones were listed), in one linear pass over AUTH and AUTH=."""
    seen: dict[str, None] = {}  # an ordered set
    for key in ("AUTH", "AUTH="):
        for mech in keywords.get(key, "").split():
            seen.setdefault(mech.upper())
    kept = [m for i, m in enumerate(seen) if i < MAX_AUTH_MECHANISMS or m in IMPLEMENTED_MECHANISMS]
    return tuple(kept), len(seen)


def parse_ehlo(reply: Reply) -> Capabilities:
    """Turn an EHLO reply into capabilities; the first line is the server's name and greeting."""
    caps = Capabilities()
    if reply.lines:
        first = reply.lines[0].split(None, 1)
        caps.domain = first[0] if first else ""
        caps.greeting = first[1] if len(first) > 1 else ""
    for line in reply.lines[1:]:
        line = line.strip()
        if not line:
            continue
        if line.upper().startswith("AUTH="):
            keyword, params = "AUTH=", line[5:]
        else:
            parts = line.split(None, 1)
            keyword, params = parts[0].upper(), (parts[1] if len(parts) > 1 else "")
        if keyword in caps.keywords and params:
            caps.keywords[keyword] = (caps.keywords[keyword] + " " + params).strip()
        else:
            caps.keywords.setdefault(keyword, params)
    caps.auth, caps.auth_offered = read_auth_mechanisms(caps.keywords)
    return caps


def parse_helo(reply: Reply) -> Capabilities:
    """A HELO reply (the fallback when EHLO is not understood): the server's name and greeting, no extensions."""
    caps = parse_ehlo(Reply(reply.code, reply.lines[:1]))
    caps.esmtp = False
    return caps


# -- the connection --------------------------------------------------------------------


class SmtpConnection:
    """A line-oriented SMTP conversation over a connected (plain or TLS) socket.

    Every wait is ``min(timeout, deadline.remaining())``, measured for the whole
    reply, not per byte. Every line goes to `transcript`.
    """

    def __init__(
        self,
        sock: socket.socket,
        transcript: Transcript,
        deadline: Deadline,
        timeout: float,
        *,
        max_line: int = MAX_LINE,
        max_lines: int = MAX_LINES,
    ) -> None:
        self.sock = sock
        self.transcript = transcript
        self.deadline = deadline
        self.timeout = float(timeout)
        self.max_line = max_line
        self.max_lines = max_lines
        self.buffer = bytearray()
        self.tls = isinstance(sock, ssl.SSLSocket)
        self.closed = False
        # After a timeout, hang-up or garbage the conversation is out of step: no polite QUIT then.
        self.broken = False

    # -- time -------------------------------------------------------------------
    def _until(self, timeout: float | None, deadline: Deadline | None) -> tuple[float, bool]:
        """(absolute end, whether the deadline rather than the timeout sets it)."""
        op = self.timeout if timeout is None else float(timeout)
        d = deadline or self.deadline
        op_end = time.monotonic() + op
        if d.at < op_end:
            return d.at, True
        return op_end, False

    # -- reading ----------------------------------------------------------------
    def _fill(self, until: float, by_deadline: bool, lines: list[bytes], started: float) -> None:
        remaining = until - time.monotonic()
        if remaining <= 0:
            self._timeout(started, by_deadline, lines)
        self.sock.settimeout(remaining)
        try:
            with guard(self.sock):  # a cancelled check shuts the socket down: recv returns at once
                data = self.sock.recv(4096)
        except TimeoutError:
            self._timeout(started, by_deadline, lines)
        except ssl.SSLError as exc:
            raise ConnectionLost(
                f"TLS error while reading: {exc.reason or exc}", error=exc, partial=bytes(self.buffer), lines=lines
            ) from None
        except OSError as exc:
            raise ConnectionLost(
                f"connection error while reading: {exc.strerror or exc}",
                error=exc,
                partial=bytes(self.buffer),
                lines=lines,
            ) from None
        if not data:
            partial = bytes(self.buffer)
            if partial:
                self.transcript.note(f"(connection closed after a partial line: {printable(partial)})")
            else:
                self.transcript.note("(connection closed by the server)")
            self.closed = True
            raise PeerClosed("the server closed the connection", partial=partial, lines=lines)
        self.buffer += data

    def _timeout(self, started: float, by_deadline: bool, lines: list[bytes]) -> None:
        waited = time.monotonic() - started
        partial = bytes(self.buffer)
        if partial or lines:
            self.transcript.note(
                f"(no complete reply after {waited:.1f} s; received so far:"
                f" {printable(b''.join(line + b'|' for line in lines) + partial)})"
            )
        else:
            self.transcript.note(f"(no reply after {waited:.1f} s)")
        what = "the time limit for this step or session" if by_deadline else "the timeout"
        raise ReplyTimeout(
            f"no complete reply within {waited:.1f} s ({what})",
            waited=waited,
            by_deadline=by_deadline,
            partial=partial,
            lines=lines,
        )

    def _read_line(self, until: float, by_deadline: bool, lines: list[bytes], started: float) -> bytes:
        while True:
            idx = self.buffer.find(b"\n")
            if idx >= 0:
                if idx > self.max_line:
                    raise ReplyLimitExceeded(
                        f"a reply line is {idx} bytes long, over our limit of {self.max_line}",
                        partial=bytes(self.buffer[: self.max_line]),
                        lines=lines,
                    )
                line = bytes(self.buffer[:idx])
                del self.buffer[: idx + 1]
                return line[:-1] if line.endswith(b"\r") else line
            if len(self.buffer) > self.max_line:
                raise ReplyLimitExceeded(
                    f"the server sent over {self.max_line} bytes without ending the line",
                    partial=bytes(self.buffer[: self.max_line]),
                    lines=lines,
                )
            if self.buffer and not _plausible_prefix(self.buffer):
                # Garbage: wait a moment for a little more to recognise it, then give up early.
                if len(self.buffer) < 16:
                    grace = min(until, time.monotonic() + 0.25)
                    try:
                        self._fill(grace, by_deadline, lines, started)
                    except ProbeError:  # what we have is evidence enough
                        pass
                raw = bytes(self.buffer[: self.max_line])
                self.transcript.note(f"(not an SMTP reply: {printable(raw)})")
                raise MalformedReply("the line does not start with a three-digit reply code", partial=raw, lines=lines)
            self._fill(until, by_deadline, lines, started)

    def read_reply(self, timeout: float | None = None, *, deadline: Deadline | None = None) -> Reply:
        """Read one complete (possibly multi-line) reply, or raise a ProbeError subclass."""
        try:
            return self._read_reply(timeout, deadline)
        except ProbeError:
            self.broken = True
            raise

    def _read_reply(self, timeout: float | None, deadline: Deadline | None) -> Reply:
        started = time.monotonic()
        until, by_deadline = self._until(timeout, deadline)
        lines: list[bytes] = []
        texts: list[str] = []
        code: int | None = None
        while True:
            raw = self._read_line(until, by_deadline, lines, started)
            try:
                line_code, last, text = parse_reply_line(raw)
            except MalformedReply as exc:
                self.transcript.note(f"(malformed reply line: {printable(raw)})")
                raise MalformedReply(exc.problem, partial=raw, lines=lines) from None
            self.transcript.server(clean_text(raw.decode("utf-8", errors="replace")))
            if code is not None and line_code != code:
                raise MalformedReply(
                    f"the lines of one reply carry different codes ({code} then {line_code})", partial=raw, lines=lines
                )
            code = line_code
            lines.append(raw)
            texts.append(text)
            if last:
                return Reply(code, tuple(texts), (time.monotonic() - started) * 1000.0)
            if len(lines) >= self.max_lines:
                raise ReplyLimitExceeded(
                    f"the reply went on for more than {self.max_lines} lines", partial=b"", lines=lines
                )

    # -- writing ----------------------------------------------------------------
    def send_line(self, line: str, *, log_as: str | None = None, timeout: float | None = None) -> None:
        """Send one command line. `log_as` is what the transcript records instead (pre-redacted)."""
        if "\r" in line or "\n" in line:
            raise ValueError("an SMTP command line cannot contain CR or LF")
        self.transcript.client(line if log_as is None else log_as)
        self._send(line.encode("utf-8") + b"\r\n", timeout)

    def _send(self, data: bytes, timeout: float | None) -> None:
        try:
            self._sendall(data, timeout)
        except ProbeError:
            self.broken = True
            raise

    def _sendall(self, data: bytes, timeout: float | None) -> None:
        until, by_deadline = self._until(timeout, None)
        remaining = until - time.monotonic()
        if remaining <= 0:
            raise ReplyTimeout("no time left to send", waited=0.0, by_deadline=by_deadline)
        self.sock.settimeout(remaining)
        try:
            with guard(self.sock):
                self.sock.sendall(data)
        except TimeoutError:
            raise ReplyTimeout(
                "the server stopped accepting data (send timed out)", waited=remaining, by_deadline=by_deadline
            ) from None
        except OSError as exc:
            raise ConnectionLost(
                f"connection error while sending: {getattr(exc, 'strerror', None) or exc}", error=exc
            ) from None

    def command(self, line: str, *, log_as: str | None = None, timeout: float | None = None) -> Reply:
        self.send_line(line, log_as=log_as, timeout=timeout)
        return self.read_reply(timeout)

    def send_data(self, message: bytes, timeout: float | None = None) -> Reply:
        """Send a message after 354: dot-stuffed (RFC 5321 §4.5.2), ended by CRLF.CRLF, each line traced."""
        body = message.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        if body and body[-1] == b"":
            body.pop()
        out = bytearray()
        for line in body:
            if line.startswith(b"."):
                line = b"." + line
            self.transcript.client(line.decode("utf-8", errors="replace"))
            out += line + b"\r\n"
        out += b".\r\n"
        self.transcript.client(".")
        self._send(bytes(out), timeout)
        return self.read_reply(timeout)

    # -- TLS --------------------------------------------------------------------
    def drain_plaintext(self) -> bytes:
        """Take and discard every byte the server sent before our TLS hello (after "220 ready").

        RFC 3207 §6 / CVE-2011-0411: bytes that arrive here were sent in clear
        and must never be read as if they came over TLS. We also look at the
        socket once without waiting, because an injected command usually
        arrives in the same packet as the 220.
        """
        leftover = bytes(self.buffer)
        self.buffer.clear()
        try:
            # A socket with a timeout waits for data before recv() even with MSG_DONTWAIT: go non-blocking.
            self.sock.setblocking(False)
            while len(leftover) < _MAX_DRAIN:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                leftover += chunk
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
            pass
        except OSError:
            pass
        finally:
            try:
                self.sock.setblocking(True)
            except OSError:
                pass
        if leftover:
            self.transcript.note(
                f"(discarded {len(leftover)} bytes the server sent in clear after '220 ready': {printable(leftover)})"
            )
        return leftover

    def upgrade(self, tls_sock: ssl.SSLSocket, description: str = "") -> None:
        """Continue the conversation over the TLS socket; nothing read before survives."""
        self.sock = tls_sock
        self.buffer.clear()
        self.tls = True
        self.transcript.note(
            f"---- TLS established{': ' + description if description else ''}; everything below is encrypted ----"
        )

    def close(self, quit_first: bool = True, timeout: float = 1.0) -> None:
        """Say QUIT (briefly, errors ignored) and close; a diagnosis never fails because of QUIT."""
        if self.closed:
            return
        if quit_first and not self.broken and not self.deadline.expired:
            try:
                self.command("QUIT", timeout=min(timeout, self.timeout))
            except (ProbeError, OSError, ValueError):
                pass
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


# -- AUTH exchanges ---------------------------------------------------------------------


@record()
class AuthExchange:
    """What one AUTH attempt produced.

    `reply` is the server's final reply (None when the exchange broke off),
    `problem` names a client-side verdict: "" (see reply), "malformed_challenge",
    `challenge` is the decoded challenge text for evidence, `oauth_error` the
    decoded JSON of an XOAUTH2 failure. `answered_challenge` says the final reply
    came after we answered a 334 challenge: a 500/502 then refuses the exchange
    (a login failure), where a 500/502 to the AUTH command itself means no AUTH.
    """

    mechanism: str
    reply: Reply | None = None
    problem: str = ""
    challenge: str = ""
    oauth_error: str = ""
    steps: int = 0
    answered_challenge: bool = False

    @property
    def ok(self) -> bool:
        return self.reply is not None and self.reply.code == 235


def _b64(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return base64.b64encode(data).decode("ascii")


def decode_challenge(text: str) -> bytes | None:
    """Base64-decode a 334 challenge strictly; None when it is not valid base64 (RFC 4954 §4)."""
    s = text.strip()
    if s == "":
        return b""
    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None


def _cancel(conn: SmtpConnection, ex: AuthExchange, challenge_text: str, why: str) -> AuthExchange:
    ex.problem = "malformed_challenge"
    ex.challenge = f"{challenge_text!r} ({why})"
    conn.transcript.note(f"(malformed AUTH challenge: {why}; cancelling with '*')")
    try:
        ex.reply = conn.command("*")
    except ProbeError:
        ex.reply = None
    return ex


def _finish(conn: SmtpConnection, ex: AuthExchange, reply: Reply, more: str) -> AuthExchange:
    """The final reply after our last answer; a further 334 challenge is cancelled (`more` says why)."""
    if reply.code == 334:
        return _cancel(conn, ex, reply.first, more)
    ex.reply = reply
    return ex


def auth_plain(conn: SmtpConnection, username: str, secret: Secret) -> AuthExchange:
    """AUTH PLAIN with an initial response (RFC 4616): one line, written to the trace redacted."""
    ex = AuthExchange("PLAIN")
    blob = _b64(f"\0{username}\0{secret.reveal()}")
    reply = conn.command(f"AUTH PLAIN {blob}", log_as=f"AUTH PLAIN {REDACTED}")
    ex.steps = 1
    if reply.code == 334:
        # a server that ignores initial responses asks again with an empty challenge
        if reply.first.strip():
            return _cancel(conn, ex, reply.first, "PLAIN takes no challenge, but the server sent text")
        reply = conn.command(blob, log_as=REDACTED)
        ex.steps = 2
        ex.answered_challenge = True
    return _finish(conn, ex, reply, "the server asked for more after the credentials")


def auth_login(conn: SmtpConnection, username: str, secret: Secret) -> AuthExchange:
    """AUTH LOGIN (the old two-prompt mechanism): user name, then password, each base64."""
    ex = AuthExchange("LOGIN")
    reply = conn.command("AUTH LOGIN")
    answers = [(_b64(username), None, "user name"), (_b64(secret.reveal()), REDACTED, "password")]
    for sent, log_as, what in answers:
        if reply.code != 334:
            ex.reply = reply
            return ex
        decoded = decode_challenge(reply.first)
        if decoded is None:
            return _cancel(conn, ex, reply.first, "the challenge is not valid base64")
        prompt = decoded.decode("utf-8", errors="replace")
        conn.transcript.note(f"(server prompt decodes to {prompt!r}; we answer with the {what})")
        reply = conn.command(sent, log_as=log_as)
        ex.steps += 1
        ex.answered_challenge = True
    return _finish(conn, ex, reply, "the server asked a third question; LOGIN has only two")


def auth_cram_md5(conn: SmtpConnection, username: str, secret: Secret) -> AuthExchange:
    """AUTH CRAM-MD5 (RFC 2195): the password never crosses the wire, only an HMAC of the challenge."""
    ex = AuthExchange("CRAM-MD5")
    reply = conn.command("AUTH CRAM-MD5")
    if reply.code != 334:
        ex.reply = reply
        return ex
    challenge = decode_challenge(reply.first)
    if not challenge:
        why = "the challenge is empty" if challenge == b"" else "the challenge is not valid base64"
        return _cancel(conn, ex, reply.first, why)
    conn.transcript.note(f"(challenge decodes to {printable(challenge, 120)!r})")
    digest = hmac.new(secret.reveal().encode("utf-8"), challenge, "md5").hexdigest()
    reply = conn.command(_b64(f"{username} {digest}"), log_as=f"{REDACTED} (CRAM-MD5 response for {username})")
    ex.steps = 1
    ex.answered_challenge = True
    return _finish(conn, ex, reply, "the server asked for more after the CRAM-MD5 response")


def auth_xoauth2(conn: SmtpConnection, username: str, token: Secret) -> AuthExchange:
    """AUTH XOAUTH2 (Google/Microsoft): on failure the server sends a base64 JSON error in a 334."""
    ex = AuthExchange("XOAUTH2")
    blob = _b64(f"user={username}\x01auth=Bearer {token.reveal()}\x01\x01")
    reply = conn.command(f"AUTH XOAUTH2 {blob}", log_as=f"AUTH XOAUTH2 {REDACTED}")
    ex.steps = 1
    if reply.code == 334:
        decoded = decode_challenge(reply.first)
        if decoded is None:
            return _cancel(conn, ex, reply.first, "the error challenge is not valid base64")
        # the decoded text as the server sent it (a raw fact): reading its JSON, with the
        # nesting bounded first, is knowledge's job (smtpkit.knowledge.xoauth2)
        ex.oauth_error = decoded.decode("utf-8", errors="replace")
        conn.transcript.note(f"(XOAUTH2 error details decode to {ex.oauth_error})")
        # RFC 7628 §3.2.3: the client answers the error challenge with an empty line
        reply = conn.command("")
        ex.steps = 2
        ex.answered_challenge = True
    ex.reply = reply
    return ex


AUTHENTICATORS = {
    "PLAIN": auth_plain,
    "LOGIN": auth_login,
    "CRAM-MD5": auth_cram_md5,
    "XOAUTH2": auth_xoauth2,
}


# -- the test message ---------------------------------------------------------------------


def new_token() -> str:
    """A short unique token for the Subject, so the user can find the test message."""
    import secrets  # (here: only a test send needs a token)

    return "smtpkit-" + secrets.token_hex(6)


def build_test_message(mail_from: str, rcpt_to: Sequence[str], token: str, *, server: str = "") -> tuple[bytes, str]:
    """The test message (Date, Message-ID, From, To, Subject with `token`) as CRLF bytes, and its Message-ID."""
    domain = mail_from.rpartition("@")[2] or "smtpkit.invalid"
    # International addresses travel as raw UTF-8 headers (RFC 6532), never RFC 2047-encoded.
    international = not all(a.isascii() for a in (mail_from, *rcpt_to))
    # (imported here: email.policy costs more than the rest of this module, and only a test send needs it)
    import email.utils
    from email.message import EmailMessage
    from email.policy import SMTP, SMTPUTF8

    msg = EmailMessage(policy=SMTPUTF8 if international else SMTP)
    msg["Date"] = email.utils.formatdate(localtime=True)
    message_id = f"<{token}.{int(time.time())}@{domain}>"
    msg["Message-ID"] = message_id
    msg["From"] = mail_from
    msg["To"] = ", ".join(rcpt_to)
    msg["Subject"] = f"smtpkit test message {token}"
    msg["X-Mailer"] = "smtpkit"
    lines = [
        "This is a test message sent by smtpkit to check that mail can be sent",
        f"through {server}." if server else "through this server.",
        "",
        f"Token: {token}",
        "",
        "If you received it, the SMTP server accepted and delivered it.",
        "If it landed in spam, check the sending domain's SPF, DKIM and DMARC:",
        f"    smtpkit domain {domain}",
    ]
    msg.set_content("\n".join(lines) + "\n", cte="7bit" if all(line.isascii() for line in lines) else None)
    return msg.as_bytes(), message_id
