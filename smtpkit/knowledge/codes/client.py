"""Finding codes of a pasted program error: what the sending program said before any mail server replied.

These come from "explain this error" (`smtpkit explain`, the Explain form), not from a check of ours: the
evidence is the program's own words, and the server the text names (when it names one) is {host}. The fix
always ends by checking the same server from here, since the pasted words alone cannot tell which side is
at fault. Read by `smtpkit.knowledge.client_errors`.

Template parameters: words (what the program said, as pasted), where (the server and port, as far as the
text names them), named (the server's name as the text gives it, or "the server's name"), host (the server,
or HOST), port (the port, or "the port"), port_hint (what that port usually means), alternatives (other
submission ports), ports_command, check_command (the commands that check that server from here; with HOST
for a server the text does not name, and saying so).
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_NOT_A_REPLY = (
    "'{words}' is your program's own error, not a mail server's reply: no server said it, so there is no reply "
    "code to look up and nothing about it in the server's log."
)
_CHECK_FROM_HERE = (
    "To see which side is at fault, check the same server from the machine that runs your program (or from "
    "another network, and compare): {ports_command}."
)

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="client.timeout",
        severity=Severity.FAIL,
        step="explain",
        title="Your program got no answer from {where} (the connection timed out)",
        explanation=(
            f"{_NOT_A_REPLY} It tried to open a connection to {{where}} and nothing answered within its time "
            "limit, not even a refusal. Packets are being dropped silently: that is what a firewall does, on your "
            "side (an internet provider, a hosting or cloud provider, an office network) or on the server's; or "
            "the server is down. {port_hint}"
        ),
        fix=(
            f"{_CHECK_FROM_HERE} If every port times out from that machine but works from another network (a "
            "phone hotspot), that network blocks outgoing mail: use a port it allows ({alternatives}) or ask its "
            "provider to open it."
        ),
    ),
    FindingSpec(
        code="client.refused",
        severity=Severity.FAIL,
        step="explain",
        title="{where} refused your program's connection: nothing listens there",
        explanation=(
            f"{_NOT_A_REPLY} It reached {{where}}, and the machine there refused the connection at once: no "
            "program accepts connections on that port. The port is wrong for this server, the mail service is "
            "stopped, or it listens only on another address (for example only on localhost, when your program "
            "runs on another machine or in a container)."
        ),
        fix=(
            "Check the port against your provider's settings (submission: 587 with STARTTLS, or 465 with "
            "implicit TLS). In a container, 'localhost' is the container itself, not the machine it runs on. "
            f"{_CHECK_FROM_HERE} If it is your own server, see what listens: `ss -ltnp`."
        ),
    ),
    FindingSpec(
        code="client.unreachable",
        severity=Severity.FAIL,
        step="explain",
        title="The machine running your program has no route to {where}",
        explanation=(
            f"{_NOT_A_REPLY} It could not even send a connection request: the machine it runs on has no route "
            "to that network. The problem is that machine's network, before the server is involved: often an "
            "IPv6 address on a network without IPv6, a VPN, or a firewall that blocks the route."
        ),
        fix=(
            "Check the machine's network (`ip route get` followed by the server's address) and whether other "
            "sites are reachable from it; prefer IPv4 if its IPv6 does not work. " + _CHECK_FROM_HERE
        ),
    ),
    FindingSpec(
        code="client.unknown_host",
        severity=Severity.FAIL,
        step="explain",
        title="Your program could not find {named} in DNS",
        explanation=(
            f"{_NOT_A_REPLY} It asked DNS for the server's address and was told no such name exists, so it never "
            "connected. Usual causes: a typo in the server name, a name copied incompletely from the provider's "
            "settings, or a record that was never created (or was deleted) in the domain's DNS."
        ),
        fix=(
            "Compare the server name letter by letter with your provider's settings (it is usually "
            "smtp.<provider> or mail.<your domain>). Check the name from here: {check_command}; it says when the "
            "name does not exist and suggests the one you probably meant."
        ),
    ),
    FindingSpec(
        code="client.no_dns",
        severity=Severity.FAIL,
        step="explain",
        title="The machine running your program could not ask DNS at all",
        explanation=(
            f"{_NOT_A_REPLY} It could not look the server's name up: not 'no such name', but no answer from "
            "DNS at all. The machine has no working DNS resolver (no network yet, a resolver that is down, a "
            "container or firewall that blocks DNS), so every name fails, not only the mail server's."
        ),
        fix=(
            "On that machine, try any name: `getent hosts example.com` (Linux) or `nslookup example.com`. If "
            "that fails too, fix its resolver (/etc/resolv.conf, the container's DNS settings, the network). "
            "Then try again; if only the mail server's name fails, check it from here: {check_command}."
        ),
    ),
    FindingSpec(
        code="client.tls_wrong_version",
        severity=Severity.FAIL,
        step="explain",
        title="Your program started TLS on {where}, which speaks plain SMTP first (use STARTTLS)",
        explanation=(
            f"{_NOT_A_REPLY} Your program started a TLS handshake as soon as it connected (implicit TLS, often "
            "called 'SSL' or secure: true), but the server answered in plain text, with the normal SMTP "
            "greeting. The TLS library then read that text as a TLS record and called it a 'wrong version "
            "number'. Nothing is wrong with the server's TLS: the port (usually 587 or 25) expects STARTTLS, "
            "which connects in plain text and upgrades after EHLO."
        ),
        fix=(
            "Either keep the port and switch the security setting to STARTTLS (Python: smtplib.SMTP(host, 587) "
            "then .starttls(), not SMTP_SSL; Nodemailer: secure: false; PHPMailer: SMTPSecure = 'tls'; MailKit: "
            "SecureSocketOptions.StartTls), or keep implicit TLS and use port 465. See what each port speaks: "
            "{ports_command}."
        ),
        reference="RFC 8314 §3 (implicit TLS on 465), RFC 3207 (STARTTLS)",
    ),
    FindingSpec(
        code="client.no_greeting",
        severity=Severity.FAIL,
        step="explain",
        title="{where} never sent its greeting to your program (implicit TLS expected?)",
        explanation=(
            f"{_NOT_A_REPLY} It connected and waited for the server's '220' greeting, which never came. The "
            "usual cause: the port expects implicit TLS (465), where the server waits for the program to "
            "start TLS while the program waits for a greeting in plain text, until one of them gives up. Less "
            "often, a firewall or antivirus that intercepts mail holds the connection."
        ),
        fix=(
            "On port 465, set the security to implicit TLS (Nodemailer: secure: true; Python: "
            "smtplib.SMTP_SSL; PHPMailer: SMTPSecure = 'ssl'); or keep STARTTLS and use port 587. See what "
            "each port speaks: {ports_command}."
        ),
        reference="RFC 8314 §3 (implicit TLS on 465)",
    ),
    FindingSpec(
        code="client.tls_certificate",
        severity=Severity.FAIL,
        step="explain",
        title="Your program did not trust the certificate of {where}",
        explanation=(
            f"{_NOT_A_REPLY} The connection and TLS started, then your program checked the server's "
            "certificate and stopped: it has expired, it is self-signed, it was issued for another name than "
            "the one your program connected to, or its chain lacks an intermediate certificate. Programs are "
            "right to stop: the check is what keeps the password from someone in the middle."
        ),
        fix=(
            "Do not turn certificate checking off. Connect with the name the certificate is issued for (the "
            "provider's documented server name, not an IP address or an alias). To see which of these it is, "
            "check the server from here: {check_command}; it names the problem and the fix. On a server you "
            "run, install the full chain (Let's Encrypt: fullchain.pem, not cert.pem)."
        ),
    ),
    FindingSpec(
        code="client.closed",
        severity=Severity.FAIL,
        step="explain",
        title="{where} closed the connection on your program",
        explanation=(
            f"{_NOT_A_REPLY} The server (or something between) ended the connection without a reply your "
            "program could show. Servers do this to a client they refuse outright (a blocklisted address, too "
            "many connections, fail2ban), when the security setting does not match the port (STARTTLS on 465, "
            "or implicit TLS where the server expects plain text), or when the message or session broke a limit."
        ),
        fix=(
            "Check that the port and the security setting agree (587 with STARTTLS, 465 with implicit TLS). "
            "Then check the same server from the machine that runs your program, which shows where and why it "
            "closes: {check_command}. If it happens only after many messages, your program sends too many at "
            "once: reuse one connection, or send more slowly."
        ),
    ),
]
