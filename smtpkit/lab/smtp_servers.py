"""The practice lab's SMTP servers: one per `Scenario`, all on one asyncio loop in one thread.

Why aiosmtpd, and why a subclass of its protocol: aiosmtpd gives us a real,
well-tested SMTP state machine (command parsing, DATA dot-stuffing, line and
size limits, STARTTLS) so that the lab behaves like a server, not like a test
double. What it does not do out of the box is behave like the servers people
actually meet, so `_LabSMTP` changes exactly that:

* replies carry RFC 3463 enhanced status codes (``250 2.1.0 Ok``), because
  ENHANCEDSTATUSCODES is advertised and the codes are half of every lesson;
* AUTH is offered and accepted only under TLS (also under implicit TLS, which
  aiosmtpd 1.4 does not recognise), refused before it with the real
  ``530 5.7.0 Must issue a STARTTLS command first``;
* CRAM-MD5 and XOAUTH2 (with Gmail's ``334 <base64 JSON error>`` dance) are
  added to aiosmtpd's PLAIN and LOGIN;
* the scenario's reply overrides replace the server's own reply at a stage,
  and any 421 closes the connection, as RFC 5321 §3.8 says;
* every connection is bounded: line lengths (aiosmtpd's 512/1001 byte
  limits), an idle timeout, at most `max_connections` clients per server, at
  most five failed logins per connection, at most 100 recipients per message.

CHUNKING (BDAT) is not advertised: aiosmtpd does not implement it, and a lab
that advertised an extension it cannot speak would teach the wrong thing.

Two servers are not SMTP at all: ``silent`` accepts TCP and never speaks (the
connection is closed after `SILENT_HOLD` seconds so it cannot pile up), and
``refusing`` holds a socket bound but not listening, so connections get a TCP
RST while no other program can take the port.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import collections
import datetime as _dt
import email.policy
import email.utils
import functools
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import socket
import ssl
import threading
from asyncio import sslproto
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session, TLSSetupException, auth_mechanism

from smtpkit.lab.ca import LabCA, server_context
from smtpkit.lab.scenarios import LAB_MAILBOXES, Scenario
from smtpkit.secrets import Secret, install_log_redaction

__all__ = ["IDLE_TIMEOUT", "SILENT_HOLD", "MessageSpool", "ReceivedMessage", "SmtpServers"]

log = logging.getLogger("smtpkit.lab.smtp")
# aiosmtpd logs every command line at INFO, AUTH blobs included: redact them.
install_log_redaction("mail.log")

IDLE_TIMEOUT = 60.0  # seconds without a command before a lab server hangs up
TLS_HANDSHAKE_TIMEOUT = 10  # seconds
SILENT_HOLD = 120.0  # how long the silent server keeps a connection open, saying nothing
MAX_CONNECTIONS = 50  # per server
MAX_AUTH_FAILURES = 5  # per connection, then 421 and close (Postfix's smtpd_hard_error_limit idea)
MAX_RECIPIENTS = 100
SPOOL_KEEP = 50  # messages kept per endpoint
SPOOL_MAX_BYTES = 1024 * 1024  # message bytes kept per message (the rest is counted, not stored)

XOAUTH2_ERROR = {"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}
AUTH_FAILED = "535 5.7.8 Error: authentication failed: authentication failure"

# aiosmtpd's own replies, as a real server (Postfix) words them, with enhanced codes.
_REWORDED = {
    "250 OK": "250 2.0.0 Ok",
    "221 Bye": "221 2.0.0 Bye",
    "220 Ready to start TLS": "220 2.0.0 Ready to start TLS",
    "552 Error: message size exceeds fixed maximum message size": (
        "552 5.3.4 Message size exceeds fixed maximum message size"
    ),
    "552 Error: Too much mail data": "552 5.3.4 Message size exceeds fixed maximum message size",
    "500 Line too long (see RFC5321 4.5.3.1.6)": "500 5.5.6 Error: line too long (RFC 5321 4.5.3.1.6)",
    "500 Command line too long": "500 5.5.6 Error: command line too long",
    "500 Error: bad syntax": "500 5.5.2 Error: bad syntax",
    "500 Error: strict ASCII mode": "500 5.6.7 Error: non-ASCII characters without SMTPUTF8",
    "503 Error: send HELO first": "503 5.5.1 Error: send HELO/EHLO first",
    "503 Error: send EHLO first": "503 5.5.1 Error: send HELO/EHLO first",
    "503 Error: need MAIL command": "503 5.5.1 Error: need MAIL command",
    "503 Error: need RCPT command": "503 5.5.1 Error: need RCPT command",
    "503 Error: nested MAIL command": "503 5.5.1 Error: nested MAIL command",
    "503 Already authenticated": "503 5.5.1 Error: already authenticated",
    "553 5.1.3 Error: malformed address": "553 5.1.3 Error: malformed address",
    "502 EXPN not implemented": "502 5.5.1 Error: command not implemented",
    "554 Command refused due to lack of security": "554 5.7.0 Error: command refused due to lack of security",
}
_UNKNOWN_COMMAND = re.compile(r'^500 Error: command ".*" not recognized$', re.DOTALL)
_DEFAULT_ENHANCED = {"2": "2.0.0", "4": "4.0.0", "5": "5.5.0"}
_HAS_ENHANCED = re.compile(r"^[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}(\s|$)")
_SINGLE_LINE = re.compile(r"^([245])\d\d (.*)$")


def _enhance(status: str) -> str:
    """Give one of aiosmtpd's own replies the enhanced code a real server would send."""
    if status in _REWORDED:
        return _REWORDED[status]
    if _UNKNOWN_COMMAND.match(status):
        # aiosmtpd echoes the unknown command back; real servers do not (it may be a
        # TLS ClientHello or other binary noise), and neither do we.
        return "502 5.5.2 Error: command not recognized"
    if "\n" in status or _HAS_ENHANCED.match(status):
        return status
    m = _SINGLE_LINE.match(status)
    if not m:
        return status
    return f"{status[:3]} {_DEFAULT_ENHANCED[m.group(1)]} {m.group(2)}"


def _wire(reply: str) -> str:
    """Table replies use '\\n' between lines; the wire needs CRLF.

    Replies echo what the client sent (the EHLO name); aiosmtpd keeps bytes that
    are not UTF-8 as lone surrogates, which cannot be encoded for the wire, so they
    become U+FFFD instead of an "internal lab server error".
    """
    try:
        reply.encode("utf-8")
    except UnicodeEncodeError:
        reply = reply.encode("utf-8", "surrogateescape" if _only_escapes(reply) else "replace").decode(
            "utf-8", "replace"
        )
    return "\r\n".join(reply.replace("\r\n", "\n").split("\n"))


def _only_escapes(text: str) -> bool:
    """True when every lone surrogate in `text` is a surrogateescape'd byte (U+DC80..U+DCFF)."""
    return all(not (0xD800 <= ord(c) <= 0xDFFF) or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


class _Fields(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


# ----------------------------------------------------------------------------- messages
@dataclass(frozen=True)
class ReceivedMessage:
    """A message a lab server accepted: the envelope, how it came, and its bytes."""

    endpoint: str
    seq: int
    received_at: str
    peer: str
    helo: str
    tls_version: str | None
    authenticated_as: str | None
    mail_from: str
    rcpt_tos: tuple[str, ...]
    size: int
    data: bytes
    truncated: bool = False

    def message(self) -> EmailMessage:
        """The message parsed with the standard library (headers decoded)."""
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value, unused-ignore]

    @property
    def subject(self) -> str:
        return str(self.message().get("Subject", ""))

    def summary(self) -> dict[str, Any]:
        """A row for a table: everything but the bytes."""
        row = {k: v for k, v in asdict(self).items() if k != "data"}
        row["rcpt_tos"] = ", ".join(self.rcpt_tos)
        row["subject"] = self.subject
        return row

    def to_json(self) -> str:
        doc = asdict(self)
        doc["rcpt_tos"] = list(self.rcpt_tos)
        doc["data"] = base64.b64encode(self.data).decode("ascii")
        return json.dumps(doc)

    @classmethod
    def from_json(cls, text: str) -> ReceivedMessage:
        doc = json.loads(text)
        doc["rcpt_tos"] = tuple(doc["rcpt_tos"])
        doc["data"] = base64.b64decode(doc["data"])
        return cls(**doc)


class MessageSpool:
    """Accepted messages as files, newest `keep` per endpoint.

    Files rather than memory because the lab often runs in another process
    (`smtpkit lab`) than the notebook kernel that wants to show what arrived;
    both can read the spool directory named in the lab's state file.
    """

    def __init__(self, directory: str | os.PathLike[str], *, keep: int = SPOOL_KEEP) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keep = keep
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}

    def next_seq(self, endpoint: str) -> int:
        with self._lock:
            if endpoint not in self._seq:
                existing = self._files(endpoint)
                self._seq[endpoint] = int(existing[-1].stem) if existing else 0
            self._seq[endpoint] += 1
            return self._seq[endpoint]

    def _files(self, endpoint: str) -> list[Path]:
        folder = self.directory / endpoint
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("*.json") if p.stem.isdigit())

    def add(self, msg: ReceivedMessage) -> None:
        folder = self.directory / msg.endpoint
        folder.mkdir(exist_ok=True, mode=0o700)
        target = folder / f"{msg.seq:08d}.json"
        tmp = folder / f".{msg.seq:08d}.tmp"
        tmp.write_text(msg.to_json(), encoding="utf-8")
        os.replace(tmp, target)  # a reader sees the whole message or none of it
        with self._lock:
            for old in self._files(msg.endpoint)[: -self.keep]:
                old.unlink(missing_ok=True)

    def list(self, endpoint: str) -> list[ReceivedMessage]:
        out = []
        for path in self._files(endpoint):
            try:
                out.append(ReceivedMessage.from_json(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # deleted or being replaced while we read: skip, never fail a notebook
        return out

    def clear(self, endpoint: str | None = None) -> None:
        folders = [self.directory / endpoint] if endpoint else [p for p in self.directory.iterdir() if p.is_dir()]
        for folder in folders:
            for path in folder.glob("*.json"):
                path.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- one server's state
class _Runtime:
    """What all connections to one lab server share: its scenario, credentials, TLS and spool.

    It is also the aiosmtpd handler (the ``handle_*`` hooks).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        user: str,
        password: Secret,
        spool: MessageSpool,
        ca: LabCA | None,
        idle_timeout: float,
        max_connections: int,
    ) -> None:
        self.scenario = scenario
        self.user = user
        self._password = password.reveal().encode("utf-8")
        self.spool = spool
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.connections: set[Any] = set()
        self.starttls_ctx: ssl.SSLContext | None = None
        self.implicit_ctx: ssl.SSLContext | None = None
        if scenario.uses_tls:
            if ca is None:
                raise ValueError(f"scenario {scenario.name} needs TLS but the lab has no CA")
            ctx = server_context(ca.issue(scenario.cert), scenario.tls_versions)
            if scenario.security == "tls":
                self.implicit_ctx = ctx
            else:
                self.starttls_ctx = ctx
        user_local = user.partition("@")[0].lower()
        self.mailboxes = {m.lower() for m in LAB_MAILBOXES} | {user_local}
        # smtpkit.lab.evidence.EvidenceMaker, attached by the lab: stamps what an MX keeps, writes DSNs
        self.evidence: Any = None

    @property
    def implicit(self) -> bool:
        return self.implicit_ctx is not None

    def password_matches(self, candidate: bytes) -> bool:
        return hmac.compare_digest(candidate, self._password)

    def cram_md5_digest(self, challenge: bytes) -> str:
        return hmac.new(self._password, challenge, "md5").hexdigest()

    def render(self, stage: str, conn: _LabSMTP | None = None, **fields: Any) -> str | None:
        """The scenario's reply for `stage`, filled in, or None when the server answers normally."""
        template = self.scenario.replies.get(stage)
        if template is None:
            return None
        return template.format_map(self.fields(conn, **fields))

    def fields(self, conn: _LabSMTP | None = None, **extra: Any) -> _Fields:
        values = _Fields(
            hostname=self.scenario.hostname,
            size=str(self.scenario.size_limit),
            date=email.utils.formatdate(localtime=True),
            queue_id=secrets.token_hex(5).upper(),
            user=self.user,
        )
        if conn is not None and conn.session is not None:
            peer = conn.session.peer
            values["peer_ip"] = peer[0] if isinstance(peer, tuple) else str(peer or "")
            auth_data: object = getattr(conn.session, "auth_data", None)
            if auth_data:
                values["user"] = str(auth_data)
            if conn.envelope is not None and conn.envelope.mail_from:
                values["sender"] = conn.envelope.mail_from
        values.update({k: v for k, v in extra.items() if v is not None})
        return values

    # --- aiosmtpd hooks --------------------------------------------------------------
    def authenticate(self, server: SMTP, session: Session, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        """aiosmtpd's authenticator for PLAIN and LOGIN (CRAM-MD5 and XOAUTH2 are on `_LabSMTP`)."""
        if not isinstance(data, LoginPassword) or not isinstance(server, _LabSMTP):
            return AuthResult(success=False, handled=False, message=AUTH_FAILED)
        login = data.login.decode("utf-8", "replace")
        ok = login == self.user and self.password_matches(data.password)
        return server._auth_result(ok, login)

    async def handle_MAIL(
        self, server: _LabSMTP, session: Session, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.scenario.require_auth and not session.authenticated:
            return "530 5.7.57 Client not authenticated to send mail; log in with AUTH first"
        override = self.render("mail", server, sender=address)
        if override:
            return override
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Ok"

    async def handle_RCPT(
        self, server: _LabSMTP, session: Session, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = await self._rcpt(server, envelope, address, options)
        if self.evidence is not None and reply[:1] == "5":
            await self.evidence.rejected_async(envelope.mail_from or "", [address], reply, "rcpt")
        return reply

    async def _rcpt(self, server: _LabSMTP, envelope: Any, address: str, options: list[str]) -> str:
        override = self.render("rcpt", server, rcpt=address)
        if override:
            return override
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Error: too many recipients"
        local_domains = self.scenario.local_domains
        if local_domains is not None:
            local, _, domain = address.rpartition("@")
            if domain.lower() not in local_domains:
                return f"554 5.7.1 <{address}>: Relay access denied"
            if local.lower() not in self.mailboxes:
                return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: _LabSMTP, session: Session, envelope: Any) -> str:
        override = self.render("message", server)
        if override:
            if self.evidence is not None and override[:1] == "5":
                await self.evidence.rejected_async(
                    envelope.mail_from or "", list(envelope.rcpt_tos), override, "message"
                )
            return override
        raw = envelope.original_content or b""
        if self.evidence is not None:
            raw = await self.evidence.stamp_async(session, envelope, raw, server.transport)
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        seq = self.spool.next_seq(self.scenario.name)
        peer = session.peer
        msg = ReceivedMessage(
            endpoint=self.scenario.name,
            seq=seq,
            received_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            peer=f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer),
            helo=session.host_name or "",
            tls_version=ssl_object.version() if ssl_object is not None else None,
            authenticated_as=str(session.auth_data) if session.authenticated else None,
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            size=len(raw),
            data=raw[:SPOOL_MAX_BYTES],
            truncated=len(raw) > SPOOL_MAX_BYTES,
        )
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.spool.add, msg)
        except OSError as exc:
            log.warning("lab %s: could not keep the message in the spool: %s", self.scenario.name, exc)
            return "451 4.3.0 Error: queue file write error"
        queue_id = f"{seq:04d}{secrets.token_hex(3).upper()}"
        return f"250 2.0.0 Ok: queued as {queue_id}"

    async def handle_exception(self, error: Exception) -> str:
        # Expected on a lab: clients that reject our deliberately broken certificates.
        level = (
            logging.DEBUG
            if isinstance(error, (ssl.SSLError, ConnectionError)) or "TLS" in type(error).__name__
            else logging.WARNING
        )
        log.log(level, "lab %s: session error %s: %s", self.scenario.name, type(error).__name__, error)
        return f"451 4.3.0 Error: internal lab server error ({type(error).__name__})"


class _LabSession(Session):
    """aiosmtpd's Session without the deprecation warning it logs on every successful login."""

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _LabSMTP(SMTP):
    """One client connection to a lab server (see the module docstring for what differs from aiosmtpd)."""

    def __init__(self, rt: _Runtime, loop: asyncio.AbstractEventLoop) -> None:
        sc = rt.scenario
        excluded = [m for m in ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2") if m not in sc.auth_mechanisms]
        super().__init__(
            rt,
            hostname=sc.hostname,
            ident="ESMTP smtpkit practice lab",
            tls_context=rt.starttls_ctx,
            require_starttls=False,
            timeout=rt.idle_timeout,
            auth_required=False,
            auth_require_tls=False,  # enforced here, also for implicit TLS
            auth_exclude_mechanism=excluded,
            authenticator=rt.authenticate,
            data_size_limit=sc.size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            loop=loop,
        )
        # aiosmtpd keeps these limits in a class-wide dict that grows with every EHLO; keep ours per connection.
        self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit)
        self.rt = rt
        self._greeted = False
        self._counted = False
        self._too_many = False
        self._auth_failures = 0

    # --- connection bookkeeping --------------------------------------------------------
    def _create_session(self) -> Session:
        return _LabSession(self.loop)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._counted:
            self._counted = True
            self._too_many = len(self.rt.connections) >= self.rt.max_connections
            self.rt.connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.rt.connections.discard(self)
        super().connection_lost(error)

    def abort(self) -> None:
        for transport in (self.transport, self._original_transport):
            if transport is not None:
                try:
                    transport.abort()  # type: ignore[attr-defined]
                except Exception:  # already closing: nothing left to stop
                    pass

    @property
    def is_tls(self) -> bool:
        return self._tls_protocol is not None or self.rt.implicit

    # --- replies ------------------------------------------------------------------------
    async def _raw(self, reply: str) -> None:
        await SMTP.push(self, _wire(reply))
        if reply.startswith("421") and self.transport is not None:
            # RFC 5321 §3.8: a 421 announces that the server closes the channel.
            self.transport.close()

    async def push(self, status: str | bytes) -> None:  # type: ignore[override, unused-ignore]
        text = status.decode("utf-8", "surrogateescape") if isinstance(status, bytes) else status
        if not self._greeted:
            self._greeted = True
            if self._too_many:
                text = f"421 4.7.0 {self.rt.scenario.hostname} Error: too many connections, try again later"
            else:
                text = self.rt.render("banner", self) or f"220 {self.rt.scenario.hostname} ESMTP smtpkit practice lab"
            await self._raw(text)
            if not text.startswith("220") and self.transport is not None:
                self.transport.close()
            return
        await self._raw(_enhance(text))

    # --- commands -----------------------------------------------------------------------
    async def _greeted_by(self, verb: str, hostname: str) -> bool:
        """HELO/EHLO's common part: syntax, the scenario's override, the new session; False when answered."""
        if not hostname:
            await self.push(f"501 5.5.4 Syntax: {verb} hostname")
            return False
        override = self.rt.render("ehlo", self)
        if override:
            await self._raw(override)
            return False
        self._set_rset_state()  # type: ignore[no-untyped-call, unused-ignore]
        assert self.session is not None
        self.session.extended_smtp = verb == "EHLO"
        self.session.host_name = hostname
        return True

    async def smtp_HELO(self, hostname: str) -> None:
        if await self._greeted_by("HELO", hostname):
            await self._raw(f"250 {self.rt.scenario.hostname}")

    def _auth_advertised(self) -> bool:
        mode = self.rt.scenario.auth
        return mode == "plaintext_refused" or (mode == "after_tls" and self.is_tls)

    async def smtp_EHLO(self, hostname: str) -> None:
        if not await self._greeted_by("EHLO", hostname):
            return
        assert self.session is not None
        sc = self.rt.scenario
        peer = self.session.peer[0] if isinstance(self.session.peer, tuple) else "unknown"
        lines = [f"{sc.hostname} Hello {hostname} [{peer}]", f"SIZE {sc.size_limit}"]
        self.command_size_limits["MAIL"] = SMTP.command_size_limit + 26 + 10  # room for SIZE= and SMTPUTF8
        lines += ["PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"]
        if self.tls_context is not None and not self.is_tls:
            lines.append("STARTTLS")
        if self._auth_advertised():
            lines.append("AUTH " + " ".join(m for m in sc.auth_mechanisms if m in self._auth_methods))
        reply = "\n".join([f"250-{line}" for line in lines[:-1]] + [f"250 {lines[-1]}"])
        await self._raw(reply)

    async def smtp_STARTTLS(self, arg: str) -> None:
        if arg:
            await self.push("501 5.5.4 Syntax: STARTTLS")
            return
        if self.is_tls:
            await self._raw("554 5.5.1 Error: TLS already active")
            return
        if self.tls_context is None:
            await self._raw("502 5.5.1 Error: command not implemented")
            return
        override = self.rt.render("starttls", self)
        if override:
            await self._raw(override)
            return
        # aiosmtpd's STARTTLS, with an SSL protocol that sends its alert when the handshake fails.
        await self._raw("220 2.0.0 Ready to start TLS")
        waiter = self.loop.create_future()
        self._tls_protocol = _AlertFlushingSSLProtocol(
            self.loop, self, self.tls_context, waiter, server_side=True, ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT
        )
        self._original_transport = self.transport
        assert self._original_transport is not None
        self._original_transport.set_protocol(self._tls_protocol)
        self.transport = self._tls_protocol._app_transport
        self._tls_protocol.connection_made(self._original_transport)
        try:
            await waiter
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise TLSSetupException() from error

    async def smtp_AUTH(self, arg: str) -> None:
        if await self.check_helo_needed("EHLO"):
            return
        assert self.session is not None
        if not self.session.extended_smtp:
            await self._raw("503 5.5.1 Error: send EHLO first")
            return
        if self.rt.scenario.auth == "none":
            await self._raw("503 5.5.1 Error: authentication not enabled")
            return
        if not self.is_tls:
            await self._raw("530 5.7.0 Must issue a STARTTLS command first")
            return
        if arg:
            mechanism, _, rest = arg.partition(" ")
            arg = f"{mechanism.upper()} {rest}".strip()
        await super().smtp_AUTH(arg)
        if self._auth_failures >= MAX_AUTH_FAILURES and self.transport is not None:
            await self._raw(f"421 4.7.0 {self.rt.scenario.hostname} Error: too many failed logins, closing connection")

    def _auth_result(self, ok: bool, login: str) -> AuthResult:
        """The result of a finished AUTH exchange: the scenario's override wins, right password or not."""
        override = self.rt.render("auth", self, user=login)
        if override:
            self._auth_failures += 1
            return AuthResult(success=False, handled=False, message=override)
        if ok:
            return AuthResult(success=True, auth_data=login)
        self._auth_failures += 1
        return AuthResult(success=False, handled=False, message=AUTH_FAILED)

    @auth_mechanism("CRAM-MD5")
    async def auth_CRAM_MD5(self, _: Any, args: list[str]) -> AuthResult:
        if len(args) > 1:
            await self._raw("501 5.5.4 Error: CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = f"<{secrets.randbelow(10**10)}.{int(_dt.datetime.now().timestamp())}@{self.rt.scenario.hostname}>"
        response = await self.challenge_auth(challenge)
        if not isinstance(response, bytes):
            return AuthResult(success=False, handled=True)
        login, _, digest = response.decode("utf-8", "replace").rpartition(" ")
        if not login or not digest:
            await self._raw("501 5.5.2 Error: CRAM-MD5 answer must be 'user hexdigest'")
            return AuthResult(success=False, handled=True)
        expected = self.rt.cram_md5_digest(challenge.encode())
        ok = login == self.rt.user and hmac.compare_digest(digest.lower().encode(), expected.encode())
        return self._auth_result(ok, login)

    @auth_mechanism("XOAUTH2")
    async def auth_XOAUTH2(self, _: Any, args: list[str]) -> AuthResult:
        if len(args) == 1:
            blob = await self.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        else:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except (binascii.Error, ValueError):
                await self._raw("501 5.5.2 Error: cannot decode base64")
                return AuthResult(success=False, handled=True)
        parsed = _parse_xoauth2(blob)
        if parsed is None:
            await self._raw("501 5.5.2 Error: malformed XOAUTH2 response (expected user=...^Aauth=Bearer ...^A^A)")
            return AuthResult(success=False, handled=True)
        login, token = parsed
        result = self._auth_result(login == self.rt.user and self.rt.password_matches(token), login)
        if not result.success:
            # Google's behaviour (and the SASL XOAUTH2 spec): a JSON error as a 334
            # challenge, the client answers with an empty line, then the final 535.
            error = json.dumps(XOAUTH2_ERROR, separators=(",", ":")).encode()
            await self._raw("334 " + base64.b64encode(error).decode("ascii"))
            try:
                await self._reader.readline()
            except ValueError:  # a "line" longer than the stream limit: asyncio has discarded it
                await self._raw("500 5.5.6 Error: line too long")
                return AuthResult(success=False, handled=True)
        return result

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed():
            return
        assert self.envelope is not None
        if self.envelope.rcpt_tos and not arg:
            override = self.rt.render("data", self)
            if override:
                await self._raw(override)
                return
        await super().smtp_DATA(arg)

    async def smtp_VRFY(self, arg: str) -> None:
        # Real servers hide which mailboxes exist (disable_vrfy_command); so does the lab.
        await self._raw("252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery")


class _AlertFlushingSSLProtocol(sslproto.SSLProtocol):
    """asyncio's server-side TLS, but a failed handshake still sends its TLS alert.

    asyncio drops the alert OpenSSL wrote (for example "protocol version" when
    the client wants TLS 1.2+ and the server stops at 1.1) and just closes, so
    the client sees a bare EOF. A real server sends the alert, and the alert is
    what tells a diagnosis (and a person) *why* the handshake failed.
    """

    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        if handshake_exc is not None and hasattr(self, "_process_outgoing"):
            try:
                self._process_outgoing()
            except Exception:  # the peer may already be gone; the close below still happens
                pass
        super()._on_handshake_complete(handshake_exc)  # type: ignore[misc, unused-ignore]


def _parse_xoauth2(blob: bytes) -> tuple[str, bytes] | None:
    """``user=<u>\\x01auth=Bearer <token>\\x01\\x01`` -> (user, token); None when malformed."""
    parts = blob.split(b"\x01")
    fields: dict[bytes, bytes] = {}
    for part in parts:
        if not part:
            continue
        key, eq, value = part.partition(b"=")
        if not eq:
            return None
        fields[key.lower()] = value
    user, auth = fields.get(b"user"), fields.get(b"auth", b"")
    if user is None or not auth.lower().startswith(b"bearer "):
        return None
    return user.decode("utf-8", "replace"), auth[7:].strip()


class _SilentProtocol(asyncio.Protocol):
    """Accepts a connection and never says a word; hangs up after `SILENT_HOLD` seconds."""

    def __init__(self, rt: _Runtime, hold: float) -> None:
        self.rt = rt
        self.hold = hold
        self.transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if len(self.rt.connections) >= self.rt.max_connections:
            transport.close()
            return
        self.rt.connections.add(self)
        self._timer = asyncio.get_running_loop().call_later(self.hold, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # discarded, never buffered: a client cannot make the silent server grow

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.rt.connections.discard(self)

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


# ----------------------------------------------------------------------------- the group
def _family(host: str) -> socket.AddressFamily:
    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        raise ValueError(f"the lab listens on an IP address (127.0.0.1 or ::1), not {host!r}") from None


class SmtpServers:
    """Every lab SMTP server on one asyncio loop in one background thread.

    One loop for all of them keeps start-up fast (no thread per server, no
    readiness probes) and stop simple: close the listeners, abort the
    connections, stop the loop, join the thread.
    """

    def __init__(
        self,
        scenarios: Iterable[Scenario],
        *,
        host: str = "127.0.0.1",
        ca: LabCA | None,
        user: str,
        password: Secret,
        spool: MessageSpool,
        ports: Mapping[str, int] | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        silent_hold: float = SILENT_HOLD,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.host = host
        self._family = _family(host)
        self.ports: dict[str, int] = {}
        self._wanted = dict(ports or {})
        self.silent_hold = silent_hold
        self.runtimes = {
            sc.name: _Runtime(
                sc,
                user=user,
                password=password,
                spool=spool,
                ca=ca,
                idle_timeout=idle_timeout,
                max_connections=max_connections,
            )
            for sc in scenarios
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._held: list[socket.socket] = []

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> dict[str, int]:
        """Bind and serve every scenario; returns name -> port. Raises (after cleaning up) on failure."""
        if self.running:
            return dict(self.ports)
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        self._loop = loop
        self._thread = threading.Thread(target=self._run, args=(loop,), name="smtpkit-lab-smtp", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start_all(), loop).result(timeout)
        except BaseException:
            self.stop()
            raise
        return dict(self.ports)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            asyncio.set_event_loop(None)

    async def _start_all(self) -> None:
        loop = asyncio.get_running_loop()
        for name, rt in self.runtimes.items():
            port = int(self._wanted.get(name, 0))
            kind = rt.scenario.kind
            if kind == "refusing":
                sock = socket.socket(self._family, socket.SOCK_STREAM)
                sock.bind((self.host, port))  # bound, never listening: connections are refused
                self._held.append(sock)
                self.ports[name] = sock.getsockname()[1]
                continue
            if kind == "silent":
                server = await loop.create_server(
                    functools.partial(_SilentProtocol, rt, self.silent_hold), self.host, port
                )
            else:
                tls = rt.implicit_ctx
                server = await loop.create_server(
                    functools.partial(_LabSMTP, rt, loop),
                    self.host,
                    port,
                    ssl=tls,
                    ssl_handshake_timeout=TLS_HANDSHAKE_TIMEOUT if tls else None,
                )
            self._servers.append(server)
            self.ports[name] = server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        for rt in self.runtimes.values():
            for conn in list(rt.connections):
                conn.abort()
        for server in self._servers:
            try:
                await asyncio.wait_for(server.wait_closed(), 2.0)
            except (TimeoutError, Exception):
                pass
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every server, drop every connection, join the thread; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
            except Exception as exc:  # a stop must finish even when a connection misbehaves
                log.debug("lab SMTP shutdown: %s", exc)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
        if loop is not None and not loop.is_running() and not loop.is_closed():
            loop.close()
        for sock in self._held:
            sock.close()
        self._held.clear()
        self._servers.clear()
        self._loop = self._thread = None


_QUIET = (ssl.SSLError, ConnectionError, asyncio.CancelledError, TimeoutError)


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Failed handshakes are what half the lab is for; log them quietly, not as tracebacks."""
    exc = context.get("exception")
    if isinstance(exc, _QUIET):
        log.debug("lab SMTP: %s: %s", context.get("message"), exc)
    else:
        log.warning("lab SMTP: %s", context.get("message"), exc_info=exc)
