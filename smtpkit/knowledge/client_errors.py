"""Pure reading of an error a sending program printed before any server replied: a timeout, a refusal, an
unknown host, a TLS mismatch, a certificate it did not trust.

Half of what people paste into "explain this error" is not an SMTP reply at all: it is their program's own
words, from a log or a dialog ("TimeoutError: [Errno 110] Connection timed out", "connect ECONNREFUSED
10.0.0.5:587", "ssl3_get_record:wrong version number", "PKIX path building failed"). No mail server said
them, so no reply code is in them, and the rules table of replies has nothing to say. Each language and
library words them its own way (Python, Node.js and Nodemailer, Java Mail, .NET, PHP, curl, OpenSSL); the
patterns below are those words, grouped by what happened, each group a finding code of `codes/client.py`.

The server and port are read from the text when it names them ("smtp.example.com:587", "host:
smtp.example.com, port: 587"); a source file and line ("SMTPTransport.java:2118") is not taken for one.
"""

from __future__ import annotations

import re

from smtpkit.record import record

__all__ = ["ClientError", "read_client_error"]


@record(frozen=True)
class ClientError:
    """What a pasted program error says happened: its finding `code`, the `words` that say so (as pasted), the
    `line` they are on, and the server and port when the text names them."""

    code: str
    words: str
    line: str
    host: str = ""
    port: int | None = None


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


#: Finding code -> what programs print for it. The order matters: the first group whose words are in the
#: text wins, so the more telling comes first (a TLS or certificate error often ends in "connection closed";
#: Nodemailer's "Greeting never received" is its timeout while waiting for a greeting).
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    (
        "client.tls_wrong_version",
        _any(
            r"wrong[ _]version[ _]number",
            r"unknown protocol",
            r"Unrecognized SSL message,? plaintext connection",
            r"unexpected packet format",
            r"packet length too long",
        ),
    ),
    (
        "client.tls_certificate",
        _any(
            r"certificate[ _]verify[ _]failed",
            r"unable to (?:get local issuer|verify the first) certificate",
            r"self[- ]signed certificate",
            r"certificate has expired|CERT_HAS_EXPIRED|certificate expired",
            r"PKIX path building failed|unable to find valid certification path",
            r"remote certificate is invalid",
            r"UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN",
            r"ERR_TLS_CERT_ALTNAME_INVALID|Hostname/IP does not match certificate|hostname mismatch",
            r"doesn't match (?:either of )?'?[\w*.-]+'?|No subject alternative DNS name matching",
        ),
    ),
    ("client.no_greeting", _any(r"Greeting never received")),
    (
        "client.no_dns",
        _any(r"Temporary failure in name resolution", r"EAI_AGAIN", r"\[Errno -3\]", r"\b11002\b"),
    ),
    (
        "client.unknown_host",
        _any(
            r"Name or service not known",
            r"nodename nor servname provided",
            r"ENOTFOUND",
            r"No such host is known",
            r"UnknownHostException",
            r"Name does not resolve",
            r"getaddrinfo failed",
            r"Could not resolve host",
            r"php_network_getaddresses",
            r"\[Errno -2\]",
        ),
    ),
    (
        "client.refused",
        _any(
            r"Connection refused",
            r"ECONNREFUSED",
            r"actively refused",
            r"\[Errno 111\]",
            r"\b10061\b",
        ),
    ),
    (
        "client.unreachable",
        _any(
            r"Network is unreachable",
            r"No route to host",
            r"ENETUNREACH|EHOSTUNREACH",
            r"\[Errno 101\]|\[Errno 113\]",
            r"network location cannot be reached",
        ),
    ),
    (
        "client.timeout",
        _any(
            r"timed out",
            r"ETIMEDOUT|ESOCKETTIMEDOUT",
            r"Connection timeout",
            r"did not properly respond after a period of time",
            r"\[Errno 110\]",
            r"\b10060\b",
            r"operation has timed out",
            r"connect timeout",
        ),
    ),
    (
        "client.closed",
        _any(
            r"Connection unexpectedly closed",
            r"SMTPServerDisconnected",
            r"ECONNRESET",
            r"Connection reset by peer",
            r"Connection closed by (?:remote|foreign) host",
            r"EOF occurred in violation of protocol",
            r"Unexpected socket close",
            r"connection was forcibly closed",
            r"Broken pipe|EPIPE",
        ),
    ),
]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_NAME = rf"{_LABEL}(?:\.{_LABEL})+"
_IPV6 = r"\[[0-9A-Fa-f:.]+\]"
#: "smtp.example.com:587", "10.0.0.5:587", "[2001:db8::1]:587", "smtp.example.com, port: 587", "smtp.example.com
#: port 587", and in code: SMTP("smtp.example.com", 587).
_HOST_PORT = re.compile(
    rf"(?<![\w.@/-])({_NAME}|{_IPV6})(?::|[\"'],\s*|,\s*port:?\s*|\s+port\s+)(\d{{1,5}})\b", re.IGNORECASE
)
#: A server named without its port; not a name followed by more of an identifier or a call ("smtplib.SMTP_SSL(").
_HOST = re.compile(
    rf"(?:\bhost(?:name)?|\bserver|ENOTFOUND|EAI_AGAIN|UnknownHostException:|Could not resolve host:|\bto)"
    rf"[\s:=\"']+({_NAME}|{_IPV6})(?![\w(-])",
    re.IGNORECASE,
)
_PORT = re.compile(r"\bport[\s:=\"']+(\d{1,5})\b", re.IGNORECASE)
#: The last label of a source file, not of a host ("smtplib.py:341", "SMTPTransport.java:2118").
_SOURCE_FILES = {
    "py", "pyc", "java", "class", "js", "mjs", "cjs", "ts", "cs", "vb", "php", "rb", "go", "kt", "scala",
    "c", "h", "cc", "cpp", "hpp", "pl", "pm", "rs", "swift", "lua", "dll", "exe", "jar", "so", "ex", "exs",
}  # fmt: skip


def _is_host(name: str) -> bool:
    last = name.rstrip("]").rsplit(".", 1)[-1].lower()
    return name.startswith("[") or (last not in _SOURCE_FILES and not last.isdigit()) or _dotted_quad(name)


def _dotted_quad(name: str) -> bool:
    parts = name.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def _server(text: str) -> tuple[str, int | None]:
    """The server and port `text` names, as far as it names them."""
    for m in _HOST_PORT.finditer(text):
        host, port = m.group(1), int(m.group(2))
        if _is_host(host) and 0 < port < 65536:
            return host.strip("[]"), port
    host = next((m.group(1) for m in _HOST.finditer(text) if _is_host(m.group(1))), "")
    ports = [int(m.group(1)) for m in _PORT.finditer(text) if 0 < int(m.group(1)) < 65536]
    return host.strip("[]"), ports[0] if ports else None


def read_client_error(text: str) -> ClientError | None:
    """What `text` (a program's error, a log's lines, a traceback) says went wrong before any server replied,
    or None when it holds none of the words programs print for that."""
    for code, pattern in _KINDS:
        # the longest of its words quoted ("Name or service not known", not the "[Errno -2]" before it)
        m = max(pattern.finditer(text), key=lambda found: len(found.group(0)), default=None)
        if m is None:
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        line = text[start : end if end >= 0 else len(text)].strip()
        host, port = _server(line)
        if not host or port is None:  # a traceback names the server on another line than the error
            other_host, other_port = _server(text)
            host, port = host or other_host, port if port is not None else other_port
        return ClientError(code, m.group(0), line[:500], host, port)
    return None
