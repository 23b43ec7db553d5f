"""Received header fields (RFC 5321 §4.4, RFC 5322 §3.6.7) parsed into hops, oldest first.

Every MTA writes its own dialect of the same trace clause, and that variety is
the whole difficulty: Postfix ``from helo (rev [ip]) by host (Postfix) with
ESMTPS id X for <rcpt>; date``, Exim ``from [ip] (helo=name) by host with esmtps
(TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <x>) id X``,
Sendmail ``(version=TLSv1.3 cipher=... bits=256 verify=NOT)``, Microsoft
``with Microsoft SMTP Server (version=TLS1_2, cipher=...)``, Gmail ``by
2002:a05:...  with SMTP id`` (an IPv6 address as the host), qmail ``(qmail 123
invoked from network)`` with ``(HELO name) (ip)``, Courier ``(AUTH: LOGIN
user, TLS: TLSv1.2,256bits,...)``, Domino ``by host/ORG (Lotus Domino ...)``.

So the parser is a small tokenizer, not one regular expression: the clause
before the last ``;`` is split into words and (nested) comments; the keywords
``from by via with id for`` start clauses and everything else belongs to the
clause before it. Facts are then read from each clause's words and comments.
A hop that yields nothing is kept, raw, with a note: the evidence is never
dropped.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hop", "MAX_HOPS", "parse_received", "parse_chain", "tls_of"]

MAX_HOPS = 200  # RFC 5321 §6.3 loop detection rejects mail past 100 hops; twice that is plenty to show

_KEYWORDS = {"from", "by", "via", "with", "id", "for"}
_IPV4 = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}"
_IPV4_RX = re.compile(rf"(?<![\d.]){_IPV4}(?![\d.])")
_IPV6_RX = re.compile(
    r"(?<![0-9A-Za-z:])(?:IPv6:)?((?:[0-9A-Fa-f]{1,4}:){1,7}[0-9A-Fa-f:.]*[0-9A-Fa-f]|::[0-9A-Fa-f:.]+)"
)
_HOSTNAME = re.compile(r"^(?=.{1,253}\.?$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{1,63}\.?$")
_ANGLE = re.compile(r"<([^<>]{0,320})>")
_TLS_VERSION = re.compile(
    r"\b(TLS\s?v?1[._]?[0-3]|TLS1_[0-3]|TLSv1(?:\.[0-3])?|SSLv3|TLS1\.[0-3]|TLS13|TLS12)\b", re.IGNORECASE
)
_CIPHER = re.compile(
    r"\b(?:cipher[= ]\s*)?((?:TLS_[A-Z0-9_]+|(?:ECDHE|DHE|AES|ECDH|RSA|CHACHA20)[-A-Z0-9_]*"
    r"-(?:SHA\d*|GCM-SHA\d+|POLY1305)(?:-[A-Z0-9]+)?))\b"
)
_BARE_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),?\s+)?\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{2,4}"
    r"\s+\d\d:\d\d(?::\d\d)?(?:\s*(?:[+-]\d{4}|[A-Z]{1,5}))?(?:\s*\([^)]*\))?\s*$"
)
_TLS_PROTOCOLS = {"esmtps", "esmtpsa", "smtps", "lmtps", "lmtpsa", "utf8smtps", "utf8smtpsa", "utf8lmtps", "https"}
_PLAIN_PROTOCOLS = {"smtp", "esmtp", "esmtpa", "lmtp", "lmtpa", "utf8smtp", "utf8smtpa", "utf8lmtp", "http"}


@dataclass
class Hop:
    """One Received field: who handed the message to whom, how, and when.

    `index` counts from the oldest hop (1); `position` is the field's place in
    the header, topmost first (1 = added last, by the final receiver).
    """

    index: int = 0
    position: int = 0
    raw: str = ""
    from_helo: str = ""
    from_rdns: str = ""
    from_ip: str = ""
    by: str = ""
    via: str = ""
    protocol: str = ""
    tls: bool | None = None
    tls_version: str = ""
    cipher: str = ""
    id: str = ""
    for_addr: str = ""
    envelope_from: str = ""
    software: str = ""
    date_text: str = ""
    timestamp: _dt.datetime | None = None
    delay: float | None = None  # seconds since the previous (older) hop
    note: str = ""
    parsed: bool = True

    @property
    def from_name(self) -> str:
        """The best name for the sending side: the reverse name the receiver saw, else the HELO name."""
        return self.from_rdns or self.from_helo

    def to_row(self) -> dict[str, Any]:
        return {
            "hop": self.index,
            "from": self.from_helo,
            "reverse name": self.from_rdns,
            "ip": self.from_ip,
            "by": self.by,
            "with": self.protocol,
            "tls": {True: "yes", False: "no", None: "?"}[self.tls],
            "tls version": self.tls_version,
            "cipher": self.cipher,
            "id": self.id,
            "for": self.for_addr,
            "time (UTC)": self.timestamp.strftime("%Y-%m-%d %H:%M:%S") if self.timestamp else "",
            "delay": delay_text(self.delay),
            "delay_s": None if self.delay is None else round(self.delay, 3),
            "note": self.note,
            "raw": "" if self.parsed else self.raw[:500],
        }


def delay_text(seconds: float | None) -> str:
    """A delay in the unit a reader thinks in: "41 s", "3.5 min", "2.0 h", "3.1 d" ("" when unknown)."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 60:
        return f"{sign}{s:.0f} s"
    if s < 3600:
        return f"{sign}{s / 60:.1f} min"
    if s < 86400 * 2:
        return f"{sign}{s / 3600:.1f} h"
    return f"{sign}{s / 86400:.1f} d"


def _tokenize(text: str) -> list[tuple[str, str]]:
    """Words and comments: [("w", word) | ("c", comment text)], comments may nest; quotes respected."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "(":
            depth, j = 1, i + 1
            while j < n and depth:
                if text[j] == "\\":
                    j += 2
                    continue
                if text[j] == "(":
                    depth += 1
                elif text[j] == ")":
                    depth -= 1
                j += 1
            out.append(("c", text[i + 1 : j - 1 if depth == 0 else j].strip()))
            i = j
            continue
        if ch == "<":
            j = text.find(">", i)
            j = n if j < 0 else j + 1
            out.append(("w", text[i:j]))
            i = j
            continue
        if ch == '"':
            j = text.find('"', i + 1)
            j = n if j < 0 else j + 1
            out.append(("w", text[i:j]))
            i = j
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in "(<":
            j += 1
        out.append(("w", text[i:j]))
        i = j
    return out


def _clauses(tokens: list[tuple[str, str]]) -> dict[str, tuple[list[str], list[str]]]:
    """keyword -> (words, comments) of its first occurrence; words before any keyword go to ''."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    current = ""
    seen: set[str] = set()
    out[""] = ([], [])
    for kind, value in tokens:
        if kind == "w" and value.lower() in _KEYWORDS and value.lower() not in seen:
            current = value.lower()
            seen.add(current)
            out[current] = ([], [])
            continue
        words, comments = out[current]
        (words if kind == "w" else comments).append(value)
    return out


def _valid_ip(text: str) -> str:
    t = text.strip().strip("[]")
    if t.lower().startswith("ipv6:"):
        t = t[5:]
    try:
        addr = ipaddress.ip_address(t)
    except ValueError:
        return ""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _find_ip(texts: list[str]) -> str:
    """The first IP address in the texts: bracketed ones first ([192.0.2.1], [IPv6:2001:db8::1])."""
    for t in texts:
        for m in re.finditer(r"\[([^\[\]]{2,60})\]", t):
            ip = _valid_ip(m.group(1))
            if ip:
                return ip
    for t in texts:
        for m in _IPV4_RX.finditer(t):
            ip = _valid_ip(m.group(0))
            if ip:
                return ip
        for m in _IPV6_RX.finditer(t):
            ip = _valid_ip(m.group(1))
            if ip and ":" in ip:
                return ip
    return ""


def _hostname(word: str) -> str:
    w = word.strip().strip("[]").rstrip(".")
    return w if _HOSTNAME.match(w) and not _valid_ip(w) else ""


_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}$")


def _single_label(word: str) -> str:
    """A one-label reverse name ("localhost"); "unknown" is the receiver saying there was none."""
    w = word.strip().rstrip(".")
    return w if _LABEL.match(w) and w.lower() not in ("unknown", "using", "with", "via", "from", "by") else ""


_HELO_IN_COMMENT = re.compile(r"\b(?:helo|ehlo)(?:=|\s+)([^\s)\]]+)", re.IGNORECASE)


def _parse_from(words: list[str], comments: list[str], hop: Hop) -> None:
    """The sending side. Postfix and Sendmail write ``from HELO (rdns [ip])``; Exim and qmail write
    ``from rdns ([ip] helo=HELO)`` / ``from rdns (HELO name) (ip)``: an explicit helo in a comment
    means the first word is the reverse name."""
    first = words[0].rstrip(";") if words else ""
    first_ip = _valid_ip(first)
    helo_comment = ""
    for c in comments:
        m = _HELO_IN_COMMENT.search(c)
        if m:
            helo_comment = m.group(1)
            break
    if first_ip:
        hop.from_ip = first_ip
        hop.from_helo = helo_comment
    elif helo_comment:
        hop.from_rdns = _hostname(first) or ""
        hop.from_helo = helo_comment
        if not hop.from_rdns and first:
            hop.note = f"the sending host had no usable reverse name ({first[:60]})"
    else:
        hop.from_helo = first.strip("[]")
    # The reverse name is in the comment that holds the address ("(localhost [127.0.0.1])"), not in a later
    # one such as "(using TLSv1.3 with cipher ...)", whose "TLSv1.3" reads as a host name.
    with_ip = [c for c in comments if _find_ip([c])]
    rdns_comment = with_ip[0] if with_ip else (comments[0] if comments else "")
    for c in comments:
        ip = _find_ip([c])
        if ip and not hop.from_ip:
            hop.from_ip = ip
        if not hop.from_rdns and not helo_comment and c is rdns_comment:
            for w in c.replace("[", " [").split():
                if "=" in w or w.lower() in ("helo", "ehlo"):
                    continue
                name = _hostname(w) or _single_label(w)
                if name:
                    hop.from_rdns = name
                    break
        if re.search(r"\bmay be forged\b", c, re.I):
            hop.note = "the receiver noted the name may be forged"
    if not hop.from_ip:
        hop.from_ip = _find_ip(words[1:])


def tls_of(text: str, protocol: str) -> tuple[bool | None, str, str]:
    """(TLS used?, version, cipher) from a Received field's text and its `with` protocol."""
    version = ""
    m = _TLS_VERSION.search(text)
    if m:
        version = m.group(1).replace("_", ".").replace(" ", "")
        version = re.sub(r"(?i)^tls\.?v?", "TLS", version)
        if version.upper() in ("TLS13", "TLS12"):
            version = f"TLS{version[3]}.{version[4]}"
    c = _CIPHER.search(text)
    cipher = c.group(1) if c else ""
    p = protocol.lower()
    if p in _TLS_PROTOCOLS or version or cipher:
        return True, version, cipher
    if re.search(r"\(Google Transport Security\)|\bTLS: ", text):
        return True, version, cipher
    if p in _PLAIN_PROTOCOLS:
        return False, "", ""
    return None, "", ""


def parse_date(text: str) -> _dt.datetime | None:
    t = re.sub(r"\([^)]*\)", " ", text).strip()
    t = re.sub(r"\s+", " ", t)
    if not t:
        return None
    try:
        parsed = email.utils.parsedate_tz(t)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = None
    if parsed is None:
        m = re.search(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.\d+)?\s*(Z|[+-]\d\d:?\d\d)?", t)
        if not m:
            return None
        try:
            tz = m.group(7) or "Z"
            offset = 0 if tz == "Z" else (1 if tz[0] == "+" else -1) * (int(tz[1:3]) * 60 + int(tz[-2:]))
            y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
            return _dt.datetime(y, mo, d, h, mi, se, tzinfo=_dt.UTC) - _dt.timedelta(minutes=offset)
        except (ValueError, OverflowError):
            return None
    try:
        year = parsed[0]
        if year < 100:  # RFC 5322 §4.3 obsolete two-digit years
            year += 2000 if year < 50 else 1900
        naive = _dt.datetime(year, parsed[1], parsed[2], parsed[3], parsed[4], parsed[5])
        offset = parsed[9] or 0
        return (naive - _dt.timedelta(seconds=offset)).replace(tzinfo=_dt.UTC)
    except (ValueError, OverflowError, TypeError):
        return None


def parse_received(value: str, position: int = 0) -> Hop:
    """One Received field value (unfolded) as a `Hop`; never raises."""
    hop = Hop(position=position, raw=value)
    text = value.strip()
    head, semi, date = text.rpartition(";")
    if not semi:
        head, date = text, ""
        m = _BARE_DATE.search(text)
        if m:  # "... id X Sat, 29 Nov 2014 00:32:10 +0100": a date without the ";" RFC 5322 asks for
            head, date = text[: m.start()], text[m.start() :]
    hop.date_text = date.strip()
    hop.timestamp = parse_date(date) if date else None
    try:
        clauses = _clauses(_tokenize(head[:8192]))
    except Exception:  # pragma: no cover - the tokenizer is total; this keeps the promise if it is not
        clauses = {}
    fw, fc = clauses.get("from", ([], []))
    _parse_from(fw, fc, hop)
    bw, bc = clauses.get("by", ([], []))
    if bw:
        hop.by = bw[0].strip("[]").rstrip(";")
    if bc:
        hop.software = bc[0][:120]
    ww, wc = clauses.get("with", ([], []))
    if ww:
        hop.protocol = ww[0].rstrip(";")
        if hop.protocol.lower() == "microsoft" and len(ww) >= 3:
            hop.protocol = " ".join(ww[:3])
    hop.tls, hop.tls_version, hop.cipher = tls_of(head, ww[0] if ww else "")
    iw, _ = clauses.get("id", ([], []))
    if iw:
        hop.id = iw[0].rstrip(";")[:120]
    xw, _ = clauses.get("for", ([], []))
    if xw:
        hop.for_addr = xw[0].strip("<>;")[:320]
    vw, _ = clauses.get("via", ([], []))
    if vw:
        hop.via = vw[0]
    for _kind, c in [t for t in _tokenize(head[:8192]) if t[0] == "c"]:
        m = re.search(r"envelope-from\s*<?([^\s<>]*)>?", c, re.I)
        if m:
            hop.envelope_from = m.group(1)
            break
    if not hop.by and not hop.from_helo and not hop.from_ip:
        # qmail's "(qmail 123 invoked from network)" and other local notes: kept, said what it is
        hop.parsed = bool(re.match(r"\(qmail \d+ invoked", text))
        hop.note = (
            "a local step (qmail invoked)"
            if hop.parsed
            else "this Received field could not be read as from/by/with clauses; shown raw"
        )
    if date and hop.timestamp is None:
        hop.note = (hop.note + "; " if hop.note else "") + f"its date could not be read: {date.strip()[:80]!r}"
    elif not date:
        hop.note = (hop.note + "; " if hop.note else "") + "it has no date"
    return hop


def parse_chain(values: list[str]) -> tuple[list[Hop], int]:
    """Received field values in header order (newest first) -> hops oldest first, and how many were not parsed.

    Only the newest `MAX_HOPS` fields are parsed (the receiver's end of the
    journey is what explains a delivery); the rest are counted.
    """
    kept = values[:MAX_HOPS]
    dropped = max(0, len(values) - MAX_HOPS)
    hops = [parse_received(v, position=i + 1) for i, v in enumerate(kept)]
    hops.reverse()
    previous: _dt.datetime | None = None
    for i, hop in enumerate(hops, 1):
        hop.index = i
        if hop.timestamp is not None:
            if previous is not None:
                hop.delay = (hop.timestamp - previous).total_seconds()
            previous = hop.timestamp
    return hops, dropped


def rows(hops: list[Hop]) -> list[dict[str, Any]]:
    return [h.to_row() for h in hops]


@dataclass
class Journey:
    """The parsed chain plus what the caps left out."""

    hops: list[Hop] = field(default_factory=list)
    dropped: int = 0
