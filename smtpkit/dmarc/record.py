"""DMARC policy records: parse, validate, repair and read them back in plain words.

Pure functions over strings. A DMARC record is short but people get it wrong
in a handful of recurring ways (commas instead of semicolons, `rua=` without
`mailto:`, `adkim=relaxed`, `p=rejected`), and receivers silently discard or
half-read such records. So besides parsing exactly as RFC 7489 / RFC 9989
say, this module builds the *corrected* record, which is what a fix shows.

RFC 9989 (DMARCbis, 2026) changes we reflect: `np` (non-existent subdomains),
`psd` (public suffix domains) and `t` (test mode) are new; `pct`, `rf` and `ri`
are removed (still read, because most receivers still honour them, but noted);
unknown tags are ignored rather than fatal.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = ("v", "p", "sp", "np", "adkim", "aspf", "pct", "rua", "ruf", "fo", "rf", "ri", "psd", "t")
REMOVED_IN_9989 = {
    "pct": "use t=y for a trial instead",
    "rf": "failure reports are always ARF",
    "ri": "reports are daily",
}
NEW_IN_9989 = {"np", "psd", "t"}
DEFAULTS: dict[str, str] = {
    "p": "none",
    "sp": "(same as p)",
    "np": "(same as sp)",
    "adkim": "r",
    "aspf": "r",
    "pct": "100",
    "rua": "(none)",
    "ruf": "(none)",
    "fo": "0",
    "rf": "afrf",
    "ri": "86400",
    "psd": "u",
    "t": "n",
}
_WORD_FIXES = {
    "relaxed": "r",
    "relax": "r",
    "strict": "s",
    "yes": "y",
    "no": "n",
    "true": "y",
    "false": "n",
    "quarentine": "quarantine",
    "quaratine": "quarantine",
    "rejected": "reject",
    "reject;": "reject",
    "nothing": "none",
    "monitor": "none",
}
_POLICY_WORDS = {
    "none": "take no action on failing mail (deliver it normally, only report it)",
    "quarantine": "send failing mail to spam",
    "reject": "refuse failing mail (it bounces during the SMTP conversation)",
}
_TAG_START = re.compile(r"(?:^|(?<=[;,\s]))(" + "|".join(sorted(KNOWN_TAGS, key=len, reverse=True)) + r")\s*[=:]", re.I)


@dataclass(frozen=True)
class DmarcProblem:
    """One defect. `kind`: ``syntax`` (receivers discard the record), ``invalid_value``
    (receivers ignore the tag or the policy), ``unknown_tag`` (ignored, likely a typo)."""

    kind: str
    tag: str
    message: str


@dataclass(frozen=True)
class ReportUri:
    uri: str
    scheme: str
    address: str
    domain: str
    size_limit: str = ""


@dataclass(frozen=True)
class TagReading:
    """One row of the plain-language reading: a tag, its value or default, and what it means."""

    tag: str
    value: str
    default: str
    meaning: str
    note: str = ""
    explicit: bool = True

    def to_row(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "value": self.value if self.explicit else f"(default) {self.default}",
            "default": self.default,
            "meaning": self.meaning,
            "note": self.note,
        }


@dataclass
class DmarcRecord:
    """A DMARC record as receivers read it, plus what a person needs to repair it."""

    raw: str
    tags: dict[str, str] = field(default_factory=dict)
    problems: list[DmarcProblem] = field(default_factory=list)
    repaired: dict[str, str] = field(default_factory=dict)

    # -- effective values (defaults applied, invalid values replaced the way receivers do) --
    @property
    def valid(self) -> bool:
        """False when receivers discard the whole record (no DMARC policy at all)."""
        return not any(p.kind == "syntax" for p in self.problems)

    def _policy(self, tag: str) -> str | None:
        v = self.tags.get(tag, "").strip().lower()
        return v if v in POLICIES else None

    @property
    def policy(self) -> str:
        return self._policy("p") or "none"

    @property
    def subdomain_policy(self) -> str:
        return self._policy("sp") or self.policy

    @property
    def nonexistent_policy(self) -> str:
        return self._policy("np") or self.subdomain_policy

    def policy_for(self, kind: str) -> tuple[str, str]:
        """(the tag that decides, the policy) for mail From the record's own `domain`, a `subdomain` that
        inherits this record, or a `nonexistent` subdomain (RFC 9989 §4.7: np=, then sp=, then p=).

        The tag is the one actually set, so "sp" only when sp= is in the record: a fix then edits that tag.
        """
        order = {"domain": ("p",), "subdomain": ("sp", "p"), "nonexistent": ("np", "sp", "p")}[kind]
        for tag in order:
            value = self._policy(tag)
            if value is not None:
                return tag, value
        return "p", "none"

    @property
    def adkim(self) -> str:
        v = self.tags.get("adkim", "r").strip().lower()
        return v if v in ("r", "s") else "r"

    @property
    def aspf(self) -> str:
        v = self.tags.get("aspf", "r").strip().lower()
        return v if v in ("r", "s") else "r"

    @property
    def pct(self) -> int:
        try:
            text = self.tags.get("pct", "100").strip()
            # int() also reads "٥٠", "5_0" and " 50": what the tag check refuses must not count here
            v = int(text) if re.fullmatch(r"[0-9]{1,3}", text) else 100
        except ValueError:
            return 100
        return v if 0 <= v <= 100 else 100

    @property
    def testing(self) -> bool:
        return self.tags.get("t", "n").strip().lower() == "y"

    @property
    def rua(self) -> list[ReportUri]:
        return parse_uris(self.tags.get("rua", ""))[0]

    @property
    def ruf(self) -> list[ReportUri]:
        return parse_uris(self.tags.get("ruf", ""))[0]

    def problems_of(self, kind: str) -> list[DmarcProblem]:
        return [p for p in self.problems if p.kind == kind]

    # -- paste-able records ---------------------------------------------------------------
    def corrected(self, **changes: str | None) -> str:
        """The repaired record with `changes` applied (a value of None drops the tag)."""
        tags = dict(self.repaired)
        tags["v"] = "DMARC1"
        for k, v in changes.items():
            if v is None:
                tags.pop(k, None)
            else:
                tags[k] = v
        if "p" not in tags:
            tags["p"] = "none"
        order = ["v", "p"] + [k for k in tags if k not in ("v", "p")]
        return "; ".join(f"{k}={tags[k]}" for k in order)

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.raw,
            "valid": self.valid,
            "policy": self.policy,
            "subdomain_policy": self.subdomain_policy,
            "nonexistent_policy": self.nonexistent_policy,
            "adkim": self.adkim,
            "aspf": self.aspf,
            "pct": self.pct,
            "testing": self.testing,
            "rua": [u.uri for u in self.rua],
            "ruf": [u.uri for u in self.ruf],
            "problems": [f"{p.kind} {p.tag}: {p.message}" for p in self.problems],
        }


def is_dmarc_candidate(text: str) -> bool:
    """Does this TXT *try* to be a DMARC record? (Receivers keep only exact v=DMARC1 starts.)"""
    t = text.strip().lower().replace(" ", "")
    return t.startswith("v=dmarc") or "dmarc1" in t or bool(re.match(r"^p=(none|quarantine|reject)", t))


def starts_like_dmarc(text: str) -> bool:
    """RFC 9989 §4.10.1: records not starting with the v=DMARC1 tag are discarded."""
    return bool(re.match(r"^\s*v\s*=\s*DMARC1\s*(;|$)", text))


def parse_uris(value: str) -> tuple[list[ReportUri], list[str]]:
    """Split rua=/ruf= into URIs; return the valid ones and a message for each bad one."""
    good: list[ReportUri] = []
    bad: list[str] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        uri, _, size = part.partition("!")
        if size and not re.fullmatch(r"\d+[kmgt]?", size.strip(), re.I | re.ASCII):
            bad.append(f"'{part}': the size limit after '!' must be a number with an optional k, m, g or t")
            continue
        m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", uri.strip())
        if not m:
            bad.append(
                f"'{part}' is not a URI (reports need mailto:{part})" if "@" in part else f"'{part}' is not a URI"
            )
            continue
        scheme, rest = m.group(1).lower(), m.group(2)
        address = rest.split("?", 1)[0]
        domain = ""
        if scheme == "mailto":
            if not re.fullmatch(r"[^@\s;,]+@[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?\.?", address):
                bad.append(f"'{part}' is not a mail address")
                continue
            domain = address.rsplit("@", 1)[1].strip().rstrip(".").lower()
        good.append(ReportUri(uri=uri.strip(), scheme=scheme, address=address, domain=domain, size_limit=size.strip()))
    return good, bad


def _split_tags(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Strict RFC split on ';' into (name, value) pairs, with syntax errors."""
    pairs: list[tuple[str, str]] = []
    errors: list[str] = []
    parts = text.strip().split(";")
    if parts and not parts[-1].strip():
        parts.pop()
    for part in parts:
        if not part.strip():
            continue  # ";;" is tolerated by every receiver we know
        if "=" not in part:
            errors.append(f"'{part.strip()}' is not a tag=value pair")
            continue
        name, value = (x.strip() for x in part.split("=", 1))
        pairs.append((name.lower(), value))
    return pairs, errors


def _lenient_split(text: str) -> list[tuple[str, str]]:
    """Find known tags wherever they start, whatever separates them: the basis of the repair.

    Turns "v=DMARC1, p=reject rua=x@y" into [(v, DMARC1), (p, reject), (rua, x@y)].
    """
    starts = list(_TAG_START.finditer(text))
    out: list[tuple[str, str]] = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        value = text[m.end() : end].split(";", 1)[0].strip().strip(",").strip()
        out.append((m.group(1).lower(), value))
    return out


def _suggest(value: str, choices: tuple[str, ...]) -> str | None:
    v = value.strip().lower().strip("\"'")
    if v in choices:
        return v
    if v in _WORD_FIXES and _WORD_FIXES[v] in choices:
        return _WORD_FIXES[v]
    close = difflib.get_close_matches(v, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _check_value(tag: str, value: str) -> tuple[str | None, str]:
    """Validate one tag; return (repaired value or None to drop, problem message or '')."""
    v = value.strip()
    low = v.lower()
    if tag in ("p", "sp", "np"):
        if low in POLICIES:
            return low, ""
        sug = _suggest(v, POLICIES)
        return sug or "none", f"{tag}={v} is not a policy; the values are none, quarantine and reject."
    if tag in ("adkim", "aspf"):
        if low in ("r", "s"):
            return low, ""
        sug = _suggest(v, ("r", "s"))
        return sug or "r", f"{tag}={v} is not an alignment mode; the values are r (relaxed) and s (strict)."
    if tag == "pct":
        if re.fullmatch(r"[0-9]{1,3}", v) and 0 <= int(v) <= 100:
            return str(int(v)), ""
        digits = re.sub(r"[^0-9]", "", v)[:6]  # ASCII only, and short: int() refuses 4300+ digits
        fixed = str(min(100, int(digits))) if digits else "100"
        return fixed, f"pct={v} is not a whole number from 0 to 100."
    if tag in ("rua", "ruf"):
        good, bad = parse_uris(v)
        if not bad:
            return v, ""
        repaired = [u.uri + (f"!{u.size_limit}" if u.size_limit else "") for u in good]
        for part in (p.strip() for p in v.split(",")):
            if part and ":" not in part.split("!")[0] and "@" in part:
                repaired.append("mailto:" + part)
        return (",".join(repaired) or None), f"{tag}={v}: " + "; ".join(bad) + "."
    if tag == "fo":
        opts = [o.strip() for o in v.split(":")]
        bad = [o for o in opts if o.lower() not in ("0", "1", "d", "s")]
        if not bad and opts:
            return ":".join(o.lower() for o in opts), ""
        keep = [o.lower() for o in opts if o.lower() in ("0", "1", "d", "s")]
        return ":".join(keep) or "1", f"fo={v}: the options are 0, 1, d and s separated by ':'."
    if tag == "rf":
        if all(x.strip().lower() in ("afrf", "iodef") for x in v.split(":")) and v:
            return low, ""
        return "afrf", f"rf={v}: the only report format is afrf."
    if tag == "ri":
        if re.fullmatch(r"\d{1,10}", v, re.ASCII) and int(v) < 2**32:
            return v, ""
        return "86400", f"ri={v} is not a number of seconds."
    if tag == "psd":
        if low in ("y", "n", "u"):
            return low, ""
        return (_suggest(v, ("y", "n", "u")) or "u"), f"psd={v}: the values are y, n and u."
    if tag == "t":
        if low in ("y", "n"):
            return low, ""
        return (_suggest(v, ("y", "n")) or "n"), f"t={v}: the values are y and n."
    return v, ""


def parse_record(text: str) -> DmarcRecord:
    """Read a DMARC record as receivers do; never raises. See `DmarcRecord.problems`."""
    rec = DmarcRecord(raw=text)
    pairs, errors = _split_tags(text)
    if not pairs or pairs[0][0] != "v" or pairs[0][1] != "DMARC1":
        first = f"{pairs[0][0]}={pairs[0][1]}" if pairs else text.strip()[:40]
        if pairs and pairs[0][0] == "v" and "=" in pairs[0][1]:
            msg = f"the tags are not separated by semicolons (the first tag reads v={pairs[0][1]})"
        elif pairs and pairs[0][0] == "v" and pairs[0][1].upper() == "DMARC1":
            msg = f"the version must be written exactly v=DMARC1, not {first}"
        elif any(n == "v" for n, _ in pairs):
            msg = f"v=DMARC1 must be the very first tag, but the record starts with {first}"
        else:
            msg = "there is no v=DMARC1 tag at the start"
        rec.problems.append(DmarcProblem("syntax", "v", msg))
    for e in errors:
        rec.problems.append(DmarcProblem("syntax", "", e + " (tags are written tag=value and separated by ';')"))

    seen: dict[str, str] = {}
    for name, value in pairs:
        if name in seen:
            rec.problems.append(DmarcProblem("syntax", name, f"the tag {name}= appears twice"))
            continue
        seen[name] = value
    rec.tags = seen

    # The repair works from a lenient split so that "v=DMARC1, p=reject" still yields its tags.
    source = _lenient_split(text) if not rec.valid else list(seen.items())
    repaired: dict[str, str] = {}
    for name, value in source:
        if name in repaired:
            continue
        if name not in KNOWN_TAGS:
            close = difflib.get_close_matches(name, KNOWN_TAGS, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]}=?" if close else ""
            rec.problems.append(
                DmarcProblem("unknown_tag", name, f"{name}= is not a DMARC tag, so receivers ignore it.{hint}")
            )
            if close and close[0] not in seen and close[0] not in repaired:
                fixed, _ = _check_value(close[0], value)
                if fixed is not None:
                    repaired[close[0]] = fixed
            continue
        if name == "v":
            repaired["v"] = "DMARC1"
            continue
        fixed, problem = _check_value(name, value)
        if problem and rec.valid:
            rec.problems.append(DmarcProblem("invalid_value", name, problem))
        if fixed is not None:
            repaired[name] = fixed
    if rec.valid and "p" not in seen:
        rua_ok = bool(parse_uris(seen.get("rua", ""))[0])
        rec.problems.append(
            DmarcProblem(
                "invalid_value",
                "p",
                "The record has no p= tag. "
                + (
                    "Receivers then act as if p=none."
                    if rua_ok
                    else "Without p= or a valid rua=, receivers may ignore the record."
                ),
            )
        )
    rec.repaired = repaired
    return rec


# -- the plain-language reading --------------------------------------------------------------


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _policy_meaning(policy: str) -> str:
    return _POLICY_WORDS.get(policy, f"unknown policy {policy!r}")


def read_tags(rec: DmarcRecord) -> list[TagReading]:
    """Every tag, set or not, with its value, default and meaning: the table a notebook shows."""
    t = rec.tags
    out: list[TagReading] = []

    def add(tag: str, meaning: str, note: str = "") -> None:
        if tag in REMOVED_IN_9989:
            note = (
                note + " " if note else ""
            ) + f"Removed in RFC 9989 ({REMOVED_IN_9989[tag]}); older receivers still honour it."
        if tag in NEW_IN_9989:
            note = (note + " " if note else "") + "New in RFC 9989; receivers that predate it ignore it."
        explicit = tag in t
        out.append(TagReading(tag, t.get(tag, ""), DEFAULTS.get(tag, ""), meaning, note.strip(), explicit))

    add("v", "this is a DMARC record, version 1")
    add("p", f"for mail that fails DMARC: {_policy_meaning(rec.policy)}")
    add("sp", f"for subdomains ({'set here' if 'sp' in t else 'same as p'}): {_policy_meaning(rec.subdomain_policy)}")
    add("np", f"for subdomains that do not exist: {_policy_meaning(rec.nonexistent_policy)}")
    add(
        "adkim",
        (
            "DKIM alignment is strict: the signature's d= must equal the From domain exactly"
            if rec.adkim == "s"
            else (
                "DKIM alignment is relaxed: the signature's d= may be any domain of the same organization as the From"
                " domain"
            )
        ),
    )
    add(
        "aspf",
        (
            "SPF alignment is strict: the MAIL FROM (Return-Path) domain must equal the From domain exactly"
            if rec.aspf == "s"
            else (
                "SPF alignment is relaxed: the MAIL FROM (Return-Path) domain may be any domain of the same"
                " organization"
            )
        ),
    )
    add(
        "pct",
        f"apply to {rec.pct}% of messages"
        + ("" if rec.pct == 100 else f" (the other {100 - rec.pct}% get the next weaker policy)"),
    )
    rua = rec.rua
    add(
        "rua",
        f"send aggregate reports to {_join([u.address for u in rua])}" if rua else "no aggregate reports are requested",
        "Daily XML summaries of who sent mail as your domain and whether it passed.",
    )
    ruf = rec.ruf
    add(
        "ruf",
        (
            f"send failure reports (copies of failing messages) to {_join([u.address for u in ruf])}"
            if ruf
            else "no failure reports are requested"
        ),
        "Few receivers send failure reports any more, for privacy reasons.",
    )
    fo_words = {
        "0": "when every mechanism fails (SPF and DKIM both unaligned or failing)",
        "1": "when any mechanism fails",
        "d": "when a DKIM signature fails",
        "s": "when SPF fails",
    }
    fo = t.get("fo", "0").strip().lower() if "fo" in t else "0"
    add(
        "fo",
        "send failure reports " + " or ".join(fo_words.get(o, o) for o in fo.split(":")),
        "Only matters with ruf=.",
    )
    add("rf", "failure reports in the Abuse Reporting Format (ARF)")
    ri = t.get("ri", "86400")
    hours = f"{int(ri) / 3600:g} hours" if ri.isascii() and ri.isdigit() and len(ri) <= 12 else ri
    add("ri", f"ask for aggregate reports every {hours} (most receivers send them daily regardless)")
    psd_words = {
        "y": "this domain is a public suffix (like a TLD) publishing policy for its registrants",
        "n": "this domain is an organizational domain, not a public suffix",
        "u": "not stated whether this domain is a public suffix (the normal case)",
    }
    add("psd", psd_words.get(t.get("psd", "u").strip().lower(), "unknown value"))
    add(
        "t",
        (
            "test mode: apply the policy one step weaker (reject acts as quarantine, quarantine as none)"
            if rec.testing
            else "not in test mode: apply the policy as written"
        ),
    )
    return out


def reading(rec: DmarcRecord) -> str:
    """The record in one paragraph: what happens to failing mail, where reports go, how much."""
    if not rec.valid:
        why = "; ".join(p.message for p in rec.problems_of("syntax"))
        fixed = parse_record(rec.corrected())
        return f"Receivers discard this record ({why}), so no DMARC policy applies. Corrected, it would read: " + (
            reading(fixed) if fixed.valid else "(no usable tags)"
        )
    parts = [f"For mail that fails DMARC: {_policy_meaning(rec.policy)}."]
    if rec.subdomain_policy != rec.policy:
        parts.append(f"For subdomains: {_policy_meaning(rec.subdomain_policy)}.")
    rua = rec.rua
    parts.append(
        f"Send aggregate reports to {_join([u.address for u in rua])}."
        if rua
        else "No aggregate reports are requested."
    )
    if rec.ruf:
        parts.append(f"Send failure reports to {_join([u.address for u in rec.ruf])}.")
    parts.append(f"Apply to {rec.pct}% of messages.")
    if rec.testing:
        parts.append("Test mode (t=y): the policy is applied one step weaker.")
    if rec.adkim == "s" or rec.aspf == "s":
        which = [n for n, m in (("DKIM", rec.adkim), ("SPF", rec.aspf)) if m == "s"]
        parts.append(f"Strict alignment for {' and '.join(which)}.")
    return " ".join(parts)
