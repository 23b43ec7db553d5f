"""A sending program's own errors, as each language and library prints them, are read for what happened and
for the server they name (`smtpkit.knowledge.client_errors`), and explained (`explain_client_error`)."""

from __future__ import annotations

import re

import pytest

from smtpkit.checks.explain import explain_client_error, explain_pasted
from smtpkit.knowledge.client_errors import read_client_error

# (what a program printed, the code, the server, the port): Python, Node.js/Nodemailer, Java Mail, .NET, PHP,
# curl, OpenSSL, as they print them
CASES = [
    ("TimeoutError: [Errno 110] Connection timed out", "client.timeout", "", None),
    ("Error: connect ETIMEDOUT 142.250.102.108:587", "client.timeout", "142.250.102.108", 587),
    (
        'Connection could not be established with host "smtp.office365.com:587": stream_socket_client(): '
        "Unable to connect to smtp.office365.com:587 (Connection timed out)",
        "client.timeout",
        "smtp.office365.com",
        587,
    ),
    (
        "System.Net.Mail.SmtpException: Failure sending mail. ---> System.Net.WebException: Unable to connect to "
        "the remote server ---> System.Net.Sockets.SocketException: A connection attempt failed because the "
        "connected party did not properly respond after a period of time, or established connection failed "
        "because connected host has failed to respond 40.99.1.2:25",
        "client.timeout",
        "40.99.1.2",
        25,
    ),
    (
        "javax.mail.MessagingException: Could not connect to SMTP host: smtp.gmail.com, port: 465;\n"
        "  nested exception is:\n\tjava.net.ConnectException: Connection refused (Connection refused)\n"
        "\tat com.sun.mail.smtp.SMTPTransport.openServer(SMTPTransport.java:2118)",
        "client.refused",
        "smtp.gmail.com",
        465,
    ),
    ("Error: connect ECONNREFUSED 127.0.0.1:1025", "client.refused", "127.0.0.1", 1025),
    ("ConnectionRefusedError: [Errno 111] Connection refused", "client.refused", "", None),
    ("OSError: [Errno 101] Network is unreachable", "client.unreachable", "", None),
    ("connect EHOSTUNREACH [2001:db8::25]:587", "client.unreachable", "2001:db8::25", 587),
    ("socket.gaierror: [Errno -2] Name or service not known", "client.unknown_host", "", None),
    ("Error: getaddrinfo ENOTFOUND smtp.gmial.com", "client.unknown_host", "smtp.gmial.com", None),
    ("java.net.UnknownHostException: smtp.offce365.com", "client.unknown_host", "smtp.offce365.com", None),
    ("curl: (6) Could not resolve host: mail.example.org", "client.unknown_host", "mail.example.org", None),
    ("socket.gaierror: [Errno -3] Temporary failure in name resolution", "client.no_dns", "", None),
    (
        "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
        "client.tls_wrong_version",
        "",
        None,
    ),
    (
        "javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection? host smtp.example.net port 587",
        "client.tls_wrong_version",
        "smtp.example.net",
        587,
    ),
    ("Error: Greeting never received", "client.no_greeting", "", None),
    (
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get "
        "local issuer certificate (_ssl.c:1006)",
        "client.tls_certificate",
        "",
        None,
    ),
    (
        "Error: Hostname/IP does not match certificate's altnames: Host: mail.example.com. is not in the cert's "
        "altnames: DNS:*.hosting.example",
        "client.tls_certificate",
        "mail.example.com",
        None,
    ),
    (
        "sun.security.validator.ValidatorException: PKIX path building failed: unable to find valid certification "
        "path to requested target",
        "client.tls_certificate",
        "",
        None,
    ),
    ("smtplib.SMTPServerDisconnected: Connection unexpectedly closed", "client.closed", "", None),
    ("Error: read ECONNRESET", "client.closed", "", None),
]


@pytest.mark.parametrize(("text", "code", "host", "port"), CASES, ids=[c[1] + "-" + c[0][:30] for c in CASES])
def test_what_a_program_printed_is_read_for_what_happened_and_where(
    text: str, code: str, host: str, port: int | None
) -> None:
    found = read_client_error(text)
    assert found is not None
    assert (found.code, found.host, found.port) == (code, host, port)
    report = explain_client_error(text)
    assert report is not None and report.codes() == [code]
    f = report.findings[0]
    assert "your program's own error" in f.explanation and found.words in f.explanation
    assert "(" not in f.title or "unknown)" not in f.title  # every template parameter given
    assert "unknown)" not in f.explanation + f.fix
    named = host or "HOST"
    assert f"`smtpkit ports {named}`" in f.fix or f"`smtpkit check {named}" in f.fix
    # a server the text does not name is no server called HOST: the title says "the server", and the command
    # says what HOST stands for
    assert not re.search(r"\bHOST\b", f.title + f.explanation)
    assert host or "(your server's name in place of HOST)" in f.fix
    # port 25 advice only where the port may be 25
    assert ("port 25" not in f.explanation + f.fix) or port in (None, 25), (port, f.explanation)


def test_a_traceback_names_the_server_on_another_line_than_the_error() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/app/send.py", line 12, in <module>\n'
        '    server = smtplib.SMTP_SSL("smtp.example.com", 465, timeout=10)\n'
        '  File "/usr/lib/python3.11/socket.py", line 851, in create_connection\n'
        "TimeoutError: timed out"
    )
    found = read_client_error(text)
    assert found is not None and found.code == "client.timeout" and found.line == "TimeoutError: timed out"
    assert found.host == "smtp.example.com"  # not "send.py" nor "socket.py"


def test_a_source_file_and_line_is_not_taken_for_a_server() -> None:
    found = read_client_error("at SMTPTransport.openServer(SMTPTransport.java:2118): Connection refused")
    assert found is not None and (found.host, found.port) == ("", None)


def test_the_findings_for_a_named_server_say_it_and_check_it_from_here() -> None:
    report = explain_client_error("Error: connect ECONNREFUSED 10.0.0.5:2525")
    assert report is not None
    f = report.findings[0]
    assert f.title == "10.0.0.5 port 2525 refused your program's connection: nothing listens there"
    assert "`smtpkit ports 10.0.0.5`" in f.fix
    assert report.steps[0].details["port"] == 2525


def test_a_provider_named_by_the_server_gets_its_own_fix() -> None:
    report = explain_client_error("ssl.SSLError: wrong version number, connecting to smtp.gmail.com:587")
    assert report is not None and report.codes() == ["client.tls_wrong_version"]
    assert "smtp.gmail.com port 587" in report.findings[0].title


@pytest.mark.parametrize(
    "text",
    ["my mail does not work", "550 is a number", "", "the server at smtp.example.com:587 said nothing useful"],
)
def test_text_without_a_program_error_is_not_read_as_one(text: str) -> None:
    assert read_client_error(text) is None
    assert explain_client_error(text) is None


def test_the_paste_box_explains_a_program_error_after_replies_and_bounces() -> None:
    report = explain_pasted("nodemailer says: Error: Greeting never received\n    at SMTPConnection._formatError")
    assert report.codes() == ["client.no_greeting"]
    # a quoted reply still wins: the server did reply
    said = explain_pasted("Sending failed: Connection timed out? no: the server said: 550 5.1.1 User unknown")
    assert "client.timeout" not in said.codes() and said.codes()


def test_a_huge_paste_is_read_within_limits() -> None:
    import time

    text = "x" * 900_000 + " ETIMEDOUT smtp.example.com:587"
    started = time.monotonic()
    found = read_client_error(text)
    assert found is not None and found.host == "smtp.example.com"
    assert time.monotonic() - started < 5
