"""The `dane` step: TLSA records for each MX (RFC 7672), trusted only when DNSSEC-secure, matched against the MX.

Two parts, like MTA-STS, because matching needs the MX probes:

* `lookup_dane()` (one MX host, run concurrently for all): the TLSA RRset at
  ``_25._tcp.<mx>``, validated by `smtpkit.dnssec` from the trust anchor (or,
  if asked, the resolver's AD bit), and when there is none, the ports people
  publish by mistake (587, 465, 26).
* `dane_step()`: for each MX whose records are secure and usable, each record
  against what each probed address presented (the leaf; the whole chain for
  DANE-TA, read by `smtpkit.net.chain`), with the findings: no match (and the
  record to publish), not secure, bogus (and the link that broke), wrong port,
  unusable, not ready for a key rollover.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from smtpkit.dane import Match, Tlsa, associated_data, match_all, rollover_ready
from smtpkit.dnssec import BOGUS, INDETERMINATE, INSECURE, SECURE, Link, Validation
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Status, Step
from smtpkit.net.chain import ChainRead
from smtpkit.net.mx import MxProbe
from smtpkit.record import field, record

#: Where TLSA records for mail are published by mistake (submission, SMTPS, an old alternative port).
WRONG_PORTS = (587, 465, 26)


class AdValidator:
    """`Validator`'s interface, but the verdict is the resolver's AD bit (``--trust-ad``), said so in every link."""

    def __init__(self, lookup: Any, resolver: str) -> None:
        self.lookup = lookup
        self.resolver = resolver

    def validate(self, name: str, rdtype: str) -> Validation:
        ans = self.lookup(name, rdtype)
        out = Validation(name.rstrip("."), rdtype, ans.status)
        if ans.failed:
            out.links.append(Link("lookup", out.name, f"{rdtype} {out.name}: {ans.status.upper()} {ans.error}", False))
            out.reason = f"the {rdtype} lookup failed ({ans.status})"
            out.state = INDETERMINATE
            return out
        if ans.rrset is None:
            out.state = ""
            return out
        out.found, out.rrset = True, ans.rrset
        out.state = SECURE if ans.ad else INSECURE
        words = "set: the resolver says it validated the answer" if ans.ad else "not set: not validated by the resolver"
        out.reason = f"the AD bit of {self.resolver} is {words}"
        out.links.append(Link("AD bit", self.resolver, out.reason))
        return out


@record()
class DaneHost:
    """What DNS says about DANE for one MX host."""

    host: str
    tlsa: Validation
    wrong_ports: list[tuple[int, Validation]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"_25._tcp.{self.host}"

    @property
    def records(self) -> list[Tlsa]:
        return [Tlsa.from_rdata(r) for r in self.tlsa.records]

    @property
    def usable(self) -> list[Tlsa]:
        return [r for r in self.records if not r.unusable]

    @property
    def applies(self) -> bool:
        """DANE is in force for this MX: secure TLSA records exist (usable or not, TLS becomes mandatory)."""
        return self.tlsa.found and self.tlsa.state == SECURE

    @property
    def wants_chain(self) -> bool:
        return self.applies and any(r.usage == 2 for r in self.usable)


def lookup_dane(host: str, validator: Any) -> DaneHost:
    """TLSA records of `host` on port 25 with their DNSSEC verdict, and those on wrong ports when none is there."""
    out = DaneHost(host, validator.validate(f"_25._tcp.{host}", "TLSA"))
    if not out.tlsa.found and out.tlsa.state != INDETERMINATE:
        for port in WRONG_PORTS:
            other = validator.validate(f"_{port}._tcp.{host}", "TLSA")
            if other.found:
                out.wrong_ports.append((port, other))
    return out


def _spki_record(der: bytes) -> str:
    return associated_data(der, 1, 1).hex() if der else "<SHA-256 of the MX's public key>"


def _dnssec_finding(d: DaneHost, domain: str) -> Finding:
    v = d.tlsa
    failed = v.failed
    if failed is not None and failed.kind == "trust anchor":
        # the anchor we were given does not fit: a fact about our starting point, not the domain (could not check)
        return finding("dnssec.anchor_mismatch", v.reason, zone=failed.zone, reason=v.reason)
    if v.state == BOGUS:
        return finding(
            "dnssec.bogus",
            v.reason,
            name=v.name,
            rdtype=v.rdtype,
            link=failed.kind if failed else "signature",
            zone=failed.zone if failed else v.signer,
            reason=v.reason,
            consequence=(
                f"DANE senders cannot get the TLSA records of {d.host} and defer all mail for {domain} through it."
            ),
        )
    return finding("dnssec.indeterminate", v.reason, name=v.name, reason=v.reason or "unknown")


@record()
class _HostResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    matched: bool | None = None


def _match_host(
    d: DaneHost, domain: str, probes: Sequence[MxProbe], chains: Mapping[tuple[str, str], ChainRead]
) -> _HostResult:
    out = _HostResult()
    records = d.records
    per_record: dict[str, list[str]] = {r.text: [] for r in records}
    misses: list[str] = []
    leaf_for_fix = b""
    probed = [p for p in probes if p.host == d.host and p.leaf_der]
    for p in probed:
        read = chains.get((p.host, p.address))
        chain = read.ders if read is not None and read.ders else [p.leaf_der]
        complete = read is not None and bool(read.ders)
        matches: list[Match] = match_all(records, chain, d.host, chain_complete=complete)
        for m in matches:
            per_record[m.record.text].append(f"[{p.address}] {m.reason if m.matched else 'no: ' + m.reason}")
        if not any(m.matched for m in matches):
            leaf_for_fix = leaf_for_fix or p.leaf_der
            misses.append(f"[{p.address}] " + "; ".join(f"{m.record.short}: {m.reason}" for m in matches))
    if probed:
        out.matched = not misses
    for r in records:
        out.rows.append(
            {
                "mx": d.host,
                "record": r.short,
                "meaning": r.meaning,
                "usable": r.unusable or "yes",
                "DNSSEC": d.tlsa.state,
                "against the MX": "; ".join(per_record[r.text]) or "not probed (--probe-mx)",
            }
        )
    if misses:
        out.findings.append(
            finding(
                "dane.no_match",
                "; ".join(misses),
                mx=d.host,
                name=d.name,
                domain=domain,
                details="; ".join(misses),
                suggested=_spki_record(leaf_for_fix),
            )
        )
    return out


def dane_step(
    domain: str,
    hosts: Sequence[DaneHost],
    probes: Sequence[MxProbe] = (),
    chains: Mapping[tuple[str, str], ChainRead] | None = None,
    *,
    mx_state: str = "",
    ad_resolver: str = "",
    elapsed_ms: float = 0.0,
) -> Step:
    """The step: per MX, TLSA records and their DNSSEC verdict, matched against the probed MX when available."""
    start = time.monotonic()
    findings: list[Finding] = []
    rows: list[dict[str, Any]] = []
    chain_rows: dict[tuple[str, str], dict[str, str]] = {}
    published = [d for d in hosts if d.tlsa.found]
    secure_matched = 0
    for d in hosts:
        v = d.tlsa
        for link in v.links:
            chain_rows.setdefault((link.kind, link.zone + link.detail), link.row())
        if v.state == INDETERMINATE and not v.found:
            failed = v.failed
            findings.append(
                finding(
                    "dane.lookup_failed",
                    v.reason,
                    mx=d.host,
                    name=d.name,
                    status=v.status.upper(),
                    error=failed.detail if failed else v.reason,
                )
            )
            continue
        if not v.found:
            if d.wrong_ports:
                found = ", ".join(f"_{port}._tcp.{d.host}" for port, _ in d.wrong_ports)
                example = Tlsa.from_rdata(d.wrong_ports[0][1].records[0]).text
                findings.append(finding("dane.wrong_port", found, mx=d.host, found=found, example=example))
            continue
        if v.state in (BOGUS, INDETERMINATE):
            findings.append(_dnssec_finding(d, domain))
        elif v.state == INSECURE:
            findings.append(finding("dane.insecure", v.reason, mx=d.host, name=d.name, reason=v.reason))
        result = _match_host(d, domain, probes, chains or {}) if v.state == SECURE else _HostResult()
        if v.state != SECURE:
            for r in d.records:
                rows.append(
                    {
                        "mx": d.host,
                        "record": r.short,
                        "meaning": r.meaning,
                        "usable": r.unusable or "yes",
                        "DNSSEC": v.state,
                        "against the MX": "not used: the records are not DNSSEC-secure",
                    }
                )
            continue
        rows += result.rows
        if not d.usable:
            why = "; ".join(f"{r.short}: {r.unusable}" for r in d.records)
            findings.append(finding("dane.unusable", why, mx=d.host, name=d.name, details=why))
            continue
        findings += result.findings
        if result.matched:
            secure_matched += 1
            ready, why = rollover_ready(d.records)
            if not ready:
                shown = ", ".join(r.short for r in d.usable)
                findings.append(finding("dane.no_rollover", why, mx=d.host, name=d.name, details=shown))
    if ad_resolver:
        states = sorted({d.tlsa.state for d in published}) or ["no TLSA records found"]
        findings.append(finding("dnssec.ad_trusted", ad_resolver, resolver=ad_resolver, summary=", ".join(states)))
    if not published and any(d.wrong_ports for d in hosts):
        summary = "TLSA records only for ports senders do not use: DANE is not in effect"
        status = Status.PASS
    elif not published:
        summary = f"no TLSA records: DANE is not used for mail to {domain} (optional; MTA-STS is the alternative)"
        status = Status.INFO
    else:
        secure = [d for d in published if d.tlsa.state == SECURE]
        summary = f"TLSA records for {len(published)} of {len(hosts)} MX hosts, {len(secure)} DNSSEC-secure"
        if secure_matched:
            summary += f", {secure_matched} matching the MX"
        status = Status.PASS
    details: dict[str, Any] = {"domain": domain, "MX hosts": len(hosts)}
    if mx_state:
        details["MX records (DNSSEC)"] = mx_state
    tables: dict[str, list[dict[str, Any]]] = {}
    if rows:
        tables["TLSA records"] = rows
    if chain_rows:
        tables["DNSSEC chain of trust"] = list(chain_rows.values())
    step = Step(
        name="dane",
        status=status,
        summary=summary,
        elapsed_ms=elapsed_ms or (time.monotonic() - start) * 1000,
        details=details,
        tables=tables,
    )
    step.add(*findings)
    return step


def dane_verdicts(
    hosts: Sequence[DaneHost], probes: Sequence[MxProbe], chains: Mapping[tuple[str, str], ChainRead]
) -> dict[str, str]:
    """One word per MX host for the MX table's DANE column."""
    out: dict[str, str] = {}
    for d in hosts:
        if not d.tlsa.found:
            out[d.host] = "-" if not d.wrong_ports else "wrong port"
        elif d.tlsa.state != SECURE:
            out[d.host] = f"FAIL: {d.tlsa.state}" if d.tlsa.state == BOGUS else d.tlsa.state
        elif not d.usable:
            out[d.host] = "unusable records"
        else:
            matched = _match_host(d, "", probes, chains).matched
            out[d.host] = {True: "pass", False: "FAIL: no match", None: "secure (not matched)"}[matched]
    return out
