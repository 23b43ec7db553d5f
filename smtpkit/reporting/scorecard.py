"""The best-practices scorecard at the end of a shared report.

A diagnosis answers "why does my mail not send"; the scorecard answers the
next question people ask: "is this set up the way it should be?". Each row is
one practice (encryption, strong authentication, a healthy certificate, SPF,
DKIM and DMARC in place *and enforcing*, reverse DNS that matches), read from
the steps a diagnosis and a domain check already produced, so the scorecard
never contradicts the report above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smtpkit.model import Report, Severity, Step, worst_severity
from smtpkit.render import Viewable
from smtpkit.render.html import CSS, ROOT_CLASSES, html_table
from smtpkit.render.text import terminal_safe, text_table


@dataclass(frozen=True)
class Practice:
    """One scorecard row: the practice, its status (pass, warn, fail, skip), the evidence, why it matters."""

    practice: str
    status: str
    evidence: str
    why: str

    def to_row(self) -> dict[str, str]:
        return {"practice": self.practice, "status": self.status, "evidence": self.evidence, "why it matters": self.why}


@dataclass
class Scorecard(Viewable):
    """The practices, one row each, and how many are in place."""

    rows: list[Practice] = field(default_factory=list)

    @property
    def score(self) -> str:
        scored = [r for r in self.rows if r.status != "skip"]
        good = sum(r.status == "pass" for r in scored)
        return f"{good} of {len(scored)} practices in place"

    def to_frame(self):  # type: ignore[no-untyped-def]
        import pandas as pd

        return pd.DataFrame(
            [r.to_row() for r in self.rows], columns=["practice", "status", "evidence", "why it matters"]
        )

    def to_html(self) -> str:
        table = html_table([r.to_row() for r in self.rows])
        return f'{CSS}<div class="{ROOT_CLASSES}"><p><strong>Best practices: {self.score}</strong></p>{table}</div>'

    def to_text(self) -> str:
        rows = [{**r.to_row(), "status": r.status.upper()} for r in self.rows]
        table = text_table(rows, ["practice", "status", "evidence"], max_width=70)
        return terminal_safe(f"Best practices: {self.score}\n{table}")


def _step(report: Report | None, name: str) -> Step | None:
    return report.step(name) if report is not None else None


def _worst(step: Step, prefix: str) -> Severity | None:
    """The worst problem (fail or warn) among the step's findings whose code starts with `prefix`."""
    worst = worst_severity(f for f in step.findings if f.code.startswith(prefix))
    return None if worst is Severity.INFO else worst


def _codes(step: Step, prefix: str = "") -> str:
    """The step's problems (fail or warn) whose code starts with `prefix`, by their titles: the evidence column
    is read by whoever the report is sent to, and "TLS failed: tls.cert.expired" told them a code."""
    return "; ".join(f.title for f in step.findings if f.code.startswith(prefix) and f.severity is not Severity.INFO)


def _not_checked(practice: str, why: str, reason: str) -> Practice:
    return Practice(practice, "skip", reason, why)


def encryption(server: Report | None) -> Practice:
    name, why = (
        "Encryption in use (TLS)",
        "Without TLS, messages and passwords cross the network readable by anyone on the path.",
    )
    tls = _step(server, "tls")
    if tls is None:
        return _not_checked(name, why, "no server was diagnosed")
    version = tls.details.get("protocol version") or ""
    mode = str(tls.details.get("mode") or "").split("(")[0].strip()
    if tls.status.value in ("pass", "warn", "info") and version:
        status = "warn" if _worst(tls, "tls.protocol") else "pass"
        return Practice(name, status, f"{version} via {mode or 'TLS'}", why)
    if tls.status.value == "skip":
        return Practice(name, "fail", f"no TLS: {tls.summary}", why)
    return Practice(name, "fail", f"TLS failed: {_codes(tls) or tls.summary}", why)


def certificate(server: Report | None) -> Practice:
    name, why = (
        "Certificate healthy",
        "Clients refuse (or should refuse) a certificate that is expired, self-signed or for another name.",
    )
    tls = _step(server, "tls")
    if tls is None or tls.status.value == "skip":
        return _not_checked(name, why, "no TLS handshake to inspect")
    worst = _worst(tls, "tls.cert")
    if worst is Severity.FAIL:
        return Practice(name, "fail", _codes(tls, "tls.cert"), why)
    if worst is Severity.WARN:
        return Practice(name, "warn", _codes(tls, "tls.cert"), why)
    if tls.details.get("verified") is True:
        days = tls.details.get("days left")
        return Practice(name, "pass", f"verified; {days} days left" if days is not None else "verified", why)
    return Practice(name, "warn", f"not verified: {tls.summary}", why)


def authentication(server: Report | None) -> Practice:
    name, why = (
        "Strong authentication",
        "A login only over an encrypted connection, with an app password or OAuth, keeps the account safe.",
    )
    auth = _step(server, "auth")
    if auth is None:
        return _not_checked(name, why, "no server was diagnosed")
    if auth.status.value == "skip":
        # "no login tried: not run: the TLS handshake failed" said it twice
        return _not_checked(name, why, f"no login tried: {auth.summary.removeprefix('not run: ')}")
    connection = str(auth.details.get("connection") or "")
    mechanism = str(auth.details.get("mechanism") or "").split("(")[0].strip()
    if auth.status.value == "fail":
        return Practice(name, "fail", _codes(auth) or auth.summary, why)
    if connection and not connection.startswith("encrypted"):
        return Practice(name, "fail", f"{mechanism or 'login'} over an unencrypted connection", why)
    status = "warn" if auth.status.value == "warn" else "pass"
    return Practice(name, status, f"{mechanism or 'login'} over {connection or 'TLS'}", why)


_ALL = re.compile(r"(?:^|\s)([-~?+]?)all(?:\s|$)", re.I)


def spf(domain: Report | None) -> Practice:
    name, why = (
        "SPF in place and enforcing",
        "SPF lists who may send for the domain; '-all' tells receivers to refuse everyone else.",
    )
    step = _step(domain, "spf")
    if step is None:
        return _not_checked(name, why, "no domain was checked")
    record = str(step.details.get("record") or "")
    if not record:
        return Practice(name, "fail", _codes(step, "spf") or "no SPF record", why)
    m = _ALL.search(record)
    qualifier = (m.group(1) or "+") if m else None
    if step.status.value == "fail":
        return Practice(name, "fail", _codes(step, "spf") or step.summary, why)
    if qualifier == "-":
        return Practice(name, "warn" if step.status.value == "warn" else "pass", "ends with -all (refuse others)", why)
    if qualifier == "~":
        return Practice(name, "warn", "ends with ~all (softfail: others are only marked)", why)
    return Practice(
        name, "fail", f"does not refuse other senders ({(qualifier or '') + 'all' if m else 'no all term'})", why
    )


def dkim(domain: Report | None) -> Practice:
    name, why = (
        "DKIM in place",
        "A DKIM signature proves the message came from the domain and was not changed on the way.",
    )
    step = _step(domain, "dkim")
    if step is None:
        return _not_checked(name, why, "no domain was checked")
    if step.status.value in ("pass", "info"):
        return Practice(name, "pass", step.summary, why)
    return Practice(
        name, step.status.value if step.status.value != "skip" else "fail", _codes(step, "dkim") or step.summary, why
    )


def dmarc(domain: Report | None) -> Practice:
    name, why = (
        "DMARC in place and enforcing",
        "DMARC with p=quarantine or p=reject stops others from sending as your domain.",
    )
    step = _step(domain, "dmarc")
    if step is None:
        return _not_checked(name, why, "no domain was checked")
    record = str(step.details.get("record") or "")
    # the policy receivers apply to this domain: p=, or an inherited record's sp= / np= (the step says which)
    effect = re.match(r"([a-z]+)=([a-z]+)", str(step.details.get("policy in effect") or ""))
    m = effect or re.search(r"(?:^|;)\s*(p)\s*=\s*([a-z]+)", record, re.I)
    if not record or not m:
        return Practice(name, "fail", _codes(step, "dmarc") or "no DMARC policy", why)
    tag, policy = m.group(1).lower(), m.group(2).lower()
    if policy in ("reject", "quarantine"):
        status = "fail" if step.status.value == "fail" else ("warn" if step.status.value == "warn" else "pass")
        shown = f"{tag}={policy}" + (f"; {_codes(step, 'dmarc')}" if status != "pass" else "")
        return Practice(name, status, shown, why)
    return Practice(name, "warn", f"{tag}={policy}: monitoring only, nothing is refused", why)


def reverse_dns(domain: Report | None) -> Practice:
    name, why = "Reverse DNS matching", "Receivers distrust a sending IP whose PTR name does not point back to it."
    step = _step(domain, "ptr")
    if step is None or step.status.value == "skip":
        return _not_checked(name, why, "no sending IP was given")
    if step.details.get("forward-confirmed") is True:
        return Practice(name, "pass", f"{step.details.get('ip')} -> {step.details.get('PTR names')}", why)
    return Practice(name, "fail" if step.status.value == "fail" else "warn", _codes(step, "ptr") or step.summary, why)


def scorecard(server: Report | None = None, domain: Report | None = None) -> Scorecard:
    """Score a server diagnosis and a domain check against the practices receivers expect."""
    return Scorecard(
        [
            encryption(server),
            certificate(server),
            authentication(server),
            spf(domain),
            dkim(domain),
            dmarc(domain),
            reverse_dns(domain),
        ]
    )
