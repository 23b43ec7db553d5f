"""DANE findings (RFC 7672): TLSA records for the MX hosts, and whether they match what the MX presents.

DANE is strict by design: a sender that finds DNSSEC-secure TLSA records for an
MX delivers only if the MX's certificate matches one, and otherwise defers the
mail (and bounces it days later). So a stale TLSA record after a certificate
renewal is one of the worst self-inflicted mail outages there is, and the
check says which record, which certificate, and what to publish.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_SENDERS = "Postfix and Exim with DANE enabled, Microsoft Exchange Online and many European providers"

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="dane.no_match",
        severity=Severity.FAIL,
        step="dane",
        title="No TLSA record of MX {mx} matches its certificate",
        explanation=(
            "The DNSSEC-secure TLSA records at {name} name other certificates or keys than the one {mx} presents: "
            "{details}. Senders that use DANE (" + _SENDERS + ") refuse to deliver to an MX that matches none of its "
            "TLSA records: they defer mail to {domain} and bounce it after a few days."
        ),
        fix=(
            "Publish a record for the key the MX uses now, next to the old one: {name}. IN TLSA 3 1 1 {suggested} "
            "(DANE-EE, SHA-256 of the public key: it survives certificate renewals that keep the key). Next time, add "
            "the new key's record a few TTLs before switching keys."
        ),
        reference="RFC 7672 §3.1, §3.3; RFC 7671 §8",
    ),
    FindingSpec(
        code="dane.insecure",
        severity=Severity.WARN,
        step="dane",
        title="TLSA records of MX {mx} are not protected by DNSSEC, so senders ignore them",
        explanation=(
            "{name} has TLSA records, but they are not DNSSEC-secure: {reason}. Senders use TLSA records only when "
            "DNSSEC proves them genuine (anyone on the path could forge unsigned ones), so DANE does not protect mail "
            "to {mx}."
        ),
        fix=(
            "Sign the zone at your DNS host (turn on DNSSEC) and publish its DS record at your registrar; check with "
            "`delv {name} TLSA` or dnsviz.net. If you do not mean to use DNSSEC, remove the TLSA records."
        ),
        reference="RFC 7672 §2.2; RFC 4035",
    ),
    FindingSpec(
        code="dane.wrong_port",
        severity=Severity.WARN,
        step="dane",
        title="TLSA records of MX {mx} are published for the wrong port",
        explanation=(
            "There is no TLSA record at _25._tcp.{mx}, where senders look (mail between servers uses port 25), but "
            "there is at {found}. Records for other ports protect nothing for incoming mail."
        ),
        fix="Publish the same records at _25._tcp.{mx} (the name senders query), e.g. _25._tcp.{mx}. IN TLSA {example}",
        reference="RFC 7672 §2.2.3; RFC 6698 §3",
    ),
    FindingSpec(
        code="dane.unusable",
        severity=Severity.WARN,
        step="dane",
        title="No TLSA record of MX {mx} is usable for SMTP",
        explanation=(
            "Every TLSA record at {name} is one SMTP does not use: {details}. RFC 7672 §3.1.3: senders then still "
            "require TLS to {mx} (the records are DNSSEC-secure), but cannot authenticate it, so DANE adds no "
            "protection."
        ),
        fix=(
            "Publish a DANE-EE record for the MX's key instead: {name}. IN TLSA 3 1 1 <SHA-256 of the public key> "
            "(`openssl x509 -in cert.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl sha256`)."
        ),
        reference="RFC 7672 §3.1.3",
    ),
    FindingSpec(
        code="dane.no_rollover",
        severity=Severity.INFO,
        step="dane",
        title="MX {mx} has one TLSA record: the next key change will break delivery",
        explanation=(
            "The TLSA record at {name} matches today ({details}), but it is the only usable one. The day the MX "
            "gets a new key, nothing matches until DNS is updated and the old record's TTL has run out, and DANE "
            "senders defer mail meanwhile."
        ),
        fix=(
            "Publish the next key's record in advance (a second 3 1 1), or add a record for the issuing CA "
            "(2 1 1 <SHA-256 of the issuer's public key>), which keeps matching across key changes from that CA."
        ),
        reference="RFC 7671 §8.1; RFC 7672 §3.3",
    ),
    FindingSpec(
        code="dane.lookup_failed",
        severity=Severity.WARN,
        step="dane",
        title="The TLSA lookup of MX {mx} did not get an answer (could not check)",
        explanation=(
            "Looking up {name} TLSA ended with {status}: {error}. A validating resolver that cannot get an answer "
            "makes DANE senders defer mail to this MX."
        ),
        fix=(
            "Check that every nameserver of the MX's zone answers TLSA queries (`dig +dnssec TLSA {name} @<each NS>`;"
            " some old DNS servers refuse unknown types), then run the check again."
        ),
        reference="RFC 7672 §2.1.1",
    ),
]
