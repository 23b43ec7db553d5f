"""The practice lab: real SMTP and DNS servers on loopback that fail the way real ones do.

The kit's default target, the tests' peer and a teaching tool: a healthy
submission server, an implicit-TLS server, an inbound MX, one server per
failure people meet (certificates, STARTTLS, provider login rejections, relay,
greylisting, rate and size limits, a refusing and a silent port), and an
authoritative DNS server with good and broken SPF/DKIM/DMARC zones, all behind
a CA made at start.

>>> from smtpkit.lab import Lab, ensure_running          # doctest: +SKIP
>>> with Lab() as info:                                  # doctest: +SKIP
...     info.endpoint("expired_cert").port
>>> info = ensure_running()   # in a notebook: the lab `smtpkit lab` runs, or one in this kernel

Scenarios are a table (`smtpkit.lab.scenarios`); add one by adding a row, or
a module of the package ``smtpkit/lab/scenarios/`` exposing ``SCENARIOS``.
"""

from smtpkit.lab.lab import (
    DEFAULT_USER,
    ENV_PASSWORD,
    ENV_STATE,
    DnsEndpoint,
    Lab,
    LabInfo,
    SmtpEndpoint,
    ensure_running,
    load_state,
)
from smtpkit.lab.scenarios import Scenario, all_scenarios
from smtpkit.lab.smtp_servers import ReceivedMessage

__all__ = [
    "DEFAULT_USER",
    "ENV_PASSWORD",
    "ENV_STATE",
    "DnsEndpoint",
    "Lab",
    "LabInfo",
    "ReceivedMessage",
    "Scenario",
    "SmtpEndpoint",
    "all_scenarios",
    "ensure_running",
    "load_state",
]
