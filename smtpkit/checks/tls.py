"""Turn what the TLS probe saw into the `tls` Step: facts, certificate and chain tables, findings.

Two sources of truth are combined on purpose. OpenSSL's verdict says whether a
strict client will connect; our own reading of the certificate
(`smtpkit.knowledge.certs`) names every problem the certificate has, because
OpenSSL stops at the first one and a person fixing an expired certificate for
the wrong host wants to hear both at once.

Also here: the steps for the failures that happen before any handshake
(`starttls_unavailable_step` for STARTTLS missing or refused, and
`wrong_mode_step` for a plain-text client on an implicit-TLS port), so the
session engine never writes TLS explanations itself.
"""

from __future__ import annotations

import datetime as _dt

from smtpkit.knowledge.catalogue import finding
from smtpkit.knowledge.certs import (
    CertInfo,
    CertParseError,
    as_utc,
    chain_rows,
    format_date,
    missing_intermediate,
    parse_der,
)
from smtpkit.model import Finding, Status, Step
from smtpkit.net.tls import TlsOutcome
from smtpkit.record import record
from smtpkit.render.plural import counted

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:  # (knowledge.tls_errors explains failures: imported when a handshake failed)
    from typing import Any

    from smtpkit.knowledge.tls_errors import TlsError

STEP = "tls"
#: The organisation name in the practice lab's CA (smtpkit/lab/ca.py), to point lab users at --cafile.
LAB_CA_MARKER = "smtpkit practice lab"

_OUTDATED = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"}
_MODE_TEXT = {
    "starttls": "STARTTLS (plain text first, upgraded after EHLO)",
    "tls": "implicit TLS (TLS from the first byte)",
}


def pretty_version(version: str | None) -> str:
    """A protocol version as findings say it ('TLSv1.1' -> 'TLS 1.1'); the lab's hints say it the same way."""
    return {"TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1", "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3"}.get(
        version or "", version or "unknown"
    )


def _printable(data: bytes, limit: int = 200) -> str:
    text = data[:limit].decode("latin-1")
    out = "".join(
        ch if (32 <= ord(ch) < 127) else ("\\r" if ch == "\r" else "\\n" if ch == "\n" else f"\\x{ord(ch):02x}")
        for ch in text
    )
    return out + ("…" if len(data) > limit else "")


def _tls_record_header(data: bytes) -> bool:
    """Do these bytes start like a TLS record (content type 20-23, major version 3)?"""
    return len(data) >= 3 and data[0] in (20, 21, 22, 23) and data[1] == 3


def _broken_tls_record(reason: str, peer: bytes) -> bool:
    """Was the "not TLS" answer really a TLS record with an impossible length?

    The record header is the proof when we saw it, either way: noise whose second
    byte happens to be 3 also gets "packet length too long" from OpenSSL, and is
    still no TLS. OpenSSL sometimes consumes the header before our peek (the
    evidence then starts with "..."), and then "packet length too long" over
    bytes that are not text (a greeting would be) is the best sign left.
    """
    if not peer.startswith(b"..."):
        return _tls_record_header(peer)
    body = peer[3:]
    texty = sum(32 <= b < 127 or b in (9, 10, 13) for b in body)
    return reason == "PACKET_LENGTH_TOO_LONG" and texty < 0.8 * len(body)


@record(frozen=True)
class Certificates:
    """The certificates a handshake delivered, read (`knowledge.certs`): the chain, leaf first,
    and what could not be read (the probe keeps them as DER, the raw fact)."""

    chain: list[CertInfo]
    problems: str | None = None

    @property
    def leaf(self) -> CertInfo | None:
        return self.chain[0] if self.chain else None

    @classmethod
    def of(cls, outcome: TlsOutcome) -> Certificates:
        chain: list[CertInfo] = []
        problems: list[str] = []
        for i, der in enumerate(outcome.ders):
            try:
                chain.append(parse_der(der))
            except CertParseError as exc:
                problems.append(f"certificate #{i}: {exc}")
        return cls(chain, "; ".join(problems) or None)


def tls_failure(outcome: TlsOutcome, mode: str | None = None, port: int | None = None) -> TlsError | None:
    """What a failed handshake means (`knowledge.tls_errors`), read from the probe's raw facts; None when it worked.

    `mode` ("starttls" or "tls") tells a wrong-mode answer apart from a
    middlebox that kept talking plain text after STARTTLS.
    """
    if outcome.ok or outcome.encrypted or outcome.failure is None:
        return None
    from smtpkit.knowledge.tls_errors import explain_tls_error

    return explain_tls_error(
        outcome.error if outcome.error is not None else (outcome.error_reason or outcome.error_message or ""),
        outcome.verify_code,
        mode=mode,
        port=port,
        verify_message=outcome.verify_message,
        client_cert_requested=outcome.client_cert_requested,
    )


# Failures a laxer client might get past (an old version, old ciphers, a small key), or that say
# nothing specific: one permissive handshake learns what the server really speaks.
_PERMISSIVE_LOOK = {
    "protocol_version",
    "no_shared_cipher",
    "weak_dh",
    "weak_key",
    "weak_signature",
    "legacy_renegotiation",
    "closed",
    "handshake",
}


def second_look(outcome: TlsOutcome) -> str | None:
    """After a failed handshake, which second one can teach more (`TlsOptions.second_look`).

    "unverified" reads the certificate that failed verification, so a report
    can name what is wrong with it; "permissive" learns what an outdated server
    speaks. Nothing for a timeout, a wrong mode or a server that wants a
    client certificate: a second handshake would only fail the same way.
    """
    if outcome.failure == "verify":
        return "unverified"
    err = tls_failure(outcome)
    if err is None or outcome.failure == "config":
        return None
    return "permissive" if err.kind in _PERMISSIVE_LOOK else None


def cert_evidence(cert: CertInfo | None) -> str:
    """The certificate fields a finding cites as proof."""
    if cert is None:
        return ""
    parts = [f"subject: {cert.subject}"]
    if cert.names:
        parts.append(f"names: {', '.join(cert.names)}")
    parts.append(f"issuer: {cert.issuer}")
    parts.append(f"valid {format_date(cert.not_before)} to {format_date(cert.not_after)}")
    parts.append(f"key: {cert.key_description}")
    return "; ".join(parts)


def certificate_rows(cert: CertInfo, now: _dt.datetime | None = None) -> list[dict[str, Any]]:
    """The leaf certificate as field/value rows, in the order a person reads them."""
    left = cert.days_left(now)
    rows = [
        ("subject", cert.subject),
        ("names (SANs)", ", ".join(cert.names) or "(none)"),
        ("issued by", cert.issuer_cn or cert.issuer),
        ("issuer (full name)", cert.issuer),
        ("valid from", format_date(cert.not_before)),
        ("valid to", format_date(cert.not_after)),
        ("days left", left),
        ("validity", cert.validity(now)),
        ("key", cert.key_description),
        ("signature", cert.signature_algorithm),
        ("self-signed", cert.self_signed),
        ("extended key usage", ", ".join(cert.ext_key_usage) or "(any)"),
        ("serial", cert.serial),
        ("SHA-256 fingerprint", cert.sha256),
    ]
    if cert.ca_issuers_urls:
        rows.append(("issuer certificate URL", ", ".join(cert.ca_issuers_urls)))
    if cert.ocsp_urls:
        rows.append(("OCSP", ", ".join(cert.ocsp_urls)))
    if cert.warnings:
        rows.append(("could not read", "; ".join(cert.warnings)))
    return [{"field": k, "value": v} for k, v in rows]


# ---------------------------------------------------------------------------
# the main builder


def tls_step(
    outcome: TlsOutcome,
    mode: str = "starttls",
    host: str | None = None,
    port: int | None = None,
    provider: str | None = None,
    now: _dt.datetime | None = None,
) -> Step:
    """Build the `tls` Step from a probe outcome. `mode` is "starttls" or "tls" (implicit)."""
    now = as_utc(now)
    host = host or outcome.server_hostname or ""
    asked = outcome.server_hostname or host
    certs = Certificates.of(outcome)
    cert = certs.leaf
    common = {"host": host or "(host)", "port": port if port is not None else "(port)"}

    details: dict[str, Any] = {"mode": _MODE_TEXT.get(mode, mode)}
    findings: list[Finding] = []

    if outcome.failure == "config":
        step = Step(
            STEP,
            Status.FAIL,
            f"TLS not attempted: {outcome.error_message}",
            outcome.elapsed_ms,
            details={**details, "verified against": outcome.verified_against},
        )
        step.add(
            finding(
                "tls.cafile_unreadable",
                outcome.error_message or "",
                provider=provider,
                problem=outcome.error_message or "it could not be read",
                **common,
            )
        )
        return step

    details["protocol version"] = outcome.version or (
        f"handshake failed{f' (a permissive client got {outcome.legacy_version})' if outcome.legacy_version else ''}"
    )
    if outcome.cipher:
        details["cipher"] = f"{outcome.cipher[0]} ({outcome.cipher[1]} bits)"
    details["SNI sent"] = outcome.sni or (
        "none: connecting to an IP address, so the certificate must list that IP" if asked else "none"
    )
    details["verified against"] = outcome.verified_against
    details["verified"] = outcome.verified
    if outcome.alpn:
        details["ALPN"] = outcome.alpn
    if outcome.error_message:
        details["error"] = outcome.error_message
    if cert is not None:
        # Only the facts a reader checks first; every certificate field is in the "certificate"
        # table once, not repeated here (the same twenty lines twice buried the handshake facts).
        details["days left"] = cert.days_left(now)
        if outcome.cert_source:
            details["certificate from"] = outcome.cert_source
    elif not outcome.ok:
        details["certificate"] = "not received" + (f" ({outcome.refetch_error})" if outcome.refetch_error else "")
    if certs.problems:
        details["certificate problems"] = certs.problems

    tables: dict[str, list[dict[str, Any]]] = {}
    if cert is not None:
        tables["certificate"] = certificate_rows(cert, now)
    if certs.chain:
        tables["chain"] = chain_rows(certs.chain, now)
    if outcome.handshakes:
        tables["handshakes"] = [h.to_row() for h in outcome.handshakes]

    if outcome.encrypted or outcome.ok:
        findings += _success_findings(outcome, cert, mode, asked, provider, now, common)
    else:
        findings += _failure_findings(outcome, certs, mode, asked, port, provider, now, common)
    if cert is not None and not outcome.verified:
        findings += _certificate_findings(cert, certs.chain, asked, provider, now, common)
    elif cert is not None:
        findings += _verified_cert_findings(outcome, cert, provider, now, common)

    findings = _dedupe(findings)
    status = Status.PASS if outcome.ok else Status.FAIL
    step = Step(
        STEP, status, _summary(outcome, cert, findings, now), outcome.elapsed_ms, details=details, tables=tables
    )
    step.add(*findings)
    return step


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.code not in seen:
            seen.add(f.code)
            out.append(f)
    return out


def _summary(outcome: TlsOutcome, cert: CertInfo | None, findings: list[Finding], now: _dt.datetime) -> str:
    if outcome.ok:
        parts = [f"{pretty_version(outcome.version)}"]
        if outcome.cipher:
            parts[0] += f" ({outcome.cipher[0]})"
        if cert is not None:
            left = cert.days_left(now)
            who = cert.subject_cn or (cert.names[0] if cert.names else cert.subject)
            parts.append(f"certificate for {who}, {left} days left")
        parts.append("verified against " + outcome.verified_against if outcome.verified else "NOT verified")
        return ", ".join(parts)
    problems = [f.title for f in findings if f.severity.value == "fail"]
    return "TLS failed: " + ("; ".join(problems[:3]) if problems else (outcome.error_message or "unknown error"))


# ---------------------------------------------------------------------------
# findings


def _success_findings(
    outcome: TlsOutcome,
    cert: CertInfo | None,
    mode: str,
    asked: str,
    provider: str | None,
    now: _dt.datetime,
    common: dict[str, Any],
) -> list[Finding]:
    out: list[Finding] = []
    cipher = f"{outcome.cipher[0]}, {outcome.cipher[1]}-bit" if outcome.cipher else "an unknown cipher"
    if outcome.version in _OUTDATED:
        out.append(
            finding(
                "tls.protocol_outdated",
                f"negotiated {outcome.version} with cipher {cipher}",
                provider=provider,
                version=pretty_version(outcome.version),
                **common,
            )
        )
    else:
        verdict = {
            "TLSv1.3": "TLS 1.3 is the current version: fast, forward-secret, no legacy algorithms. Nothing to do.",
            "TLSv1.2": (
                "TLS 1.2 is still secure with modern ciphers; enabling TLS 1.3 on the server is a cheap upgrade."
            ),
        }.get(outcome.version or "", "")
        out.append(
            finding(
                "tls.info.version",
                f"{outcome.version} {cipher}",
                provider=provider,
                version=pretty_version(outcome.version),
                cipher=cipher,
                verdict=verdict,
                **common,
            )
        )
    if not outcome.verified:
        out.append(finding("tls.not_verified", cert_evidence(cert), provider=provider, **common))
    return out


def _failure_findings(
    outcome: TlsOutcome,
    certs: Certificates,
    mode: str,
    asked: str,
    port: int | None,
    provider: str | None,
    now: _dt.datetime,
    common: dict[str, Any],
) -> list[Finding]:
    from smtpkit.knowledge.tls_errors import humanize_reason

    err = tls_failure(outcome, mode, port)
    assert err is not None  # only called for a failed handshake
    evidence = outcome.error_message or err.message
    cert = certs.leaf

    if err.code == "tls.handshake_timeout":
        return [
            finding(
                err.code,
                evidence,
                provider=provider,
                seconds=f"{outcome.timeout:g}",
                after_starttls=" and the STARTTLS command" if mode == "starttls" else "",
                **common,
            )
        ]
    if err.code == "tls.wrong_mode_implicit_on_starttls" and _broken_tls_record(err.reason, outcome.peer_bytes):
        # OpenSSL says "packet length too long" / "wrong version number" for a broken TLS record
        # too; when the bytes are a TLS record header, the server does speak TLS, badly.
        return [
            finding(
                "tls.handshake_failed",
                f"{evidence}; server sent: {_printable(outcome.peer_bytes, 24)}",
                provider=provider,
                reason=humanize_reason(err.reason),
                meaning=(
                    "The server answered in TLS, but with a TLS record that breaks the protocol "
                    "(for example a length beyond the 16 KB TLS allows), so no client can finish the "
                    "handshake. The server's TLS library, or a proxy or load balancer in front of it, "
                    "is broken."
                ),
                advice=(
                    "Test the server with another client (openssl s_client -connect host:port) to "
                    "confirm, then update or reconfigure the TLS software or the device in front of it."
                ),
                **common,
            )
        ]
    if err.code == "tls.wrong_mode_implicit_on_starttls":
        said = _printable(outcome.peer_bytes).strip() if outcome.peer_bytes else ""
        first_line = _printable(outcome.peer_bytes.split(b"\n", 1)[0].rstrip(b"\r"), 120).strip()
        server_said = f"'{first_line}'" if first_line else "readable text instead of TLS"
        ev = f"{evidence}; server sent: {said}" if said else evidence
        return [finding(err.code, ev, provider=provider, server_said=server_said, **common)]
    if err.kind == "verify":
        return _verify_findings(err, outcome, certs, asked, provider, now, common)

    # The permissive follow-up handshake tells us what the server really speaks.
    legacy = outcome.legacy_version
    if err.code == "tls.protocol_outdated" or (legacy in _OUTDATED):
        if legacy and legacy not in _OUTDATED:
            meaning = (
                f"The server's best version is {pretty_version(legacy)}, but this check required at least "
                f"{outcome.min_version or 'a newer version'}."
            )
            return [
                finding(
                    "tls.handshake_failed",
                    evidence,
                    provider=provider,
                    reason=humanize_reason(err.reason),
                    meaning=meaning,
                    advice="Lower the minimum TLS version of the check, or upgrade the server.",
                    **common,
                )
            ]
        version = (
            pretty_version(legacy)
            if legacy
            else "a TLS version older than 1.2 (the exact version could not be learned)"
        )
        ev = evidence + (f"; a permissive client negotiated {legacy}" if legacy else "")
        return [finding("tls.protocol_outdated", ev, provider=provider, version=version, **common)]
    if err.code == "tls.cert.weak_key":
        key = cert.key_description if cert is not None else "too small"
        return [finding(err.code, cert_evidence(cert) or evidence, provider=provider, key=key, **common)]
    if err.code == "tls.cert.weak_signature":
        algo = _weak_signature_algorithm(certs.chain) or "MD5 or SHA-1"
        return [finding(err.code, evidence, provider=provider, algorithm=algo, **common)]
    meaning = err.meaning
    if legacy:
        cipher = outcome.legacy_cipher[0] if outcome.legacy_cipher else ""
        if err.kind == "weak_dh":
            meaning += (
                f" A permissive client that accepts small groups did connect ({pretty_version(legacy)}, "
                f"{cipher}), which confirms the DH parameters are the only obstacle."
            )
        elif _legacy_cipher(cipher):
            meaning += (
                f" A permissive client (TLS 1.0+, every cipher) did connect, with {pretty_version(legacy)} "
                f"and {cipher}: the server accepts only settings that modern clients refuse "
                "(no forward secrecy, or an obsolete algorithm)."
            )
        else:
            meaning += (
                f" A second handshake with relaxed settings succeeded ({pretty_version(legacy)}, "
                f"{cipher or 'unknown cipher'}), so the server can do TLS: the failure depends on something "
                "only the strict client offered or checked, or it is intermittent. Run the check again."
            )
    advice = (
        err.advice
        or "Check the server's TLS configuration against current recommendations (Mozilla's 'intermediate' profile)."
    )
    return [
        finding(
            "tls.handshake_failed",
            evidence,
            provider=provider,
            reason=humanize_reason(err.reason),
            meaning=meaning,
            advice=advice,
            **common,
        )
    ]


_OBSOLETE_CIPHER_PARTS = ("RC4", "DES", "NULL", "EXP", "MD5", "ADH", "AECDH", "PSK", "SRP", "IDEA", "SEED", "CAMELLIA")


def _legacy_cipher(name: str) -> bool:
    """True for suites a default modern client does not offer: no (EC)DHE key exchange, or obsolete parts."""
    if not name:
        return True
    if name.startswith("TLS_"):  # TLS 1.3 suites are all modern
        return False
    return not ("ECDHE" in name or "DHE" in name) or any(part in name for part in _OBSOLETE_CIPHER_PARTS)


def _weak_signature_algorithm(chain: list[CertInfo]) -> str | None:
    for c in chain:
        if c.weak_signature:
            return c.signature_algorithm
    return None


def _verify_findings(
    err: TlsError,
    outcome: TlsOutcome,
    certs: Certificates,
    asked: str,
    provider: str | None,
    now: _dt.datetime,
    common: dict[str, Any],
) -> list[Finding]:
    cert = certs.leaf
    code = err.code
    if (
        code
        in (
            "tls.cert.expired",
            "tls.cert.not_yet_valid",
            "tls.cert.hostname_mismatch",
            "tls.cert.self_signed",
            "tls.cert.weak_key",
            "tls.cert.weak_signature",
        )
        and cert is not None
    ):
        specific = _cert_problem(code, cert, certs.chain, asked, provider, now, common)
        if specific is not None:
            return [specific]
    if code == "tls.cert.untrusted_issuer":
        return [_untrusted(outcome, certs, provider, common)]
    params = cert_params(cert, asked, now)
    if code == "tls.cert.invalid":
        return [
            finding(
                code,
                outcome.error_message or "",
                provider=provider,
                verify_message=outcome.verify_message or err.reason,
                meaning=err.meaning,
                **common,
            )
        ]
    if code == "tls.cert.weak_signature":
        params["algorithm"] = _weak_signature_algorithm(certs.chain) or "MD5 or SHA-1"
    return [finding(code, outcome.error_message or cert_evidence(cert), provider=provider, **params, **common)]


def cert_params(cert: CertInfo | None, asked: str, now: _dt.datetime) -> dict[str, Any]:
    """A certificate's words for its findings (dates, days left or ago, names); the lab's hints read a
    scenario's certificate with it, so they say what the result will say."""
    if cert is None:
        return {"asked": asked, "names": "(certificate not available)"}
    left = cert.days_left(now)
    until = -left if left is not None else None
    starts = cert.not_before
    days_until = int((starts - now).total_seconds() // 86400) if starts is not None else None
    return {
        "subject": cert.subject,
        "not_after": format_date(cert.not_after),
        "not_before": format_date(cert.not_before),
        "days_left": left,
        "days_ago": until,
        "days_until": days_until,
        "asked": asked,
        "names": ", ".join(cert.names) or "no names at all",
        "key": cert.key_description,
        "issuer": cert.issuer,
    }


def _cert_problem(
    code: str,
    cert: CertInfo,
    chain: list[CertInfo],
    asked: str,
    provider: str | None,
    now: _dt.datetime,
    common: dict[str, Any],
) -> Finding | None:
    params = cert_params(cert, asked, now)
    ev = cert_evidence(cert)
    if code == "tls.cert.weak_signature":
        params["algorithm"] = _weak_signature_algorithm(chain) or cert.signature_algorithm
    if code == "tls.cert.hostname_mismatch":
        ev = f"asked for {asked}; certificate names: {params['names']}"
    return finding(code, ev, provider=provider, **params, **common)


def _untrusted(outcome: TlsOutcome, certs: Certificates, provider: str | None, common: dict[str, Any]) -> Finding:
    cert = certs.leaf
    chain = certs.chain
    issuer = (cert.issuer_cn or cert.issuer) if cert is not None else "an unknown issuer"
    extra = ""
    if chain and missing_intermediate(chain):
        last = chain[-1]
        extra = (
            f"Here the server sent {counted(len(chain), 'certificate')} and the last one was issued by"
            f" '{last.issuer}', which it did not send. If that is a public CA, the server is missing its intermediate "
            "certificate; if it is your organisation's CA, give it to the client as a trust anchor."
        )
    elif chain and chain[-1].self_signed and len(chain) > 1:
        extra = (
            f"Here the chain ends at the root '{chain[-1].subject}', which the server sent itself and which is "
            "not in the trust store: a private CA. Trust it explicitly if it is yours (the form's CA file under "
            "More settings; cafile= in Python, --cafile on the command line)."
        )
    if cert is not None and LAB_CA_MARKER in cert.issuer.lower():
        extra += (
            " This certificate comes from the smtpkit practice lab's own CA: in a form, choose Practice lab "
            "(it trusts the lab's CA); in Python pass cafile=lab.ca_file, and on the command line --cafile with "
            "the file `smtpkit lab` shows."
        )
    ev = (outcome.error_message or "") + (f"; issuer: {cert.issuer}" if cert is not None else "")
    return finding(
        "tls.cert.untrusted_issuer",
        ev,
        provider=provider,
        issuer=issuer,
        store=outcome.verified_against or "the trust store",
        extra=extra.strip(),
        **common,
    )


def _certificate_findings(
    cert: CertInfo,
    chain: list[CertInfo],
    asked: str,
    provider: str | None,
    now: _dt.datetime,
    common: dict[str, Any],
) -> list[Finding]:
    """Every problem we can prove from the certificate itself (used when OpenSSL did not verify it)."""
    out: list[Finding] = []
    validity = cert.validity(now)
    if validity == "expired":
        out.append(_cert_problem("tls.cert.expired", cert, chain, asked, provider, now, common))  # type: ignore[arg-type]
    elif validity == "not_yet_valid":
        out.append(_cert_problem("tls.cert.not_yet_valid", cert, chain, asked, provider, now, common))  # type: ignore[arg-type]
    elif cert.expiring_soon(now):
        out.append(_expiring(cert, asked, provider, now, common))
    if asked and not cert.matches(asked):
        out.append(_cert_problem("tls.cert.hostname_mismatch", cert, chain, asked, provider, now, common))  # type: ignore[arg-type]
    if cert.self_signed:
        out.append(_cert_problem("tls.cert.self_signed", cert, chain, asked, provider, now, common))  # type: ignore[arg-type]
    if cert.weak_key:
        out.append(_cert_problem("tls.cert.weak_key", cert, chain, asked, provider, now, common))  # type: ignore[arg-type]
    if _weak_signature_algorithm(chain):
        out.append(_cert_problem("tls.cert.weak_signature", cert, chain, asked, provider, now, common))  # type: ignore[arg-type]
    if not cert.server_auth_allowed:
        out.append(
            finding(
                "tls.cert.invalid",
                f"extendedKeyUsage: {', '.join(cert.ext_key_usage)}",
                provider=provider,
                verify_message="unsupported certificate purpose",
                meaning=(
                    "The certificate is not meant for TLS servers: its extendedKeyUsage does not include serverAuth."
                ),
                **common,
            )
        )
    return out


def _verified_cert_findings(
    outcome: TlsOutcome, cert: CertInfo, provider: str | None, now: _dt.datetime, common: dict[str, Any]
) -> list[Finding]:
    if cert.expiring_soon(now):
        return [_expiring(cert, outcome.server_hostname or "", provider, now, common)]
    return []


def _expiring(cert: CertInfo, asked: str, provider: str | None, now: _dt.datetime, common: dict[str, Any]) -> Finding:
    params = cert_params(cert, asked, now)
    return finding(
        "tls.cert.expiring_soon", f"notAfter: {format_date(cert.not_after)}", provider=provider, **params, **common
    )


# ---------------------------------------------------------------------------
# failures before any handshake


def starttls_unavailable_step(
    host: str,
    port: int,
    *,
    capabilities: list[str] | None = None,
    reply: tuple[int, str] | None = None,
    provider: str | None = None,
    required: bool = True,
    elapsed_ms: float = 0.0,
) -> Step:
    """The `tls` step when STARTTLS cannot start: not advertised in EHLO, or refused (454/5xx).

    Give `reply=(code, text)` when the server answered STARTTLS with an error,
    otherwise `capabilities` (the EHLO keywords) for the not-offered case.
    `required=False` makes a missing STARTTLS a warning (e.g. a relay used without AUTH).
    """
    common = {"host": host, "port": port}
    if reply is not None:
        code, text = reply
        reply_text = f"{code} {text}".strip()
        f = finding("tls.starttls_refused", reply_text, provider=provider, reply=reply_text, **common)
        step = Step(
            STEP,
            Status.FAIL,
            f"STARTTLS refused: {reply_text}",
            elapsed_ms,
            details={"mode": _MODE_TEXT["starttls"], "STARTTLS reply": reply_text},
        )
        step.add(f)
        return step
    caps = [c.split()[0].upper() for c in capabilities or [] if c.strip()]
    cap_text = ", ".join(caps) if caps else "no extensions at all"
    f = finding(
        "tls.not_offered",
        "EHLO keywords: " + cap_text,
        provider=provider,
        severity=None if required else "warn",
        capabilities=cap_text,
        **common,
    )
    step = Step(
        STEP,
        Status.FAIL if required else Status.WARN,
        "STARTTLS is not offered: the connection stays unencrypted",
        elapsed_ms,
        details={"mode": _MODE_TEXT["starttls"], "EHLO keywords": cap_text},
    )
    step.add(f)
    return step


def wrong_mode_step(
    host: str,
    port: int,
    *,
    evidence: str = "",
    outcome: TlsOutcome | None = None,
    provider: str | None = None,
    now: _dt.datetime | None = None,
    elapsed_ms: float = 0.0,
) -> Step:
    """The `tls` step when a plain-text/STARTTLS client met an implicit-TLS port (no greeting, or TLS bytes).

    Pass the `outcome` of `smtpkit.net.tls.detect_implicit_tls` when it proved the
    port speaks TLS: its version and certificate go into the details as proof.
    """
    now = as_utc(now)
    common = {"host": host, "port": port}
    details: dict[str, Any] = {"mode": "plain text / STARTTLS (the port expects implicit TLS)"}
    tables: dict[str, list[dict[str, Any]]] = {}
    ev = evidence
    if outcome is not None and outcome.version:
        details["TLS from the first byte"] = f"yes: a direct handshake gave {outcome.version}"
        leaf = Certificates.of(outcome).leaf
        if leaf is not None:
            details["certificate subject"] = leaf.subject
            tables["certificate"] = certificate_rows(leaf, now)
        ev = (ev + "; " if ev else "") + f"a TLS handshake right after connecting succeeded ({outcome.version})"
    f = finding("tls.wrong_mode_starttls_on_implicit", ev, provider=provider, **common)
    step = Step(
        STEP,
        Status.FAIL,
        f"Port {port} speaks implicit TLS: choose the security setting SSL/TLS (--security tls)",
        elapsed_ms,
        details=details,
        tables=tables,
    )
    step.add(f)
    return step
