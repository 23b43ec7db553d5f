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
  `redact()` on creation.

What the redactor guarantees for a registered secret of 5 or more characters:
no run of 5 characters of it survives, in any case (a server that echoes the
credentials upper-cased), nor in the per-character encodings our views and
Python print (percent-encoding, JSON and repr escapes, quoted-printable, hex),
nor in base64: any run of base64 (standard or URL-safe, split by whitespace or
not) whose decoding, at any alignment, shares 5 bytes with the secret is
removed, so an AUTH PLAIN blob echoed minus its last characters, re-sent in
4-character groups or wrapped in other framing cannot carry part of the
password out. Shorter secrets are removed whole, as words, in every encoding.
The cost is that ordinary text sharing 5 characters with a password is redacted
too ("Summer2024" takes "summer" with it): a benchmark and a test measure how
little of a normal transcript that touches.

How, in linear passes over the text: every 5-character window of a secret, in
every encoding, goes into one case-insensitive regular expression (a trie, so
it costs about one character comparison per text position); for base64, each
5-byte window determines 6 base64 characters at each of the 3 byte alignments,
and any base64 holding the window holds one of those 6-character signatures,
which a second (case-sensitive) trie finds in the text with its whitespace
removed.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import os
import quopri
import re
import sys
import threading
import urllib.parse
from collections.abc import Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

REDACTED = "<redacted>"

# Below this length a password is matched as a whole word only: replacing every
# "ab" in a transcript would make it unreadable while protecting nothing.
_MIN_SUBSTRING_LEN = 4
# No run of this many characters (or bytes) of a secret survives redaction.
RUN = 5
# Base64 alphabet (standard and URL-safe) and the whitespace a base64 blob may be split by.
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")


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
        import getpass  # (here: only a prompt needs it, and termios with it)

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


def b64_signatures(window: bytes) -> set[str]:
    """The 6 base64 characters a 5-byte `window` determines at each byte alignment (both alphabets).

    At alignment 0 the window fills one 3-byte group and the top of the next
    (4 + 2 characters), at alignment 1 the end of one group and a whole one
    (2 + 4), at alignment 2 the last byte of one group, a whole one and the
    first byte of the next (1 + 4 + 1). Any base64 text whose decoding holds
    the window holds one of these six-character strings.
    """
    w = window
    assert len(w) == RUN
    sigs = set()
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        sigs.add(enc(w[0:3]).decode() + enc(w[3:5] + b"\0").decode()[:2])
        sigs.add(enc(b"\0" + w[0:2]).decode()[2:4] + enc(w[2:5]).decode())
        sigs.add(enc(b"\0\0" + w[0:1]).decode()[3] + enc(w[1:4]).decode() + enc(w[4:5] + b"\0\0").decode()[0])
    return sigs


def _case_variants(window: str) -> set[str]:
    """`window` with each cased non-ASCII character in either case.

    The text patterns are matched against case-folded text, which covers an
    ASCII letter in every form that keeps it a letter; an escape of a non-ASCII
    letter (``\\u00e4`` against ``\\u00c4``) differs by case, so those forms are
    made for every combination of cases.
    """
    options: list[tuple[str, ...]] = []
    for ch in window:
        low, up = ch.lower(), ch.upper()
        if not ch.isascii() and len(low) == 1 and len(up) == 1 and low != up:
            options.append((low, up))
        else:
            options.append((ch,))
    return {"".join(combo) for combo in itertools.product(*options)}


def text_windows(value: str) -> set[str]:
    """Every RUN-character window of `value`, in every per-character encoding we print text in.

    Hex is not among them: hex runs in the text are decoded and compared byte
    by byte instead (a hex byte differs by case, ``61`` against ``41``).
    """
    out: set[str] = set()
    for i in range(len(value) - RUN + 1):
        for w in _case_variants(value[i : i + RUN]):
            out.add(w)
            out.add(urllib.parse.quote(w, safe=""))
            out.add(urllib.parse.quote_plus(w))
            out.add(json.dumps(w)[1:-1])
            out.add(json.dumps(w, ensure_ascii=False)[1:-1])
            for quote in ("'", '"'):
                out.add(py_escaped(w, quote))
                out.add(py_escaped(w, quote, ascii_only=True))
                out.add(py_escaped_bytes(w.encode("utf-8"), quote))
            out.add(quopri.encodestring(w.encode("utf-8"), quotetabs=True).decode("ascii").replace("=\n", ""))
    raw = value.encode("utf-8")
    for i in range(len(raw) - RUN + 1):  # a repr of bytes may start inside a character
        for quote in ("'", '"'):
            out.add(py_escaped_bytes(raw[i : i + RUN], quote))
    return {fold(f) for f in out if len(f) >= RUN}


def byte_windows(value: str) -> set[bytes]:
    """Every RUN-byte window of `value` in UTF-8, ASCII letters lower-cased (what a decoded hex run is held to)."""
    out: set[bytes] = set()
    for raw in (value.encode("utf-8"), value.lower().encode("utf-8"), value.upper().encode("utf-8")):
        low = raw.lower()
        out |= {low[i : i + RUN] for i in range(len(low) - RUN + 1)}
    return out


def _casefold_char(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


def fold(text: str) -> str:
    """`text` lower-cased character by character, so that positions in it are positions in `text`."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(map(_casefold_char, text))


def _trie_pattern(words: set[str]) -> str:
    """One regular expression matching any of `words`, as a trie (longest match first at each node)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = None

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a word ends here: the longer ones are tried first, greedily
            return ("(?:" + body + ")?") if len(branches) == 1 else body + "?"
        return body

    return build(trie)


def _spans_of(pattern: re.Pattern[str], text: str) -> list[list[int]]:
    """The merged spans of every (overlapping) match of `pattern` in `text`."""
    spans: list[list[int]] = []
    pos = 0
    while True:
        m = pattern.search(text, pos)
        if m is None:
            return spans
        start, end = m.span()
        if end == start:
            pos = start + 1
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
        pos = start + 1


def _replace(text: str, spans: list[list[int]]) -> str:
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(REDACTED)
        last = end
    out.append(text[last:])
    return "".join(out)


class _Group:
    """The patterns of some registered secrets, compiled together (lazily, on the next redaction)."""

    def __init__(self) -> None:
        self.windows: set[str] = set()
        self.signatures: set[str] = set()
        self.windows_re: re.Pattern[str] | None = None
        self.signatures_re: re.Pattern[str] | None = None
        self.compiled = True

    def add(self, windows: set[str], signatures: set[str]) -> None:
        self.windows |= windows
        self.signatures |= signatures
        self.compiled = False

    def compile(self) -> None:
        if not self.compiled:
            self.windows_re = re.compile(_trie_pattern(self.windows)) if self.windows else None
            self.signatures_re = re.compile(_trie_pattern(self.signatures)) if self.signatures else None
            self.compiled = True


# Secrets are compiled in groups: a new secret costs compiling its own patterns, and every few
# registrations the groups are merged, so a process that meets many secrets neither recompiles
# everything on each one nor runs a pass per secret.
_MAX_GROUPS = 4

# How many clean texts the redactor remembers, and how long one may be (a bound on the memory).
_CLEAN_SET_MAX = 4096
_CLEAN_TEXT_MAX = 1000


class Redactor:
    """Removes every registered secret, in every encoding we know, from text (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._exact: set[str] = set()  # exact strings to remove (raw forms, full encodings)
        self._short: set[str] = set()  # short secrets, removed as whole words only
        self._bytes: set[bytes] = set()  # RUN-byte windows of secrets (lower-cased), for decoded hex
        self._groups: list[_Group] = []
        self._exact_re: re.Pattern[str] | None = None
        self._short_re: re.Pattern[str] | None = None
        self._stale = False  # _exact/_short changed since _exact_re/_short_re were compiled
        self._forms: tuple[str, ...] = ()  # _exact and _short as they were last changed, for `_redact`'s test
        # every registration in order, (username or None for a bare secret, value), and which are pinned:
        # what `rollback` replays
        self._log: list[tuple[str | None, str]] = []
        self._pinned: set[str] = set()
        # Texts known to hold no registered secret. A check redacts the same short strings again and
        # again (a step's details when it is made and again when it is shown: ~550 calls for ~170
        # distinct texts in one `smtpkit check`), and each pass runs several patterns. Only clean
        # texts are kept (never a text holding a secret), and every registration replaces the set
        # rather than emptying it: a redaction still running with the old patterns adds to the
        # discarded set, never to the new one.
        self._clean: set[str] = set()

    def register(self, secret: str | Secret) -> None:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not value:
            return
        # The log redaction goes in with the first secret: until then it has nothing to remove, and
        # `import smtpkit` stays free of the work (the command line's start-up is measured).
        _redact_logs()
        with self._lock:
            if value in self._secrets:
                return
            self._log.append((None, value))
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
            windows = text_windows(value)
            signatures: set[str] = set()
            # the decoded credentials may come back in another case (a server upper-casing what it echoes)
            for variant in {raw, value.lower().encode("utf-8"), value.upper().encode("utf-8")}:
                for i in range(len(variant) - RUN + 1):
                    signatures |= b64_signatures(variant[i : i + RUN])
            if windows or signatures:
                self._bytes |= byte_windows(value)
                group = _Group()
                group.add(windows, signatures)
                self._groups.append(group)
                if len(self._groups) > _MAX_GROUPS:
                    merged = _Group()
                    for g in self._groups:
                        merged.add(g.windows, g.signatures)
                    self._groups = [merged]
            self._rebuild()

    def register_auth(self, username: str, secret: str | Secret) -> None:
        """Register the exact SMTP AUTH encodings of a user/secret pair.

        The windows and base64 signatures already catch these for secrets of 5+
        characters; the exact forms also protect short secrets.
        """
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if not value:
            return
        self.register(value)
        u = username or ""
        with self._lock:
            if (u, value) in self._log:
                return
            self._log.append((u, value))
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
        """Recompile the exact and whole-word patterns, on the next redaction (`_compiled_exact`).

        Registering a login registers the secret and then its AUTH encodings: compiling once,
        when text is first redacted, halves what a registration costs (a CLI run pays it).
        Texts found clean before may hold the new secret: they are forgotten (last, once the
        new patterns are in place).
        """
        self._stale = True
        self._forms = tuple(self._exact | self._short)
        self._clean = set()

    def _compiled_exact(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        if self._stale:
            with self._lock:
                if self._stale:
                    exact = sorted(self._exact, key=len, reverse=True)
                    self._exact_re = re.compile("|".join(re.escape(e) for e in exact)) if exact else None
                    short = sorted(self._short, key=len, reverse=True)
                    self._short_re = (
                        re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(s) for s in short) + r")(?![A-Za-z0-9])")
                        if short
                        else None
                    )
                    self._stale = False
        return self._exact_re, self._short_re

    def _compiled_groups(self) -> list[_Group]:
        groups = self._groups
        if any(not g.compiled for g in groups):
            with self._lock:
                for g in self._groups:
                    g.compile()
                groups = self._groups
        return groups

    def redact(self, text: str) -> str:
        if not text or not self._secrets:
            return text
        clean = self._clean  # (taken first: see __init__)
        if text in clean:
            return text
        redacted = self._redact(text)
        if redacted == text and len(text) <= _CLEAN_TEXT_MAX and len(clean) < _CLEAN_SET_MAX:
            clean.add(text)
        return redacted

    def _redact(self, text: str) -> str:
        groups = self._compiled_groups()
        # base64 and hex first, on whole tokens: an exact match cut out of the middle of a blob would
        # leave its ends behind
        for g in groups:
            if g.signatures_re is not None:
                text = _redact_base64(text, g.signatures_re)
        if self._bytes:
            text = _redact_hex(text, self._bytes)
        # Only a text that holds one of the exact forms as a substring can match their patterns, and
        # the pattern of every form of a login is ~1,700 characters that `re` takes ~3 ms to compile:
        # a plain substring test first, so a run whose texts hold none never compiles it.
        forms = self._forms
        if any(form in text for form in forms):
            exact_re, short_re = self._compiled_exact()
            if exact_re is not None:
                text = exact_re.sub(REDACTED, text)
            if short_re is not None:
                text = short_re.sub(REDACTED, text)
        for g in groups:
            windows_re = g.windows_re
            if windows_re is None or not windows_re.search(fold(text)):
                continue
            # the marker itself is never searched: a secret sharing 5 letters with it must not grow it on every pass
            pieces = text.split(REDACTED)
            for i, piece in enumerate(pieces):
                folded = fold(piece)
                if windows_re.search(folded):
                    pieces[i] = _replace(piece, _spans_of(windows_re, folded))
            text = REDACTED.join(pieces)
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
            self._bytes.clear()
            self._groups = []
            self._log = []
            self._pinned = set()
            self._rebuild()

    # -- for test suites ------------------------------------------------------------------------
    # A suite registers many throwaway secrets in one process, and the redactor removes any 5
    # characters of each: a test password made of words ("limit-test-pw") would redact "limit" in
    # every later test's output. A suite takes a snapshot before a test and rolls back after it;
    # secrets that must outlive the test that registered them (a lab shared by the session) are pinned.

    def snapshot(self) -> int:
        """A mark to `rollback` to (tests only)."""
        return len(self._log)

    def pin(self, secret: str | Secret) -> None:
        """Keep `secret` registered across rollbacks (tests only)."""
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            self._pinned.add(value)

    def rollback(self, mark: int) -> None:
        """Forget every secret registered after `mark`, except pinned ones (tests only)."""
        if len(self._log) <= mark:
            return
        keep = self._log[:mark] + [entry for entry in self._log[mark:] if entry[1] in self._pinned]
        pinned = set(self._pinned)
        self.clear()
        self._pinned = pinned
        for username, value in keep:
            if username is None:
                self.register(value)
            else:
                self.register_auth(username, value)


_HEX_RUN = re.compile(r"[0-9A-Fa-f]{10,}")


def _redact_hex(text: str, windows: set[bytes]) -> str:
    """Remove every run of hex digits whose bytes, at either nibble offset, hold RUN bytes of a secret."""
    spans: list[list[int]] = []
    for m in _HEX_RUN.finditer(text):
        digits = m.group(0)
        for offset in (0, 1):
            part = digits[offset:]
            data = bytes.fromhex(part[: len(part) - len(part) % 2]).lower()
            if any(data[i : i + RUN] in windows for i in range(len(data) - RUN + 1)):
                spans.append([m.start(), m.end()])
                break
    return _replace(text, spans) if spans else text


def _redact_base64(text: str, signatures: re.Pattern[str]) -> str:
    """Remove every base64 token (and whitespace-split group of tokens) that holds a signature."""
    if REDACTED in text:  # the marker is never part of a token
        return REDACTED.join(_redact_base64(p, signatures) for p in text.split(REDACTED))
    stripped = _WHITESPACE.sub("", text)
    if not signatures.search(stripped):
        return text
    where = [i for i, ch in enumerate(text) if ch not in " \t\r\n\f\v"]  # stripped index -> text index
    spans: list[list[int]] = []
    for start, end in _spans_of(signatures, stripped):
        a, b = where[start], where[end - 1] + 1
        while a > 0 and text[a - 1] in _B64_CHARS:
            a -= 1
        while b < len(text) and text[b] in _B64_CHARS:
            b += 1
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    return _replace(text, spans)


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


def install_log_redaction(logger_name: str = "smtpkit") -> None:
    """Redact what `logger_name` and every logger below it log (see `smtpkit.log_redaction`)."""
    from smtpkit.log_redaction import install_log_redaction as install

    install(logger_name)


class _WhenLoggingLoads:
    """A `sys.meta_path` entry that finds no module itself: it installs the log redaction right after
    `logging` is first imported.

    `logging` brings traceback, textwrap and string along (about 8 ms), and a `smtpkit check` of a
    healthy server logs nothing, so registering a secret does not import it (issue 8 §5). The
    guarantee stays whole: whoever imports `logging` later (a kit module that logs, an application),
    no record of a "smtpkit" logger is made before the redaction is in. The entry stays in
    `sys.meta_path` once done, inert: removing it could make another thread, walking the list at
    that moment, skip a finder.
    """

    def __init__(self) -> None:
        self.armed = True

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if fullname != "logging" or not self.armed:
            return None
        self.armed = False
        from importlib.util import find_spec

        spec = find_spec(fullname)  # what the other finders find (this one is disarmed now)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            install_log_redaction()

        # on this one loader object only (the module keeps it as __loader__, for its source lines)
        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_logging_watch: _WhenLoggingLoads | None = None
_watch_lock = threading.Lock()


def _redact_logs() -> None:
    """Install the log redaction now if `logging` is loaded, else as soon as it is (`_WhenLoggingLoads`)."""
    global _logging_watch
    if "logging" in sys.modules:
        install_log_redaction()
        return
    with _watch_lock:
        if _logging_watch is None:
            _logging_watch = _WhenLoggingLoads()
            sys.meta_path.insert(0, _logging_watch)
    if "logging" in sys.modules:  # imported by another thread meanwhile, before the watch was in place
        install_log_redaction()
