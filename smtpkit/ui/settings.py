"""The settings a form collects, as plain data, and how they become a call into smtpkit.

Kept apart from the widgets so that the same settings come from a form, from
a notebook's parameters cell or from a test, and so that the password handling
(a `Secret`, taken from the form, the environment or the lab) is in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smtpkit.secrets import Secret, as_secret

if TYPE_CHECKING:
    from smtpkit.net.dns import Resolver

PASSWORD_ENV = "SMTPKIT_PASSWORD"

SECURITY_CHOICES: tuple[tuple[str, str], ...] = (
    ("STARTTLS: plain connect, then upgrade (port 587)", "starttls"),
    ("Implicit TLS: encrypted from the first byte (port 465)", "tls"),
    ("None: no encryption (port 25 between servers only)", "plain"),
    ("Auto: work it out from the port", "auto"),
)


def password_from_env(name: str | None = PASSWORD_ENV) -> Secret | None:
    """The password in environment variable `name` (default ``SMTPKIT_PASSWORD``), as a `Secret`."""
    if not name:
        return None
    return Secret.from_env(name)


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.replace(";", ",").split(",") if v.strip())
    return tuple(str(v).strip() for v in value if str(v).strip())


@dataclass
class ServerSettings:
    """One server to diagnose. `password` is a `Secret` and never part of `to_dict()`."""

    host: str
    port: int | None = None
    security: str = "auto"
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)
    timeout: float = 10.0
    cafile: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    rcpt_to: tuple[str, ...] = ()
    send: bool = False
    nameservers: tuple[str, ...] = ()
    provider: str | None = None
    scenario: str | None = None  # the lab endpoint's name, when the target is the practice lab

    def __post_init__(self) -> None:
        self.password = as_secret(self.password) if self.password else None
        self.rcpt_to = _tuple(self.rcpt_to)
        self.nameservers = _tuple(self.nameservers)
        self.host = (self.host or "").strip()
        self.username = (self.username or "").strip() or None
        if self.port in (0, "", None):
            self.port = None
        else:
            self.port = int(self.port)

    def to_dict(self) -> dict[str, Any]:
        """What the settings say, for display: the password only as set / not set."""
        return {
            "host": self.host,
            "port": self.port if self.port else "(default for the mode)",
            "security": self.security,
            "username": self.username or "(none: no login)",
            "password": "set (hidden)" if self.password else "not set",
            "timeout s": self.timeout,
            "lab scenario": self.scenario or "",
        }

    def resolver(self) -> Resolver | None:
        if not self.nameservers:
            return None
        from smtpkit.net.dns import Resolver

        return Resolver(nameservers=list(self.nameservers), timeout=min(2.0, self.timeout))

    def diagnose_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `smtpkit.diagnose`."""
        kwargs: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "password": self.password,
            "cafile": self.cafile,
            "helo": self.helo,
            "mail_from": self.mail_from,
            "rcpt_to": list(self.rcpt_to) or None,
            "send": self.send,
            "timeout": self.timeout,
            "resolver": self.resolver(),
        }
        return kwargs


@dataclass
class DomainSettings:
    """One domain to check: its selectors, the IP that sends for it, and which DNS server to ask."""

    domain: str
    selectors: tuple[str, ...] = ()
    ip: str | None = None
    nameservers: tuple[str, ...] = ()
    timeout: float = 3.0

    def __post_init__(self) -> None:
        self.domain = (self.domain or "").strip().rstrip(".")
        self.selectors = _tuple(self.selectors)
        self.nameservers = _tuple(self.nameservers)
        self.ip = (self.ip or "").strip() or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "DKIM selectors": ", ".join(self.selectors) or "(try the common ones)",
            "sending IP": self.ip or "(none: SPF is read, not evaluated)",
            "DNS server": ", ".join(self.nameservers) or "(the system's resolvers)",
        }

    def resolver(self) -> Resolver:
        from smtpkit.net.dns import Resolver

        return Resolver(nameservers=list(self.nameservers) or None, timeout=min(2.0, self.timeout))

    def check_domain_kwargs(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "selectors": list(self.selectors) or None,
            "ip": self.ip,
            "resolver": self.resolver(),
            "timeout": self.timeout,
        }
