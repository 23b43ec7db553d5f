"""`check_domain`: a domain's mail DNS, MX, SPF, DKIM, DMARC, TLS-RPT (and PTR and blocklists for a sending IP).

The steps are independent lookups, so they run concurrently, each under the
resolver's own per-query timeout and all of them under one overall deadline:
a dead nameserver yields "did not answer" findings in seconds, never a hung
notebook. DMARC waits for DKIM because alignment depends on whether the domain
can sign with its own d=.

The DNS conversation (every query, its outcome and time) becomes the report's
transcript, so a shared report shows exactly what was asked and answered.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from smtpkit.checks.domain.dkim import dkim_step
from smtpkit.checks.domain.dmarc import dmarc_step, with_spf_result
from smtpkit.checks.domain.dnsbl import dnsbl_step
from smtpkit.checks.domain.inbound import InboundCache, inbound_order, inbound_steps
from smtpkit.checks.domain.missing import DOMAIN_STEPS, Absence, does_not_exist, recognise_missing
from smtpkit.checks.domain.mx import mx_step
from smtpkit.checks.domain.parallel import run_all
from smtpkit.checks.domain.parked import recognise_parked
from smtpkit.checks.domain.ptr import ptr_step
from smtpkit.checks.domain.spf import spf_step
from smtpkit.checks.domain.unanswered import recognise_unanswered
from smtpkit.errors import InvalidSettings
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Report, Status, Step, TranscriptLine
from smtpkit.net.dns import Resolver, resolver_for
from smtpkit.progress import Progress, current
from smtpkit.settings import DOMAIN_TIMEOUT
from smtpkit.settings.domain import DomainQuery

DEFAULT_TIMEOUT = DOMAIN_TIMEOUT


def first_steps(query: DomainQuery, resolver: Resolver) -> dict[str, Callable[[], Step]]:
    """The steps that ask DNS first and need nothing else, in the plan's order: the MX and SPF steps.

    Why apart: they are the ones a domain's first questions belong to, so the
    portfolio audit runs them ahead of the domain's turn (`smtpkit.audit.lookahead`:
    a dead domain, or an SPF include that never answers, is then known before
    the domain takes a slot) and hands the Steps they return to the plan.
    """
    return {"mx": lambda: mx_step(query.domain, resolver), "spf": lambda: _spf(query, resolver)}


def _spf(query: DomainQuery, resolver: Resolver) -> Step:
    return spf_step(query.spf_domain, resolver, ip=query.ip, sender=query.mail_from or f"postmaster@{query.domain}")


def _dkim_then_dmarc(
    query: DomainQuery,
    resolver: Resolver,
    deadline: float,
    results: dict[str, Step],
    candidates: Sequence[str] | None = None,
) -> None:
    """DKIM, then DMARC (which needs to know whether the domain can sign); each result is kept as it lands,
    so a DMARC step cut off by the deadline does not take the finished DKIM step down with it."""
    dkim = dkim_step(
        query.domain,
        resolver,
        query.selectors,
        candidates=candidates,
        deadline=max(1.0, deadline - time.monotonic()),
    )
    results["dkim"] = dkim
    usable = dkim.details.get("usable keys", 0)
    results["dmarc"] = dmarc_step(
        query.domain,
        resolver,
        mail_from=query.mail_from,
        dkim_domains=[query.domain] if usable else [],
        deadline=deadline,
    )


#: What each step of a domain check is doing, for the live progress view.
DOING = {
    "mx": "asking for the MX records",
    "spf": "evaluating SPF",
    "dkim": "looking up the DKIM keys",
    "dmarc": "reading the DMARC policy",
    "mta_sts": "fetching the MTA-STS policy",
    "mx_tls": "probing each MX over STARTTLS",
    "dane": "TLSA records and DNSSEC",
    "tlsrpt": "reading the TLS-RPT record",
    "ptr": "reverse DNS of the sending IP",
    "dnsbl": "asking the blocklists",
}


def step_order(query: DomainQuery, *, inbound: bool = True) -> list[str]:
    """The steps a check of `query` reports, in order."""
    return (
        ["mx", "spf", "dkim", "dmarc"]
        + (inbound_order(query) if inbound else [])
        + (["ptr", "dnsbl"] if query.ip else [])
    )


class _Reported(dict[str, Step]):
    """The steps as the jobs deliver them, each announced to whoever watches (`smtpkit.progress`).

    A step of the domain's own records is announced once the mx step has said whether the domain exists:
    for a domain that does not (a typo), "✘ spf: no SPF record", "✘ dmarc: no DMARC record" went by live,
    above a result that said those steps were not checked because the domain does not exist.
    """

    def __init__(self, progress: Progress, domain: str) -> None:
        super().__init__()
        self.progress, self.domain = progress, domain
        self._lock = threading.Lock()
        self._held: list[Step] = []
        self._mx: Step | None = None
        self._said: dict[str, tuple[str, str]] = {}  # step -> (status, summary) as last announced

    def __setitem__(self, name: str, step: Step) -> None:
        super().__setitem__(name, step)
        with self._lock:
            if name == "mx":
                self._mx = step
                ready, self._held = [step, *self._held], []
            elif name in DOMAIN_STEPS and self._mx is None:
                self._held.append(step)
                return
            else:
                ready = [step]
            absent = Absence.of(self.domain, self._mx) if self._mx and does_not_exist({"mx": self._mx}) else None
            for s in ready:
                self._announce(s, absent)

    def flush(self) -> None:
        """Announce what waits for an mx step that never came (it ran out of time)."""
        with self._lock:
            held, self._held = self._held, []
            for s in held:
                self._announce(s, None)

    def correct(self, steps: Iterable[Step]) -> None:
        """Announce again each step that what the steps say together changed (a parked domain's null MX is
        not a failure): the live strip then ends as the result does, and a line says the step's last word."""
        with self._lock:
            for step in steps:
                said = self._said.get(step.name)
                if said is not None and said != (step.status.value, step.summary):
                    self._announce(step, None)

    def _announce(self, step: Step, absent: Absence | None) -> None:
        status, summary = step.status.value, step.summary
        if absent is not None and step.name == "mx":
            status, summary = absent.status.value, absent.why
        elif absent is not None and absent.skips(step):
            status, summary = Status.SKIP.value, absent.skipped
        self._said[step.name] = (status, summary)
        self.progress.finished(step.name, status, summary, step.elapsed_ms)


class DomainPlan:
    """The steps of one domain check as independent jobs, and the Steps they leave behind.

    `check_domain` runs the jobs in daemon threads; the portfolio audit
    (`smtpkit.audit`) runs the same jobs on its own event loop with a shared
    DNS cache. Both read the result through `steps()`, which puts a step that
    missed the deadline in as an "overdue" finding, so both report the same
    findings for the same domain. `candidates` replaces the list of common
    DKIM selectors tried when the query names none (the audit's `selectors`);
    `inbound=False` leaves out the receiving side (MTA-STS, whose policy is
    fetched over HTTPS, TLS-RPT, and the MX STARTTLS probes of `probe_mx`),
    which the audit checks only when asked; `inbound_cache` shares MX probes and
    DNSSEC validators between checks.
    """

    def __init__(
        self,
        query: DomainQuery,
        resolver: Resolver,
        deadline: float,
        *,
        candidates: Sequence[str] | None = None,
        inbound: bool = True,
        inbound_cache: InboundCache | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.query = query
        self.resolver = resolver
        # with a `progress`, each step is announced as it lands (smtpkit.progress: the live strip, the CLI lines)
        self.results: dict[str, Step] = _Reported(progress, query.domain) if progress is not None else {}
        results = self.results
        self.jobs: dict[str, Callable[[], Any]] = {
            name: functools.partial(_into, results, name, step) for name, step in first_steps(query, resolver).items()
        }
        self.jobs["dkim+dmarc"] = lambda: _dkim_then_dmarc(query, resolver, deadline, results, candidates)
        if inbound:
            self.jobs["inbound"] = lambda: inbound_steps(query, resolver, deadline, results, cache=inbound_cache)
        if query.ip:
            self.jobs["ptr"] = lambda: results.__setitem__(
                "ptr", ptr_step(query.ip or "", resolver, domain=query.domain)
            )
            self.jobs["dnsbl"] = lambda: results.__setitem__(
                "dnsbl",
                dnsbl_step(
                    query.ip or "",
                    resolver,
                    query.dnsbl_lists,
                    only_lists=query.only_lists,
                    allow_private=query.allow_private,
                    deadline=deadline,
                ),
            )
        self.order = step_order(query, inbound=inbound)

    def steps(self) -> list[Step]:
        """Every step in report order (one that has not finished is an overdue step), then what the steps
        say together: a domain that does not exist, or that DNS gave no answer for, said once; or a parked
        domain recognised."""
        if isinstance(self.results, _Reported):
            self.results.flush()
        steps = [self.results.get(name) or _overdue(name, self.query) for name in self.order]
        by_name = {step.name: step for step in steps}
        asked = "MX query to " + ", ".join(str(ns) for ns in self.resolver.nameservers)
        # NXDOMAIN: one headline, the rest not checked; or no answer at all: could not check, said once;
        # or null MX + -all + reject: parked
        if not recognise_missing(self.query.domain, by_name, asked):
            if not recognise_unanswered(self.query.domain, by_name, asked):
                recognise_parked(self.query.domain, by_name)
        if "dmarc" in by_name:
            with_spf_result(by_name["dmarc"], by_name.get("spf"), self.query.ip)
        if isinstance(self.results, _Reported):
            self.results.correct(steps)
        return steps


def _into(results: dict[str, Step], name: str, step: Callable[[], Step]) -> None:
    results[name] = step()


def _overdue(name: str, query: DomainQuery) -> Step:
    """The step that did not finish before the overall deadline, as a finding of its own area."""
    why = f"the check did not finish within the overall deadline of {query.timeout:g}s"
    f: Finding
    if name == "mx":
        f = finding("mx.lookup_failed", why, domain=query.domain, status="TIMEOUT", error=why)
    elif name == "dkim":
        sel = query.selectors[0] if query.selectors else "(discovery)"
        f = finding(
            "dkim.key_lookup_failed",
            why,
            selector=sel,
            name=f"{sel}._domainkey.{query.domain}",
            status="TIMEOUT",
            error=why,
        )
    elif name == "dmarc":
        f = finding("dmarc.lookup_failed", why, name=f"_dmarc.{query.domain}", status="TIMEOUT", error=why)
    elif name == "ptr":
        f = finding("ptr.lookup_failed", why, ip=query.ip, name=query.ip, status="TIMEOUT", error=why)
    elif name == "mx_tls":
        step = Step(name=name, status=Status.SKIP, summary=f"{why}: the MX hosts could not all be probed")
        step.elapsed_ms = query.timeout * 1000
        return step
    elif name == "dane":
        tlsa_name = f"_25._tcp (MX hosts of {query.domain})"
        f = finding("dane.lookup_failed", why, mx=query.domain, name=tlsa_name, status="TIMEOUT", error=why)
    elif name == "mta_sts":
        sts_name = f"_mta-sts.{query.domain}"
        f = finding("mta_sts.lookup_failed", why, domain=query.domain, name=sts_name, status="TIMEOUT", error=why)
    elif name == "tlsrpt":
        tls_name = f"_smtp._tls.{query.domain}"
        f = finding("tlsrpt.lookup_failed", why, domain=query.domain, name=tls_name, status="TIMEOUT", error=why)
    elif name == "dnsbl":
        f = finding("dnsbl.lookup_failed", why, ip=query.ip, lists="the blocklists", details=why)
    else:
        f = finding(
            "spf.dns_error",
            why,
            rdtype="TXT",
            name=query.spf_domain,
            status="TIMEOUT",
            status_words="got no answer in time",
        )
    # could not check is never fail: the finding is a warning, and so is the step
    step = Step(name=name, status=Status.WARN, summary=why, elapsed_ms=query.timeout * 1000)
    step.add(f)
    return step


def dns_transcript(resolver: Resolver, first: int) -> list[TranscriptLine]:
    """The resolver's queries from the `first`-th on, as a transcript: each question, then its answer."""
    lines: list[TranscriptLine] = []
    t = 0.0
    for q in resolver.log[first:]:
        answers = "; ".join(q.answers)
        if len(answers) > 300:
            answers = answers[:300] + "…"
        lines.append(
            TranscriptLine(
                t,
                "C",
                f"{q.rdtype} {q.name}? (to {q.nameserver or 'resolver'}{', ' + q.transport if q.transport else ''})",
            )
        )
        lines.append(TranscriptLine(t + q.elapsed_ms, "S", f"{q.status.upper()}" + (f": {answers}" if answers else "")))
        t += q.elapsed_ms
    return lines


def _run_until(jobs: dict[str, Callable[[], Any]], deadline: float) -> None:
    """Run every job at once and wait for them until `deadline` (monotonic), no longer (see `parallel`)."""
    run_all(jobs, deadline, name="smtpkit-domain")


def check_domain(
    domain: str | DomainQuery,
    selectors: str | Iterable[str] | None = (),
    ip: str | None = None,
    resolver: Resolver | None = None,
    *,
    mail_from: str | None = None,
    timeout: float | str = DEFAULT_TIMEOUT,
    dnsbl_lists: Sequence[str] = (),
    only_lists: bool = False,
    allow_private: bool = False,
    nameservers: str | Iterable[str] | None = (),
    cafile: str | None = None,
    mta_sts_port: int | str = 443,
    probe_mx: bool = False,
    mx_port: int | str = 25,
    trust_anchor: str | None = None,
    trust_ad: bool = False,
    inbound_cache: InboundCache | None = None,
    dns_timeout: float | str | None = None,
) -> Report:
    """Check the DNS a domain needs to send mail that arrives: MX, SPF, DKIM, DMARC, and PTR for `ip`.

    With `ip`, the address is also looked up on DNS blocklists (the default
    set plus `dnsbl_lists`, or only those with `only_lists`); a non-public
    address is only looked up with `allow_private` (the practice lab's lists).

    The receiving side is checked too: the MTA-STS record and policy (fetched
    over HTTPS from ``mta-sts.<domain>`` on `mta_sts_port`, verified against
    the system store or `cafile`; private addresses only with
    `allow_private`) and the TLS-RPT record. `nameservers` are used for every
    lookup when no `resolver` is given. With `probe_mx`, every address of every
    MX is probed over STARTTLS on `mx_port` (verified against `cafile` or the
    system store): one table row per address, and each MX certificate judged
    against the MTA-STS policy and the MX's TLSA records. TLSA records (DANE)
    are trusted only when DNSSEC-secure, validated from the root's trust anchor
    or the zone-file DS/DNSKEY records in `trust_anchor`; `trust_ad` trusts the
    resolver's AD bit instead (said so in a finding). Pass one `inbound_cache`
    to share probes and DNSSEC validation between calls (an audit). A
    `resolver` given as-is is used for every lookup;
    `smtpkit.lab.ensure_running().domain_options()` gives all of these for the
    practice lab.

    >>> report = check_domain("example.com", selectors=["google"], ip="192.0.2.10")   # doctest: +SKIP
    >>> report.verdict, report.codes()                                                # doctest: +SKIP

    `domain` may also be a ready `smtpkit.settings.domain.DomainQuery` (what the forms
    and the CLI build; the other settings arguments must then be left out).
    Settings that cannot be used raise `smtpkit.errors.InvalidSettings` (a
    ValueError) naming the field and the fix, like `diagnose` and `check_ports`;
    every DNS outcome, however bad, is a finding instead. Each DNS query is
    bounded by `dns_timeout` (default: a quarter of `timeout`, at most 2 s).
    """
    if isinstance(domain, DomainQuery):
        query = domain  # the UI and CLI validate settings into a DomainQuery first
        loose = [
            bool(selectors),
            ip is not None,
            mail_from is not None,
            timeout != DEFAULT_TIMEOUT,
            bool(dnsbl_lists),
            only_lists,
            allow_private,
            bool(nameservers),
            cafile is not None,
            mta_sts_port != 443,
            probe_mx,
            mx_port != 25,
            trust_anchor is not None,
            trust_ad,
            dns_timeout is not None,
        ]
        if any(loose):
            raise InvalidSettings(
                "check_domain() got a DomainQuery and other settings too: put them all in the DomainQuery"
            )
    else:
        query = DomainQuery(
            domain=domain,
            selectors=selectors,
            ip=ip,
            mail_from=mail_from,
            timeout=timeout,
            dnsbl_lists=dnsbl_lists,
            only_lists=only_lists,
            allow_private=allow_private,
            nameservers=nameservers,
            cafile=cafile,
            mta_sts_port=mta_sts_port,
            probe_mx=probe_mx,
            mx_port=mx_port,
            trust_anchor=trust_anchor,
            trust_ad=trust_ad,
            dns_timeout=dns_timeout,
        )
    if resolver is None:
        resolver = resolver_for(query.nameservers, query.query_timeout)
    resolver = resolver.once()
    first = len(resolver.log)
    deadline = time.monotonic() + query.timeout
    progress = current()
    plan = DomainPlan(query, resolver, deadline, inbound_cache=inbound_cache, progress=progress)
    for name in plan.order:
        progress.started(name, DOING.get(name, name), query.timeout)
    _run_until(plan.jobs, deadline)
    progress.check()  # cancelled: nothing is concluded (smtpkit.errors.Cancelled)
    steps = plan.steps()
    for step in steps:
        if step.name not in plan.results:  # overdue (or not checked): its end is now
            progress.finished(step.name, step.status.value, step.summary, step.elapsed_ms)
    return Report(
        target=query.to_dict(),
        steps=steps,
        transcript=dns_transcript(resolver, first),
        title=f"Mail DNS check for {query.domain}",
    )
