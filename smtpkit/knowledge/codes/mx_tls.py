"""Findings of the MX STARTTLS probe (prefix ``mx.tls.``): every MX address over port 25, as a sender sees it.

Port 25 is blocked outbound by most home, office and cloud networks (to stop
infected machines from sending spam), so an MX that cannot be reached *from
here* is first a fact about this network, not about the domain: when no MX
answers at all, the finding says so and how to check from elsewhere. Only
when some MX answers and another does not is the silent one a finding about
the domain.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="mx.tls.port25_blocked",
        severity=Severity.WARN,
        step="mx_tls",
        title="No MX of {domain} could be reached on port {port} from here (could not check)",
        explanation=(
            "Every MX address failed at the TCP connection: {details}. Most home, office, mobile and cloud networks "
            "block outgoing connections to port 25 (Google Cloud always, AWS and Azure by default), so this usually "
            "says that *this* network blocks it, not that the domain's mail servers are down. Nothing is known about "
            "the MX hosts' TLS from this run."
        ),
        fix=(
            "Run the check from a machine that can send mail directly (a mail server, or a VPS whose provider "
            "allows port 25): `smtpkit domain {domain} --probe-mx`; or test one MX with "
            "`openssl s_client -starttls smtp -connect <mx>:25` there. If port 25 is open here, the MX hosts are all "
            "down or firewalled, and mail to {domain} is queued by every sender."
        ),
        reference="RFC 5321 §5.1; RFC 3207",
    ),
    FindingSpec(
        code="mx.tls.unreachable",
        severity=Severity.WARN,
        step="mx_tls",
        title="MX {mx} of {domain} does not answer on port {port}",
        explanation=(
            "Other MX addresses of {domain} answered from here, but these did not: {details}. Senders skip an MX "
            "they cannot reach and try the next one, so mail still arrives, later; if the unreachable one is the "
            "preferred MX, every message waits for a timeout first."
        ),
        fix=(
            "Check that the mail server runs and that its firewall allows port 25 from the internet on every address "
            "the MX name resolves to (IPv4 and IPv6), or remove the address from DNS."
        ),
        reference="RFC 5321 §5.1",
    ),
    FindingSpec(
        code="mx.tls.session_failed",
        severity=Severity.WARN,
        step="mx_tls",
        title="MX {mx} of {domain} accepted the connection but did not talk SMTP",
        explanation=(
            "The TCP connection worked, but the SMTP conversation did not get to STARTTLS: {details}. A server that "
            "answers 554 at once may be refusing this network in particular (a blocklisted address, a residential "
            "range); one that stays silent or drops the connection is failing every sender."
        ),
        fix=(
            "Look at the mail server's log for connections from this address, and check from another network "
            "(`smtpkit domain {domain} --probe-mx` there)."
        ),
        reference="RFC 5321 §3.1, §4.2",
    ),
    FindingSpec(
        code="mx.tls.no_starttls",
        severity=Severity.WARN,
        step="mx_tls",
        title="MX {mx} of {domain} does not offer STARTTLS",
        explanation=(
            "Its EHLO reply lists no STARTTLS, so every message to {domain} through it crosses the internet in "
            "plain text, readable and changeable on the way.{policy}"
        ),
        fix=(
            "Turn on STARTTLS with a certificate for {mx} (Postfix: smtpd_tls_security_level = may, "
            "smtpd_tls_chain_files = /etc/letsencrypt/live/{mx}/privkey.pem, /etc/letsencrypt/live/{mx}/fullchain.pem;"
            " Exim: tls_advertise_hosts = * with tls_certificate and tls_privatekey)."
        ),
        reference="RFC 3207; RFC 8461 §4.2; RFC 7672 §2.2",
    ),
    FindingSpec(
        code="mx.tls.handshake_failed",
        severity=Severity.WARN,
        step="mx_tls",
        title="STARTTLS fails on MX {mx} of {domain}",
        explanation=(
            "The MX offers STARTTLS, but TLS could not be started: {details}. Most senders then retry the message in "
            "plain text; senders that require TLS defer it.{policy}"
        ),
        fix=(
            "Check the mail server's TLS settings: a readable certificate and key, TLS 1.2 or 1.3 enabled, and modern "
            "ciphers (`openssl s_client -starttls smtp -connect {mx}:25` shows the error from the client side)."
        ),
        reference="RFC 3207; RFC 8996",
    ),
    FindingSpec(
        code="mx.tls.cert_invalid",
        severity=Severity.INFO,
        step="mx_tls",
        title="MX {mx} of {domain} presents a certificate not valid for its name",
        explanation=(
            "The certificate the MX presents fails verification for {mx}: {details}. Senders using ordinary "
            "(opportunistic) STARTTLS do not check MX certificates, so mail flows; but the domain could not publish "
            "an MTA-STS policy that includes this MX without breaking delivery, and DANE would need a TLSA record "
            "for it."
        ),
        fix=(
            "Install a certificate for {mx} from a public CA (Let's Encrypt: certbot certonly -d {mx}) with its full "
            "chain, or point the MX record at the name the certificate carries."
        ),
        reference="RFC 8461 §4.2; RFC 6125",
    ),
    FindingSpec(
        code="mx.tls.private_address",
        severity=Severity.WARN,
        step="mx_tls",
        title="MX {mx} of {domain} resolves to a non-public address (not probed)",
        explanation=(
            "{mx} has no address reachable from the internet ({kinds}), so smtpkit did not connect: {why}. "
            "Senders on the internet cannot reach it either: a leftover internal or example address in public DNS "
            "is a common mistake."
        ),
        fix="Publish the MX host's public address in DNS.{anyway}",
        reference="RFC 5321 §5.1; RFC 6890",
    ),
]
