"""What a check checks, validated the moment it is created: `Target` and the one set of validators.

The other settings objects live beside it, built from the same validators:
`smtpkit.settings.domain.DomainQuery`, `smtpkit.settings.ports.PortsQuery` and
`smtpkit.settings.audit.AuditConfig`. Each is a module of its own because
each class costs its import time, and `smtpkit check`,
whose start-up is measured (issue 8 §5), needs only `Target`.

Every front end (the notebook forms, the command line, a notebook's parameters
cell, the Python API) builds these same objects, so the same bad value gets the
same answer everywhere: an `InvalidSettings` (a `ValueError`, see
`smtpkit.errors`) whose message names the field and what to type instead. The
CLI prints that message and exits 2; the forms show it as an explanation.

Why validate here, once, rather than where a value is used: everything a user
types (host, EHLO name, addresses) ends up on an SMTP command line or in a DNS
query. A CR or LF smuggled into one would inject extra SMTP commands; a stray
space or angle bracket produces a confusing server error three steps later
instead of a clear message now; a timeout of 1e308 or an IP address with a
scope id passes a range check and then breaks deep inside a library. So every
value goes through one validator here, and probes can trust every field.

Credentials are deliberately NOT part of `Target`: a Target is shown at the top
of every report, and a password must never be in something that gets shown.
They travel beside it as `smtpkit.secrets.Secret`. A password pasted into a
host (``smtp://me:secret@host``) is refused, and the refusal, like every other
message here, shows it as ``<redacted>`` (`without_password`).
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable, Iterable

from smtpkit.errors import InvalidSettings
from smtpkit.record import record
from smtpkit.secrets import REDACTED, Secret

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any, TypeVar

    _T = TypeVar("_T")

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
DEFAULT_PORTS = (25, 465, 587, 2525)
MAX_PORTS = 32
MAX_RECIPIENTS = 20

SESSION_TIMEOUT = 10.0  # seconds per network operation of a session
MAX_TIMEOUT = 600.0
MAX_DEADLINE = 3600.0
DOMAIN_TIMEOUT = 20.0  # the overall deadline of a domain check
MAX_DNS_TIMEOUT = 60.0  # seconds per DNS query

# RFC 5321 §4.5.3.1: a path is at most 256 octets, a domain 255, a local part 64.
MAX_ADDRESS = 254
_MAX_LOCAL = 64
_MAX_DOMAIN = 253
_MAX_TEXT = 1000  # anything longer is refused before it is looked at closely
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# `TargetError` was the name of this contract before `smtpkit.errors` existed; it is the same class.
TargetError = InvalidSettings


def invalid(field_name: str, message: str) -> InvalidSettings:
    """The error for a refused value, naming its field (for the form to mark it): what every validator raises."""
    return InvalidSettings(message, field=field_name)


class Refusals:
    """Validate a settings object field by field and keep every refusal, not only the first.

    `take(read, fallback)` returns what `read()` returns, or `fallback` after
    noting its `InvalidSettings`; `raise_first()` raises the first refusal with
    the others in its `also`. The message is the one a stop at the first
    refusal gave (the command line shows it), and a form marks every field in
    `also` as well (a person fixed one field a Run before).
    """

    def __init__(self) -> None:
        self.found: list[InvalidSettings] = []

    def take(self, read: Callable[[], _T], fallback: _T) -> _T:
        try:
            return read()
        except InvalidSettings as exc:
            self.add(exc)
            return fallback

    def add(self, exc: InvalidSettings) -> None:
        """Note a refusal (and the ones it carries); a field already refused keeps its first message."""
        for one in (exc, *exc.also):
            if not (one.field and self.refused(one.field)):
                self.found.append(one)

    def refused(self, field_name: str) -> bool:
        return any(exc.field == field_name for exc in self.found)

    def raise_first(self) -> None:
        if self.found:
            first, *others = self.found
            first.also = tuple(others)
            raise first


# -- showing what was typed ---------------------------------------------------------------

# "user:password@" at the start of what was typed as a host, with or without a scheme. The user part
# may itself be an e-mail address (me@example.com:pw@smtp.example.com); the password runs to the
# last "@", since a password pasted raw may hold "@", ":" or "/".
_USERINFO = re.compile(
    r"^(?P<head>(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^:/\s]*):(?P<password>.*)@(?P<tail>[^@]*)$", re.DOTALL
)


def without_password(value: object) -> str:
    """`value` as text, with the password of a ``user:password@`` prefix replaced by <redacted>.

    People paste ``smtp://me:secret@smtp.example.com`` from application configs.
    We refuse such a host, but the refusal, the report's target line and any log
    must not repeat the password they just pasted. The password is also handed
    to the redactor, so a copy of the value that travels on (a notebook
    parameter, a log line) is redacted wherever it ends up.
    """
    text = str(value)
    m = _USERINFO.match(text)
    if not m or not m.group("password"):
        return text
    if len(m.group("password")) >= 4:
        Secret(m.group("password"))  # registered with the process-wide redactor
    return f"{m.group('head')}:{REDACTED}@{m.group('tail')}"


def quoted(value: object, limit: int = 80) -> str:
    """A typed value for a message: its password hidden, control characters escaped, at most `limit` characters."""
    text = without_password(value)
    if len(text) > limit:
        return repr(text[:limit]) + f" (… {len(text) - limit} more characters)"
    return repr(text)


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
        raise invalid(
            field_name,
            f"{label} {quoted(value)} contains {what}. Line breaks and control characters are never valid here, "
            "and on an SMTP command line they would inject extra commands; remove them (a value pasted from a "
            "document often carries a trailing newline).",
        )


def plain_text(field_name: str, value: Any, label: str, *, limit: int = _MAX_TEXT) -> str:
    """A stripped string without control characters and of sane length, or InvalidSettings."""
    if not isinstance(value, str):
        raise invalid(field_name, f"{label} must be text, not {type(value).__name__}")
    _reject_control(field_name, value, label)
    text = value.strip()
    if len(text) > limit:
        raise invalid(field_name, f"{label} {quoted(text)} is {len(text)} characters long; at most {limit} make sense")
    return text


def _foreign_digits(text: str) -> bool:
    """True when `text` holds a digit outside 0-9 (Arabic-Indic, fullwidth, ...), which only look like numbers."""
    return any(ch.isdigit() and not ch.isascii() for ch in text)


# -- names ---------------------------------------------------------------------------------------


def _ascii_domain(field_name: str, value: str, label: str) -> str:
    """A host or domain name in its ASCII (IDNA) form, or a clear error."""
    name = value.strip().rstrip(".")
    if not name:
        raise invalid(field_name, f"{label} is empty: give a host name such as smtp.example.com or an IP address")
    if len(name) > _MAX_DOMAIN * 4:
        raise invalid(field_name, f"{label} {quoted(value)} is longer than the 253 characters DNS allows")
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError as exc:
        raise invalid(field_name, f"{label} {quoted(value)} is not a valid international domain name ({exc})") from None
    if len(ascii_name) > _MAX_DOMAIN:
        raise invalid(field_name, f"{label} {quoted(value)} is longer than the 253 characters DNS allows")
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
            raise invalid(field_name, f"{label} {quoted(value)} is not a valid host name: {hint}")
    return ascii_name


def validate_ip(
    value: Any, *, field: str = "ip", label: str = "The IP address", example: str = "192.0.2.10 or 2001:db8::25"
) -> str:
    """An IPv4 or IPv6 address in canonical form (brackets allowed), or InvalidSettings.

    Refused, with the reason: a scope id (``fe80::1%eth0`` names an interface of
    *this* machine, which means nothing to a receiver or in a DNS name) and digits
    outside 0-9 (``1.2.3.٤`` only looks like an address).
    """
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        value = str(value)
    text = plain_text(field, value, label, limit=100)
    inner = text[1:-1].strip() if text.startswith("[") and text.endswith("]") else text
    if inner.lower().startswith("ipv6:"):
        inner = inner[5:]
    if not inner:
        raise invalid(field, f"{label} is empty: give an address like {example}")
    if _foreign_digits(inner) or not inner.isascii():
        raise invalid(
            field,
            f"{label} {quoted(text)} contains characters outside 0-9, a-f, '.' and ':' (digits from another script "
            "or fullwidth digits only look like an address); type it with the plain digits 0-9",
        )
    if "%" in inner:
        raise invalid(
            field,
            f"{label} {quoted(text)} carries a scope id ({inner[inner.index('%') :]!r}), which names a network "
            f"interface of this machine; give the address without it, like {inner.split('%', 1)[0] or 'fe80::1'}",
        )
    try:
        ip = ipaddress.ip_address(inner)
    except ValueError:
        raise invalid(field, f"{label} {quoted(text)} is not an IP address; give one like {example}") from None
    # keep an IPv4-mapped address readable (::ffff:127.0.0.1, not ::ffff:7f00:1)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


def _looks_like_ip(text: str) -> bool:
    """An IP literal, or something made of digits (of any script), dots and colons meant as one."""
    inner = text.strip().strip("[]")
    if is_ip_literal(inner.split("%", 1)[0]):
        return True
    return bool(inner) and all(ch.isdigit() or ch in ".:%" for ch in inner) and any(ch.isdigit() for ch in inner)


def normalize_host(value: str) -> str:
    """An IP address literal in canonical form, or an ASCII host name (the `host` field)."""
    host = value.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if _looks_like_ip(host):
        return validate_ip(host, field="host", label="The host")
    return _ascii_domain("host", host, "The host").lower()


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def validate_domain(value: Any, *, field: str = "domain", label: str = "The domain") -> str:
    """A checked, lower-case, ASCII (IDNA) domain name with at least two labels, or InvalidSettings.

    An IP address, a URL or an e-mail address are refused with what to give
    instead: people paste all three into a "domain" box.
    """
    raw = plain_text(field, value, label)
    if not raw:
        raise invalid(field, f"{label} is empty: give a domain like example.com")
    if _looks_like_ip(raw):
        raise invalid(
            field,
            f"{label} {quoted(raw)} is an IP address, not a domain. Give the domain of your From address "
            "(example.com); to check the address your mail leaves from (its reverse DNS and SPF), give it as "
            "the sending IP (--ip, ip=) together with the domain",
        )
    if "://" in raw or "@" in raw:
        # a pasted URL may carry user:password@: neither the message nor the suggestion repeats it
        if "://" in raw:
            host = raw.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
            raise invalid(field, f"{label} {quoted(raw)} is a URL; give only the domain, e.g. {host}")
        domain_part = raw.rsplit("@", 1)[1].split(":", 1)[0]
        raise invalid(
            field,
            f"{label} {quoted(raw)} looks like an e-mail address; give only the domain part, e.g. {domain_part}",
        )
    name = raw.rstrip(".").lower()
    if len(name) > _MAX_DOMAIN * 4:
        raise invalid(field, f"{label} {quoted(raw)} is longer than the 253 characters DNS allows")
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        raise invalid(field, f"{label} {quoted(raw)} is not a valid international domain name") from None
    labels = name.split(".")
    if any(c.isspace() for c in name):  # before the dot: "not a domain" has none, but its spaces are the problem
        raise invalid(field, f"{label} {quoted(raw)} holds spaces, and a domain name has none (like example.com)")
    if len(labels) < 2:
        raise invalid(field, f"{label} {quoted(raw)} is not a full domain name (it needs a dot, like example.com)")
    bad = [lab for lab in labels if not _LABEL.match(lab)]
    if bad:
        raise invalid(
            field,
            f"{label} {quoted(raw)} is not a valid domain name: the part {bad[0][:70]!r} may only hold letters, "
            "digits and hyphens (1-63 characters, not starting or ending with a hyphen)",
        )
    if labels[-1].isdigit():
        raise invalid(
            field, f"{label} {quoted(raw)} ends in a number, and no top-level domain is all digits: check for a typo"
        )
    if len(name) > _MAX_DOMAIN:
        raise invalid(field, f"{label} {quoted(raw)} is longer than the 253 characters DNS allows")
    return name


def validate_selector(value: Any, *, field: str = "selectors") -> str:
    """A DKIM selector; a pasted full key name (s1._domainkey.example.com) or ``s=s1`` keeps the selector."""
    text = plain_text(field, value, "The DKIM selector", limit=300)
    s = text.rstrip(".").lower()
    if "._domainkey" in s:
        s = s.split("._domainkey", 1)[0]
    if s.startswith("s=") or s.startswith("s ="):
        s = s.split("=", 1)[1].strip()
    if not s or len(s) > _MAX_DOMAIN or any(not _LABEL.match(lab) for lab in s.split(".")):
        raise invalid(
            field,
            f"DKIM selector {quoted(text)} is not valid: use the s= value of a DKIM-Signature, like 'selector1' "
            "or 'google'",
        )
    return s


def validate_helo(value: Any, *, field: str = "helo") -> str:
    """The EHLO name: a domain name or an address literal like [192.0.2.1] (RFC 5321 §4.1.1.1)."""
    if not isinstance(value, str):
        raise invalid(field, f"the EHLO name must be a string, not {type(value).__name__}")
    name = plain_text(field, value, "The EHLO name")
    if not name:
        raise invalid(field, "the EHLO name is empty: give your machine's full host name, like mail.example.com")
    if " " in name:
        raise invalid(field, f"the EHLO name {quoted(value)} contains a space; it must be one host name")
    if name.startswith("[") and name.endswith("]"):
        inner = name[1:-1]
        ip = validate_ip(inner, field=field, label="The EHLO address literal")
        return f"[{ip}]" if ":" not in ip else f"[IPv6:{ip}]"
    if _looks_like_ip(name):
        ip = validate_ip(name, field=field, label="The EHLO name")
        return f"[{ip}]" if ":" not in ip else f"[IPv6:{ip}]"
    return _ascii_domain(field, name, "The EHLO name")


def validate_address(field_name: str, value: Any, label: str) -> str:
    """An email address fit for MAIL FROM/RCPT TO: one mailbox, no brackets, no line breaks, at most 254 octets."""
    addr = plain_text(field_name, value, label)
    if addr.startswith("<") and addr.endswith(">"):
        addr = addr[1:-1].strip()
    if not addr:
        raise invalid(field_name, f"{label} is empty: give an address like you@example.com")
    if any(c in addr for c in "<>"):
        raise invalid(
            field_name,
            f"{label} {quoted(value)} contains '<' or '>': give only the address (you@example.com), "
            "not a display name like 'You <you@example.com>'",
        )
    if " " in addr or "," in addr or ";" in addr:
        raise invalid(
            field_name, f"{label} {quoted(value)} contains a space, comma or semicolon: give exactly one address"
        )
    if len(addr.encode("utf-8")) > MAX_ADDRESS:
        raise invalid(field_name, f"{label} is longer than the {MAX_ADDRESS} octets SMTP allows")
    local, sep, domain = addr.rpartition("@")
    if not sep or not local or not domain:
        raise invalid(field_name, f"{label} {quoted(value)} is not an email address: it needs the form name@domain")
    if len(local.encode("utf-8")) > _MAX_LOCAL:
        raise invalid(
            field_name, f"{label} {quoted(value)}: the part before @ is longer than the 64 octets SMTP allows"
        )
    if domain.startswith("[") and domain.endswith("]"):
        validate_helo(domain, field=field_name)
        return addr
    ascii_domain = _ascii_domain(field_name, domain, f"The domain of {label.lower()}")
    return f"{local}@{ascii_domain}"


def needs_smtputf8(address: str) -> bool:
    """True when an address carries non-ASCII text that only SMTPUTF8 (RFC 6531) can transport."""
    return not address.isascii()


def validate_username(value: Any, *, field: str = "username") -> str:
    text = plain_text(field, value, "The user name")
    if not text:
        raise invalid(field, "the user name is empty; leave it out to skip AUTH")
    return text


# -- numbers ---------------------------------------------------------------------------------------


def _number_text(field_name: str, value: Any, label: str, example: str) -> Any:
    """`value` itself, or a str of plain ASCII digits ready for int()/float(); InvalidSettings otherwise."""
    if isinstance(value, bool):
        raise invalid(field_name, f"{label} must be a number, not {value!r}")
    if isinstance(value, str):
        text = plain_text(field_name, value, label, limit=40)
        if _foreign_digits(text) or not text.isascii():
            raise invalid(
                field_name, f"{label} {quoted(text)} holds characters other than the digits 0-9; type it as {example}"
            )
        return text
    return value


_DNS_PORTS = "DNS servers listen on 53; the practice lab's on a port of its own, which Practice lab mode fills in"
#: What a port field's messages say, by what the port is for: (an example to type, the usual ports, what to type
#: instead of something that is not a number). A DNS server's port is not told of the mail ports.
_PORT_HINTS = {
    "mail": ("587", "mail uses 25, 465, 587, 2525", "mail submission uses 587 (STARTTLS) or 465 (implicit TLS)"),
    "dns": ("53", _DNS_PORTS, _DNS_PORTS),
}


def validate_port(value: Any, *, field: str = "port", label: str = "port", kind: str = "mail") -> int:
    """A TCP port, 1-65535 (a number or its ASCII digits). `kind` ("mail", "dns") says which ports the field
    usually takes, for the messages."""
    example, usual, instead = _PORT_HINTS[kind]
    given = _number_text(field, value, label, example)
    if isinstance(given, float) and not given.is_integer():
        raise invalid(field, f"{label} {given!r} is not a whole number; ports are 1 to 65535 ({usual})")
    try:
        port = int(given) if not isinstance(given, int) else given
    except (TypeError, ValueError):
        raise invalid(field, f"{label} {quoted(value)} is not a number; {instead}") from None
    if not 0 < port < 65536:
        raise invalid(field, f"{label} {port} is out of range: ports are 1 to 65535 ({usual})")
    return port


def validate_ports(value: str | Iterable[Any], *, field: str = "ports") -> list[int]:
    """'25,465,587' or [25, 465] -> a de-duplicated list of valid ports, at most 32."""
    if isinstance(value, str):
        text = plain_text(field, value, "The port list")
        items: list[Any] = [p for p in re.split(r"[,;\s]+", text) if p]
    else:
        items = list(value)
    ports: list[int] = []
    for item in items:
        port = validate_port(item, field=field, label="port")
        if port not in ports:
            ports.append(port)
    if not ports:
        raise invalid(field, "no ports given; for example 25,465,587,2525")
    if len(ports) > MAX_PORTS:
        raise invalid(field, f"{len(ports)} ports given; at most {MAX_PORTS} at once")
    return ports


def validate_seconds(
    value: Any,
    *,
    field: str = "timeout",
    label: str | None = None,
    maximum: float = MAX_TIMEOUT,
) -> float:
    """A duration in seconds: a finite number above 0 and at most `maximum` (ASCII digits when given as text).

    ``1e308``, ``inf`` and ``nan`` pass a naive ``> 0`` check and then overflow
    a deadline computation deep inside a library; they are refused here.
    """
    name = label or field
    given = _number_text(field, value, name, "10 or 2.5")
    try:
        seconds = float(given)
    except (TypeError, ValueError, OverflowError):
        raise invalid(field, f"{name} {quoted(value)} is not a number of seconds (give one like 10 or 2.5)") from None
    if not math.isfinite(seconds) or not 0 < seconds <= maximum:
        raise invalid(
            field,
            f"{name} {quoted(value)} is out of range: give a number of seconds above 0 and at most {maximum:g}",
        )
    return seconds


# -- files and servers -----------------------------------------------------------------------------


def validate_cafile(value: Any, *, field: str = "cafile") -> str:
    """A readable PEM file of CA certificates (its absolute path); loaded once here, so it is known to work.

    An unusable CA file would make every TLS handshake fail on our side, and the
    diagnosis would then blame the server: refuse it before anything is tried.
    """
    import ssl

    text = plain_text(field, os.fspath(value) if isinstance(value, os.PathLike) else value, "The CA file", limit=4096)
    path = os.path.abspath(os.path.expanduser(text))
    if not os.path.exists(path):
        raise invalid(
            field, f"the CA file {quoted(text)} does not exist; give the path of a PEM file of CA certificates"
        )
    if not os.path.isfile(path):
        raise invalid(
            field, f"the CA file {quoted(text)} is not a file; give the path of a PEM file of CA certificates"
        )
    if not os.access(path, os.R_OK):
        raise invalid(field, f"the CA file {quoted(text)} is not readable by this user")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except (ssl.SSLError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise invalid(
            field,
            f"the CA file {quoted(text)} holds no usable PEM certificate ({exc}); give a file with "
            "'-----BEGIN CERTIFICATE-----' blocks",
        ) from None
    return path


#: What a DNS server field takes, as its refusals say (an address, with a port where it is not 53).
_DNS_EXAMPLE = "192.0.2.53, [2001:db8::53] or 127.0.0.1:5353"


def validate_nameserver(value: Any, *, field: str = "nameservers") -> str:
    """A DNS server as ``host``, ``host:port``, an IPv6 address or ``[v6]:port``, normalised."""
    text = plain_text(field, value, "The DNS server", limit=300)
    if not text:
        raise invalid(field, "the DNS server is empty: give an address like 192.0.2.53 or 127.0.0.1:5353")
    port: int | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise invalid(field, f"the DNS server {quoted(text)} opens '[' for an IPv6 address but never closes it")
        host, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise invalid(field, f"the DNS server {quoted(text)}: expected ':port' after ']'")
            port = validate_port(rest[1:], field=field, label="the DNS server's port", kind="dns")
        host = validate_ip(host, field=field, label="The DNS server", example=_DNS_EXAMPLE)
    elif text.count(":") == 1:
        host, p = text.split(":")
        port = validate_port(p, field=field, label="the DNS server's port", kind="dns")
    else:
        host = text
    if _looks_like_ip(host) or ":" in host:
        host = validate_ip(host, field=field, label="The DNS server", example=_DNS_EXAMPLE)
    else:
        host = _ascii_domain(field, host, "The DNS server").lower()
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_list(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A list given as one comma/semicolon/space-separated string, or as any iterable of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v for v in re.split(r"[,;\s]+", value.strip()) if v)
    return tuple(v for v in value if not (isinstance(v, str) and not v.strip()))


def validate_nameservers(value: str | Iterable[str] | None, *, field: str = "nameservers") -> tuple[str, ...]:
    servers = tuple(dict.fromkeys(validate_nameserver(v, field=field) for v in split_list(value)))
    if len(servers) > 8:
        raise invalid(field, f"{len(servers)} DNS servers given; at most 8 make sense")
    return servers


# -- choices ---------------------------------------------------------------------------------------


def normalize_security(value: str | None) -> str:
    if value is None:
        return "auto"
    key = plain_text("security", value, "The security mode", limit=40).lower()
    if key in _SECURITY_ALIASES:
        return _SECURITY_ALIASES[key]
    raise invalid(
        "security",
        f"security {quoted(value)} is not one of auto, starttls, tls, plain "
        "('ssl' and 'implicit' mean tls, 'none' means plain)",
    )


def validate_auth_mechanism(value: Any, *, field: str = "auth_mechanism") -> str:
    mech = plain_text(field, value, "The AUTH mechanism", limit=40).upper()
    if mech not in AUTH_MECHANISMS:
        raise invalid(field, f"AUTH mechanism {quoted(value)} is not one of {', '.join(AUTH_MECHANISMS)}")
    return mech


# -- a host as people type it ----------------------------------------------------------------------


def parse_host(value: str) -> tuple[str, int | None, str | None]:
    """Split what a user typed into (host, port or None, security implied by a URL scheme or None).

    Accepts ``smtp.example.com``, ``smtp.example.com:587``, ``[2001:db8::1]:25``,
    a bare IPv6 address, and ``smtp://`` / ``smtps://`` / ``submission://`` URLs,
    because that is what people paste from their mail client's settings page.
    """
    if not isinstance(value, str):
        raise invalid("host", f"host must be a string, not {type(value).__name__}")
    shown = without_password(value)
    if shown != value:
        raise invalid(
            "host",
            f"The host {quoted(value)} carries a user name and password. Put them in their own settings "
            "(the user name and --password-env, or the form's Password field), not in the host (a password in a "
            "URL ends up in shell history and logs); give only the server, like smtp.example.com:587",
        )
    _reject_control("host", value, "The host")
    s = value.strip()
    if len(s) > _MAX_TEXT:
        raise invalid("host", f"The host {quoted(s)} is {len(s)} characters long; a host name has at most 253")
    security: str | None = None
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", s, re.DOTALL)
    if m:
        scheme = m.group(1).lower()
        s = m.group(2)
        if scheme in ("smtps", "ssl", "tls"):
            security = "tls"
        elif scheme in ("smtp", "submission", "esmtp"):
            security = None
        else:
            raise invalid(
                "host",
                f"The host {quoted(value)} is a {scheme}:// address; give the mail server's host name "
                "(for example smtp.gmail.com), optionally with :port",
            )
        if "@" in s:
            raise invalid(
                "host",
                "Put the user name and password in their own settings, not in the host URL "
                "(a password in a URL ends up in shell history and logs)",
            )
        s = s.split("/", 1)[0]
    if "@" in s:
        domain = s.rsplit("@", 1)[1].split(":", 1)[0] or "example.com"
        raise invalid(
            "host",
            f"The host {quoted(s.split(':', 1)[0])} looks like an email address. Give the SMTP server's host name "
            f"(for example smtp.{domain[:60]}), not your address.",
        )
    port: int | None = None
    if s.startswith("["):
        end = s.find("]")
        if end < 0:
            raise invalid("host", f"The host {quoted(value)} opens '[' for an IPv6 address but never closes it")
        host, rest = s[1:end], s[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise invalid("host", f"The host {quoted(value)}: expected ':port' after ']'")
            port = validate_port(rest[1:])
    elif s.count(":") == 1:
        host, p = s.split(":")
        port = validate_port(p)
    else:
        host = s
    return host, port, security


# -- the settings objects --------------------------------------------------------------------------


@record(frozen=True, init=False)
class Target:
    """One SMTP server and the settings to diagnose it with; invalid input raises `InvalidSettings`.

    `host` may carry ``:port`` or an ``smtp://``/``smtps://`` scheme when `port`
    and `security` are left at their defaults, because that is how people copy
    settings out of mail clients. After construction every field has its
    concrete type: `port` is an int (the mode's default when none was given),
    `timeout` a float, `rcpt_to` a tuple of validated addresses. `nameservers`
    are the DNS servers to resolve the host with (empty: the system's).
    ``smtpkit.record.replace(target, send=True)`` validates the result again.
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
    nameservers: tuple[str, ...]

    def __init__(
        self,
        host: str,
        port: int | str | None = None,
        security: str | None = "auto",
        username: str | None = None,
        helo: str | None = None,
        mail_from: str | None = None,
        rcpt_to: str | Iterable[str] | None = (),
        send: bool = False,
        cafile: str | None = None,
        timeout: float | str = SESSION_TIMEOUT,
        deadline: float | str | None = None,
        allow_plaintext_auth: bool = False,
        auth_mechanism: str | None = None,
        credential: str = "none",
        nameservers: str | Iterable[str] | None = (),
    ) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        r = Refusals()  # every field is read; the first refusal is raised at the end, the others in its `also`
        no_host: tuple[str, int | None, str | None] = ("", None, None)
        parsed_host, url_port, url_security = r.take(lambda: parse_host(host), no_host)
        host_read = not r.found  # a refused host:port is not also "empty"
        if port in ("", 0):
            port = None  # a form's "0" or an empty field: the mode's usual port
        if url_port is not None:
            if port is not None and r.take(lambda: validate_port(port), url_port) != url_port:
                r.add(invalid("port", f"the host says port {url_port} but port {port} was also given; pick one"))
            port = url_port
        put("host", r.take(lambda: normalize_host(parsed_host), "") if host_read else "")
        mode = r.take(lambda: normalize_security(security), "auto")
        if url_security and mode == "auto":
            mode = url_security
        put("security", mode)
        if port is None:
            port = 465 if mode == "tls" else DEFAULT_PORT
        put("port", r.take(lambda: validate_port(port), DEFAULT_PORT) if not r.refused("port") else DEFAULT_PORT)
        put("username", r.take(lambda: validate_username(username), None) if username not in (None, "") else None)
        put("helo", r.take(lambda: validate_helo(helo), None) if helo not in (None, "") else None)
        if mail_from == "":
            mail_from = None
        put(
            "mail_from",
            r.take(lambda: validate_address("mail_from", mail_from, "The sender (MAIL FROM)"), None)
            if mail_from is not None
            else None,
        )
        typed: tuple[str, ...] = ("?",)  # refused: something was typed, so the checks below do not say it is missing
        recipients = r.take(
            lambda: tuple(validate_address("rcpt_to", v, "The recipient") for v in _tuple_of_addresses(rcpt_to)),
            typed,
        )
        put("rcpt_to", recipients)
        if recipients and mail_from is None:
            r.add(invalid("mail_from", "a recipient was given without a sender: add mail_from (--mail-from)"))
        if mail_from is not None and not recipients:
            r.add(invalid("rcpt_to", "a sender was given without a recipient: add rcpt_to (--rcpt-to)"))
        if send and not recipients:
            r.add(
                invalid(
                    "send",
                    "send needs mail_from and rcpt_to (--mail-from and --rcpt-to): whom should the test message go to?",
                )
            )
        if len(recipients) > MAX_RECIPIENTS:
            r.add(invalid("rcpt_to", f"at most {MAX_RECIPIENTS} recipients: this is a test message, not a mailing"))
        put("cafile", r.take(lambda: validate_cafile(cafile), None) if cafile not in (None, "") else None)
        put("timeout", r.take(lambda: validate_seconds(timeout, field="timeout"), SESSION_TIMEOUT))
        put(
            "deadline",
            r.take(lambda: validate_seconds(deadline, field="deadline", maximum=MAX_DEADLINE), None)
            if deadline not in (None, "")
            else None,
        )
        put(
            "auth_mechanism",
            r.take(lambda: validate_auth_mechanism(auth_mechanism), None) if auth_mechanism not in (None, "") else None,
        )
        put("credential", r.take(lambda: _validate_credential(credential), "none"))
        put("send", bool(send))
        put("allow_plaintext_auth", bool(allow_plaintext_auth))
        no_servers: tuple[str, ...] = ()
        put("nameservers", r.take(lambda: validate_nameservers(nameservers), no_servers))
        r.raise_first()

    def with_credential(self, credential: str) -> Target:
        """This target, saying which secret came with it ("password", "oauth" or "none").

        `diagnose` learns that only when the secret arrives beside the target; through
        ``smtpkit.record.replace`` every other field, already valid, would be validated again
        and the CA file loaded a second time, for a field that holds one of three words.
        """
        copy = object.__new__(Target)
        copy.__dict__.update(self.__dict__)
        object.__setattr__(copy, "credential", _validate_credential(credential))
        return copy

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
        if self.auth_mechanism:
            out["auth_mechanism"] = self.auth_mechanism
        if self.helo:
            out["helo"] = self.helo
        if self.mail_from:
            out["mail_from"] = self.mail_from
        if self.rcpt_to:
            out["rcpt_to"] = ", ".join(self.rcpt_to)
            out["send"] = self.send
        if self.cafile:
            out["cafile"] = self.cafile
        if self.nameservers:
            out["nameservers"] = ", ".join(self.nameservers)
        out["timeout"] = self.timeout
        if self.deadline is not None:
            out["deadline"] = self.deadline
        if self.allow_plaintext_auth:
            out["allow_plaintext_auth"] = True
        return out


def _validate_credential(value: str) -> str:
    if value not in ("password", "oauth", "none"):
        raise invalid("credential", "credential must be 'password', 'oauth' or 'none'")
    return value


def _tuple_of_addresses(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Recipients the same way from every front end: one address, several separated by commas or
    semicolons (a form's field, a notebook parameter), or a list of either (``--rcpt-to`` repeated)."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and ("," in item or ";" in item):
            out += [v for v in re.split(r"[,;]\s*", item.strip()) if v.strip()]
        elif not isinstance(item, str) or item.strip():
            out.append(item)
    return tuple(out)
