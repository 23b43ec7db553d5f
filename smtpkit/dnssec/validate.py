"""DNSSEC validation by the kit itself: from a trust anchor, down DS -> DNSKEY -> RRSIG, naming every link.

Why validate here instead of trusting a resolver's AD bit: the resolver a
person uses (their ISP's, a cloud's, 127.0.0.53) may not validate at all, and
when validation fails a validating resolver answers SERVFAIL and says nothing
about *why*. DANE is only as good as that verdict, so we walk the chain
ourselves, with dnspython's `dns.dnssec` doing the cryptography, and keep
each link as a sentence: the anchor matched a key, the parent signed the DS,
a DNSKEY matched the DS, the key signed the answer. Where the chain breaks,
the failing link is the finding.

Zone cuts are never guessed: the signer name in each RRSIG says which zone
signed, the signer of a DS names the parent, and the SOA in a negative
answer names the zone that is speaking. An unsigned answer is "insecure"
only when a secure parent proves (NSEC, NSEC3, or NSEC3 opt-out) that the
zone below it has no DS; a signed parent that cannot prove it makes the
answer "bogus". Denial of existence for the queried name itself is not
validated: a missing TLSA record is reported as missing (see the DANE check).

States: ``secure``, ``insecure``, ``bogus``, ``indeterminate`` (a link could
not be fetched: could not check).
"""

from __future__ import annotations

import base64
import datetime as _dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dns.dnssec
import dns.exception
import dns.name
import dns.rdatatype
import dns.rrset

from smtpkit.dnssec.anchors import TrustAnchors
from smtpkit.net.dnssec import Signed

SECURE = "secure"
INSECURE = "insecure"
BOGUS = "bogus"
INDETERMINATE = "indeterminate"
_MAX_DEPTH = 16
_DIGESTS = {1: "SHA-1", 2: "SHA-256", 4: "SHA-384"}

Lookup = Callable[[str, str], Signed]


@dataclass(frozen=True)
class Link:
    """One link of a chain of trust, in words; `ok` False marks where the chain broke."""

    kind: str  # "trust anchor", "DNSKEY", "DS", "no DS", "RRSIG", "lookup", "AD bit"
    zone: str
    detail: str
    ok: bool = True

    def row(self) -> dict[str, str]:
        return {"link": self.kind, "zone": self.zone, "result": "ok" if self.ok else "FAILED", "detail": self.detail}


@dataclass
class Verdict:
    """The DNSSEC state of a zone's keys or of one answer, and the chain that led there."""

    state: str
    links: list[Link] = field(default_factory=list)
    keys: dns.rrset.RRset | None = None
    reason: str = ""

    @property
    def failed(self) -> Link | None:
        return next((link for link in self.links if not link.ok), None)


@dataclass
class Validation:
    """An answer and its DNSSEC verdict. `found` is False for NXDOMAIN/NODATA (whose denial is not validated)."""

    name: str
    rdtype: str
    status: str
    state: str = INDETERMINATE
    found: bool = False
    rrset: dns.rrset.RRset | None = None
    links: list[Link] = field(default_factory=list)
    reason: str = ""
    signer: str = ""

    @property
    def failed(self) -> Link | None:
        return next((link for link in self.links if not link.ok), None)

    @property
    def records(self) -> list[Any]:
        return list(self.rrset) if self.rrset is not None else []


def _tag(key: Any) -> int:
    return int(dns.dnssec.key_id(key))


def _tags(keys: Any) -> str:
    return ", ".join(str(_tag(k)) for k in keys) if keys else "none"


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True) or "."


def _when(ts: int) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class Validator:
    """Validate answers from `anchors` down; zone key verdicts are cached (thread-safe) for the validator's life."""

    def __init__(self, lookup: Lookup, anchors: TrustAnchors, *, now: float | None = None) -> None:
        self.lookup = lookup
        self.anchors = anchors
        self.now = now
        self._lock = threading.Lock()
        self._zones: dict[dns.name.Name, Verdict] = {}
        self._making: dict[dns.name.Name, threading.Lock] = {}

    # -- one answer ---------------------------------------------------------------------
    def validate(self, name: str, rdtype: str) -> Validation:
        """Fetch `name` `rdtype` with its signatures and decide whether to believe it."""
        ans = self.lookup(name, rdtype)
        out = Validation(name.rstrip("."), rdtype, ans.status)
        if ans.failed:
            out.links.append(
                Link("lookup", out.name, f"{rdtype} {out.name}: {ans.status.upper()} {ans.error}".strip(), False)
            )
            out.reason = f"the {rdtype} lookup of {out.name} failed ({ans.status})"
            return out
        if ans.rrset is None:
            out.state = ""  # nothing to believe or not: the answer was "no such record" (denial not validated)
            return out
        out.found, out.rrset = True, ans.rrset
        qname = ans.rrset.name
        if ans.rrsigs is None:
            zone = self._zone_of(qname)
            if zone is None:
                out.links.append(Link("lookup", out.name, f"no zone could be found above {out.name}", False))
                out.reason = f"the zone of {out.name} could not be determined"
                return out
            keys = self.zone_keys(zone)
            out.links = list(keys.links)
            if keys.state == SECURE:
                out.state = BOGUS
                out.reason = f"{out.name} {rdtype} came without a signature although {_text(zone)} is signed"
                out.links.append(Link("RRSIG", _text(zone), out.reason, False))
            else:
                out.state, out.reason = keys.state, keys.reason
            return out
        signer = dns.name.Name(ans.rrsigs[0].signer.labels)
        out.signer = _text(signer)
        if not qname.is_subdomain(signer):
            out.state = BOGUS
            out.reason = f"{out.name} is signed by {out.signer}, which is not a zone above it"
            out.links.append(Link("RRSIG", out.signer, out.reason, False))
            return out
        keys = self.zone_keys(signer)
        out.links = list(keys.links)
        if keys.state != SECURE or keys.keys is None:
            out.state, out.reason = keys.state, keys.reason
            return out
        used = ", ".join(f"{_tag_of_sig(s)}" for s in ans.rrsigs)
        problem = self._verify(ans.rrset, ans.rrsigs, signer, keys.keys)
        if problem:
            out.state = BOGUS
            out.reason = (
                f"the signature over {out.name} {rdtype} by {out.signer} (key {used}) does not verify: {problem}"
            )
            out.links.append(Link("RRSIG", out.signer, out.reason, False))
            return out
        until = min(int(s.expiration) for s in ans.rrsigs)
        out.links.append(
            Link(
                "RRSIG", out.signer, f"{out.name} {rdtype} is signed by {out.signer} key {used} (until {_when(until)})"
            )
        )
        out.state = SECURE
        return out

    # -- zone keys ------------------------------------------------------------------------
    def zone_keys(self, zone: dns.name.Name, depth: int = 0) -> Verdict:
        """The verdict on `zone`'s DNSKEY RRset: secure (with the keys), insecure, bogus or indeterminate."""
        with self._lock:
            making = self._making.setdefault(zone, threading.Lock())
        with making:
            if zone not in self._zones:
                self._zones[zone] = self._zone_keys(zone, depth)
            return self._zones[zone]

    def _zone_keys(self, zone: dns.name.Name, depth: int) -> Verdict:
        z = _text(zone)
        if depth > _MAX_DEPTH:
            return Verdict(INDETERMINATE, [Link("DS", z, "the chain of zones is too deep", False)], reason="too deep")
        anchor = self.anchors.get(zone)
        if anchor is not None:
            return self._anchored(zone, anchor)
        if self.anchors.covering(zone) is None:
            reason = f"no trust anchor covers {z} (anchors: {', '.join(_text(a) for a in self.anchors.zones)})"
            return Verdict(INDETERMINATE, [Link("trust anchor", z, reason, False)], reason=reason)
        ds = self.lookup(z, "DS")
        if ds.failed:
            reason = f"the DS lookup of {z} failed ({ds.status.upper()} {ds.error})".strip()
            return Verdict(INDETERMINATE, [Link("lookup", z, reason, False)], reason=reason)
        if ds.rrset is None:
            return self._no_ds(zone, ds, depth)
        if ds.rrsigs is None:
            reason = f"the DS records of {z} arrived without a signature"
            return Verdict(BOGUS, [Link("DS", z, reason, False)], reason=reason)
        parent = dns.name.Name(ds.rrsigs[0].signer.labels)
        if parent == zone or not zone.is_subdomain(parent):
            reason = f"the DS of {z} is signed by {_text(parent)}, which is not its parent"
            return Verdict(BOGUS, [Link("DS", z, reason, False)], reason=reason)
        up = self.zone_keys(parent, depth + 1)
        if up.state != SECURE or up.keys is None:
            return Verdict(up.state, list(up.links), reason=up.reason)
        links = list(up.links)
        problem = self._verify(ds.rrset, ds.rrsigs, parent, up.keys)
        if problem:
            reason = f"the DS of {z} in {_text(parent)} does not verify: {problem}"
            return Verdict(BOGUS, [*links, Link("DS", z, reason, False)], reason=reason)
        ds_tags = ", ".join(f"{d.key_tag} ({_DIGESTS.get(d.digest_type, d.digest_type)})" for d in ds.rrset)
        links.append(Link("DS", z, f"{_text(parent)} vouches for the keys of {z}: DS {ds_tags}"))
        return self._keys_from_ds(zone, list(ds.rrset), links, f"its DS in {_text(parent)}")

    def _anchored(self, zone: dns.name.Name, anchor: tuple[tuple[Any, ...], tuple[Any, ...]]) -> Verdict:
        ds_list, key_list = anchor
        z = _text(zone)
        src = self.anchors.source
        tags = [f"DS {d.key_tag}" for d in ds_list] + [f"DNSKEY {dns.dnssec.key_id(k)}" for k in key_list]
        links = [Link("trust anchor", z, f"{', '.join(tags)} from {src}")]
        if key_list and not ds_list:
            verdict = self._keys_from_keys(zone, list(key_list), links)
        else:
            verdict = self._keys_from_ds(zone, list(ds_list), links, "the trust anchor", anchor=True)
        return verdict

    def _fetch_keys(self, zone: dns.name.Name, links: list[Link]) -> tuple[Signed | None, Verdict | None]:
        z = _text(zone)
        dk = self.lookup(z, "DNSKEY")
        if dk.failed:
            reason = f"the DNSKEY lookup of {z} failed ({dk.status.upper()} {dk.error})".strip()
            return None, Verdict(INDETERMINATE, [*links, Link("lookup", z, reason, False)], reason=reason)
        if dk.rrset is None:
            reason = f"{z} publishes no DNSKEY, although its parent says it is signed"
            return None, Verdict(BOGUS, [*links, Link("DNSKEY", z, reason, False)], reason=reason)
        return dk, None

    def _keys_from_ds(
        self, zone: dns.name.Name, ds_list: list[Any], links: list[Link], what: str, *, anchor: bool = False
    ) -> Verdict:
        z = _text(zone)
        dk, problem = self._fetch_keys(zone, links)
        if problem is not None or dk is None or dk.rrset is None:
            assert problem is not None
            return problem
        matching = [k for k in dk.rrset if any(_matches(zone, k, d) for d in ds_list)]
        if not matching:
            kind = "trust anchor" if anchor else "DNSKEY"
            reason = (
                f"no DNSKEY of {z} (keys {_tags(dk.rrset)}) matches {what} (DS "
                f"{', '.join(str(d.key_tag) for d in ds_list)})"
                + (
                    ": the anchor is out of date, or the zone rolled its key"
                    if anchor
                    else ": a key rollover was not finished, or the DS was not updated"
                )
            )
            return Verdict(BOGUS, [*links, Link(kind, z, reason, False)], reason=reason)
        return self._self_signed(zone, dk, matching, links, f"DNSKEY {_tags(matching)} matches {what}")

    def _keys_from_keys(self, zone: dns.name.Name, anchored: list[Any], links: list[Link]) -> Verdict:
        dk, problem = self._fetch_keys(zone, links)
        if problem is not None or dk is None or dk.rrset is None:
            assert problem is not None
            return problem
        matching = [k for k in dk.rrset if any(k == a for a in anchored)]
        if not matching:
            reason = f"no DNSKEY of {_text(zone)} (keys {_tags(dk.rrset)}) is an anchored key ({_tags(anchored)})"
            return Verdict(BOGUS, [*links, Link("trust anchor", _text(zone), reason, False)], reason=reason)
        return self._self_signed(zone, dk, matching, links, f"DNSKEY {_tags(matching)} is the anchored key")

    def _self_signed(self, zone: dns.name.Name, dk: Signed, trusted: list[Any], links: list[Link], how: str) -> Verdict:
        z = _text(zone)
        assert dk.rrset is not None
        if dk.rrsigs is None:
            reason = f"the DNSKEY records of {z} are not signed"
            return Verdict(BOGUS, [*links, Link("DNSKEY", z, reason, False)], reason=reason)
        only = dns.rrset.RRset(zone, dk.rrset.rdclass, dns.rdatatype.DNSKEY)
        for key in trusted:
            only.add(key)
        problem = self._verify(dk.rrset, dk.rrsigs, zone, only)
        if problem:
            reason = f"the DNSKEY records of {z} are not validly signed by key {_tags(trusted)}: {problem}"
            return Verdict(BOGUS, [*links, Link("DNSKEY", z, reason, False)], reason=reason)
        links = [*links, Link("DNSKEY", z, f"{how}, and signs the zone's keys ({_tags(dk.rrset)})")]
        return Verdict(SECURE, links, keys=dk.rrset)

    # -- insecure delegations ---------------------------------------------------------------
    def _no_ds(self, zone: dns.name.Name, ds: Signed, depth: int) -> Verdict:
        z = _text(zone)
        soa = ds.proofs(dns.rdatatype.SOA)
        nsec = ds.proofs(dns.rdatatype.NSEC)
        nsec3 = ds.proofs(dns.rdatatype.NSEC3)
        signer: dns.name.Name | None = None
        for _rrset, sigs in [*nsec, *nsec3, *soa]:
            if sigs is not None:
                signer = dns.name.Name(sigs[0].signer.labels)
                break
        if signer is None and soa:
            signer = soa[0][0].name
        if signer is None or signer == zone or not zone.is_subdomain(signer):
            reason = f"the answer saying {z} has no DS does not name the parent zone that gives it"
            return Verdict(INDETERMINATE, [Link("DS", z, reason, False)], reason=reason)
        up = self.zone_keys(signer, depth + 1)
        if up.state != SECURE or up.keys is None:
            return Verdict(up.state, list(up.links), reason=up.reason)
        links = list(up.links)
        parent = _text(signer)
        proof = self._denial(zone, signer, up.keys, nsec, nsec3)
        if proof is None:
            reason = (
                f"{parent} is signed and says {z} has no DS, but gives no valid NSEC/NSEC3 proof of it: "
                "a signed parent must prove a delegation is unsigned"
            )
            return Verdict(BOGUS, [*links, Link("no DS", z, reason, False)], reason=reason)
        reason = f"{z} is not signed: {parent} proves it has no DS ({proof})"
        return Verdict(INSECURE, [*links, Link("no DS", z, reason)], reason=reason)

    def _denial(
        self,
        zone: dns.name.Name,
        parent: dns.name.Name,
        keys: dns.rrset.RRset,
        nsec: list[tuple[dns.rrset.RRset, dns.rrset.RRset | None]],
        nsec3: list[tuple[dns.rrset.RRset, dns.rrset.RRset | None]],
    ) -> str | None:
        """How a verified NSEC/NSEC3 RRset proves `zone` has no DS, or None."""

        def verified(rrset: dns.rrset.RRset, sigs: dns.rrset.RRset | None) -> bool:
            return sigs is not None and self._verify(rrset, sigs, parent, keys) is None

        for rrset, sigs in nsec:
            if rrset.name == zone and verified(rrset, sigs):
                types = _bitmap(rrset[0])
                if dns.rdatatype.DS not in types and dns.rdatatype.SOA not in types:
                    return "NSEC at the delegation without DS"
        for rrset, sigs in nsec3:
            rd = rrset[0]
            salt = rd.salt.hex() if rd.salt else None
            digest = dns.dnssec.nsec3_hash(zone, salt, rd.iterations, rd.algorithm)
            owner = rrset.name.labels[0].decode("ascii").upper()
            if not verified(rrset, sigs):
                continue
            nxt = base64.b32encode(rd.next).decode("ascii").translate(_B32HEX).rstrip("=")
            if owner == digest and dns.rdatatype.DS not in _bitmap(rd):
                return "NSEC3 at the delegation without DS"
            if rd.flags & 1 and _covers(owner, nxt, digest):
                return "NSEC3 opt-out span covering the delegation"
        return None

    # -- helpers ---------------------------------------------------------------------------
    def _verify(
        self, rrset: dns.rrset.RRset, sigs: dns.rrset.RRset, zone: dns.name.Name, keys: dns.rrset.RRset
    ) -> str | None:
        """None when one signature of `sigs` over `rrset` verifies with `keys`; else why none does, in words."""
        reasons = []
        for sig in sigs:
            try:
                dns.dnssec.validate_rrsig(rrset, sig, {zone: keys}, now=self.now)
                return None
            except dns.exception.UnsupportedAlgorithm as exc:
                reasons.append(f"algorithm {sig.algorithm} is not supported here ({exc})")
            except dns.exception.ValidationFailure as exc:
                reasons.append(_failure(exc, sig))
        return "; ".join(dict.fromkeys(reasons)) or "there is no signature"

    def _zone_of(self, name: dns.name.Name) -> dns.name.Name | None:
        """The apex of the zone holding `name`, from the SOA of an SOA query's answer or authority section."""
        soa = self.lookup(_text(name), "SOA")
        if soa.rrset is not None:
            return soa.rrset.name
        for rrset, _sigs in soa.proofs(dns.rdatatype.SOA):
            return rrset.name
        return None


_B32HEX = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV")


def _covers(owner: str, nxt: str, digest: str) -> bool:
    """Does the NSEC3 span owner..next (hashed, possibly wrapping around) cover `digest`?"""
    if owner < nxt:
        return owner < digest < nxt
    return digest > owner or digest < nxt


def _bitmap(rdata: Any) -> set[int]:
    types: set[int] = set()
    for window, bitmap in rdata.windows:
        for i, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    types.add(window * 256 + i * 8 + bit)
    return types


def _matches(zone: dns.name.Name, key: Any, ds: Any) -> bool:
    if int(dns.dnssec.key_id(key)) != int(ds.key_tag) or int(key.algorithm) != int(ds.algorithm):
        return False
    try:
        made = dns.dnssec.make_ds(zone, key, ds.digest_type, validating=True)
    except (dns.exception.UnsupportedAlgorithm, dns.exception.DeniedByPolicy, ValueError):
        return False
    return bool(made.digest == ds.digest)


def _tag_of_sig(sig: Any) -> int:
    return int(sig.key_tag)


def _failure(exc: Exception, sig: Any) -> str:
    """dnspython's reason for one signature, in words (with its dates when time is the problem)."""
    text = str(exc) or type(exc).__name__
    if text == "expired":
        return f"the signature expired on {_when(int(sig.expiration))}"
    if text == "not yet valid":
        return f"the signature is only valid from {_when(int(sig.inception))}"
    words = {
        "verify failure": "the signature does not match the data (the data was altered, or signed with another key)",
        "unknown key": f"no key with tag {sig.key_tag} in the zone's DNSKEY records signed it",
    }
    return words.get(text, text)
