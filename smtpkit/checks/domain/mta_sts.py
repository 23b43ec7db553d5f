"""The `mta_sts` step: the domain's MTA-STS record and policy, fetched as senders fetch them (RFC 8461).

In two parts, because the second needs what the MX probes saw:

* `discover_policy()` does what a sender does before delivering: the
  ``_mta-sts`` TXT lookup, then the policy fetch over HTTPS (a probe in
  `smtpkit.net.https`: verified certificate, no redirects, text/plain, 64
  KiB) and the RFC 8461 parse. With no record, it still looks for a policy
  file at the policy host, because "a policy nobody can find" is a common
  half-finished setup worth saying.
* `mta_sts_step()` matches each MX host against the policy's ``mx``
  patterns, and (when the MX hosts were probed) each MX certificate against
  the MX name, and says what a sender honouring the policy does: deliver,
  report, or refuse.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from smtpkit.checks.session.network import attempt_problem
from smtpkit.checks.tls import Certificates
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Severity, Status, Step
from smtpkit.mta_sts import MAX_POLICY_BYTES, Policy, StsRecord, parse_policy, parse_record, select_records
from smtpkit.net.dns import Resolver
from smtpkit.net.https import HttpsFetch, fetch
from smtpkit.record import field, record

POLICY_PATH = "/.well-known/mta-sts.txt"
DEFAULT_TIMEOUT = 10.0
#: RFC 8461 §3.2 expects "weeks or greater".
SHORT_MAX_AGE = 7 * 86400


@record()
class StsDiscovery:
    """What a sender would find for the domain before delivering: record, fetch, policy (each may be missing)."""

    domain: str
    record: StsRecord | None = None
    fetched: HttpsFetch | None = None
    policy: Policy | None = None
    findings: list[Finding] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    status: Status = Status.PASS
    elapsed_ms: float = 0.0

    @property
    def published(self) -> bool:
        """Whether the domain asks senders for MTA-STS (a record exists), usable or not."""
        return self.record is not None

    @property
    def in_effect(self) -> bool:
        """A valid policy reached through a valid record, in testing or enforce mode."""
        return (
            self.record is not None
            and self.record.valid
            and self.policy is not None
            and self.policy.valid
            and self.policy.mode in ("enforce", "testing")
        )

    @property
    def url(self) -> str:
        return f"https://mta-sts.{self.domain}{POLICY_PATH}"


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"


def _connect_error(got: HttpsFetch) -> str:
    """Why no connection to the policy host was made, each address in plain words ("" when one was made)."""
    if got.address or not got.connect_attempts:
        return ""
    failed = [(a, attempt_problem(a)) for a in got.connect_attempts if a.outcome != "ok"]
    return "; ".join(f"{a.address}: {p.kind} ({p.words})" for a, p in failed)


def _fetch_findings(d: StsDiscovery, got: HttpsFetch) -> Finding | None:
    """The finding for a fetch that did not deliver a policy senders would accept, or None."""
    url = got.url
    if got.stage == "private":
        return finding(
            "mta_sts.policy_host_private", got.error, domain=d.domain, addresses=", ".join(got.refused), url=url
        )
    if got.stage == "tls" and got.tls is not None and got.tls.failure == "verify":
        cert = Certificates.of(got.tls).leaf
        shown = f"issued to {cert.subject}, names {', '.join(cert.names) or 'none'}" if cert else "not seen"
        return finding(
            "mta_sts.policy_cert_invalid",
            f"{url}: {got.error}",
            domain=d.domain,
            problem=got.error.rstrip("."),
            certificate=shown,
        )
    if got.stage != "ok":
        stage = {"dns": "DNS", "connect": "connection", "tls": "TLS", "http": "HTTP", "timeout": "response"}.get(
            got.stage, got.stage
        )
        error = _connect_error(got) or got.error
        return finding("mta_sts.policy_fetch_failed", error, domain=d.domain, url=url, stage=stage, error=error)
    status = got.status or 0
    if 300 <= status < 400:
        return finding(
            "mta_sts.policy_redirect",
            f"{url} -> {status} Location: {got.location or '(none)'}",
            domain=d.domain,
            url=url,
            status=status,
            location=got.location or "(no Location header)",
        )
    if status != 200:
        return finding(
            "mta_sts.policy_http_error",
            f"{url} -> {status} {got.reason}",
            domain=d.domain,
            url=url,
            status=status,
            reason=got.reason,
        )
    if got.too_large:
        size = got.declared_length if got.declared_length is not None else MAX_POLICY_BYTES + 1
        shown = _size(size) if got.declared_length is not None else f"more than {_size(MAX_POLICY_BYTES)}"
        return finding(
            "mta_sts.policy_too_large",
            f"{url} -> {shown}",
            domain=d.domain,
            url=url,
            size=shown,
            limit=_size(MAX_POLICY_BYTES),
        )
    media = got.content_type.split(";", 1)[0].strip().lower()
    if media != "text/plain":
        return finding(
            "mta_sts.policy_content_type",
            f"{url} -> Content-Type: {got.content_type or '(none)'}",
            domain=d.domain,
            url=url,
            content_type=got.content_type or "(no Content-Type)",
        )
    return None


def discover_policy(
    domain: str,
    resolver: Resolver,
    *,
    port: int = 443,
    cafile: str | None = None,
    allow_private: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float | None = None,
) -> StsDiscovery:
    """The record and policy of `domain`, as a sender would find them; every outcome is in the result."""
    start = time.monotonic()
    d = StsDiscovery(domain)
    name = f"_mta-sts.{domain}"
    ans = resolver.txt(name)
    d.details["record name"] = name
    try:
        _discover(d, ans, name, resolver, port, cafile, allow_private, timeout, deadline)
    finally:
        d.elapsed_ms = (time.monotonic() - start) * 1000
    return d


def _get(
    d: StsDiscovery,
    resolver: Resolver,
    port: int,
    cafile: str | None,
    allow_private: bool,
    timeout: float,
    deadline: float | None,
) -> HttpsFetch:
    got = fetch(
        f"mta-sts.{d.domain}",
        POLICY_PATH,
        resolver=resolver,
        port=port,
        cafile=cafile,
        allow_private=allow_private,
        timeout=timeout,
        deadline=deadline,
        max_bytes=MAX_POLICY_BYTES,
    )
    d.fetched = got
    d.details["policy URL"] = got.url
    if got.address:
        d.details["policy host"] = f"{got.host} ({got.address})"
    if got.status is not None:
        d.details["HTTP status"] = f"{got.status} {got.reason}".strip()
    if got.content_type:
        d.details["Content-Type"] = got.content_type
    return got


def _discover(
    d: StsDiscovery,
    ans: Any,
    name: str,
    resolver: Resolver,
    port: int,
    cafile: str | None,
    allow_private: bool,
    timeout: float,
    deadline: float | None,
) -> None:
    domain = d.domain
    if ans.failed:
        d.findings.append(
            finding(
                "mta_sts.lookup_failed",
                ans.error or ans.status,
                domain=domain,
                name=name,
                status=ans.status.upper(),
                error=ans.error or ans.status,
            )
        )
        d.summary = f"the _mta-sts lookup failed ({ans.status})"
        return
    records = select_records(ans.texts if ans.ok else [])
    if not records:
        # Not published. A policy file without its record is a half-finished setup worth naming.
        hosts, _ = resolver.addresses(f"mta-sts.{domain}")
        if hosts:
            got = _get(d, resolver, port, cafile, allow_private, timeout, deadline)
            if got.stage == "ok" and got.status == 200 and not got.too_large:
                policy = parse_policy(got.body.decode("utf-8", errors="replace"))
                if policy.version == "STSv1":
                    d.policy = policy
                    d.findings.append(
                        finding(
                            "mta_sts.record_missing",
                            f"{name} TXT -> none; {got.url} -> 200",
                            domain=domain,
                            url=got.url,
                            mode=policy.mode or "(none)",
                        )
                    )
                    d.summary = "a policy file is served, but no _mta-sts record points senders to it"
                    return
        d.status = Status.INFO
        d.summary = "no MTA-STS policy (senders use TLS when offered, but do not require it)"
        return
    if len(records) > 1:
        shown = "; ".join(f'"{r}"' for r in records)
        d.findings.append(finding("mta_sts.multiple_records", shown, domain=domain, count=len(records), records=shown))
        d.record = parse_record(records[0])
        d.summary = f"{len(records)} _mta-sts records: senders use none"
        return
    d.record = parse_record(records[0])
    d.details["record"] = d.record.text
    if not d.record.valid:
        d.findings.append(
            finding(
                "mta_sts.record_invalid",
                d.record.text,
                domain=domain,
                record=d.record.text,
                problems="; ".join(d.record.problems),
            )
        )
        d.summary = "the _mta-sts record is invalid: senders use no policy"
        return
    d.details["policy id"] = d.record.id
    got = _get(d, resolver, port, cafile, allow_private, timeout, deadline)
    problem = _fetch_findings(d, got)
    if problem is not None:
        d.findings.append(problem)
        d.summary = f"the policy cannot be used: {problem.title}"
        return
    d.policy = parse_policy(got.body.decode("utf-8", errors="replace"))
    pol = d.policy
    d.details.update(
        {
            "mode": pol.mode or "-",
            "max_age": pol.max_age if pol.max_age is not None else "-",
            "mx patterns": ", ".join(pol.mx) or "-",
        }
    )
    if not pol.valid:
        d.findings.append(
            finding(
                "mta_sts.policy_invalid",
                got.body[:400].decode("utf-8", errors="replace"),
                domain=domain,
                url=got.url,
                problems="; ".join(pol.problems),
            )
        )
        d.summary = "the policy is invalid: senders ignore it"
        return
    if pol.mode == "none":
        d.findings.append(finding("mta_sts.mode_none", f"mode: {pol.mode}", domain=domain))
    elif pol.mode == "testing":
        d.findings.append(finding("mta_sts.mode_testing", f"mode: {pol.mode}", domain=domain))
    if pol.mode != "none" and pol.max_age is not None and pol.max_age < SHORT_MAX_AGE:
        d.findings.append(
            finding("mta_sts.max_age_short", f"max_age: {pol.max_age}", domain=domain, max_age=_duration(pol.max_age))
        )
    d.summary = f"policy {d.record.id}: mode {pol.mode}, mx {', '.join(pol.mx) or '-'}"


def _duration(seconds: int) -> str:
    """max_age in words: "3600 seconds (1 hour)", "86400 seconds (1 day)" (it read "(1 hours)")."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount = f"{seconds / size:.3g}"
            return f"{seconds} seconds ({amount} {unit}{'' if amount == '1' else 's'})"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


@record(frozen=True)
class MxCertificate:
    """What an MX probe says about one MX host's certificate: valid for its name (None: not probed) and why not."""

    valid: bool | None
    problem: str = ""


def mta_sts_step(
    d: StsDiscovery,
    mx_hosts: Sequence[str],
    mx_certs: Mapping[str, MxCertificate] | None = None,
) -> Step:
    """The step: the discovery's findings, then each MX host against the policy (and its certificate, if probed)."""
    findings = list(d.findings)
    rows: list[dict[str, Any]] = []
    pol = d.policy
    if d.in_effect and pol is not None:
        enforce = pol.mode == "enforce"
        consequence = (
            "Senders that honour MTA-STS (Gmail, Microsoft, Yahoo among them) refuse to deliver to this MX: "
            "if no other MX passes, mail to the domain bounces."
            if enforce
            else "In testing mode senders still deliver, but report the failure to your TLS-RPT address; "
            "switching to enforce now would make them refuse this MX."
        )
        severity = Severity.FAIL if enforce else Severity.WARN
        for host in mx_hosts:
            pattern = pol.matching_pattern(host)
            cert = (mx_certs or {}).get(host)
            cert_text = "not probed (--probe-mx)"
            if cert is not None and cert.valid is not None:
                cert_text = "valid for the name" if cert.valid else f"fails: {cert.problem}"
            rows.append({"mx": host, "covered by": pattern or "NOT COVERED", "certificate": cert_text})
            if pattern is None:
                findings.append(
                    finding(
                        "mta_sts.mx_not_covered",
                        f"MX {host}; policy mx: {', '.join(pol.mx)}",
                        severity=severity,
                        domain=d.domain,
                        mx=host,
                        mode=pol.mode,
                        patterns=", ".join(f"mx: {p}" for p in pol.mx),
                        consequence=consequence,
                    )
                )
            elif cert is not None and cert.valid is False:
                findings.append(
                    finding(
                        "mta_sts.mx_cert_invalid",
                        f"{host}: {cert.problem}",
                        severity=severity,
                        domain=d.domain,
                        mx=host,
                        mode=pol.mode,
                        problem=cert.problem,
                        consequence=consequence,
                    )
                )
    step = Step(
        name="mta_sts",
        status=d.status,
        summary=d.summary,
        elapsed_ms=d.elapsed_ms,
        details=dict(d.details),
        tables={"mx hosts against the policy": rows} if rows else {},
    )
    step.add(*findings)
    if d.in_effect and pol is not None and not any(r["covered by"] == "NOT COVERED" for r in rows):
        if rows and pol.mode == "enforce" and step.status == Status.PASS:
            step.summary = f"{d.summary}; every MX is covered"
    return step
