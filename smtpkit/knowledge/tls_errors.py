"""TLS and socket errors in plain words: which finding they are, and what they mean.

Python's `ssl` module hands us OpenSSL's terse reason names
(`WRONG_VERSION_NUMBER`, `TLSV1_ALERT_PROTOCOL_VERSION`) and X.509 verify codes
(18 = self-signed, 62 = hostname mismatch). Users see exactly those strings in
their mail client's error dialog and have no idea what they mean. This module
is the table that maps them to a finding code, a sentence explaining the cause,
and advice; adding a known failure is adding one rule here and one test.

Pure: it takes an exception object *or* its text (so a message copied from a
log can be explained too) and never touches a socket.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl

from smtpkit.record import record

WRONG_MODE_IMPLICIT = "tls.wrong_mode_implicit_on_starttls"
WRONG_MODE_STARTTLS = "tls.wrong_mode_starttls_on_implicit"
HANDSHAKE_FAILED = "tls.handshake_failed"
HANDSHAKE_TIMEOUT = "tls.handshake_timeout"
PROTOCOL_OUTDATED = "tls.protocol_outdated"
CERT_INVALID = "tls.cert.invalid"


@record(frozen=True)
class Rule:
    """One known failure: the finding it becomes, what it means, and what to do."""

    code: str
    kind: str
    meaning: str
    advice: str = ""


@record(frozen=True)
class TlsError:
    """A classified TLS failure, ready to fill a finding template."""

    code: str
    kind: str
    reason: str
    message: str
    meaning: str
    advice: str
    verify_code: int | None = None
    verify_message: str | None = None

    @property
    def is_verify_error(self) -> bool:
        return self.kind == "verify"


_PLAINTEXT_MEANING = (
    "The bytes that came back were not TLS at all: the server sent readable text (normally its '220' SMTP "
    "greeting) where a TLS ServerHello belongs."
)
_STARTTLS_PLAINTEXT_MEANING = (
    "The server accepted STARTTLS but then kept talking in plain text instead of starting TLS. That is "
    "what a firewall's SMTP inspection (Cisco ASA/Firepower 'inspect esmtp', some antivirus mail shields) "
    "or a broken proxy does when it rewrites the conversation."
)
_STARTTLS_PLAINTEXT_ADVICE = (
    "Turn off SMTP inspection/'mail shield' on the firewall or antivirus between you and the server, or "
    "test from another network; use implicit TLS on port 465 if the server offers it (a middlebox cannot "
    "rewrite an encrypted session)."
)
_PROTOCOL_MEANING = (
    "The client and server have no TLS version in common. Modern clients (including this one by default) "
    "speak TLS 1.2 and 1.3 only; this is what OpenSSL says when the server offers only TLS 1.0/1.1 or SSL."
)
_CIPHER_MEANING = (
    "The server rejected every cipher suite, key-exchange group or signature algorithm we offered. Either "
    "it is configured with only outdated ciphers (RC4, 3DES, export suites) or it requires something "
    "unusual, such as only a few custom ciphers."
)
_CIPHER_ADVICE = (
    "If you run the server, restore its default cipher list (Postfix: remove custom smtpd_tls_ciphers/"
    "tls_high_cipherlist settings; Windows: re-enable the default TLS 1.2 ECDHE-AES-GCM suites). "
    "Check what it offers with `nmap --script ssl-enum-ciphers -p {port} <host>`."
)
_CLOSED_MEANING = (
    "The server closed the connection in the middle of the handshake without saying why. Servers do this "
    "when their own TLS setup is broken (certificate or key file unreadable, key does not match "
    "certificate), when they dislike something in our hello (SNI name, TLS version, ciphers), or when a "
    "firewall cuts TLS off."
)
_CLOSED_ADVICE = (
    "If you run the server, its log names the real error (Postfix: 'SSL_accept error' in "
    "/var/log/mail.log; check that the key matches the certificate and is readable by the service)."
)
_CLIENT_CERT_MEANING = (
    "The server asked for a client certificate (mutual TLS) and refused the handshake without a valid "
    "one. Some relays authenticate senders by certificate instead of a password."
)
_CLIENT_CERT_ADVICE = (
    "Ask the server's administrator whether it requires a client certificate, and configure your "
    "client with the certificate and key they issued; otherwise use the submission port (587) with "
    "password authentication."
)

_REASON_RULES: dict[str, Rule] = {}


def _add(reasons: str, rule: Rule) -> None:
    for reason in reasons.split():
        _REASON_RULES[reason] = rule


_add(
    "WRONG_VERSION_NUMBER HTTP_REQUEST HTTPS_PROXY_REQUEST UNKNOWN_PROTOCOL RECORD_LAYER_FAILURE "
    "PACKET_LENGTH_TOO_LONG RECORD_LENGTH_MISMATCH",
    Rule(WRONG_MODE_IMPLICIT, "wrong_mode", _PLAINTEXT_MEANING),
)
_add(
    "UNSUPPORTED_PROTOCOL TLSV1_ALERT_PROTOCOL_VERSION NO_PROTOCOLS_AVAILABLE VERSION_TOO_LOW "
    "UNSUPPORTED_SSL_VERSION WRONG_SSL_VERSION",
    Rule(PROTOCOL_OUTDATED, "protocol_version", _PROTOCOL_MEANING),
)
_add(
    "SSLV3_ALERT_HANDSHAKE_FAILURE NO_SHARED_CIPHER NO_CIPHERS_AVAILABLE TLSV1_ALERT_INSUFFICIENT_SECURITY "
    "NO_SUITABLE_SIGNATURE_ALGORITHM NO_SHARED_GROUPS NO_SUITABLE_KEY_SHARE WRONG_CIPHER_RETURNED",
    Rule(HANDSHAKE_FAILED, "no_shared_cipher", _CIPHER_MEANING, _CIPHER_ADVICE),
)
_add(
    "DH_KEY_TOO_SMALL",
    Rule(
        HANDSHAKE_FAILED,
        "weak_dh",
        "The server offered Diffie-Hellman parameters that are too small (1024 bits or less), which "
        "attackers can break (the 'Logjam' attack); OpenSSL refuses them.",
        "If you run the server, generate 2048-bit DH parameters (`openssl dhparam -out dh2048.pem 2048`; "
        "Postfix: smtpd_tls_dh1024_param_file = dh2048.pem) or prefer ECDHE ciphers.",
    ),
)
_add(
    "EE_KEY_TOO_SMALL CA_KEY_TOO_SMALL",
    Rule(
        "tls.cert.weak_key",
        "weak_key",
        "A key in the server's certificate chain is too small for OpenSSL's security level.",
    ),
)
_add(
    "CA_MD_TOO_WEAK",
    Rule("tls.cert.weak_signature", "weak_signature", "A certificate in the chain is signed with MD5 or SHA-1."),
)
_add(
    "TLSV1_ALERT_UNKNOWN_CA SSLV3_ALERT_BAD_CERTIFICATE SSLV3_ALERT_CERTIFICATE_UNKNOWN "
    "TLSV13_ALERT_CERTIFICATE_REQUIRED PEER_DID_NOT_RETURN_A_CERTIFICATE SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
    Rule(HANDSHAKE_FAILED, "client_certificate", _CLIENT_CERT_MEANING, _CLIENT_CERT_ADVICE),
)
_add(
    "TLSV1_UNRECOGNIZED_NAME TLSV1_ALERT_UNRECOGNIZED_NAME",
    Rule(
        HANDSHAKE_FAILED,
        "sni",
        "The server does not know the host name we sent in the TLS hello (SNI), so it has no certificate for "
        "it. Multi-domain servers pick the certificate by this name.",
        "Connect with the host name the server is configured for (often the name in its banner or its MX "
        "record), or add this name to the server's TLS configuration.",
    ),
)
_add(
    "TLSV1_ALERT_INTERNAL_ERROR",
    Rule(
        HANDSHAKE_FAILED,
        "server_error",
        "The server reported an internal error during the handshake: its own TLS setup is broken, most often "
        "a missing or unreadable certificate or private key.",
        _CLOSED_ADVICE,
    ),
)
_add(
    "UNSAFE_LEGACY_RENEGOTIATION_DISABLED",
    Rule(
        HANDSHAKE_FAILED,
        "legacy_renegotiation",
        "The server does not support secure renegotiation (RFC 5746, from 2010). OpenSSL 3 refuses such "
        "servers because the old renegotiation is exploitable; this is typical of old Exchange, IIS SMTP "
        "and appliance firmware.",
        "Update the server's TLS stack or firmware. As a stop-gap on a client you control, OpenSSL's "
        "'Options = UnsafeLegacyServerConnect' in openssl.cnf re-allows it (insecure: only on a trusted "
        "network).",
    ),
)
_add(
    "DECRYPTION_FAILED_OR_BAD_RECORD_MAC BAD_RECORD_MAC SSLV3_ALERT_BAD_RECORD_MAC TLSV1_ALERT_DECRYPT_ERROR "
    "TLSV1_ALERT_DECODE_ERROR SSLV3_ALERT_ILLEGAL_PARAMETER SSLV3_ALERT_UNEXPECTED_MESSAGE UNEXPECTED_MESSAGE "
    "BAD_KEY_SHARE BAD_EXTENSION",
    Rule(
        HANDSHAKE_FAILED,
        "corrupted",
        "A handshake message arrived damaged or out of order. A middlebox that rewrites traffic (SMTP "
        "inspection, a transparent proxy) or a buggy server TLS implementation causes this.",
        "Test from another network to rule out the middlebox; if you run the server, update its TLS library.",
    ),
)
_add(
    "UNEXPECTED_EOF_WHILE_READING EOF UNEXPECTED_EOF",
    Rule(HANDSHAKE_FAILED, "closed", _CLOSED_MEANING, _CLOSED_ADVICE),
)


# OpenSSL X509_V_ERR_* codes (include/openssl/x509_vfy.h), the ones servers actually trigger.
_UNTRUSTED = Rule(
    "tls.cert.untrusted_issuer",
    "verify",
    "No chain from the certificate to a trusted certificate authority could be built.",
)
_VERIFY_RULES: dict[int, Rule] = {
    2: _UNTRUSTED,  # UNABLE_TO_GET_ISSUER_CERT
    20: _UNTRUSTED,  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: _UNTRUSTED,  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
    19: Rule(  # SELF_SIGNED_CERT_IN_CHAIN
        "tls.cert.untrusted_issuer",
        "verify",
        "The chain ends in a root certificate the server sent itself and which is not in the trust store: a "
        "private CA.",
    ),
    27: _UNTRUSTED,  # CERT_UNTRUSTED
    18: Rule(
        "tls.cert.self_signed", "verify", "The certificate is signed by its own key."
    ),  # DEPTH_ZERO_SELF_SIGNED_CERT
    9: Rule("tls.cert.not_yet_valid", "verify", "The certificate's validity starts in the future."),
    10: Rule("tls.cert.expired", "verify", "The certificate's validity has ended."),
    62: Rule("tls.cert.hostname_mismatch", "verify", "The certificate does not name the host we asked for."),
    64: Rule("tls.cert.hostname_mismatch", "verify", "The certificate does not name the IP address we asked for."),
    66: Rule("tls.cert.weak_key", "verify", "The server certificate's key is too small."),
    67: Rule("tls.cert.weak_key", "verify", "A CA certificate's key in the chain is too small."),
    68: Rule("tls.cert.weak_signature", "verify", "A certificate in the chain is signed with a weak hash (MD5/SHA-1)."),
    7: Rule(
        CERT_INVALID,
        "verify",
        "A signature in the chain does not verify: the certificate was altered, or "
        "the server sends an intermediate that did not issue it.",
    ),
    4: Rule(CERT_INVALID, "verify", "A certificate's signature could not be decrypted with its issuer's key."),
    13: Rule(CERT_INVALID, "verify", "The certificate's notBefore date is malformed."),
    14: Rule(CERT_INVALID, "verify", "The certificate's notAfter date is malformed."),
    22: Rule(CERT_INVALID, "verify", "The chain is longer than the verifier allows."),
    23: Rule(CERT_INVALID, "verify", "The certificate has been revoked by its issuer."),
    24: Rule(
        CERT_INVALID,
        "verify",
        "A certificate used as a CA is not marked as one (basicConstraints CA:FALSE "
        "or missing), so it may not sign other certificates.",
    ),
    25: Rule(CERT_INVALID, "verify", "The chain is deeper than a CA's pathLenConstraint permits."),
    26: Rule(
        CERT_INVALID,
        "verify",
        "The certificate is not meant for TLS servers: its extendedKeyUsage does "
        "not include serverAuth (e.g. a client or e-mail signing certificate).",
    ),
    28: Rule(CERT_INVALID, "verify", "The trust store marks this root as rejected for this purpose."),
}

_SSL_REASON_RE = re.compile(r"\[SSL: ([A-Z0-9_]+)\]")
_VERIFY_IN_TEXT_RE = re.compile(r"certificate verify failed: (.+?)(?: \(_ssl\.c:\d+\))?$", re.I)
_UPPER_TOKEN_RE = re.compile(r"^[A-Z0-9_]+$")

# OpenSSL verify messages as Python shows them -> code, for classifying copied log text.
_VERIFY_TEXT = {
    "self-signed certificate": 18,
    "self signed certificate": 18,
    "self-signed certificate in certificate chain": 19,
    "self signed certificate in certificate chain": 19,
    "unable to get local issuer certificate": 20,
    "unable to get issuer certificate": 2,
    "unable to verify the first certificate": 21,
    "certificate has expired": 10,
    "certificate is not yet valid": 9,
    "hostname mismatch": 62,
    "ip address mismatch": 64,
    "ee key too small": 66,
    "ca key too small": 67,
    "ca md too weak": 68,
    "unsupported certificate purpose": 26,
    "unsuitable certificate purpose": 26,
    "ee certificate key too weak": 66,
    "ca certificate key too weak": 67,
    "certificate key too weak": 66,
    "ca signature digest algorithm too weak": 68,
    "certificate revoked": 23,
    "invalid ca certificate": 24,
    "certificate signature failure": 7,
}


def reason_of(error: BaseException | str) -> str:
    """OpenSSL's reason name for an ssl error or its text; errno names or 'timeout' for socket errors."""
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(error, ssl.SSLEOFError):
        return getattr(error, "reason", None) or "UNEXPECTED_EOF"
    if isinstance(error, ssl.SSLZeroReturnError):
        return "EOF"
    if isinstance(error, ssl.SSLError):
        reason = getattr(error, "reason", None)
        if reason:
            return str(reason)
        return reason_of(str(error))
    if isinstance(error, OSError):
        if error.errno is not None and error.errno in errno.errorcode:
            return errno.errorcode[error.errno]
        return type(error).__name__
    text = str(error).strip()
    m = _SSL_REASON_RE.search(text)
    if m:
        return m.group(1)
    if _UPPER_TOKEN_RE.match(text):
        return text
    lowered = text.lower()
    if "timed out" in lowered or lowered == "timeout":
        return "timeout"
    if "eof occurred" in lowered or "unexpected eof" in lowered:
        return "UNEXPECTED_EOF"
    token = re.sub(r"[^a-z0-9]+", "_", lowered).strip("_").upper()
    return token


def _verify_from(error: BaseException | str, verify_code: int | None) -> tuple[int | None, str | None]:
    message = None
    if isinstance(error, ssl.SSLCertVerificationError):
        verify_code = verify_code if verify_code is not None else getattr(error, "verify_code", None)
        message = getattr(error, "verify_message", None)
    text = str(error)
    if message is None:
        m = _VERIFY_IN_TEXT_RE.search(text)
        if m:
            message = m.group(1).strip()
    if verify_code is None and message:
        low = message.lower()
        for key in sorted(_VERIFY_TEXT, key=len, reverse=True):
            if low.startswith(key):
                verify_code = _VERIFY_TEXT[key]
                break
    return verify_code, message


def explain_tls_error(
    error: BaseException | str,
    verify_code: int | None = None,
    *,
    mode: str | None = None,
    port: int | None = None,
    verify_message: str | None = None,
    client_cert_requested: bool = False,
) -> TlsError:
    """Classify a handshake failure and say what it means.

    `mode` is how the client started TLS: "tls" (implicit, port 465 style) or
    "starttls". It matters for one case: 'wrong version number' means "you chose
    implicit TLS on a plain-text port" in implicit mode, but "something answered
    in plain text after STARTTLS" (a middlebox) in STARTTLS mode.
    `client_cert_requested` (the server sent a CertificateRequest) turns a bare
    'handshake failure' or hang-up into "the server wants a client certificate",
    which is what TLS 1.2 servers that require one say.
    """
    reason = reason_of(error)
    message = str(error) if not isinstance(error, str) else error
    code_v, msg_v = _verify_from(error, verify_code)
    verify_message = verify_message or msg_v
    is_verify = (
        isinstance(error, ssl.SSLCertVerificationError)
        or reason == "CERTIFICATE_VERIFY_FAILED"
        or "certificate verify failed" in message.lower()
        or verify_code is not None
    )
    if is_verify:
        rule = _VERIFY_RULES.get(code_v) if code_v is not None else None
        if rule is None:
            rule = Rule(CERT_INVALID, "verify", f"OpenSSL rejected the certificate: {verify_message or message}.")
        return TlsError(
            rule.code, "verify", "CERTIFICATE_VERIFY_FAILED", message, rule.meaning, rule.advice, code_v, verify_message
        )

    if reason == "timeout":
        return TlsError(
            HANDSHAKE_TIMEOUT,
            "timeout",
            reason,
            message or "timed out",
            "The server did not answer the TLS handshake in time.",
            "",
        )
    if isinstance(error, OSError) and not isinstance(error, ssl.SSLError):
        if client_cert_requested:
            return TlsError(
                HANDSHAKE_FAILED,
                "client_certificate",
                reason,
                message or reason,
                _CLIENT_CERT_MEANING,
                _CLIENT_CERT_ADVICE,
            )
        # ECONNRESET, EPIPE, ECONNABORTED: the peer (or a firewall) tore the connection down.
        return TlsError(HANDSHAKE_FAILED, "closed", reason, message or reason, _CLOSED_MEANING, _CLOSED_ADVICE)

    rule = _REASON_RULES.get(reason)
    if client_cert_requested and (rule is None or rule.kind in ("no_shared_cipher", "closed", "client_certificate")):
        return TlsError(
            HANDSHAKE_FAILED, "client_certificate", reason, message, _CLIENT_CERT_MEANING, _CLIENT_CERT_ADVICE
        )
    if rule is None:
        return TlsError(
            HANDSHAKE_FAILED,
            "handshake",
            reason or "unknown",
            message,
            f"OpenSSL stopped the handshake with '{humanize_reason(reason)}', a failure we have no specific "
            "explanation for.",
            "Search for the exact error text above together with your server software's name.",
        )
    if rule.code == WRONG_MODE_IMPLICIT and mode == "starttls":
        return TlsError(
            HANDSHAKE_FAILED,
            "plaintext_after_starttls",
            reason,
            message,
            _STARTTLS_PLAINTEXT_MEANING,
            _STARTTLS_PLAINTEXT_ADVICE,
        )
    advice = rule.advice.replace("{port}", str(port) if port else "<port>")
    return TlsError(rule.code, rule.kind, reason, message, rule.meaning, advice)


def classify_tls_error(
    error: BaseException | str,
    verify_code: int | None = None,
    *,
    mode: str | None = None,
    port: int | None = None,
) -> str:
    """The finding code for a TLS failure (an exception, its text, or an OpenSSL reason name)."""
    return explain_tls_error(error, verify_code, mode=mode, port=port).code


def looks_like_tls_record(data: bytes) -> bool:
    """True when `data` starts like a TLS record (handshake or alert), not like SMTP text.

    A server on an implicit-TLS port that receives plain text usually answers
    with a TLS alert record (0x15 0x03 ...), or nothing at all.
    """
    return len(data) >= 3 and data[0] in (0x14, 0x15, 0x16, 0x17) and data[1] == 0x03 and data[2] <= 0x04


def classify_greeting(data: bytes) -> str | None:
    """The finding code when a would-be SMTP greeting is really TLS bytes (implicit-TLS port)."""
    return WRONG_MODE_STARTTLS if looks_like_tls_record(data) else None


def humanize_reason(reason: str) -> str:
    """'TLSV1_ALERT_PROTOCOL_VERSION' -> 'tlsv1 alert protocol version' (how OpenSSL prints it)."""
    return reason.replace("_", " ").lower() if reason else "unknown error"
