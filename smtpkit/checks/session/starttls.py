"""The `tls` step as the session runs it: STARTTLS or implicit TLS, then EHLO again.

The handshake, certificate capture and their explanations belong to the TLS
layer (`smtpkit.net.tls.start_tls`, `smtpkit.checks.tls`); this module
does the SMTP around them: deciding whether TLS is possible, the STARTTLS
command, discarding plaintext the server sent too early, reconnecting for the
second (certificate-reading) handshake, and asking EHLO again over TLS because
servers announce AUTH only after encryption.
"""

from __future__ import annotations

import socket
import time

from smtpkit.checks.session.greeting import capability_rows, say_ehlo
from smtpkit.checks.session.state import SessionState, ms_since, probe_error_finding
from smtpkit.checks.tls import second_look, starttls_unavailable_step, tls_step
from smtpkit.model import Status, Step, Transcript
from smtpkit.net.connect import Deadline, open_socket
from smtpkit.net.smtp import ProbeError, SmtpConnection
from smtpkit.net.tls import TlsOptions, TlsOutcome, start_tls


def tls_options(state: SessionState) -> TlsOptions:
    t = state.target
    return TlsOptions(server_hostname=t.host, cafile=t.cafile, timeout=t.timeout, second_look=second_look)


def _describe(outcome: TlsOutcome) -> str:
    cipher = f", {outcome.cipher[0]}" if outcome.cipher else ""
    return f"{outcome.version}{cipher}"


def implicit_tls_step(state: SessionState) -> tuple[Step, TlsOutcome]:
    """Handshake right after connecting (port 465 style); on success the conversation continues inside TLS."""
    t = state.target
    sock = state.sock
    assert sock is not None
    state.sock = None
    deadline = state.step_deadline(t.timeout * 2.5)
    state.transcript.note("starting TLS immediately after connecting (implicit TLS)")

    def refetch() -> socket.socket:
        return open_socket(state.address, t.port, deadline.timeout(t.timeout))

    outcome = start_tls(sock, tls_options(state), deadline=deadline.at, refetch=refetch)
    step = tls_step(outcome, "tls", t.host, t.port, state.provider)
    if t.security == "auto":
        step.details["security"] = f"auto: port {t.port} is an implicit-TLS port, so TLS started right after connecting"
    if outcome.encrypted and outcome.tls_socket is not None:
        state.conn = SmtpConnection(outcome.tls_socket, state.transcript, state.deadline, t.timeout)
        state.conn.transcript.note(f"---- TLS established: {_describe(outcome)}; everything below is encrypted ----")
        state.tls_version = outcome.version or ""
    else:
        state.transcript.note(f"TLS handshake failed: {outcome.error_message or outcome.error_reason}")
        if outcome.peer_bytes:
            state.transcript.note(f"(the server sent in plain text: {outcome.peer_bytes[:200]!r})")
        state.stop("the TLS handshake failed")
    return step, outcome


def _reopen_for_starttls(state: SessionState, deadline: Deadline) -> socket.socket:
    """A second connection brought to the point of the TLS hello (greeting, EHLO, STARTTLS, 220).

    Used only by the TLS layer to read a rejected certificate; its lines go to a
    scratch transcript so the report shows the real session, plus one note.
    """
    t = state.target
    state.transcript.note("(opening a second connection to read the certificate without verification)")
    sock = open_socket(state.address, t.port, deadline.timeout(t.timeout))
    conn = SmtpConnection(sock, Transcript(max_lines=200), deadline, t.timeout)
    try:
        greeting = conn.read_reply()
        if greeting.code != 220:
            raise OSError(f"second connection: greeting {greeting}")
        ehlo = conn.command(f"EHLO {state.helo}")
        if ehlo.code != 250:
            raise OSError(f"second connection: EHLO answered {ehlo}")
        reply = conn.command("STARTTLS")
        if reply.code != 220:
            raise OSError(f"second connection: STARTTLS answered {reply}")
        conn.drain_plaintext()
    except ProbeError as exc:
        sock.close()
        raise OSError(f"second connection failed: {exc}") from None
    except BaseException:
        sock.close()
        raise
    return sock


def starttls_step(state: SessionState) -> Step:
    """STARTTLS when offered (or demanded), the handshake, and EHLO again over TLS."""
    t = state.target
    conn = state.conn
    caps = state.caps_plain
    assert conn is not None and caps is not None
    start = time.monotonic()
    if t.security == "plain":
        offered = " The server offers STARTTLS; choose security starttls (or auto) to use it." if caps.starttls else ""
        return Step(
            "tls",
            Status.SKIP,
            "not used: security 'plain' was chosen." + offered,
            0.0,
            {"STARTTLS offered": caps.starttls},
        )
    if not caps.starttls:
        required = t.security == "starttls"
        step = starttls_unavailable_step(
            t.host, t.port, capabilities=caps.names(), provider=state.provider, required=required, elapsed_ms=0.0
        )
        if required:
            state.stop("STARTTLS was required but is not offered")
        else:
            step.details["security"] = "auto: STARTTLS is not offered, so the session continues unencrypted"
        return step
    try:
        reply = conn.command("STARTTLS")
    except ProbeError as exc:
        step = Step("tls", Status.FAIL, "no usable answer to STARTTLS", ms_since(start))
        step.add(probe_error_finding(state, exc, "tls", "STARTTLS"))
        state.stop("STARTTLS failed", step.findings)
        return step
    if reply.code != 220:
        step = starttls_unavailable_step(
            t.host,
            t.port,
            reply=(reply.code, reply.text),
            provider=state.provider,
            elapsed_ms=ms_since(start),
        )
        state.stop("the server refused STARTTLS")
        return step
    leftover = conn.drain_plaintext()
    deadline = state.step_deadline(t.timeout * 2.5)
    outcome = start_tls(
        conn.sock, tls_options(state), deadline=deadline.at, refetch=lambda: _reopen_for_starttls(state, deadline)
    )
    step = tls_step(outcome, "starttls", t.host, t.port, state.provider)
    if t.security == "auto":
        step.details["security"] = f"auto: port {t.port} offers STARTTLS, so we used it"
    if leftover:
        step.add(
            state.finding(
                "smtp.starttls_injection",
                repr(leftover[:200]),
                count=len(leftover),
            )
        )
    if not (outcome.encrypted and outcome.tls_socket is not None):
        conn.closed = True
        state.transcript.note(f"TLS handshake failed: {outcome.error_message or outcome.error_reason}")
        state.stop("the TLS handshake failed")
        step.elapsed_ms = ms_since(start)
        return step
    conn.upgrade(outcome.tls_socket, _describe(outcome))
    state.tls_version = outcome.version or ""
    caps_tls, findings, ehlo_reply = say_ehlo(state, conn, "tls")
    step.add(*findings)
    if caps_tls is None:
        state.stop("the server refused EHLO after TLS", findings)
    else:
        state.caps_tls = caps_tls
        step.tables["capabilities after TLS"] = capability_rows(caps_tls)
        step.details["AUTH before TLS"] = " ".join(caps.auth_mechanisms) or "none"
        step.details["AUTH after TLS"] = " ".join(caps_tls.auth_mechanisms) or "none"
    step.elapsed_ms = ms_since(start)
    return step
