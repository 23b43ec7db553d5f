"""Certificate and TLS-version failures: each server presents a certificate that is wrong in exactly one way.

Expired, not yet valid, self-signed, issued for another name, about to expire,
and a server that speaks only TLS 1.0/1.1 (where the local OpenSSL still can).
"""

from __future__ import annotations

from smtpkit.lab.scenarios import Scenario

ORDER = 20

SCENARIOS: list[Scenario] = [
    Scenario(
        "self_signed",
        "STARTTLS works, but the certificate is signed by its own key instead of a CA, so the client cannot "
        "tell this server from an impostor: verification fails with 'self-signed certificate'.",
        category="tls",
        expect="tls.cert.self_signed",
        cert="self_signed",
    ),
    Scenario(
        "expired_cert",
        "The certificate was issued by the lab CA but expired 10 days ago (an automated renewal that stopped "
        "running): verification fails with 'certificate has expired'.",
        category="tls",
        expect="tls.cert.expired",
        cert="expired",
    ),
    Scenario(
        "wrong_host",
        "A valid certificate from the lab CA, but for mail.someone-else.test only: the client connected to "
        "another name (127.0.0.1, localhost, mail.smtpkit.test) and verification fails with 'hostname "
        "mismatch', as when an app points at a provider's IP address or an old alias.",
        category="tls",
        expect="tls.cert.hostname_mismatch",
        cert="wrong_host",
    ),
    Scenario(
        "expiring_soon",
        "Everything works today, but the certificate expires in 7 days: the warning a diagnosis should give "
        "before mail stops on a weekend.",
        category="tls",
        expect="tls.cert.expiring_soon",
        cert="expiring_soon",
    ),
    Scenario(
        "not_yet_valid",
        "The certificate's validity starts 30 days from now (installed too early, or a client or server "
        "clock that is wrong): verification fails with 'certificate is not yet valid'.",
        category="tls",
        expect="tls.cert.not_yet_valid",
        cert="not_yet_valid",
    ),
    Scenario(
        "old_tls",
        "A server stuck on TLS 1.0/1.1, deprecated since 2021 (RFC 8996): modern clients refuse the handshake "
        "with 'unsupported protocol' before any certificate is even looked at.",
        category="tls",
        expect="tls.protocol_outdated",
        tls_versions=("TLSv1", "TLSv1.1"),
        requires="old_tls",
    ),
]
