"""Connection failures: a port that refuses connections and one that accepts but never greets."""

from __future__ import annotations

from smtpkit.lab.scenarios import Scenario

ORDER = 60

SCENARIOS: list[Scenario] = [
    Scenario(
        "refusing",
        "Nothing listens on this port, so the connection is refused at once (TCP RST): a wrong port, a mail "
        "server that is down, or a firewall that rejects. (The port is held bound but not listening, so no "
        "other program can take it while the lab runs.)",
        category="connect",
        expect="connect.refused",
        kind="refusing",
        security="plain",
    ),
    Scenario(
        "silent",
        "The TCP connection opens, but the server never sends its '220' greeting: what a client meets at a "
        "TLS-only port when it waits for plain text, behind a broken proxy, or at a tarpit. Only a timeout "
        "ends the wait.",
        category="connect",
        expect="banner.timeout",
        kind="silent",
        security="plain",
    ),
]
