"""DKIM message verification with dkimpy, keys fetched through our Resolver.

dkimpy does the cryptography (RSA and Ed25519) and the canonicalisation; we
never reimplement either. What dkimpy does not give is *why* a signature
failed: it returns False for a missing key, a revoked key and a bad signature
alike. So each signature is verified separately with a `dnsfunc` hook that
hands over the key we looked up ourselves, the key record is read with our own
parser, the body hash is recomputed (with dkimpy's canonicaliser) for the
evidence, and the outcome is classified into one `problem` a person can act on.

A message is untrusted input and so is every key in DNS, and dkimpy is pure
Python with a few super-linear corners. Everything it is given is bounded first:
the header section is split by our own linear parser (dkimpy's own grows a folded
field by repeated concatenation, quadratic in its lines) and capped in bytes and
fields; a DKIM-Signature header over a few kilobytes, an h= list of hundreds of
names and a b= longer than the key's modulus are refused before any arithmetic;
keys OpenSSL would refuse to use (`smtpkit.dkim.record.MAX_RSA_BITS`) never reach
dkimpy's `pow()`. Keys are looked up concurrently under a per-signature timeout,
and the whole verification under a deadline: a signature whose turn comes after
it is reported as not checked, never as failed.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dkim
from dkim.canonicalization import CanonicalizationPolicy, InvalidCanonicalizationPolicyError
from dkim.crypto import HASH_ALGORITHMS
from dkim.util import InvalidTagValueList, parse_tag_value

from smtpkit.aio import wait_owned
from smtpkit.dkim.record import MAX_RSA_BITS, DkimKeyRecord, parse_key_record
from smtpkit.dkim.selectors import looks_like_dkim, run_sync
from smtpkit.net.dns import DnsAnswer, Resolver

# Receivers must not accept RSA keys under 1024 bits (RFC 8301 §3.2).
MIN_KEY_BITS = 1024
MAX_MESSAGE_BYTES = 50 * 1024 * 1024
# RFC 6376 §6.1 lets verifiers limit the signatures they try; real mail carries one to three.
# Each one costs a key lookup and a pass over the message, so a message stuffed with
# thousands of DKIM-Signature headers must not cost thousands of both.
MAX_SIGNATURES = 10
# The header section: Postfix keeps at most 100 KB of it (header_size_limit), Exchange 256 KB.
MAX_HEADER_BYTES = 1024 * 1024
MAX_HEADER_FIELDS = 5000
MAX_HEADER_LINES = 20_000  # folded lines included; Postfix's 100 KB of headers is about 1,300 lines
# A DKIM-Signature with a 16,384-bit key's b= (2,732 base64 characters) and a long h= is under
# 6 KB. dkimpy strips b= with a regular expression that is quadratic in folding whitespace, and
# matches every h= name against every header field: both are bounded by these two caps.
MAX_SIGNATURE_HEADER_BYTES = 8192
MAX_SIGNED_HEADER_NAMES = 200
MAX_SIGNATURE_BYTES = MAX_RSA_BITS // 8  # no key we accept has a longer signature
# Addresses of a From header looked at for DMARC: a real one names one mailbox.
MAX_ADDRESS_HEADER_CHARS = 8192
MAX_ADDRESSES = 100
# Time: every key lookup of a message runs concurrently under SIGNATURE_TIMEOUT; the
# verification as a whole (parse, lookups, every signature) under DEADLINE.
DEADLINE = 30.0
SIGNATURE_TIMEOUT = 10.0

# problem -> RFC 8601 result word
_RESULT = {
    "": "pass",
    "body_hash_mismatch": "fail",
    "signature_invalid": "fail",
    "key_missing": "permerror",
    "key_revoked": "permerror",
    "key_invalid": "permerror",
    "key_too_short": "permerror",
    "malformed": "permerror",
    "expired": "permerror",
    "key_lookup_failed": "temperror",
    "timed_out": "temperror",  # not checked: the verification deadline passed first
    "unsupported": "neutral",
}


@dataclass
class SignatureResult:
    """The verdict on one DKIM-Signature header, with every tag a person needs to see."""

    index: int
    domain: str = ""
    selector: str = ""
    algorithm: str = ""
    canonicalization: str = "simple/simple"
    signed_headers: list[str] = field(default_factory=list)
    identity: str = ""
    body_length: str = ""
    timestamp: str = ""
    expiration: str = ""
    body_hash_signed: str = ""
    body_hash_computed: str = ""
    problem: str = ""
    reason: str = ""
    key_name: str = ""
    key_answer: DnsAnswer | None = None
    key_record: DkimKeyRecord | None = None
    header: str = ""
    body_bytes: int | None = None  # the canonicalised body's full length, to compare with l=

    @property
    def result(self) -> str:
        return _RESULT.get(self.problem, "permerror")

    @property
    def passed(self) -> bool:
        return self.result == "pass"

    @property
    def body_hash_ok(self) -> bool | None:
        if not self.body_hash_signed or not self.body_hash_computed:
            return None
        return self.body_hash_signed == self.body_hash_computed

    def to_row(self) -> dict[str, Any]:
        return {
            "#": self.index,
            "d=": self.domain,
            "s=": self.selector,
            "a=": self.algorithm,
            "c=": self.canonicalization,
            "h=": ":".join(self.signed_headers),
            "key bits": self.key_record.key_bits if self.key_record else None,
            "body hash": {True: "matches", False: "DIFFERS", None: "n/a"}[self.body_hash_ok],
            "result": self.result,
            "reason": self.reason,
        }


@dataclass
class VerifyResult:
    """Every signature of one message, plus the identities DMARC aligns against."""

    signatures: list[SignatureResult] = field(default_factory=list)
    from_domain: str = ""
    from_header: str = ""
    return_path_domain: str = ""
    message_problem: str = ""
    spf_result: str = ""  # what the receiving system recorded, if the saved message says
    spf_source: str = ""
    from_domains: list[str] = field(default_factory=list)  # every domain of every From address
    from_count: int = 0  # From header fields (RFC 5322 allows exactly one)
    from_truncated: bool = False  # the From fields name more than MAX_ADDRESSES addresses: not all looked at
    unverified: int = 0  # DKIM-Signature headers beyond MAX_SIGNATURES, not looked at
    deadline: float = DEADLINE  # seconds the verification was allowed

    @property
    def passed(self) -> list[SignatureResult]:
        return [s for s in self.signatures if s.passed]

    def rows(self) -> list[dict[str, Any]]:
        return [s.to_row() for s in self.signatures]


class _Collect(logging.Handler):
    """Keeps dkimpy's log lines for one verification: they carry the key error's wording."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _unfold(value: bytes) -> bytes:
    return re.sub(rb"\r?\n[ \t]", b" ", value).strip()


# -- the message ------------------------------------------------------------------------------

_BLANK_LINE = re.compile(rb"\A\r?\n|\r?\n\r?\n")
_FIELD_NAME = re.compile(rb"([\x21-\x7e]+?):")  # dkimpy's rfc822_parse, so both read the same fields
_NEWLINE = re.compile(rb"\r?\n")


class _Unreadable(ValueError):
    """The message cannot be split into header fields and a body; the text says why."""


def split_message(raw: bytes) -> tuple[list[list[bytes]], bytes]:
    """(header fields as dkimpy's [name, value] pairs, body with CRLF line ends), in linear time.

    The same result as dkimpy's `rfc822_parse`, whose folded-line handling is
    quadratic (a field folded over 200,000 lines costs it seconds, over a million
    minutes) and which fails with an IndexError on a message that starts with a
    folded line. The header section is capped in bytes and fields.
    """
    m = _BLANK_LINE.search(raw)
    head, rest = (raw[: m.start()], raw[m.end() :]) if m else (raw, b"")
    if len(head) > MAX_HEADER_BYTES:
        raise _Unreadable(
            f"its header section is {len(head):,} bytes, over the {MAX_HEADER_BYTES:,} bytes we read "
            "(mail servers keep at most a few hundred kilobytes of headers)"
        )
    lines = _NEWLINE.split(head) if head else []
    if len(lines) > MAX_HEADER_LINES:
        raise _Unreadable(f"its header section has {len(lines):,} lines, over the {MAX_HEADER_LINES:,} we read")
    fields: list[list[bytes]] = []
    parts: list[bytes] = []
    for line in lines:
        if not line:
            continue  # only the last line can be empty here: the blank line ended the section
        if line[0] in (0x09, 0x20):
            if not fields:
                raise _Unreadable("it starts with a folded (indented) line, so it has no header fields")
            parts.append(line + b"\r\n")
            continue
        if fields:
            fields[-1][1] = b"".join(parts)
        fm = _FIELD_NAME.match(line)
        if fm is not None:
            if len(fields) >= MAX_HEADER_FIELDS:
                raise _Unreadable(f"it has more than {MAX_HEADER_FIELDS:,} header fields")
            fields.append([fm.group(1), b""])
            parts = [line[fm.end() :] + b"\r\n"]
        elif line.startswith(b"From "):
            parts = [fields[-1][1]] if fields else []  # an mbox separator: skipped, as dkimpy does
        else:
            raise _Unreadable(f"a header line has no field name: {_text(line[:80])!r}")
    if fields:
        fields[-1][1] = b"".join(parts)
    return fields, _NEWLINE.sub(b"\r\n", rest)


def _header_values(headers: list[list[bytes]], name: bytes) -> list[str]:
    return [_text(_unfold(v)) for k, v in headers if k.lower() == name]


_ADDRESS_DOMAIN = re.compile(r"@([^\s@<>()\[\],;:\"\\]+)")


def _addresses(header: str) -> list[str]:
    """The addr-specs of an address header, by the standard library's parser.

    Its parser recurses for nested comments and groups (``From: ((((…`` or
    ``a:a:a:…`` raise RecursionError), so for text it cannot read, every
    ``@domain`` in it counts: for DMARC a domain named anywhere must not be missed.
    """
    try:
        return [addr for _, addr in email.utils.getaddresses([header])]
    except RecursionError:
        return [f"x@{d}" for d in _ADDRESS_DOMAIN.findall(header)]


def _domain_of(address_header: str) -> str:
    domains, _ = _domains_of(address_header)
    return domains[0] if domains else ""


def _domains_of(address_header: str, limit: int = MAX_ADDRESSES) -> tuple[list[str], bool]:
    """Every distinct domain in an address header, in order, and whether some addresses were not looked at.

    "a@x.test <b@y.test>" names two. At most `limit` addresses and the first
    MAX_ADDRESS_HEADER_CHARS characters are looked at (a From header with 100,000
    addresses cost two minutes when this de-duplicated on a list); the flag
    tells the caller that more were there.
    """
    truncated = len(address_header) > MAX_ADDRESS_HEADER_CHARS
    seen: dict[str, None] = {}  # an ordered set
    looked = 0
    for addr in _addresses(address_header[:MAX_ADDRESS_HEADER_CHARS]):
        if "@" not in addr:
            continue
        if looked >= limit:
            truncated = True
            break
        looked += 1
        domain = addr.rsplit("@", 1)[1].strip().rstrip(".>").lower()
        if domain:
            seen.setdefault(domain)
    return list(seen), truncated


_SPF_WORDS = r"(pass|fail|softfail|neutral|none|temperror|permerror)"


def _reported_spf(headers: list[list[bytes]], out: VerifyResult) -> None:
    """The SPF verdict the final receiver wrote into the message (topmost header wins).

    A saved message cannot be SPF-checked again (the connecting IP is gone), but
    the receiving server recorded its verdict in Authentication-Results (RFC 8601)
    or Received-SPF (RFC 7208 §9.1); the topmost one was added last, by the
    receiver the person is looking at.
    """
    for value in _header_values(headers, b"authentication-results"):
        m = re.search(r"\bspf=" + _SPF_WORDS + r"\b", value, re.I)
        if m:
            out.spf_result = m.group(1).lower()
            out.spf_source = f"Authentication-Results from {value.split(';', 1)[0].strip()}"
            mf = re.search(r"smtp\.mailfrom=([^\s;]+)", value, re.I)
            if mf and not out.return_path_domain:
                out.return_path_domain = _domain_of(mf.group(1)) or mf.group(1).strip().lower()
            return
    for value in _header_values(headers, b"received-spf"):
        m = re.match(r"\s*" + _SPF_WORDS + r"\b", value, re.I)
        if m:
            out.spf_result = m.group(1).lower()
            out.spf_source = "Received-SPF"
            return


def _from_identities(headers: list[list[bytes]], out: VerifyResult) -> None:
    """The From domain DMARC judges, and every domain any From field names.

    DMARC must not be fooled by a second From header or a second address in one:
    every domain they name is kept (up to MAX_ADDRESSES addresses in all), and the
    DMARC step refuses to call such a message a pass.
    """
    froms = _header_values(headers, b"from")
    out.from_count = len(froms)
    first_from = froms[0] if froms else ""
    # shown in reports and evidence: one line's worth (RFC 5322 §2.1.1: 998 characters)
    out.from_header = first_from if len(first_from) <= 998 else first_from[:998] + "…"
    seen: dict[str, None] = {}
    budget = MAX_ADDRESSES
    for value in froms:
        if budget <= 0:
            out.from_truncated = True
            break
        domains, truncated = _domains_of(value, budget)
        out.from_truncated = out.from_truncated or truncated
        budget -= max(1, len(domains))
        for d in domains:
            seen.setdefault(d)
    out.from_domains = list(seen)
    first, _ = _domains_of(first_from, 1)
    out.from_domain = first[0] if first else ""


# -- keys -------------------------------------------------------------------------------------


def _lookup_keys(names: list[str], resolver: Resolver, limit: float) -> dict[str, DnsAnswer]:
    """Every key name looked up concurrently; what has no answer within `limit` seconds is a timeout."""
    if not names:
        return {}

    async def run() -> dict[str, DnsAnswer]:
        tasks = {n: asyncio.ensure_future(resolver.aresolve(n, "TXT")) for n in names}
        done, pending = await wait_owned(tasks.values(), timeout=max(0.0, limit))
        for t in pending:
            t.cancel()
        out: dict[str, DnsAnswer] = {}
        for name, task in tasks.items():
            if task in done and not task.cancelled() and task.exception() is None:
                out[name] = task.result()
            else:
                out[name] = DnsAnswer(
                    name=name,
                    rdtype="TXT",
                    status="timeout",
                    error=f"not answered within {max(0.0, limit):.1f}s (the time verification allows per key)",
                )
        return out

    return run_sync(run())


def _key_text(ans: DnsAnswer) -> str | None:
    keyish = [t for t in ans.texts if looks_like_dkim(t)] or ans.texts
    return keyish[0] if keyish else None


class _BodyHashes:
    """Body hashes per (c=, a=, l=), each canonical body made once per message.

    Canonicalising a 50 MB body takes a second or two: however many signatures
    share a canonicalisation, it is done once.
    """

    def __init__(self, body: bytes) -> None:
        self.body = body
        self._canonical: dict[bytes, bytes] = {}
        self._hashes: dict[tuple[bytes, bytes, bytes | None], tuple[str, int | None]] = {}

    def of(self, tags: dict[bytes, bytes]) -> tuple[str, int | None]:
        """(the body hash as the signature's c=, a= and l= define it, the full canonical body length)."""
        try:
            policy = CanonicalizationPolicy.from_c_value(tags.get(b"c", b"simple/simple"))
            hasher = HASH_ALGORITHMS[tags[b"a"]]
        except (InvalidCanonicalizationPolicyError, KeyError):
            return "", None
        key = (policy.body_algorithm.name, tags[b"a"], tags.get(b"l"))
        if key not in self._hashes:
            if key[0] not in self._canonical:
                self._canonical[key[0]] = policy.canonicalize_body(self.body)
            body = self._canonical[key[0]]
            full = len(body)
            digest = ""
            try:
                if b"l" in tags:
                    body = body[: int(tags[b"l"])]
                digest = base64.b64encode(hasher(body).digest()).decode("ascii")
            except ValueError:
                pass
            self._hashes[key] = (digest, full)
        return self._hashes[key]


def _key_problem(answer: DnsAnswer | None, record: DkimKeyRecord | None, name: str) -> tuple[str, str]:
    """Why the key could not be used, from what our lookup and parser saw."""
    if answer is None:
        return "", ""
    if answer.failed:
        return (
            "key_lookup_failed",
            f"the key lookup of {name} failed ({answer.status}{': ' + answer.error if answer.error else ''})",
        )
    if answer.void or record is None:
        via = f" (through CNAME {' -> '.join(answer.cnames)})" if answer.cnames else ""
        return "key_missing", f"no DKIM key at {name}{via}: the lookup returned {answer.status.upper()}"
    if record.problem("revoked"):
        return "key_revoked", f"the key at {name} is revoked (empty p=)"
    invalid = record.problem("invalid")
    if invalid is not None:
        return "key_invalid", f"the key at {name} is unusable: {invalid.message}"
    if record.problem("too_short"):
        return "key_too_short", f"the key at {name} is only {record.key_bits} bits"
    return "", ""


# -- for dkimpy's other verifiers (ARC) ----------------------------------------------------------

_SIGNATURE_FIELDS = (b"dkim-signature", b"arc-seal", b"arc-message-signature")


def dkimpy_input_problem(raw: bytes) -> str:
    """Why `raw` must not be handed to dkimpy's own parser and verifiers (ARC), or "".

    The caps `verify_message` applies before dkimpy sees anything: the header
    section (bytes, lines, fields; dkimpy's parser is quadratic in folded
    lines), and every signature field (a DKIM-Signature, ARC-Seal or
    ARC-Message-Signature over MAX_SIGNATURE_HEADER_BYTES, or an h= of more than
    MAX_SIGNED_HEADER_NAMES names). Together with `key_dnsfunc` they bound what
    dkimpy's pure-Python RSA and regular expressions can cost.
    """
    if len(raw) > MAX_MESSAGE_BYTES:
        return f"the message is {len(raw):,} bytes, over the {MAX_MESSAGE_BYTES:,} bytes we verify"
    try:
        headers, _ = split_message(raw)
    except _Unreadable as exc:
        return f"the message cannot be verified: {exc}"
    for name, value in headers:
        if name.lower() not in _SIGNATURE_FIELDS:
            continue
        label = _text(name)
        if len(value) > MAX_SIGNATURE_HEADER_BYTES:
            return f"an {label} field is {len(value):,} bytes, over the {MAX_SIGNATURE_HEADER_BYTES:,} we read"
        try:
            names = parse_tag_value(_unfold(value)).get(b"h", b"").count(b":") + 1
        except InvalidTagValueList:
            continue  # dkimpy refuses it by itself, quickly
        if names > MAX_SIGNED_HEADER_NAMES:
            return f"an {label} field signs {names:,} header names, over the {MAX_SIGNED_HEADER_NAMES} we read"
    return ""


def key_dnsfunc(resolver: Resolver, deadline: float | None = None) -> Callable[..., bytes | None]:
    """A dkimpy `dnsfunc`: keys looked up through `resolver`, and only keys our parser accepts handed over.

    For dkimpy's verifiers the kit does not drive itself (`dkim.arc_verify`):
    a key OpenSSL would refuse (`smtpkit.dkim.record.MAX_RSA_BITS`, an exponent
    over 64 bits, an unknown algorithm) raises dkimpy's KeyFormatError before its
    pure-Python `pow()` sees it. After `deadline` seconds every further lookup
    fails as a timeout, so a chain of slow keys cannot outlast it.
    """
    until = None if deadline is None else time.monotonic() + deadline

    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes | None:
        if until is not None and time.monotonic() >= until:
            raise dkim.DnsTimeoutError(f"the {deadline:g} s allowed for verification have passed")
        ans = resolver.resolve(_text(name).rstrip("."), "TXT")
        if ans.failed:
            raise dkim.DnsTimeoutError(f"{ans.status}: {ans.error}")
        text = _key_text(ans) if ans.ok else None
        if text is None:
            return None
        invalid = parse_key_record(text).problem("invalid")
        if invalid is not None:
            raise dkim.KeyFormatError(invalid.message)
        return text.encode("utf-8", errors="replace")

    return dnsfunc


# -- verification -----------------------------------------------------------------------------


def verify_message(
    message: bytes | str,
    resolver: Resolver,
    *,
    minkey: int = MIN_KEY_BITS,
    deadline: float = DEADLINE,
    signature_timeout: float = SIGNATURE_TIMEOUT,
) -> VerifyResult:
    """Verify every DKIM-Signature of `message`; never raises for bad input.

    Keys are looked up with `resolver` only (dkimpy's own DNS code is never
    used), so verification works against the lab's DNS server and never leaks
    a query to a public resolver. The key lookups share `signature_timeout`
    seconds; signatures whose turn comes after `deadline` seconds are
    reported as not checked (problem ``timed_out``).
    """
    started = time.monotonic()
    until = started + deadline
    raw = message.encode("utf-8", errors="surrogateescape") if isinstance(message, str) else bytes(message)
    out = VerifyResult(deadline=deadline)
    if len(raw) > MAX_MESSAGE_BYTES:
        out.message_problem = f"the message is {len(raw)} bytes, over the {MAX_MESSAGE_BYTES}-byte limit we verify"
        return out
    if not raw.strip():
        out.message_problem = "the message is empty"
        return out
    try:
        headers, body = split_message(raw)
    except _Unreadable as exc:
        out.message_problem = f"this is not an e-mail message we can read (RFC 5322 headers: {exc})"
        return out
    _from_identities(headers, out)
    rps = _header_values(headers, b"return-path")
    out.return_path_domain = _domain_of(rps[0]) if rps else ""
    _reported_spf(headers, out)

    sig_headers = [v for k, v in headers if k.lower() == b"dkim-signature"]
    out.unverified = max(0, len(sig_headers) - MAX_SIGNATURES)
    pending = [_prepare(idx, value) for idx, value in enumerate(sig_headers[:MAX_SIGNATURES])]
    names = list(dict.fromkeys(p.res.key_name.lower() for p in pending if p.tags is not None and p.res.key_name))
    answers = _lookup_keys(names, resolver, min(signature_timeout, until - time.monotonic()))
    body_hashes = _BodyHashes(body)
    for p in pending:
        if p.tags is not None:
            ans = answers.get(p.res.key_name.lower()) if p.res.key_name else None
            if time.monotonic() < until:
                _verify_one(headers, p, ans, minkey, body_hashes)
            elif ans is not None and ans.failed:
                p.res.key_answer = ans
                p.res.problem, p.res.reason = _key_problem(ans, None, p.res.key_name)
            else:
                p.res.problem = "timed_out"
                p.res.reason = (
                    f"not checked: verifying this message took longer than the {deadline:g} s allowed "
                    f"before signature {p.res.index} was reached"
                )
        out.signatures.append(p.res)
    return out


@dataclass
class _Pending:
    res: SignatureResult
    tags: dict[bytes, bytes] | None  # None: refused before any lookup (res.problem says why)


def _prepare(idx: int, value: bytes) -> _Pending:
    """Read one DKIM-Signature's tags; refuse at once what no verifier should spend time on."""
    res = SignatureResult(index=idx, header=_text(_unfold(value[:MAX_SIGNATURE_HEADER_BYTES])))
    if len(value) > MAX_SIGNATURE_HEADER_BYTES:
        res.problem, res.reason = (
            "malformed",
            f"the DKIM-Signature header is {len(value):,} bytes; real ones are under 6 KB even with the longest "
            f"key (we read up to {MAX_SIGNATURE_HEADER_BYTES:,})",
        )
        return _Pending(res, None)
    try:
        tags = parse_tag_value(_unfold(value))
    except InvalidTagValueList as exc:
        res.problem, res.reason = "malformed", f"the DKIM-Signature is not a valid tag=value list ({_text(str(exc))})"
        return _Pending(res, None)
    res.domain = _text(tags.get(b"d")).lower()
    res.selector = _text(tags.get(b"s"))
    res.algorithm = _text(tags.get(b"a"))
    res.canonicalization = _text(tags.get(b"c", b"simple/simple"))
    res.signed_headers = [h.strip().lower() for h in _text(tags.get(b"h")).split(":") if h.strip()]
    res.identity = _text(tags.get(b"i"))
    res.body_length = _text(tags.get(b"l"))
    res.timestamp = _text(tags.get(b"t"))
    res.expiration = _text(tags.get(b"x"))
    res.body_hash_signed = re.sub(r"\s+", "", _text(tags.get(b"bh")))
    if res.domain and res.selector:
        res.key_name = f"{res.selector}._domainkey.{res.domain}"
    if len(res.signed_headers) > MAX_SIGNED_HEADER_NAMES:
        res.problem, res.reason = (
            "malformed",
            f"h= lists {len(res.signed_headers):,} header names; signers list a few dozen (we read up to "
            f"{MAX_SIGNED_HEADER_NAMES})",
        )
        return _Pending(res, None)
    length = _signature_length(tags)
    if length is not None and length > MAX_SIGNATURE_BYTES:
        res.problem, res.reason = (
            "malformed",
            f"b= is {length:,} bytes, longer than a signature by the largest key receivers accept "
            f"({MAX_RSA_BITS} bits, {MAX_SIGNATURE_BYTES} bytes)",
        )
        return _Pending(res, None)
    return _Pending(res, tags)


def _signature_length(tags: dict[bytes, bytes]) -> int | None:
    """Bytes of b= once decoded, as dkimpy decodes it; None when it is not base64 (dkimpy says so)."""
    try:
        return len(base64.b64decode(re.sub(rb"\s+", b"", tags.get(b"b", b""))))
    except (binascii.Error, ValueError):
        return None


def _signature_too_long(tags: dict[bytes, bytes], record: DkimKeyRecord | None, name: str) -> str:
    """Why b= cannot be a signature by this key (RFC 8017 §8.2.2: the length must be the modulus'), or ''."""
    if record is None or record.key_bits is None:
        return ""
    length = _signature_length(tags)
    size = 64 if record.key_type == "ed25519" else (record.key_bits + 7) // 8
    if length is None or length <= size:
        return ""
    what = "an Ed25519 signature" if record.key_type == "ed25519" else f"the modulus of the {record.key_bits}-bit key"
    return f"b= is {length:,} bytes, longer than {what} at {name} ({size} bytes): it cannot be a signature by that key"


def _verify_one(
    headers: list[list[bytes]], pending: _Pending, ans: DnsAnswer | None, minkey: int, body_hashes: _BodyHashes
) -> None:
    res, tags = pending.res, pending.tags
    assert tags is not None
    res.key_answer = ans
    key_text = _key_text(ans) if ans is not None and ans.ok else None
    if key_text is not None and looks_like_dkim(key_text):
        res.key_record = parse_key_record(key_text)

    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes | None:
        """The key we looked up and read ourselves: dkimpy never sees a key our parser refused."""
        if ans is None or _text(name).rstrip(".").lower() != res.key_name.lower():
            return None
        if ans.failed:
            raise dkim.DnsTimeoutError(f"{ans.status}: {ans.error}")
        if key_text is None:
            return None
        # dkimpy does RSA in pure Python: a published "key" with a modulus and exponent of
        # 100,000 bits each makes its pow() run for hours. Only keys our own parser (with
        # OpenSSL's limits) accepts are handed over; the rest are key_invalid at once.
        invalid = parse_key_record(key_text).problem("invalid")
        if invalid is not None:
            raise dkim.KeyFormatError(invalid.message)
        return key_text.encode("utf-8", errors="replace")

    res.body_hash_computed, res.body_bytes = body_hashes.of(tags)
    too_long = _signature_too_long(tags, res.key_record, res.key_name)
    if too_long and res.key_record is not None and res.key_record.usable:
        res.problem, res.reason = "malformed", too_long
        return
    collect = _Collect()
    logger = logging.Logger("smtpkit.dkim.dkimpy")
    logger.addHandler(collect)
    # the message was split once, by split_message; dkimpy gets the parts instead of re-parsing it
    verifier = dkim.DKIM(None, logger=logger, minkey=minkey)
    verifier.headers, verifier.body = headers, body_hashes.body
    try:
        ok = verifier.verify(idx=res.index, dnsfunc=dnsfunc)
    except dkim.ValidationError as exc:
        msg = _text(str(exc))
        if "body hash mismatch" in msg:
            res.problem = "body_hash_mismatch"
            res.reason = (
                f"the body changed after signing (signed bh={res.body_hash_signed}, computed"
                f" bh={res.body_hash_computed})"
            )
        elif "x= value is past" in msg or "expired" in msg:
            res.problem, res.reason = "expired", f"the signature has expired (x={res.expiration})"
        else:
            res.problem, res.reason = "malformed", f"the signature header is invalid: {msg}"
        ok = False
    except dkim.KeyFormatError as exc:
        msg = _text(str(exc))
        ok = False
        if "too small" in msg:
            res.problem, res.reason = "key_too_short", f"the key at {res.key_name} is under {minkey} bits ({msg})"
        else:
            res.problem, res.reason = "key_invalid", f"the key at {res.key_name} is unusable ({msg})"
    except dkim.NaClNotFoundError:
        ok = False
        res.problem, res.reason = "unsupported", "Ed25519 verification needs the PyNaCl package (pip install pynacl)"
    except dkim.DKIMException as exc:
        ok = False
        res.problem, res.reason = "malformed", f"{type(exc).__name__}: {_text(str(exc))}"
    except Exception as exc:  # dkimpy on hostile input: a finding, never a traceback
        ok = False
        res.problem, res.reason = "malformed", f"the signature could not be processed ({type(exc).__name__}: {exc})"

    if ok:
        res.problem, res.reason = (
            "",
            f"verified with the {res.key_record.key_type if res.key_record else ''} key at {res.key_name}".replace(
                "  ", " "
            ),
        )
        return
    if not res.problem:
        res.problem, res.reason = _key_problem(ans, res.key_record, res.key_name)
    if not res.problem:
        if res.body_hash_ok is False:
            res.problem = "body_hash_mismatch"
            res.reason = (
                f"the body changed after signing (signed bh={res.body_hash_signed}, computed"
                f" bh={res.body_hash_computed})"
            )
        else:
            res.problem = "signature_invalid"
            res.reason = (
                "the body hash matches, but the signature over the headers does not verify with the published key"
            )
            if collect.messages:
                res.reason += f" (dkimpy: {collect.messages[-1]})"
