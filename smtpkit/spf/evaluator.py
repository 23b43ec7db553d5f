"""RFC 7208 check_host() over a smtpkit `Resolver`, recording a structured trace.

We evaluate SPF ourselves (rather than calling pyspf) because the trace is what
people need: a receiver's "SPF permerror" becomes "the 11th DNS lookup was
`include:mailgun.org` inside `include:_spf.example.com`". Every rule of RFC 7208
is applied here in the order a receiver applies it: record selection (§4.5),
term-by-term evaluation with the 10-lookup and 2-void-lookup limits (§4.6.4),
the 10-name limits of `mx` and `ptr`, include/redirect semantics (§5.2, §6.1),
macros (§7) and the explanation of a fail (§6.2).

Internally permerror and temperror travel as an exception (`_Abort`) because
either ends the whole evaluation wherever it happens, however deep the include
tree; every trace node it passes through records it on the way out.
"""

from __future__ import annotations

import enum
import ipaddress
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smtpkit.net.dns import DnsAnswer, Resolver, reverse_name
from smtpkit.render import Viewable
from smtpkit.spf.macros import MacroContext, MacroSyntaxError, expand, expand_domain
from smtpkit.spf.parser import Record, Term, parse_record, select_records
from smtpkit.spf.trace import DnsQuery, TermTrace, TraceNode

if TYPE_CHECKING:
    from smtpkit.render.panel import Panel

MAX_LOOKUPS = 10
MAX_VOID_LOOKUPS = 2
MAX_NAMES = 10  # names checked for one mx or ptr mechanism (RFC 7208 §4.6.4)
DEFAULT_DEADLINE = 20.0  # seconds; RFC 7208 §4.6.4 asks for at least 20
# Longest explanation we keep. Macros multiply a TXT string (a 5-character %{s} becomes the
# whole sender address), so a hostile exp= could make megabytes; a receiver sends the text in
# one SMTP reply line, whose limit is 512 octets (RFC 5321 §4.5.3.1.5).
MAX_EXPLANATION = 512


class Result(str, enum.Enum):
    """The seven results of RFC 7208 §2.6."""

    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"

    def __str__(self) -> str:
        return self.value


# What each result means to a receiver, in plain words (used for non-fail explanations).
RESULT_MEANING = {
    Result.PASS: "{ip} is authorised to send mail for {domain}.",
    Result.FAIL: "{ip} is not authorised to send mail for {domain}; the domain asks receivers to reject such mail.",
    Result.SOFTFAIL: (
        "{ip} is probably not authorised to send mail for {domain} (~all): receivers accept the mail but treat it as"
        " suspicious, often as spam."
    ),
    Result.NEUTRAL: (
        "{domain}'s SPF record makes no statement about {ip} (neutral): receivers treat it as if there were no SPF."
    ),
    Result.NONE: "{domain} publishes no SPF record, so receivers cannot tell whether {ip} may send its mail.",
    Result.PERMERROR: (
        "{domain}'s SPF record cannot be evaluated ({reason}); receivers treat this as a permanent error, and many"
        " reject or distrust the mail."
    ),
    Result.TEMPERROR: (
        "A DNS problem stopped the SPF check of {domain} ({reason}); receivers usually defer the mail and retry later."
    ),
}

# A result as a status word: what a receiver does with the mail (softfail and neutral are a risk, not a refusal).
RESULT_STATUS = {
    Result.PASS: "pass",
    Result.FAIL: "fail",
    Result.SOFTFAIL: "warn",
    Result.NEUTRAL: "warn",
    Result.NONE: "warn",
    Result.PERMERROR: "fail",
    Result.TEMPERROR: "fail",
}

_QUALIFIER_RESULT = {"+": Result.PASS, "-": Result.FAIL, "~": Result.SOFTFAIL, "?": Result.NEUTRAL}

_TEMP_STATUSES = ("timeout", "servfail", "refused", "error")


class _Abort(Exception):
    """permerror or temperror: ends the whole evaluation."""

    def __init__(self, result: Result, message: str, kind: str, term: str = "", domain: str = "") -> None:
        super().__init__(message)
        self.result = result
        self.message = message
        self.kind = kind
        self.term = term
        self.domain = domain


@dataclass
class _Outcome:
    result: Result
    node: TraceNode
    term: Term | None = None  # the term of this record that decided
    path: list[str] = field(default_factory=list)  # decided terms from here down
    exp: tuple[Term, MacroContext, TermTrace] | None = None  # the exp= that applies to a fail


@dataclass
class SpfResult(Viewable):
    """The outcome of check_host() with its trace.

    `mechanism` is the term of the checked domain's own record that decided
    (e.g. `include:_spf.google.com` or `-all`), `matched_path` the chain of
    deciding terms down the include/redirect tree. `error_kind` names the
    reason of a permerror/temperror: syntax, lookup_limit, void_limit, loop,
    target_missing, too_many_names, dns, deadline, multiple_records.
    """

    result: Result
    explanation: str
    lookups: int
    void_lookups: int
    trace: TraceNode
    mechanism: str | None
    ip: str
    domain: str
    sender: str
    helo: str | None = None
    reason: str = ""
    error_kind: str = ""
    error_term: str = ""
    error_domain: str = ""
    record: str | None = None
    matched_path: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0

    @property
    def passed(self) -> bool:
        return self.result is Result.PASS

    def to_rows(self) -> list[dict[str, Any]]:
        """The trace as flat rows (include/redirect depth shown by indentation)."""
        return self.trace.to_rows()

    def to_frame(self):  # type: ignore[no-untyped-def]
        import pandas as pd

        from smtpkit.spf.trace import TRACE_COLUMNS

        return pd.DataFrame(self.to_rows(), columns=["depth", "domain", *TRACE_COLUMNS])

    def to_dict(self) -> dict[str, Any]:
        return {
            "result": self.result.value,
            "explanation": self.explanation,
            "ip": self.ip,
            "domain": self.domain,
            "sender": self.sender,
            "helo": self.helo,
            "mechanism": self.mechanism,
            "matched_path": list(self.matched_path),
            "lookups": self.lookups,
            "void_lookups": self.void_lookups,
            "reason": self.reason,
            "error_kind": self.error_kind,
            "error_term": self.error_term,
            "error_domain": self.error_domain,
            "record": self.record,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "trace": self.trace.to_dict(),
            "rows": self.to_rows(),
        }

    def panel(self) -> Panel:
        """The result, what it means, the deciding term and the lookups, then the trace (its two views)."""
        from smtpkit.render.panel import Panel

        facts = {
            "result": self.result.value,
            "what it means": self.explanation,
            "deciding term": self.mechanism or "(none)",
            "DNS lookups": f"{self.lookups} of {MAX_LOOKUPS} (void: {self.void_lookups} of {MAX_VOID_LOOKUPS})",
            "record": self.record or "(none)",
        }
        return Panel(
            f"SPF for {self.ip} sending as {self.domain}",
            [("Result", facts), ("Trace (each include indented)", self.to_rows())],
            status=RESULT_STATUS.get(self.result, "fail"),
        )

    def to_html(self) -> str:
        return self.panel().to_html()

    def to_text(self) -> str:
        return self.panel().to_text()


def parse_ip(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The client address, with IPv4-mapped IPv6 treated as IPv4 (RFC 7208 §5)."""
    try:
        text = str(ip).strip()
        if "%" in text:  # a scoped (link-local) address never reaches a mail server's SPF check
            raise ValueError(text)
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"{ip!r} is not an IP address (give the sending server's IPv4 or IPv6 address)") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def domain_problem(domain: str) -> str | None:
    """Why `domain` cannot be an SPF domain (RFC 7208 §4.3), or None."""
    d = domain[:-1] if domain.endswith(".") else domain
    if not d:
        return "the domain is empty"
    if d.startswith("["):
        return "it is an address literal, not a domain name"
    labels = d.split(".")
    if len(labels) < 2:
        return "it is not a fully qualified (multi-label) domain name"
    for label in labels:
        if not label:
            return "it contains an empty label (two dots in a row)"
        if len(label) > 63:
            return f"the label '{label[:20]}…' is longer than 63 characters"
    if len(d) > 253:
        return "it is longer than 253 characters"
    return None


def _name_problem(name: str) -> str | None:
    """Why an expanded target name cannot be queried (it is then treated as non-existent)."""
    if not name:
        return "the name is empty"
    for label in name.split("."):
        if not label:
            return "it contains an empty label"
        if len(label) > 63:
            return "a label is longer than 63 characters"
    if len(name) > 253:
        return "it is longer than 253 characters"
    return None


class _Evaluation:
    def __init__(
        self,
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
        resolver: Resolver,
        deadline: float,
    ) -> None:
        self.ip = ip
        self.resolver = resolver
        self.deadline = deadline
        self.lookups = 0
        self.void = 0
        self.queries: list[DnsQuery] = []
        self._sink: list[DnsQuery] | None = None
        self.addr_type = "A" if ip.version == 4 else "AAAA"

    # -- DNS ------------------------------------------------------------------
    def query(self, name: str, rdtype: str) -> tuple[DnsQuery, DnsAnswer | None]:
        if time.monotonic() > self.deadline:
            raise _Abort(Result.TEMPERROR, "the SPF evaluation ran out of time (overall deadline)", "deadline")
        problem = _name_problem(name)
        if problem:
            q = DnsQuery(name, rdtype, "invalid", error=f"not queried: {problem}; treated as non-existent")
            self._keep(q)
            return q, None
        ans = self.resolver.resolve(name, rdtype)
        q = DnsQuery(name, rdtype, ans.status, list(ans.texts), ans.elapsed_ms, ans.error)
        self._keep(q)
        return q, ans

    def _keep(self, q: DnsQuery) -> None:
        self.queries.append(q)
        if self._sink is not None:
            self._sink.append(q)

    def count_lookup(self, tt: TermTrace) -> None:
        self.lookups += 1
        tt.counted_lookup = True
        tt.lookups = self.lookups
        if self.lookups > MAX_LOOKUPS:
            raise _Abort(
                Result.PERMERROR,
                f"'{tt.term}' would be DNS lookup number {self.lookups}; SPF allows at most {MAX_LOOKUPS}",
                "lookup_limit",
                tt.term,
            )

    def count_void(self, tt: TermTrace, q: DnsQuery) -> None:
        self.void += 1
        tt.void_lookups = self.void
        if self.void > MAX_VOID_LOOKUPS:
            raise _Abort(
                Result.PERMERROR,
                f"'{tt.term}' is void lookup number {self.void} ({q.name} {q.status}); SPF allows at most"
                f" {MAX_VOID_LOOKUPS}",
                "void_limit",
                tt.term,
            )

    def temperror(self, tt: TermTrace, q: DnsQuery) -> _Abort:
        return _Abort(
            Result.TEMPERROR, f"DNS {q.rdtype} lookup of {q.name} failed: {q.status} {q.error}".strip(), "dns", tt.term
        )

    def addresses(self, name: str, tt: TermTrace, *, for_ptr: bool = False) -> list[str] | None:
        """A/AAAA of `name` (by the client's family); None when void/invalid; temperror on DNS errors."""
        q, ans = self.query(name, self.addr_type)
        if ans is None or q.status in ("nxdomain", "nodata"):
            return None
        if q.status in _TEMP_STATUSES:
            if for_ptr:
                return None
            raise self.temperror(tt, q)
        return [r.to_text() for r in ans.records]

    def ip_in(self, addresses: list[str], cidr: int | None) -> bool:
        prefix = cidr if cidr is not None else (32 if self.ip.version == 4 else 128)
        for text in addresses:
            try:
                net = ipaddress.ip_network(f"{text}/{prefix}", strict=False)
            except ValueError:
                continue
            if net.version == self.ip.version and self.ip in net:
                return True
        return False

    def validated_names(self, tt: TermTrace, want: str | None = None) -> tuple[DnsQuery, list[str], list[str]]:
        """The PTR query, the client's PTR names (at most 10) and those a forward lookup confirms.

        With `want`, only names equal to or under `want` are forward-checked (the ptr
        mechanism needs no others). DNS errors here never give temperror (RFC 7208 §5.5).
        """
        q, ans = self.query(reverse_name(str(self.ip)), "PTR")
        if ans is None or q.status != "ok":
            return q, [], []
        names = [r.target.to_text().rstrip(".") for r in ans.records][:MAX_NAMES]
        if want is not None:
            w = want.lower().rstrip(".")
            candidates = [n for n in names if n.lower() == w or n.lower().endswith("." + w)]
        else:
            candidates = names
        validated = [
            n for n in candidates if (addrs := self.addresses(n, tt, for_ptr=True)) and self.ip_in(addrs, None)
        ]
        return q, names, validated

    def p_macro(self, domain: str) -> str:
        """RFC 7208 §7.3 `p`: a validated name, preferring the domain itself, then a subdomain."""
        tt = TermTrace("%{p}", "macro", "p")
        _q, _names, validated = self.validated_names(tt)
        d = domain.lower()
        for pick in (
            [n for n in validated if n.lower() == d],
            [n for n in validated if n.lower().endswith("." + d)],
            validated,
        ):
            if pick:
                return pick[0]
        return "unknown"

    # -- check_host -----------------------------------------------------------
    def check_host(self, domain: str, ctx: MacroContext, via: str, depth: int, stack: tuple[str, ...]) -> _Outcome:
        node = TraceNode(domain=domain, via=via, depth=depth)
        try:
            return self._check_host(node, domain, ctx, stack)
        except _Abort as exc:
            node.result = exc.result.value
            if not exc.domain:
                exc.domain = domain
            if not node.reason:
                node.reason = exc.message
            exc.node = node  # type: ignore[attr-defined]
            raise

    def _check_host(self, node: TraceNode, domain: str, ctx: MacroContext, stack: tuple[str, ...]) -> _Outcome:
        problem = domain_problem(domain)
        if problem:
            node.result = Result.NONE.value
            node.reason = f"'{domain}' is not a domain SPF can check: {problem}"
            return _Outcome(Result.NONE, node)
        self._sink = node.record_queries
        q, ans = self.query(domain, "TXT")
        self._sink = None
        if q.status in _TEMP_STATUSES:
            raise _Abort(Result.TEMPERROR, f"the TXT lookup of {domain} failed ({q.status})", "dns", domain=domain)
        if ans is None or q.status != "ok":
            node.result = Result.NONE.value
            node.reason = f"{domain} has no TXT records ({q.status})"
            return _Outcome(Result.NONE, node)
        sel = select_records(q.answers)
        if not sel.records:
            node.result = Result.NONE.value
            node.reason = f"{domain} has TXT records but none starts with v=spf1"
            return _Outcome(Result.NONE, node)
        if len(sel.records) > 1:
            raise _Abort(
                Result.PERMERROR,
                f"{domain} publishes {len(sel.records)} SPF records; there must be exactly one",
                "multiple_records",
                domain=domain,
            )
        text = sel.records[0]
        node.record = text
        record = parse_record(text)
        node.terms = [TermTrace(t.text, t.kind, t.name, t.position) for t in record.terms]
        if record.errors:
            err = record.errors[0]
            node.terms.insert(
                0,
                TermTrace(
                    err.term,
                    "error",
                    "syntax",
                    err.position,
                    matched=None,
                    result="permerror",
                    note=err.message,
                    evaluated=True,
                ),
            )
            raise _Abort(
                Result.PERMERROR,
                f"syntax error in {domain}'s record at '{err.term}': {err.message}",
                "syntax",
                err.term,
                domain,
            )
        return self._evaluate(node, record, domain, ctx, stack)

    def _evaluate(
        self, node: TraceNode, record: Record, domain: str, ctx: MacroContext, stack: tuple[str, ...]
    ) -> _Outcome:
        traces = dict(zip((id(t) for t in record.terms), node.terms, strict=True))
        exp_term = record.exp
        exp_info = (exp_term, ctx, traces[id(exp_term)]) if exp_term is not None else None
        if exp_term is not None:
            traces[id(exp_term)].note = "used only when the result is fail"
        for term in record.terms:
            tt = traces[id(term)]
            if term.kind == "modifier":
                if term.name not in ("redirect", "exp"):
                    tt.note = "unknown modifier: ignored"
                continue
            tt.lookups = self.lookups
            tt.void_lookups = self.void
            tt.evaluated = True
            self._sink = tt.queries
            try:
                matched, child = self._mechanism(term, tt, domain, ctx, node.depth, stack)
            except _Abort as exc:
                tt.result = exc.result.value
                tt.note = tt.note or exc.message
                if not exc.term:
                    exc.term = term.text
                raise
            finally:
                self._sink = None
            tt.matched = matched
            tt.lookups = self.lookups
            tt.void_lookups = self.void
            if child is not None:
                tt.child = child.node
            if matched:
                result = _QUALIFIER_RESULT[term.qualifier]
                tt.result = result.value
                node.result = result.value
                path = [term.text] + (child.path if child is not None else [])
                self._mark_rest(record, traces, term)
                return _Outcome(result, node, term, path, exp_info if result is Result.FAIL else None)
        redirect = record.redirect
        if redirect is not None:
            tt = traces[id(redirect)]
            tt.void_lookups = self.void
            tt.evaluated = True
            try:
                self.count_lookup(tt)
                target = expand_domain(redirect.domain_spec or "", ctx)
                tt.target = target
                problem = _name_problem(target)
                if problem or domain_problem(target):
                    raise _Abort(
                        Result.PERMERROR,
                        f"redirect target '{target}' is not a valid domain ({problem or domain_problem(target)})",
                        "target_missing",
                        redirect.text,
                    )
                if target.lower() in stack:
                    raise _Abort(
                        Result.PERMERROR, f"redirect loop: {' -> '.join(stack)} -> {target}", "loop", redirect.text
                    )
                sub = self.check_host(
                    target, ctx.with_domain(target), "redirect", node.depth + 1, (*stack, target.lower())
                )
            except _Abort as exc:
                tt.result = exc.result.value
                tt.note = tt.note or exc.message
                if getattr(exc, "node", None) is not None and tt.child is None and exc.node is not node:  # type: ignore[attr-defined]
                    tt.child = exc.node  # type: ignore[attr-defined]
                if not exc.term:
                    exc.term = redirect.text
                raise
            tt.child = sub.node
            if sub.result is Result.NONE:
                tt.result = Result.PERMERROR.value
                tt.note = f"{target} has no SPF record, so the redirect is a permanent error"
                raise _Abort(
                    Result.PERMERROR, f"redirect={target}: {target} has no SPF record", "target_missing", redirect.text
                )
            tt.matched = True
            tt.result = sub.result.value
            tt.note = "no mechanism matched, so the redirected record decides"
            node.result = sub.result.value
            return _Outcome(sub.result, node, redirect, [redirect.text, *sub.path], sub.exp)
        node.result = Result.NEUTRAL.value
        node.reason = "no mechanism matched and there is no redirect: the default result is neutral"
        return _Outcome(Result.NEUTRAL, node, None, [], None)

    @staticmethod
    def _mark_rest(record: Record, traces: dict[int, TermTrace], decided: Term) -> None:
        after = False
        for term in record.terms:
            if term is decided:
                after = True
                continue
            if after and term.kind == "mechanism":
                traces[id(term)].note = "not evaluated (an earlier term matched)"
            if term.kind == "modifier" and term.name == "redirect":
                traces[id(term)].note = "not used (a mechanism matched)"

    def _target(self, term: Term, ctx: MacroContext, domain: str, tt: TermTrace) -> str:
        if term.domain_spec is None:
            tt.target = domain
            return domain
        target = expand_domain(term.domain_spec, ctx)
        tt.target = target
        return target

    def _mechanism(
        self, term: Term, tt: TermTrace, domain: str, ctx: MacroContext, depth: int, stack: tuple[str, ...]
    ) -> tuple[bool, _Outcome | None]:
        name = term.name
        if name == "all":
            tt.note = "matches every address"
            return True, None
        if name in ("ip4", "ip6"):
            net = term.network
            assert net is not None
            if net.version != self.ip.version:
                tt.note = f"the client is IPv{self.ip.version}; {name} only matches IPv{net.version}"
                return False, None
            matched = self.ip in net
            tt.note = f"{self.ip} is {'inside' if matched else 'outside'} {net}"
            return matched, None
        self.count_lookup(tt)
        target = self._target(term, ctx, domain, tt)
        if name == "a":
            q, ans = self.query(target, self.addr_type)
            return self._address_match(tt, q, ans, term), None
        if name == "mx":
            q, ans = self.query(target, "MX")
            if ans is None or q.status in ("nxdomain", "nodata"):
                if ans is not None:
                    self.count_void(tt, q)
                tt.note = f"{target} has no MX records"
                return False, None
            if q.status in _TEMP_STATUSES:
                raise self.temperror(tt, q)
            mxs = sorted(ans.records, key=lambda r: (r.preference, r.exchange.to_text().lower()))  # shuffled answers
            if len(mxs) > MAX_NAMES:
                raise _Abort(
                    Result.PERMERROR,
                    f"{target} has {len(mxs)} MX records; the mx mechanism may look at most {MAX_NAMES}",
                    "too_many_names",
                    term.text,
                )
            cidr = term.cidr4 if self.ip.version == 4 else term.cidr6
            for mx in mxs:
                host = mx.exchange.to_text().rstrip(".")
                if not host:
                    continue  # null MX (RFC 7505): no mail host
                addrs = self.addresses(host, tt)
                if addrs and self.ip_in(addrs, cidr):
                    tt.note = f"{self.ip} is an address of MX host {host}" + (f" (/{cidr})" if cidr is not None else "")
                    return True, None
            tt.note = f"{self.ip} is not an address of any MX host of {target}"
            return False, None
        if name == "ptr":
            pq, names, validated = self.validated_names(tt, want=target)
            if pq.status in ("nxdomain", "nodata"):
                self.count_void(tt, pq)
            if validated:
                tt.note = f"{self.ip} has the confirmed host name {validated[0]}, which is within {target}"
                return True, None
            tt.note = f"no confirmed host name of {self.ip} is within {target}" + (
                f" (PTR: {', '.join(names)})" if names else ""
            )
            return False, None
        if name == "exists":
            q, ans = self.query(target, "A")
            if ans is None or q.status in ("nxdomain", "nodata"):
                if ans is not None:
                    self.count_void(tt, q)
                tt.note = f"{target} does not exist"
                return False, None
            if q.status in _TEMP_STATUSES:
                raise self.temperror(tt, q)
            tt.note = f"{target} exists"
            return True, None
        if name == "include":
            if _name_problem(target) or domain_problem(target):
                raise _Abort(
                    Result.PERMERROR,
                    f"include target '{target}' is not a valid domain"
                    f" ({_name_problem(target) or domain_problem(target)})",
                    "target_missing",
                    term.text,
                )
            if target.lower() in stack:
                raise _Abort(Result.PERMERROR, f"include loop: {' -> '.join(stack)} -> {target}", "loop", term.text)
            self._sink = None
            try:
                sub = self.check_host(target, ctx.with_domain(target), "include", depth + 1, (*stack, target.lower()))
            except _Abort as exc:
                child = getattr(exc, "node", None)
                if child is not None and tt.child is None:
                    tt.child = child
                raise
            if sub.result is Result.NONE:
                tt.child = sub.node
                raise _Abort(
                    Result.PERMERROR,
                    f"include:{target} points to a domain without an SPF record",
                    "target_missing",
                    term.text,
                )
            matched = sub.result is Result.PASS
            tt.note = f"{target} gives {sub.result.value}: " + (
                "the include matches" if matched else "the include does not match"
            )
            return matched, sub
        raise AssertionError(name)  # pragma: no cover

    def _address_match(self, tt: TermTrace, q: DnsQuery, ans: DnsAnswer | None, term: Term) -> bool:
        if ans is None or q.status in ("nxdomain", "nodata"):
            if ans is not None:
                self.count_void(tt, q)
            tt.note = f"{q.name} has no {q.rdtype} records"
            return False
        if q.status in _TEMP_STATUSES:
            raise self.temperror(tt, q)
        cidr = term.cidr4 if self.ip.version == 4 else term.cidr6
        matched = self.ip_in(q.answers, cidr)
        suffix = f" (compared as /{cidr})" if cidr is not None else ""
        tt.note = f"{self.ip} is {'one' if matched else 'not one'} of the {q.rdtype} addresses of {q.name}{suffix}"
        return matched

    # -- explanation ----------------------------------------------------------
    def explanation(self, exp: tuple[Term, MacroContext, TermTrace] | None) -> str | None:
        """Expand the exp= of the deciding record (RFC 7208 §6.2); None when it cannot be used."""
        if exp is None:
            return None
        term, ctx, tt = exp
        tt.evaluated = True
        self._sink = tt.queries
        try:
            name = expand_domain(term.domain_spec or "", ctx)
            tt.target = name
            q, ans = self.query(name, "TXT")
        except _Abort:
            return None
        finally:
            self._sink = None
        if ans is None or q.status != "ok" or len(q.answers) != 1:
            tt.note = f"exp= ignored: {name} gave {q.status} with {len(q.answers)} TXT records (exactly one is needed)"
            return None
        try:
            # expanded up to the cap and no further: a 60 KB text of %{l} with a 120 KB sender is 1.8 GB in full
            text = expand(q.answers[0], ctx, explanation=True, limit=MAX_EXPLANATION + 1)
        except MacroSyntaxError as exc:
            tt.note = f"exp= ignored: the explanation text is malformed ({exc.message})"
            return None
        except _Abort:
            return None
        tt.note = "explanation used for the fail result"
        if len(text) > MAX_EXPLANATION:
            tt.note += f" (cut to {MAX_EXPLANATION} characters, the length of one SMTP reply line)"
            text = text[: MAX_EXPLANATION - 1] + "…"
        return text


def check_host(
    ip: str,
    domain: str,
    sender: str,
    helo: str | None = None,
    resolver: Resolver | None = None,
    default_explanation: str | None = None,
    *,
    receiver: str = "unknown",
    deadline: float = DEFAULT_DEADLINE,
) -> SpfResult:
    """Evaluate SPF for `ip` sending as `sender` on behalf of `domain` (RFC 7208 §4).

    `sender` is the MAIL FROM address; an empty one (or one without a
    local-part) stands for postmaster@domain, as the RFC says. The explanation
    of a fail is the domain's exp= text when it has a usable one, else
    `default_explanation`, else ours; for other results it is a plain sentence
    about what the result means. Raises ValueError only for an `ip` that is not
    an IP address; every DNS or record problem is a result.
    """
    started = time.monotonic()
    addr = parse_ip(ip)
    domain = domain.strip()
    if domain.endswith(".") and len(domain) > 1:
        domain = domain[:-1]
    local, at, sdom = (sender or "").strip().rpartition("@")
    if not at:
        sdom, local = (sender or "").strip(), ""
    full_sender = f"{local or 'postmaster'}@{sdom or domain}"
    resolver = resolver or Resolver()
    ev = _Evaluation(addr, resolver, started + deadline)
    ctx = MacroContext(
        ip=addr, sender=full_sender, domain=domain, helo=helo or "", receiver=receiver, validated_name=ev.p_macro
    )
    reason = kind = err_term = err_domain = ""
    mechanism: str | None = None
    path: list[str] = []
    exp_info = None
    try:
        outcome = ev.check_host(domain, ctx, "check_host", 0, (domain.lower(),))
        result, trace = outcome.result, outcome.node
        mechanism = outcome.term.text if outcome.term is not None else None
        path = outcome.path
        exp_info = outcome.exp
        if result is Result.NONE:
            reason = trace.reason
    except _Abort as exc:
        result = exc.result
        trace = exc.node  # type: ignore[attr-defined]
        reason, kind, err_term, err_domain = exc.message, exc.kind, exc.term, exc.domain
    explanation: str | None = None
    if result is Result.FAIL:
        explanation = ev.explanation(exp_info)
        if explanation is None:
            explanation = (
                default_explanation
                if default_explanation is not None
                else RESULT_MEANING[Result.FAIL].format(ip=addr, domain=domain, reason=reason)
            )
    else:
        explanation = RESULT_MEANING[result].format(ip=addr, domain=domain, reason=reason or "unknown reason")
    return SpfResult(
        result=result,
        explanation=explanation,
        lookups=ev.lookups,
        void_lookups=ev.void,
        trace=trace,
        mechanism=mechanism,
        ip=str(addr),
        domain=domain,
        sender=full_sender,
        helo=helo,
        reason=reason,
        error_kind=kind,
        error_term=err_term,
        error_domain=err_domain,
        record=trace.record,
        matched_path=path,
        elapsed_ms=(time.monotonic() - started) * 1000.0,
    )


def check_identity(
    ip: str,
    mail_from: str,
    helo: str,
    resolver: Resolver | None = None,
    default_explanation: str | None = None,
    **kwargs: Any,
) -> SpfResult:
    """What a receiver does at MAIL FROM: check the envelope sender's domain, or the HELO name
    (as postmaster@helo) when the envelope sender is empty (a bounce), RFC 7208 §2.4."""
    mail_from = (mail_from or "").strip()
    if mail_from.startswith("<") and mail_from.endswith(">"):
        mail_from = mail_from[1:-1]
    if mail_from:
        _local, at, dom = mail_from.rpartition("@")
        domain = dom if at else mail_from
        return check_host(ip, domain, mail_from, helo, resolver, default_explanation, **kwargs)
    return check_host(ip, helo, f"postmaster@{helo}", helo, resolver, default_explanation, **kwargs)
