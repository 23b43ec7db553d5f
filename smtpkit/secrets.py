"""Passwords and tokens, and the redactor that keeps them out of everything we store.

People share smtpkit reports with colleagues and with their provider's support,
so a password must never reach a transcript, a finding, an exception, a log, a
DataFrame or a saved notebook, neither in clear nor in any of the encodings
SMTP AUTH puts on the wire (base64 of the password, of AUTH PLAIN's
``authzid\\0user\\0pass`` and of XOAUTH2's ``user=…\\x01auth=Bearer …\\x01\\x01``).

Two mechanisms do this:

* `Secret` wraps the value; its ``repr``/``str``/``format`` are redacted and it
  refuses to be pickled, so it cannot leak by being printed or serialised.
* Every `Secret` registers itself with the process-wide `Redactor`, and every
  result object (`Finding`, `Step`, transcript line) passes its text through
  `redact()` on creation. Base64 is matched at all three byte alignments, so the
  secret is found inside *any* base64 blob that contains it, whatever user name
  or framing surrounds it.
"""

from __future__ import annotations

import base64
import getpass
import hmac
import json
import logging
import os
import quopri
import re
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

REDACTED = "<redacted>"

# A run of base64 (standard or URL-safe alphabet) long enough to hide a secret.
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{4,}={0,2}")

# Below this length a password is matched as a whole word only: replacing every
# "ab" in a transcript would make it unreadable while protecting nothing.
_MIN_SUBSTRING_LEN = 4
# Base64 alignment cores need at least one full 3-byte group at every alignment.
_MIN_CORE_BYTES = 5


class Secret:
    """A password or token whose text form is always redacted.

    Call `reveal()` only at the moment the value goes on the (encrypted) wire.
    """

    __slots__ = ("_value", "__weakref__")

    def __init__(self, value: str | Secret, *, register: bool = True) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("Secret takes a str")
        self._value = value
        if register and value:
            REDACTOR.register(value)

    @classmethod
    def from_env(cls, name: str) -> Secret | None:
        """The secret in environment variable `name`, or None when unset or empty."""
        value = os.environ.get(name, "")
        return cls(value) if value else None

    @classmethod
    def prompt(cls, prompt: str = "Password: ") -> Secret:
        """Ask on the terminal without echo (never take a password from argv)."""
        return cls(getpass.getpass(prompt))

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')" if self._value else "Secret('')"

    def __str__(self) -> str:
        return REDACTED if self._value else ""

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled or copied out of the process")


def as_secret(value: str | Secret | None) -> Secret | None:
    """Accept a plain string or a Secret from callers; never keep the plain string."""
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)


def _b64_variants(data: bytes) -> set[str]:
    out = set()
    std = base64.b64encode(data).decode()
    out.add(std)
    out.add(std.rstrip("="))
    url = base64.urlsafe_b64encode(data).decode()
    out.add(url)
    out.add(url.rstrip("="))
    return {v for v in out if v}


def _py_escape_char(ch: str, quote: str, *, ascii_only: bool) -> str:
    if ch == "\\" or ch == quote:
        return "\\" + ch
    if ch in "\t\n\r":
        return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[ch]
    o = ord(ch)
    if o < 0x20 or o == 0x7F:
        return f"\\x{o:02x}"
    if o < 0x7F or (not ascii_only and ch.isprintable()):
        return ch
    if o < 0x100:
        return f"\\x{o:02x}"
    if o < 0x10000:
        return f"\\u{o:04x}"
    return f"\\U{o:08x}"


def py_escaped(value: str, quote: str = "'", *, ascii_only: bool = False) -> str:
    """What `repr()` (or `ascii()`) prints between the quotes for `value`, with `quote` as delimiter."""
    return "".join(_py_escape_char(ch, quote, ascii_only=ascii_only) for ch in value)


def py_escaped_bytes(data: bytes, quote: str = "'") -> str:
    """What `repr()` of a bytes object prints between the quotes: each byte as `ascii()` prints that code point."""
    return py_escaped(data.decode("latin-1"), quote, ascii_only=True)


def escaped_forms(value: str) -> set[str]:
    """The ways Python and our views print a string that a raw match would miss.

    An exception that carries the bytes we sent prints them with `repr()`
    (``b'\\x00user\\x00p\\xc3\\xa4ss'``), a JSON document escapes quotes, backslashes
    and (with ensure_ascii) every non-ASCII letter, a MIME body uses
    quoted-printable, a debug dump uses hex. A password with a quote, a
    backslash or an accent would slip through all of these unchanged.
    """
    raw = value.encode("utf-8")
    forms: set[str] = set()
    for quote in ("'", '"'):
        forms.add(py_escaped(value, quote))
        forms.add(py_escaped(value, quote, ascii_only=True))
        forms.add(py_escaped_bytes(raw, quote))
    forms.add(json.dumps(value)[1:-1])
    forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
    forms.add(quopri.encodestring(raw, quotetabs=True).decode("ascii").replace("=\n", ""))
    forms.add(raw.hex())
    forms.add(raw.hex().upper())
    forms.discard(value)
    return {f for f in forms if f}


def b64_cores(data: bytes) -> set[str]:
    """The base64 characters that `data` alone determines, at each of the 3 alignments.

    Wherever `data` sits inside a larger byte string, the base64 of that string
    contains one of these cores: the full 3-byte groups that lie inside `data`.
    """
    cores: set[str] = set()
    for start in range(3):
        chunk = data[start:]
        chunk = chunk[: len(chunk) - len(chunk) % 3]
        if len(chunk) >= 3:
            cores.add(base64.b64encode(chunk).decode())
            cores.add(base64.urlsafe_b64encode(chunk).decode())
    return cores


class Redactor:
    """Removes every registered secret, in every encoding we know, from text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._exact: set[str] = set()  # exact strings to remove (raw forms, full encodings)
        self._short: set[str] = set()  # short secrets, removed as whole words only
        self._cores: set[str] = set()  # base64 alignment cores
        self._exact_re: re.Pattern[str] | None = None
        self._short_re: re.Pattern[str] | None = None

    def register(self, secret: str | Secret) -> None:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not value:
            return
        with self._lock:
            if value in self._secrets:
                return
            self._secrets.add(value)
            raw = value.encode("utf-8")
            forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
            forms |= _b64_variants(raw)
            forms |= escaped_forms(value)
            if len(value) >= _MIN_SUBSTRING_LEN:
                self._exact |= {f for f in forms if len(f) >= _MIN_SUBSTRING_LEN}
            else:
                self._short |= forms
                self._exact |= {f for f in _b64_variants(raw) if len(f) >= _MIN_SUBSTRING_LEN}
            if len(raw) >= _MIN_CORE_BYTES:
                self._cores |= b64_cores(raw)
            self._rebuild()

    def register_auth(self, username: str, secret: str | Secret) -> None:
        """Register the exact SMTP AUTH encodings of a user/secret pair.

        The alignment cores already catch these for secrets of 5+ bytes; the
        exact forms also protect short secrets.
        """
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not value:
            return
        self.register(value)
        u = username or ""
        blobs = [
            f"\0{u}\0{value}",
            f"{u}\0{u}\0{value}",
            f"user={u}\x01auth=Bearer {value}\x01\x01",
        ]
        with self._lock:
            for blob in blobs:
                self._exact |= {v for v in _b64_variants(blob.encode("utf-8")) if len(v) >= _MIN_SUBSTRING_LEN}
                self._exact.add(blob)
                # repr() of the bytes we sent: a short password right after "\x00" is no whole word.
                self._exact |= escaped_forms(blob)
            self._rebuild()

    def _rebuild(self) -> None:
        exact = sorted(self._exact, key=len, reverse=True)
        self._exact_re = re.compile("|".join(re.escape(e) for e in exact)) if exact else None
        short = sorted(self._short, key=len, reverse=True)
        self._short_re = (
            re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(s) for s in short) + r")(?![A-Za-z0-9])")
            if short
            else None
        )

    def redact(self, text: str) -> str:
        if not text or not self._secrets:
            return text
        exact_re, short_re, cores = self._exact_re, self._short_re, self._cores
        if exact_re is not None:
            text = exact_re.sub(REDACTED, text)
        if short_re is not None:
            text = short_re.sub(REDACTED, text)
        if cores:
            text = _B64_TOKEN.sub(lambda m: REDACTED if any(c in m.group(0) for c in cores) else m.group(0), text)
        return text

    def contains_secret(self, text: str) -> bool:
        """True when `text` still holds a registered secret in a form we recognise."""
        return self.redact(text) != text

    def clear(self) -> None:
        """Forget every registered secret (tests only: a running kit never forgets)."""
        with self._lock:
            self._secrets.clear()
            self._exact.clear()
            self._short.clear()
            self._cores.clear()
            self._rebuild()


REDACTOR = Redactor()


def redact(text: str) -> str:
    """Remove every registered secret and its encodings from `text`."""
    return REDACTOR.redact(text)


def redact_value(value: Any) -> Any:
    """Redact strings anywhere inside dicts, lists and tuples (details, tables, targets)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Secret):
        return str(value)
    if isinstance(value, Mapping):
        # keys too: a details key can be built from server text ("result for <ip>", a header name)
        return {(redact(k) if isinstance(k, str) else k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_value(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the rendered message before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(logger_name: str = "smtpkit") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
