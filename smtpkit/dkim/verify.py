"""DKIM message verification with dkimpy, keys fetched through our Resolver.

dkimpy does the cryptography (RSA and Ed25519) and the canonicalisation; we
never reimplement either. What dkimpy does not give is *why* a signature
failed: it returns False for a missing key, a revoked key and a bad signature
alike. So each signature is verified separately with a `dnsfunc` hook that
records the key lookup, the key record is read with our own parser, the body
hash is recomputed (with dkimpy's canonicaliser) for the evidence, and the
outcome is classified into one `problem` a person can act on.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import dkim
from dkim.canonicalization import CanonicalizationPolicy, InvalidCanonicalizationPolicyError
from dkim.crypto import HASH_ALGORITHMS
from dkim.util import InvalidTagValueList, parse_tag_value

from smtpkit.dkim.record import DkimKeyRecord, parse_key_record
from smtpkit.dkim.selectors import looks_like_dkim
from smtpkit.net.dns import DnsAnswer, Resolver

# Receivers must not accept RSA keys under 1024 bits (RFC 8301 §3.2).
MIN_KEY_BITS = 1024
MAX_MESSAGE_BYTES = 50 * 1024 * 1024
# RFC 6376 §6.1 lets verifiers limit the signatures they try; real mail carries one to three.
# Each one costs a key lookup and a fresh parse of the message, so a message stuffed with
# thousands of DKIM-Signature headers must not cost thousands of both.
MAX_SIGNATURES = 10

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
    unverified: int = 0  # DKIM-Signature headers beyond MAX_SIGNATURES, not looked at

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


def _domain_of(address_header: str) -> str:
    domains = _domains_of(address_header)
    return domains[0] if domains else ""


def _domains_of(address_header: str) -> list[str]:
    """Every distinct domain in an address header, in order ("a@x.test <b@y.test>" names two)."""
    out: list[str] = []
    for _, addr in email.utils.getaddresses([address_header]):
        if "@" in addr:
            domain = addr.rsplit("@", 1)[1].strip().rstrip(".>").lower()
            if domain and domain not in out:
                out.append(domain)
    return out


def _header_values(headers: list[list[bytes]], name: bytes) -> list[str]:
    return [_text(_unfold(v)) for k, v in headers if k.lower() == name]


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


def _computed_body_hash(d: dkim.DKIM, tags: dict[bytes, bytes]) -> tuple[str, int | None]:
    """(the body hash as the signature's c=, a= and l= define it, the full canonical body length)."""
    try:
        policy = CanonicalizationPolicy.from_c_value(tags.get(b"c", b"simple/simple"))
        hasher = HASH_ALGORITHMS[tags[b"a"]]
    except (InvalidCanonicalizationPolicyError, KeyError):
        return "", None
    body = policy.canonicalize_body(d.body)
    full = len(body)
    if b"l" in tags:
        try:
            body = body[: int(tags[b"l"])]
        except ValueError:
            return "", full
    return base64.b64encode(hasher(body).digest()).decode("ascii"), full


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
    if record.problem("invalid"):
        return "key_invalid", f"the key at {name} is unusable: {record.problem('invalid').message}"  # type: ignore[union-attr]
    if record.problem("too_short"):
        return "key_too_short", f"the key at {name} is only {record.key_bits} bits"
    return "", ""


def verify_message(message: bytes | str, resolver: Resolver, *, minkey: int = MIN_KEY_BITS) -> VerifyResult:
    """Verify every DKIM-Signature of `message`; never raises for bad input.

    Keys are looked up with `resolver` only (dkimpy's own DNS code is never
    used), so verification works against the lab's DNS server and never leaks
    a query to a public resolver.
    """
    raw = message.encode("utf-8", errors="surrogateescape") if isinstance(message, str) else bytes(message)
    out = VerifyResult()
    if len(raw) > MAX_MESSAGE_BYTES:
        out.message_problem = f"the message is {len(raw)} bytes, over the {MAX_MESSAGE_BYTES}-byte limit we verify"
        return out
    if not raw.strip():
        out.message_problem = "the message is empty"
        return out
    try:
        probe = dkim.DKIM(raw)
    except dkim.DKIMException as exc:
        out.message_problem = f"this is not an e-mail message (RFC 5322 headers could not be read: {exc})"
        return out
    headers = probe.headers
    froms = _header_values(headers, b"from")
    out.from_header = froms[0] if froms else ""
    out.from_domain = _domain_of(out.from_header)
    # DMARC must not be fooled by a second From header or a second address in one:
    # every domain they name is kept, and the DMARC step refuses to call such a message a pass.
    out.from_count = len(froms)
    for value in froms:
        out.from_domains += [d for d in _domains_of(value) if d not in out.from_domains]
    rps = _header_values(headers, b"return-path")
    out.return_path_domain = _domain_of(rps[0]) if rps else ""
    _reported_spf(headers, out)
    sig_headers = [v for k, v in headers if k.lower() == b"dkim-signature"]
    out.unverified = max(0, len(sig_headers) - MAX_SIGNATURES)
    for idx, value in enumerate(sig_headers[:MAX_SIGNATURES]):
        out.signatures.append(_verify_one(raw, idx, value, resolver, minkey))
    return out


def _verify_one(raw: bytes, idx: int, value: bytes, resolver: Resolver, minkey: int) -> SignatureResult:
    res = SignatureResult(index=idx, header=_text(_unfold(value)))
    try:
        tags = parse_tag_value(_unfold(value))
    except InvalidTagValueList as exc:
        res.problem, res.reason = "malformed", f"the DKIM-Signature is not a valid tag=value list ({_text(str(exc))})"
        return res
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

    answers: dict[str, DnsAnswer] = {}

    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes | None:
        qname = _text(name).rstrip(".")
        ans = resolver.resolve(qname, "TXT")
        answers[qname.lower()] = ans
        if ans.failed:
            raise dkim.DnsTimeoutError(f"{ans.status}: {ans.error}")
        if not ans.ok:
            return None
        keyish = [t for t in ans.texts if looks_like_dkim(t)] or ans.texts
        if not keyish:
            return None
        # dkimpy does RSA in pure Python: a published "key" with a modulus and exponent of
        # 100,000 bits each makes its pow() run for hours. Only keys our own parser (OpenSSL,
        # with its sanity limits) accepts are handed over; the rest are key_invalid at once.
        invalid = parse_key_record(keyish[0]).problem("invalid")
        if invalid is not None:
            raise dkim.KeyFormatError(invalid.message)
        return keyish[0].encode("utf-8", errors="replace")

    collect = _Collect()
    logger = logging.Logger("smtpkit.dkim.dkimpy")
    logger.addHandler(collect)
    verifier = dkim.DKIM(raw, logger=logger, minkey=minkey)
    res.body_hash_computed, res.body_bytes = _computed_body_hash(verifier, tags)
    try:
        ok = verifier.verify(idx=idx, dnsfunc=dnsfunc)
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

    ans = answers.get(res.key_name.lower()) if res.key_name else None
    res.key_answer = ans
    if ans is not None and ans.ok:
        keyish = [t for t in ans.texts if looks_like_dkim(t)]
        res.key_record = parse_key_record(keyish[0]) if keyish else None
    if ok:
        res.problem, res.reason = (
            "",
            f"verified with the {res.key_record.key_type if res.key_record else ''} key at {res.key_name}".replace(
                "  ", " "
            ),
        )
        return res
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
    return res
