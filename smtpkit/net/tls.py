"""The TLS probe: handshake on an SMTP socket, verify, and capture the certificate either way.

This is the only TLS code that touches sockets. It does three things a plain
`ssl.wrap_socket` does not:

* It verifies by default (system store, or the `cafile` you give; never the
  unverified context `smtplib` falls back to) and still *shows* the
  certificate when verification fails: the certificates the server sent are
  captured from the handshake itself, and a second, unverified handshake on a
  fresh connection (`refetch`) reads them again so a report can print subject,
  names, dates and chain. That second connection is only used to read and is
  closed; nothing is ever sent over it.
* It runs the handshake non-blocking against a deadline, so a peer that drips
  one byte a second cannot stretch it beyond the budget.
* When the handshake fails for a reason a laxer client would get past (old TLS
  version, weak key, odd ciphers), it makes one permissive handshake on a fresh
  connection to learn what the server actually speaks, so the report can say
  "the server only speaks TLS 1.0" instead of "protocol version".

Results are a `TlsOutcome` of raw facts: OpenSSL's reason name and verify
code, the errno, the bytes a server sent instead of TLS, and the certificates
as DER. What they mean (which finding, which words) is `smtpkit.knowledge`'s to
say, applied in `smtpkit.checks.tls`; so is the choice of a second look
(`TlsOptions.second_look`), which the probe only carries out.
"""

from __future__ import annotations

import ipaddress
import re
import selectors
import socket
import ssl
import time
import warnings
from collections.abc import Callable
from errno import errorcode as errno_names

from smtpkit.progress import guard
from smtpkit.record import field, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

#: How many bytes of a non-TLS answer we keep as evidence (the server's "220 ..." greeting).
PEER_BYTES_CAP = 512
#: The most certificates we keep from one Certificate message (a hostile server could send thousands).
MAX_CHAIN = 16
#: Without an explicit deadline, start_tls may spend this many timeouts: the handshake, a reconnect, a second handshake.
FOLLOW_UP_FACTOR = 2.5
#: Bytes OpenSSL reads as one TLS record header before it can tell the data is not TLS.
SSL_RECORD_HEADER = 5
#: Largest Certificate message we parse.
MAX_CERT_MESSAGE = 256 * 1024

_TLS_VERSIONS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.0": ssl.TLSVersion.TLSv1,
    "1.0": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
    "1.3": ssl.TLSVersion.TLSv1_3,
}

#: A callable that opens a NEW plain socket positioned where the ClientHello goes.
Refetch = Callable[[], socket.socket]
#: Decides, from a failed outcome's raw facts, whether a second handshake can teach more:
#: "unverified" (read the certificate that failed verification), "permissive" (learn what an
#: outdated server speaks), or None.
SecondLook = Callable[["TlsOutcome"], "str | None"]


def read_rejected_certificate(outcome: TlsOutcome) -> str | None:
    """The default second look: after a verification failure, read the certificate the server sent.

    It needs no interpretation (the failure is OpenSSL's verify error); the
    permissive look at an outdated server does, so `smtpkit.checks.tls.second_look`
    decides that one from `smtpkit.knowledge`.
    """
    return "unverified" if outcome.failure == "verify" else None


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def _version_name(value: ssl.TLSVersion | str | None) -> str | None:
    version = parse_tls_version(value)
    return version.name if version is not None else None


def parse_tls_version(value: ssl.TLSVersion | str | None) -> ssl.TLSVersion | None:
    """'1.2', 'TLSv1.2', 'tls1.3' or an ssl.TLSVersion -> ssl.TLSVersion (ValueError on anything else)."""
    if value is None or isinstance(value, ssl.TLSVersion):
        return value
    key = str(value).strip().lower().replace("tls1", "tlsv1").replace(" ", "")
    if key in _TLS_VERSIONS:
        return _TLS_VERSIONS[key]
    raise ValueError(f"unknown TLS version {value!r}: use 1.0, 1.1, 1.2 or 1.3")


@record(frozen=True)
class TlsOptions:
    """How to shake hands.

    `server_hostname` is the name we expect in the certificate; it is sent as
    SNI when it is a name, and matched against IP SANs (no SNI) when it is an
    IP literal. `verify=False` turns verification off (the report then warns).
    `min_version` raises the floor (default: OpenSSL's, TLS 1.2).
    `second_look` decides after a failure whether a second handshake is worth
    it (default: read a certificate that failed verification; the session uses
    `smtpkit.checks.tls.second_look`, which also asks an outdated server what
    it speaks; None: never). `legacy_probe` allows the permissive handshake
    that learns an outdated server's real version, `fetch_unverified` the
    unverified one that reads a rejected certificate.
    """

    server_hostname: str | None = None
    cafile: str | None = None
    verify: bool = True
    timeout: float = 10.0
    min_version: ssl.TLSVersion | str | None = None
    alpn: tuple[str, ...] = ()
    legacy_probe: bool = True
    fetch_unverified: bool = True
    second_look: SecondLook | None = field(default=read_rejected_certificate, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (self.timeout and self.timeout > 0):
            raise ValueError("timeout must be a positive number of seconds")
        parse_tls_version(self.min_version)  # fail early on a typo
        if self.server_hostname is not None and any(c in self.server_hostname for c in "\r\n\x00"):
            raise ValueError("server_hostname must not contain CR, LF or NUL")

    @property
    def verified_against(self) -> str:
        if not self.verify:
            return "not verified (verification turned off)"
        return f"CA file {self.cafile}" if self.cafile else "the system trust store"

    @property
    def sni(self) -> str | None:
        name = (self.server_hostname or "").strip().rstrip(".")
        return name if name and not _is_ip_literal(name) else None


@record()
class Handshake:
    """One handshake attempt, for the step's "handshakes" table."""

    purpose: str
    result: str
    version: str | None = None
    cipher: str | None = None
    elapsed_ms: float = 0.0
    note: str = ""

    def to_row(self) -> dict[str, Any]:
        return {
            "attempt": self.purpose,
            "result": self.result,
            "version": self.version or "",
            "cipher": self.cipher or "",
            "ms": round(self.elapsed_ms, 1),
            "note": self.note,
        }


@record()
class TlsOutcome:
    """What the probe saw. `ok` means the handshake completed and the certificate was verified
    (or verification was explicitly turned off, in which case `verified` is False).

    On failure `tls_socket` is None and the socket handed to `start_tls` has
    been closed; `failure` says where it failed: ``config`` (our CA file),
    ``timeout`` (the deadline), ``verify`` (OpenSSL rejected the certificate:
    `verify_code`, `verify_message`), ``tls`` (another OpenSSL error:
    `error_reason` is its reason name), ``connection`` (the socket broke:
    `errno`) or ``other`` (an exception we did not expect: `error`).
    `peer_bytes` keeps what the server sent instead of a TLS answer. `ders`
    are the certificates the server sent (leaf first), verified or not;
    `cert_source` says which handshake delivered them.
    """

    ok: bool = False
    tls_socket: ssl.SSLSocket | None = field(default=None, repr=False)
    version: str | None = None
    cipher: tuple[str, int] | None = None
    sni: str | None = None
    alpn: str | None = None
    verified: bool = False
    verified_against: str = ""
    server_hostname: str | None = None
    error: BaseException | None = field(default=None, repr=False)
    failure: str | None = None
    error_reason: str | None = None
    error_message: str | None = None
    errno: int | None = None
    verify_code: int | None = None
    verify_message: str | None = None
    ders: list[bytes] = field(default_factory=list, repr=False)
    cert_source: str | None = None
    legacy_version: str | None = None
    legacy_cipher: tuple[str, int] | None = None
    legacy_error: str | None = None
    peer_bytes: bytes = b""
    refetch_error: str | None = None
    client_cert_requested: bool = False
    handshakes: list[Handshake] = field(default_factory=list)
    elapsed_ms: float = 0.0
    timeout: float = 0.0
    min_version: str | None = None

    @property
    def encrypted(self) -> bool:
        """True when there is a usable TLS connection (verified or not)."""
        return self.tls_socket is not None

    def close(self) -> None:
        if self.tls_socket is not None:
            try:
                self.tls_socket.close()
            finally:
                self.tls_socket = None


# ---------------------------------------------------------------------------
# contexts


def make_context(opts: TlsOptions) -> ssl.SSLContext:
    """The verifying client context: `ssl.create_default_context` with the system store or `cafile`.

    Raises ValueError with a readable message when the CA file cannot be used.
    """
    try:
        ctx = ssl.create_default_context(cafile=opts.cafile) if opts.cafile else ssl.create_default_context()
    except FileNotFoundError:
        raise ValueError(f"CA file {opts.cafile!r} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"CA file {opts.cafile!r} is a directory, not a PEM file") from None
    except PermissionError:
        raise ValueError(f"CA file {opts.cafile!r} cannot be read (permission denied)") from None
    except (ssl.SSLError, OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"CA file {opts.cafile!r} holds no usable PEM certificate ({exc})") from None
    if not opts.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    floor = parse_tls_version(opts.min_version)
    if floor is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = floor
            if floor < ssl.TLSVersion.TLSv1_2:
                ctx.set_ciphers("ALL:@SECLEVEL=0")
    if opts.alpn:
        ctx.set_alpn_protocols(list(opts.alpn))
    return ctx


def make_unverified_context() -> ssl.SSLContext:
    """Same protocol floor as a normal client, no verification: only to read a rejected certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def make_permissive_context() -> ssl.SSLContext:
    """Anything OpenSSL can still speak (TLS 1.0+, all ciphers, security level 0, legacy renegotiation).

    Used only to learn what an outdated server offers; never for mail.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    try:
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        ctx.set_ciphers("ALL")
    ctx.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)
    return ctx


# ---------------------------------------------------------------------------
# capturing the certificates the server sends, verified or not


class _CertCapture:
    """Collects the DER certificates of the server's Certificate handshake message.

    Python before 3.13 has no API for the peer's chain, and none at all for the
    certificate of a handshake that failed verification. OpenSSL's message
    callback (exposed as the semi-private `SSLContext._msg_callback`, which the
    standard library's own tests use) sees every handshake message after
    decryption, including TLS 1.3's encrypted Certificate message. When the
    hook is missing we still get the leaf from `getpeercert(binary_form=True)`.
    """

    def __init__(self) -> None:
        self.ders: list[bytes] = []
        self.error: str | None = None
        self.certificate_requested = False

    def install(self, ctx: ssl.SSLContext) -> None:
        if hasattr(ctx, "_msg_callback"):
            try:
                ctx._msg_callback = self._callback
            except Exception as exc:  # pragma: no cover - only on unusual builds
                self.error = f"certificate capture unavailable: {exc}"

    def _callback(self, conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any, data: bytes) -> None:
        try:
            if direction != "read" or int(content_type) != 22:
                return
            if int(msg_type) == 13:  # CertificateRequest: the server wants a client certificate
                self.certificate_requested = True
            if int(msg_type) != 11 or self.ders:
                return
            self.ders = parse_certificate_message(bytes(data), tls13=int(version) == 0x0304)
        except Exception as exc:  # a callback must never raise into OpenSSL
            self.error = f"could not read the Certificate message: {exc}"


def parse_certificate_message(data: bytes, tls13: bool) -> list[bytes]:
    """DER certificates from a TLS Certificate handshake message (with its 4-byte header).

    TLS 1.2 (RFC 5246 §7.4.2): certificate_list<0..2^24-1> of opaque ASN.1Cert<1..2^24-1>.
    TLS 1.3 (RFC 8446 §4.4.2): a request context<0..255> first, and each entry
    carries its own extensions<0..2^16-1> after the certificate.
    """
    if len(data) > MAX_CERT_MESSAGE + 4:
        raise ValueError("Certificate message too large")
    if len(data) >= 4 and data[0] == 11:
        body = data[4 : 4 + int.from_bytes(data[1:4], "big")]
    else:
        body = data
    pos = 0

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(body):
            raise ValueError("truncated Certificate message")
        chunk = body[pos : pos + n]
        pos += n
        return chunk

    if tls13:
        ctx_len = take(1)[0]
        take(ctx_len)
    total = int.from_bytes(take(3), "big")
    end = pos + total
    if end > len(body):
        raise ValueError("truncated certificate list")
    out: list[bytes] = []
    while pos < end and len(out) < MAX_CHAIN:
        n = int.from_bytes(take(3), "big")
        out.append(take(n))
        if tls13:
            ext_len = int.from_bytes(take(2), "big")
            take(ext_len)
    return out


def _peer_ders(capture: _CertCapture, ss: ssl.SSLSocket) -> list[bytes]:
    """The chain the capture saw, or at least the leaf from a completed handshake."""
    if capture.ders:
        return capture.ders
    leaf = ss.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _keep_chain(out: TlsOutcome, ders: list[bytes], source: str) -> None:
    """Record the certificates a handshake delivered, and where they came from."""
    out.ders = list(ders[:MAX_CHAIN])
    out.cert_source = source


# ---------------------------------------------------------------------------
# the handshake itself


class _DeadlineExceeded(TimeoutError):
    """The handshake's deadline passed; `sslsock` carries the half-open SSL socket to close."""

    sslsock: ssl.SSLSocket | None = None


def _deadline_exceeded(ss: ssl.SSLSocket) -> _DeadlineExceeded:
    exc = _DeadlineExceeded("TLS handshake timed out")
    exc.sslsock = ss
    return exc


def _remaining(deadline: float) -> float:
    return deadline - time.monotonic()


class _FirstBytes:
    """The first bytes the server sent after our hello, peeked (not consumed) for evidence."""

    def __init__(self) -> None:
        self.data = b""


def handshake(
    raw: socket.socket,
    ctx: ssl.SSLContext,
    server_hostname: str | None,
    deadline: float,
    first: _FirstBytes | None = None,
) -> ssl.SSLSocket:
    """Wrap `raw` and handshake non-blocking until done or `deadline` (monotonic) passes.

    Per-read timeouts are not enough: a server trickling bytes resets them
    forever. Here every wait is bounded by the one deadline. On any failure
    the SSL socket is returned inside the exception's `sslsock` attribute so the
    caller can drain evidence from it before closing.
    """
    raw.setblocking(False)
    ss = ctx.wrap_socket(raw, server_hostname=server_hostname, do_handshake_on_connect=False)
    with selectors.DefaultSelector() as sel, guard(ss):  # cancelling shuts the socket: the wait ends
        registered: int | None = None
        while True:
            try:
                ss.do_handshake()
                break
            except ssl.SSLWantReadError:
                events = selectors.EVENT_READ
            except ssl.SSLWantWriteError:
                events = selectors.EVENT_WRITE
            except BaseException as exc:
                exc.sslsock = ss  # type: ignore[attr-defined]
                raise
            left = _remaining(deadline)
            if left <= 0:
                raise _deadline_exceeded(ss)
            if registered is None:
                sel.register(ss, events)
            elif registered != events:
                sel.modify(ss, events)
            registered = events
            if not sel.select(left):
                raise _deadline_exceeded(ss)
            if first is not None and not first.data and events == selectors.EVENT_READ:
                # OpenSSL will consume these bytes; a peek keeps a copy in case they are not TLS
                # (a plain-text "220 ..." greeting is the proof of a wrong mode).
                try:
                    first.data = socket.socket.recv(ss, PEER_BYTES_CAP, socket.MSG_PEEK)
                except OSError:
                    pass
    return ss


def _drain(ss: socket.socket, deadline: float, cap: int = PEER_BYTES_CAP, wait: float = 0.5) -> bytes:
    """Read whatever plain bytes are left on a socket whose handshake failed (the server's text)."""
    out = b""
    stop = min(deadline, time.monotonic() + wait)
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(ss, selectors.EVENT_READ)
            while len(out) < cap:
                left = stop - time.monotonic()
                if left <= 0 or not sel.select(left):
                    break
                chunk = socket.socket.recv(ss, cap - len(out))  # raw bytes, bypassing the TLS layer
                if not chunk:
                    break
                out += chunk
                if b"\n" in chunk:
                    stop = min(stop, time.monotonic() + 0.05)
    except (OSError, ValueError):
        pass
    return out


def _peek(raw: socket.socket) -> bytes:
    """Bytes the server already sent before our ClientHello (it should have sent none)."""
    try:
        raw.setblocking(False)
        return raw.recv(PEER_BYTES_CAP, socket.MSG_PEEK)
    except (BlockingIOError, InterruptedError, OSError):
        return b""


def _close(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        sock.close()
    except OSError:
        pass


def _version_cipher(ss: ssl.SSLSocket) -> tuple[str | None, tuple[str, int] | None]:
    c = ss.cipher()
    return ss.version(), ((c[0], int(c[2])) if c else None)


def start_tls(
    sock: socket.socket,
    opts: TlsOptions,
    deadline: float | None = None,
    refetch: Refetch | None = None,
) -> TlsOutcome:
    """Handshake on `sock` (positioned for the ClientHello) and report everything seen.

    Never raises for network or TLS trouble: failures come back as a TlsOutcome
    with `error_*` set. Each handshake gets at most `opts.timeout`; `deadline`
    (time.monotonic() based; default now + 2.5 x timeout) bounds the whole call,
    follow-up included. The socket is consumed: on success it lives on inside
    `outcome.tls_socket` (blocking, with `opts.timeout`), on failure it is closed.
    `refetch` opens a new plain socket positioned for the ClientHello again
    (for STARTTLS: reconnect, greet, EHLO, STARTTLS); it is used at most once
    or twice, only after a failure, and only to read facts.
    """
    t0 = time.monotonic()
    # `deadline` bounds everything (both handshakes and the reconnect); each handshake
    # also gets at most opts.timeout. Without a deadline: room for the follow-up too.
    deadline = deadline if deadline is not None else t0 + opts.timeout * FOLLOW_UP_FACTOR
    first_end = min(deadline, t0 + opts.timeout)
    out = TlsOutcome(
        sni=opts.sni,
        server_hostname=opts.server_hostname,
        verified_against=opts.verified_against,
        timeout=opts.timeout,
        min_version=_version_name(opts.min_version),
    )
    try:
        ctx = make_context(opts)
    except ValueError as exc:
        _close(sock)
        out.error, out.failure, out.error_reason, out.error_message = exc, "config", "CAFILE", str(exc)
        out.elapsed_ms = (time.monotonic() - t0) * 1000.0
        return out

    capture = _CertCapture()
    capture.install(ctx)
    early = _peek(sock)
    first = _FirstBytes()
    hs = Handshake("verified" if opts.verify else "unverified (verification off)", "")
    t1 = time.monotonic()
    try:
        ss = handshake(sock, ctx, opts.server_hostname, first_end, first)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            _close(getattr(exc, "sslsock", None) or sock)
            raise
        hs.elapsed_ms = (time.monotonic() - t1) * 1000.0
        ss_failed = getattr(exc, "sslsock", None)
        seen = early if len(early) >= len(first.data) else first.data
        _record_failure(out, exc, seen, ss_failed, deadline, capture)
        hs.result = f"failed: {out.error_reason}"
        hs.note = out.verify_message or ""
        out.handshakes.append(hs)
        _close(ss_failed or sock)
        _follow_up(out, opts, refetch, deadline, capture)
        out.elapsed_ms = (time.monotonic() - t0) * 1000.0
        return out

    hs.elapsed_ms = (time.monotonic() - t1) * 1000.0
    out.version, out.cipher = _version_cipher(ss)
    out.alpn = ss.selected_alpn_protocol()
    out.verified = opts.verify
    out.ok = True
    hs.result, hs.version, hs.cipher = "ok", out.version, out.cipher[0] if out.cipher else None
    out.handshakes.append(hs)
    _keep_chain(out, _peer_ders(capture, ss), "the verified handshake" if opts.verify else "the unverified handshake")
    try:
        ss.setblocking(True)
        ss.settimeout(opts.timeout)
    except OSError:
        pass
    out.tls_socket = ss
    out.elapsed_ms = (time.monotonic() - t0) * 1000.0
    return out


def ssl_reason(exc: BaseException) -> str:
    """The name a failure goes by: OpenSSL's reason (``WRONG_VERSION_NUMBER``), ``timeout``, the errno's
    name for an OS error (``ECONNRESET``), else the exception's class name. A fact, not an explanation."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ssl.SSLEOFError):
        return getattr(exc, "reason", None) or "UNEXPECTED_EOF"
    if isinstance(exc, ssl.SSLZeroReturnError):
        return "EOF"
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None)
        if reason:
            return str(reason)
        m = re.search(r"\[SSL: ([A-Z0-9_]+)\]", str(exc))
        return m.group(1) if m else type(exc).__name__
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno in errno_names:
        return errno_names[exc.errno]
    return type(exc).__name__


def _failure(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "verify"
    if isinstance(exc, ssl.SSLError):
        return "tls"
    return "connection" if isinstance(exc, OSError) else "other"


def _record_failure(
    out: TlsOutcome,
    exc: BaseException,
    early: bytes,
    ss_failed: socket.socket | None,
    deadline: float,
    capture: _CertCapture,
) -> None:
    out.client_cert_requested = capture.certificate_requested
    out.error = exc
    out.failure = _failure(exc)
    out.error_reason = ssl_reason(exc)
    out.error_message = str(exc) or out.error_reason
    out.errno = getattr(exc, "errno", None) if out.failure == "connection" else None
    out.verify_code = getattr(exc, "verify_code", None)
    out.verify_message = getattr(exc, "verify_message", None)
    if out.failure == "tls":
        # What the server sent where OpenSSL expected a TLS record: its "220" greeting proves a
        # wrong mode, a record header with an impossible length a broken TLS server. OpenSSL may
        # have consumed the first bytes before our peek, so read what is left (briefly: a server
        # that failed a handshake closes the connection).
        rest = _drain(ss_failed, deadline) if ss_failed is not None else b""
        out.peer_bytes = _join_evidence(early, rest)
    if capture.ders:
        _keep_chain(out, capture.ders, "the failed handshake (captured before it was rejected)")


def _join_evidence(peeked: bytes, rest: bytes) -> bytes:
    """Rebuild what the server sent: OpenSSL consumed one 5-byte record header, the drain got the rest."""
    header = SSL_RECORD_HEADER
    if len(peeked) >= header:
        joined = peeked[:header] + rest
        return (joined if len(joined) >= len(peeked) else peeked)[:PEER_BYTES_CAP]
    if rest:
        return (b"..." + rest)[:PEER_BYTES_CAP]  # the first bytes were eaten by OpenSSL before we saw them
    return peeked[:PEER_BYTES_CAP]


def _follow_up(
    out: TlsOutcome, opts: TlsOptions, refetch: Refetch | None, deadline: float, capture: _CertCapture
) -> None:
    """After a failure: read the rejected certificate, or learn what an outdated server speaks."""
    if refetch is None or opts.second_look is None or _remaining(deadline) <= 0.05:
        return
    look = opts.second_look(out)
    if look == "unverified" and opts.fetch_unverified:
        purpose, label, ctx = "unverified, to read the certificate", "unverified", make_unverified_context()
    elif look == "permissive" and opts.legacy_probe:
        purpose, label = "permissive (TLS 1.0+, all ciphers), to learn what the server speaks", "permissive"
        ctx = make_permissive_context()
    else:
        return
    cap = _CertCapture()
    cap.install(ctx)
    hs = Handshake(purpose, "")
    t1 = time.monotonic()
    try:
        raw = refetch()
    except Exception as exc:  # the engine's reconnect failed: say so, keep what we have
        out.refetch_error = f"could not reconnect for a second handshake: {exc}"
        hs.result, hs.note = "not attempted", out.refetch_error
        out.handshakes.append(hs)
        return
    try:
        ss = handshake(raw, ctx, opts.sni, min(deadline, time.monotonic() + opts.timeout))
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            _close(getattr(exc, "sslsock", None) or raw)
            raise
        _close(getattr(exc, "sslsock", None) or raw)
        hs.elapsed_ms = (time.monotonic() - t1) * 1000.0
        reason = ssl_reason(exc)
        hs.result = f"failed: {reason}"
        if label == "permissive":
            out.legacy_error = reason
        out.handshakes.append(hs)
        if cap.ders and not out.ders:
            _keep_chain(out, cap.ders, "a second handshake that failed after the certificate arrived")
        return
    try:
        hs.elapsed_ms = (time.monotonic() - t1) * 1000.0
        version, cipher = _version_cipher(ss)
        hs.result, hs.version, hs.cipher = "ok", version, cipher[0] if cipher else None
        out.handshakes.append(hs)
        if label == "permissive":
            out.legacy_version, out.legacy_cipher = version, cipher
        ders = _peer_ders(cap, ss)
        if ders:
            _keep_chain(out, ders, f"a second, {label} handshake")
    finally:
        _close(ss)


# ---------------------------------------------------------------------------
# conveniences for implicit TLS (port 465) and for the port matrix


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    """Connect within the deadline. Every failure is an OSError, as the callers promise.

    A name that cannot be IDNA-encoded ("a..b", a 64-letter label) makes the socket
    module raise UnicodeError before any lookup; it is a bad host name, like EAI_NONAME.
    """
    left = _remaining(deadline)
    if left <= 0:
        raise TimeoutError("no time left to connect")
    try:
        return socket.create_connection((host, port), timeout=left)
    except UnicodeError as exc:
        raise socket.gaierror(socket.EAI_NONAME, f"{host!r} is not a valid host name ({exc})") from None


def probe_implicit_tls(host: str, port: int, opts: TlsOptions, deadline: float | None = None) -> TlsOutcome:
    """Connect to host:port and handshake at once (implicit TLS), reconnecting for follow-ups.

    Connection errors (refused, unreachable, timeout) are raised as OSError:
    they belong to the connect step, not to TLS.
    """
    end = deadline if deadline is not None else time.monotonic() + opts.timeout * FOLLOW_UP_FACTOR

    def connect() -> socket.socket:
        return _connect(host, port, min(end, time.monotonic() + opts.timeout))

    return start_tls(connect(), opts, deadline=end, refetch=connect)


def detect_implicit_tls(
    host: str, port: int, *, server_hostname: str | None = None, timeout: float = 5.0, deadline: float | None = None
) -> TlsOutcome | None:
    """Does host:port speak TLS from the first byte? For a plain-text client that got no greeting.

    Returns the (unverified) outcome when a TLS handshake succeeds on a fresh
    connection, so the caller can say "this is an implicit-TLS port: use
    --security tls" with the certificate as proof; None when it does not.
    The connection is closed either way and nothing is sent over it.
    """
    end = time.monotonic() + timeout
    if deadline is not None:
        end = min(end, deadline)
    opts = TlsOptions(
        server_hostname=server_hostname or host,
        verify=False,
        timeout=max(0.05, end - time.monotonic()),
        legacy_probe=False,
        fetch_unverified=False,
    )
    try:
        sock = _connect(host, port, end)
    except OSError:
        return None
    outcome = start_tls(sock, opts, deadline=end)
    if not outcome.encrypted:
        return None
    outcome.close()
    return outcome
