"""The `dnsbl` step: is the IP mail leaves from on a blocklist, and which answers could not be trusted.

For every list, three questions go out at once (all lists concurrently, under
one deadline): the address itself, and the list's two RFC 5782 §5 test
entries (127.0.0.2 must be listed, 127.0.0.1 must not). The test entries turn
silent failure modes into findings: a list that answers NXDOMAIN for
everything (dead, misspelt, or refusing this resolver quietly) would
otherwise read as "not listed", and one that answers for everything would
read as "listed". A listing's TXT record (the list's reason, usually with a
lookup URL) is fetched only when there is a listing.

`check_dnsbl()` is `smtpkit dnsbl IP`; `dnsbl_step()` is the step
`check_domain(..., ip=...)` adds.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from smtpkit.checks.domain.parallel import run_all
from smtpkit.dnsbl import (
    FAILED,
    LISTED,
    NOT_LISTED,
    REFUSED,
    REWRITTEN,
    UNKNOWN_CODE,
    Blocklist,
    Verdict,
    choose_lists,
    interpret,
    is_public,
    query_name,
    rfc5782_entries,
)
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Report, Severity, Status, Step
from smtpkit.net.address import kind_of_address
from smtpkit.net.dns import DnsAnswer, Resolver
from smtpkit.record import record

DEFAULT_TIMEOUT = 10.0
_MAX_REASON = 300
_MAX_LISTS = 64


@record()
class ListAnswer:
    """Everything one list said: the verdict for the IP and what its test entries showed."""

    bl: Blocklist
    verdict: Verdict
    answer: DnsAnswer | None = None
    reason: str = ""
    problem: str = ""  # "", "test_missing", "lists_everything", "failed", "skipped"
    detail: str = ""

    @property
    def outcome(self) -> str:
        """The row's one word: listed, not listed, could not check, not asked."""
        if self.problem == "skipped":
            return "not asked"
        if self.problem or self.verdict.could_not_check:
            return "could not check"
        return self.verdict.kind

    def row(self) -> dict[str, Any]:
        return {
            "list": self.bl.name,
            "zone": self.bl.zone,
            "answer": self.outcome,
            "codes": ", ".join(self.verdict.codes) or "-",
            "meaning": "; ".join(self.verdict.meanings) or "-",
            "reason (TXT)": self.reason or "-",
            "why": self.why or "-",
            "delist": (self.bl.removal_url or "-") if self.outcome == LISTED else "-",
        }

    @property
    def why(self) -> str:
        """For a list that could not be checked (or was not asked): what stopped it."""
        if self.outcome not in ("could not check", "not asked"):
            return ""
        words = {
            "failed": "no usable answer",
            "lists_everything": "the list lists its never-listed test address",
            "test_missing": "the list does not list its RFC 5782 test address",
            "skipped": "",
        }
        head = words.get(self.problem, "") or {
            REWRITTEN: "the resolver rewrote the answer",
            REFUSED: "the list refused this resolver",
            UNKNOWN_CODE: "an undocumented code",
        }.get(self.verdict.kind, "")
        return "; ".join(p for p in (head, self.detail) if p)


def _texts(ans: DnsAnswer | None) -> list[str]:
    return list(ans.texts) if ans is not None and ans.ok else []


def _ask_list(bl: Blocklist, ip: str, resolver: Resolver, deadline: float) -> ListAnswer:
    """The three questions for one list at once, then the TXT reason if listed."""
    version = ipaddress.ip_address(ip).version
    if version == 6 and not bl.ipv6:
        return ListAnswer(bl, Verdict(NOT_LISTED), problem="skipped", detail=f"{bl.name} does not list IPv6 addresses")
    must, never = rfc5782_entries(version)
    jobs: dict[str, Callable[[], DnsAnswer]] = {
        "ip": lambda: resolver.resolve(query_name(ip, bl.zone), "A"),
        "must": lambda: resolver.resolve(query_name(must, bl.zone), "A"),
        "never": lambda: resolver.resolve(query_name(never, bl.zone), "A"),
    }
    got = run_all(jobs, deadline, name=f"dnsbl-{bl.zone}")
    ans = got.get("ip")
    if ans is None or ans.failed:
        why = (
            f"{ans.status.upper()}: {ans.error or ans.rcode or ans.status}"
            if ans is not None
            else "no answer before the deadline"
        )
        return ListAnswer(bl, Verdict(FAILED), ans, problem="failed", detail=why)
    verdict = interpret(bl, _texts(ans))
    out = ListAnswer(bl, verdict, ans)
    if verdict.kind in (REWRITTEN, REFUSED):
        return out
    never_ans = got.get("never")
    if never_ans is not None and never_ans.ok and interpret(bl, never_ans.texts).kind in (LISTED, UNKNOWN_CODE):
        out.problem, out.detail = "lists_everything", f"{never} answered {', '.join(never_ans.texts)}"
        return out
    must_ans = got.get("must")
    if verdict.kind == NOT_LISTED and (must_ans is None or interpret(bl, _texts(must_ans)).kind != LISTED):
        status = "no answer before the deadline" if must_ans is None else must_ans.status.upper()
        out.problem, out.detail = "test_missing", f"{must} -> {status}"
        return out
    if verdict.kind == LISTED:
        txt = resolver.resolve(query_name(ip, bl.zone), "TXT") if time.monotonic() < deadline else None
        out.reason = " ".join(_texts(txt))[:_MAX_REASON]
    return out


def _group(answers: Sequence[ListAnswer], pick: Callable[[ListAnswer], bool]) -> list[ListAnswer]:
    return [a for a in answers if pick(a)]


def _names(items: Sequence[ListAnswer]) -> str:
    return ", ".join(a.bl.name for a in items)


def _findings(ip: str, answers: Sequence[ListAnswer]) -> list[Finding]:
    out: list[Finding] = []
    for a in answers:
        if a.outcome == LISTED:
            out.append(
                finding(
                    "dnsbl.listed",
                    f"{query_name(ip, a.bl.zone)} A {', '.join(a.verdict.codes)}"
                    + (f"; TXT {a.reason}" if a.reason else ""),
                    severity=Severity(a.bl.severity),
                    ip=ip,
                    list=a.bl.name,
                    zone=a.bl.zone,
                    codes=", ".join(a.verdict.codes),
                    meanings="; ".join(a.verdict.meanings),
                    reason=f" The list's own reason (its TXT record): {a.reason}" if a.reason else "",
                    delist=a.bl.delist,
                    removal_url=a.bl.removal_url,
                )
            )
    kinds: list[tuple[str, Callable[[ListAnswer], bool], Callable[[ListAnswer], str]]] = [
        (
            "dnsbl.resolver_rewrites",
            lambda a: a.verdict.kind == REWRITTEN,
            lambda a: f"{a.bl.zone}: {', '.join(a.verdict.codes)}",
        ),
        (
            "dnsbl.query_refused",
            lambda a: a.verdict.kind == REFUSED,
            lambda a: f"{a.bl.name} {', '.join(a.verdict.codes)}: {'; '.join(a.verdict.meanings)}",
        ),
        (
            "dnsbl.lookup_failed",
            lambda a: a.problem == "failed",
            lambda a: f"{a.bl.zone}: {a.detail}",
        ),
        (
            "dnsbl.lists_everything",
            lambda a: a.problem == "lists_everything",
            lambda a: f"{a.bl.zone}: {a.detail}",
        ),
        (
            "dnsbl.test_entry_missing",
            lambda a: a.problem == "test_missing",
            lambda a: f"{a.bl.zone}: {a.detail}",
        ),
        (
            "dnsbl.unknown_code",
            lambda a: a.verdict.kind == UNKNOWN_CODE and not a.problem,
            lambda a: f"{a.bl.zone}: {'; '.join(a.verdict.meanings)}",
        ),
    ]
    version = ipaddress.ip_address(ip).version
    must, never = rfc5782_entries(version)
    for code, pick, describe in kinds:
        group = _group(answers, pick)
        if group:
            details = "; ".join(describe(a) for a in group)
            out.append(
                finding(
                    code,
                    details,
                    ip=ip,
                    lists=_names(group),
                    details=details,
                    test_listed=must,
                    test_unlisted=never,
                )
            )
    return out


def dnsbl_step(
    ip: str,
    resolver: Resolver,
    lists: Iterable[str | Blocklist] | None = None,
    *,
    only_lists: bool = False,
    allow_private: bool = False,
    deadline: float | None = None,
) -> Step:
    """Ask every chosen blocklist about `ip` at once; one row per list, findings for listings and doubts.

    `lists` adds zones (or `Blocklist`s) to the default set; `only_lists`
    asks just those. A non-public `ip` is not asked about unless
    `allow_private` (for lists of your own, or the practice lab's).
    """
    start = time.monotonic()
    end = deadline if deadline is not None else start + DEFAULT_TIMEOUT
    addr = str(ipaddress.ip_address(str(ip).strip().strip("[]")))
    chosen = choose_lists(lists or (), only=only_lists)[:_MAX_LISTS]
    details: dict[str, Any] = {"ip": addr, "lists asked": len(chosen)}
    if not is_public(addr) and not allow_private:
        step = Step(
            name="dnsbl",
            status=Status.SKIP,
            summary=f"{addr} is not a public address: blocklists list public addresses only",
            elapsed_ms=(time.monotonic() - start) * 1000,
            details={**details, "lists asked": 0},
        )
        step.add(finding("dnsbl.not_public", addr, ip=addr, kind=kind_of_address(addr)))
        return step
    jobs = {bl.zone: functools.partial(_ask_list, bl, addr, resolver, end) for bl in chosen}
    got = run_all(jobs, end, name="dnsbl")
    answers = [
        got.get(bl.zone) or ListAnswer(bl, Verdict(FAILED), problem="failed", detail="no answer before the deadline")
        for bl in chosen
    ]
    listed = [a for a in answers if a.outcome == LISTED]
    doubtful = [a for a in answers if a.outcome == "could not check"]
    clean = [a for a in answers if a.outcome == NOT_LISTED]
    parts = []
    if listed:
        parts.append(f"listed on {len(listed)} of {len(answers)}: {_names(listed)}")
    else:
        parts.append(f"not listed on {len(clean)} of {len(answers)} lists")
    if doubtful:
        parts.append(f"{len(doubtful)} could not be checked")
    details.update({"listed on": len(listed), "not listed on": len(clean), "could not check": len(doubtful)})
    step = Step(
        name="dnsbl",
        status=Status.PASS,
        summary="; ".join(parts),
        elapsed_ms=(time.monotonic() - start) * 1000,
        details=details,
        tables={"blocklists": [a.row() for a in answers]},
    )
    step.add(*_findings(addr, answers))
    if not listed and doubtful and not clean:
        step.status = Status.WARN
    return step


def check_dnsbl(
    ip: str,
    lists: Sequence[str | Blocklist] = (),
    *,
    only_lists: bool = False,
    resolver: Resolver | None = None,
    nameservers: str | Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: bool = False,
) -> Report:
    """Blocklists for one sending IP, as a Report (``smtpkit dnsbl IP``).

    >>> check_dnsbl("192.0.2.99", ["zen.dnsbl.test"], only_lists=True,
    ...             resolver=Resolver(["127.0.0.1:5353"]), allow_private=True)   # doctest: +SKIP

    Raises InvalidSettings (a ValueError) for an `ip` that is not an address or
    a zone that is not a name; every DNS outcome is a row and, where it matters, a finding.
    """
    from smtpkit.net.dns import resolver_for
    from smtpkit.settings import validate_ip, validate_nameservers, validate_seconds

    addr = validate_ip(ip, label="The sending IP")  # no scope id, no foreign digits: the one IP validator
    seconds = validate_seconds(timeout, field="timeout")
    chosen = choose_lists(lists, only=only_lists)  # validates the zones before any query
    if resolver is None:  # `nameservers` (the lab's, your own) or the system's
        resolver = resolver_for(validate_nameservers(nameservers), min(2.0, seconds / 3))
    resolver = resolver.once()
    first = len(resolver.log)
    step = dnsbl_step(
        addr,
        resolver,
        chosen,
        only_lists=True,
        allow_private=allow_private,
        deadline=time.monotonic() + seconds,
    )
    from smtpkit.checks.domain import dns_transcript

    return Report(
        target={"ip": addr, "lists": [bl.zone for bl in chosen]},
        steps=[step],
        transcript=dns_transcript(resolver, first),
        title=f"Blocklist check for {addr}",
    )
