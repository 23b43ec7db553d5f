"""The receiving side of a domain check: how mail *to* the domain is protected (MX over TLS, MTA-STS, DANE, TLS-RPT).

These steps depend on each other, so they run in one job of `check_domain`,
each part as early as its inputs allow: the MX hosts first; then, all at
once, the MTA-STS policy fetch, the TLSA lookups with their DNSSEC validation
(one per MX host) and one STARTTLS probe per MX address (with ``probe_mx``);
then, only for MX hosts with DANE-TA records, the presented chains; then the
matching, the per-MX table, and the TLS-RPT record (whose absence matters
only once the domain asks senders to require TLS).

An `InboundCache` passed to many `check_domain` calls (an audit) shares the
probes (a provider's MX is probed once) and the DNSSEC validators (each
zone's keys validated once).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from smtpkit.checks.domain.dane import AdValidator, DaneHost, dane_step, dane_verdicts, lookup_dane
from smtpkit.checks.domain.mta_sts import MxCertificate, StsDiscovery, discover_policy, mta_sts_step
from smtpkit.checks.domain.mx import MxTarget, mx_targets, mx_tls_step, probe_plan
from smtpkit.checks.domain.parallel import run_all
from smtpkit.checks.domain.tlsrpt import tlsrpt_step
from smtpkit.dnssec import TrustAnchors, Validator, load_anchors, root_anchors
from smtpkit.knowledge import finding
from smtpkit.model import Status, Step
from smtpkit.net.chain import ChainRead
from smtpkit.net.dns import Resolver
from smtpkit.net.dnssec import SignedLookup
from smtpkit.net.mx import MxProbe, MxProbeCache, NetworkLimit, read_mx_chain

if TYPE_CHECKING:
    from smtpkit.settings.domain import DomainQuery

#: Time kept back from the overall deadline so the steps are built before `check_domain` stops waiting.
_MARGIN = 0.3


class InboundCache:
    """What many `check_domain` calls can share: MX probes (at most `limit` at once per network, when given)
    and DNSSEC validators (per resolver and anchors)."""

    def __init__(self, limit: NetworkLimit | None = None) -> None:
        self.probes = MxProbeCache(limit)
        self._validators: dict[tuple[tuple[str, ...], str], Validator] = {}
        self._lock = threading.Lock()

    def validator(self, resolver: Resolver, anchors: TrustAnchors) -> Validator:
        key = (tuple(str(n) for n in resolver.nameservers), anchors.source)
        with self._lock:
            if key not in self._validators:
                self._validators[key] = Validator(SignedLookup(resolver), anchors)
            return self._validators[key]


def inbound_order(query: DomainQuery) -> list[str]:
    """The inbound steps `query` gets, in report order."""
    return ["mta_sts", "dane", "tlsrpt"] + (["mx_tls"] if query.probe_mx else [])


def _host_certificates(probes: list[MxProbe]) -> dict[str, MxCertificate]:
    """Per MX host: its certificate is valid only if every address that got to TLS presented a valid one."""
    out: dict[str, MxCertificate] = {}
    for p in probes:
        verdict = p.cert_valid
        if verdict is None:
            out.setdefault(p.host, MxCertificate(None))
            continue
        have = out.get(p.host)
        if verdict is False:
            problem = (p.tls.verify_message or p.tls.error_reason or "").rstrip(".") if p.tls else ""
            if have is None or have.valid is not False:
                out[p.host] = MxCertificate(False, f"[{p.address}] {problem}")
        elif have is None or have.valid is None:
            out[p.host] = MxCertificate(True)
    return out


def _sts_verdicts(sts: StsDiscovery, hosts: list[str], certs: dict[str, MxCertificate]) -> dict[str, str]:
    pol = sts.policy
    if not sts.in_effect or pol is None:
        return {}
    out = {}
    for host in hosts:
        cert = certs.get(host)
        if not pol.covers(host):
            out[host] = f"{'FAIL' if pol.mode == 'enforce' else 'would fail'}: not in the policy"
        elif cert is not None and cert.valid is False:
            out[host] = f"{'FAIL' if pol.mode == 'enforce' else 'would fail'}: certificate"
        elif cert is not None and cert.valid:
            out[host] = "pass"
        else:
            out[host] = "covered (TLS not checked)"
    return out


def _read_chains(
    danes: list[DaneHost], probes: list[MxProbe], timeout: float, end: float
) -> dict[tuple[str, str], ChainRead]:
    """The presented chains, read only where a DANE-TA record needs them (one extra connection per address)."""
    wanted = {d.host for d in danes if d.wants_chain}
    jobs: dict[str, Any] = {
        f"{p.host} {p.address}": functools.partial(
            read_mx_chain, p.host, p.address, p.port, timeout=timeout, deadline=end
        )
        for p in probes
        if p.host in wanted and p.tls_ok
    }
    if not jobs:
        return {}
    got = run_all(jobs, end, name="smtpkit-chains")
    return {(p.host, p.address): got[f"{p.host} {p.address}"] for p in probes if f"{p.host} {p.address}" in got}


def _late_probe(target: MxTarget, address: str, port: int) -> MxProbe:
    return MxProbe(target.exchange, address, port, reached="timeout", connect_error="no result before the deadline")


def inbound_steps(
    query: DomainQuery,
    resolver: Resolver,
    deadline: float,
    results: dict[str, Step],
    *,
    cache: InboundCache | None = None,
) -> None:
    """Fill `results` with the inbound steps of `query` (each kept as it lands, like the other jobs)."""
    start = time.monotonic()
    end = max(start + 0.5, deadline - _MARGIN)
    targets = mx_targets(query.domain, resolver)
    plan, private = probe_plan(targets, query.allow_private) if query.probe_mx else ([], [])
    cache = cache if cache is not None else InboundCache()
    validator: Any
    if query.trust_ad:
        validator = AdValidator(SignedLookup(resolver), ", ".join(str(n) for n in resolver.nameservers))
    else:
        anchors = load_anchors(query.trust_anchor) if query.trust_anchor else root_anchors()
        validator = cache.validator(resolver, anchors)
    per_op = max(0.5, min(10.0, (end - time.monotonic()) / 3))
    jobs: dict[str, Callable[[], Any]] = {
        "sts": functools.partial(
            discover_policy,
            query.domain,
            resolver,
            port=query.mta_sts_port,
            cafile=query.cafile,
            allow_private=query.allow_private,
            timeout=per_op,
            deadline=end,
        )
    }
    for target, address in plan:
        jobs[f"{target.exchange} {address}"] = functools.partial(
            cache.probes.probe,
            target.exchange,
            address,
            query.mx_port,
            cafile=query.cafile,
            timeout=per_op,
            deadline=end,
        )
    for target in targets:
        if target.kind in ("", "cname"):  # an MX that is an IP literal or has no address gets no mail at all
            jobs[f"dane {target.exchange}"] = functools.partial(lookup_dane, target.exchange, validator)
    got = run_all(jobs, end, name="smtpkit-inbound")
    sts = got.get("sts")
    if not isinstance(sts, StsDiscovery):
        sts = StsDiscovery(query.domain, summary="the MTA-STS check did not finish before the deadline")
        why = "no result before the overall deadline"
        name = f"_mta-sts.{query.domain}"
        sts.findings.append(
            finding("mta_sts.lookup_failed", why, domain=query.domain, name=name, status="TIMEOUT", error=why)
        )
    probes = [got.get(f"{t.exchange} {a}") or _late_probe(t, a, query.mx_port) for t, a in plan]
    hosts = [t.exchange for t in targets]
    dane_hosts = [got.get(f"dane {h}") for h in hosts]
    danes = [d for d in dane_hosts if isinstance(d, DaneHost)]
    chains = _read_chains(danes, probes, per_op, end)
    certs = _host_certificates(probes) if query.probe_mx else {}
    results["mta_sts"] = mta_sts_step(sts, hosts, certs)
    mx_state = validator.validate(query.domain, "MX").state if any(d.tlsa.found for d in danes) else ""
    results["dane"] = dane_step(
        query.domain,
        danes,
        probes,
        chains,
        mx_state=mx_state,
        elapsed_ms=(time.monotonic() - start) * 1000,
        ad_resolver=getattr(validator, "resolver", "") if query.trust_ad else "",
    )
    uses = (["MTA-STS"] if sts.published else []) + (["DANE"] if any(d.tlsa.found for d in danes) else [])
    results["tlsrpt"] = tlsrpt_step(query.domain, resolver, uses=uses)
    if query.probe_mx:
        enforce = sts.in_effect and sts.policy is not None and sts.policy.mode == "enforce"
        verdicts = {"MTA-STS": _sts_verdicts(sts, hosts, certs)} if sts.in_effect else {}
        if any(d.tlsa.found or d.wrong_ports for d in danes):
            verdicts["DANE"] = dane_verdicts(danes, probes, chains)
        requires = [
            *(["an MTA-STS policy in enforce mode"] if enforce else []),
            *(["DNSSEC-secure TLSA records (DANE)"] if any(d.applies for d in danes) else []),
        ]
        results["mx_tls"] = mx_tls_step(
            query.domain,
            targets,
            probes,
            private,
            port=query.mx_port,
            requires_tls=" and ".join(requires),
            # certificates these hosts present are judged by the policy that applies to them (MTA-STS, DANE)
            policy_hosts=hosts if sts.in_effect else [d.host for d in danes if d.applies],
            verdicts=verdicts,
            elapsed_ms=(time.monotonic() - start) * 1000,
        )
        if not plan and not private:
            results["mx_tls"].status = Status.SKIP
