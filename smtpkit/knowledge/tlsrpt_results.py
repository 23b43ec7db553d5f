"""What each TLS-RPT result type means (RFC 8460 §4.3 and the IANA "STARTTLS Validation Result Types").

A TLS-RPT report says how many sending servers failed to deliver to your MX
hosts securely, and why, in the words of this registry. Each word is read here
in plain language with the fix on the receiving side (yours), and grouped into
the finding that names it (`smtpkit/knowledge/codes/reports.py`). Pure data.
"""

from __future__ import annotations

from smtpkit.record import record

__all__ = ["RESULT_TYPES", "ResultType", "result_type"]


@record(frozen=True)
class ResultType:
    name: str
    code: str  # the finding that reports it
    meaning: str


def _r(name: str, code: str, meaning: str) -> ResultType:
    return ResultType(name, code, meaning)


RESULT_TYPES: dict[str, ResultType] = {
    r.name: r
    for r in (
        _r(
            "starttls-not-supported",
            "reports.tls_starttls",
            "the MX host did not offer STARTTLS, so the message could only go unencrypted (or not at all)",
        ),
        _r(
            "certificate-host-mismatch",
            "reports.tls_certificate",
            "the certificate does not name the MX host (or matches no name the MTA-STS or DANE policy allows)",
        ),
        _r("certificate-expired", "reports.tls_certificate", "the MX host's certificate has expired"),
        _r(
            "certificate-not-trusted",
            "reports.tls_certificate",
            "the certificate does not chain to a trusted root (self-signed, or the intermediate is missing)",
        ),
        _r(
            "validation-failure",
            "reports.tls_validation",
            "the TLS session or its certificate failed validation for a reason not listed in the registry",
        ),
        _r(
            "tlsa-invalid",
            "reports.tls_dane",
            "no TLSA record matched the certificate the MX host presented (DANE)",
        ),
        _r(
            "dnssec-invalid",
            "reports.tls_dane",
            "the DNSSEC-signed answers for the MX host could not be validated (DANE)",
        ),
        _r(
            "dane-required",
            "reports.tls_dane",
            "the sender requires DANE for your domain, but no DNSSEC-validated TLSA record was found",
        ),
        _r(
            "sts-policy-fetch-error",
            "reports.tls_sts_policy",
            "the MTA-STS policy could not be fetched from https://mta-sts.<domain>/.well-known/mta-sts.txt",
        ),
        _r(
            "sts-policy-invalid",
            "reports.tls_sts_policy",
            "the MTA-STS policy file was fetched but is not a valid policy",
        ),
        _r(
            "sts-webpki-invalid",
            "reports.tls_sts_policy",
            "the certificate of the MTA-STS policy host (mta-sts.<domain>) is not valid",
        ),
    )
}


def result_type(name: str) -> ResultType:
    """The reading of a result type; an unregistered one is reported as a generic validation failure."""
    key = (name or "").strip().lower()
    found = RESULT_TYPES.get(key)
    if found is not None:
        return found
    return ResultType(key or "(none given)", "reports.tls_validation", "a result type the IANA registry does not list")
