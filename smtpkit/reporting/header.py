"""The top of a report for the person it is sent to: when and where the check ran, and three plain lines.

The reader of a shared report did not run the check and has no smtpkit. Before
any table they need what a support engineer asks first: when was this checked
(UTC), with which version, from which machine, through which DNS resolver and
trusting which certificates; then, in three sentences without jargon, what is
wrong and who must act ("The server's certificate expired on 2026-11-22; the
administrator of mail.example.com must renew the certificate").
"""

from __future__ import annotations

import datetime as _dt
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from smtpkit.knowledge.actors import who_acts
from smtpkit.model import Finding, Report, Severity, verdict_of
from smtpkit.render import Viewable
from smtpkit.render.html import CSS, PANEL_CSS, PANEL_ROOT_CLASSES, badge, esc
from smtpkit.render.report_view import also_noted
from smtpkit.render.text import terminal_safe
from smtpkit.secrets import redact

__all__ = ["Provenance", "ReportHeader", "headline", "provenance", "report_header"]


@dataclass(frozen=True)
class Provenance:
    """Where and when a check ran: the facts a reader needs to trust (or question) a report."""

    checked_at: _dt.datetime
    version: str
    host: str
    resolver: str
    ca_store: str
    target: str = ""

    def rows(self) -> dict[str, str]:
        out = {
            "checked on": f"{self.checked_at.astimezone(_dt.UTC):%Y-%m-%d at %H:%M} UTC",
            "made with": f"smtpkit {self.version}",
            "checked from (host name)": self.host,
            "DNS resolver used": self.resolver,
            "certificates trusted": self.ca_store,
        }
        if self.target:
            out = {"what was checked": self.target, **out}
        return out


def _system_resolver() -> str:
    """This machine's resolvers as the checks used them (read from its configuration; nothing is asked)."""
    try:
        import dns.resolver

        servers = [str(s) for s in dns.resolver.Resolver(configure=True).nameservers]
    except Exception:  # no /etc/resolv.conf, or one dnspython cannot read: say so rather than fail the report
        return "this machine's resolver (its configuration could not be read)"
    return f"this machine's resolver ({', '.join(servers) or 'none configured'})"


def _system_store() -> str:
    paths = ssl.get_default_verify_paths()
    where = paths.cafile or paths.capath or paths.openssl_cafile or ""
    return f"this machine's system store ({where})" if where else "this machine's system store"


def provenance(
    server: Report | None,
    domain: Report | None,
    server_settings: Any = None,
    domain_settings: Any = None,
    *,
    practice_lab: bool = False,
    target: str = "",
) -> Provenance:
    """The provenance of a report of `server` and `domain` (either may be None) made with these settings.

    The resolver is the one the server check actually asked (its resolve step
    says), else the one the settings name, else the machine's; the CA store is
    the settings' file, else the system's.
    """
    from smtpkit import __version__

    reports = [r for r in (server, domain) if r is not None]
    checked = min((r.checked_at for r in reports), default=_dt.datetime.now(_dt.UTC))
    used = ""
    step = server.step("resolve") if server is not None else None
    if step is not None:
        used = str(step.details.get("nameserver") or "")
    named = [str(n) for s in (server_settings, domain_settings) for n in (getattr(s, "nameservers", None) or ())]
    resolver = used or ", ".join(dict.fromkeys(named))
    lab = " (the practice lab's DNS server)" if practice_lab else ""
    resolver = f"{resolver}{lab}" if resolver else _system_resolver()
    cafile = getattr(server_settings, "cafile", None) or getattr(domain_settings, "cafile", None)
    if cafile:
        ca_store = f"the CA file {cafile}" + (" (the practice lab's own CA)" if practice_lab else "")
    else:
        ca_store = _system_store()
    try:
        host = socket.gethostname() or "unknown"
    except OSError:
        host = "unknown"
    return Provenance(checked, __version__, host, resolver, ca_store, target)


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(". ")
    return text[:1].upper() + text[1:]


def _distinct(findings: Sequence[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.code not in seen:
            seen.add(f.code)
            out.append(f)
    return out


def _state(report: Report | None, what: str) -> str:
    """``the mail server X fails at the tls step`` / ``... passes`` / ``... passes with warnings``."""
    if report is None:
        return ""
    failed = next((s.name for s in report.steps if s.status.value == "fail"), None)
    if failed is not None:
        return f"{what} fails at the {failed} step"
    if any(s.status.value == "warn" for s in report.steps):
        return f"{what} passes, with warnings"
    return f"{what} passes every check"


def headline(
    server: Report | None,
    domain: Report | None,
    *,
    host: str | None = None,
    domain_name: str | None = None,
    ip: str | None = None,
    user: str | None = None,
) -> list[str]:
    """Three plain sentences: the state of the server and the domain, then what is wrong and who must act.

    The first line says what was checked and how it went; the next two name
    the worst problems (failures first, then warnings) with who must do what,
    or say that nothing needs doing.
    """
    reports = [r for r in (server, domain) if r is not None]
    names = {"host": host, "domain": domain_name, "ip": ip, "user": user}
    failures = _distinct([f for r in reports for f in r.findings if f.severity is Severity.FAIL])
    warnings = _distinct([f for r in reports for f in r.findings if f.severity is Severity.WARN])
    states = [
        _state(server, f"the mail server {host or ''}".strip()),
        _state(domain, f"the sending domain {domain_name or ''}".strip()),
    ]
    first = "; ".join(x for x in states if x) or "nothing was checked"
    lines = [_sentence(first) + "."]

    def line(f: Finding, must: str) -> str:
        who, action = who_acts(f.code, f.step, **names)
        return f"{_sentence(f.title)}; {who} {must} {action}."

    problems = [(f, "must") for f in failures] + [(f, "should") for f in warnings]
    if not problems:
        # the notes are named, so "passes every check" above a row such as "certificate not valid for its
        # name" does not read as a verdict that missed it
        noted = also_noted(f for r in reports for f in r.findings)
        nothing = "Nothing needs fixing: every step below says what was checked and what the server said."
        return [*lines, f"{nothing} {noted}" if noted else nothing]
    lines += [line(f, must) for f, must in problems[:2]]
    if len(problems) == 1:
        lines.append("Nothing else needs fixing: every other step passed.")
    if len(problems) > 2:
        more = len(problems) - 2
        lines[2] += f" {more} more problem{'s are' if more != 1 else ' is'} listed below, each with what to do."
    return lines


@dataclass
class ReportHeader(Viewable):
    """The first block of a shared report: the verdict, three plain lines, and where and when it was made."""

    verdict: str
    lines: list[str] = field(default_factory=list)
    provenance: Provenance | None = None

    def to_html(self) -> str:
        out = [CSS, PANEL_CSS, f'<div class="{PANEL_ROOT_CLASSES} smtpkit-header">']
        out.append(f"<h3>{badge(self.verdict)} In short</h3>")
        out.append('<ol class="smtpkit-headline">' + "".join(f"<li>{esc(x)}</li>" for x in self.lines) + "</ol>")
        if self.provenance is not None:
            rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in self.provenance.rows().items())
            out.append(f"<table>{rows}</table>")
        out.append("</div>")
        return redact("".join(out))

    def to_text(self) -> str:
        out = [f"In short: {self.verdict.upper()}"]
        out += [f"  {i}. {x}" for i, x in enumerate(self.lines, 1)]
        if self.provenance is not None:
            out += [f"{k}: {v}" for k, v in self.provenance.rows().items()]
        return terminal_safe(redact("\n".join(out)))


def report_header(
    server: Report | None,
    domain: Report | None,
    server_settings: Any = None,
    domain_settings: Any = None,
    *,
    practice_lab: bool = False,
) -> ReportHeader:
    """The header of a report of one server and one domain, with the settings they were checked with."""
    host = getattr(server_settings, "host", None) if server is not None else None
    port = getattr(server_settings, "port", None)
    domain_name = getattr(domain_settings, "domain", None) if domain is not None else None
    what = []
    if host:
        what.append(f"the mail server {host}" + (f" port {port}" if port else ""))
    if domain_name:
        what.append(f"the sending domain {domain_name}")
    target = " and ".join(what) + (" (the practice lab on the machine that ran the check)" if practice_lab else "")
    reports = [r for r in (server, domain) if r is not None]
    return ReportHeader(
        verdict=verdict_of(f for r in reports for f in r.findings),
        lines=headline(
            server,
            domain,
            host=host,
            domain_name=domain_name,
            ip=getattr(domain_settings, "ip", None),
            user=getattr(server_settings, "username", None),
        ),
        provenance=provenance(
            server, domain, server_settings, domain_settings, practice_lab=practice_lab, target=target
        ),
    )
