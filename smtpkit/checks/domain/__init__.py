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

import ipaddress
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from smtpkit.checks.domain.dkim import dkim_step
from smtpkit.checks.domain.dmarc import dmarc_step
from smtpkit.checks.domain.dnsbl import dnsbl_step
from smtpkit.checks.domain.inbound import inbound_order, inbound_steps
from smtpkit.checks.domain.mx import mx_step
from smtpkit.checks.domain.parallel import run_all
from smtpkit.checks.domain.ptr import ptr_step
from smtpkit.checks.domain.spf import spf_step
from smtpkit.dmarc.alignment import mail_from_domain
from smtpkit.errors import InvalidSettings
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Report, Status, Step, TranscriptLine
from smtpkit.net.dns import Resolver
from smtpkit.net.mx import MxProbeCache
from smtpkit.settings import without_password

DEFAULT_TIMEOUT = 20.0
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def normalize_domain(text: str, what: str = "domain") -> str:
    """A checked, lower-case, ASCII (IDNA) domain name; ValueError with a plain reason otherwise."""
    raw = (text or "").strip()
    if not raw:
        raise ValueError(f"the {what} is empty: give a domain like example.com")
    if "://" in raw or "@" in raw:
        # a pasted URL may carry user:password@: neither the message nor the suggestion repeats it
        shown = without_password(raw)
        if "://" in raw:
            host = raw.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
            raise ValueError(f"{shown!r} is a URL; give only the domain, e.g. {host}")
        raise ValueError(
            f"{shown!r} looks like an e-mail address; give only the domain part, e.g. {raw.rsplit('@', 1)[1]}"
        )
    name = raw.rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        raise ValueError(f"{raw!r} is not a valid international domain name") from None
    labels = name.split(".")
    if len(labels) < 2:
        raise ValueError(f"{raw!r} is not a full domain name (it needs a dot, like example.com)")
    bad = [lab for lab in labels if not _LABEL.match(lab)]
    if bad:
        raise ValueError(
            f"{raw!r} is not a valid domain name: the part {bad[0]!r} may only hold letters, digits and hyphens "
            "(1-63 characters, not starting or ending with a hyphen)"
        )
    if len(name) > 253:
        raise ValueError(f"{raw!r} is longer than the 253 characters DNS allows")
    return name


def normalize_selector(text: str) -> str:
    """A DKIM selector; accepts a pasted full key name (s1._domainkey.example.com) and keeps the selector."""
    s = (text or "").strip().rstrip(".").lower()
    if "._domainkey" in s:
        s = s.split("._domainkey", 1)[0]
    if s.startswith("s=") or s.startswith("s ="):
        s = s.split("=", 1)[1].strip()
    if not s or any(not _LABEL.match(lab) for lab in s.split(".")):
        raise ValueError(
            f"DKIM selector {text!r} is not valid: use the s= value of a DKIM-Signature, like 'selector1' or 'google'"
        )
    return s


@dataclass(frozen=True)
class DomainQuery:
    """What `check_domain` checks; validated and normalised on creation so every layer can trust it."""

    domain: str
    selectors: tuple[str, ...] = ()
    ip: str | None = None
    mail_from: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    nameservers: tuple[str, ...] = field(default=())
    dnsbl_lists: tuple[str, ...] = ()
    only_lists: bool = False
    allow_private: bool = False
    cafile: str | None = None
    mta_sts_port: int = 443
    probe_mx: bool = False
    mx_port: int = 25

    def __post_init__(self) -> None:
        object.__setattr__(self, "domain", normalize_domain(self.domain))
        given: object = self.selectors  # callers pass one selector as a plain string too
        sels = (given,) if isinstance(given, str) else tuple(self.selectors or ())
        object.__setattr__(self, "selectors", tuple(dict.fromkeys(normalize_selector(s) for s in sels)))
        if self.ip is not None and str(self.ip).strip():
            try:
                object.__setattr__(self, "ip", str(ipaddress.ip_address(str(self.ip).strip().strip("[]"))))
            except ValueError:
                raise ValueError(
                    f"{self.ip!r} is not an IP address; give the address your mail server sends from, like 192.0.2.10"
                    " or 2001:db8::25"
                ) from None
        else:
            object.__setattr__(self, "ip", None)
        if self.mail_from is not None and str(self.mail_from).strip():
            mf = str(self.mail_from).strip().strip("<>")
            if not mail_from_domain(mf):
                raise ValueError(
                    f"MAIL FROM {self.mail_from!r} has no domain; give an address like bounces@example.com"
                )
            dom = normalize_domain(mail_from_domain(mf), "MAIL FROM domain")
            local = mf.rsplit("@", 1)[0] if "@" in mf else "postmaster"
            object.__setattr__(self, "mail_from", f"{local}@{dom}")
        else:
            object.__setattr__(self, "mail_from", None)
        try:
            t = float(self.timeout)
        except (TypeError, ValueError):
            raise ValueError(f"timeout must be a number of seconds, not {self.timeout!r}") from None
        if not 0 < t <= 600:
            raise ValueError("timeout must be between 0 and 600 seconds")
        object.__setattr__(self, "timeout", t)
        object.__setattr__(self, "nameservers", tuple(self.nameservers or ()))
        from smtpkit.dnsbl import choose_lists

        raw: Any = self.dnsbl_lists  # a single zone given as a string is one zone, not its letters
        lists = (raw,) if isinstance(raw, str) else tuple(raw or ())
        zones = tuple(bl.zone for bl in choose_lists(lists, only=True)) if lists else ()
        object.__setattr__(self, "dnsbl_lists", zones)
        if self.only_lists and not self.dnsbl_lists:
            raise InvalidSettings(
                "only_lists needs at least one blocklist zone in dnsbl_lists (--list ZONE)", field="dnsbl_lists"
            )
        object.__setattr__(self, "only_lists", bool(self.only_lists))
        object.__setattr__(self, "allow_private", bool(self.allow_private))
        object.__setattr__(self, "mta_sts_port", _port("mta_sts_port", self.mta_sts_port))
        object.__setattr__(self, "mx_port", _port("mx_port", self.mx_port))
        object.__setattr__(self, "probe_mx", bool(self.probe_mx))
        if self.cafile is not None and not str(self.cafile).strip():
            object.__setattr__(self, "cafile", None)
        if self.cafile is not None:
            from smtpkit.net.tls import TlsOptions, make_context

            try:  # an unusable CA file would make every fetch fail on our side: refuse it now
                make_context(TlsOptions(cafile=str(self.cafile)))
            except ValueError as exc:
                raise InvalidSettings(str(exc), field="cafile") from None
            object.__setattr__(self, "cafile", str(self.cafile))

    @property
    def spf_domain(self) -> str:
        """SPF is checked for the MAIL FROM domain, which is the From domain unless a bounce domain is given."""
        return mail_from_domain(self.mail_from) if self.mail_from else self.domain

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"domain": self.domain}
        if self.selectors:
            out["selectors"] = list(self.selectors)
        if self.ip:
            out["ip"] = self.ip
        if self.mail_from:
            out["mail_from"] = self.mail_from
        if self.nameservers:
            out["nameservers"] = list(self.nameservers)
        if self.dnsbl_lists:
            out["dnsbl_lists"] = list(self.dnsbl_lists)
        if self.only_lists:
            out["only_lists"] = True
        if self.allow_private:
            out["allow_private"] = True
        if self.cafile:
            out["cafile"] = self.cafile
        if self.mta_sts_port != 443:
            out["mta_sts_port"] = self.mta_sts_port
        if self.probe_mx:
            out["probe_mx"] = True
        if self.mx_port != 25:
            out["mx_port"] = self.mx_port
        return out


def _port(name: str, value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise InvalidSettings(f"{name} must be a port number (1-65535), not {value!r}", field=name) from None
    if not 0 < port < 65536 or isinstance(value, bool):
        raise InvalidSettings(f"{name} {value!r} is out of range: use 1-65535", field=name)
    return port


def _spf(query: DomainQuery, resolver: Resolver) -> Step:
    return spf_step(query.spf_domain, resolver, ip=query.ip, sender=query.mail_from or f"postmaster@{query.domain}")


def _dkim_then_dmarc(query: DomainQuery, resolver: Resolver, deadline: float, results: dict[str, Step]) -> None:
    """DKIM, then DMARC (which needs to know whether the domain can sign); each result is kept as it lands,
    so a DMARC step cut off by the deadline does not take the finished DKIM step down with it."""
    dkim = dkim_step(query.domain, resolver, query.selectors, deadline=max(1.0, deadline - time.monotonic()))
    results["dkim"] = dkim
    usable = dkim.details.get("usable keys", 0)
    results["dmarc"] = dmarc_step(
        query.domain,
        resolver,
        mail_from=query.mail_from,
        dkim_domains=[query.domain] if usable else [],
        deadline=deadline,
    )


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
    step = Step(name=name, status=Status.FAIL, summary=why, elapsed_ms=query.timeout * 1000)
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
    selectors: Sequence[str] = (),
    ip: str | None = None,
    resolver: Resolver | None = None,
    *,
    mail_from: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    dnsbl_lists: Sequence[str] = (),
    only_lists: bool = False,
    allow_private: bool = False,
    nameservers: Sequence[str] = (),
    cafile: str | None = None,
    mta_sts_port: int = 443,
    probe_mx: bool = False,
    mx_port: int = 25,
    probe_cache: MxProbeCache | None = None,
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
    against the MTA-STS policy; pass one `probe_cache` to share probes between
    calls. A `resolver` given as-is is used for every lookup; `smtpkit.lab.ensure_running().
    domain_options()` gives all of these for the practice lab.

    >>> report = check_domain("example.com", selectors=["google"], ip="192.0.2.10")   # doctest: +SKIP
    >>> report.verdict, report.codes()                                                # doctest: +SKIP

    `domain` may also be a ready `DomainQuery` (the other arguments are then
    ignored). Raises ValueError for input that is not a domain/IP/address
    (saying which and why); every DNS outcome, however bad, is a finding instead.
    """
    if isinstance(domain, DomainQuery):
        query = domain  # the UI and CLI validate settings into a DomainQuery first
    else:
        query = DomainQuery(
            domain,
            tuple(selectors or ()),
            ip,
            mail_from,
            timeout,
            dnsbl_lists=tuple(dnsbl_lists or ()),
            only_lists=only_lists,
            allow_private=allow_private,
            nameservers=tuple(nameservers or ()),
            cafile=cafile,
            mta_sts_port=mta_sts_port,
            probe_mx=probe_mx,
            mx_port=mx_port,
        )
    if resolver is None:
        try:
            resolver = Resolver(nameservers=list(query.nameservers) or None, timeout=min(2.0, query.timeout / 4))
        except ValueError as exc:
            raise InvalidSettings(str(exc), field="nameservers") from None
    resolver = resolver.once()
    first = len(resolver.log)
    deadline = time.monotonic() + query.timeout
    results: dict[str, Step] = {}
    jobs: dict[str, Callable[[], Any]] = {
        "mx": lambda: results.__setitem__("mx", mx_step(query.domain, resolver)),
        "spf": lambda: results.__setitem__("spf", _spf(query, resolver)),
        "dkim+dmarc": lambda: _dkim_then_dmarc(query, resolver, deadline, results),
        "inbound": lambda: inbound_steps(query, resolver, deadline, results, probe_cache=probe_cache),
    }
    if query.ip:
        jobs["ptr"] = lambda: results.__setitem__("ptr", ptr_step(query.ip or "", resolver, domain=query.domain))
        jobs["dnsbl"] = lambda: results.__setitem__(
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
    _run_until(jobs, deadline)
    order = ["mx", "spf", "dkim", "dmarc", *inbound_order(query)] + (["ptr", "dnsbl"] if query.ip else [])
    steps = [results.get(name) or _overdue(name, query) for name in order]
    return Report(
        target=query.to_dict(),
        steps=steps,
        transcript=dns_transcript(resolver, first),
        title=f"Mail DNS check for {query.domain}",
    )
