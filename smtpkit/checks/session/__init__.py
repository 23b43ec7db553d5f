"""`diagnose()`: one SMTP session, step by step, every step explained.

The steps run in the order a mail client goes through them, and stop where it
would stop: resolve, connect, banner, ehlo, tls (STARTTLS, then EHLO again),
auth, send; with implicit TLS the tls step comes right after connect. A step
that cannot run because an earlier one failed is reported as `skip` with the
reason, so the table always shows the whole journey and where it broke.

`security="auto"` chooses like a careful mail client: implicit TLS on 465 (and
2465), otherwise STARTTLS when the server offers it. When the port turns out
to speak the other way (a silent port that answers a TLS handshake, or a
"465" that greets in plain text), auto switches once and says so.

The session has an overall deadline (`deadline`, default: enough for every step
at one `timeout` each) on top of every operation's `timeout`, so a hostile or
stuck server can never keep it running.

A `smtpkit.progress.Progress` passed as `progress` hears every step start
(with what it waits for and for how long at most) and end, and can stop the
session from another thread: the blocked wait returns at once and
`smtpkit.errors.Cancelled` is raised instead of a report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from smtpkit.checks.session.auth import auth_step
from smtpkit.checks.session.greeting import banner_step, ehlo_step
from smtpkit.checks.session.network import connect_step, resolve_step
from smtpkit.checks.session.send import send_step
from smtpkit.checks.session.starttls import implicit_tls_step, starttls_step
from smtpkit.checks.session.state import TIME_LIMIT, SessionState, probe_error_finding, skipped
from smtpkit.checks.tls import tls_failure, wrong_mode_step
from smtpkit.errors import InvalidSettings
from smtpkit.model import Report, Status, Step, Transcript
from smtpkit.net.connect import Deadline, open_socket
from smtpkit.net.smtp import ConnectionLost, SmtpConnection
from smtpkit.progress import Progress, active, current
from smtpkit.secrets import REDACTOR, Secret, as_secret
from smtpkit.settings import IMPLICIT_TLS_PORTS, SESSION_TIMEOUT, Target

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:  # (net.dns is imported when DNS servers are given: an IP address needs none)
    from smtpkit.net.dns import Resolver

STARTTLS_ORDER = ("banner", "ehlo", "tls", "auth", "send")
IMPLICIT_ORDER = ("tls", "banner", "ehlo", "auth", "send")


def diagnose(
    host: str | Target,
    port: int | str | None = None,
    security: str | None = "auto",
    username: str | None = None,
    password: str | Secret | None = None,
    oauth_token: str | Secret | None = None,
    cafile: str | None = None,
    helo: str | None = None,
    mail_from: str | None = None,
    rcpt_to: str | Iterable[str] | None = None,
    send: bool = False,
    timeout: float | str = SESSION_TIMEOUT,
    resolver: Resolver | None = None,
    allow_plaintext_auth: bool = False,
    deadline: float | str | None = None,
    auth_mechanism: str | None = None,
    nameservers: str | Iterable[str] | None = (),
    progress: Progress | None = None,
) -> Report:
    """Diagnose sending mail through `host`: connection, TLS, AUTH and (optionally) a test send.

    `host` is what a person types (``smtp.example.com``, ``host:587``, an
    ``smtps://`` URL) or a ready `smtpkit.settings.Target` (what the forms and
    the CLI build; the other settings arguments must then be left out).
    `password`/`oauth_token` may be plain strings or `Secret`s; they are wrapped
    at once and never appear in the report, its transcript or any error text.
    `resolver` is a smtpkit `Resolver` (for example the practice lab's DNS);
    without one, `nameservers` (or the system's resolvers) are asked. With
    `mail_from`/`rcpt_to` the send step is a dry run (RSET after RCPT) unless
    `send=True`. Settings that cannot be used raise
    `smtpkit.errors.InvalidSettings` (a ValueError) naming the field and the fix,
    like `check_domain` and `check_ports`; everything a server does is a finding.
    `progress` (a `smtpkit.progress.Progress`) hears each step as it starts and
    ends, and its `cancel()` stops the session (`smtpkit.errors.Cancelled`).

    >>> report = diagnose("smtp.example.com", 587, username="me@example.com",
    ...                   password=Secret("..."))             # doctest: +SKIP
    >>> report.to_frame()                                      # doctest: +SKIP
    """
    pw = as_secret(password)
    token = as_secret(oauth_token)
    user = username if isinstance(username, str) else host.username if isinstance(host, Target) else None
    for secret in (pw, token):
        if secret:
            REDACTOR.register_auth(user or "", secret)
    credential = "oauth" if token else "password" if pw else "none"
    if isinstance(host, Target):
        given = {
            "port": port is not None,
            "security": security not in (None, "auto"),
            "username": username is not None,
            "cafile": cafile is not None,
            "helo": helo is not None,
            "mail_from": mail_from is not None,
            "rcpt_to": bool(rcpt_to),
            "send": send,
            "timeout": timeout != SESSION_TIMEOUT,
            "allow_plaintext_auth": allow_plaintext_auth,
            "deadline": deadline is not None,
            "auth_mechanism": auth_mechanism is not None,
            "nameservers": bool(nameservers),
        }
        extra = [name for name, was_given in given.items() if was_given]
        if extra:
            raise InvalidSettings(
                f"diagnose() got a Target and {', '.join(extra)} too: put every setting in the Target",
                field=extra[0],
            )
        target = host if host.credential == credential else host.with_credential(credential)
    else:
        target = Target(
            host=host,
            port=port,
            security=security,
            username=username,
            helo=helo,
            mail_from=mail_from,
            rcpt_to=rcpt_to,
            send=send,
            cafile=cafile,
            timeout=timeout,
            deadline=deadline,
            allow_plaintext_auth=allow_plaintext_auth,
            auth_mechanism=auth_mechanism,
            credential=credential,
            nameservers=nameservers,
        )
    return run_session(target, resolver=resolver, password=pw or None, token=token or None, progress=progress)


def _provider_for(target: Target) -> str | None:
    from smtpkit.knowledge.presets import provider_key_for_host

    return provider_key_for_host(target.host)


def run_session(
    target: Target,
    *,
    resolver: Resolver | None = None,
    password: Secret | None = None,
    token: Secret | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run every step for an already-validated `Target` and return the report (`Cancelled` if stopped)."""
    if resolver is None and target.nameservers:
        from smtpkit.net.dns import resolver_for

        resolver = resolver_for(target.nameservers, min(2.0, target.timeout))
    state = SessionState(
        target=target,
        resolver=resolver,
        password=password,
        token=token,
        transcript=Transcript(),
        deadline=Deadline(target.session_deadline),
        provider=_provider_for(target),
    )
    with active(progress) as watching:
        try:
            _run(state)
        finally:
            if state.conn is not None:
                state.conn.close(quit_first=not watching.cancelled)
            if state.sock is not None:
                state.sock.close()
        watching.check()  # a cancelled session concludes nothing: no report
    return Report(
        target=target, steps=state.steps, transcript=state.transcript, title=f"smtpkit check {target.address}"
    )


def _implicit_first(target: Target) -> bool:
    return target.security == "tls" or (target.security == "auto" and target.port in IMPLICIT_TLS_PORTS)


_RUNNERS: dict[str, Callable[[SessionState], Step]] = {
    "banner": banner_step,
    "ehlo": ehlo_step,
    "tls": starttls_step,
    "auth": auth_step,
    "send": send_step,
}


def _doing(target: Target, name: str) -> tuple[str, float]:
    """What step `name` waits for, in words, and for how long at most (for the live progress view)."""
    t = target
    words = {
        "resolve": (f"asking DNS for the address of {t.host}", t.timeout * 2.5),
        "connect": (f"connecting to {t.host} port {t.port}", t.timeout),
        "banner": ("waiting for the greeting", t.timeout),
        "ehlo": ("waiting for the reply to EHLO", t.timeout),
        "tls": ("TLS handshake and certificate check", t.timeout),
        "auth": ("logging in", t.timeout),
        "send": ("sending the test message" if t.send else "trying the sender and recipients", t.timeout),
    }
    return words.get(name, (name, t.timeout))


def _begin(state: SessionState, name: str) -> None:
    """A step starts: stop here if the session was cancelled, else tell whoever watches what it waits for."""
    progress = current()
    progress.check()
    doing, wait = _doing(state.target, name)
    progress.started(name, doing, wait)


def _add(state: SessionState, step: Step) -> None:
    """A step is done: keep it, and tell whoever watches."""
    state.steps.append(step)
    current().finished(step.name, step.status.value, step.summary, step.elapsed_ms)


def _skip_rest(state: SessionState, names: Iterable[str]) -> None:
    for name in names:
        _add(state, skipped(name, state.stop_reason))


def _reconnect(state: SessionState) -> bool:
    """A fresh TCP connection to the address that worked, for auto's one change of mode."""
    t = state.target
    try:
        state.sock = open_socket(state.address, t.port, state.deadline.timeout(t.timeout))
    except OSError as exc:
        state.transcript.note(f"reconnecting failed: {exc}")
        return False
    state.transcript.note(f"connected again to {state.address} port {t.port}")
    return True


def _run(state: SessionState) -> None:
    t = state.target
    implicit = _implicit_first(t)
    order: tuple[str, ...] = IMPLICIT_ORDER if implicit else STARTTLS_ORDER
    _begin(state, "resolve")
    _add(state, resolve_step(state))
    if state.stop_reason:
        _add(state, skipped("connect", state.stop_reason))
    else:
        _begin(state, "connect")
        _add(state, connect_step(state))
    if state.stop_reason:
        _skip_rest(state, order)
        return
    if implicit:
        _begin(state, "tls")
        step, outcome = implicit_tls_step(state)
        failure = tls_failure(outcome)
        if t.security == "auto" and failure is not None and failure.kind == "wrong_mode" and _reconnect(state):
            # "465" greeted in plain text: a careful client would try STARTTLS on it.
            state.stop_reason = ""
            state.transcript.note(f"auto: port {t.port} speaks plain text first, so we continue with STARTTLS")
            implicit, order = False, STARTTLS_ORDER
        else:
            _add(state, step)
            order = order[1:]
    if not implicit:
        assert state.sock is not None
        state.conn = SmtpConnection(state.sock, state.transcript, state.deadline, t.timeout)
        state.sock = None
    remaining = list(order)
    while remaining:
        name = remaining.pop(0)
        if state.stop_reason:
            _add(state, skipped(name, state.stop_reason))
            continue
        if state.deadline.expired:
            # the time went into work between the waits (reading a huge reply, say): every wait is
            # bounded by the deadline, and so is starting another step
            _add(state, _out_of_time(state, name))
            continue
        _begin(state, name)
        step = _run_step(state, name)
        if name == "banner" and state.implicit_probe is not None and not state.encrypted:
            if t.security == "auto" and _switch_to_implicit(state, step):
                remaining = ["banner", "ehlo", "auth", "send"]
                continue
            _add(state, step)
            # the plain-text client met an implicit-TLS port: that is the tls step's lesson
            _add(state, skipped("ehlo", state.stop_reason))
            _add(
                state,
                wrong_mode_step(
                    t.host,
                    t.port,
                    evidence=f"no greeting within {t.timeout:g} s",
                    outcome=state.implicit_probe,
                    provider=state.provider,
                ),
            )
            remaining = [n for n in remaining if n not in ("ehlo", "tls")]
            continue
        _add(state, step)


def _out_of_time(state: SessionState, name: str) -> Step:
    step = Step(name, Status.FAIL, f"not run: {TIME_LIMIT}")
    step.add(
        state.finding(
            "smtp.deadline_exceeded",
            f"the session deadline had passed before the {name} step could start",
            step=name,
            stage=name,
            deadline=state.deadline_words(name),
        )
    )
    state.stop(TIME_LIMIT)
    return step


def step_budget(target: Target, name: str) -> float:
    """Seconds one step may take in all: its round trips at one timeout each, plus slack.

    The per-operation timeout bounds each wait; the step budget bounds their
    sum (a server answering every command just under the timeout), and the
    session deadline bounds everything.
    """
    t = target.timeout
    trips = {"banner": 1, "ehlo": 2, "tls": 5, "auth": 3, "send": 4 + len(target.rcpt_to)}[name]
    extra = 30.0 if name == "send" and target.send else 0.5  # servers scan the message after its final dot
    return trips * t + extra


def _run_step(state: SessionState, name: str) -> Step:
    """Run one step with its own budget on the conversation's deadline, then restore the session's."""
    if state.conn is not None:
        state.conn.deadline = state.step_deadline(step_budget(state.target, name))
    try:
        return _RUNNERS[name](state)
    except OSError as exc:
        # a socket error outside a traced exchange (a connection torn down under us): report, never crash
        step = Step(name, Status.FAIL, f"the connection failed: {exc}")
        step.add(probe_error_finding(state, ConnectionLost(str(exc), error=exc), name, f"the {name} step"))
        state.stop("the connection failed", step.findings)
        return step
    finally:
        if state.conn is not None:
            state.conn.deadline = state.deadline


def _switch_to_implicit(state: SessionState, silent_banner: Step) -> bool:
    """auto on a silent port that answered a TLS handshake: start again with implicit TLS."""
    t = state.target
    if state.conn is not None:
        state.conn.close(quit_first=False)
        state.conn = None
    if not _reconnect(state):
        return False
    state.stop_reason = ""
    state.transcript.note(f"auto: port {t.port} gave no plain-text greeting but speaks TLS, so we use implicit TLS")
    _begin(state, "tls")
    step, _outcome = implicit_tls_step(state)
    step.details["security"] = (
        f"auto: no plain-text greeting within {silent_banner.details.get('waited', t.timeout)}, "
        f"but port {t.port} answered a TLS handshake, so we used implicit TLS"
    )
    _add(state, step)
    return True
