"""`check_ports()`: every mail port x both TLS modes at once, and the setting to use.

People rarely know whether their provider wants 587 with STARTTLS, 465 with
implicit TLS or 2525, and mail clients only say "cannot connect". This probe
tries each port both ways, STARTTLS (plain text first, upgraded) and implicit
TLS (TLS from the first byte), all concurrently in threads, so the whole
matrix costs about one timeout instead of their sum: a silent port and a
filtered port each use up one timeout, in parallel with everything else.

Every probe is read-only: greeting, EHLO, STARTTLS, EHLO again; no login, no
mail. Certificates are verified (system store or `cafile`).
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterable, Sequence
from typing import Any

from smtpkit.checks.session.greeting import default_helo
from smtpkit.checks.session.network import attempt_problem
from smtpkit.checks.tls import tls_failure
from smtpkit.errors import InvalidSettings
from smtpkit.model import Transcript
from smtpkit.net.connect import Deadline, Resolution, connect_addresses, resolve_host
from smtpkit.net.dns import Resolver, resolver_for
from smtpkit.net.smtp import Capabilities, ProbeError, SmtpConnection, parse_ehlo, parse_helo
from smtpkit.net.tls import TlsOptions, TlsOutcome, start_tls
from smtpkit.record import asdict, field, record
from smtpkit.render import Viewable
from smtpkit.render.html import esc, html_table
from smtpkit.render.text import terminal_safe, text_table
from smtpkit.settings import DEFAULT_PORTS
from smtpkit.settings.ports import PortsQuery

MODES = ("starttls", "tls")


@record()
class ModeProbe:
    """One port tried one way. `reached` is ok/refused/timeout/unreachable/error."""

    port: int
    mode: str  # "starttls" (plain text first) or "tls" (implicit)
    reached: str = ""
    greeting: str = ""
    starttls_offered: bool | None = None
    tls_version: str = ""
    tls_error: str = ""
    cert_valid: bool | None = None
    cert_problem: str = ""
    auth_before_tls: list[str] = field(default_factory=list)
    auth_after_tls: list[str] = field(default_factory=list)
    problem: str = ""
    elapsed_ms: float = 0.0

    @property
    def greets(self) -> bool:
        return self.greeting.startswith("220")

    @property
    def tls_works(self) -> bool:
        return bool(self.tls_version)

    @property
    def auth(self) -> list[str]:
        return self.auth_after_tls if self.tls_works else self.auth_before_tls


@record()
class PortResult:
    """Both probes of one port and what they add up to."""

    port: int
    starttls: ModeProbe
    implicit: ModeProbe

    @property
    def reachable(self) -> str:
        for p in (self.starttls, self.implicit):
            if p.reached == "ok":
                return "yes"
        return self.starttls.reached or self.implicit.reached or "unknown"

    @property
    def best_mode(self) -> str:
        """How to use this port: tls, starttls, plain or none (TLS counts even with a bad certificate)."""
        if self.implicit.greets or (self.implicit.cert_valid is False and self.implicit.reached == "ok"):
            return "tls"
        if self.starttls.tls_works or self.starttls.cert_valid is False:
            return "starttls"
        if self.starttls.greets:
            return "plain"
        return "none"

    def certificate(self) -> str:
        for p in (self.implicit, self.starttls):
            if p.cert_valid is True:
                return "valid"
        for p in (self.implicit, self.starttls):
            if p.cert_valid is False:
                return f"INVALID: {p.cert_problem}"
        return "-"

    def note(self) -> str:
        """One plain sentence on this port."""
        mode = self.best_mode
        if self.reachable != "yes":
            words = {
                "refused": "nothing listens (connection refused)",
                "timeout": "no answer: filtered by a firewall or the host is down",
                "unreachable": "unreachable from this machine",
            }
            return words.get(self.reachable, f"cannot connect ({self.reachable})")
        cert = self.certificate()
        bad_cert = f", but the certificate fails verification ({cert[9:]})" if cert.startswith("INVALID") else ""
        if mode == "tls":
            extra = " (it also speaks STARTTLS)" if self.starttls.tls_works else ""
            return f"implicit TLS works{bad_cert}{extra}"
        if mode == "starttls":
            return f"STARTTLS works{bad_cert}"
        if mode == "plain":
            if self.starttls.tls_error:
                return f"greets in plain text, but STARTTLS failed: {self.starttls.tls_error}"
            return "plain text only: no STARTTLS offered, credentials would be exposed"
        if self.implicit.reached == "ok" and self.implicit.tls_error:
            return f"connects but does not greet; TLS failed: {self.implicit.tls_error}"
        return self.starttls.problem or self.implicit.problem or "connects but never greets"

    def row(self) -> dict[str, Any]:
        s, i = self.starttls, self.implicit
        return {
            "port": self.port,
            "reachable": self.reachable,
            "greets": "yes" if s.greets else ("after TLS" if i.greets else "no"),
            "starttls_offered": _yn(s.starttls_offered),
            "starttls_works": "yes" if s.tls_works else ("no: " + s.tls_error if s.tls_error else "-"),
            "implicit_tls_works": (
                "yes" if i.tls_works and i.greets else ("no: " + i.tls_error if i.tls_error else "no")
            ),
            "tls_version": i.tls_version or s.tls_version or "-",
            "certificate": self.certificate(),
            "auth_before_tls": " ".join(s.auth_before_tls) or "-",
            "auth_after_tls": " ".join(i.auth if i.tls_works else s.auth_after_tls) or "-",
            "use_as": (
                {"tls": "implicit TLS", "starttls": "STARTTLS", "plain": "plain (unsafe)", "none": "-"}[self.best_mode]
                + (
                    " (bad certificate)"
                    if self.best_mode in ("tls", "starttls") and self.certificate().startswith("INVALID")
                    else ""
                )
            ),
            "note": self.note(),
        }

    def to_dict(self) -> dict[str, Any]:
        out = self.row()
        out["probes"] = {"starttls": asdict(self.starttls), "tls": asdict(self.implicit)}
        return out


def _yn(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _no_port(summary: str, reason: str) -> dict[str, Any]:
    """The recommendation when there is none to give, and why."""
    return {"port": None, "security": None, "summary": summary, "reason": reason, "alternatives": []}


def _unresolved(name: str, status: str, denied_tld: str | None = None) -> dict[str, Any]:
    """No port could be tried: a typo, or (for a provider's published server, or a name under a top-level domain
    the resolver denies too) this machine's broken DNS."""
    from smtpkit.knowledge.presets import published_host

    provider = published_host(name) if status == "nxdomain" else None
    if provider is not None:
        return _no_port(
            f"{name} is {provider.name}'s published server, but this machine's DNS says it does not exist.",
            "The resolver in use is broken, filtered or offline (a VPN, a firewall or a DNS filter): compare "
            f"`dig {name}` with `dig {name} @1.1.1.1`, and try another network or --nameserver.",
        )
    if denied_tld:
        return _no_port(
            f"This machine's DNS says {name} does not exist, and says the same of .{denied_tld}, which exists.",
            "The resolver in use is broken, filtered or offline (no working upstream, a captive portal, a VPN or a "
            f"DNS filter): `dig NS {denied_tld}` should answer; try another network or --nameserver.",
        )
    return _no_port(
        f"{name} does not resolve, so no port can be tried.",
        "Check the host name for typos: `smtpkit check " + name + "` explains the DNS answer.",
    )


def _denied(name: str, status: str, resolver: Resolver | None, timeout: float) -> str | None:
    """The top-level domain the resolver also denies, after an NXDOMAIN for `name` (`smtpkit.checks.denied_tld`)."""
    from smtpkit.checks.denied_tld import denied_tld_of
    from smtpkit.knowledge.presets import published_host

    if status != "nxdomain" or published_host(name) is not None:
        return None
    return denied_tld_of(name, resolver, timeout)


_SECURITY_WORDS = {"tls": "implicit TLS (often labelled SSL/TLS)", "starttls": "STARTTLS", "plain": "no encryption"}


def recommend(host: str, results: Sequence[PortResult]) -> dict[str, Any]:
    """The port and security setting to configure, and why; RFC 8314 prefers implicit TLS."""

    def score(r: PortResult) -> tuple[int, int, int, int]:
        mode = r.best_mode
        base = {"tls": 3, "starttls": 3, "plain": 1, "none": 0}[mode]
        cert_ok = 1 if r.certificate() == "valid" else 0
        probe = r.implicit if mode == "tls" else r.starttls
        auth = 1 if probe.auth else 0
        port_pref = {465: 4, 587: 3, 2525: 2, 2465: 2, 2587: 2, 25: 0}.get(r.port, 1)
        return (base + cert_ok + auth if base else 0, port_pref, 1 if mode == "tls" else 0, -r.port)

    usable = [r for r in results if r.best_mode != "none"]
    if not usable:
        return _no_port(
            f"No port of {host} answered as an SMTP server from here.",
            "Every port was refused, filtered or silent. Check the host name, try from another network "
            "(your network may block outgoing mail ports), and confirm the ports in your provider's documentation.",
        )
    ranked = sorted(usable, key=score, reverse=True)
    best = ranked[0]
    mode = best.best_mode
    probe = best.implicit if mode == "tls" else best.starttls
    reasons = []
    if mode in ("tls", "starttls"):
        reasons.append(f"TLS works ({probe.tls_version})")
        cert = best.certificate()
        reasons.append("the certificate is valid" if cert == "valid" else f"but the certificate is {cert}")
    else:
        reasons.append("it is the only port that greets, but it offers no encryption: avoid sending passwords here")
    reasons.append(
        f"AUTH offers {' '.join(probe.auth)}" if probe.auth else "no AUTH is offered (a relay without login)"
    )
    if best.port == 25:
        reasons.append(
            "port 25 is meant for server-to-server mail and often blocked by ISPs; prefer 587 or 465 where possible"
        )
    alternatives = [{"port": r.port, "security": r.best_mode} for r in ranked[1:] if r.best_mode in ("tls", "starttls")]
    return {
        "port": best.port,
        "security": mode,
        "summary": f"Use {host} port {best.port} with {_SECURITY_WORDS[mode]}.",
        "reason": "; ".join(reasons) + ".",
        "alternatives": alternatives,
    }


@record()
class PortMatrix(Viewable):
    """The result of `check_ports`: one row per port, and the recommended setting."""

    host: str
    addresses: list[str]
    results: list[PortResult]
    recommendation: dict[str, Any]
    timeout: float
    elapsed_ms: float
    resolution_error: str = ""

    def rows(self) -> list[dict[str, Any]]:
        return [r.row() for r in self.results]

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "addresses": self.addresses,
            "timeout": self.timeout,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "resolution_error": self.resolution_error,
            "ports": [r.to_dict() for r in self.results],
            "recommendation": self.recommendation,
        }

    def to_frame(self):  # type: ignore[no-untyped-def]
        import pandas as pd

        rows = self.rows()
        return pd.DataFrame(rows, columns=list(rows[0].keys()) if rows else ["port"])

    def picture(self, labels: dict[int, str] | None = None) -> Any:
        """The matrix as a coloured grid with its words beside it (`smtpkit.render.pictures.port_grid`);
        `labels` names the server on each port. None when no port was probed."""
        from smtpkit.render.pictures import port_grid

        return port_grid(self, labels=labels)

    def to_text(self) -> str:
        out = [
            f"smtpkit ports {self.host} ({', '.join(self.addresses) or 'unresolved'}): {self.elapsed_ms / 1000:.1f} s"
        ]
        if self.resolution_error:
            out.append(f"  {self.resolution_error}")
        cols = [
            "port",
            "reachable",
            "greets",
            "starttls_offered",
            "implicit_tls_works",
            "tls_version",
            "certificate",
            "auth_after_tls",
            "use_as",
        ]
        if self.results:
            out += ["", text_table(self.rows(), cols, max_width=40), ""]
            out += [f"  {r.port}: {r.note()}" for r in self.results]
        rec = self.recommendation
        out += ["", "Recommendation: " + str(rec.get("summary", "")), "  " + str(rec.get("reason", ""))]
        return terminal_safe("\n".join(out))

    def to_html(self) -> str:
        rec = self.recommendation
        head = (
            f"<h3>Ports of {esc(self.host)}</h3><p>{esc(', '.join(self.addresses))} — "
            f"{self.elapsed_ms / 1000:.1f} s, timeout {self.timeout:g} s</p>"
        )
        body = html_table(self.rows())
        tail = f"<p><strong>Recommendation:</strong> {esc(rec.get('summary', ''))}<br>{esc(rec.get('reason', ''))}</p>"
        return head + body + tail


# -- probing -------------------------------------------------------------------------------


def _probe(
    addresses: Sequence[str],
    port: int,
    mode: str,
    host: str,
    helo: str,
    cafile: str | None,
    timeout: float,
    deadline: Deadline,
) -> ModeProbe:
    start = time.monotonic()
    probe = ModeProbe(port=port, mode=mode)
    conn: SmtpConnection | None = None
    try:
        result = connect_addresses(addresses, port, deadline, timeout)
        if not result.ok:
            last = attempt_problem(result.attempts[-1]) if result.attempts else None
            probe.reached = last.kind if last is not None else "error"
            probe.problem = last.words if last is not None else "no address"
            return probe
        probe.reached = "ok"
        assert result.sock is not None
        helo = helo or default_helo(result.sock)
        opts = TlsOptions(
            server_hostname=host, cafile=cafile, timeout=timeout, legacy_probe=False, fetch_unverified=False
        )
        sock = result.sock
        if mode == "tls":
            outcome = start_tls(sock, opts, deadline=deadline.at)
            _tls_facts(probe, outcome)
            if outcome.tls_socket is None:
                return probe
            sock = outcome.tls_socket
        conn = SmtpConnection(sock, Transcript(max_lines=300), deadline, timeout)
        greeting = conn.read_reply()
        probe.greeting = str(greeting)[:200]
        if greeting.code != 220:
            probe.problem = f"greeting {greeting}"
            return probe
        caps = _ehlo(conn, helo)
        if caps is None:
            probe.problem = "EHLO refused"
            return probe
        if mode == "tls":
            probe.auth_after_tls = caps.auth_mechanisms
            return probe
        probe.starttls_offered = caps.starttls
        probe.auth_before_tls = caps.auth_mechanisms
        if not caps.starttls:
            return probe
        reply = conn.command("STARTTLS")
        if reply.code != 220:
            probe.tls_error = f"STARTTLS refused: {reply}"
            return probe
        conn.drain_plaintext()
        outcome = start_tls(conn.sock, opts, deadline=deadline.at)
        _tls_facts(probe, outcome)
        if outcome.tls_socket is None:
            conn.closed = True
            return probe
        conn.upgrade(outcome.tls_socket)
        caps = _ehlo(conn, helo)
        if caps is not None:
            probe.auth_after_tls = caps.auth_mechanisms
        return probe
    except ProbeError as exc:
        probe.problem = str(exc)
        return probe
    finally:
        if conn is not None:
            conn.close()
        probe.elapsed_ms = (time.monotonic() - start) * 1000.0


def _ehlo(conn: SmtpConnection, helo: str) -> Capabilities | None:
    reply = conn.command(f"EHLO {helo}")
    if reply.code != 250:
        reply = conn.command(f"HELO {helo}")
        return parse_helo(reply) if reply.code == 250 else None
    return parse_ehlo(reply)


def _tls_facts(probe: ModeProbe, outcome: TlsOutcome) -> None:
    if outcome.tls_socket is not None:
        probe.tls_version = outcome.version or "TLS"
        probe.cert_valid = True
        return
    failure = tls_failure(outcome)
    kind = failure.kind if failure is not None else None
    reason = outcome.error_reason or kind or "handshake failed"
    if kind == "verify":
        probe.cert_valid = False
        probe.cert_problem = outcome.verify_message or reason
        probe.tls_version = ""
        probe.tls_error = f"certificate rejected: {probe.cert_problem}"
    elif kind == "wrong_mode":
        probe.tls_error = "the port speaks plain text first"
    elif kind == "timeout":
        probe.tls_error = "no TLS answer (timeout)"
    else:
        probe.tls_error = str(reason).lower().replace("_", " ")


def check_ports(
    host: str | PortsQuery,
    ports: str | Iterable[int] = DEFAULT_PORTS,
    *,
    timeout: float | str = 5.0,
    cafile: str | None = None,
    resolver: Resolver | None = None,
    helo: str | None = None,
    nameservers: str | Iterable[str] | None = (),
) -> PortMatrix:
    """Probe every port in `ports` with STARTTLS and with implicit TLS, concurrently.

    The whole matrix is bounded by about one `timeout` (plus DNS): each probe
    has that deadline, and all probes run at the same time. Settings that
    cannot be used raise `smtpkit.errors.InvalidSettings` (a ValueError) naming
    the field and the fix, like `diagnose` and `check_domain`. `host` may also
    be a ready `smtpkit.settings.ports.PortsQuery` (the other settings must then be left out).
    """
    if isinstance(host, PortsQuery):
        if ports != DEFAULT_PORTS or timeout != 5.0 or cafile is not None or helo is not None or nameservers:
            raise InvalidSettings("check_ports() got a PortsQuery and other settings too: put them all in it")
        query = host
    else:
        query = PortsQuery(host, ports, timeout=timeout, cafile=cafile, helo=helo, nameservers=nameservers)
    name, port_list, timeout, cafile, helo_name = (
        query.host,
        list(query.ports),
        query.timeout,
        query.cafile,
        query.helo or "",
    )
    if resolver is None and query.nameservers:
        resolver = resolver_for(query.nameservers, min(2.0, timeout))
    start = time.monotonic()
    res: Resolution = resolve_host(name, resolver, Deadline(timeout * 2.5), timeout)
    if not res.ok:
        return PortMatrix(
            name,
            [],
            [],
            _unresolved(name, res.status, _denied(name, res.status, resolver, timeout)),
            timeout,
            (time.monotonic() - start) * 1000.0,
            resolution_error=f"{name} could not be resolved ({res.status}{': ' + res.error if res.error else ''})",
        )
    # Every probe shares one deadline. Each wait is bounded by `timeout`, so a silent or filtered
    # port costs exactly one timeout; the deadline only lets a slow but answering server finish
    # its few round trips (greeting, EHLO, STARTTLS, handshake, EHLO) before we stop listening.
    deadline = Deadline(timeout * 2)
    jobs = [(port, mode) for port in port_list for mode in MODES]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="smtpkit-ports") as pool:
        futures = {
            (port, mode): pool.submit(_probe, res.addresses, port, mode, name, helo_name, cafile, timeout, deadline)
            for port, mode in jobs
        }
        probes = {key: f.result() for key, f in futures.items()}
    results = [PortResult(port, probes[(port, "starttls")], probes[(port, "tls")]) for port in port_list]
    elapsed = (time.monotonic() - start) * 1000.0
    return PortMatrix(name, res.addresses, results, recommend(name, results), timeout, elapsed)
