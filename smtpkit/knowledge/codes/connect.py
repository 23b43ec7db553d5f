"""Finding codes of the `connect` step (TCP) and of unusable input.

"Connection failed" covers three situations with opposite fixes: refused
(something answered, nothing listens on that port: wrong port or server down),
timed out (something silently drops the packets: a firewall, an ISP blocking
port 25) and unreachable (this machine has no route at all). Each text below
names one.

Template parameters: host, port, address, addresses, waited, reason,
port_hint (what this port number usually means), alternatives, field, message.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="connect.refused",
        severity=Severity.FAIL,
        step="connect",
        title="Connection refused on port {port}: nothing is listening there",
        explanation=(
            "{address} answered our connection request on port {port} with a refusal (TCP reset). The machine is "
            "reachable, but no program accepts connections on that port: the port number is wrong for this "
            "server, the mail service is stopped, or it listens only on another of the machine's addresses (a "
            "service bound to 127.0.0.1 alone refuses connections from outside, and one bound to its public address "
            "alone refuses them on localhost). {port_hint}"
        ),
        fix=(
            "Check the port in your provider's settings (submission: 587 with STARTTLS or 465 with implicit TLS). "
            "If it is your own server, check that the mail service is running and listening on that address: "
            "`ss -ltnp | grep ':{port}'` (Postfix: `postconf -M submission/inet` and `systemctl status postfix`). "
            "See every port at once with: `smtpkit ports {host}`."
        ),
    ),
    FindingSpec(
        code="connect.timeout",
        severity=Severity.FAIL,
        step="connect",
        title="No answer to the connection on port {port} (filtered or blocked)",
        explanation=(
            "We tried to open a TCP connection to {address} port {port} and nothing answered within {waited}: "
            "not even a refusal. Packets are being dropped silently, which is what firewalls do, on your side "
            "or the server's, or the host is down. {port_hint}"
        ),
        fix=(
            "Try the other submission ports ({alternatives}) and compare: `smtpkit ports {host}`. If every port "
            "times out from here but works from another network (a phone hotspot), your network blocks outgoing "
            "mail: ask your ISP, hosting provider or IT department to open it, or use a port they allow. If you "
            "run the server, check its firewall (`ufw status`, cloud security groups) allows port {port} inbound."
        ),
    ),
    FindingSpec(
        code="connect.unreachable",
        severity=Severity.FAIL,
        step="connect",
        title="{address} is unreachable from this machine",
        explanation=(
            "We could not even send a connection request to {address}: {reason}. The problem is on this machine "
            "or its network, before the server is involved. It typically happens with an IPv6 address on a "
            "network without IPv6, with a VPN or firewall that blocks the route, or with a wrong address in DNS "
            "(for example an IPv4 address written into a AAAA record as ::ffff:a.b.c.d)."
        ),
        fix=(
            "If other addresses of the host work, you can ignore an unreachable IPv6 address, or fix the "
            "machine's IPv6 (or remove a wrong AAAA record from DNS). Otherwise check this machine's network: "
            "`ip route get {address}` shows whether there is a route, and try from another network."
        ),
    ),
    FindingSpec(
        code="connect.partial_failure",
        severity=Severity.WARN,
        step="connect",
        title="Some addresses of {host} failed before {address} connected",
        explanation=(
            "{host} has several addresses; we connected to {address}, but first {failed}. Mail clients try the "
            "addresses in order too, so each failed one costs them a timeout or an error, and a client that tries "
            "only the first address fails completely. It is often an IPv6 address on a network without IPv6."
        ),
        fix=(
            "If the failed addresses are IPv6 and your network has no IPv6, that is harmless but slow; prefer IPv4 "
            "in the client or fix IPv6 connectivity. If you run the server, make sure every A and AAAA record of "
            "{host} points at a listening server, or remove the wrong ones."
        ),
    ),
    FindingSpec(
        code="connect.closed_before_greeting",
        severity=Severity.FAIL,
        step="banner",
        title="The server closed the connection before greeting",
        explanation=(
            "The TCP connection to {address} port {port} opened, but the server closed it{partial} without the "
            "'220' greeting SMTP starts with. Servers do this when they refuse a client outright (a blocklisted "
            "IP address, too many connections from your address, a connection limit reached, fail2ban), when "
            "the service behind the port crashes on connect, or when a port expecting implicit TLS drops a client "
            "that does not start TLS."
        ),
        fix=(
            "Retry in a few minutes (connection limits reset). If it repeats, check whether your public IP address "
            "is on a blocklist (`smtpkit dnsbl IP`), try port 465 with implicit TLS, and if you run the "
            "server read its log at the time of this test (Postfix: /var/log/mail.log, look for 'lost "
            "connection' or 'reject')."
        ),
    ),
]
