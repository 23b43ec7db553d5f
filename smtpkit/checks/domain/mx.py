"""The `mx` step: where mail for the domain goes and whether each MX target is usable; `mx_tls`: each MX over TLS.

A sending domain's MX matters as much as a receiving one's: bounces and
replies come back through it, and receivers check that the sender's domain can
receive mail. The rules are RFC 5321 §5.1 (implicit MX, targets must have
address records), RFC 2181 §10.3 (no aliases as MX targets) and RFC 7505
(null MX).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping, Sequence
from typing import Any

from smtpkit.checks.denied_tld import denied_tld
from smtpkit.checks.session.network import attempt_problem
from smtpkit.checks.tls import Certificates
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Severity, Status, Step
from smtpkit.net.address import is_documentation, kind_of_address, may_connect, short_kind
from smtpkit.net.dns import DnsAnswer, Resolver
from smtpkit.net.mx import MxProbe
from smtpkit.record import field, record

MAX_TARGETS = 10


@record()
class MxTarget:
    preference: int
    exchange: str
    addresses: list[str] = field(default_factory=list)
    cnames: list[str] = field(default_factory=list)
    canonical: str = ""
    problem: str = ""
    kind: str = ""  # "", "null", "ip_literal", "cname", "no_address", "lookup_failed"
    lookup_error: str = ""

    def to_row(self) -> dict[str, Any]:
        return {
            "preference": self.preference,
            "exchange": self.exchange or ".",
            "addresses": ", ".join(self.addresses),
            "alias of": self.canonical if self.cnames else "",
            "problem": self.problem,
        }


def _ip_literal(name: str) -> str | None:
    text = name.strip("[].")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _inspect(pref: int, exchange: str, resolver: Resolver) -> MxTarget:
    t = MxTarget(preference=pref, exchange=exchange)
    if exchange in ("", "."):
        t.kind, t.problem = "null", 'null MX ("."): no mail accepted'
        return t
    ip = _ip_literal(exchange)
    if ip is not None:
        t.kind = "ip_literal"
        t.problem = (
            f"it is an IP address ({ip}) written where a host name belongs; senders look it up as a name and find"
            " nothing"
        )
        return t
    addrs: list[str] = []
    answers: list[DnsAnswer] = []
    for rdtype in ("A", "AAAA"):
        ans = resolver.resolve(exchange, rdtype)
        answers.append(ans)
        addrs += ans.texts if ans.ok else []
        if ans.cnames and not t.cnames:
            t.cnames, t.canonical = ans.cnames, ans.canonical_name
    t.addresses = addrs
    if t.cnames:
        t.kind = "cname"
        t.problem = (
            f"it is an alias (CNAME) for {t.canonical}; RFC 2181 §10.3 and RFC 5321 §5.1 forbid aliases as MX targets"
        )
    elif not addrs and any(a.failed for a in answers):
        bad = next(a for a in answers if a.failed)
        t.kind, t.lookup_error = "lookup_failed", f"{bad.status}: {bad.error}"
        t.problem = f"its address lookup failed ({bad.status})"
    elif not addrs:
        status = (
            "NXDOMAIN (the name does not exist)"
            if any(a.status == "nxdomain" for a in answers)
            else "no A or AAAA record"
        )
        t.kind, t.problem = "no_address", f"it has no address: {status}"
    return t


def _target_finding(domain: str, t: MxTarget, all_bad: bool) -> Finding:
    if t.kind == "ip_literal":
        ip = _ip_literal(t.exchange)
        family = "AAAA" if ip and ":" in ip else "A"
        consequence = (
            "Standards-following senders cannot deliver to it; some treat the domain as unable to receive mail."
        )
        remedy = (
            f"Give the server a name and point the MX at it: mail.{domain}. IN {family} {ip} and "
            f"{domain}. IN MX {t.preference} mail.{domain}. (replacing MX {t.preference} {t.exchange})"
        )
    elif t.kind == "cname":
        consequence = (
            "Many senders still deliver, but some refuse or loop, and it is a standing reason for delivery failures."
        )
        remedy = (
            f"Point the MX straight at the canonical name: {domain}. IN MX {t.preference} {t.canonical}. (replacing"
            f" {t.exchange})"
        )
    else:
        consequence = "Senders skip it; if no other MX works, mail to the domain (bounces and replies included) fails."
        remedy = (
            f"Give {t.exchange} an address: {t.exchange}. IN A <your mail server's IPv4 address>, or point the MX at a "
            f"name that has one: {domain}. IN MX {t.preference} <mail server name>."
        )
    if t.kind == "cname" and t.addresses:
        # Most MTAs follow the alias, so mail flows today; it stays a standards violation worth fixing.
        severity = Severity.WARN
        extra = "Most sending servers follow the alias anyway, so mail probably arrives today."
    else:
        severity = Severity.FAIL if all_bad else Severity.WARN
        extra = "" if all_bad else "Other MX records of the domain work, so mail still flows through them."
    return finding(
        "mx.invalid_target",
        f"{domain} MX {t.preference} {t.exchange}" + (f" -> CNAME {t.canonical}" if t.cnames else ""),
        severity=severity,
        domain=domain,
        preference=t.preference,
        exchange=t.exchange,
        problem=t.problem,
        consequence=consequence,
        remedy=remedy,
        extra=extra,
    )


def mx_step(domain: str, resolver: Resolver) -> Step:
    """Look up the MX records of `domain` and check every target."""
    start = time.monotonic()
    ans = resolver.mx(domain)
    findings: list[Finding] = []
    targets: list[MxTarget] = []
    details: dict[str, Any] = {"domain": domain, "MX lookup": ans.status}
    if ans.failed:
        findings.append(
            finding(
                "mx.lookup_failed",
                ans.error or ans.status,
                domain=domain,
                status=ans.status.upper(),
                error=ans.error or ans.status,
            )
        )
        summary = f"MX lookup failed ({ans.status})"
    elif ans.void:
        addrs, aans = resolver.addresses(domain)
        details["A/AAAA"] = ", ".join(addrs) or "none"
        if ans.status == "nxdomain" and (tld := denied_tld(domain, resolver)) is not None:
            details["TLD lookup"] = f"{tld} NS -> NXDOMAIN (a top-level domain that exists: the resolver is lying)"
        if ans.status == "nxdomain":
            implicit = (
                f"The domain {domain} does not exist in DNS at all (NXDOMAIN): check the spelling, and whether its "
                "registration or nameserver delegation has lapsed."
            )
            severity = Severity.FAIL
        elif addrs:
            implicit = (
                "Senders then fall back to the domain's own address records, the 'implicit MX' of RFC 5321 §5.1: mail"
                f" for {domain} goes to {', '.join(addrs)} on port 25, which is usually a web server, not a mail"
                " server."
            )
            severity = Severity.WARN
        else:
            implicit = f"It has no A or AAAA record either, so no mail can be delivered to {domain} at all."
            severity = Severity.FAIL
        findings.append(
            finding(
                "mx.missing",
                f"{domain} MX -> {ans.status.upper()}",
                severity=severity,
                domain=domain,
                status=ans.status.upper(),
                implicit=implicit,
            )
        )
        summary = "no MX records" + (f" (implicit MX: {', '.join(addrs)})" if addrs else "")
    else:
        pairs = sorted(((int(r.preference), r.exchange.to_text().rstrip(".")) for r in ans.records), key=lambda p: p[0])
        nulls = [p for p in pairs if p[1] in ("", ".")]
        if nulls:
            mixed = ""
            if len(pairs) > 1:
                mixed = (
                    " The domain also publishes other MX records, which RFC 7505 forbids next to a null MX: senders "
                    "may honour either, so delivery is unpredictable."
                )
            findings.append(
                finding(
                    "mx.null",
                    f"{domain} MX " + ", ".join(f"{p} {e or '.'}" for p, e in pairs),
                    domain=domain,
                    mixed=mixed,
                )
            )
        for pref, exch in pairs[:MAX_TARGETS]:
            targets.append(_inspect(pref, exch, resolver))
        real = [t for t in targets if t.kind != "null"]
        bad = [t for t in real if t.kind in ("ip_literal", "cname", "no_address")]
        working = [t for t in real if t.kind == "" or (t.kind == "cname" and t.addresses)]
        for t in bad:
            findings.append(_target_finding(domain, t, all_bad=not [w for w in working if w is not t]))
        for t in real:
            if t.kind == "lookup_failed":
                findings.append(
                    finding(
                        "mx.lookup_failed",
                        t.lookup_error,
                        domain=domain,
                        status="no answer",
                        error=f"the address of MX {t.exchange}: {t.lookup_error}",
                    )
                )
        if nulls and not real:
            summary = "null MX: the domain declares it receives no mail"
            details["null MX"] = "yes: no other MX record, as RFC 7505 asks"  # read by `parked`
        else:
            summary = f"{len(real)} MX: " + ", ".join(
                f"{t.preference} {t.exchange}"
                + (f" ({len(t.addresses)} address{'es' if len(t.addresses) != 1 else ''})" if t.addresses else "")
                for t in real
            )
        if len(pairs) > MAX_TARGETS:
            details["note"] = f"{len(pairs)} MX records; the first {MAX_TARGETS} were checked"
    step = Step(
        name="mx",
        status=Status.PASS,
        summary=summary,
        elapsed_ms=(time.monotonic() - start) * 1000,
        details=details,
        tables={"mail servers": [t.to_row() for t in targets]} if targets else {},
    )
    step.add(*findings)
    return step


def mx_targets(domain: str, resolver: Resolver) -> list[MxTarget]:
    """The usable-or-not MX targets of `domain` in preference order, null MX left out (for the inbound steps).

    Asks the same questions as `mx_step`, so with the check's `OnceResolver`
    it costs no extra query.
    """
    ans = resolver.mx(domain)
    if not ans.ok:
        return []
    pairs = sorted(((int(r.preference), r.exchange.to_text().rstrip(".")) for r in ans.records), key=lambda p: p[0])
    return [_inspect(pref, exch, resolver) for pref, exch in pairs[:MAX_TARGETS] if exch not in ("", ".")]


def probe_plan(targets: Sequence[MxTarget], allow_private: bool) -> tuple[list[tuple[MxTarget, str]], list[MxTarget]]:
    """Which (MX, address) pairs to probe, and which MX hosts have only addresses we must not contact.

    `may_connect` decides: public addresses, private and loopback ones with
    `allow_private`, documentation ones never (the lab's zones point MX
    hosts at them that are meant to be unreachable).
    """
    plan: list[tuple[MxTarget, str]] = []
    private: list[MxTarget] = []
    for t in targets:
        public = [a for a in t.addresses if may_connect(a, allow_private)]
        if t.addresses and not public:
            private.append(t)
        plan += [(t, a) for a in public]
    return plan, private


def _why_not_probed(addresses: Sequence[str]) -> dict[str, str]:
    """Why MX addresses were not connected to, and what would let a check connect, in words for
    mx.tls.private_address: a documentation address is never contacted, --allow-private does not change it."""
    if addresses and all(is_documentation(a) for a in addresses):
        return {
            "why": "no server lives at a documentation address (it is reserved for examples), so none is contacted",
            "anyway": "",
        }
    return {
        "why": "a check must not be turned against your own network",
        "anyway": (
            " To probe your own test servers on a private or loopback address anyway, add --allow-private on the "
            "command line (Python: allow_private=True)."
        ),
    }


def reach(p: MxProbe) -> tuple[str, str]:
    """How far a probe got, and why not further, in plain words: ("refused", "the host answered that ...")."""
    if p.attempt is not None:
        problem = attempt_problem(p.attempt)
        return problem.kind, problem.words
    return p.reached, p.connect_error


def _unreached(p: MxProbe) -> str:
    kind, words = reach(p)
    return f"{kind} ({words})"


def _tls_cells(p: MxProbe) -> dict[str, Any]:
    tls = p.tls
    if not p.connected:
        kind, words = reach(p)
        return {"reached": f"{kind}: {words}"[:120]}
    cells: dict[str, Any] = {"reached": "yes", "greeting": p.greeting_code or "-"}
    if p.starttls_offered is None:
        cells["STARTTLS"] = "-"
    else:
        cells["STARTTLS"] = "offered" if p.starttls_offered else "NOT OFFERED"
    if tls is not None:
        done = [h for h in tls.handshakes if h.result == "ok"]  # the verified one, or the one that read the cert
        cells["TLS"] = (done[0].version or "yes") if done else "handshake failed"
        cells["cipher"] = (done[0].cipher or "-") if done else "-"
        cert = Certificates.of(tls).leaf
        if p.cert_valid:
            cells["certificate"] = "valid for the name"
        elif p.cert_valid is False:
            cells["certificate"] = f"fails: {(tls.verify_message or tls.error_reason or '').rstrip('.')}"
        else:
            cells["certificate"] = "-"
        cells["expires"] = f"{cert.not_after:%Y-%m-%d}" if cert is not None and cert.not_after else "-"
    return cells


def mx_tls_step(
    domain: str,
    targets: Sequence[MxTarget],
    probes: Sequence[MxProbe],
    private: Sequence[MxTarget],
    *,
    port: int = 25,
    requires_tls: str = "",
    policy_hosts: Sequence[str] = (),
    verdicts: Mapping[str, Mapping[str, str]] | None = None,
    elapsed_ms: float = 0.0,
) -> Step:
    """One row per MX address probed over STARTTLS, and the findings a sender's view of them gives.

    `requires_tls` names what makes TLS mandatory for senders ("the MTA-STS
    policy (enforce)", "DANE"), which turns a missing STARTTLS from a warning
    into a failure. Certificate problems of hosts in `policy_hosts` are left to
    the policy's own step, which knows their consequence. `verdicts` adds a
    column per policy (MTA-STS, DANE) with the host's result.
    """
    prefs = {t.exchange: t.preference for t in targets}
    rows: list[dict[str, Any]] = []
    for p in probes:
        row: dict[str, Any] = {"mx": p.host, "pref": prefs.get(p.host, "-"), "address": p.address, "port": p.port}
        row.update(_tls_cells(p))
        for policy, by_host in (verdicts or {}).items():
            row[policy] = by_host.get(p.host, "-")
        rows.append(row)
    for t in private:
        rows.append(
            {
                "mx": t.exchange,
                "pref": t.preference,
                "address": ", ".join(t.addresses),
                "port": port,
                "reached": "not probed: " + ", ".join(dict.fromkeys(short_kind(a) for a in t.addresses)),
            }
        )
    findings: list[Finding] = []
    for t in private:
        findings.append(
            finding(
                "mx.tls.private_address",
                f"{t.exchange} -> {', '.join(t.addresses)}",
                domain=domain,
                mx=t.exchange,
                addresses=", ".join(t.addresses),
                kinds="; ".join(f"{a} is {kind_of_address(a)}" for a in t.addresses),
                **_why_not_probed(t.addresses),
            )
        )
    policy = (
        f" {domain} publishes {requires_tls}, so senders that honour it refuse to deliver to this MX."
        if requires_tls
        else ""
    )
    severity = Severity.FAIL if requires_tls else Severity.WARN
    unreached = [p for p in probes if not p.connected]
    reached = [p for p in probes if p.connected]

    def group(code: str, items: Sequence[MxProbe], detail: Any, **extra: Any) -> None:
        if not items:
            return
        details = "; ".join(f"{p.host} [{p.address}]:{p.port}: {detail(p)}" for p in items)
        hosts = ", ".join(dict.fromkeys(p.host for p in items))
        findings.append(
            finding(code, details, domain=domain, mx=hosts, port=items[0].port, details=details, policy=policy, **extra)
        )

    if probes and not reached:
        group("mx.tls.port25_blocked", unreached, _unreached)
        often = " (outgoing port 25 is often blocked)" if port == 25 else ""
        summary = f"no MX answered on port {port} from here: could not check{often}"
    else:
        group("mx.tls.unreachable", unreached, _unreached)
        group(
            "mx.tls.session_failed",
            [p for p in reached if p.problem and p.starttls_offered is None],
            lambda p: p.problem,
        )
        no_tls = [p for p in reached if p.starttls_offered is False]
        broken = [p for p in reached if p.starttls_offered and not p.tls_ok]
        if no_tls:
            findings.append(_policy_finding("mx.tls.no_starttls", domain, no_tls, severity, policy))
        if broken:
            findings.append(_policy_finding("mx.tls.handshake_failed", domain, broken, severity, policy))
        bad_cert = [p for p in reached if p.cert_valid is False and p.host not in policy_hosts]
        group("mx.tls.cert_invalid", bad_cert, lambda p: (p.tls.verify_message or "").rstrip(".") if p.tls else "")
        with_tls = [p for p in reached if p.tls_ok]
        valid = [p for p in with_tls if p.cert_valid]
        n = len(probes)
        summary = (
            f"{len(with_tls)} of {n} MX address{'es accept' if n != 1 else ' accepts'} STARTTLS, {len(valid)} with a "
            "certificate valid for the MX name"
        )
        if not probes:
            summary = "no MX address could be probed" + (": their addresses are not public" if private else "")
    step = Step(
        name="mx_tls",
        status=Status.PASS,
        summary=summary,
        elapsed_ms=elapsed_ms,
        details={"domain": domain, "port": port, "MX addresses probed": len(probes)},
        tables={"MX hosts over STARTTLS": rows} if rows else {},
    )
    step.add(*findings)
    return step


def _policy_finding(code: str, domain: str, items: Sequence[MxProbe], severity: Severity, policy: str) -> Finding:
    def why(p: MxProbe) -> str:
        if p.starttls_reply and not p.starttls_reply.startswith("220"):
            return f"STARTTLS refused: {p.starttls_reply}"
        if p.tls is not None:
            return p.tls.error_message or p.tls.error_reason or "handshake failed"
        return p.problem or "no STARTTLS in the EHLO reply"

    details = "; ".join(f"{p.host} [{p.address}]: {why(p)}" for p in items)
    hosts = ", ".join(dict.fromkeys(p.host for p in items))
    return finding(code, details, severity=severity, domain=domain, mx=hosts, details=details, policy=policy)
