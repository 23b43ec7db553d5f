"""The MTA-STS policy file (RFC 8461 §3.2) and MX pattern matching (§4.1).

The policy is a few ``key: value`` lines served at
``https://mta-sts.<domain>/.well-known/mta-sts.txt``::

    version: STSv1
    mode: enforce
    mx: mail.example.com
    mx: *.example.net
    max_age: 604800

Lines end in CRLF or LF (mixing is allowed, a bare CR is not). Unknown keys
are extensions and are ignored; ``mx`` may repeat; every other key given
twice is a problem because senders disagree on which one wins. ``max_age``
is 0 to 31,557,600 seconds (one year). A pattern ``*.example.net`` matches
exactly one extra label (``mx1.example.net``, not ``example.net`` nor
``a.b.example.net``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_AGE_LIMIT = 31_557_600
#: Senders cap the policy body; RFC 8461 §3.3 suggests 64 KiB (what we enforce when fetching).
MAX_POLICY_BYTES = 64 * 1024
MODES = ("enforce", "testing", "none")
_MAX_LINES = 1000
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


@dataclass
class Policy:
    """A parsed policy: fields, MX patterns, and every problem (sentences) that makes senders ignore it."""

    version: str = ""
    mode: str = ""
    max_age: int | None = None
    mx: list[str] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def covers(self, host: str) -> bool:
        """Does some ``mx:`` pattern match `host`?"""
        return any(mx_matches(p, host) for p in self.mx)

    def matching_pattern(self, host: str) -> str | None:
        return next((p for p in self.mx if mx_matches(p, host)), None)


def _valid_pattern(pattern: str) -> bool:
    name = pattern[2:] if pattern.startswith("*.") else pattern
    labels = name.rstrip(".").split(".")
    return len(labels) >= 2 and all(_LABEL.match(lab) for lab in labels) and len(name) <= 253


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: exact match, or ``*.`` matching exactly one leftmost label; case-insensitive."""
    p = pattern.strip().rstrip(".").lower()
    h = host.strip().rstrip(".").lower()
    if not p or not h:
        return False
    if p.startswith("*."):
        head, _, rest = h.partition(".")
        return bool(head) and rest == p[2:]
    return p == h


def _lines(text: str) -> tuple[list[str], list[str]]:
    """Split on CRLF or LF (RFC 8461 `sts-policy-term-sep`); a bare CR is a problem, not a separator."""
    problems: list[str] = []
    if "\r" in text.replace("\r\n", ""):
        problems.append("a line ends in a bare CR (only CRLF or LF end a line)")
    lines = text.replace("\r\n", "\n").split("\n")
    return lines, problems


def parse_policy(text: str) -> Policy:
    """Parse a policy body (already decoded); never raises, every problem is a sentence in `problems`."""
    pol = Policy()
    lines, pol.problems = _lines(text)
    if len(lines) > _MAX_LINES:
        pol.problems.append(f"the policy has {len(lines)} lines; no real policy needs more than a few dozen")
        lines = lines[:_MAX_LINES]
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip(" \t")
        if not line:
            continue
        key, colon, value = line.partition(":")
        if not colon:
            pol.problems.append(f"line {number} ({_show(line)}) is not 'key: value'")
            continue
        if key != key.strip() or not _KEY.match(key):
            pol.problems.append(f"line {number}: {_show(key)} is not a valid key (no spaces before the colon)")
            continue
        value = value.lstrip(" \t")
        if not value.isascii():
            pol.problems.append(f"line {number}: the value {_show(value)} has non-ASCII characters")
            continue
        if key != "mx":
            seen[key] = seen.get(key, 0) + 1
            if seen[key] == 2:
                pol.problems.append(f"{key} appears more than once; senders disagree on which line wins")
                continue
            if seen[key] > 2:
                continue
        if key == "version":
            pol.version = value
            if value != "STSv1":
                pol.problems.append(f"version is {_show(value)}; it must be STSv1 exactly")
        elif key == "mode":
            pol.mode = value
            if value not in MODES:
                pol.problems.append(f"mode is {_show(value)}; it must be enforce, testing or none (lower case)")
        elif key == "max_age":
            if not (value.isascii() and value.isdigit()) or len(value) > 10:
                pol.problems.append(f"max_age {_show(value)} is not a whole number of seconds (at most 10 digits)")
            else:
                pol.max_age = int(value)
                if pol.max_age > MAX_AGE_LIMIT:
                    pol.problems.append(
                        f"max_age {pol.max_age} is more than the {MAX_AGE_LIMIT} seconds (one year) RFC 8461 allows"
                    )
        elif key == "mx":
            if not _valid_pattern(value):
                pol.problems.append(
                    f"mx {_show(value)} is not a host name or a '*.' pattern (like mail.example.com or *.example.com)"
                )
            else:
                pol.mx.append(value.lower().rstrip("."))
        else:
            pol.extensions[key] = value
    if not pol.version and "version" not in seen:
        pol.problems.append("the version: STSv1 line is missing")
    if not pol.mode and "mode" not in seen:
        pol.problems.append("the mode: line is missing")
    if pol.max_age is None and "max_age" not in seen:
        pol.problems.append("the max_age: line is missing")
    if pol.mode in ("enforce", "testing") and not pol.mx and not any("mx " in p for p in pol.problems):
        pol.problems.append(f"mode {pol.mode} needs at least one mx: line naming your MX hosts")
    return pol


def _show(text: str, limit: int = 60) -> str:
    """A value from the policy, quoted and cut, control characters visible."""
    shown = repr(text[:limit])
    return shown + ("…" if len(text) > limit else "")
