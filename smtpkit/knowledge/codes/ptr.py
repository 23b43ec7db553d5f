"""Reverse DNS findings for a sending IP: PTR present and forward-confirmed (FCrDNS).

Most large receivers (Gmail, Microsoft, Yahoo) reject or spam-folder mail from
an IP whose PTR is missing or does not resolve back to the same IP; Gmail's
bulk sender rules state it outright.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_WHO_SETS_PTR = (
    "A PTR record is set by whoever owns the IP address, not in your domain's DNS: your hosting provider's "
    "control panel (AWS: Elastic IP > Update reverse DNS, or the EC2 port 25 / rDNS request form; Azure: the "
    "public IP's DNS name / reverse FQDN; Google Cloud: the instance's PTR setting; Hetzner, OVH, DigitalOcean "
    "(named after the Droplet): the server's reverse DNS field) or a ticket to your ISP."
)

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="ptr.missing",
        severity=Severity.FAIL,
        step="ptr",
        title="{ip} has no reverse DNS (PTR) record",
        explanation=(
            "The reverse lookup {name} returned {status}. Receivers look up the PTR of the connecting IP: Gmail "
            "rejects mail from IPs without one (550 5.7.25), and many others spam-folder it, because home and "
            "hijacked machines usually have none."
        ),
        fix=(
            "Set the PTR of {ip} to your mail server's name, e.g. {name} PTR {suggested}., and make sure that name "
            "has an A/AAAA record pointing back at {ip}. "
        )
        + _WHO_SETS_PTR,
        reference="RFC 1912 §2.1; RFC 8601 §3 (iprev); Gmail sender guidelines",
    ),
    FindingSpec(
        code="ptr.not_forward_confirmed",
        severity=Severity.FAIL,
        step="ptr",
        title="Reverse DNS of {ip} is not forward-confirmed",
        explanation=(
            "{ip} has the PTR name {ptr_names}, but {forward} So the reverse DNS is not forward-confirmed (FCrDNS): "
            "anyone can put any name in a PTR, and receivers only trust it when the name points back. Gmail "
            "rejects such mail (550 5.7.25) and others treat it as a spam signal."
        ),
        fix=(
            "Either add the address record: {first_name}. IN {family} {ip} (in that name's DNS zone), or change the "
            "PTR of {ip} to a name that already resolves to it. "
        )
        + _WHO_SETS_PTR,
        reference="RFC 8601 §3 (iprev); Gmail sender guidelines",
    ),
    FindingSpec(
        code="ptr.lookup_failed",
        severity=Severity.WARN,
        step="ptr",
        title="The reverse DNS lookup of {ip} did not get an answer",
        explanation=(
            "Looking up {name} ended with {status}: {error}. Receivers treat a reverse lookup that times out like a "
            "temporary error and may defer mail from {ip} with a 4xx reply."
        ),
        fix=(
            "Ask the owner of {ip} (hosting provider or ISP) to check the nameservers of its reverse zone, or "
            "retry with another resolver (--nameserver) to rule out a local DNS problem."
        ),
        reference="RFC 8601 §3 (iprev temperror)",
    ),
]
