"""Pure parts of the session engine, tested with plain values: no sockets here."""

from __future__ import annotations

import base64
import errno
import time

import pytest

from smtpkit.checks.ports import ModeProbe, PortResult, recommend
from smtpkit.checks.session.auth import choose_mechanism
from smtpkit.checks.session.network import did_you_mean
from smtpkit.checks.session.send import queue_id
from smtpkit.knowledge.codes.ehlo import describe_capability
from smtpkit.knowledge.socket_errors import (
    classify_greeting,
    classify_os_error,
    classify_socket_error,
    is_not_smtp,
    port_hint,
)
from smtpkit.net.connect import Deadline
from smtpkit.net.smtp import (
    MalformedReply,
    Reply,
    build_test_message,
    decode_challenge,
    parse_ehlo,
    parse_reply_line,
)
from smtpkit.octets import printable

# -- replies and EHLO --------------------------------------------------------------------


def test_parse_reply_line() -> None:
    assert parse_reply_line(b"250-mail.example.com Hello") == (250, False, "mail.example.com Hello")
    assert parse_reply_line(b"250 OK") == (250, True, "OK")
    assert parse_reply_line(b"354") == (354, True, "")
    for bad, words in ((b"SSH-2.0-OpenSSH", "three-digit"), (b"2500 x", "space or a hyphen"), (b"120 x", "200-599")):
        with pytest.raises(MalformedReply) as info:
            parse_reply_line(bad)
        assert words in info.value.problem


def test_reply_properties() -> None:
    r = Reply(535, ("5.7.8 Username and Password not accepted.", "5.7.8 Learn more"))
    assert r.enhanced == "5.7.8" and r.permanent and not r.ok
    assert r.wire() == "535-5.7.8 Username and Password not accepted.\n535 5.7.8 Learn more"


def test_parse_ehlo_capabilities() -> None:
    reply = Reply(
        250,
        (
            "mail.example.com Hello [192.0.2.1]",
            "SIZE 35882577",
            "8BITMIME",
            "AUTH LOGIN PLAIN",
            "AUTH=LOGIN XOAUTH2",
            "STARTTLS",
            "ENHANCEDSTATUSCODES",
            "PIPELINING",
            "SMTPUTF8",
            "CHUNKING",
        ),
    )
    caps = parse_ehlo(reply)
    assert caps.domain == "mail.example.com"
    assert caps.auth_mechanisms == ["LOGIN", "PLAIN", "XOAUTH2"]
    assert caps.starttls and caps.size == 35882577 and caps.has("smtputf8")
    assert "AUTH=" not in caps.names()
    assert parse_ehlo(Reply(250, ("x", "SIZE"))).size == 0
    assert parse_ehlo(Reply(250, ("x",))).size is None


def test_every_common_capability_is_explained() -> None:
    for kw in (
        "STARTTLS",
        "AUTH",
        "SIZE",
        "PIPELINING",
        "8BITMIME",
        "SMTPUTF8",
        "CHUNKING",
        "ENHANCEDSTATUSCODES",
        "DSN",
    ):
        what, why = describe_capability(kw)
        assert what and len(why) > 30, kw
    assert describe_capability("XFOO")[0] == "Vendor extension"


# -- knowledge: greetings and socket errors ----------------------------------------------------


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "ssh"),
        (b"HTTP/1.1 400 Bad Request\r\n", "http"),
        (bytes([0x16, 0x03, 0x01, 0x00, 0x2A]), "tls"),
        (bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]), "tls"),
        (b"+OK Dovecot ready.\r\n", "pop3"),
        (b"* OK [CAPABILITY IMAP4rev1] ready\r\n", "imap"),
        (bytes(range(0, 32)), "binary"),
        (b"hello there\r\n", "text"),
        (b"220 mail.example.com ESMTP\r\n", "smtp"),
    ],
)
def test_classify_greeting(data: bytes, kind: str) -> None:
    got = classify_greeting(data)
    assert got.kind == kind
    assert is_not_smtp(got) == (kind not in ("text", "smtp"))


def test_classify_socket_errors() -> None:
    assert classify_socket_error(ConnectionRefusedError(errno.ECONNREFUSED, "refused")).kind == "refused"
    assert classify_socket_error(TimeoutError("timed out")).kind == "timeout"
    assert classify_socket_error(OSError(errno.ENETUNREACH, "Network is unreachable")).kind == "unreachable"
    assert classify_socket_error(OSError(errno.EADDRNOTAVAIL, "x")).kind == "unreachable"
    assert classify_socket_error(ConnectionResetError(errno.ECONNRESET, "reset")).kind == "reset"
    assert "ISP" in port_hint(25) and "587" in port_hint(25)


def test_classify_the_facts_a_probe_recorded() -> None:
    """What the connect probe keeps (errno, timed out, class name, the system's words) is enough to classify."""
    assert classify_os_error(errno.ECONNREFUSED).kind == "refused"
    assert classify_os_error(None, exception="ConnectionRefusedError").kind == "refused"
    assert classify_os_error(None, timed_out=True).kind == "timeout"
    assert classify_os_error(errno.EHOSTUNREACH).kind == "unreachable"
    assert classify_os_error(None, exception="BrokenPipeError").kind == "reset"
    other = classify_os_error(errno.EMFILE, exception="OSError", message="Too many open files")
    assert (other.kind, other.words) == ("error", "OSError: Too many open files")


def test_a_connect_attempt_is_described_by_the_checks() -> None:
    from smtpkit.checks.session.network import attempt_problem, attempt_row
    from smtpkit.net.connect import ConnectAttempt

    refused = ConnectAttempt("192.0.2.1", 25, "IPv4", "failed", "Connection refused", errno.ECONNREFUSED)
    assert attempt_problem(refused).kind == "refused" and attempt_row(refused)["result"] == "refused"
    slow = ConnectAttempt("192.0.2.2", 25, "IPv4", "failed", "timed out", None, timed_out=True, waited=2.0)
    assert attempt_problem(slow).words == "no answer to the connection request within 2.0 s"
    late = ConnectAttempt("192.0.2.3", 25, "IPv4", "skipped")
    assert attempt_problem(late).kind == "skipped" and "time limit" in attempt_problem(late).words


def test_printable_escapes_control_bytes() -> None:
    assert printable(b"220 ok\r\n\x00\xff") == "220 ok\\r\\n\\x00\\x??"


# -- AUTH, send, misc ---------------------------------------------------------------------------


def test_choose_mechanism_prefers_what_protects_the_password() -> None:
    offered = ["LOGIN", "CRAM-MD5", "PLAIN", "XOAUTH2"]
    assert choose_mechanism(offered, oauth=False, encrypted=True) == "PLAIN"
    assert choose_mechanism(offered, oauth=False, encrypted=False) == "CRAM-MD5"
    assert choose_mechanism(offered, oauth=True, encrypted=True) == "XOAUTH2"
    assert choose_mechanism(["GSSAPI", "NTLM"], oauth=False, encrypted=True) is None
    assert choose_mechanism(["PLAIN"], oauth=True, encrypted=True) is None
    assert choose_mechanism(["PLAIN"], oauth=False, encrypted=True, forced="LOGIN") == "LOGIN"


def test_decode_challenge() -> None:
    assert decode_challenge(base64.b64encode(b"Username:").decode()) == b"Username:"
    assert decode_challenge("") == b""
    assert decode_challenge("%%% not base64") is None


def test_test_message_has_the_required_headers() -> None:
    raw, message_id = build_test_message("a@example.com", ["b@example.org"], "smtpkit-abc123", server="mx:587")
    text = raw.decode()
    for header in (
        "Date: ",
        f"Message-ID: {message_id}",
        "From: a@example.com",
        "To: b@example.org",
        "Subject: smtpkit test message smtpkit-abc123",
    ):
        assert header in text
    assert "\r\n" in text and all(len(line) <= 998 for line in text.split("\r\n"))


def test_international_addresses_stay_utf8_in_the_headers() -> None:
    raw, _ = build_test_message("a@example.test", ["jörg@bücher.example"], "smtpkit-abc123")
    assert "To: jörg@bücher.example" in raw.decode("utf-8")


def test_queue_id_extraction() -> None:
    assert queue_id(Reply(250, ("2.0.0 Ok: queued as 4XyZ12AbC",))) == "4XyZ12AbC"
    assert queue_id(Reply(250, ("OK id=1rABCD-000123-4x",))) == "1rABCD-000123-4x"
    assert queue_id(Reply(250, ("Ok",))) == ""


def test_did_you_mean_a_known_provider() -> None:
    assert "smtp.gmail.com" in did_you_mean("smtp.gmial.com")
    assert did_you_mean("mail.my-own-company.example") == ""


def test_deadline_is_never_later_than_its_parent() -> None:
    parent = Deadline(0.2)
    child = parent.child(10)
    assert child.remaining() <= 0.2
    assert parent.timeout(5.0) <= 0.2
    time.sleep(0.21)
    assert parent.expired and child.expired and child.timeout(1.0) == 0.0


def test_recommendation_prefers_working_tls_with_valid_certificate() -> None:
    def probe(port: int, mode: str, **kw: object) -> ModeProbe:
        p = ModeProbe(port=port, mode=mode, reached="ok")
        for k, v in kw.items():
            setattr(p, k, v)
        return p

    results = [
        PortResult(
            25,
            probe(25, "starttls", greeting="220 x", starttls_offered=False),
            probe(25, "tls", tls_error="wrong mode"),
        ),
        PortResult(
            587,
            probe(
                587,
                "starttls",
                greeting="220 x",
                starttls_offered=True,
                tls_version="TLSv1.3",
                cert_valid=True,
                auth_after_tls=["PLAIN"],
            ),
            probe(587, "tls", tls_error="wrong mode"),
        ),
        PortResult(2525, probe(2525, "starttls", reached="refused"), probe(2525, "tls", reached="refused")),
    ]
    rec = recommend("mail.example.com", results)
    assert rec["port"] == 587 and rec["security"] == "starttls"
    assert "valid" in rec["reason"] and "PLAIN" in rec["reason"]
    nothing = recommend("x", [results[2]])
    assert nothing["port"] is None and "blocked" in nothing["reason"] or "block" in nothing["reason"]
