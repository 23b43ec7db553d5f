"""One-call views the notebooks use: each returns a `Panel` (HTML + text) ready to display.

Notebook cells hold no logic: anything that needs more than one call into
smtpkit (running several lab scenarios side by side, verifying an uploaded
message, generating a DKIM key and explaining where it goes) lives here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from smtpkit.model import Finding, Report, Severity, Status, Step, verdict_of
from smtpkit.render import Viewable
from smtpkit.render.html import CSS, PANEL_CSS, PANEL_ROOT_CLASSES, badge, esc, findings_html, html_table
from smtpkit.render.panel import Html, Panel, Table, text_of
from smtpkit.render.text import findings_text, terminal_safe
from smtpkit.reporting.summary import Summary, summarize
from smtpkit.ui.lab import lab_domain_settings, lab_server_settings


def lab_overview(lab: Any) -> Panel:
    """The running lab: where it is, the login, and every scenario with the finding it should produce."""
    from smtpkit.lab.overview import overview

    return overview(lab)


def presets_table(keys: Iterable[str] | None = None) -> Panel:
    """The provider presets: where to connect and how to log in, then sending limits and notes.

    Two narrow tables instead of one of seven columns: the wide one did not fit
    a notebook, and the login columns are what a stressed reader looks for first.
    """
    from smtpkit.knowledge.presets import GENERIC_PRESETS, PRESETS

    wanted = set(keys) if keys else None
    login, limits = [], []
    for p in PRESETS:
        if p.key in GENERIC_PRESETS or (wanted and p.key not in wanted):
            continue
        d = p.to_dict()
        name = d.get("provider", p.name)
        login.append(
            {
                "provider": name,
                "server": d.get("host", p.host),
                "ports (security)": d.get("ports", ""),
                "username": p.username_hint,
                "password": p.password_hint,
            }
        )
        limits.append({"provider": name, "sending limits": p.limits, "notes": p.notes})
    return Panel(
        "What each provider publishes",
        [
            ("Where to connect and how to log in", Table(login, transpose=False)),
            ("Sending limits and notes", Table(limits, transpose=False)),
        ],
    )


def _main_findings(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.severity is not Severity.INFO]


NO_PROBLEM = "No problem found: this server works with these settings."


def compare_scenarios(
    lab: Any,
    scenarios: Sequence[str],
    *,
    timeout: float = 3.0,
    title: str = "Lab scenarios side by side",
    **overrides: Any,
) -> Panel:
    """Diagnose several lab servers with the same settings and explain what each one shows.

    `overrides` change every run the same way (for example ``security="starttls"``
    against the implicit-TLS server, to show a wrong-mode attempt).
    """
    rows = []
    details = []
    missing = [n for n in scenarios if n not in lab.names]
    forced = {k: v for k, v in overrides.items() if k in ("security", "port") and v is not None}
    for name in [n for n in scenarios if n in lab.names]:
        ep = lab.endpoint(name)
        settings = lab_server_settings(lab, name, timeout=timeout, **overrides)
        started = time.monotonic()
        report = settings.diagnose()
        main = _main_findings(report)
        codes = [f.code for f in main]
        lesson = ep.expect or "(a healthy server)"
        if forced and ep.security != forced.get("security", ep.security):
            # a healthy server used the wrong way on purpose: the failure is the lesson, not the server
            lesson = f"{lesson}, used with security {forced['security']} on purpose (it expects {ep.security})"
        rows.append(
            {
                "scenario": name,
                "security used": settings.target.security,
                "status": report.verdict,
                "findings": ", ".join(codes) or "none",
                "the lab's lesson": lesson,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
        lead = f'<p class="smtpkit-lesson">{esc(ep.description)}</p>'
        block = findings_html(main) if main else f"<p>{NO_PROBLEM}</p>"
        details.append((name, Html(lead + block, f"{ep.description}\n{findings_text(main) or NO_PROBLEM}")))
    panel = Panel(title, [("Summary", Table(rows))])
    for heading, body in details:
        panel.add(heading, body)
    if missing:
        why = {n: lab.skipped.get(n, "not part of this lab") for n in missing}
        panel.add("Not available in this lab", [{"scenario": k, "why": v} for k, v in why.items()])
    return panel


def compare_domains(lab: Any, domains: Sequence[str], *, ip: str | None = None, timeout: float = 3.0) -> Panel:
    """Check several lab domains and show, for each, what is wrong and the fix.

    Each domain is checked with its own lesson's settings (`smtpkit.lab.lessons`:
    the sending IP a PTR domain needs, say) unless `ip` is given for all.
    """
    from smtpkit.checks.domain import check_domain

    rows = []
    details = []
    step_names: list[str] = []
    for domain in domains:
        report = check_domain(lab_domain_settings(lab, domain, ip=ip, timeout=timeout))
        main = _main_findings(report)
        steps = {s.name: s.status.value for s in report.steps}
        step_names.extend(n for n in steps if n not in step_names)
        rows.append(
            {
                "domain": domain,
                "status": report.verdict,
                **steps,
                "findings": ", ".join(f.code for f in main) or "none",
            }
        )
        text = findings_text(main) or NO_PROBLEM
        details.append((domain, Html(findings_html(main) or "<p>No problem found.</p>", text)))
    panel = Panel(
        "Lab domains side by side", [("Summary", Table(rows, status_columns=("status", *step_names), transpose=False))]
    )
    for heading, body in details:
        panel.add(heading, body)
    return panel


def lab_mailbox(lab: Any, name: str = "submission", last: int = 5, *, follow: Any = None) -> Any:
    """What a lab server accepted: proof that a test send really arrived.

    With `follow` (a form), the table is an output that refreshes itself after
    each of the form's runs, showing the mailbox of the lab server it used.
    """
    if follow is not None:
        return LiveMailbox(lab, follow, name, last)
    return mailbox_panel(lab, name, last)


class FollowingView(Viewable):
    """What `draw` makes of a form's last result, redrawn in place after each of the form's runs."""

    def __init__(self, form: Any, draw: Any, waiting: str) -> None:
        from smtpkit.ui.display import ResultView, message

        self.draw, self.title = draw, form.title
        self.view = ResultView(
            self._drawn(form.last_result) if form.last_result is not None else message(self.title, waiting)
        )
        form.after_run(self._redraw)

    def _redraw(self, _settings: Any, result: Any) -> None:
        self.view.update(self._drawn(result))

    def _drawn(self, result: Any) -> Any:
        from smtpkit.ui.display import message

        try:
            return self.draw(result)
        except Exception as exc:  # noqa: BLE001 - said in place of the picture: an old one would read as this run's
            return message(self.title, f"No picture of this run: {exc}")

    def _ipython_display_(self) -> None:
        self.view.show()

    def to_html(self) -> str:
        return self.view.to_html()

    def to_text(self) -> str:
        return self.view.to_text()


class LiveMailbox(FollowingView):
    """A lab mailbox table that a form refreshes after every run (a real send shows up at once): it follows
    the run's lab server (its settings), not its result."""

    def __init__(self, lab: Any, form: Any, name: str = "submission", last: int = 5) -> None:
        from smtpkit.ui.display import ResultView

        self.lab, self.name, self.last = lab, name, last
        self.view = ResultView(mailbox_panel(lab, name, last))
        form.after_run(self._redraw)

    def _redraw(self, settings: Any, _result: Any) -> None:
        scenario = getattr(settings, "scenario", None)
        if scenario and scenario in getattr(self.lab, "names", ()):
            self.name = scenario
        self.view.update(mailbox_panel(self.lab, self.name, self.last))


def mailbox_panel(lab: Any, name: str = "submission", last: int = 5) -> Panel:
    """The last `last` messages lab server `name` accepted, as a table."""
    arrived = lab.messages(name)  # one read of the spool: it is files on disk
    messages = arrived[-last:]
    rows = []
    labels = {
        "seq": "#",
        "received_at": "received (UTC)",
        "mail_from": "from (envelope)",
        "rcpt_tos": "to",
        "subject": "subject",
        "size": "bytes",
        "tls_version": "encrypted with",
        "authenticated_as": "logged in as",
    }
    for m in messages:
        row = m.summary()
        out = {label: row.get(k) for k, label in labels.items()}
        when = str(out["received (UTC)"] or "")
        out["received (UTC)"] = when.replace("T", " ")[:19]
        rows.append(out)
    from smtpkit.render.plural import counted

    note = f"{counted(len(arrived), 'message')} arrived at the lab's {name} server."
    return Panel(f"The lab's {name} mailbox", [("", rows or "No message has arrived yet.")], note=note)


def port_matrix(
    lab: Any, host: str | None = None, ports: Sequence[int] | str | None = None, *, timeout: float = 3.0
) -> PortMatrixView:
    """The port x mode matrix for `host`, or for the lab's servers when `host` is None."""
    import smtpkit

    if host:
        return PortMatrixView(smtpkit.check_ports(host, ports or (25, 465, 587, 2525), timeout=timeout))
    target = lab_server_settings(lab, "submission", timeout=timeout).target
    names = ("submission", "implicit_tls", "mx", "refusing", "silent")
    lab_names = {lab.endpoint(n).port: n for n in names if n in lab.names}
    matrix = smtpkit.check_ports(
        target.host, ports or list(lab_names), timeout=timeout, cafile=target.cafile, nameservers=target.nameservers
    )
    return PortMatrixView(matrix, lab_names)


_USE_AS_STATUS = {"implicit TLS": "pass", "STARTTLS": "pass", "plain (unsafe)": "warn", "-": "fail"}


class PortMatrixView(Viewable):
    """The port matrix laid out for a notebook: the recommendation first, one readable row per port.

    The engine's matrix has thirteen columns (every probe of both modes) and
    does not fit a notebook; the everyday question is "which port and which
    setting do I use?". So: the recommendation in a box, a seven-column table
    with the port's verdict in plain words, and the full matrix in a closed
    ``<details>`` block for whoever wants every probe. Every attribute of the
    matrix (``rows()``, ``to_frame()``, ``recommendation``) is still reachable.
    """

    def __init__(self, matrix: Any, lab_names: dict[int, str] | None = None) -> None:
        self.matrix = matrix
        self.lab_names = lab_names or {}

    def __getattr__(self, name: str) -> Any:
        if name in ("matrix", "lab_names") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.matrix, name)

    def picture(self) -> Any:
        """The matrix as a coloured grid, each lab server named, with the words beside it."""
        return self.matrix.picture(self.lab_names or None)

    @property
    def status(self) -> str:
        rec = self.matrix.recommendation
        if not rec.get("port"):
            return "fail"
        best = next((r for r in self.matrix.results if r.port == rec["port"]), None)
        if rec.get("security") == "plain" or (best is not None and best.certificate() != "valid"):
            return "warn"
        return "pass"

    def compact_rows(self) -> list[dict[str, Any]]:
        rows = []
        for r in self.matrix.results:
            row = r.row()
            login = row["auth_after_tls"]
            if login == "-" and row["auth_before_tls"] != "-":
                login = f"{row['auth_before_tls']} (without TLS)"
            out: dict[str, Any] = {"port": r.port}
            if self.lab_names:
                out["lab server"] = self.lab_names.get(r.port, "")
            out.update(
                {
                    "status": _USE_AS_STATUS.get(row["use_as"], "warn"),
                    "use it as": row["use_as"],
                    "TLS": row["tls_version"],
                    "certificate": row["certificate"],
                    "login offered": login if login != "-" else "none",
                    "in plain words": r.note(),
                }
            )
            rows.append(out)
        return rows

    def to_html(self) -> str:
        m = self.matrix
        rec = m.recommendation
        out = [CSS, PANEL_CSS, f'<div class="{PANEL_ROOT_CLASSES}">']
        out.append(f"<h3>{badge(self.status)} Ports of {esc(m.host)}</h3>")
        where = ", ".join(m.addresses) or "the name did not resolve"
        out.append(
            f"<p>{esc(where)}: every port tried with STARTTLS and with implicit TLS at once, "
            f"in {m.elapsed_ms / 1000:.1f} s (timeout {m.timeout:g} s per step).</p>"
        )
        if m.resolution_error:
            out.append(f"<p>{esc(m.resolution_error)}</p>")
        out.append(
            # no port to recommend is a failure: not in the green of a setting to use
            f'<div class="smtpkit-recommend{"" if rec.get("port") else " smtpkit-none"}"><strong>Recommendation:'
            f"</strong> {esc(rec.get('summary', ''))}<br>"
            f"{esc(rec.get('reason', ''))}</div>"
        )
        if m.results:
            out.append(html_table(self.compact_rows(), transpose=False))
            out.append(
                "<details><summary>Every probe (both modes on every port)</summary>"
                + html_table([{k.replace("_", " "): v for k, v in row.items()} for row in m.rows()], transpose=False)
                + "</details>"
            )
        out.append("</div>")
        return "".join(out)

    def to_text(self) -> str:
        rows = [{k: str(v).upper() if k == "status" else v for k, v in r.items()} for r in self.compact_rows()]
        rec = self.matrix.recommendation
        head = f"Ports of {self.matrix.host}: {self.status.upper()}"
        lines = [
            head,
            "=" * len(head),
            "Recommendation: " + str(rec.get("summary", "")),
            "  " + str(rec.get("reason", "")),
        ]
        if rows:
            lines += ["", text_of(rows)]
        return terminal_safe("\n".join(lines))


def _resolver(lab: Any, nameserver: str | None = None, timeout: float = 2.0) -> Any:
    from smtpkit.net.dns import Resolver

    if nameserver:
        return Resolver(nameservers=[nameserver], timeout=timeout)
    if lab is not None and lab.dns is not None:
        return Resolver(nameservers=[lab.nameserver], timeout=timeout)
    return Resolver(timeout=timeout)


def spf_trace(
    lab: Any,
    domain: str | None = None,
    ip: str = "127.0.0.1",
    sender: str | None = None,
    *,
    nameserver: str | None = None,
) -> Panel:
    """SPF evaluated for one IP, step by step (every include and lookup), with the record read in plain words."""
    from smtpkit.spf import check_host, explain_record

    domain = domain or lab.domain
    result = check_host(ip, domain, sender or f"postmaster@{domain}", resolver=_resolver(lab, nameserver))
    panel = result.panel()
    if result.record:
        reading = explain_record(result.record, domain)
        panel.add("The record in plain words", reading.summary)
        panel.add("Term by term", reading.to_rows())
    return panel


def spf_reading(record: str, domain: str | None = None) -> Panel:
    """Any SPF record (pasted, not looked up) read back in plain words, with what is wrong in it."""
    from smtpkit.spf import explain_record

    return explain_record(record, domain).panel()


def lab_signed_sample() -> bytes:
    """A message signed by the practice lab (d=smtpkit.test, s=lab), the default for verification demos."""
    from smtpkit.lab.dkim_signer import example_message, sign_message

    return sign_message(example_message())


def verify_eml(message: bytes | str, lab: Any = None, *, nameserver: str | None = None, name: str = "message") -> Panel:
    """Verify every DKIM signature of a message and show whether DMARC would align on them."""
    import smtpkit

    result = smtpkit.dkim.verify_message(message, _resolver(lab, nameserver))
    if result.message_problem:
        # junk, an image or an empty file uploaded as .eml: said the way the message analyzer says it
        # (message.unreadable), and "could not check", not a DKIM failure
        from smtpkit.knowledge import finding

        problem = re.sub(r"^this is not an e-mail message we can read \((.*)\)$", r"\1", result.message_problem)
        unreadable = finding("message.unreadable", result.message_problem, problem=problem)
        return Panel(
            f"{name}: {unreadable.title}",
            [("", Html(findings_html([unreadable]), findings_text([unreadable])))],
            status="warn",
        )
    status = "pass" if result.passed else "fail"
    panel = Panel(
        f"DKIM verification of {name}",
        [
            (
                "Identities",
                {
                    "From": result.from_header,
                    "From domain": result.from_domain,
                    "Return-Path domain": result.return_path_domain or "(none)",
                },
            ),
            (
                "Signatures",
                result.rows() or "This message carries no DKIM-Signature header: receivers see it as unsigned.",
            ),
        ],
        status=status if result.signatures else "fail",
    )
    if result.from_domain and result.signatures:
        rows = smtpkit.dmarc.check_alignment(
            result.from_domain, dkim=[(s.domain, s.passed) for s in result.signatures if s.domain]
        )
        verdict = "passes" if smtpkit.dmarc.dmarc_passes(rows) else "fails"
        panel.add(f"DMARC alignment (relaxed): DKIM {verdict} DMARC for this From domain", [r.to_row() for r in rows])
    if result.from_domain and (result.signatures or result.return_path_domain):
        # the picture adds the Return-Path (SPF's identity; SPF itself is not evaluated for a saved file)
        from smtpkit.render.pictures import dmarc_alignment

        both = smtpkit.dmarc.check_alignment(
            result.from_domain,
            spf_domain=result.return_path_domain or None,
            dkim=[(s.domain, s.passed) for s in result.signatures if s.domain],
        )
        step = Step("dmarc", Status.INFO, "alignment", tables={"alignment": [r.to_row() for r in both]})
        chart = dmarc_alignment(Report(target={}, steps=[step]), title=f"DMARC alignment of {name}")
        if chart is not None:
            panel.add("", chart)
    return panel


def dkim_key_view(key: Any) -> Panel:
    """Where a generated DKIM key goes: the DNS record to publish, and what to do with the private half."""
    return Panel(
        f"New DKIM key for {key.domain}, selector {key.selector}",
        [
            ("Publish this TXT record", {"name": key.txt_name, "type": "TXT", "value": key.txt_value}),
            ("The same as a zone-file line (paste as is)", key.zone_line()),
            (
                "The private key",
                (
                    f"{len(key.private_key)} bytes, not shown here so that it never lands in a saved notebook. Write it"
                    " to your signer's key folder with smtpkit.dkim.write_private_key(key, '/etc/opendkim/keys') (it"
                    f" creates {key.private_key_filename}, readable only by you), then point your signer (OpenDKIM,"
                    f" rspamd, your provider) at selector {key.selector!r}. Publish the DNS record first, check it with"
                    " the domain form above, and only then start signing."
                ),
            ),
        ],
        status="info",
    )


class MailReport:
    """The full report of 06_report: one server diagnosed, one domain checked, summary and scorecard.

    Built by `run_report`; each attribute is one displayable part, so the
    notebook shows them in the order a reader needs: summary first, then the
    details, then the scorecard.
    """

    def __init__(
        self,
        server: Report | None,
        domain: Report | None,
        server_settings: Any,
        domain_settings: Any,
        *,
        practice_lab: bool = False,
    ) -> None:
        from smtpkit.reporting.scorecard import scorecard

        self.server = server
        self.domain = domain
        self.server_settings = server_settings
        self.domain_settings = domain_settings
        self.practice_lab = practice_lab
        self.scorecard = scorecard(server, domain)

    @property
    def header(self) -> Any:
        """The report's first block: the verdict, three plain lines, when, with what and from where it ran."""
        from smtpkit.reporting.header import report_header

        return report_header(
            self.server, self.domain, self.server_settings, self.domain_settings, practice_lab=self.practice_lab
        )

    @property
    def glossary(self) -> Any:
        """Every finding code of the report as the catalogue explains it (the reader has no smtpkit)."""
        from smtpkit.reporting.glossary import glossary

        return glossary(self.reports)

    @property
    def server_view(self) -> Any:
        from smtpkit.ui.display import ReportView, message

        if self.server is None:
            return message("Mail server", "No server was checked.", "skip")
        return ReportView(self.server, focus=("tls", "auth"), title="Mail server", recipient=True)

    @property
    def domain_view(self) -> Any:
        from smtpkit.ui.display import ReportView, message

        if self.domain is None:
            return message(
                "Sending domain",
                "No domain was given: set domain (smtpkit report --domain) to check SPF, DKIM and DMARC.",
                "skip",
            )
        return ReportView(self.domain, focus=("spf", "dmarc"), title="Sending domain", recipient=True)

    @property
    def reports(self) -> list[Report]:
        return [r for r in (self.server, self.domain) if r is not None]

    @property
    def verdict(self) -> str:
        return verdict_of(f for r in self.reports for f in r.findings)

    @property
    def summary(self) -> Summary:
        """The report's first section (`smtpkit.reporting.summary`): verdict, steps, what to fix first."""
        server_target = domain_target = ""
        if self.server is not None:
            s = self.server_settings
            server_target = f"{s.host}:{s.port or 'default port'} ({s.security})"
        if self.domain is not None:
            domain_target = self.domain_settings.domain
        return summarize(self.server, self.domain, server_target=server_target, domain_target=domain_target)


def run_report(
    lab: Any,
    *,
    host: str | None = None,
    port: int | None = None,
    security: str | None = None,
    username: str | None = None,
    password_env: str | None = "SMTPKIT_PASSWORD",
    cafile: str | None = None,
    helo: str | None = None,
    timeout: float = 10.0,
    mail_from: str | None = None,
    rcpt_to: str | Sequence[str] | None = None,
    domain: str | None = None,
    selectors: str | Sequence[str] | None = None,
    nameserver: str | None = None,
    ip: str | None = None,
    scenario: str = "submission",
    summary_path: str | None = None,
) -> MailReport:
    """Diagnose one server and check one domain with the notebook's parameters (the lab when `host` is None).

    With `summary_path` (what `smtpkit report` passes), the summary is also written there as JSON.

    The parameters go through the one settings model (`Target`, `DomainQuery`):
    a value that cannot be used raises `InvalidSettings` naming the field and
    the fix, before anything is contacted.
    """
    from smtpkit.checks.domain import check_domain
    from smtpkit.settings import Target
    from smtpkit.settings.domain import DomainQuery
    from smtpkit.ui.inputs import ServerInput, password_from_env

    nameservers = (nameserver,) if nameserver else ()
    domain_settings: DomainQuery | None
    if host:
        password = password_from_env(password_env)
        server_settings = ServerInput(
            Target(
                host=host,
                port=port,
                security=security,
                username=username,
                timeout=timeout,
                cafile=cafile,
                helo=helo,
                mail_from=mail_from,
                rcpt_to=rcpt_to,
                nameservers=nameservers,
                credential="password" if password else "none",
            ),
            password=password,
        )
        if not domain and mail_from and "@" in mail_from:
            domain = mail_from.rsplit("@", 1)[1]
        domain_timeout = min(float(timeout), 10.0)
        domain_settings = (
            DomainQuery(
                domain,
                selectors=selectors,
                ip=ip,
                nameservers=nameservers,
                timeout=domain_timeout,
                dns_timeout=min(2.0, domain_timeout),
            )
            if domain
            else None
        )
    else:
        overrides = {
            "port": port,
            "security": security,
            "username": username,
            "helo": helo,
            "timeout": timeout,
            "mail_from": mail_from,
            "rcpt_to": rcpt_to,
        }
        # the lab's own password (a password meant for a real server would only fail here)
        server_settings = lab_server_settings(lab, scenario, **overrides)
        domain_settings = lab_domain_settings(
            lab, domain, selectors=selectors or None, ip=ip, timeout=min(timeout, 10.0), nameservers=nameservers or None
        )
    from smtpkit.progress import EventRelay, Progress, active

    # under `smtpkit report`, the steps go to the command's terminal through a file (SMTPKIT_PROGRESS_FILE)
    relay = EventRelay.from_environment()
    with active(Progress(relay) if relay is not None else None):
        server = server_settings.diagnose()
        domain_report = check_domain(domain_settings) if domain_settings is not None else None
    full = MailReport(server, domain_report, server_settings.target, domain_settings, practice_lab=not host)
    if summary_path:
        full.summary.write(summary_path)
    return full
