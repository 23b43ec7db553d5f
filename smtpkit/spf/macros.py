"""RFC 7208 §7 macro strings: tokenize, validate and expand. Pure (no DNS).

Macros are where most hand-written SPF evaluators go wrong (the upper-case
letters that must be URL-escaped, the `r` and digit transformers, custom
delimiters, the letters `c`, `r` and `t` that only the explanation text may
use), and a record whose macro is malformed is a permerror for every receiver.
So the tokenizer reports *where* a macro string is broken, and expansion is a
plain function of a `MacroContext`, testable with strings.

The one letter that needs DNS, `p` (the validated host name of the client),
is supplied by the evaluator as a callback so this module stays pure.
"""

from __future__ import annotations

import ipaddress
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

# Letters allowed in domain-specs and in the explanation text (RFC 7208 §7.2).
DOMAIN_LETTERS = frozenset("slodipvh")
EXP_ONLY_LETTERS = frozenset("crt")
ALL_LETTERS = DOMAIN_LETTERS | EXP_ONLY_LETTERS
DELIMITERS = frozenset(".-+,/_=")

LETTER_MEANING = {
    "s": "the sender address (local-part@domain)",
    "l": "the local-part of the sender",
    "o": "the domain of the sender",
    "d": "the domain being checked",
    "i": "the client IP address (IPv6 as dotted nibbles)",
    "p": "the validated host name of the client IP (deprecated)",
    "v": "'in-addr' for IPv4 or 'ip6' for IPv6",
    "h": "the HELO/EHLO name",
    "c": "the client IP in readable form (explanations only)",
    "r": "the name of the receiving host (explanations only)",
    "t": "the current time in seconds (explanations only)",
}

# Truncation limit of RFC 7208 §7.3 for an expanded domain name.
MAX_DOMAIN_LENGTH = 253


class MacroSyntaxError(ValueError):
    """A malformed macro string; `position` is the offset of the bad `%` within the string."""

    def __init__(self, message: str, position: int, text: str) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class Escape:
    """`%%`, `%_` or `%-`: a literal percent, a space, or a URL-encoded space."""

    code: str

    @property
    def value(self) -> str:
        return {"%": "%", "_": " ", "-": "%20"}[self.code]


@dataclass(frozen=True)
class Macro:
    """`%{letter digits r delimiters}`; an upper-case letter means URL-escape the result."""

    letter: str  # lower-case
    upper: bool
    digits: int | None
    reverse: bool
    delimiters: str
    source: str

    @property
    def exp_only(self) -> bool:
        return self.letter in EXP_ONLY_LETTERS


Token = Literal | Escape | Macro


def _literal_ok(ch: str, allow_space: bool) -> bool:
    # macro-literal = %x21-24 / %x26-7E (visible ASCII except '%'); explanations also allow SP
    o = ord(ch)
    return (0x21 <= o <= 0x7E and ch != "%") or (allow_space and ch == " ")


def tokenize(text: str, *, explanation: bool = False) -> list[Token]:
    """Split a macro string into tokens, raising `MacroSyntaxError` where it is malformed.

    `explanation=True` parses the text of an explanation record (where spaces
    and the letters c, r and t are allowed); otherwise the string is a
    domain-spec or an unknown modifier's value.
    """
    tokens: list[Token] = []
    buf: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if buf:
            tokens.append(Literal("".join(buf)))
            buf.clear()

    while i < n:
        ch = text[i]
        if ch != "%":
            if not _literal_ok(ch, explanation):
                if ord(ch) > 0x7E:
                    what = f"the non-ASCII character {ch!r}"
                elif ch == " ":
                    what = "a space"
                else:
                    what = f"the control character {ch!r}"
                raise MacroSyntaxError(
                    f"{what} is not allowed here (SPF records are 7-bit ASCII without spaces inside a term)", i, text
                )
            buf.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            raise MacroSyntaxError("a '%' at the end must be written '%%' (a literal percent sign)", i, text)
        nxt = text[i + 1]
        if nxt in "%_-":
            flush()
            tokens.append(Escape(nxt))
            i += 2
            continue
        if nxt != "{":
            raise MacroSyntaxError(
                f"'%{nxt}' is not a macro: a '%' must be followed by '{{', '%', '_' or '-' (write '%%' for a literal"
                " percent sign)",
                i,
                text,
            )
        close = text.find("}", i + 2)
        if close < 0:
            raise MacroSyntaxError("the macro '%{' is never closed with '}'", i, text)
        body = text[i + 2 : close]
        tokens_macro = _parse_macro_body(body, i, text, explanation)
        flush()
        tokens.append(tokens_macro)
        i = close + 1
    flush()
    return tokens


def _parse_macro_body(body: str, pos: int, text: str, explanation: bool) -> Macro:
    source = "%{" + body + "}"
    if not body:
        raise MacroSyntaxError("'%{}' names no macro letter", pos, text)
    letter_raw = body[0]
    letter = letter_raw.lower()
    if letter not in ALL_LETTERS:
        raise MacroSyntaxError(
            f"'{source}' uses the unknown macro letter {letter_raw!r}; the letters are s l o d i p v h (and c r t in"
            " explanations)",
            pos,
            text,
        )
    if letter in EXP_ONLY_LETTERS and not explanation:
        raise MacroSyntaxError(
            f"'{source}': the letter {letter_raw!r} may only be used in the explanation text (the TXT record exp="
            " points to), not in a domain",
            pos,
            text,
        )
    j = 1
    digits = ""
    while j < len(body) and body[j].isdigit() and body[j].isascii():
        digits += body[j]
        j += 1
    reverse = False
    if j < len(body) and body[j] in "rR":
        reverse = True
        j += 1
    delims = body[j:]
    bad = [c for c in delims if c not in DELIMITERS]
    if bad:
        raise MacroSyntaxError(
            f"'{source}': {bad[0]!r} is not a transformer or delimiter (after the letter come digits, 'r', then any of"
            " . - + , / _ =)",
            pos,
            text,
        )
    count: int | None = None
    if digits:
        count = int(digits[:6])
        if count == 0:
            raise MacroSyntaxError(f"'{source}': the number of parts to keep must not be zero", pos, text)
    return Macro(
        letter=letter, upper=letter_raw.isupper(), digits=count, reverse=reverse, delimiters=delims, source=source
    )


def validate(text: str, *, explanation: bool = False) -> MacroSyntaxError | None:
    """The syntax error of a macro string, or None when it is well-formed."""
    try:
        tokenize(text, explanation=explanation)
    except MacroSyntaxError as exc:
        return exc
    return None


def has_macros(text: str) -> bool:
    return "%" in text


@dataclass
class MacroContext:
    """The values macros expand to during one check_host() evaluation."""

    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    sender: str
    domain: str
    helo: str = ""
    receiver: str = "unknown"
    timestamp: int | None = None
    validated_name: Callable[[str], str] | None = None  # the `p` macro for a domain; the evaluator supplies DNS
    _p_cache: str | None = field(default=None, repr=False)
    _values: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def local_part(self) -> str:
        local, _, _dom = self.sender.rpartition("@")
        return local or "postmaster"

    @property
    def sender_domain(self) -> str:
        local, at, dom = self.sender.rpartition("@")
        return dom if at else self.sender

    def with_domain(self, domain: str) -> MacroContext:
        """The same evaluation seen from an included or redirected domain (`%{d}` changes)."""
        # `p` prefers names under the current domain, so its cache is not carried over.
        return MacroContext(self.ip, self.sender, domain, self.helo, self.receiver, self.timestamp, self.validated_name)

    def value(self, letter: str) -> str:
        # read once per context: an explanation may name %{l} fifteen thousand times
        cache = self._values
        if letter not in cache:
            cache[letter] = self._value(letter)
        return cache[letter]

    def _value(self, letter: str) -> str:
        ip = self.ip
        if letter == "s":
            return f"{self.local_part}@{self.sender_domain}"
        if letter == "l":
            return self.local_part
        if letter == "o":
            return self.sender_domain
        if letter == "d":
            return self.domain
        if letter == "i":
            if ip.version == 4:
                return str(ip)
            # Dotted nibbles, upper-case as the openspf suite (and pyspf) expect; DNS ignores case.
            return ".".join(ip.exploded.replace(":", "").upper())
        if letter == "v":
            return "in-addr" if ip.version == 4 else "ip6"
        if letter == "h":
            return self.helo or "unknown"
        if letter == "c":
            return str(ip)
        if letter == "r":
            return self.receiver or "unknown"
        if letter == "t":
            return str(self.timestamp if self.timestamp is not None else int(time.time()))
        if letter == "p":
            if self._p_cache is None:
                self._p_cache = self.validated_name(self.domain) if self.validated_name else "unknown"
            return self._p_cache
        raise KeyError(letter)


class _Expander:
    """Expands macros of one string against one context, each distinct piece of work done once.

    A macro string is untrusted (a TXT record) and so are the values (a sender of
    any length): ``%{l}`` fifteen thousand times over a 120 KB local part is 1.8
    GB if each macro is expanded in full, and ``%{l1r-}`` … ``%{l15000r-}`` would
    split the same value fifteen thousand times. Here each value is split once per
    set of delimiters, a macro keeps only the parts it needs (`digits`), and the
    callers stop at the length they can use (`expand` with a limit, `expand_domain`
    from the right).
    """

    def __init__(self, ctx: MacroContext) -> None:
        self.ctx = ctx
        self._parts: dict[tuple[str, str], list[str]] = {}

    def parts(self, letter: str, delimiters: str) -> list[str]:
        key = (letter, delimiters)
        if key not in self._parts:
            value = self.ctx.value(letter)
            self._parts[key] = _split(value, delimiters)
        return self._parts[key]

    def render(self, tok: Token) -> str:
        if isinstance(tok, Literal):
            return tok.text
        if isinstance(tok, Escape):
            return tok.value
        parts = self.parts(tok.letter, tok.delimiters or ".")
        if tok.reverse:
            kept = parts[: tok.digits][::-1] if tok.digits is not None else parts[::-1]
        else:
            kept = parts[-tok.digits :] if tok.digits is not None and tok.digits < len(parts) else parts
        out = ".".join(kept)
        if tok.upper:
            out = urllib.parse.quote(out, safe="~")
        return out


def _split(value: str, delims: str) -> list[str]:
    """`value` cut at every delimiter (RFC 7208 §7.3), in one pass."""
    if len(delims) == 1:
        return value.split(delims)
    return re.split("[" + re.escape(delims) + "]", value)


def transform(value: str, macro: Macro) -> str:
    """Apply a macro's delimiters, reversal and right-hand-part count (RFC 7208 §7.3)."""
    parts = _split(value, macro.delimiters or ".")
    if macro.reverse:
        parts.reverse()
    if macro.digits is not None and macro.digits < len(parts):
        parts = parts[-macro.digits :]
    out = ".".join(parts)
    if macro.upper:
        out = urllib.parse.quote(out, safe="~")
    return out


def expand_tokens(tokens: list[Token], ctx: MacroContext, *, limit: int | None = None) -> str:
    """The expansion, or its first `limit` characters: nothing after them is computed."""
    ex = _Expander(ctx)
    out: list[str] = []
    size = 0
    for tok in tokens:
        piece = ex.render(tok)
        out.append(piece)
        size += len(piece)
        if limit is not None and size >= limit:
            return "".join(out)[:limit]
    return "".join(out)


def expand(text: str, ctx: MacroContext, *, explanation: bool = False, limit: int | None = None) -> str:
    """Expand a macro string (raises `MacroSyntaxError` when it is malformed); `limit` as in expand_tokens."""
    return expand_tokens(tokenize(text, explanation=explanation), ctx, limit=limit)


def truncate_domain(name: str) -> str:
    """Drop a trailing dot and, past 253 characters, whole labels from the left (RFC 7208 §7.3)."""
    if name.endswith("."):
        name = name[:-1]
    if len(name) <= MAX_DOMAIN_LENGTH:
        return name
    # where label-by-label dropping would stop, found in one search (dropping one label at a
    # time is quadratic in a name of 60,000 labels): the first dot whose right side fits
    dot = name.find(".", len(name) - MAX_DOMAIN_LENGTH - 1)
    if dot < 0:
        dot = name.rfind(".")  # no right side fits: dropping goes on to the last label
    return name[dot + 1 :]


def expand_domain(spec: str, ctx: MacroContext) -> str:
    """Expand a domain-spec into the name to query.

    Truncation keeps the right-hand end (RFC 7208 §7.3), so the expansion is
    built from the right and stops once it is longer than any name it can
    leave: the labels further left would be dropped anyway. (Where no dot at all
    falls in that stretch, the result is an over-long, invalid name either way.)
    """
    ex = _Expander(ctx)
    pieces: list[str] = []
    size = 0
    for tok in reversed(tokenize(spec)):
        piece = ex.render(tok)
        pieces.append(piece)
        size += len(piece)
        if size > MAX_DOMAIN_LENGTH + 1:
            break
    return truncate_domain("".join(reversed(pieces)))
