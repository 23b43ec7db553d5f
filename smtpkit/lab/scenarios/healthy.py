"""Healthy lab servers: the reference every broken scenario is compared with.

A submission server (STARTTLS, then AUTH), the same server behind implicit TLS,
and an inbound MX for smtpkit.test that takes mail only for its own mailboxes.
"""

from __future__ import annotations

from smtpkit.lab.scenarios import LAB_DOMAIN, Scenario

ORDER = 10

SCENARIOS: list[Scenario] = [
    Scenario(
        "submission",
        "A healthy submission server, like port 587 at any provider: STARTTLS with a certificate from the "
        "lab CA (RSA 2048), then AUTH PLAIN, LOGIN, CRAM-MD5 or XOAUTH2 with the lab user, then mail to anyone. "
        "Before STARTTLS it does not even offer AUTH, so a password can never cross the wire in clear.",
        cert="good_rsa",
    ),
    Scenario(
        "implicit_tls",
        "The same healthy server behind implicit TLS, like port 465: the TLS handshake comes first, before "
        "the greeting. A client set to STARTTLS here waits for a greeting that never comes in plain text.",
        security="tls",
    ),
    Scenario(
        "mx",
        "An inbound MX for smtpkit.test, like port 25 on a domain's mail exchanger: no AUTH, STARTTLS offered, "
        "accepts mail only for its own mailboxes (550 5.1.1 for unknown users, 554 5.7.1 relay denied for "
        "other domains). Submitting your outgoing mail here is the classic 'Relay access denied'.",
        auth="none",
        require_auth=False,
        local_domains=(LAB_DOMAIN,),
        cert="mx",  # valid for every lab domain's MX name too (smtpkit.lab.ca.CERT_KINDS)
    ),
]
