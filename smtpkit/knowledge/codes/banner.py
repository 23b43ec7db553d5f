"""Finding codes of the `banner` step (the server's "220" greeting) and of broken SMTP replies.

The greeting is the first thing an SMTP server says, so it is where a wrong
port shows itself: SSH or a web server answering, TLS bytes where text was
expected, or silence because the port waits for the client to start TLS. The
`smtp.*` codes cover replies that are not SMTP at any stage, hostile or broken
servers, and the session's own limits.

Template parameters: host, port, address, reply, waited, hint, service, what,
stage, command, problem, limit, reason, deadline, count, meaning.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_RFC5321_GREETING = "RFC 5321 §3.1 (session initiation) and §4.2 (reply codes)"

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="banner.timeout",
        severity=Severity.FAIL,
        step="banner",
        title="No greeting from the server within {waited}",
        explanation=(
            "The TCP connection to {address} port {port} opened, but the server never sent its '220' greeting: "
            "an SMTP server speaks first, within a second or two, and we waited {waited}. {hint}"
        ),
        fix=(
            "{mode_fix}The server may be overloaded or deliberately slow (greet-pause anti-spam): retry with a "
            "longer timeout (--timeout, or the form's Timeout field). If you run the server, check its log at the "
            "time of this test and whether a firewall is holding the connection."
        ),
        reference=_RFC5321_GREETING,
    ),
    FindingSpec(
        code="banner.slow",
        severity=Severity.WARN,
        step="banner",
        title="The greeting took {waited}",
        explanation=(
            "The server sent its greeting only after {waited}. Some servers wait on purpose before greeting "
            "(Postfix postscreen's greet pause, a reverse-DNS or blocklist check on your address) or are "
            "overloaded; clients with a short connect timeout give up before it arrives."
        ),
        fix=(
            "Give your mail client or library a connection timeout of at least 30 seconds. If you run the server "
            "and the delay is not deliberate, check its DNS (slow reverse lookups are the usual cause) and load."
        ),
        reference=_RFC5321_GREETING,
    ),
    FindingSpec(
        code="banner.rejected",
        severity=Severity.FAIL,
        step="banner",
        title="The server refused the connection in its greeting: {reply}",
        explanation=(
            "Instead of '220 ready' the server greeted with a permanent refusal ({reply}). A 554 greeting means "
            "'no SMTP service here for you': usually your IP address is on a blocklist the server uses, the "
            "server accepts connections only from certain networks, or this is a receive-only MX that refuses "
            "connections from consumer IP ranges. The text often names the list or policy."
        ),
        fix=(
            "Read the server's text for a blocklist name or URL and follow its delisting steps (see which lists "
            "name your public address: `smtpkit dnsbl IP`). If you are a client of this server, use its submission "
            "port (587/465) with AUTH instead of port 25; if you run it, check its client restrictions "
            "(Postfix: smtpd_client_restrictions, postscreen_dnsbl_sites)."
        ),
        reference="RFC 5321 §3.1 and §4.2.3 (554 greeting)",
    ),
    FindingSpec(
        code="banner.tempfail",
        severity=Severity.FAIL,
        step="banner",
        title="The server is temporarily not accepting connections: {reply}",
        explanation=(
            "The server greeted with a temporary refusal ({reply}). 421 means 'service not available, closing "
            "the connection': the server is shutting down or restarting, has too many connections (possibly "
            "from your address), or is rate-limiting you. Nothing is wrong with your settings."
        ),
        fix=(
            "Wait a few minutes and retry; if your application opens many parallel connections, reduce them or "
            "reuse one connection for several messages. If it lasts, contact the server's administrator with "
            "this reply and the time."
        ),
        reference="RFC 5321 §3.8 and §4.2.2 (421)",
    ),
    FindingSpec(
        code="banner.not_smtp",
        severity=Severity.FAIL,
        step="banner",
        title="Port {port} is not an SMTP server: it answered like {service}",
        explanation=(
            "We expected an SMTP greeting ('220 ...') from {address} port {port}, but received {what}. The host "
            "is reachable, but the port number points at a different service (or at TLS without a plain-text "
            "phase), so no mail client can talk SMTP to it."
        ),
        fix=(
            "Check the port number in your provider's documentation: SMTP submission is 587 (STARTTLS) or 465 (implicit"
            " TLS), server-to-server mail is 25. If the answer was TLS bytes, keep this port and choose implicit TLS"
            " (the SSL/TLS security setting; `--security tls`). If you run the server, check which program listens: `ss"
            " -ltnp | grep ':{port}'`."
        ),
        reference=_RFC5321_GREETING,
    ),
]
