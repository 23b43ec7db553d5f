"""What a session diagnosis checks: `Target`, validated the moment it is created.

Everything a user types (host, port, EHLO name, addresses) ends up on an SMTP
command line. A CR or LF smuggled into any of them would let the input inject
extra SMTP commands, and a stray space or angle bracket produces a confusing
server error three steps later instead of a clear message now. So validation
happens here, once, with messages that say what was wrong and what to type
instead; probes can then trust every field.

Credentials are deliberately NOT part of `Target`: a Target is shown at the top
of every report, and a password must never be in something that gets shown.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from smtpkit.errors import InvalidSettings
from smtpkit.secrets import REDACTED

SECURITY_MODES = ("auto", "starttls", "tls", "plain")

# Words mail clients use for the same three settings, so a user can type what
# their client's dialog says.
_SECURITY_ALIASES = {
    "auto": "auto",
    "starttls": "starttls",
    "start_tls": "starttls",
    "explicit": "starttls",
    "tls": "tls",
    "ssl": "tls",
    "ssl/tls": "tls",
    "implicit": "tls",
    "implicit_tls": "tls",
    "smtps": "tls",
    "plain": "plain",
    "none": "plain",
    "off": "plain",
    "insecure": "plain",
}

AUTH_MECHANISMS = ("XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN")

DEFAULT_PORT = 587
IMPLICIT_TLS_PORTS = frozenset({465, 2465})

# RFC 5321 §4.5.3.1: a path is at most 256 octets, a domain 255, a local part 64.
_MAX_ADDRESS = 254
_MAX_LOCAL = 64
_MAX_DOMAIN = 253
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class TargetError(InvalidSettings):
    """A user-supplied setting that cannot be used; the message says how to fix it (see `smtpkit.errors`)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, field=field_name)


def _describe_control(value: str) -> str:
    m = _CONTROL.search(value)
    if not m:
        return ""
    ch = m.group(0)
    names = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\t": "a tab", "\x00": "a NUL byte"}
    return names.get(ch, f"the control character {ch!r}")


def _reject_control(field_name: str, value: str, label: str) -> None:
    what = _describe_control(value)
    if what:
        raise TargetError(
            field_name,
            f"{label} {value!r} contains {what}. Line breaks and control characters are never valid here, and "
            "on an SMTP command line they would inject extra commands; remove them (a value pasted from a "
            "document often carries a trailing newline).",
        )


def _ascii_domain(field_name: str, value: str, label: str) -> str:
    """A host or domain name in its ASCII (IDNA) form, or a clear error."""
    name = value.strip().rstrip(".")
    if not name:
        raise TargetError(field_name, f"{label} is empty: give a host name such as smtp.example.com or an IP address")
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError as exc:
        raise TargetError(field_name, f"{label} {value!r} is not a valid international domain name ({exc})") from None
    if len(ascii_name) > _MAX_DOMAIN:
        raise TargetError(field_name, f"{label} {value!r} is longer than the 253 characters DNS allows")
    for part in ascii_name.split("."):
        if not _LABEL.match(part):
            if " " in part:
                hint = "it contains a space"
            elif part == "":
                hint = "it has an empty label (two dots in a row, or a leading dot)"
            elif part.startswith("-") or part.endswith("-"):
                hint = f"the label {part!r} starts or ends with a hyphen"
            elif len(part) > 63:
                hint = f"the label {part[:20]!r}... is longer than 63 characters"
            else:
                bad = sorted({c for c in part if not (c.isalnum() or c in "-_")})
                hint = f"it contains {''.join(bad)!r}, which host names cannot contain"
            raise TargetError(field_name, f"{label} {value!r} is not a valid host name: {hint}")
    return ascii_name


# "user:password@" at the start of what was typed as a host, with or without a scheme.
# Greedy up to the last "@": a password pasted raw may itself hold "@" or "/".
_USERINFO = re.compile(r"^(?P<head>(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^:@/\s]*):(?P<password>.*)@", re.DOTALL)


def without_password(value: object) -> str:
    """`value` as text, with the password of a ``user:password@`` prefix replaced by <redacted>.

    People paste ``smtp://me:secret@smtp.example.com`` from application configs.
    We refuse such a host, but the refusal, the report's target line and any log
    must not repeat the password they just pasted.
    """
    text = str(value)
    return _USERINFO.sub(lambda m: f"{m.group('head')}:{REDACTED}@", text, count=1)


def parse_host(value: str) -> tuple[str, int | None, str | None]:
    """Split what a user typed into (host, port or None, security implied by a URL scheme or None).

    Accepts ``smtp.example.com``, ``smtp.example.com:587``, ``[2001:db8::1]:25``,
    a bare IPv6 address, and ``smtp://`` / ``smtps://`` / ``submission://`` URLs,
    because that is what people paste from their mail client's settings page.
    """
    if not isinstance(value, str):
        raise TargetError("host", f"host must be a string, not {type(value).__name__}")
    shown = without_password(value)
    if shown != value:
        raise TargetError(
            "host",
            f"The host {shown!r} carries a user name and password. Put them in their own settings "
            "(--user and --password-env), not in the host (a password in a URL ends up in shell history "
            "and logs); give only the server, like smtp.example.com:587",
        )
    _reject_control("host", value, "The host")
    s = value.strip()
    security: str | None = None
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", s)
    if m:
        scheme = m.group(1).lower()
        s = m.group(2)
        if scheme in ("smtps", "ssl", "tls"):
            security = "tls"
        elif scheme in ("smtp", "submission", "esmtp"):
            security = None
        else:
            raise TargetError(
                "host",
                f"The host {value!r} is a {scheme}:// address; give the mail server's host name "
                "(for example smtp.gmail.com), optionally with :port",
            )
        if "@" in s:
            raise TargetError(
                "host",
                "Put the user name and password in their own settings, not in the host URL "
                "(a password in a URL ends up in shell history and logs)",
            )
        s = s.split("/", 1)[0]
    if "@" in s:
        raise TargetError(
            "host",
            f"The host {value!r} looks like an email address. Give the SMTP server's host name "
            f"(for example smtp.{s.rsplit('@', 1)[1] or 'example.com'}), not your address.",
        )
    port: int | None = None
    if s.startswith("["):
        end = s.find("]")
        if end < 0:
            raise TargetError("host", f"The host {value!r} opens '[' for an IPv6 address but never closes it")
        host, rest = s[1:end], s[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise TargetError("host", f"The host {value!r}: expected ':port' after ']'")
            port = _parse_port(rest[1:])
    elif s.count(":") == 1:
        host, p = s.split(":")
        port = _parse_port(p)
    else:
        host = s
    return host, port, security


def _parse_port(value: Any) -> int:
    if isinstance(value, bool):
        raise TargetError("port", f"port must be a number from 1 to 65535, not {value!r}")
    try:
        port = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise TargetError(
            "port", f"port {value!r} is not a number; mail submission uses 587 (STARTTLS) or 465 (implicit TLS)"
        ) from None
    if not 0 < port < 65536:
        raise TargetError("port", f"port {port} is out of range: ports are 1 to 65535 (mail uses 25, 465, 587, 2525)")
    return port


def normalize_host(value: str) -> str:
    """An IP address literal in canonical form, or an ASCII host name."""
    host = value.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    else:
        # keep an IPv4-mapped address readable (::ffff:127.0.0.1, not ::ffff:7f00:1)
        if ip.version == 6 and ip.ipv4_mapped is not None:
            return f"::ffff:{ip.ipv4_mapped}"
        return str(ip)
    return _ascii_domain("host", host, "The host").lower()


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def normalize_security(value: str | None) -> str:
    if value is None:
        return "auto"
    key = str(value).strip().lower()
    if key in _SECURITY_ALIASES:
        return _SECURITY_ALIASES[key]
    raise TargetError(
        "security",
        f"security {value!r} is not one of auto, starttls, tls, plain "
        "('ssl' and 'implicit' mean tls, 'none' means plain)",
    )


def validate_helo(value: str) -> str:
    """The EHLO name: a domain name or an address literal like [192.0.2.1] (RFC 5321 §4.1.1.1)."""
    if not isinstance(value, str):
        raise TargetError("helo", f"the EHLO name must be a string, not {type(value).__name__}")
    _reject_control("helo", value, "The EHLO name")
    name = value.strip()
    if not name:
        raise TargetError("helo", "the EHLO name is empty: give your machine's full host name, like mail.example.com")
    if " " in name:
        raise TargetError("helo", f"the EHLO name {value!r} contains a space; it must be one host name")
    if name.startswith("[") and name.endswith("]"):
        inner = name[1:-1]
        if inner.lower().startswith("ipv6:"):
            inner = inner[5:]
        try:
            ipaddress.ip_address(inner)
        except ValueError:
            raise TargetError(
                "helo", f"the EHLO name {value!r} is not a valid address literal like [192.0.2.1]"
            ) from None
        return name
    if is_ip_literal(name):
        ip = ipaddress.ip_address(name)
        return f"[{ip}]" if ip.version == 4 else f"[IPv6:{ip}]"
    return _ascii_domain("helo", name, "The EHLO name")


def validate_address(field_name: str, value: str, label: str) -> str:
    """An email address fit for MAIL FROM/RCPT TO: one mailbox, no brackets, no line breaks."""
    if not isinstance(value, str):
        raise TargetError(field_name, f"{label} must be a string, not {type(value).__name__}")
    _reject_control(field_name, value, label)
    addr = value.strip()
    if addr.startswith("<") and addr.endswith(">"):
        addr = addr[1:-1].strip()
    if not addr:
        raise TargetError(field_name, f"{label} is empty: give an address like you@example.com")
    if any(c in addr for c in "<>"):
        raise TargetError(
            field_name,
            f"{label} {value!r} contains '<' or '>': give only the address (you@example.com), "
            "not a display name like 'You <you@example.com>'",
        )
    if " " in addr or "," in addr or ";" in addr:
        raise TargetError(
            field_name, f"{label} {value!r} contains a space, comma or semicolon: give exactly one address"
        )
    if len(addr) > _MAX_ADDRESS:
        raise TargetError(field_name, f"{label} is longer than the {_MAX_ADDRESS} characters SMTP allows")
    local, sep, domain = addr.rpartition("@")
    if not sep or not local or not domain:
        raise TargetError(field_name, f"{label} {value!r} is not an email address: it needs the form name@domain")
    if len(local.encode("utf-8")) > _MAX_LOCAL:
        raise TargetError(field_name, f"{label} {value!r}: the part before @ is longer than the 64 octets SMTP allows")
    if domain.startswith("[") and domain.endswith("]"):
        validate_helo(domain)
        return addr
    ascii_domain = _ascii_domain(field_name, domain, f"The domain of {label.lower()}")
    return f"{local}@{ascii_domain}"


def needs_smtputf8(address: str) -> bool:
    """True when an address carries non-ASCII text that only SMTPUTF8 (RFC 6531) can transport."""
    return not address.isascii()


def _tuple_of_addresses(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = [v for v in re.split(r"[,;]\s*", value.strip()) if v] if ("," in value or ";" in value) else [value]
    else:
        items = list(value)
    return tuple(validate_address("rcpt_to", v, "The recipient") for v in items)


def _seconds(field_name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TargetError(field_name, f"{field_name} {value!r} is not a number of seconds") from None


@dataclass(frozen=True, init=False)
class Target:
    """One SMTP server and the settings to diagnose it with; invalid input raises `TargetError`.

    `host` may carry ``:port`` or an ``smtp://``/``smtps://`` scheme when `port`
    and `security` are left at their defaults, because that is how people copy
    settings out of mail clients. After construction every field has its
    concrete type: `port` is an int (the mode's default when none was given),
    `timeout` a float, `rcpt_to` a tuple of validated addresses.
    """

    host: str
    port: int
    security: str
    username: str | None
    helo: str | None
    mail_from: str | None
    rcpt_to: tuple[str, ...]
    send: bool
    cafile: str | None
    timeout: float
    deadline: float | None
    allow_plaintext_auth: bool
    auth_mechanism: str | None
    credential: str  # "password", "oauth" or "none": which secret was given (never the secret)

    def __init__(
        self,
        host: str,
        port: int | str | None = None,
        security: str = "auto",
        username: str | None = None,
        helo: str | None = None,
        mail_from: str | None = None,
        rcpt_to: str | Iterable[str] = (),
        send: bool = False,
        cafile: str | None = None,
        timeout: float | str = 10.0,
        deadline: float | str | None = None,
        allow_plaintext_auth: bool = False,
        auth_mechanism: str | None = None,
        credential: str = "none",
    ) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        parsed_host, url_port, url_security = parse_host(host)
        if url_port is not None:
            if port is not None and _parse_port(port) != url_port:
                raise TargetError("port", f"the host says port {url_port} but port {port} was also given; pick one")
            port = url_port
        put("host", normalize_host(parsed_host))
        mode = normalize_security(security)
        if url_security and mode == "auto":
            mode = url_security
        put("security", mode)
        if port is None:
            port = 465 if mode == "tls" else DEFAULT_PORT
        put("port", _parse_port(port))
        if username is not None:
            if not isinstance(username, str):
                raise TargetError("username", "the user name must be a string")
            _reject_control("username", username, "The user name")
            if not username.strip():
                raise TargetError("username", "the user name is empty; leave it out to skip AUTH")
            username = username.strip()
        put("username", username)
        put("helo", validate_helo(helo) if helo is not None else None)
        put(
            "mail_from",
            validate_address("mail_from", mail_from, "The sender (MAIL FROM)") if mail_from is not None else None,
        )
        recipients = _tuple_of_addresses(rcpt_to)
        put("rcpt_to", recipients)
        if recipients and mail_from is None:
            raise TargetError("mail_from", "a recipient was given without a sender: add mail_from (--mail-from)")
        if mail_from is not None and not recipients:
            raise TargetError("rcpt_to", "a sender was given without a recipient: add rcpt_to (--rcpt-to)")
        if send and not recipients:
            raise TargetError("send", "send=True needs mail_from and rcpt_to: whom should the test message go to?")
        if len(recipients) > 20:
            raise TargetError("rcpt_to", "at most 20 recipients: this is a test message, not a mailing")
        if cafile is not None:
            path = os.path.expanduser(str(cafile))
            if not os.path.isfile(path):
                raise TargetError("cafile", f"the CA file {cafile!r} does not exist or is not a file")
            if not os.access(path, os.R_OK):
                raise TargetError("cafile", f"the CA file {cafile!r} is not readable by this user")
            cafile = path
        put("cafile", cafile)
        seconds = _seconds("timeout", timeout)
        if not 0 < seconds <= 600:
            raise TargetError("timeout", f"timeout {seconds} s is out of range: use 0.1 to 600 seconds (default 10)")
        put("timeout", seconds)
        limit: float | None = None
        if deadline is not None:
            limit = _seconds("deadline", deadline)
            if not 0 < limit <= 3600:
                raise TargetError("deadline", f"deadline {limit} s is out of range: use up to 3600 seconds")
        put("deadline", limit)
        mech: str | None = None
        if auth_mechanism is not None:
            mech = str(auth_mechanism).strip().upper()
            if mech not in AUTH_MECHANISMS:
                raise TargetError(
                    "auth_mechanism",
                    f"AUTH mechanism {auth_mechanism!r} is not one of {', '.join(AUTH_MECHANISMS)}",
                )
        put("auth_mechanism", mech)
        if credential not in ("password", "oauth", "none"):
            raise TargetError("credential", "credential must be 'password', 'oauth' or 'none'")
        put("credential", credential)
        put("send", bool(send))
        put("allow_plaintext_auth", bool(allow_plaintext_auth))

    # -- derived ----------------------------------------------------------------
    @property
    def session_deadline(self) -> float:
        """Seconds the whole session may take: given, or enough for every step at one timeout each."""
        if self.deadline is not None:
            return self.deadline
        return self.timeout * (6 + len(self.rcpt_to))

    @property
    def is_ip(self) -> bool:
        return is_ip_literal(self.host)

    @property
    def address(self) -> str:
        """host:port as people write it ([v6]:port for IPv6)."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def to_dict(self) -> dict[str, Any]:
        """What the report shows at its top: every setting except secrets (there are none here)."""
        out: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
        }
        if self.username:
            out["username"] = self.username
        out["credential"] = self.credential
        if self.helo:
            out["helo"] = self.helo
        if self.mail_from:
            out["mail_from"] = self.mail_from
        if self.rcpt_to:
            out["rcpt_to"] = ", ".join(self.rcpt_to)
            out["send"] = self.send
        if self.cafile:
            out["cafile"] = self.cafile
        out["timeout"] = self.timeout
        if self.allow_plaintext_auth:
            out["allow_plaintext_auth"] = True
        return out
