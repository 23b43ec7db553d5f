"""smtpkit: find out why your email does not send, step by step, with explanations.

The main entry points (imported lazily, so `import smtpkit` stays fast):

* `smtpkit.diagnose(host, ...)`: connection, TLS, AUTH and a test send -> `Report`
* `smtpkit.check_ports(host, ...)`: the port x mode matrix
* `smtpkit.check_domain(domain, ...)`: MX, SPF, DKIM, DMARC, TLS-RPT (and PTR, blocklists) -> `Report`
* `smtpkit.check_dnsbl(ip, ...)`: a sending IP on DNS blocklists -> `Report`
* `smtpkit.audit(domains, ...)`: the domain check for a whole portfolio -> pandas DataFrame
* `smtpkit.spf.check_host(ip, domain, sender)`: RFC 7208 evaluation with a trace
* `smtpkit.analyze_message(eml)`: a received message's journey and verdicts -> `Report`
* `smtpkit.analyze_bounce(eml)` / `smtpkit.analyze_bounces(folder)`: bounces -> `Report` / DataFrame
* `smtpkit.lab.ensure_running()`: the practice lab on loopback
* `smtpkit.Resolver`: DNS with timeouts, TCP fallback and a query log
"""

from __future__ import annotations

import importlib
from typing import Any

from smtpkit.errors import InvalidSettings, SmtpkitError, UnreadableInput
from smtpkit.model import Finding, Report, Severity, Status, Step, TranscriptLine
from smtpkit.secrets import Secret, install_log_redaction

__version__ = "0.1.0"

install_log_redaction()

# name -> (module, attribute or None for the module itself)
# (dnspython alone costs more to import than the rest of `import smtpkit`: Resolver is lazy too)
_LAZY: dict[str, tuple[str, str | None]] = {
    "Resolver": ("smtpkit.net.dns", "Resolver"),
    "Target": ("smtpkit.settings", "Target"),
    "DomainQuery": ("smtpkit.settings", "DomainQuery"),
    "PortsQuery": ("smtpkit.settings", "PortsQuery"),
    "diagnose": ("smtpkit.checks.session", "diagnose"),
    "check_ports": ("smtpkit.checks.ports", "check_ports"),
    "check_domain": ("smtpkit.checks.domain", "check_domain"),
    "analyze_message": ("smtpkit.checks.evidence.message", "analyze_message"),
    "analyze_bounce": ("smtpkit.checks.evidence.bounce", "analyze_bounce"),
    "analyze_bounces": ("smtpkit.checks.evidence.bounce", "analyze_bounces"),
    "check_dnsbl": ("smtpkit.checks.domain.dnsbl", "check_dnsbl"),
    "load_reports": ("smtpkit.reports", "load"),
    "reports": ("smtpkit.reports", None),
    "audit": ("smtpkit.audit", None),  # a callable package: smtpkit.audit(domains, ...) -> DataFrame
    "spf": ("smtpkit.spf", None),
    "dkim": ("smtpkit.dkim", None),
    "dmarc": ("smtpkit.dmarc", None),
    "lab": ("smtpkit.lab", None),
    "ui": ("smtpkit.ui", None),
    "knowledge": ("smtpkit.knowledge", None),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'smtpkit' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


# The public names; docs/api.md lists every one (tests/test_public_api.py pins the two together).
__all__ = [
    "Finding",
    "InvalidSettings",
    "SmtpkitError",
    "UnreadableInput",
    "Report",
    "Secret",
    "Severity",
    "Status",
    "Step",
    "TranscriptLine",
    "__version__",
    *_LAZY,
]
