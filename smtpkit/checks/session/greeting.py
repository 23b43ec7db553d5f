"""The `banner` and `ehlo` steps: the server's greeting and what it says it can do."""

from __future__ import annotations

import socket
import time

from smtpkit.checks.session.state import (
    TIME_LIMIT,
    SessionState,
    classify,
    ms_since,
    probe_error_finding,
    seconds,
)
from smtpkit.knowledge.codes.ehlo import describe_capability
from smtpkit.knowledge.socket_errors import classify_greeting, is_not_smtp
from smtpkit.model import Finding, Status, Step
from smtpkit.net.smtp import (
    MAX_AUTH_MECHANISMS,
    Capabilities,
    ConnectionLost,
    MalformedReply,
    PeerClosed,
    ProbeError,
    Reply,
    ReplyLimitExceeded,
    ReplyTimeout,
    SmtpConnection,
    parse_ehlo,
    parse_helo,
)
from smtpkit.octets import printable, size_text

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

# A greeting slower than this (or a third of the timeout, if smaller) earns a warning.
SLOW_GREETING = 3.0


def _detect_provider(state: SessionState, text: str) -> None:
    """Name the provider from the greeting or EHLO text unless the host name already named a real one.

    A match on a generic preset ("lab", "custom") only says where the server is: the greeting of a
    lab server imitating Gmail must still make Gmail's fixes apply.
    """
    from smtpkit.knowledge.presets import GENERIC_PRESETS, provider_from_banner

    if state.provider and state.provider not in GENERIC_PRESETS:
        return
    detected = provider_from_banner(text)
    if detected:
        state.provider = detected


def banner_step(state: SessionState) -> Step:
    """Wait for the "220" greeting; recognise refusals, silence and services that are not SMTP."""
    t = state.target
    conn = state.conn
    assert conn is not None
    start = time.monotonic()
    details: dict[str, Any] = {}
    try:
        reply = conn.read_reply(timeout=t.timeout)
    except ReplyTimeout as exc:
        return _banner_timeout(state, exc, start)
    except PeerClosed as exc:
        step = Step(
            "banner", Status.FAIL, "the server closed the connection without a greeting", ms_since(start), details
        )
        partial = f" after sending {len(exc.received)} bytes ({printable(exc.received, 60)})" if exc.received else ""
        step.add(state.finding("connect.closed_before_greeting", printable(exc.received, 200), partial=partial))
        state.stop("the server closed the connection before greeting")
        return step
    except ConnectionLost as exc:
        step = Step("banner", Status.FAIL, "the connection broke before the greeting", ms_since(start), details)
        step.add(state.finding("connect.closed_before_greeting", str(exc), partial=f" abruptly ({exc})"))
        state.stop("the connection broke before the greeting")
        return step
    except MalformedReply as exc:
        return _banner_garbage(state, exc, start)
    details["greeting"] = reply.wire()
    details["waited"] = seconds(reply.elapsed_ms / 1000.0)
    _detect_provider(state, reply.text)
    if state.provider:
        details["provider"] = state.provider
    step = Step("banner", Status.PASS, f"greeting: {reply.wire().splitlines()[0][:120]}", ms_since(start), details)
    if reply.code == 220:
        threshold = min(SLOW_GREETING, t.timeout / 3)
        if reply.elapsed_ms / 1000.0 > threshold:
            step.add(state.finding("banner.slow", reply.wire(), waited=seconds(reply.elapsed_ms / 1000.0)))
        return step
    if reply.code in (421,) or reply.transient:
        step.add(state.finding("banner.tempfail", reply.wire(), reply=str(reply)))
        step.summary = f"temporarily refused: {reply}"
    elif reply.permanent:
        step.add(state.finding("banner.rejected", reply.wire(), reply=str(reply)))
        step.summary = f"refused: {reply}"
    else:
        step.add(
            state.finding(
                "smtp.malformed_reply",
                reply.wire(),
                step="banner",
                stage="banner",
                problem=f"the greeting has code {reply.code}; a server that is ready greets with 220",
                severity="warn",
            )
        )
        return step
    extra = _specific(state, "banner", reply, {"banner.rejected", "banner.tempfail"})
    if extra is not None:
        step.add(extra)
    state.stop("the server refused the session in its greeting")
    return step


def _specific(state: SessionState, stage: str, reply: Reply, generic: set[str]) -> Finding | None:
    """A provider-specific reading of a refusal from the rules table, when it adds something."""
    found = classify(state, stage, reply)
    if found is None or found.code in generic:
        return None
    return found


def _banner_timeout(state: SessionState, exc: ReplyTimeout, start: float) -> Step:
    """No greeting: find out whether the port speaks TLS first before blaming the server.

    When a TLS handshake right after connecting succeeds, the banner step fails *without* a
    finding of its own: the one mistake (a plain/STARTTLS client on an implicit-TLS port) gets
    one finding, tls.wrong_mode_starttls_on_implicit, in the tls step that follows. A second
    failure (banner.timeout) for the same cause would make a stressed reader hunt two problems,
    and its fix would still wonder whether the port expects implicit TLS when we have proved it.
    """
    t = state.target
    details: dict[str, Any] = {"waited": seconds(exc.waited)}
    if exc.received:
        details["received before the timeout"] = printable(exc.received, 200)
    if exc.by_deadline and exc.waited < t.timeout * 0.9:
        step = Step("banner", Status.FAIL, f"no greeting within {seconds(exc.waited)}", ms_since(start), details)
        step.add(
            state.finding(
                "smtp.deadline_exceeded",
                printable(exc.received),
                step="banner",
                stage="banner",
                deadline=state.deadline_words("banner"),
            )
        )
        state.stop(TIME_LIMIT)
        return step
    outcome = None
    took = ""
    if not state.encrypted and not exc.received and state.deadline.remaining() > 0.2:
        from smtpkit.net.tls import detect_implicit_tls
        from smtpkit.progress import current

        # A TLS server answers a hello within a fraction of a second: a short probe is enough.
        probe_timeout = min(3.0, max(1.0, t.timeout / 2))
        current().started("banner", "no greeting: trying whether the port speaks TLS first", probe_timeout)
        probe_start = time.monotonic()
        outcome = detect_implicit_tls(
            state.address,
            t.port,
            server_hostname=t.host,
            timeout=probe_timeout,
            deadline=state.deadline.at,
        )
        # said with its time: the step took the wait for a greeting plus this probe (5.0 s + 2.5 s), and a step
        # time larger than the finding's "no greeting within 5.0 s" was otherwise unexplained
        took = seconds(time.monotonic() - probe_start)
        details["implicit TLS probe"] = (
            f"a TLS handshake right after connecting succeeded ({outcome.version}, {took})"
            if outcome
            else f"no TLS handshake either (a second connection, tried for {took} after the wait for a greeting)"
        )
    if outcome is not None:
        # one mistake, one finding: the tls step that follows names it (see the docstring)
        state.implicit_probe = outcome
        step = Step(
            "banner",
            Status.FAIL,
            f"no greeting: port {t.port} speaks TLS first (see the tls step)",
            ms_since(start),
            details,
        )
        state.stop("the server never sent its greeting")
        return step
    probed = "implicit TLS probe" in details
    summary = f"no greeting within {seconds(exc.waited)}" + (f", nor a TLS handshake in {took} more" if took else "")
    step = Step("banner", Status.FAIL, summary, ms_since(start), details)
    if exc.received:
        hint = (
            f"It sent only {len(exc.received)} bytes ({printable(exc.received, 60)}) in that time, never finishing "
            "the line: a broken or deliberately slow (tarpitting) server, or a middlebox holding the data."
        )
    elif state.encrypted:
        hint = "TLS was set up, but the server said nothing after the handshake: it is stuck or overloaded."
    elif probed:
        hint = (
            "A TLS handshake did not work either, so it is not an implicit-TLS port: the server is stuck, "
            "overloaded or deliberately slow to greet, or a firewall accepted the connection but passes nothing."
        )
    elif t.port == 465:
        hint = "Port 465 normally expects implicit TLS: a plain-text client gets no greeting there."
    else:
        hint = (
            "The server is stuck, overloaded or deliberately slow to greet, or a firewall accepted the connection but"
            " passes nothing."
        )
    # once a TLS handshake has failed too, suggesting implicit TLS would send the reader the wrong way
    mode_fix = (
        ""
        if probed or state.encrypted
        else ("If the port expects implicit TLS (465), switch the security setting to implicit TLS (SSL/TLS). ")
    )
    step.add(
        state.finding(
            "banner.timeout", printable(exc.received), waited=seconds(exc.waited), hint=hint, mode_fix=mode_fix
        )
    )
    state.stop("the server never sent its greeting")
    return step


def _banner_garbage(state: SessionState, exc: MalformedReply, start: float) -> Step:
    raw = exc.received
    kind = classify_greeting(raw)
    details: dict[str, Any] = {"received": printable(raw, 200), "looks like": kind.service}
    step = Step("banner", Status.FAIL, f"not an SMTP greeting: {kind.service}", ms_since(start), details)
    if is_not_smtp(kind):
        step.add(state.finding("banner.not_smtp", printable(raw, 300), service=kind.service, what=kind.words))
    elif isinstance(exc, ReplyLimitExceeded):
        step.add(probe_error_finding(state, exc, "banner", "(connect)"))
    else:
        step.add(
            state.finding(
                "smtp.malformed_reply", printable(raw, 300), step="banner", stage="banner", problem=exc.problem
            )
        )
    state.stop("the server did not greet in SMTP")
    return step


# -- EHLO ---------------------------------------------------------------------------------


def default_helo(sock: socket.socket) -> str:
    """Our EHLO name: this machine's name if it is fully qualified, else our address literal.

    RFC 5321 §4.1.1.1 wants an FQDN or an address literal; a bare "localhost"
    or "laptop" gets refused by strict servers, so we do not send one. We do not
    ask DNS (`getfqdn` can hang on a dead resolver).
    """
    name = socket.gethostname()
    if "." in name and not name.lower().startswith("localhost") and name.replace("-", "").replace(".", "").isalnum():
        return name
    try:
        ip = sock.getsockname()[0]
    except OSError:
        return "[127.0.0.1]"
    return f"[IPv6:{ip}]" if ":" in ip else f"[{ip}]"


def capability_rows(caps: Capabilities) -> list[dict[str, Any]]:
    rows = []
    for keyword in caps.names():
        params = caps.keywords.get(keyword, "")
        if keyword == "AUTH":
            params = " ".join(caps.auth_mechanisms)
        elif keyword == "SIZE":
            size = caps.size
            params = f"{params} bytes ({size_text(size)})" if size else "0 (no fixed limit)"
        what, why = describe_capability(keyword)
        rows.append({"keyword": keyword, "parameters": params, "what": what, "meaning": why})
    return rows


def capability_summary(caps: Capabilities) -> str:
    parts = []
    for keyword in caps.names():
        if keyword == "AUTH":
            parts.append("AUTH " + " ".join(caps.auth_mechanisms))
        elif keyword == "SIZE" and caps.size:
            parts.append(f"SIZE {size_text(caps.size)}")
        else:
            parts.append(keyword)
    return ", ".join(parts) if parts else "no extensions"


def say_ehlo(
    state: SessionState, conn: SmtpConnection, stage: str
) -> tuple[Capabilities | None, list[Finding], Reply | None]:
    """EHLO (falling back to HELO when EHLO is not understood): the capabilities, findings, last reply."""
    helo = state.helo
    findings: list[Finding] = []
    try:
        reply = conn.command(f"EHLO {helo}")
    except ProbeError as exc:
        return None, [probe_error_finding(state, exc, stage, f"EHLO {helo}")], None
    if reply.code == 250:
        caps = parse_ehlo(reply)
        if caps.flooded:
            findings.append(
                state.finding(
                    "ehlo.flood",
                    f"{len(reply.lines)} EHLO lines, {len(reply.text):,} characters; first AUTH mechanisms: "
                    + " ".join(caps.auth_mechanisms[:8]),
                    step=stage,
                    auth_count=caps.auth_offered,
                    keyword_count=len(caps.keywords),
                    kept=MAX_AUTH_MECHANISMS,
                )
            )
        _detect_provider(state, reply.text)
        return caps, findings, reply
    if reply.code in (500, 502) and not conn.tls:
        try:
            helo_reply = conn.command(f"HELO {helo}")
        except ProbeError as exc:
            return None, [probe_error_finding(state, exc, stage, f"HELO {helo}")], None
        if helo_reply.code == 250:
            caps = parse_helo(helo_reply)
            findings.append(
                state.finding("ehlo.helo_fallback", reply.wire() + "\n" + helo_reply.wire(), reply=str(reply))
            )
            return caps, findings, helo_reply
        reply = helo_reply
    findings.append(state.finding("ehlo.rejected", reply.wire(), step=stage, reply=str(reply)))
    extra = _specific(state, "ehlo", reply, {"ehlo.rejected"})
    if extra is not None:
        findings.append(extra)
    return None, findings, reply


def ehlo_step(state: SessionState) -> Step:
    conn = state.conn
    assert conn is not None
    start = time.monotonic()
    state.helo = state.target.helo or default_helo(conn.sock)
    caps, findings, reply = say_ehlo(state, conn, "ehlo")
    default = " (the default: change it under More settings, EHLO name; --helo on the command line)"
    details: dict[str, Any] = {"EHLO name": state.helo + ("" if state.target.helo else default)}
    if caps is None:
        step = Step(
            "ehlo", Status.FAIL, f"EHLO refused: {reply}" if reply else "no answer to EHLO", ms_since(start), details
        )
        step.add(*findings)
        state.stop("the server refused our EHLO greeting", findings)
        return step
    if conn.tls:
        state.caps_tls = caps
    else:
        state.caps_plain = caps
    details["server name"] = caps.domain
    details["ESMTP"] = caps.esmtp
    details["STARTTLS offered"] = caps.starttls
    details["AUTH mechanisms"] = " ".join(caps.auth_mechanisms) or "none offered"
    if caps.size is not None:
        details["size limit"] = size_text(caps.size) if caps.size else "no fixed limit"
    summary = (
        f"{caps.domain or 'server'} offers {capability_summary(caps)}" if caps.esmtp else "HELO only: no extensions"
    )
    step = Step("ehlo", Status.PASS, summary, ms_since(start), details, tables={"capabilities": capability_rows(caps)})
    step.add(*findings)
    return step
