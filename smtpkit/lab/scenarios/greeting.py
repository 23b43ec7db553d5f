"""Lab scenarios for the first moments of a session: refused and busy greetings, EHLO and STARTTLS refusals.

The other tables of `smtpkit.lab.scenarios` cover certificates, login and
sending; these rows add what the session engine diagnoses before any of that:
a server that refuses the client in its greeting (a blocklisted address), one
that is too busy to talk, one that refuses the client's EHLO name, and one that
advertises STARTTLS but cannot start it. Each reply is the wording real
servers use (Postfix, Exim, Exchange), so the lesson transfers.
"""

from __future__ import annotations

from smtpkit.lab.scenarios import Scenario

ORDER = 50

SCENARIOS: list[Scenario] = [
    Scenario(
        "blocklisted",
        "The server refuses the client in its very first line: '554 5.7.1 ... blocked using zen.spamhaus.org'. "
        "What a home or cloud IP address meets at a receiving server that checks blocklists; no setting in "
        "the mail client can fix it, only delisting or using your provider's submission server.",
        category="connect",
        expect="banner.rejected",
        lesson_reply="banner",
        replies={
            "banner": (
                "554 5.7.1 Service unavailable; Client host [{peer_ip}] blocked using zen.spamhaus.org; "
                "https://www.spamhaus.org/query/ip/{peer_ip}"
            )
        },
    ),
    Scenario(
        "too_busy",
        "The server greets with '421 4.3.2 ... too many concurrent sessions' and hangs up: it is overloaded or "
        "restarting, or your address opened too many connections. Temporary; retry later and reuse connections.",
        category="connect",
        expect="banner.tempfail",
        lesson_reply="banner",
        replies={
            "banner": (
                "421 4.3.2 {hostname} Service not available, too many concurrent sessions, closing transmission channel"
            )
        },
    ),
    Scenario(
        "helo_rejected",
        "The server refuses the client's EHLO name ('550 5.7.1 Helo command rejected: Host not found'), as "
        "Postfix does with reject_unknown_helo_hostname when an application says EHLO localhost or a machine "
        "name that is not in DNS.",
        category="connect",
        expect="ehlo.rejected",
        lesson_reply="ehlo",
        replies={"ehlo": "550 5.7.1 Helo command rejected: Host not found"},
    ),
    Scenario(
        "starttls_unavailable",
        "STARTTLS is advertised but refused with '454 4.7.0 TLS not available due to temporary reason': the "
        "server cannot read its own certificate or key. Clients that insist on encryption stop here; careless "
        "ones carry on in clear text.",
        category="tls",
        expect="tls.starttls_refused",
        lesson_reply="starttls",
        replies={"starttls": "454 4.7.0 TLS not available due to temporary reason"},
    ),
]
