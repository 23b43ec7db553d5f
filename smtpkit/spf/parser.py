"""RFC 7208 record syntax: a record's text -> terms with positions. Pure.

Every syntax error makes receivers return permerror, which most of them treat
like no SPF at all (or worse), and the people who publish the record rarely
see it. So the parser never stops at the first problem: it keeps every term
with its character position and collects every error, each pointing at the
term that caused it with a hint for the usual mistake (`a:` with an address,
`redirect:` instead of `redirect=`, a misspelled mechanism).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from smtpkit.spf.macros import Literal, Macro, MacroSyntaxError, tokenize

MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
# Terms that cost one of the ten DNS lookups of RFC 7208 §4.6.4.
LOOKUP_MECHANISMS = frozenset({"include", "a", "mx", "ptr", "exists"})
QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
VERSION = "v=spf1"

# re.ASCII everywhere: records come from DNS, and without it \d matches every Unicode digit
# ("ip4:1.2.3.٤", fullwidth "１"), which passed the syntax check and then raised in ipaddress.
_MODIFIER_RE = re.compile(r"^([A-Za-z][A-Za-z0-9\-_.]*)=(.*)$", re.S | re.ASCII)
_MECH_RE = re.compile(r"^([+\-~?]?)([A-Za-z0-9]*)(.*)$", re.S | re.ASCII)
_DUAL_CIDR_RE = re.compile(r"^(?P<dom>.*?)(?P<c4>/\d+)?(?P<c6>//\d+)?$", re.S | re.ASCII)
_IP4_RE = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$", re.ASCII)
_IP6_CHARS = re.compile(r"^[0-9A-Fa-f:.]+$", re.ASCII)
_TOPLABEL_RE = re.compile(r"^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])$", re.ASCII)
_CIDRS_RE = re.compile(r"(?:/(\d+))?(?://(\d+))?", re.ASCII)

# Frequent misspellings people publish, and what they meant.
_TYPOS = {
    "ipv4": "ip4",
    "ip4s": "ip4",
    "ipv6": "ip6",
    "inlcude": "include",
    "inlude": "include",
    "incude": "include",
    "includes": "include",
    "incl": "include",
    "exist": "exists",
    "mxs": "mx",
    "aaaa": "a",
    "redirect": "redirect=",
    "exp": "exp=",
}


def is_spf_record(text: str) -> bool:
    """RFC 7208 §4.5: exactly 'v=spf1' (any case), then a space or the end."""
    return text[:6].lower() == VERSION and (len(text) == 6 or text[6] == " ")


@dataclass(frozen=True)
class SyntaxProblem:
    """One syntax error: the message, the offending term and where it starts in the record."""

    message: str
    term: str
    position: int
    hint: str = ""
    suggestion: str | None = None  # a replacement for the term ("" = delete it), when we can guess one

    def pointer(self, record: str) -> str:
        """The record with a caret line under the offending term, for terminals and evidence."""
        width = max(1, len(self.term))
        return f"{record}\n{' ' * self.position}{'^' * width}"

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "term": self.term, "position": self.position, "hint": self.hint}


@dataclass(frozen=True)
class Term:
    """A mechanism (`kind == "mechanism"`) or a modifier (`kind == "modifier"`) of a record."""

    text: str
    position: int
    kind: str
    name: str  # lower-case
    qualifier: str = ""  # '+', '-', '~', '?' for mechanisms ('+' when omitted)
    explicit_qualifier: bool = False
    domain_spec: str | None = None  # include/a/mx/ptr/exists target, redirect/exp value
    value: str = ""  # raw value of an unknown modifier
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None  # ip4 / ip6
    cidr4: int | None = None
    cidr6: int | None = None

    @property
    def result(self) -> str:
        """The result this mechanism gives when it matches."""
        return QUALIFIERS.get(self.qualifier or "+", "pass")

    @property
    def counts_lookup(self) -> bool:
        return (self.kind == "mechanism" and self.name in LOOKUP_MECHANISMS) or (
            self.kind == "modifier" and self.name == "redirect"
        )

    @property
    def has_macros(self) -> bool:
        return "%" in (self.domain_spec or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.text,
            "position": self.position,
            "kind": self.kind,
            "name": self.name,
            "qualifier": self.qualifier,
            "domain_spec": self.domain_spec,
            "network": str(self.network) if self.network is not None else None,
            "cidr4": self.cidr4,
            "cidr6": self.cidr6,
        }


@dataclass(frozen=True)
class Record:
    text: str
    terms: tuple[Term, ...] = ()
    errors: tuple[SyntaxProblem, ...] = ()
    version_ok: bool = True

    @property
    def ok(self) -> bool:
        return self.version_ok and not self.errors

    @property
    def mechanisms(self) -> list[Term]:
        return [t for t in self.terms if t.kind == "mechanism"]

    @property
    def modifiers(self) -> list[Term]:
        return [t for t in self.terms if t.kind == "modifier"]

    def modifier(self, name: str) -> Term | None:
        for t in self.terms:
            if t.kind == "modifier" and t.name == name:
                return t
        return None

    @property
    def redirect(self) -> Term | None:
        return self.modifier("redirect")

    @property
    def exp(self) -> Term | None:
        return self.modifier("exp")

    @property
    def all_term(self) -> Term | None:
        for t in self.mechanisms:
            if t.name == "all":
                return t
        return None

    def lookup_terms(self) -> list[Term]:
        return [t for t in self.terms if t.counts_lookup]


def parse_record(text: str) -> Record:
    """Parse an SPF record; never raises. `Record.errors` lists every problem, in order."""
    if not is_spf_record(text):
        start_problem = SyntaxProblem(
            "the record does not start with 'v=spf1' followed by a space",
            text[:10],
            0,
            "An SPF record starts with exactly v=spf1 and a space, e.g. 'v=spf1 mx -all'.",
        )
        return Record(text, (), (start_problem,), version_ok=False)
    terms: list[Term] = []
    errors: list[SyntaxProblem] = []
    pos = 6
    n = len(text)
    seen_mods: dict[str, Term] = {}
    while pos < n:
        if text[pos] == " ":
            pos += 1
            continue
        end = text.find(" ", pos)
        if end < 0:
            end = n
        raw = text[pos:end]
        try:
            term, problem = parse_term(raw, pos)
        except ValueError as exc:  # the promise above, for what the checks of parse_term missed
            term, problem = None, SyntaxProblem(f"'{raw}' cannot be read: {exc}", raw, pos, "Fix or remove this term.")
        if term is not None:
            if term.kind == "modifier" and term.name in ("redirect", "exp"):
                if term.name in seen_mods:
                    problem = SyntaxProblem(
                        f"'{term.name}=' appears more than once",
                        raw,
                        pos,
                        f"A record may contain at most one {term.name}= modifier; keep the one you mean.",
                        "",
                    )
                    term = None
                else:
                    seen_mods[term.name] = term
        if problem is not None:
            errors.append(problem)
        if term is not None:
            terms.append(term)
        pos = end
    return Record(text, tuple(terms), tuple(errors))


def parse_term(raw: str, position: int = 0) -> tuple[Term | None, SyntaxProblem | None]:
    """Parse one term; returns (term, None) or (None, problem)."""

    def bad(message: str, hint: str = "", suggestion: str | None = None) -> tuple[None, SyntaxProblem]:
        return None, SyntaxProblem(message, raw, position, hint, suggestion)

    m = _MODIFIER_RE.fullmatch(raw)
    if m:
        name, value = m.group(1).lower(), m.group(2)
        if name in ("redirect", "exp"):
            err = domain_spec_error(value)
            if err:
                return bad(f"'{name}=' needs a domain: {err}", _MODIFIER_HINT[name])
            return Term(raw, position, "modifier", name, domain_spec=value), None
        merr = _macro_error(value, explanation=False)
        if merr:
            return bad(
                f"the value of the modifier '{m.group(1)}=' is malformed: {merr}",
                "Fix the macro or remove the modifier.",
                "",
            )
        return Term(raw, position, "modifier", name, value=value), None

    m = _MECH_RE.fullmatch(raw)
    assert m is not None
    qual, name_raw, rest = m.group(1), m.group(2), m.group(3)
    name = name_raw.lower()
    full = qual or "+"
    if name not in MECHANISMS:
        return _unknown_mechanism(raw, position, qual, name_raw, rest)

    def mech(**kw: Any) -> tuple[Term, None]:
        return Term(raw, position, "mechanism", name, qualifier=full, explicit_qualifier=bool(qual), **kw), None

    if name == "all":
        if rest:
            return bad(
                f"'all' takes no argument, but '{rest}' follows it",
                "Write just 'all' with its qualifier, e.g. '-all' or '~all'.",
                qual + "all",
            )
        return mech()
    if name in ("include", "exists"):
        if not rest.startswith(":") or rest == ":":
            return bad(
                f"'{name}' needs a domain: write '{name}:example.com'",
                f"The {name} mechanism always names a domain after a colon.",
            )
        spec = rest[1:]
        err = domain_spec_error(spec)
        if err:
            return bad(f"'{name}:{spec}' is not a valid domain: {err}", _domain_hint(spec))
        return mech(domain_spec=spec)
    if name in ("a", "mx"):
        dom: str | None = None
        cidr_part = rest
        if rest.startswith(":"):
            cm = _DUAL_CIDR_RE.fullmatch(rest[1:])
            assert cm is not None
            dom = cm.group("dom")
            cidr_part = (cm.group("c4") or "") + (cm.group("c6") or "")
            if not dom:
                return bad(
                    f"'{name}:' has an empty domain",
                    f"Write '{name}' alone for your own domain, or '{name}:host.example.com'.",
                )
            err = domain_spec_error(dom)
            if err:
                sugg = None
                if name == "a" and _IP4_RE.fullmatch(dom):
                    sugg = f"{qual}ip4:{dom}"
                return bad(f"'{name}:{dom}' is not a valid domain: {err}", _domain_hint(dom), sugg)
        c4, c6, cerr = _dual_cidr(cidr_part)
        if cerr:
            return bad(f"'{raw}': {cerr}", "Write /N for IPv4 (0-32) and //N for IPv6 (0-128), e.g. a/24//64.")
        return mech(domain_spec=dom, cidr4=c4, cidr6=c6)
    if name == "ptr":
        if rest == "":
            return mech()
        if not rest.startswith(":") or rest == ":":
            return bad(
                f"'ptr' takes only an optional ':domain', not '{rest}'",
                "Better: replace ptr by ip4:/ip6: ranges of your servers (RFC 7208 says do not use ptr).",
            )
        dom = rest[1:]
        err = domain_spec_error(dom)
        if err:
            return bad(f"'ptr:{dom}' is not a valid domain: {err}", _domain_hint(dom))
        return mech(domain_spec=dom)
    if name == "ip4":
        if not rest.startswith(":") or rest == ":":
            return bad("'ip4' needs an address: write 'ip4:192.0.2.1' or 'ip4:192.0.2.0/24'")
        addr, _, cidr = rest[1:].partition("/")
        if not _IP4_RE.fullmatch(addr):
            hint = (
                "An IPv4 address has four numbers 0-255 without leading zeros; a range is written with /N, e.g."
                " ip4:192.0.2.0/24."
            )
            if ":" in addr:
                hint = "A port number does not belong in SPF; write only the address."
            return bad(f"'{addr}' is not an IPv4 address{_non_ascii(addr)}", hint)
        prefix = 32
        if "/" in rest[1:]:
            prefix_or_err = _cidr_value(cidr, 32)
            if isinstance(prefix_or_err, str):
                return bad(f"'{raw}': {prefix_or_err}", "Write the prefix length as /0 to /32 without leading zeros.")
            prefix = prefix_or_err
        net = ipaddress.IPv4Network(f"{addr}/{prefix}", strict=False)
        return mech(network=net, cidr4=prefix)
    if name == "ip6":
        if not rest.startswith(":") or rest == ":":
            return bad("'ip6' needs an address: write 'ip6:2001:db8::1' or 'ip6:2001:db8::/32'")
        addr, _, cidr = rest[1:].partition("/")
        ok = bool(_IP6_CHARS.fullmatch(addr))
        if ok:
            try:
                ipaddress.IPv6Address(addr)
            except ValueError:
                ok = False
        if not ok:
            return bad(
                f"'{addr}' is not an IPv6 address{_non_ascii(addr)}",
                "Write an IPv6 address like 2001:db8::1, optionally with /N (0-128).",
            )
        prefix = 128
        if "/" in rest[1:]:
            prefix_or_err = _cidr_value(cidr, 128)
            if isinstance(prefix_or_err, str):
                return bad(f"'{raw}': {prefix_or_err}", "Write the prefix length as /0 to /128 without leading zeros.")
            prefix = prefix_or_err
        net6 = ipaddress.IPv6Network(f"{addr}/{prefix}", strict=False)
        return mech(network=net6, cidr6=prefix)
    raise AssertionError(name)  # pragma: no cover


_MODIFIER_HINT = {
    "redirect": "redirect= names the domain whose SPF record replaces this one, e.g. redirect=_spf.example.com.",
    "exp": "exp= names a domain whose TXT record holds the rejection text, e.g. exp=explain._spf.example.com.",
}


def _unknown_mechanism(raw: str, position: int, qual: str, name_raw: str, rest: str) -> tuple[None, SyntaxProblem]:
    name = name_raw.lower()
    suggestion: str | None = None
    if not name_raw:
        if raw.startswith("="):
            msg = f"'{raw}' has an empty modifier name"
            hint = "A modifier is name=value, e.g. redirect=_spf.example.com."
        else:
            msg = f"'{raw}' is not a mechanism or modifier"
            hint = "Each term is a mechanism (all, include, a, mx, ptr, ip4, ip6, exists) or a name=value modifier."
        return None, SyntaxProblem(msg, raw, position, hint, "")
    if name in ("redirect", "exp") and rest.startswith(":"):
        suggestion = f"{name}={rest[1:]}"
        return None, SyntaxProblem(
            f"'{raw}' uses a colon, but {name} is a modifier written with '='",
            raw,
            position,
            f"Write {suggestion}.",
            suggestion,
        )
    if rest.startswith("=") or (rest and "=" in rest and name_raw[:1].isdigit()):
        return None, SyntaxProblem(
            f"'{raw}' is not a valid modifier: a modifier name starts with a letter and contains only letters, digits,"
            " '-', '_' and '.'",
            raw,
            position,
            "Remove it, or fix the name.",
            "",
        )
    guess = _TYPOS.get(name)
    if guess and not guess.endswith("="):
        suggestion = qual + guess + rest
        hint = f"Did you mean '{suggestion}'?"
    elif _IP4_RE.fullmatch(raw.lstrip("+-~?")):
        suggestion = f"{qual}ip4:{raw.lstrip('+-~?')}"
        hint = f"A bare address is not a mechanism; write '{suggestion}'."
    else:
        hint = "The mechanisms are all, include, a, mx, ptr, ip4, ip6 and exists; a modifier is written name=value."
    return None, SyntaxProblem(
        f"'{name_raw}' is not an SPF mechanism (in '{raw}')",
        raw,
        position,
        hint,
        suggestion if suggestion is not None else "",
    )


def _domain_hint(dom: str) -> str:
    if _IP4_RE.fullmatch(dom.rstrip(".")):
        return "That is an IP address: use ip4:ADDRESS instead of a:/mx:."
    if ":" in dom.rsplit(".", 1)[-1]:
        return "A port number or colon does not belong at the end of a domain."
    return (
        "A domain in SPF must end in a top-level label such as .com (letters, digits and inner hyphens) or in a macro."
    )


def _macro_error(value: str, *, explanation: bool) -> str | None:
    try:
        tokenize(value, explanation=explanation)
    except MacroSyntaxError as exc:
        return exc.message
    return None


def domain_spec_error(spec: str) -> str | None:
    """Why `spec` is not a domain-spec (RFC 7208 §7.1), or None when it is one.

    domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand
    """
    if not spec:
        return "it is empty"
    try:
        tokens = tokenize(spec, explanation=False)
    except MacroSyntaxError as exc:
        return exc.message
    last = tokens[-1]
    if not isinstance(last, Literal):  # ends in a macro-expand (%{..}, %%, %_ or %-)
        return None
    tail = last.text
    if tail.endswith("."):
        tail = tail[:-1]
    if "." not in tail:
        if len(tokens) > 1 and isinstance(tokens[-2], Macro) and tail == "":
            return None
        return f"'{spec}' has no dot and top-level label (such as .com) at its end"
    top = tail.rsplit(".", 1)[1]
    if not _TOPLABEL_RE.fullmatch(top):
        if top.isdigit():
            return f"its last label '{top}' is all digits"
        return f"its last label '{top}' is not a valid top-level label"
    return None


def _non_ascii(text: str) -> str:
    """' (it contains '٤', which is not an ASCII digit 0-9)' for a value a person typed in another script."""
    odd = next((c for c in text if not c.isascii()), None)
    if odd is None:
        return ""
    what = "not an ASCII digit 0-9" if odd.isdigit() else "not ASCII"
    return f" (it contains {odd!r}, U+{ord(odd):04X}, which is {what}: SPF records are plain ASCII)"


def _cidr_value(text: str, maximum: int) -> int | str:
    if not text.isdigit() or not text.isascii():
        return f"'/{text}' is not a prefix length{_non_ascii(text)}"
    if len(text) > 1 and text[0] == "0":
        return f"the prefix length '/{text[:12]}' has a leading zero"
    if len(text) > 3:  # before int(): Python refuses to convert more than 4300 digits
        return f"the prefix length /{text[:12]}{'…' if len(text) > 12 else ''} is larger than {maximum}"
    value = int(text)
    if value > maximum:
        return f"the prefix length /{value} is larger than {maximum}"
    return value


def _dual_cidr(text: str) -> tuple[int | None, int | None, str | None]:
    if not text:
        return None, None, None
    m = _CIDRS_RE.fullmatch(text)
    if not m:
        return None, None, f"'{text}' is not a prefix length (use /N for IPv4 and //N for IPv6)"
    c4 = c6 = None
    if m.group(1) is not None:
        v = _cidr_value(m.group(1), 32)
        if isinstance(v, str):
            return None, None, v
        c4 = v
    if m.group(2) is not None:
        v = _cidr_value(m.group(2), 128)
        if isinstance(v, str):
            return None, None, v
        c6 = v
    return c4, c6, None


@dataclass
class Selection:
    """Which of a name's TXT strings are SPF records (RFC 7208 §4.5)."""

    records: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)

    @property
    def record(self) -> str | None:
        return self.records[0] if len(self.records) == 1 else None


def select_records(texts: list[str]) -> Selection:
    sel = Selection()
    for t in texts:
        (sel.records if is_spf_record(t) else sel.others).append(t)
    return sel
