"""Pure classification of what goes wrong below SMTP: socket errors and greeting garbage.

A mail client usually reports all of these as "connection failed". Telling
them apart is the first half of the diagnosis: *refused* means nothing listens
(wrong port, server down), *timeout* means something silently drops packets
(a firewall, an ISP blocking port 25), *unreachable* means this machine has no
route, and a greeting that starts with ``SSH-2.0`` or ``HTTP/1.1`` or TLS record
bytes means the port is right but the service behind it is not SMTP (or not
plain-text SMTP). Everything here works on plain values (errno numbers, bytes),
so it is tested without sockets.
"""

from __future__ import annotations

import errno
import socket
import ssl

from smtpkit.octets import hex_preview, printable
from smtpkit.record import record

# -- socket errors ------------------------------------------------------------------

REFUSED = "refused"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
RESET = "reset"
ERROR = "error"

_UNREACHABLE_ERRNOS = {
    errno.ENETUNREACH: "no route to that network from this machine (network is unreachable)",
    errno.EHOSTUNREACH: "no route to that host (a router or firewall answered 'host unreachable')",
    errno.ENETDOWN: "the network interface needed for that address is down",
    errno.EHOSTDOWN: "the host is down",
    errno.EADDRNOTAVAIL: "this machine has no local address that can reach that address (often: no IPv6 connectivity)",
    errno.EAFNOSUPPORT: "this machine does not support that address family (often: IPv6 disabled)",
}
_RESET_ERRNOS = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED, errno.ESHUTDOWN}
_RESET_EXCEPTIONS = {"ConnectionResetError", "BrokenPipeError", "ConnectionAbortedError"}


@record(frozen=True)
class SocketProblem:
    """What a socket error means: a kind (refused/timeout/unreachable/reset/error) and plain words."""

    kind: str
    words: str
    errno: int | None = None


def classify_os_error(
    code: int | None, *, timed_out: bool = False, exception: str = "", message: str = ""
) -> SocketProblem:
    """Name what an operating-system error means, from the facts a probe recorded.

    `code` is the errno, `timed_out` whether our own wait ran out, `exception`
    the exception's class name (``ConnectionResetError``) and `message` the
    system's own words, quoted when the error is none of the known kinds.
    """
    if timed_out:
        return SocketProblem(
            TIMEOUT, "no answer within the time limit (packets are being dropped or the host is slow)", errno.ETIMEDOUT
        )
    if exception == "ConnectionRefusedError" or code == errno.ECONNREFUSED:
        return SocketProblem(
            REFUSED, "the host answered that nothing is listening on that port (connection refused)", errno.ECONNREFUSED
        )
    if code == errno.ETIMEDOUT:
        return SocketProblem(TIMEOUT, "the operating system gave up waiting for an answer (timed out)", code)
    if code in _UNREACHABLE_ERRNOS:
        return SocketProblem(UNREACHABLE, _UNREACHABLE_ERRNOS[code], code)
    if code in _RESET_ERRNOS or exception in _RESET_EXCEPTIONS:
        return SocketProblem(RESET, "the server (or a firewall between us) abruptly reset the connection", code)
    if code in (errno.EACCES, errno.EPERM):
        return SocketProblem(
            UNREACHABLE,
            "this machine's own firewall or security policy forbade the connection (permission denied)",
            code,
        )
    name = exception or "OSError"
    return SocketProblem(ERROR, f"{name}: {message or name}", code)


def classify_socket_error(exc: BaseException) -> SocketProblem:
    """Name what a connect/send/recv exception means, without the jargon of the errno."""
    if isinstance(exc, ssl.SSLError):
        return SocketProblem(ERROR, f"TLS error: {getattr(exc, 'reason', None) or exc}", None)
    return classify_os_error(
        getattr(exc, "errno", None),
        timed_out=isinstance(exc, (socket.timeout, TimeoutError)),
        exception=type(exc).__name__,
        message=getattr(exc, "strerror", None) or str(exc) or type(exc).__name__,
    )


def port_hint(port: int) -> str:
    """What a blocked or silent port usually means, by port number (used in connect/banner findings)."""
    if port == 25:
        return (
            "Port 25 is the server-to-server port, and most residential ISPs, cloud providers (AWS, Google "
            "Cloud, Azure, DigitalOcean) and many office firewalls block outgoing connections to it to stop "
            "spam from infected machines. Apps and mail clients should submit mail on port 587 (STARTTLS) or "
            "465 (implicit TLS) instead; 2525 is a common alternative where 587 is blocked."
        )
    if port == 465:
        return (
            "Port 465 is the implicit-TLS submission port (RFC 8314): some networks block it, and some "
            "providers (Office 365, Outlook.com) do not offer it at all. Try 587 with STARTTLS."
        )
    if port == 587:
        return (
            "Port 587 is the standard submission port; a timeout here usually means a firewall on your side "
            "(corporate egress rules, a hosting provider's outbound policy) or on the server's side. "
            "Try 465 (implicit TLS) or 2525, and test from another network to see which side blocks."
        )
    if port in (2525, 2587, 2465):
        return (
            f"Port {port} is an alternative submission port offered by some relays (SendGrid, Mailgun, Amazon "
            "SES, Mailjet) for networks that block 587; not every provider listens on it."
        )
    return (
        f"Port {port} is not a standard mail port: check the port in your provider's documentation "
        "(submission is normally 587 with STARTTLS or 465 with implicit TLS)."
    )


def suggested_ports(port: int) -> str:
    """The ports worth trying instead of `port`, as a short list."""
    order = [587, 465, 2525]
    return ", ".join(str(p) for p in order if p != port)


# -- greeting garbage ----------------------------------------------------------------

SMTP = "smtp"
SSH = "ssh"
HTTP = "http"
TLS = "tls"
BINARY = "binary"
OTHER_TEXT = "text"
POP3 = "pop3"
IMAP = "imap"


@record(frozen=True)
class GreetingKind:
    """What the first bytes a server sent look like, and what that usually means."""

    kind: str
    service: str
    words: str


_TLS_CONTENT_TYPES = {0x14: "change cipher spec", 0x15: "alert", 0x16: "handshake", 0x17: "application data"}


def _looks_like_tls(data: bytes) -> bool:
    # A TLS record: content type 20-23, then version 3.x (SSL 3.0 to TLS 1.3 all use major 3).
    return len(data) >= 2 and data[0] in _TLS_CONTENT_TYPES and data[1] == 0x03


def _binary_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    bad = sum(1 for b in data if b < 0x20 and b not in (0x09, 0x0A, 0x0D) or b == 0x7F)
    return bad / len(data)


def classify_greeting(data: bytes) -> GreetingKind:
    """Recognise what service sent `data` when SMTP's "220 ..." was expected.

    The answer drives the explanation: an SSH banner means the port number
    points at the wrong service, TLS bytes mean the port wants TLS first,
    binary noise means a non-SMTP protocol or a broken middlebox.
    """
    head = data.lstrip(b"\r\n")[:64]
    if not head:
        return GreetingKind(OTHER_TEXT, "nothing", "an empty line instead of a greeting")
    if _looks_like_tls(head):
        what = _TLS_CONTENT_TYPES[head[0]]
        return GreetingKind(
            TLS,
            "TLS",
            f"TLS record bytes ({what}, {hex_preview(head, 5)}): this port speaks TLS from the first byte "
            "(implicit TLS), not plain-text SMTP",
        )
    upper = head.upper()
    first_line = printable(head.split(b"\n")[0].rstrip(b"\r"), 60)
    if head.startswith(b"SSH-"):
        return GreetingKind(SSH, "SSH", f"an SSH server banner ({first_line}): this port runs SSH, not SMTP")
    if upper.startswith(b"HTTP/") or upper.startswith(b"<!DOCTYPE") or upper.startswith(b"<HTML"):
        return GreetingKind(HTTP, "HTTP", f"a web server's reply ({first_line}): this port runs HTTP, not SMTP")
    if head.startswith(b"+OK") or head.startswith(b"-ERR"):
        return GreetingKind(
            POP3, "POP3", "a POP3 greeting (+OK): this is the mailbox download port (110/995), not SMTP"
        )
    if head.startswith(b"* OK") or head.startswith(b"* PREAUTH") or head.startswith(b"* BYE"):
        return GreetingKind(
            IMAP, "IMAP", "an IMAP greeting (* OK): this is the mailbox access port (143/993), not SMTP"
        )
    if _binary_ratio(head) > 0.1 or b"\x00" in head:
        return GreetingKind(BINARY, "an unknown binary protocol", f"binary data ({hex_preview(head)}), not text")
    if head[:3].isdigit():
        return GreetingKind(SMTP, "SMTP", "an SMTP-style reply")
    return GreetingKind(
        OTHER_TEXT, "an unknown text protocol", f"text that is not an SMTP reply ({printable(head, 60)})"
    )


def is_not_smtp(kind: GreetingKind) -> bool:
    """True when the greeting identifies another service (banner.not_smtp) rather than broken SMTP."""
    return kind.kind in (SSH, HTTP, TLS, BINARY, POP3, IMAP)
