"""The `auth` step: which login methods the server offers, and one real login attempt.

Mechanism choice is deliberate. Over TLS we prefer PLAIN, then LOGIN, then
CRAM-MD5: the channel already protects the password, PLAIN is what almost every
mail client uses (so a pass here predicts a pass there), and CRAM-MD5 can fail
on servers that store hashed passwords even when the password is right, which
would send the user hunting for a wrong password that is not wrong. Over an
unencrypted connection (only when explicitly allowed) we prefer CRAM-MD5, the
one mechanism that does not put the password itself on the wire. We make ONE
attempt: retrying with other mechanisms after a rejection multiplies failed
logins, which is what trips account lockouts and fail2ban.
"""

from __future__ import annotations

import time

from smtpkit.checks.session.state import SessionState, ms_since, probe_error_finding, reply_finding
from smtpkit.model import Status, Step
from smtpkit.net.smtp import AUTHENTICATORS, ProbeError, Reply, SmtpConnection

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

# Why the send step does not run after a login that did not succeed: a submission server refuses
# to relay for a client that is not logged in, so MAIL/RCPT would only add a second failure
# (send.unauthenticated) that is a consequence of the first, not a problem of its own.
NO_LOGIN = "the login did not succeed, so the server would refuse to relay; fix the login first"

TLS_PREFERENCE = ("PLAIN", "LOGIN", "CRAM-MD5")
PLAINTEXT_PREFERENCE = ("CRAM-MD5", "PLAIN", "LOGIN")


def choose_mechanism(offered: list[str], *, oauth: bool, encrypted: bool, forced: str | None = None) -> str | None:
    """The mechanism to try, or None when nothing offered fits the credential we have."""
    if forced:
        return forced
    if oauth:
        return "XOAUTH2" if "XOAUTH2" in offered else None
    for mech in TLS_PREFERENCE if encrypted else PLAINTEXT_PREFERENCE:
        if mech in offered:
            return mech
    return None


def auth_step(state: SessionState) -> Step:
    t = state.target
    conn = state.conn
    assert conn is not None
    start = time.monotonic()
    caps = state.caps
    offered = caps.auth_mechanisms if caps is not None else []
    details: dict[str, Any] = {}
    if state.caps_plain is not None:
        details["offered before TLS"] = " ".join(state.caps_plain.auth_mechanisms) or "none"
    if state.caps_tls is not None:
        details["offered after TLS"] = " ".join(state.caps_tls.auth_mechanisms) or "none"
    details["connection"] = f"encrypted ({state.tls_version})" if state.encrypted else "NOT encrypted"

    secret = state.token or state.password
    if not t.username:
        summary = "not tested: no user name given (Username; --user)"
        if offered:
            summary += f"; the server offers {' '.join(offered)}"
        return Step("auth", Status.SKIP, summary, 0.0, details)
    details["user"] = t.username
    if secret is None:
        return Step("auth", Status.SKIP, "not tested: no password or token given", 0.0, details)
    if not offered:
        step = Step("auth", Status.FAIL, "the server offers no AUTH on this connection", ms_since(start), details)
        step.add(state.finding("auth.not_offered", f"EHLO keywords: {', '.join(caps.names()) if caps else 'none'}"))
        state.stop(NO_LOGIN)
        return step
    if not state.encrypted and not t.allow_plaintext_auth:
        step = Step(
            "auth", Status.FAIL, "credentials NOT sent: the connection is not encrypted", ms_since(start), details
        )
        step.add(
            state.finding(
                "auth.plaintext_refused",
                f"connection to {t.address} is not encrypted; AUTH offered: {' '.join(offered)}",
            )
        )
        answer = probe_auth_without_credentials(conn, offered)
        if answer is not None:
            step.details["AUTH without credentials"] = str(answer)
            if answer.code != 334 and not answer.ok:
                # e.g. 530 5.7.0 Must issue a STARTTLS command first: the server agrees
                step.add(
                    reply_finding(
                        state, "auth", f"AUTH {answer_mechanism(offered)}", answer, mechanisms=" ".join(offered)
                    )
                )
        state.stop(NO_LOGIN)
        return step
    mech = choose_mechanism(offered, oauth=state.token is not None, encrypted=state.encrypted, forced=t.auth_mechanism)
    if mech is None:
        have = "an OAuth token" if state.token is not None else "a password"
        step = Step(
            "auth",
            Status.FAIL,
            f"no offered mechanism works with {have}: {' '.join(offered)}",
            ms_since(start),
            details,
        )
        step.add(
            state.finding(
                "auth.mechanism_unsupported",
                f"offered: {' '.join(offered)}; we support PLAIN, LOGIN, CRAM-MD5 (password) and XOAUTH2 (token)",
                mechanism="XOAUTH2" if state.token is not None else "PLAIN/LOGIN/CRAM-MD5",
                mechanisms=" ".join(offered),
            )
        )
        state.stop(NO_LOGIN)
        return step
    details["mechanism"] = mech + ("" if t.auth_mechanism else " (chosen automatically)")
    if not state.encrypted:
        state.transcript.note("WARNING: sending credentials over an UNENCRYPTED connection (explicitly allowed)")
    try:
        exchange = AUTHENTICATORS[mech](conn, t.username, secret)
    except ProbeError as exc:
        step = Step("auth", Status.FAIL, f"the {mech} exchange broke off", ms_since(start), details)
        step.add(probe_error_finding(state, exc, "auth", f"AUTH {mech}"))
        state.stop("the login exchange broke off", step.findings)
        return step
    if exchange.ok:
        state.authenticated = True
        assert exchange.reply is not None
        return Step(
            "auth",
            Status.PASS,
            f"logged in as {t.username} with {mech}",
            ms_since(start),
            {**details, "reply": str(exchange.reply)},
        )
    if exchange.problem == "malformed_challenge":
        step = Step("auth", Status.FAIL, f"the server's {mech} challenge is malformed", ms_since(start), details)
        step.add(
            state.finding(
                "auth.malformed_challenge",
                exchange.challenge,
                mechanism=mech,
                reply=exchange.challenge,
            )
        )
        state.stop(NO_LOGIN)
        return step
    reply = exchange.reply
    assert reply is not None
    if exchange.oauth_error:
        details["XOAUTH2 error"] = exchange.oauth_error
    step = Step("auth", Status.FAIL, f"login refused: {reply}", ms_since(start), details)
    context: dict[str, Any] = {
        "mechanism": mech,
        "mechanisms": " ".join(offered),
        "mid_exchange": exchange.answered_challenge,
    }
    if exchange.oauth_error:
        context["xoauth2_error"] = exchange.oauth_error
    step.add(reply_finding(state, "auth", f"AUTH {mech}", reply, **context))
    state.stop(NO_LOGIN)
    return step


def answer_mechanism(offered: list[str]) -> str:
    """The mechanism named in a credential-free AUTH probe: one that starts with a client command."""
    for mech in ("PLAIN", "LOGIN"):
        if mech in offered:
            return mech
    return offered[0]


def probe_auth_without_credentials(conn: SmtpConnection, offered: list[str]) -> Reply | None:
    """Ask "AUTH <mech>" with no initial response, and cancel at once if challenged.

    When we refuse to send credentials over plain text we still want to show
    what the server itself would do: many answer "530 5.7.0 Must issue a
    STARTTLS command first", which tells the user the same thing from the
    server's side. Nothing secret is sent: a 334 challenge is cancelled with
    "*" (RFC 4954 §4), and any failure of this courtesy probe is ignored.
    """
    mech = answer_mechanism(offered)
    try:
        reply = conn.command(f"AUTH {mech}")
        if reply.code == 334:
            conn.command("*")
        return reply
    except ProbeError:
        return None
