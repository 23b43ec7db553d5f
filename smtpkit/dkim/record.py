"""DKIM key records (RFC 6376 §3.6.1): parse the TXT at `<selector>._domainkey.<domain>`.

Pure: text in, `DkimKeyRecord` out, so every way a published key can be broken
is testable with plain strings. The record is read the way receivers read it
(tag=value list, `v=` first if present, `p=` required, empty `p=` is a
revocation), and problems are collected as `KeyProblem`s instead of raised,
because a diagnosis has to show *all* of them, each with its own fix.

The key size comes from the DER key itself (via `cryptography`), never from the
length of the base64: a truncated paste still "looks" long but is not a key.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

# RFC 8301 §3.2: verifiers MUST NOT accept RSA keys under 1024 bits; 2048 is what
# every large receiver and the M3AAWG recommend.
MIN_RSA_BITS = 1024
RECOMMENDED_RSA_BITS = 2048
# What OpenSSL refuses to *use* (OPENSSL_RSA_MAX_MODULUS_BITS, OPENSSL_RSA_MAX_PUBEXP_BITS), so no
# receiver verifies with such a key. `cryptography` loads any e < n, and dkimpy then does the RSA in
# pure Python: a 32,768-bit modulus with a 16,384-bit exponent costs it half a minute per signature.
# Refusing these keys here, where every key read goes through, bounds every later computation.
MAX_RSA_BITS = 16384
MAX_RSA_EXPONENT_BITS = 64

KNOWN_KEY_TYPES = ("rsa", "ed25519")
KNOWN_TAGS = {"v", "g", "h", "k", "n", "p", "s", "t"}
_TAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class KeyProblem:
    """One reason a key record is unusable or risky.

    `kind` is what the check maps to a finding: ``invalid`` (receivers cannot use
    the key), ``revoked`` (empty p=), ``too_short`` / ``short`` (under 1024 bits
    / exactly 1024-2047 bits), ``testing`` (t=y).
    """

    kind: str
    message: str


@dataclass
class DkimKeyRecord:
    """A parsed DKIM key record with what a receiver would conclude from it."""

    raw: str
    tags: dict[str, str] = field(default_factory=dict)
    version: str | None = None
    key_type: str = "rsa"
    public_key_b64: str | None = None
    hash_algorithms: tuple[str, ...] = ()
    service_types: tuple[str, ...] = ("*",)
    flags: tuple[str, ...] = ()
    notes: str = ""
    key_bits: int | None = None
    key_encoding: str = ""
    problems: list[KeyProblem] = field(default_factory=list)

    @property
    def revoked(self) -> bool:
        return self.public_key_b64 == ""

    @property
    def testing(self) -> bool:
        return "y" in self.flags

    @property
    def strict_subdomains(self) -> bool:
        """t=s: the i= of a signature must be exactly d=, not a subdomain of it."""
        return "s" in self.flags

    @property
    def usable(self) -> bool:
        """True when receivers can verify signatures with this key at all."""
        return not any(p.kind in ("invalid", "revoked", "too_short") for p in self.problems)

    def problem(self, kind: str) -> KeyProblem | None:
        for p in self.problems:
            if p.kind == kind:
                return p
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_type": self.key_type,
            "key_bits": self.key_bits,
            "version": self.version,
            "hash_algorithms": list(self.hash_algorithms),
            "service_types": list(self.service_types),
            "flags": list(self.flags),
            "revoked": self.revoked,
            "problems": [f"{p.kind}: {p.message}" for p in self.problems],
        }


def parse_tag_list(text: str) -> tuple[dict[str, str], list[str]]:
    """Split an RFC 6376 §3.2 tag=value list; return the tags and every syntax error.

    Whitespace around tags and values is insignificant; a trailing ';' is
    allowed; a duplicate tag makes the whole list invalid (§3.2: "Tags with
    duplicate names MUST NOT occur").
    """
    tags: dict[str, str] = {}
    errors: list[str] = []
    parts = text.strip().split(";")
    if parts and not parts[-1].strip():
        parts.pop()
    for part in parts:
        if not part.strip():
            errors.append("an empty tag between two ';'")
            continue
        if "=" not in part:
            errors.append(f"'{part.strip()}' has no '=' (every tag is name=value, separated by ';')")
            continue
        name, value = (x.strip() for x in part.split("=", 1))
        if not _TAG_NAME.match(name):
            errors.append(f"'{name}' is not a valid tag name")
            continue
        if name in tags:
            errors.append(f"tag '{name}=' appears twice")
            continue
        tags[name] = value
    return tags, errors


def _split_colon(value: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in value.split(":") if x.strip())


def key_size(key_type: str, b64: str) -> tuple[int, str]:
    """Decode `p=` and return (bits, encoding); raise ValueError with a plain reason.

    RSA keys are DER SubjectPublicKeyInfo (RFC 6376 §3.6.1) or, as some signers
    publish, a bare PKCS#1 RSAPublicKey; Ed25519 keys are the raw 32 bytes
    (RFC 8463 §4).
    """
    compact = re.sub(r"\s+", "", b64)
    try:
        der = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        bad = sorted(set(re.sub(r"[A-Za-z0-9+/=]", "", compact)))
        detail = (
            f" (it contains {''.join(bad)!r})" if bad else " (its length or padding is wrong: it was probably cut off)"
        )
        raise ValueError(f"the p= value is not valid base64{detail}") from None
    if key_type == "ed25519":
        if len(der) != 32:
            raise ValueError(f"an Ed25519 p= value must decode to 32 bytes, this one decodes to {len(der)}")
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(der)
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise ValueError(f"the p= value is not an Ed25519 public key ({exc})") from None
        return 256, "raw ed25519"
    try:
        key = load_der_public_key(der)
    except UnsupportedAlgorithm as exc:
        # an SPKI naming an algorithm OID or an elliptic curve OpenSSL does not know
        raise ValueError(
            f"the p= value holds a key of a kind DKIM does not use ({exc}); k={key_type} needs an RSA key"
        ) from None
    except (ValueError, TypeError):
        raise ValueError(
            f"the p= value is base64 but not a public key ({len(der)} bytes that do not parse as DER: "
            "the value was probably truncated or mixed with other text)"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"the p= value holds a {type(key).__name__} key, but k={key_type} says RSA")
    if key.key_size > MAX_RSA_BITS:
        raise ValueError(
            f"the RSA key is {key.key_size} bits, over the {MAX_RSA_BITS} bits OpenSSL (and so every receiver) "
            "accepts: no signature made with it can be verified"
        )
    exponent_bits = key.public_numbers().e.bit_length()
    if exponent_bits > MAX_RSA_EXPONENT_BITS:
        raise ValueError(
            f"the RSA public exponent is {exponent_bits} bits, over the {MAX_RSA_EXPONENT_BITS} bits receivers "
            "accept (real keys use 65537, 17 bits): a key generator never makes such a key"
        )
    encoding = (
        "SubjectPublicKeyInfo"
        if der[:1] == b"\x30" and b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" in der[:32]
        else "PKCS#1"
    )
    return key.key_size, encoding


def parse_key_record(text: str) -> DkimKeyRecord:
    """Read a DKIM key record as a receiver would; never raises."""
    rec = DkimKeyRecord(raw=text)
    tags, errors = parse_tag_list(text)
    rec.tags = tags
    for e in errors:
        rec.problems.append(KeyProblem("invalid", f"syntax: {e}"))

    if "v" in tags:
        rec.version = tags["v"]
        if tags["v"] != "DKIM1":
            rec.problems.append(KeyProblem("invalid", f"v={tags['v']} (it must be exactly v=DKIM1, or be left out)"))
        elif not text.strip().startswith("v"):
            rec.problems.append(
                KeyProblem("invalid", "v=DKIM1 is present but not the first tag (RFC 6376 §3.6.1 requires it first)")
            )

    rec.key_type = tags.get("k", "rsa").lower() or "rsa"
    if rec.key_type not in KNOWN_KEY_TYPES:
        rec.problems.append(
            KeyProblem("invalid", f"k={tags.get('k')} is not a key type receivers know (use k=rsa or k=ed25519)")
        )

    if "h" in tags:
        rec.hash_algorithms = _split_colon(tags["h"].lower())
        if rec.hash_algorithms and "sha256" not in rec.hash_algorithms:
            rec.problems.append(
                KeyProblem(
                    "invalid",
                    f"h={tags['h']} allows only {', '.join(rec.hash_algorithms)}; receivers require sha256 (RFC 8301)",
                )
            )
    if "s" in tags:
        rec.service_types = _split_colon(tags["s"].lower()) or ("*",)
        if not {"*", "email"} & set(rec.service_types):
            rec.problems.append(KeyProblem("invalid", f"s={tags['s']} excludes email (use s=email or leave s= out)"))
    if "t" in tags:
        rec.flags = _split_colon(tags["t"].lower())
    rec.notes = tags.get("n", "")

    if "p" not in tags:
        rec.problems.append(KeyProblem("invalid", "there is no p= tag, so there is no public key"))
        return rec
    rec.public_key_b64 = re.sub(r"\s+", "", tags["p"])
    if rec.revoked:
        rec.problems.append(KeyProblem("revoked", "p= is empty, which RFC 6376 §3.6.1 defines as a revoked key"))
        return rec
    if rec.key_type not in KNOWN_KEY_TYPES:
        return rec
    try:
        rec.key_bits, rec.key_encoding = key_size(rec.key_type, rec.public_key_b64)
    except ValueError as exc:
        rec.problems.append(KeyProblem("invalid", str(exc)))
        return rec
    if rec.key_type == "rsa":
        if rec.key_bits < MIN_RSA_BITS:
            rec.problems.append(
                KeyProblem(
                    "too_short", f"the RSA key is {rec.key_bits} bits; receivers ignore keys under {MIN_RSA_BITS} bits"
                )
            )
        elif rec.key_bits < RECOMMENDED_RSA_BITS:
            rec.problems.append(
                KeyProblem(
                    "short", f"the RSA key is {rec.key_bits} bits; {RECOMMENDED_RSA_BITS} bits is the recommended size"
                )
            )
    if rec.testing:
        rec.problems.append(KeyProblem("testing", "t=y marks the domain as testing DKIM"))
    return rec


def record_text(tags: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    """Rebuild a record from tags, v= first and p= last, leaving out `drop` (for paste-able fixes)."""
    order = ["v", "k", "h", "s", "t", "n", "g"]
    items = [(k, tags[k]) for k in order if k in tags and k not in drop]
    items += [(k, v) for k, v in tags.items() if k not in order and k != "p" and k not in drop]
    if "p" in tags and "p" not in drop:
        items.append(("p", tags["p"]))
    return "; ".join(f"{k}={v}" for k, v in items)


def without_flag(tags: dict[str, str], flag: str) -> dict[str, str]:
    """The same tags with one t= flag removed (t= dropped entirely when it becomes empty)."""
    out = dict(tags)
    if "t" in out:
        flags = [f for f in _split_colon(out["t"]) if f.lower() != flag]
        if flags:
            out["t"] = ":".join(flags)
        else:
            del out["t"]
    return out
