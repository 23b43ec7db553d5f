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

__version__ = "0.1.0"

# Every public name is imported on first use (PEP 562): `import smtpkit` is what the `smtpkit`
# command's start-up pays before it even knows which command runs (benchmarks/cli_startup.py),
# so it imports nothing. The log redaction filter is installed when the first secret is
# registered (`smtpkit.secrets`), the first moment there is anything to redact.
TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy treats the name the same)
if TYPE_CHECKING:  # what type checkers and IDEs see: the same names, imported for real
    # (`name as name`: what mypy and linters read as a re-export; `ui`, a front end that nothing
    # imports (tests/test_layering.py), is left to `__getattr__`)
    from typing import Any

    from smtpkit import audit as audit
    from smtpkit import dkim as dkim
    from smtpkit import dmarc as dmarc
    from smtpkit import knowledge as knowledge
    from smtpkit import lab as lab
    from smtpkit import reports as reports
    from smtpkit import spf as spf
    from smtpkit.checks.domain import check_domain as check_domain
    from smtpkit.checks.domain.dnsbl import check_dnsbl as check_dnsbl
    from smtpkit.checks.evidence.bounce import analyze_bounce as analyze_bounce
    from smtpkit.checks.evidence.bounce import analyze_bounces as analyze_bounces
    from smtpkit.checks.evidence.message import analyze_message as analyze_message
    from smtpkit.checks.ports import check_ports as check_ports
    from smtpkit.checks.session import diagnose as diagnose
    from smtpkit.errors import InvalidSettings as InvalidSettings
    from smtpkit.errors import SmtpkitError as SmtpkitError
    from smtpkit.errors import UnreadableInput as UnreadableInput
    from smtpkit.model import Finding as Finding
    from smtpkit.model import Report as Report
    from smtpkit.model import Severity as Severity
    from smtpkit.model import Status as Status
    from smtpkit.model import Step as Step
    from smtpkit.model import TranscriptLine as TranscriptLine
    from smtpkit.net.dns import Resolver as Resolver
    from smtpkit.secrets import Secret as Secret
    from smtpkit.settings import Target as Target
    from smtpkit.settings.domain import DomainQuery as DomainQuery
    from smtpkit.settings.ports import PortsQuery as PortsQuery

    load_reports = reports.load

# name -> (module, attribute or None for the module itself)
_MODEL: dict[str, tuple[str, str | None]] = {
    # the result model, the errors and Secret (listed first in __all__, as when they were imported eagerly)
    "Finding": ("smtpkit.model", "Finding"),
    "InvalidSettings": ("smtpkit.errors", "InvalidSettings"),
    "SmtpkitError": ("smtpkit.errors", "SmtpkitError"),
    "UnreadableInput": ("smtpkit.errors", "UnreadableInput"),
    "Report": ("smtpkit.model", "Report"),
    "Secret": ("smtpkit.secrets", "Secret"),
    "Severity": ("smtpkit.model", "Severity"),
    "Status": ("smtpkit.model", "Status"),
    "Step": ("smtpkit.model", "Step"),
    "TranscriptLine": ("smtpkit.model", "TranscriptLine"),
}
_LAZY: dict[str, tuple[str, str | None]] = {
    "Resolver": ("smtpkit.net.dns", "Resolver"),
    "Target": ("smtpkit.settings", "Target"),
    "DomainQuery": ("smtpkit.settings.domain", "DomainQuery"),
    "PortsQuery": ("smtpkit.settings.ports", "PortsQuery"),
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
_WHERE = {**_MODEL, **_LAZY}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'smtpkit' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


# The public names; docs/api.md lists every one (tests/test_public_api.py pins the two together).
__all__ = [*_MODEL, "__version__", *_LAZY]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
