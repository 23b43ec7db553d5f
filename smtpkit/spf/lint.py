"""What receivers will hold against a published SPF record, with paste-able fixes.

Evaluation (`check_host`) answers "does this IP pass?"; lint answers "is this
record healthy for every IP?". It walks the whole include/redirect tree the way
a receiver would for an address that matches nothing (the worst case, which is
where the 10-lookup limit bites), notes every name that does not exist, every
loop and every include of a domain without SPF, and the addresses each branch
stands for so that a fix can flatten the heaviest include.

`analyze()` does the DNS (through a smtpkit `Resolver`); `lint_problems()` is
pure: analysis (+ an optional evaluation for a sending IP) -> the problems, as
facts, each with the corrected record. The words (the findings) are built from
them in `smtpkit.checks.domain.spf`, like DKIM's and DMARC's.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from smtpkit.net.dns import Resolver
from smtpkit.spf.evaluator import Result, SpfResult, domain_problem
from smtpkit.spf.explain import provider_of
from smtpkit.spf.parser import Record, Term, is_spf_record, parse_record

MAX_NODES = 40  # records fetched in one analysis: bounded work for hostile trees
MAX_DEPTH = 12
# DNS queries and seconds one analysis may spend. MAX_NODES alone does not bound the work:
# one record can hold thousands of `mx:` terms, each worth 21 queries (MX + 10 hosts x A/AAAA),
# and each query against a silent server costs a whole resolver lifetime. The worst record a
# receiver can still evaluate (10 mx terms) needs about 230 queries.
MAX_QUERIES = 400
ANALYSIS_DEADLINE = 20.0
_TAIL_QUERIES = 24  # SPF + A + AAAA + MX + 10 MX hosts x A/AAAA, after the walk
TRUNCATED_NOTE = (
    "not analysed: the analysis stopped after {queries} DNS queries / {seconds:g} s (a record tree this large is broken"
    " anyway)"
)
TOO_LONG = 450  # characters; RFC 7208 §3.4 asks to keep answers within 512-byte UDP
MAX_FLATTEN = 16  # networks we are willing to paste in place of an include

# MX host suffix -> the include that provider documents (for a first SPF record).
_MX_PROVIDERS = {
    "google.com": "include:_spf.google.com",
    "googlemail.com": "include:_spf.google.com",
    "mail.protection.outlook.com": "include:spf.protection.outlook.com",
    "zoho.com": "include:zoho.com",
    "zoho.eu": "include:zoho.eu",
    "protonmail.ch": "include:_spf.protonmail.ch",
    "messagingengine.com": "include:spf.messagingengine.com",
    "mx.cloudflare.net": "include:_spf.mx.cloudflare.net",
    "secureserver.net": "include:secureserver.net",
    "emailsrvr.com": "include:emailsrvr.com",
}


@dataclass
class VoidName:
    domain: str  # whose record has the term
    term: str
    name: str
    status: str


@dataclass
class Node:
    """One record in the include/redirect tree, as seen statically."""

    domain: str
    via: str  # check_host / include / redirect
    term: str = ""  # the term that led here
    depth: int = 0
    status: str = ""  # of the TXT lookup
    records: list[str] = field(default_factory=list)  # every v=spf1 string found
    parsed: Record | None = None
    own_lookups: int = 0
    total_lookups: int = 0
    children: list[Node] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)  # what this branch authorises, as ip4:/ip6: terms
    flattenable: bool = True
    note: str = ""
    term_costs: list[tuple[str, int]] = field(default_factory=list)  # (term, lookups incl. its subtree)

    @property
    def record(self) -> str | None:
        return self.records[0] if len(self.records) == 1 else None

    def walk(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass
class SpfAnalysis:
    """Everything lint found out about a domain's SPF, with the DNS behind it."""

    domain: str
    txt_status: str = ""
    txt_records: list[str] = field(default_factory=list)
    spf_records: list[str] = field(default_factory=list)
    spf99_records: list[str] = field(default_factory=list)
    root: Node | None = None
    voids: list[VoidName] = field(default_factory=list)
    loops: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (domain, term, chain)
    missing_targets: list[tuple[str, str, str, str]] = field(default_factory=list)  # (domain, term, target, status)
    too_many_mx: list[tuple[str, str, str, int]] = field(default_factory=list)  # (domain, term, target, count)
    dns_errors: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, status)
    domain_addresses: list[str] = field(default_factory=list)
    mx_hosts: list[str] = field(default_factory=list)
    mx_addresses: list[str] = field(default_factory=list)
    truncated: bool = False
    queries: int = 0  # DNS queries the analysis made

    @property
    def record(self) -> str | None:
        return self.spf_records[0] if len(self.spf_records) == 1 else None

    @property
    def parsed(self) -> Record | None:
        return self.root.parsed if self.root is not None else None

    @property
    def lookups(self) -> int:
        return self.root.total_lookups if self.root is not None else 0

    def include_rows(self) -> list[dict[str, Any]]:
        """Lookups per term of the domain's own record (the 'lookups per include' table)."""
        if self.root is None:
            return []
        rows = []
        running = 0
        for term, cost in self.root.term_costs:
            if not cost:
                continue
            running += cost
            target = term.split(":", 1)[1] if ":" in term else (term.split("=", 1)[1] if "=" in term else "")
            rows.append(
                {
                    "term": term,
                    "lookups": cost,
                    "running total": running,
                    "provider": provider_of(target) or "" if target else "",
                    "over limit": running > 10,
                }
            )
        return rows

    def include_tree_rows(self) -> list[dict[str, Any]]:
        """Every term that costs DNS lookups, nested as a receiver spends them (the 'include tree' table).

        One row per term of the domain's record (level 0) and, under each
        include or redirect, the terms of the record it names (level 1, ...):
        the term, whose record it is in, the lookups it costs with everything
        below it, and the running total at its end, so a reader (and the
        include-tree picture) sees which branch goes past the limit of 10.
        """
        rows: list[dict[str, Any]] = []

        def visit(node: Node, level: int, spent: int) -> None:
            children = list(node.children)
            for term, cost in node.term_costs:
                if not cost:
                    continue
                rows.append(
                    {
                        "level": level,
                        "term": term,
                        "record of": node.domain,
                        "lookups": cost,
                        "lookups so far": spent + cost,
                        "over the limit": spent + cost > 10,
                    }
                )
                child = next((c for c in children if c.term == term), None)
                if child is not None:
                    children.remove(child)
                    visit(child, level + 1, spent + 1)  # the include itself is one lookup; its record's follow
                spent += cost

        if self.root is not None:
            visit(self.root, 0, 0)
        return rows

    def tree_rows(self) -> list[dict[str, Any]]:
        """The static include/redirect tree as rows (the trace when no sending IP is given)."""
        rows: list[dict[str, Any]] = []
        if self.root is None:
            return rows
        for node in self.root.walk():
            indent = "  " * node.depth
            rows.append(
                {
                    "term": f"{indent}[{node.via}] {node.domain}",
                    "record": (
                        node.record
                        or (f"({len(node.records)} records)" if node.records else f"(no SPF: {node.status})")
                    ),
                    "lookups": node.total_lookups,
                    "note": node.note,
                }
            )
        return rows


# -- DNS walk -------------------------------------------------------------------------


class _OutOfBudget(Exception):
    """The analysis has spent its DNS queries or its time (see MAX_QUERIES)."""


class _Walker:
    def __init__(self, resolver: Resolver, an: SpfAnalysis, deadline: float | None = None) -> None:
        self.r = resolver
        self.an = an
        self.nodes = 0
        self.queries = 0
        self.started = time.monotonic()
        self.deadline = deadline if deadline is not None else self.started + ANALYSIS_DEADLINE

    @property
    def truncated_note(self) -> str:
        return TRUNCATED_NOTE.format(queries=self.queries, seconds=round(time.monotonic() - self.started, 1))

    def spend(self, extra: int = 0) -> None:
        """Count one query, or raise _OutOfBudget (and mark the analysis truncated) when none is left.

        `extra` lets the few queries after the walk (the domain's own A/AAAA/MX, which
        the fixes point at) run even when the tree used up the walk's share.
        """
        if self.queries >= MAX_QUERIES + extra or time.monotonic() >= self.deadline:
            self.an.truncated = True
            raise _OutOfBudget
        self.queries += 1

    def _q(self, name: str, rdtype: str):  # type: ignore[no-untyped-def]
        self.spend()
        ans = self.r.resolve(name, rdtype)
        if ans.failed:
            self.an.dns_errors.append((name, rdtype, ans.status))
        return ans

    def node(self, domain: str, via: str, term: str, depth: int, stack: tuple[str, ...]) -> Node:
        node = Node(domain=domain, via=via, term=term, depth=depth)
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            self.an.truncated = True
            node.note = "not followed: the tree is too large to analyse further"
            node.flattenable = False
            return node
        try:
            ans = self._q(domain, "TXT")
        except _OutOfBudget:
            node.note = self.truncated_note
            node.flattenable = False
            return node
        node.status = ans.status
        if depth == 0:
            self.an.txt_status = ans.status
            self.an.txt_records = list(ans.texts)
        node.records = [t for t in ans.texts if is_spf_record(t)]
        if len(node.records) != 1:
            node.flattenable = False
            return node
        parsed = parse_record(node.records[0])
        node.parsed = parsed
        if not parsed.ok:
            node.flattenable = False
            node.note = "syntax error"
            return node
        has_all = parsed.all_term is not None
        for t in parsed.terms:
            if t.kind == "modifier" and (t.name != "redirect" or has_all):
                continue
            try:
                cost = self.term(node, t, stack)
            except _OutOfBudget:  # count the term as a receiver would, without asking DNS
                node.flattenable = False
                node.note = node.note or self.truncated_note
                cost = 1 if t.counts_lookup else 0
            if t.counts_lookup:
                node.own_lookups += 1
            node.term_costs.append((t.text, cost))
        node.total_lookups = sum(c for _t, c in node.term_costs)
        return node

    def term(self, node: Node, t: Term, stack: tuple[str, ...]) -> int:
        """Analyse one term; return the lookups it costs including its subtree."""
        if t.name in ("ip4", "ip6"):
            if t.qualifier in ("+",):
                node.networks.append(f"{t.name}:{t.network}" if t.network is not None else t.text)
            return 0
        if t.name == "all":
            return 0
        if t.has_macros:
            node.flattenable = False
            return 1
        target = (t.domain_spec or node.domain).rstrip(".")
        if t.qualifier != "+" and t.name not in ("include",):
            node.flattenable = False
        if t.name == "a":
            addrs = []
            void = True
            for rdtype, cidr, fam in (("A", t.cidr4, "ip4"), ("AAAA", t.cidr6, "ip6")):
                ans = self._q(target, rdtype)
                if ans.ok:
                    void = False
                    addrs += [f"{fam}:{a}" + (f"/{cidr}" if cidr is not None else "") for a in ans.texts]
                elif ans.failed:
                    void = False
            if void:
                self.an.voids.append(VoidName(node.domain, t.text, target, "no A/AAAA records"))
            node.networks += addrs
            return 1
        if t.name == "mx":
            ans = self._q(target, "MX")
            if ans.void:
                self.an.voids.append(VoidName(node.domain, t.text, target, ans.status))
                return 1
            if not ans.ok:
                node.flattenable = False
                return 1
            ranked = sorted(ans.records, key=lambda r: (r.preference, r.exchange.to_text().lower()))
            hosts = [r.exchange.to_text().rstrip(".") for r in ranked]
            if len(hosts) > 10:
                self.an.too_many_mx.append((node.domain, t.text, target, len(hosts)))
                node.flattenable = False
            for host in [h for h in hosts if h][:10]:
                for rdtype, cidr, fam in (("A", t.cidr4, "ip4"), ("AAAA", t.cidr6, "ip6")):
                    a = self._q(host, rdtype)
                    if a.ok:
                        node.networks += [f"{fam}:{x}" + (f"/{cidr}" if cidr is not None else "") for x in a.texts]
            return 1
        if t.name == "ptr":
            node.flattenable = False
            return 1
        if t.name == "exists":
            node.flattenable = False
            ans = self._q(target, "A")
            if ans.void:
                self.an.voids.append(VoidName(node.domain, t.text, target, ans.status))
            return 1
        # include or redirect
        if target.lower() in stack:
            self.an.loops.append((node.domain, t.text, [*stack, target.lower()]))
            node.flattenable = False
            return 1
        if domain_problem(target):
            self.an.missing_targets.append((node.domain, t.text, target, domain_problem(target) or ""))
            node.flattenable = False
            return 1
        child = self.node(
            target, "include" if t.kind == "mechanism" else "redirect", t.text, node.depth + 1, (*stack, target.lower())
        )
        node.children.append(child)
        if child.status in ("nxdomain", "nodata") or (child.status == "ok" and not child.records):
            self.an.missing_targets.append(
                (node.domain, t.text, target, child.status if child.status != "ok" else "no v=spf1 record")
            )
        if not child.flattenable or child.record is None:
            node.flattenable = False
        node.networks += child.networks
        return 1 + child.total_lookups


def analyze(domain: str, resolver: Resolver, *, deadline: float | None = None) -> SpfAnalysis:
    """Fetch and walk `domain`'s SPF (worst case: an address that matches nothing).

    Bounded: at most MAX_QUERIES DNS queries and ANALYSIS_DEADLINE seconds (or
    until `deadline`, a time.monotonic() value); past that `truncated` is set and
    the rest of the tree is counted without being fetched.
    """
    domain = domain.strip().rstrip(".")
    an = SpfAnalysis(domain=domain)
    walker = _Walker(resolver, an, deadline)
    an.root = walker.node(domain, "check_host", "", 0, (domain.lower(),))
    an.spf_records = list(an.root.records)
    try:
        walker.spend(_TAIL_QUERIES)
        spf99 = resolver.resolve(domain, "SPF")
        if spf99.ok:
            an.spf99_records = list(spf99.texts)
        # Addresses a fix may point at ("a" or "mx" instead of a raw ip4:).
        for rdtype in ("A", "AAAA"):
            walker.spend(_TAIL_QUERIES)
            a = resolver.resolve(domain, rdtype)
            if a.ok:
                an.domain_addresses += a.texts
        walker.spend(_TAIL_QUERIES)
        mx = resolver.resolve(domain, "MX")
        if mx.ok:
            # by preference, then name: a server may shuffle the records, and which ten are read must not change
            ranked = sorted(mx.records, key=lambda r: (r.preference, r.exchange.to_text().lower()))
            an.mx_hosts = [r.exchange.to_text().rstrip(".") for r in ranked if r.exchange.to_text() != "."]
            for host in an.mx_hosts[:10]:
                for rdtype in ("A", "AAAA"):
                    walker.spend(_TAIL_QUERIES)
                    a = resolver.resolve(host, rdtype)
                    if a.ok:
                        an.mx_addresses += a.texts
    except _OutOfBudget:
        pass
    an.queries = walker.queries
    return an


# -- record editing -------------------------------------------------------------------


def edit_record(
    record: str,
    *,
    remove: tuple[str, ...] | list[str] = (),
    replace: dict[str, str] | None = None,
    insert_before_all: tuple[str, ...] | list[str] = (),
    append: tuple[str, ...] | list[str] = (),
) -> str:
    """A corrected copy of `record`: terms removed/replaced (by exact text), new terms before the all term."""
    replace = replace or {}
    tokens = record.split()
    if not tokens or tokens[0].lower() != "v=spf1":
        tokens = ["v=spf1", *[t for t in tokens if not t.lower().startswith("v=spf")]]
    out: list[str] = ["v=spf1"]
    inserted = False
    for tok in tokens[1:]:
        if tok in remove:
            continue
        tok = replace.get(tok, tok)
        if not tok:
            continue
        bare = tok.lstrip("+-~?").lower()
        if not inserted and insert_before_all and (bare == "all" or bare.startswith("redirect=")):
            out += [t for t in insert_before_all if t not in out]
            inserted = True
        out += tok.split()
    if insert_before_all and not inserted:
        out += [t for t in insert_before_all if t not in out]
    out += list(append)
    return " ".join(out)


def suggest_record(an: SpfAnalysis, ip: str | None = None) -> str:
    """A first SPF record for a domain that has none, from its MX hosts (and the sending IP)."""
    terms: list[str] = []
    for host in an.mx_hosts:
        for suffix, include in _MX_PROVIDERS.items():
            if host.lower() == suffix or host.lower().endswith("." + suffix):
                if include not in terms:
                    terms.append(include)
                break
        else:
            if "mx" not in terms:
                terms.append("mx")
    if ip:
        t = _ip_term(ip, an)
        if t not in terms:
            terms.append(t)
    if not terms:
        terms.append("a")
    return "v=spf1 " + " ".join(terms) + " ~all"


def _ip_term(ip: str, an: SpfAnalysis) -> str:
    addr = ipaddress.ip_address(ip)
    if str(addr) in an.mx_addresses:
        return "mx"
    if str(addr) in an.domain_addresses:
        return "a"
    return f"ip{addr.version}:{addr}"


def merge_records(records: list[str]) -> str:
    """One record holding the union of several, ending in the strictest all term they had.

    DNS returns records in no fixed order, so records are taken sorted to give
    the same merged record every time.
    """
    terms: list[str] = []
    alls: list[str] = []
    for rec in sorted(records):
        for tok in rec.split()[1:]:
            bare = tok.lstrip("+-~?").lower()
            if bare == "all":
                alls.append(tok[0] if tok[0] in "+-~?" else "+")
                continue
            if tok not in terms:
                terms.append(tok)
    strictest = next((q for q in "-~?" if q in alls), "~")
    return " ".join(["v=spf1", *terms, strictest + "all"])


# -- problems (facts; checks/domain/spf.py words them as findings) ------------------------


@dataclass(frozen=True)
class LintProblem:
    """One thing receivers will hold against a record, or against one sending IP: facts, not words.

    `kind` names the problem (the last part of its finding code, e.g.
    ``too_many_lookups``), `evidence` is what DNS or the record shows, and
    `facts` the values that describe it; `lint_problems` lists each kind's facts.
    """

    kind: str
    evidence: str
    facts: dict[str, Any] = field(default_factory=dict)


def lint_problems(
    an: SpfAnalysis,
    result: SpfResult | None = None,
    *,
    ip: str | None = None,
) -> list[LintProblem]:
    """The problems of an analysed domain (and, with `result`, of one sending IP), worst first.

    Kinds and their facts (`corrected` is always the whole corrected record):

    * ``dns_error``: name, rdtype, status (ok/timeout/servfail/... as the resolver says it)
    * ``missing``: domain, txt_records, txt_status, spf99 (only an obsolete type-99 record), suggested
    * ``multiple_records``: domain, count, merged
    * ``syntax_error``: domain, term, message, hint, corrected
    * ``include_loop``: chain (the domains, in order), term, where, corrected
    * ``include_target_missing``: term, target, status, corrected
    * ``too_many_mx``: term, target, count, corrected
    * ``too_many_lookups``: domain, count, costs ((term, lookups) of the record's own terms),
      heavy_term, heavy_cost, provider, flattened (the address terms replacing the heaviest
      include, or None when it cannot be flattened safely), also_replaced (a/mx terms replaced
      by their addresses), corrected
    * ``void_lookups``: domain, count, voids ((where, term, name, status) each), corrected
    * ``plus_all``, ``neutral_all``: domain, term, corrected; ``no_all``: domain, corrected
    * ``ptr_deprecated``: term, corrected
    * ``record_too_long``: domain, length, rrset (bytes of all TXT records), top_record,
      sub_name, sub_record (the split the fix proposes)
    * ``deprecated_rr_type``: domain, only (no TXT record at all), same (identical to the TXT one),
      txt_record
    * ``ip_not_authorized``: ip, domain, sender, result, reason, matched (the deciding terms, or ""),
      term (to add), corrected
    * ``evaluation_error``: the evaluation for the IP ended in permerror/temperror for a reason the
      record checks above did not show: error_kind, result, reason, domain, error_domain,
      error_term, lookups, void_lookups, record, corrected
    """
    out: list[LintProblem] = []
    d = an.domain
    if an.txt_status in ("timeout", "servfail", "refused", "error"):
        out.append(_dns_error(d, "TXT", an.txt_status))
        return out
    if not an.spf_records:
        suggested = suggest_record(an, ip)
        out.append(
            LintProblem(
                "missing",
                f"TXT {d}: " + (" | ".join(an.txt_records) or an.txt_status),
                {
                    "domain": d,
                    "txt_records": list(an.txt_records),
                    "txt_status": an.txt_status,
                    "spf99": bool(an.spf99_records),
                    "suggested": suggested,
                },
            )
        )
        if an.spf99_records:
            out.append(_rr99(an, suggested))
        return out
    if len(an.spf_records) > 1:
        out.append(
            LintProblem(
                "multiple_records",
                "\n".join(an.spf_records),
                {"domain": d, "count": len(an.spf_records), "merged": merge_records(an.spf_records)},
            )
        )
        return out
    record = an.spf_records[0]
    parsed = an.parsed or parse_record(record)
    if parsed.errors:
        replace = {p.term: p.suggestion or "" for p in parsed.errors}
        corrected = edit_record(record, replace=replace)
        for p in parsed.errors[:5]:
            out.append(
                LintProblem(
                    "syntax_error",
                    p.pointer(record),
                    {"domain": d, "term": p.term, "message": p.message, "hint": p.hint, "corrected": corrected},
                )
            )
        return out
    out += _limit_problems(an, record)
    out += _policy_problems(an, record, parsed)
    if an.spf99_records:
        out.append(_rr99(an, record))
    if result is not None:
        out += _ip_problems(an, record, result)
    return out


def _dns_error(name: str, rdtype: str, status: str) -> LintProblem:
    return LintProblem("dns_error", f"{rdtype} {name}: {status}", {"name": name, "rdtype": rdtype, "status": status})


def _rr99(an: SpfAnalysis, txt_record: str) -> LintProblem:
    return LintProblem(
        "deprecated_rr_type",
        f"SPF (type 99) {an.domain}: " + " | ".join(an.spf99_records),
        {
            "domain": an.domain,
            "only": not an.spf_records,
            "same": an.record is not None and an.spf99_records == [an.record],
            "txt_record": txt_record,
        },
    )


def _limit_problems(an: SpfAnalysis, record: str) -> list[LintProblem]:
    out: list[LintProblem] = []
    d = an.domain
    for name, rdtype, status in an.dns_errors[:1]:
        out.append(_dns_error(name, rdtype, status))
    for where, term, chain in an.loops:
        own = where.lower() == d.lower()
        corrected = (
            edit_record(record, remove=(term,))
            if own
            else edit_record(record, remove=(_top_term_leading_to(an, where),))
        )
        out.append(
            LintProblem(
                "include_loop",
                " -> ".join(chain),
                {"chain": list(chain), "term": term, "where": where, "corrected": corrected},
            )
        )
    for where, term, target, status in an.missing_targets:
        top = term if where.lower() == d.lower() else _top_term_leading_to(an, where)
        out.append(
            LintProblem(
                "include_target_missing",
                f"{where}: {term} -> TXT {target}: {status}",
                {"term": term, "target": target, "status": status, "corrected": edit_record(record, remove=(top,))},
            )
        )
    for where, term, target, count in an.too_many_mx:
        top = term if where.lower() == d.lower() else _top_term_leading_to(an, where)
        own_mx = top == term and target.lower() == d.lower()
        replacement = " ".join(_addresses_for(an, "mx")[:MAX_FLATTEN]) if own_mx else ""
        out.append(
            LintProblem(
                "too_many_mx",
                f"MX {target}: {count} records",
                {
                    "term": term,
                    "target": target,
                    "count": count,
                    "corrected": edit_record(record, replace={top: replacement}),
                },
            )
        )
    if an.lookups > 10 and an.root is not None:
        out.append(_too_many_lookups(an, record))
    if an.voids:
        own_terms = [v.term for v in an.voids if v.domain.lower() == d.lower()]
        nested = [_top_term_leading_to(an, v.domain) for v in an.voids if v.domain.lower() != d.lower()]
        out.append(
            LintProblem(
                "void_lookups",
                "\n".join(f"{v.domain}: {v.term} -> {v.name} {v.status}" for v in an.voids),
                {
                    "domain": d,
                    "count": len(an.voids),
                    "voids": [(v.domain, v.term, v.name, v.status) for v in an.voids],
                    "corrected": edit_record(record, remove=tuple(own_terms + [n for n in nested if n])),
                },
            )
        )
    return out


def _top_term_leading_to(an: SpfAnalysis, domain: str) -> str:
    """The term of the top record whose subtree contains `domain` (to remove or flatten it)."""
    if an.root is None:
        return ""
    for child in an.root.children:
        if any(n.domain.lower() == domain.lower() for n in child.walk()):
            return child.term
    return ""


def _too_many_lookups(an: SpfAnalysis, record: str) -> LintProblem:
    """The heaviest term of the record, and the corrected record that brings it back under 10 lookups."""
    root = an.root
    assert root is not None
    costs = root.term_costs
    heavy_term, heavy_cost = max(costs, key=lambda tc: tc[1])
    child = next((c for c in root.children if c.term == heavy_term), None)
    replace: dict[str, str] = {}
    flattened: list[str] | None = None
    if child is not None and child.flattenable and child.networks and len(set(child.networks)) <= MAX_FLATTEN:
        flattened = list(dict.fromkeys(child.networks))
        replace[heavy_term] = " ".join(flattened)
    else:
        replace[heavy_term] = ""
    remaining = an.lookups - heavy_cost
    also_replaced: list[str] = []
    for t, c in costs:
        if remaining <= 10:
            break
        bare = t.lstrip("+-~?")
        if bare in ("a", "mx") and t not in replace:
            nets = _addresses_for(an, bare)
            if nets:
                replace[t] = " ".join(nets)
                remaining -= c
                also_replaced.append(t)
    return LintProblem(
        "too_many_lookups",
        "\n".join(f"{r['term']}: {r['lookups']} (total {r['running total']})" for r in an.include_rows()),
        {
            "domain": an.domain,
            "count": an.lookups,
            "costs": [(t, c) for t, c in costs if c],
            "heavy_term": heavy_term,
            "heavy_cost": heavy_cost,
            "provider": provider_of(heavy_term.split(":", 1)[-1].split("=", 1)[-1]),
            "flattened": flattened,
            "also_replaced": also_replaced,
            "corrected": edit_record(record, replace=replace),
        },
    )


def _addresses_for(an: SpfAnalysis, mech: str) -> list[str]:
    addrs = an.mx_addresses if mech == "mx" else an.domain_addresses
    return [f"ip{ipaddress.ip_address(a).version}:{a}" for a in dict.fromkeys(addrs)]


def _policy_problems(an: SpfAnalysis, record: str, parsed: Record) -> list[LintProblem]:
    out: list[LintProblem] = []
    d = an.domain
    all_term = parsed.all_term
    if all_term is not None and all_term.qualifier in ("+", "?"):
        kind = "plus_all" if all_term.qualifier == "+" else "neutral_all"
        corrected = edit_record(record, replace={all_term.text: "~all"})
        out.append(LintProblem(kind, record, {"domain": d, "term": all_term.text, "corrected": corrected}))
    elif all_term is None and parsed.redirect is None:
        out.append(LintProblem("no_all", record, {"domain": d, "corrected": edit_record(record, append=("~all",))}))
    for t in parsed.mechanisms:
        if t.name == "ptr":
            nets = _addresses_for(an, "a") or ["a"]
            corrected = edit_record(record, replace={t.text: " ".join(nets)})
            out.append(LintProblem("ptr_deprecated", record, {"term": t.text, "corrected": corrected}))
    if len(record) > TOO_LONG:
        ip_terms = [t.text for t in parsed.mechanisms if t.name in ("ip4", "ip6")]
        sub = f"_spf.{d}"
        out.append(
            LintProblem(
                "record_too_long",
                f"{len(record)} characters: {record[:120]}…",
                {
                    "domain": d,
                    "length": len(record),
                    "rrset": sum(len(t) + 1 + len(t) // 255 for t in an.txt_records),
                    "top_record": edit_record(record, remove=tuple(ip_terms), insert_before_all=(f"include:{sub}",)),
                    "sub_name": sub,
                    "sub_record": f"v=spf1 {' '.join(ip_terms)} -all",
                },
            )
        )
    return out


def _ip_problems(an: SpfAnalysis, record: str, r: SpfResult) -> list[LintProblem]:
    if r.result in (Result.FAIL, Result.SOFTFAIL, Result.NEUTRAL):
        term = _ip_term(r.ip, an)
        return [
            LintProblem(
                "ip_not_authorized",
                "\n".join(f"{row['term']}  {row['dns']}  {row['matched']} {row['result']}" for row in r.to_rows()),
                {
                    "ip": r.ip,
                    "domain": r.domain,
                    "sender": r.sender,
                    "result": r.result.value,
                    "reason": r.reason,
                    "matched": (" > ".join(r.matched_path) or r.mechanism) if r.mechanism else "",
                    "term": term,
                    "corrected": edit_record(record, insert_before_all=(term,)),
                },
            )
        ]
    if r.result in (Result.PERMERROR, Result.TEMPERROR):
        return [
            LintProblem(
                "evaluation_error",
                f"{r.result.value}: {r.reason}",
                {
                    "error_kind": r.error_kind,
                    "result": r.result.value,
                    "reason": r.reason,
                    "domain": r.domain,
                    "error_domain": r.error_domain,
                    "error_term": r.error_term,
                    "lookups": r.lookups,
                    "void_lookups": r.void_lookups,
                    "record": record,
                    "corrected": edit_record(record, remove=(r.error_term,)) if r.error_term else record,
                },
            )
        ]
    return []
