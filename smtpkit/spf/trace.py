"""The trace of one check_host() evaluation: the product, not a debug log.

A receiver only says "SPF fail" or "permerror". The trace shows *why*: the
include/redirect tree as nested nodes, and for every term the DNS questions it
asked with their answers, how many of the ten lookups were used so far, how
many void lookups, whether it matched and what result it produced. It is plain
data so notebooks (a DataFrame), `--json` and the text table all show the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DnsQuery:
    """One DNS question asked during evaluation and what came back."""

    name: str
    rdtype: str
    status: str  # ok / nxdomain / nodata / timeout / servfail / refused / error / invalid
    answers: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    error: str = ""

    def summary(self) -> str:
        if self.status == "ok":
            shown = ", ".join(self.answers[:4])
            more = f" (+{len(self.answers) - 4} more)" if len(self.answers) > 4 else ""
            return f"{self.rdtype} {self.name} -> {shown}{more}"
        extra = f": {self.error}" if self.error and self.status not in ("nxdomain", "nodata") else ""
        return f"{self.rdtype} {self.name} -> {self.status.upper()}{extra}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.rdtype,
            "status": self.status,
            "answers": list(self.answers),
            "elapsed_ms": round(self.elapsed_ms, 1),
            "error": self.error,
        }


@dataclass
class TermTrace:
    """What one term did: its queries, the counters after it, whether it matched."""

    term: str
    kind: str  # mechanism / modifier
    name: str
    position: int = 0
    target: str = ""  # the expanded domain the term looked at
    queries: list[DnsQuery] = field(default_factory=list)
    counted_lookup: bool = False
    lookups: int = 0  # DNS-querying terms used so far in the whole evaluation (of 10)
    void_lookups: int = 0  # void lookups so far (of 2)
    matched: bool | None = None  # None: not a matching question (modifiers, errors)
    result: str = ""  # the result this term produced, if it decided or failed
    note: str = ""
    child: TraceNode | None = None  # the include/redirect evaluation
    evaluated: bool = False  # False for terms after the deciding one (never reached)

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "kind": self.kind,
            "name": self.name,
            "position": self.position,
            "target": self.target,
            "queries": [q.to_dict() for q in self.queries],
            "counted_lookup": self.counted_lookup,
            "lookups": self.lookups,
            "void_lookups": self.void_lookups,
            "matched": self.matched,
            "result": self.result,
            "note": self.note,
            "evaluated": self.evaluated,
            "child": self.child.to_dict() if self.child else None,
        }


@dataclass
class TraceNode:
    """One check_host() call: the top domain, or an include/redirect target."""

    domain: str
    via: str = "check_host"  # check_host / include / redirect
    depth: int = 0
    record: str | None = None
    record_queries: list[DnsQuery] = field(default_factory=list)
    terms: list[TermTrace] = field(default_factory=list)
    result: str = ""
    reason: str = ""

    def walk(self) -> Iterator[tuple[TraceNode, TermTrace | None]]:
        """Depth first: (node, None) for the node itself, then (node, term) for each term."""
        yield self, None
        for t in self.terms:
            yield self, t
            if t.child is not None:
                yield from t.child.walk()

    def nodes(self) -> Iterator[TraceNode]:
        for node, term in self.walk():
            if term is None:
                yield node

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "via": self.via,
            "depth": self.depth,
            "record": self.record,
            "record_queries": [q.to_dict() for q in self.record_queries],
            "terms": [t.to_dict() for t in self.terms],
            "result": self.result,
            "reason": self.reason,
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """One flat row per record lookup and per term, indented by depth: a DataFrame/text table."""
        rows: list[dict[str, Any]] = []
        for node, term in self.walk():
            indent = "  " * node.depth
            if term is None:
                rows.append(
                    {
                        "depth": node.depth,
                        "domain": node.domain,
                        "term": f"{indent}[{node.via}] {node.domain}",
                        "dns": "; ".join(q.summary() for q in node.record_queries),
                        "lookups": "",
                        "void": "",
                        "matched": "",
                        "result": node.result,
                        "note": node.reason or (f"record: {node.record}" if node.record else ""),
                    }
                )
                continue
            rows.append(
                {
                    "depth": node.depth,
                    "domain": node.domain,
                    "term": f"{indent}  {term.term}",
                    "dns": "; ".join(q.summary() for q in term.queries),
                    "lookups": (
                        (f"{term.lookups}/10" if term.counted_lookup else str(term.lookups)) if term.evaluated else ""
                    ),
                    "void": term.void_lookups if term.evaluated else "",
                    "matched": "" if term.matched is None else ("yes" if term.matched else "no"),
                    "result": term.result,
                    "note": term.note,
                }
            )
        return rows


TRACE_COLUMNS = ["term", "dns", "lookups", "void", "matched", "result", "note"]
