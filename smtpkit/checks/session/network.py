"""The `resolve` and `connect` steps: from a host name to an open TCP connection."""

from __future__ import annotations

import time

from smtpkit.checks.session.state import SessionState, ms_since, seconds
from smtpkit.knowledge.presets import published_host
from smtpkit.knowledge.socket_errors import TIMEOUT as SOCKET_TIMEOUT
from smtpkit.knowledge.socket_errors import SocketProblem, classify_os_error, port_hint, suggested_ports
from smtpkit.model import Status, Step
from smtpkit.net.connect import ConnectAttempt, connect_addresses, resolve_host
from smtpkit.net.dns_status import NODATA, NXDOMAIN, TIMEOUT

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any


def _known_hosts() -> list[str]:
    from smtpkit.knowledge.presets import PRESETS

    hosts: list[str] = []
    for p in PRESETS:
        if p.host and "{" not in p.host:
            hosts.append(p.host.lower())
        hosts.extend(h.lower() for h in p.extra_hosts)
    return hosts


def did_you_mean(host: str) -> str:
    """A " Did you mean X?" sentence when `host` is one typo away from a well-known SMTP host."""
    import difflib  # (here: only a host that does not resolve needs it)

    close = difflib.get_close_matches(host.lower(), _known_hosts(), n=1, cutoff=0.85)
    if close and close[0] != host.lower():
        return f" Did you mean {close[0]}? It is one small typo away from what was typed."
    return ""


def _mx_hint(state: SessionState) -> str:
    """When a bare domain was given, name its MX hosts: people often type their domain as the server."""
    if state.resolver is None or state.deadline.remaining() < 0.2:
        return ""
    answer = state.resolver.resolve(state.target.host, "MX")
    if not answer.ok or not answer.texts:
        return ""
    hosts = [t.split()[-1].rstrip(".") for t in answer.texts]
    return (
        f" {state.target.host} is a mail domain (its MX records name {', '.join(hosts[:3])}): those servers "
        "receive mail for the domain; to send, use your provider's submission host."
    )


def resolve_step(state: SessionState) -> Step:
    t = state.target
    start = time.monotonic()
    res = resolve_host(t.host, state.resolver, state.deadline, t.timeout)
    state.resolution = res
    elapsed = ms_since(start)
    details: dict[str, object] = {
        "host": t.host,
        "method": {"literal": "IP address given", "dns": "DNS", "system": "system resolver"}[res.method],
    }
    if res.nameserver:
        details["nameserver"] = res.nameserver
    tables = {"queries": res.rows()} if res.answers else {}
    if res.ok:
        details["addresses"] = ", ".join(res.addresses)
        summary = (
            f"{t.host} is an IP address; nothing to resolve"
            if res.method == "literal"
            else (
                f"{t.host} has {len(res.addresses)} address{'es' if len(res.addresses) != 1 else ''}:"
                f" {', '.join(res.addresses[:4])}"
            )
        )
        return Step("resolve", Status.PASS, summary, elapsed, details, tables=tables)
    asked = (
        f"A and AAAA queries to {res.nameserver}"
        if res.method == "dns"
        else "the system resolver (getaddrinfo, which reads /etc/hosts and then DNS)"
    )
    evidence = res.error or "; ".join(f"{a.rdtype}: {a.status}" for a in res.answers)
    step = Step("resolve", Status.FAIL, "", elapsed, details, tables=tables)
    published = published_host(t.host) if res.status == NXDOMAIN else None
    tld = None
    if res.status == NXDOMAIN and published is None:
        from smtpkit.checks.denied_tld import denied_tld_of  # (a healthy check's start-up does not need it)

        tld = denied_tld_of(t.host, state.resolver, state.deadline.timeout(t.timeout))
    if published is not None:
        # a provider's documented server exists: NXDOMAIN says the resolver is broken or filtered (issue 8 §6)
        step.status = Status.WARN
        step.summary = f"this machine's DNS says {t.host} does not exist: the resolver is broken, filtered or offline"
        step.add(state.finding("dns.resolver_filtered", evidence, asked=asked, provider_name=published.name))
    elif tld is not None:
        step.status = Status.WARN
        step.summary = f"this machine's DNS says {t.host} does not exist, and .{tld} too: the resolver is broken"
        step.add(state.finding("dns.resolver_broken", f"{evidence}; {tld} NS: nxdomain", asked=asked, tld=tld))
    elif res.status == NXDOMAIN:
        step.summary = f"{t.host} does not exist (NXDOMAIN)"
        step.add(state.finding("dns.nxdomain", evidence, asked=asked, suggestion=did_you_mean(t.host)))
    elif res.status == NODATA:
        step.summary = f"{t.host} has no A or AAAA record"
        step.add(
            state.finding("dns.no_address", evidence, asked=asked, suggestion=_mx_hint(state) or did_you_mean(t.host))
        )
    elif res.status == TIMEOUT:
        step.summary = f"no DNS answer for {t.host}"
        waited = seconds(elapsed / 1000.0)
        step.add(state.finding("dns.timeout", evidence, nameserver=res.nameserver or "the resolver", waited=waited))
    else:
        step.summary = f"DNS lookup of {t.host} failed ({res.status})"
        step.add(
            state.finding(
                "dns.servfail", evidence, nameserver=res.nameserver or "the resolver", status=res.status.upper()
            )
        )
    state.stop(
        "this machine's DNS could not resolve the host name"
        if published or tld
        else "the host name could not be resolved"
    )
    return step


def attempt_problem(attempt: ConnectAttempt) -> SocketProblem:
    """What one connection attempt came to: ok, skipped, or what its error means, in plain words.

    The probe reports the operating system's facts (errno, timeout, its words);
    `knowledge.socket_errors` names them (refused, unreachable, reset, ...).
    """
    if attempt.outcome == "ok":
        return SocketProblem("ok", "")
    if attempt.outcome == "skipped":
        return SocketProblem("skipped", "the session's time limit was used up before this address")
    problem = classify_os_error(
        attempt.errno, timed_out=attempt.timed_out, exception=attempt.exception, message=attempt.error
    )
    if problem.kind == SOCKET_TIMEOUT:
        return SocketProblem(
            problem.kind, f"no answer to the connection request within {attempt.waited:.1f} s", problem.errno
        )
    return problem


def attempt_row(attempt: ConnectAttempt) -> dict[str, Any]:
    """One row of the connect step's "attempts" table."""
    problem = attempt_problem(attempt)
    return {
        "address": attempt.address,
        "family": attempt.family,
        "port": attempt.port,
        "result": problem.kind,
        "error": problem.words or "-",
        "ms": round(attempt.elapsed_ms, 1),
    }


def connect_step(state: SessionState) -> Step:
    t = state.target
    assert state.resolution is not None
    addresses = state.resolution.addresses
    budget = t.timeout * min(len(addresses), 3) + 0.5
    start = time.monotonic()
    result = connect_addresses(addresses, t.port, state.step_deadline(budget), t.timeout)
    elapsed = ms_since(start)
    tables = {"attempts": [attempt_row(a) for a in result.attempts]}
    problems = [(a, attempt_problem(a)) for a in result.attempts]
    details: dict[str, object] = {"port": t.port}
    if result.ok:
        assert result.sock is not None
        state.address = result.address
        details["connected to"] = result.address
        try:
            details["from (local address)"] = result.sock.getsockname()[0]
        except OSError:
            pass
        step = Step(
            "connect", Status.PASS, f"connected to {result.address} port {t.port}", elapsed, details, tables=tables
        )
        failed = [(a, p) for a, p in problems if p.kind not in ("ok", "skipped")]
        if failed:
            text = "; ".join(f"{a.address} ({p.kind}: {p.words})" for a, p in failed)
            step.add(state.finding("connect.partial_failure", text, address=result.address, failed=text))
        state.transcript.note(f"connected to {result.address} port {t.port} in {elapsed:.0f} ms")
        state.sock = result.sock
        return step
    step = Step("connect", Status.FAIL, "", elapsed, details, tables=tables)
    limit = (
        f"{seconds(t.session_deadline)} for the whole session"
        if state.deadline.expired
        else f"{seconds(budget)} for the connect step"
    )
    by_kind: dict[str, list[tuple[ConnectAttempt, SocketProblem]]] = {}
    for a, p in problems:
        by_kind.setdefault(p.kind, []).append((a, p))
    alternatives = suggested_ports(t.port)
    hint = port_hint(t.port)
    summaries = []
    # A reset while connecting is a refusal by another name; any other local error means we could
    # not reach the address at all (the finding quotes the operating system's own words).
    by_kind.setdefault("refused", []).extend(by_kind.pop("reset", []))
    by_kind.setdefault("unreachable", []).extend(by_kind.pop("error", []))
    for kind in ("refused", "timeout", "unreachable", "skipped"):
        attempts = by_kind.get(kind)
        if not attempts:
            continue
        addrs = ", ".join(a.address for a, _p in attempts)
        evidence = "; ".join(f"{a.address}: {p.words}" for a, p in attempts)
        if kind == "refused":
            summaries.append(f"refused by {addrs}")
            step.add(state.finding("connect.refused", evidence, address=addrs, port_hint=hint if t.port == 25 else ""))
        elif kind == "timeout":
            summaries.append(f"no answer from {addrs}")
            waited = seconds(max(a.elapsed_ms for a, _p in attempts) / 1000.0)
            step.add(
                state.finding(
                    "connect.timeout", evidence, address=addrs, waited=waited, port_hint=hint, alternatives=alternatives
                )
            )
        elif kind == "unreachable":
            summaries.append(f"{addrs} unreachable")
            step.add(state.finding("connect.unreachable", evidence, address=addrs, reason=attempts[0][1].words))
        elif kind == "skipped":
            summaries.append(f"{addrs} not tried (time limit)")
            step.add(state.finding("smtp.deadline_exceeded", evidence, step="connect", stage="connect", deadline=limit))
    step.summary = f"could not connect to port {t.port}: " + "; ".join(summaries)
    state.stop("no TCP connection could be made")
    return step
