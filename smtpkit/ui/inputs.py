"""What the server form hands its action: a validated `Target` and the secret that travels beside it.

The settings themselves are the one model of `smtpkit.settings` (`Target`,
`DomainQuery`), the same objects the command line builds, so a bad value gets
the same `InvalidSettings` message in a notebook as in a terminal. A `Target`
never holds a password (it is shown at the top of every report); the password
or OAuth token is a `Secret` kept next to it here, taken from the form, the
environment or the practice lab.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from smtpkit import record
from smtpkit.secrets import Secret
from smtpkit.settings import Target

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


@dataclass(frozen=True)
class ServerInput:
    """One server to diagnose: the validated `Target`, the password or OAuth token, and where it came from.

    `scenario` names the practice-lab endpoint when the target is the lab;
    `provider` the preset the form had chosen. Neither secret is ever part of
    `repr()` or `to_dict()`.
    """

    target: Target
    password: Secret | None = field(default=None, repr=False)
    token: Secret | None = field(default=None, repr=False)
    scenario: str | None = None
    provider: str | None = None

    def replace(self, **changes: Any) -> ServerInput:
        """The same input with some `Target` settings changed (validated again), e.g. ``send=True``."""
        return dataclasses.replace(self, target=record.replace(self.target, **changes))

    def diagnose(self) -> Any:
        """`smtpkit.diagnose` of this input."""
        from smtpkit.checks.session import diagnose

        return diagnose(self.target, password=self.password, oauth_token=self.token)

    def to_dict(self) -> dict[str, Any]:
        """What the settings say, for display: the secrets only as set / not set."""
        out = self.target.to_dict()
        out["password"] = "set (hidden)" if self.password else "not set"
        if self.token:
            out["OAuth token"] = "set (hidden)"
        if self.scenario:
            out["lab scenario"] = self.scenario
        return out
