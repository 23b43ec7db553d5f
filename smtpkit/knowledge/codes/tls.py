"""Finding codes of the `tls` step: STARTTLS / implicit TLS, the handshake and the certificate.

Texts are written for the person whose mail client says "TLS error" and nothing
more: each one says which side is wrong (their setting, the server, a
middlebox), what the certificate or OpenSSL actually said, and the setting or
command that fixes it. Provider keys match `smtpkit.knowledge.presets`.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_RFC3207 = "RFC 3207 (SMTP STARTTLS); RFC 8314 (implicit TLS for submission)"
_RFC8314 = "RFC 8314 §3 (implicit TLS on port 465) and RFC 3207 (STARTTLS on 587/25)"
_RFC6125 = "RFC 6125 §6 (matching a server name against a certificate); RFC 5280 §4.2.1.6 (subjectAltName)"
_RFC5280 = "RFC 5280 §4.1.2.5 (certificate validity) and §6 (path validation)"
_RFC8996 = "RFC 8996 (TLS 1.0 and 1.1 are deprecated); RFC 8446 (TLS 1.3)"

#: After a fix only the server's admin can do (certbot, systemctl): most people checking a relay do not run it, and
#: "certbot renew" on Gmail's expired certificate would send them looking for a server they do not have.
_THEIRS = " If someone else runs the server (your provider, your IT), the fix is theirs: send them this finding."

_PORT_FIX = {
    "gmail": 'Gmail: use smtp.gmail.com port 587 with STARTTLS, or port 465 with implicit TLS ("SSL/TLS").',
    "office365": (
        "Office 365: use smtp.office365.com port 587 with STARTTLS. Exchange Online does not offer implicit TLS on 465."
    ),
    "outlook": "Outlook.com: use smtp-mail.outlook.com port 587 with STARTTLS; port 465 is not offered.",
    "yahoo": 'Yahoo: use smtp.mail.yahoo.com port 465 with implicit TLS ("SSL"), or 587 with STARTTLS.',
    "ses": (
        "Amazon SES: use email-smtp.<region>.amazonaws.com port 587 or 2587 with STARTTLS, or 465 or 2465 with implicit"
        " TLS."
    ),
    "sendgrid": "SendGrid: use smtp.sendgrid.net port 587 or 2525 with STARTTLS, or port 465 with implicit TLS.",
    "mailgun": "Mailgun: use smtp.mailgun.org port 587 or 2525 with STARTTLS, or port 465 with implicit TLS.",
}


_FIX_IMPLICIT_ON_STARTTLS = (
    "Change the security setting to STARTTLS (often labelled 'TLS' or 'STARTTLS') and keep port {port}; "
    "or keep implicit TLS and use port 465. In code: Python smtplib.SMTP(host, {port}) followed by "
    ".starttls(), not SMTP_SSL; Nodemailer secure: false with port {port}; PHPMailer "
    "SMTPSecure = 'tls'; .NET SmtpClient EnableSsl = true with port 587 (MailKit: "
    "SecureSocketOptions.StartTls). Command line: `smtpkit check {host} --port {port} --security starttls`."
)
_FIX_STARTTLS_ON_IMPLICIT = (
    "Keep port {port} and switch the security setting to implicit TLS / 'SSL/TLS'; or keep STARTTLS and "
    "use port 587. In code: Python smtplib.SMTP_SSL(host, {port}) instead of SMTP(...).starttls(); "
    "Nodemailer secure: true; PHPMailer SMTPSecure = 'ssl'; MailKit SecureSocketOptions.SslOnConnect "
    "(.NET's old SmtpClient cannot do implicit TLS at all: use 587). Command line: "
    "`smtpkit check {host} --port {port} --security tls`."
)


def _port_fixes(prefix: str) -> dict[str, str]:
    return {k: f"{prefix} {v}" for k, v in _PORT_FIX.items()}


SPECS: list[FindingSpec] = [
    FindingSpec(
        code="tls.not_offered",
        severity=Severity.FAIL,
        step="tls",
        title="The server does not offer STARTTLS on port {port}",
        explanation=(
            "We asked {host} for its capabilities (EHLO) and STARTTLS was not among them "
            "({capabilities}), so the connection cannot be encrypted on this port. Without encryption your "
            "password and message would cross the network in clear text, and most providers refuse AUTH on an "
            "unencrypted connection. Common causes: this is an inbound MX port (25) of a server that never "
            "enabled TLS; a firewall or antivirus 'SMTP inspection' (Cisco ASA 'inspect esmtp', some ISP "
            "routers) removed STARTTLS from the server's reply; or the port expects implicit TLS and something "
            "else answered."
        ),
        fix=(
            "Use the server's submission port: 587 with STARTTLS or 465 with implicit TLS. If you run the "
            "server, enable TLS (Postfix: smtpd_tls_cert_file, smtpd_tls_key_file and smtpd_tls_security_level = "
            "may; Exim: tls_certificate and tls_privatekey; Exchange: assign a certificate to the receive "
            "connector). If another network shows STARTTLS, turn off SMTP inspection on the firewall between you "
            "and the server."
        ),
        reference=_RFC3207,
        provider_fixes=_port_fixes(
            "This provider always offers TLS, so something on your network is removing it or "
            "you reached the wrong host. Check the host name and your firewall;"
        ),
    ),
    FindingSpec(
        code="tls.starttls_refused",
        severity=Severity.FAIL,
        step="tls",
        title="The server refused STARTTLS: {reply}",
        explanation=(
            "The server advertised STARTTLS but answered the STARTTLS command with an error ({reply}). A 454 "
            "reply means 'TLS not available due to temporary reason' (RFC 3207): usually the server cannot read "
            "its own certificate or private key, the TLS library failed to start, or it is rate-limiting TLS "
            "sessions. A 5xx reply means it will not do TLS for you at all (a policy, or the command was garbled "
            "by a proxy)."
        ),
        fix=(
            "If you run the server, check its log at the moment of this test for the TLS error (Postfix: "
            "'cannot load certificate' or 'cannot get private key' in /var/log/mail.log; verify file permissions "
            "and that the key matches the certificate with `openssl x509 -noout -modulus -in cert.pem | md5sum` "
            "and `openssl rsa -noout -modulus -in key.pem | md5sum`). If it is a provider's server, retry in a few "
            "minutes and contact their support with this reply if it persists; try the implicit-TLS port 465 meanwhile."
        ),
        reference="RFC 3207 §4 (454 TLS not available due to temporary reason)",
    ),
    FindingSpec(
        code="tls.wrong_mode_implicit_on_starttls",
        severity=Severity.FAIL,
        step="tls",
        title="Implicit TLS chosen, but port {port} speaks plain SMTP first (use STARTTLS)",
        explanation=(
            "We started a TLS handshake immediately after connecting (implicit TLS, often labelled 'SSL' or "
            "'SSL/TLS' in mail clients), but the server on port {port} answered in plain text, the normal SMTP "
            "greeting ({server_said}). OpenSSL reports this as 'wrong version number' because it tried to read the "
            "server's text as a TLS record. Port {port} expects STARTTLS: connect in plain text, say EHLO, then "
            "upgrade with the STARTTLS command."
        ),
        fix=_FIX_IMPLICIT_ON_STARTTLS,
        reference=_RFC8314,
        provider_fixes=_port_fixes(_FIX_IMPLICIT_ON_STARTTLS),
    ),
    FindingSpec(
        code="tls.wrong_mode_starttls_on_implicit",
        severity=Severity.FAIL,
        step="tls",
        title="Port {port} expects implicit TLS, but the client waited for a plain-text greeting",
        explanation=(
            "The server on port {port} speaks TLS from the first byte (implicit TLS, what mail clients call "
            "'SSL' or 'SSL/TLS'). A client that connects in plain text or plans to use STARTTLS waits for the "
            "'220' greeting, while the server waits for the client's TLS hello: both wait until one times out. "
            "This is the classic symptom of port 465 used with STARTTLS (or with 'None')."
        ),
        fix=_FIX_STARTTLS_ON_IMPLICIT,
        reference=_RFC8314,
        provider_fixes=_port_fixes(_FIX_STARTTLS_ON_IMPLICIT),
    ),
    FindingSpec(
        code="tls.cert.self_signed",
        severity=Severity.FAIL,
        step="tls",
        title="The server's certificate is self-signed",
        explanation=(
            "The certificate for {subject} was signed by its own key instead of a certificate authority, so "
            "nothing vouches that it belongs to {host}. Your client cannot tell this server from an impostor "
            "in the middle, so a correct client refuses to continue. Self-signed certificates are what servers "
            "generate at install time (Postfix's 'ssl-cert-snakeoil', a fresh Exchange, appliances)."
        ),
        fix=(
            "If you run the server, install a certificate from a public CA for the name clients use ({host}); "
            "Let's Encrypt is free: `certbot certonly --standalone -d {host}`, then point the server at it "
            "(Postfix: smtpd_tls_chain_files = /etc/letsencrypt/live/{host}/privkey.pem, "
            "/etc/letsencrypt/live/{host}/fullchain.pem). If this is a private test server you trust, pass its "
            "certificate as the trust anchor (`smtpkit check {host} --cafile server-cert.pem`) instead of turning "
            "verification off." + _THEIRS
        ),
        reference=_RFC5280,
    ),
    FindingSpec(
        code="tls.cert.expired",
        severity=Severity.FAIL,
        step="tls",
        title="The server's certificate expired on {not_after} ({days_ago} days ago)",
        explanation=(
            "The certificate for {subject} was valid until {not_after}: it expired {days_ago} days ago. "
            "Clients that check certificates (all modern mail apps, libraries and providers relaying to this "
            "server) refuse the connection; the message is usually 'certificate has expired'. This almost always "
            "means automatic renewal stopped, or a renewed certificate was never loaded by the mail server."
        ),
        fix=(
            "If you run the server, renew the certificate and reload the mail server: `certbot renew` then "
            "`systemctl reload postfix` "
            "(or dovecot/exim). If certbot already renewed it, the server still reads an old copy: point it at "
            "/etc/letsencrypt/live/<name>/fullchain.pem and add a deploy hook "
            "(`certbot renew --deploy-hook 'systemctl reload postfix'`). Check the served certificate with "
            "`openssl s_client -starttls smtp -connect {host}:{port} | openssl x509 -noout -dates`. Also check "
            "the clock of the machine running this test if the dates look wrong." + _THEIRS
        ),
        reference=_RFC5280,
    ),
    FindingSpec(
        code="tls.cert.expiring_soon",
        severity=Severity.WARN,
        step="tls",
        title="The server's certificate expires in {days_left} days ({not_after})",
        explanation=(
            "The certificate for {subject} is valid today but expires on {not_after}, in {days_left} days. "
            "When it does, every client that verifies certificates will refuse to connect and mail will stop. "
            "Let's Encrypt certificates last 90 days and certbot renews them 30 days before expiry, so a "
            "certificate this close to its end usually means renewal is failing."
        ),
        fix=(
            "If you run the server, renew now and make sure the mail server loads the new file: "
            "`certbot renew --dry-run` shows why renewal fails (often port 80 blocked or a changed DNS record); "
            "then `systemctl reload postfix`. Add monitoring: `smtpkit check {host} --port {port}` in a daily cron "
            "job warns like this one." + _THEIRS
        ),
        reference=_RFC5280,
    ),
    FindingSpec(
        code="tls.cert.not_yet_valid",
        severity=Severity.FAIL,
        step="tls",
        title="The server's certificate is not valid until {not_before}",
        explanation=(
            "The certificate for {subject} only becomes valid on {not_before} ({days_until} days from the "
            "clock of the machine running this test). Either the server installed a certificate dated in the "
            "future (a clock error when it was issued) or this machine's clock is wrong."
        ),
        fix=(
            "First check this machine's date and time (`date -u`; enable NTP with `timedatectl set-ntp true`). "
            "If the clock is right, the server's certificate was issued with a wrong start date: reissue it on a "
            "machine with a correct clock and reload the mail server."
        ),
        reference=_RFC5280,
    ),
    FindingSpec(
        code="tls.cert.hostname_mismatch",
        severity=Severity.FAIL,
        step="tls",
        title="The certificate is not valid for {asked}",
        explanation=(
            "We connected to {asked}, but the server's certificate only names {names}. A client that checks "
            "certificates refuses the connection, because a certificate for another name proves nothing about "
            "this one. Typical causes: connecting by IP address or by an internal alias; a shared-hosting server "
            "that presents its own name (use that name instead); or a missing name in the certificate after a "
            "rename."
        ),
        fix=(
            "Connect using one of the names in the certificate ({names}): set that as the SMTP host in your "
            "client. If you run the server, issue a certificate that includes {asked} "
            "(`certbot certonly -d {asked} -d <other names>`) and make sure the server sends it for this name "
            "(SNI). Do not turn off hostname checking."
        ),
        reference=_RFC6125,
        provider_fixes={
            "gmail": "Use the host name smtp.gmail.com exactly (not an IP address or a CNAME of your own).",
            "office365": "Use the host name smtp.office365.com exactly (not an IP address or a custom alias).",
            "outlook": "Use the host name smtp-mail.outlook.com exactly (not an IP address).",
            "ses": (
                "Use the regional host name email-smtp.<region>.amazonaws.com exactly; a CNAME of your own "
                "domain will not match Amazon's certificate."
            ),
            "sendgrid": "Use smtp.sendgrid.net exactly; a CNAME of your own domain does not match its certificate.",
            "mailgun": (
                "Use smtp.mailgun.org (or smtp.eu.mailgun.org) exactly; a CNAME of your own domain does "
                "not match its certificate."
            ),
        },
    ),
    FindingSpec(
        code="tls.cert.untrusted_issuer",
        severity=Severity.FAIL,
        step="tls",
        title="The certificate's issuer is not trusted ({issuer})",
        explanation=(
            "The certificate was issued by {issuer}, and we could not build a chain from it to a certificate "
            "authority in {store}. Two different situations cause this. A missing intermediate: the server sends "
            "only its own certificate and not the intermediate CA certificate that links it to a trusted root "
            "(browsers often hide this by fetching the intermediate themselves; mail clients do not). Or a "
            "private CA: the certificate comes from a company, appliance or test CA that no public trust store "
            "contains."
        ),
        fix=(
            "If you run the server and the issuer is a public CA, send the full chain: point the server at "
            "fullchain.pem, not cert.pem (Postfix: smtpd_tls_cert_file = /etc/letsencrypt/live/<name>/fullchain.pem; "
            "Exim: tls_certificate = .../fullchain.pem). If the issuer is your own CA, give its certificate to "
            "the clients as a trust anchor: `smtpkit check {host} --cafile your-ca.pem` here, or install it in "
            "the system store (`cp ca.pem /usr/local/share/ca-certificates/ca.crt && update-ca-certificates`)."
            + _THEIRS
        ),
        reference=_RFC5280,
    ),
    FindingSpec(
        code="tls.cert.weak_key",
        severity=Severity.FAIL,
        step="tls",
        title="The certificate's key is too weak ({key})",
        explanation=(
            "The server's certificate uses a {key} key. Keys this small can be broken and are rejected by "
            "current TLS libraries (OpenSSL refuses RSA keys below 2048 bits at its default security level), so "
            "clients fail with 'ee key too small' or similar. RSA needs at least 2048 bits; ECDSA P-256 or "
            "better is preferred today."
        ),
        fix=(
            "If you run the server, reissue the certificate with a stronger key: `openssl req -new -newkey "
            "rsa:3072 -nodes ...`, or with certbot `--key-type ecdsa` (P-256) or `--rsa-key-size 3072`, then reload "
            "the mail server." + _THEIRS
        ),
        reference="NIST SP 800-57 Part 1 (key sizes); OpenSSL SSL_CTX_set_security_level",
    ),
    FindingSpec(
        code="tls.cert.weak_signature",
        severity=Severity.FAIL,
        step="tls",
        title="The certificate is signed with a weak algorithm ({algorithm})",
        explanation=(
            "A certificate in the server's chain is signed with {algorithm}. MD5 and SHA-1 signatures can be "
            "forged and are rejected by current TLS libraries ('ca md too weak'), so verifying clients refuse "
            "the connection."
        ),
        fix=(
            "If you run the server, reissue the certificate (and any private intermediate) with a SHA-256 "
            "signature: `openssl req ... -sha256` / `openssl x509 ... -sha256`, then reload the mail server." + _THEIRS
        ),
        reference="RFC 9155 (deprecating MD5 and SHA-1 signatures in TLS 1.2)",
    ),
    FindingSpec(
        code="tls.cert.invalid",
        severity=Severity.FAIL,
        step="tls",
        title="The certificate was rejected: {verify_message}",
        explanation="The certificate chain could not be verified: OpenSSL said '{verify_message}'. {meaning}",
        fix=(
            "Inspect the chain the server sends with `openssl s_client -starttls smtp -connect {host}:{port} "
            "-showcerts` and reissue or replace the certificate named above; if you run a private CA, make sure "
            "the certificate has the serverAuth extended key usage and a valid signature from that CA."
        ),
        reference=_RFC5280,
    ),
    FindingSpec(
        code="tls.protocol_outdated",
        severity=Severity.FAIL,
        step="tls",
        title="The server only speaks {version}, which is outdated (TLS 1.2 or newer is required)",
        explanation=(
            "The server's best TLS version is {version}. TLS 1.0 and 1.1 were deprecated in 2021 (RFC 8996) "
            "because of weak algorithms; current OpenSSL, Python, Windows and every major provider refuse them, "
            "so modern clients cannot connect (typical error: 'unsupported protocol' or 'tlsv1 alert protocol "
            "version')."
        ),
        fix=(
            "If you run the server, allow TLS 1.2 and 1.3 and disable older versions (Postfix: "
            "smtpd_tls_protocols = >=TLSv1.2 and smtpd_tls_mandatory_protocols = >=TLSv1.2; Exchange/Windows: "
            "enable TLS 1.2 in SCHANNEL and .NET strong crypto). Old devices (scanners, NAS, PBX) that only speak "
            "TLS 1.0 need a firmware update or a local relay that accepts them and forwards over TLS 1.2." + _THEIRS
        ),
        reference=_RFC8996,
        provider_fixes={
            "office365": (
                "Office 365 rejects TLS 1.0/1.1 for SMTP AUTH (reply 421 4.7.66 'TLS 1.0 and 1.1 are not "
                "supported'): update the sending device or app to TLS 1.2, or send through a local relay "
                "(Postfix or IIS SMTP) that uses TLS 1.2 towards smtp.office365.com."
            ),
            "gmail": (
                "Gmail requires TLS 1.2 or newer: update the sending device or library, or relay through a "
                "local server that speaks TLS 1.2."
            ),
        },
    ),
    FindingSpec(
        code="tls.handshake_failed",
        severity=Severity.FAIL,
        step="tls",
        title="The TLS handshake failed: {reason}",
        explanation=(
            "The TLS negotiation with the server failed before any certificate could be checked. OpenSSL "
            "reported '{reason}'. {meaning}"
        ),
        fix=(
            "{advice} To see the server's side, run `openssl s_client -starttls smtp -connect {host}:{port}` "
            "(or without -starttls smtp for implicit TLS on 465) and check the mail server's log at the time of "
            "this test."
        ),
        reference="RFC 8446 (TLS 1.3); RFC 5246 (TLS 1.2)",
    ),
    FindingSpec(
        code="tls.handshake_timeout",
        severity=Severity.FAIL,
        step="tls",
        title="The TLS handshake did not finish within {seconds} seconds",
        explanation=(
            "The server accepted the connection{after_starttls} but did not complete the TLS handshake in "
            "{seconds} seconds. Usually something between you and the server swallows TLS: a firewall or "
            "intrusion-prevention system, a captive portal, or a port forward that leads to a server which is "
            "not the mail server. A badly overloaded server can also do this."
        ),
        fix=(
            "Test from another network (a phone hotspot) to rule out your firewall; if it works there, ask "
            "your network administrator to allow TLS on port {port}. If you run the server, check that the port "
            "forwards to the mail service and that the service is not stuck (Postfix: `postfix status`, "
            "`tail /var/log/mail.log`)."
        ),
        reference="RFC 8446 §4 (handshake protocol)",
    ),
    FindingSpec(
        code="tls.not_verified",
        severity=Severity.WARN,
        step="tls",
        title="The certificate was not verified (verification turned off)",
        explanation=(
            "TLS encrypted the connection, but certificate verification was turned off for this check, so "
            "nothing proves the server is {host} and not an impostor in the middle who can read your password. "
            "Encryption without verification only protects against passive eavesdroppers."
        ),
        fix=(
            "Turn verification back on. If the server uses a private or self-signed certificate, pass the CA or "
            "the server certificate as a trust anchor (`smtpkit check {host} --cafile ca.pem`; in Python "
            "ssl.create_default_context(cafile='ca.pem')) rather than disabling checks."
        ),
        reference=_RFC6125,
    ),
    FindingSpec(
        code="tls.cafile_unreadable",
        severity=Severity.FAIL,
        step="tls",
        title="The CA file could not be used: {problem}",
        explanation=(
            "You asked to verify the server against a CA file, but {problem}. Without trust anchors no "
            "certificate can be verified, so the TLS check stopped before contacting the server's TLS layer."
        ),
        fix=(
            "Pass a readable PEM file that holds one or more '-----BEGIN CERTIFICATE-----' blocks: the CA that "
            "issued the server's certificate (for the practice lab: the ca_file printed by `smtpkit lab`). "
            "Convert a DER/.cer file with `openssl x509 -inform der -in ca.cer -out ca.pem`. Omit --cafile to "
            "use the system trust store."
        ),
    ),
    FindingSpec(
        code="tls.info.version",
        severity=Severity.INFO,
        step="tls",
        title="Encrypted with {version} ({cipher})",
        explanation="The connection is encrypted with {version} using {cipher}. {verdict}",
        fix=(
            "Nothing to change. TLS 1.3 is the current version; TLS 1.2 with an ECDHE key exchange and AES-GCM or "
            "ChaCha20 is still secure."
        ),
        reference=_RFC8996,
    ),
]
