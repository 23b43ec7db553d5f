"""Authentication-Results (RFC 8601), Received-SPF (RFC 7208 §9.1) and ARC header sets (RFC 8617), as rows.

These fields are what the receiver concluded; the kit shows them beside its
own re-verification. The grammar (RFC 8601 §2.2) is tokens, quoted strings
and comments separated by ``;``:

    Authentication-Results: mx.example.org 1; spf=pass (sender IP is 192.0.2.1)
        smtp.mailfrom=example.com; dkim=pass header.d=example.com header.s=s1;
        dmarc=fail reason="policy" header.from=example.com

so the value is split on ``;`` outside quotes and comments, and each
``method=result`` statement read with its ``reason=`` and ``ptype.property=``
pairs. A statement that cannot be read is kept with its text and a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AuthResult",
    "ArcSet",
    "MAX_RESULTS",
    "parse_authentication_results",
    "parse_received_spf",
    "parse_arc_sets",
    "split_statements",
    "tag_list",
]

MAX_RESULTS = 500  # result rows kept from one message (a hostile one may carry thousands)
MAX_ARC_SETS = 50  # RFC 8617 §4.2.1: i= is 1 to 50

RESULT_WORDS = {
    "pass",
    "fail",
    "softfail",
    "neutral",
    "none",
    "temperror",
    "permerror",
    "policy",
    "hardfail",
    "bestguesspass",
}


@dataclass
class AuthResult:
    """One result statement: which receiver (authserv-id) said what about which method."""

    source: str  # "Authentication-Results", "ARC-Authentication-Results i=1", "Received-SPF"
    authserv_id: str
    method: str
    result: str
    reason: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    comment: str = ""
    position: int = 0  # which field, topmost = 1
    note: str = ""

    def prop(self, *names: str) -> str:
        for n in names:
            if n in self.properties:
                return self.properties[n]
        return ""

    def to_row(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "authserv-id": self.authserv_id,
            "method": self.method,
            "result": self.result,
            "reason": self.reason,
            "properties": " ".join(f"{k}={v}" for k, v in self.properties.items()),
            "comment": self.comment,
            "note": self.note,
        }


@dataclass
class ArcSet:
    """One ARC instance (i=): its seal's chain validation status and the three fields' tags."""

    instance: int
    seal: dict[str, str] = field(default_factory=dict)
    signature: dict[str, str] = field(default_factory=dict)
    results: str = ""
    missing: list[str] = field(default_factory=list)

    @property
    def cv(self) -> str:
        return self.seal.get("cv", "").lower()

    def to_row(self) -> dict[str, Any]:
        return {
            "i": self.instance,
            "cv (chain status)": self.cv,
            "sealer d=": self.seal.get("d", ""),
            "seal s=": self.seal.get("s", ""),
            "signer d=": self.signature.get("d", ""),
            "signed headers": self.signature.get("h", "")[:200],
            "receiver said": self.results[:300],
            "missing": ", ".join(self.missing),
        }


def split_statements(value: str) -> list[str]:
    """Split on ``;`` outside quoted strings and comments."""
    out: list[str] = []
    buf: list[str] = []
    depth = 0
    quoted = False
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and (quoted or depth):
            buf.append(value[i : i + 2])
            i += 2
            continue
        if quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif ch == ";" and not depth:
            out.append("".join(buf).strip())
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    tail = "".join(buf).strip()
    if tail:
        out.append(tail)
    return out


def _comments_out(text: str) -> tuple[str, str]:
    """(text without comments, the comments joined): nested comments respected."""
    out: list[str] = []
    comments: list[str] = []
    depth = 0
    current: list[str] = []
    quoted = False
    for ch in text:
        if depth == 0 and ch == '"':
            quoted = not quoted
        if not quoted and ch == "(":
            depth += 1
            if depth == 1:
                current = []
                continue
        elif not quoted and ch == ")" and depth:
            depth -= 1
            if depth == 0:
                comments.append("".join(current).strip())
                out.append(" ")
                continue
        if depth:
            current.append(ch)
        else:
            out.append(ch)
    return "".join(out), "; ".join(c for c in comments if c)


_PAIR = re.compile(r'([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]*)')


def _statement(source: str, authserv: str, text: str, position: int) -> AuthResult | None:
    bare, comment = _comments_out(text)
    pairs = _PAIR.findall(bare)
    if not pairs:
        return None
    method, result = pairs[0]
    method = method.split("/")[0].lower()
    res = AuthResult(
        source=source,
        authserv_id=authserv,
        method=method,
        result=result.strip('"').lower(),
        comment=comment[:300],
        position=position,
    )
    for k, v in pairs[1:]:
        v = v.strip('"')
        if k.lower() == "reason":
            res.reason = v[:300]
        elif len(res.properties) < 20:
            res.properties[k.lower()] = v[:300]
    if res.result not in RESULT_WORDS:
        res.note = f"{res.result!r} is not a result RFC 8601 defines"
    return res


def parse_authentication_results(
    value: str, *, source: str = "Authentication-Results", position: int = 0
) -> tuple[str, list[AuthResult]]:
    """(authserv-id, result statements) of one field; ``authserv-id; none`` gives no statements."""
    parts = split_statements(value[:65536])
    if not parts:
        return "", []
    head, _ = _comments_out(parts[0])
    words = head.split()
    authserv = words[0] if words else ""
    rest = parts[1:]
    if source.startswith("ARC-") and authserv.lower().startswith("i="):
        # ARC-Authentication-Results: i=1; authserv-id; results
        source = f"{source} {authserv}"
        if rest:
            head, _ = _comments_out(rest[0])
            authserv = head.split()[0] if head.split() else ""
            rest = rest[1:]
    if "=" in authserv and not rest:
        # "Authentication-Results: spf=pass ..." with no authserv-id (broken, but seen)
        rest, authserv = [parts[0]], ""
    out: list[AuthResult] = []
    for text in rest:
        if text.strip().lower() == "none":
            continue
        st = _statement(source, authserv, text, position)
        if st is None:
            out.append(
                AuthResult(source, authserv, "?", "?", position=position, note=f"unreadable statement: {text[:120]!r}")
            )
        else:
            out.append(st)
    return authserv, out


def parse_received_spf(value: str, *, position: int = 0) -> AuthResult:
    """``Received-SPF: pass (comment) client-ip=192.0.2.1; envelope-from=...; helo=...``."""
    text = value[:8192].strip()
    m = re.match(r"([A-Za-z]+)\b", text)
    result = m.group(1).lower() if m else "?"
    bare, comment = _comments_out(text[m.end() :] if m else text)
    props = {k.lower(): v.strip('"')[:300] for k, v in _PAIR.findall(bare)[:20]}
    res = AuthResult(
        source="Received-SPF",
        authserv_id=props.get("receiver", ""),
        method="spf",
        result=result,
        properties=props,
        comment=comment[:300],
        position=position,
    )
    if result not in RESULT_WORDS:
        res.note = f"{result!r} is not an SPF result (RFC 7208 §2.6)"
    return res


def tag_list(value: str) -> dict[str, str]:
    """A DKIM-style ``tag=value; ...`` list (ARC-Seal, ARC-Message-Signature), whitespace removed from values."""
    out: dict[str, str] = {}
    for part in value[:65536].split(";"):
        k, eq, v = part.partition("=")
        if eq and k.strip():
            out[k.strip().lower()] = re.sub(r"\s+", "" if k.strip().lower() in ("b", "bh") else " ", v.strip())
    return out


def _instance(value: str) -> int | None:
    m = re.match(r"\s*i\s*=\s*(\d{1,6})\s*(;|$)", value)
    return int(m.group(1)) if m else None


def parse_arc_sets(seals: list[str], signatures: list[str], results: list[str]) -> tuple[list[ArcSet], list[str]]:
    """ARC sets by instance, and problems (missing members, duplicates, instances out of range)."""
    sets: dict[int, ArcSet] = {}
    problems: list[str] = []

    def get(i: int) -> ArcSet:
        if i not in sets:
            sets[i] = ArcSet(i)
        return sets[i]

    for name, values in (
        ("ARC-Seal", seals),
        ("ARC-Message-Signature", signatures),
        ("ARC-Authentication-Results", results),
    ):
        seen: set[int] = set()
        for v in values[: MAX_ARC_SETS * 4]:
            i = _instance(v) if name == "ARC-Authentication-Results" else _instance_tag(v)
            if i is None or not 1 <= i <= MAX_ARC_SETS:
                problems.append(f"an {name} without a valid i= (1 to {MAX_ARC_SETS})")
                continue
            if i in seen:
                problems.append(f"two {name} fields with i={i}")
                continue
            seen.add(i)
            if len(sets) >= MAX_ARC_SETS and i not in sets:
                continue
            s = get(i)
            if name == "ARC-Seal":
                s.seal = tag_list(v)
            elif name == "ARC-Message-Signature":
                s.signature = tag_list(v)
            else:
                s.results = v.split(";", 1)[1].strip() if ";" in v else ""
        if len(values) > MAX_ARC_SETS * 4:
            problems.append(f"{len(values)} {name} fields; only the first {MAX_ARC_SETS * 4} were read")
    ordered = [sets[i] for i in sorted(sets)]
    for s in ordered:
        s.missing = [
            n
            for n, present in (
                ("ARC-Seal", bool(s.seal)),
                ("ARC-Message-Signature", bool(s.signature)),
                ("ARC-Authentication-Results", bool(s.results)),
            )
            if not present
        ]
    if ordered and [s.instance for s in ordered] != list(range(1, len(ordered) + 1)):
        problems.append("the ARC instances are not numbered 1, 2, 3 … without gaps")
    return ordered, problems


def _instance_tag(value: str) -> int | None:
    tags = tag_list(value)
    try:
        return int(tags.get("i", ""))
    except ValueError:
        return None
