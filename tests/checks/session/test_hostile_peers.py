"""The session against purpose-built hostile and broken servers on loopback.

Each peer reproduces one way a server (or something pretending to be one)
misbehaves; each test checks that the diagnosis names it, explains it, and
never waits longer than its timeouts and deadline allow.
"""

from __future__ import annotations

import base64
import socket
import time

import pytest

from smtpkit import diagnose
from smtpkit.model import Status
from tests.support.peers import (
    BINARY_NOISE,
    HTTP_REPLY,
    SSH_BANNER,
    TLS_ALERT,
    Peer,
    ScriptedSmtp,
    close_at_once,
    drip,
    endless_lines,
    implicit_tls,
    peer_cert,
    sends,
    silent,
)

PASSWORD = "Hostile-Peer-Pa55word!"


def run(handler, timed: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("timeout", 2.0)
    with Peer(handler) as peer:
        start = time.monotonic()
        report = diagnose("127.0.0.1", peer.port, **kwargs)
        elapsed = time.monotonic() - start
    return (report, peer, elapsed) if timed else report


def tls_peer(**kw):  # type: ignore[no-untyped-def]
    return ScriptedSmtp(tls=peer_cert().server_context(), **kw)


def secure(**kw):  # type: ignore[no-untyped-def]
    """diagnose() settings for a TLS peer, with credentials."""
    base = {"cafile": peer_cert().cert_file, "username": "alice", "password": PASSWORD}
    base.update(kw)
    return base


# -- banner ---------------------------------------------------------------------------------


def test_closed_before_greeting() -> None:
    report = run(close_at_once)
    assert report.codes() == ["connect.closed_before_greeting"]
    assert report.step("banner").status is Status.FAIL
    assert report.step("ehlo").status is Status.SKIP


def test_silent_port_times_out_and_is_probed_for_tls() -> None:
    report, _peer, elapsed = run(silent, timed=True, security="plain", timeout=1.0)
    assert report.codes() == ["banner.timeout"]
    assert "not an implicit-TLS port" in report.findings[0].explanation
    banner = report.step("banner")
    assert banner.details["implicit TLS probe"].startswith("no TLS handshake either (a second connection, tried for")
    # the step's time is the greeting's wait plus the probe's, and the summary says both
    assert banner.summary.startswith("no greeting within 1.0 s, nor a TLS handshake in ")
    # the handshake failed too: the fix must not send the reader to implicit TLS
    assert "implicit TLS" not in report.findings[0].fix and "timeout" in report.findings[0].fix
    assert elapsed < 2.8  # one timeout for the greeting, one short TLS probe (1 s); no QUIT wait


def test_a_greeting_dripped_one_byte_at_a_time_cannot_stretch_the_timeout() -> None:
    report, _peer, elapsed = run(drip(b"220 mail.example.test ESMTP slowly", 0.2), timed=True, timeout=1.0)
    assert report.codes() == ["banner.timeout"]
    assert "only" in report.findings[0].explanation and "bytes" in report.findings[0].explanation
    assert elapsed < 2.0  # the 34-byte greeting alone would take 6.8 s


def test_endless_slow_multiline_greeting_is_bounded_by_the_reply_deadline() -> None:
    report, _peer, elapsed = run(endless_lines(b"220-still greeting\r\n", 0.05), timed=True, timeout=1.0)
    assert report.codes() == ["banner.timeout"]
    assert elapsed < 2.0  # each line arrives well within the timeout: only the whole-reply limit stops it


def test_endless_fast_multiline_greeting_hits_the_line_count_cap() -> None:
    report = run(endless_lines(b"220-" + b"x" * 60 + b"\r\n"))
    assert report.codes() == ["smtp.reply_limit"]
    assert "more than 100 lines" in report.findings[0].explanation


def test_a_line_without_end_hits_the_line_length_cap() -> None:
    report = run(endless_lines(b"2" * 512, 0.0, prefix=b"220 "))
    assert report.codes() == ["smtp.reply_limit"]
    assert "2048" in report.findings[0].explanation


@pytest.mark.parametrize(
    "data, service",
    [(SSH_BANNER, "SSH"), (HTTP_REPLY, "HTTP"), (TLS_ALERT, "TLS"), (BINARY_NOISE, "an unknown binary protocol")],
    ids=["ssh", "http", "tls-bytes", "binary-noise"],
)
def test_a_port_that_is_not_smtp(data: bytes, service: str) -> None:
    report, _peer, elapsed = run(sends(data), timed=True, timeout=5.0)
    assert report.codes() == ["banner.not_smtp"]
    assert report.findings[0].title.endswith(service)
    assert elapsed < 2.5  # garbage is recognised at once, not after the 5 s timeout


def test_malformed_greeting() -> None:
    report = run(sends(b"2x0 hello\r\n"))
    assert report.codes() == ["smtp.malformed_reply"]
    assert "three-digit" in report.findings[0].explanation


def test_greeting_lines_with_different_codes_are_malformed() -> None:
    report = run(sends(b"220-mail.example.test\r\n250 ready\r\n"))
    assert report.codes() == ["smtp.malformed_reply"]
    assert "different codes" in report.findings[0].explanation


def test_banner_rejected_names_the_blocklist() -> None:
    text = "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org"
    report = run(ScriptedSmtp(greeting=text))
    assert "banner.rejected" in report.codes()
    assert "zen.spamhaus.org" in report.findings[0].evidence
    assert report.step("ehlo").summary.startswith("not run: the server refused")


def test_banner_tempfail() -> None:
    report = run(ScriptedSmtp(greeting="421 4.3.2 Service shutting down, closing transmission channel"))
    assert report.codes()[0] == "banner.tempfail"


def test_slow_greeting_warns() -> None:
    report = run(ScriptedSmtp(greet_delay=1.0, ehlo=("peer.test",)), timeout=2.0, security="plain")
    assert report.codes() == ["banner.slow"]
    assert report.verdict == "warn"


# -- deadlines ------------------------------------------------------------------------------


def test_a_server_that_answers_just_under_the_timeout_cannot_stretch_the_session() -> None:
    """Each reply takes 0.8 s (under the 1 s timeout); the 1.5 s session deadline still ends it."""
    peer = ScriptedSmtp(reply_delay=0.8, ehlo=("peer.test", "PIPELINING"))
    rcpts = [f"b{i}@example.test" for i in range(4)]
    report, _peer, elapsed = run(
        peer, timed=True, timeout=1.0, deadline=1.5, security="plain", mail_from="a@example.test", rcpt_to=rcpts
    )
    assert report.codes() == ["smtp.deadline_exceeded"]
    assert report.findings[0].step == "send"
    assert "for the whole session" in report.findings[0].title
    assert elapsed < 2.5  # EHLO, MAIL, 4 RCPT and RSET at 0.8 s each would take 5.6 s


def test_a_deadline_spent_early_skips_the_rest_and_says_why() -> None:
    report, _peer, elapsed = run(ScriptedSmtp(reply_delay=0.7), timed=True, timeout=1.0, deadline=0.5)
    assert report.codes() == ["smtp.deadline_exceeded"]
    assert report.step("ehlo").status is Status.FAIL
    assert report.step("auth").summary == "not run: the session's time limit was used up"
    assert elapsed < 1.4


def test_no_answer_to_a_command_is_a_reply_timeout() -> None:
    report = run(ScriptedSmtp(ignore="RCPT"), timeout=1.0, mail_from="a@example.test", rcpt_to="b@example.test")
    assert "smtp.reply_timeout" in report.codes()
    f = next(f for f in report.findings if f.code == "smtp.reply_timeout")
    assert "RCPT TO" in f.title and f.step == "send"


def test_hangup_mid_session_is_connection_lost() -> None:
    report = run(ScriptedSmtp(hangup_on="MAIL"), mail_from="a@example.test", rcpt_to="b@example.test")
    assert "smtp.connection_lost" in report.codes()


# -- EHLO -------------------------------------------------------------------------------------


def test_helo_fallback_when_ehlo_is_not_understood() -> None:
    report = run(ScriptedSmtp(replies={"EHLO": "502 5.5.2 Error: command not recognized"}))
    # without EHLO there is no STARTTLS either: auto continues unencrypted and says so
    assert report.codes() == ["ehlo.helo_fallback", "tls.not_offered"]
    assert report.step("ehlo").status is Status.WARN
    assert "HELO only" in report.step("ehlo").summary


def test_ehlo_rejected() -> None:
    report = run(
        ScriptedSmtp(replies={"EHLO": "550 5.7.1 <localhost>: Helo command rejected: need fully-qualified hostname"}),
        helo="mail.example.test",
    )
    assert "ehlo.rejected" in report.codes()
    assert "mail.example.test" in report.findings[0].explanation


def test_capabilities_table_explains_each_keyword() -> None:
    ehlo = (
        "peer.test",
        "SIZE 52428800",
        "PIPELINING",
        "8BITMIME",
        "SMTPUTF8",
        "CHUNKING",
        "ENHANCEDSTATUSCODES",
        "DSN",
    )
    report = run(ScriptedSmtp(ehlo=ehlo), security="plain")
    rows = {r["keyword"]: r for r in report.step("ehlo").tables["capabilities"]}
    assert set(rows) == {"SIZE", "PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "ENHANCEDSTATUSCODES", "DSN"}
    assert "52.4 MB" in rows["SIZE"]["parameters"] and "RFC 6531" in rows["SMTPUTF8"]["what"]


# -- TLS ----------------------------------------------------------------------------------------


def test_starttls_refused_with_454() -> None:
    peer = ScriptedSmtp(
        ehlo=("peer.test", "STARTTLS", "AUTH PLAIN"),
        replies={"STARTTLS": "454 4.7.0 TLS not available due to temporary reason"},
    )
    report = run(peer)
    assert "tls.starttls_refused" in report.codes()
    assert report.step("auth").status is Status.SKIP


def test_starttls_required_but_not_offered() -> None:
    report = run(ScriptedSmtp(ehlo=("peer.test", "AUTH PLAIN")), security="starttls")
    assert report.codes() == ["tls.not_offered"]


def test_auto_without_starttls_continues_but_refuses_plaintext_auth() -> None:
    report, peer, _ = run(
        ScriptedSmtp(ehlo=("peer.test", "AUTH PLAIN LOGIN")), timed=True, username="alice", password=PASSWORD
    )
    assert report.codes() == ["tls.not_offered", "auth.plaintext_refused"]
    assert report.step("tls").status is Status.WARN
    # only the credential-free probe "AUTH PLAIN" (cancelled with "*" if challenged) reached the server
    auth = [line.strip() for line in peer.received if line.upper().startswith(b"AUTH")]
    assert auth == [b"AUTH PLAIN"], auth
    blob = base64.b64encode(f"\0alice\0{PASSWORD}".encode())
    assert not any(blob in line or PASSWORD.encode() in line for line in peer.received)


def test_plaintext_bytes_after_starttls_ready_are_discarded_and_reported() -> None:
    peer = tls_peer(inject_after_starttls=b"250-injected by a man in the middle\r\n250 AUTH PLAIN\r\n")
    report = run(peer, **secure())
    assert "smtp.starttls_injection" in report.codes()
    assert report.step("auth").status is Status.PASS  # TLS went on cleanly after discarding
    assert any("discarded" in line.text for line in report.transcript_lines())


def test_starttls_client_on_an_implicit_tls_port() -> None:
    report = run(implicit_tls(ScriptedSmtp()), security="starttls", cafile=peer_cert().cert_file)
    # one mistake, one finding: no banner.timeout beside the wrong-mode lesson
    assert report.codes() == ["tls.wrong_mode_starttls_on_implicit"], report.codes()
    banner = report.step("banner")
    assert banner.status is Status.FAIL and "speaks TLS first" in banner.summary and not banner.findings
    assert "succeeded" in banner.details["implicit TLS probe"]
    assert [s.name for s in report.steps] == ["resolve", "connect", "banner", "ehlo", "tls", "auth", "send"]


def test_auto_switches_to_implicit_tls_on_a_silent_port_that_speaks_tls() -> None:
    report = run(implicit_tls(ScriptedSmtp(ehlo=("peer.test", "AUTH PLAIN"))), **secure())
    assert report.verdict == "pass", report.to_text()
    assert [s.name for s in report.steps] == ["resolve", "connect", "tls", "banner", "ehlo", "auth", "send"]
    assert "implicit TLS" in report.step("tls").details["security"]
    assert report.step("auth").status is Status.PASS


def test_implicit_tls_chosen_on_a_starttls_port() -> None:
    report = run(tls_peer(), security="tls", cafile=peer_cert().cert_file)
    assert "tls.wrong_mode_implicit_on_starttls" in report.codes()


def _bind_465() -> socket.socket | None:
    for last in range(20, 40):
        s = socket.socket()
        try:
            s.bind((f"127.0.4.{last}", 465))
            return s
        except OSError:
            s.close()
    return None


def test_auto_on_port_465_falls_back_to_starttls_when_it_greets_in_plain_text() -> None:
    sock = _bind_465()
    if sock is None:
        pytest.skip("cannot bind port 465 on a loopback address here (needs privileges)")
    host = sock.getsockname()[0]
    sock.close()
    peer = Peer(tls_peer(ehlo=("peer.test", "AUTH PLAIN")), host=host)
    peer.sock.close()
    peer.sock = socket.socket()
    peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    peer.sock.bind((host, 465))
    peer.port = 465
    with peer:
        report = diagnose(host, 465, timeout=2.0, **secure())
    assert report.verdict == "pass", report.to_text()
    assert any("continue with STARTTLS" in line.text for line in report.transcript_lines())


# -- AUTH ----------------------------------------------------------------------------------------


def test_auth_not_offered() -> None:
    report = run(tls_peer(ehlo=("peer.test", "PIPELINING")), **secure())
    assert report.codes()[-1] == "auth.not_offered"


def test_auth_mechanism_unsupported() -> None:
    report = run(tls_peer(ehlo=("peer.test", "AUTH GSSAPI NTLM")), **secure())
    assert "auth.mechanism_unsupported" in report.codes()
    assert "GSSAPI NTLM" in report.step("auth").summary


@pytest.mark.parametrize(
    "mech, replies",
    [
        ("LOGIN", ["334 %%% this is not base64 %%%", "501 5.7.0 Authentication cancelled"]),
        ("CRAM-MD5", ["334 ", "501 5.7.0 Authentication cancelled"]),
        ("PLAIN", ["334 c2VuZCBtZSBtb3Jl", "501 5.7.0 Authentication cancelled"]),
    ],
)
def test_malformed_auth_challenge_cancels_without_sending_the_password(mech: str, replies: list[str]) -> None:
    peer = tls_peer(ehlo=("peer.test", f"AUTH {mech}"), replies={"AUTH": replies})
    report, p, _ = run(peer, timed=True, **secure(auth_mechanism=mech))
    assert "auth.malformed_challenge" in report.codes()
    assert p.received[-2:] == [b"*", b"QUIT"] or b"*" in p.received
    if mech != "PLAIN":  # PLAIN's credentials travel in the first line, by design
        assert not any(base64.b64encode(PASSWORD.encode()) in line for line in p.received)


@pytest.mark.parametrize("mech", ["LOGIN", "CRAM-MD5"])
def test_login_and_cram_md5_exchanges(mech: str) -> None:
    replies = {
        "LOGIN": ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 Authentication successful"],
        "CRAM-MD5": [
            "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
            "235 2.7.0 Authentication successful",
        ],
    }[mech]
    report, p, _ = run(tls_peer(ehlo=("peer.test", f"AUTH {mech}"), replies={"AUTH": replies}), timed=True, **secure())
    assert report.step("auth").status is Status.PASS and mech in report.step("auth").summary
    text = report.to_text(transcript=True)
    assert PASSWORD not in text and base64.b64encode(PASSWORD.encode()).decode() not in text
    if mech == "CRAM-MD5":
        import hashlib
        import hmac

        challenge = base64.b64decode(replies[0][4:])
        digest = hmac.new(PASSWORD.encode(), challenge, hashlib.md5).hexdigest()
        assert base64.b64encode(f"alice {digest}".encode()) in p.received
        assert base64.b64encode(f"alice {digest}".encode()).decode() not in text


# -- send ----------------------------------------------------------------------------------------


def test_non_ascii_address_needs_smtputf8() -> None:
    report, peer, _ = run(
        ScriptedSmtp(), timed=True, security="plain", mail_from="a@example.test", rcpt_to="jörg@example.test"
    )
    assert report.codes() == ["ehlo.smtputf8_missing"]
    assert not any(line.startswith(b"MAIL") for line in peer.received)


def test_smtputf8_is_requested_when_offered() -> None:
    report, peer, _ = run(
        ScriptedSmtp(ehlo=("peer.test", "SMTPUTF8")),
        timed=True,
        security="plain",
        mail_from="a@example.test",
        rcpt_to="jörg@example.test",
    )
    assert report.step("send").status is Status.PASS
    assert any(line.startswith(b"MAIL FROM:<a@example.test> SMTPUTF8") for line in peer.received)
    assert "RCPT TO:<jörg@example.test>".encode() in peer.received


def test_international_message_is_sent_with_utf8_headers() -> None:
    peer = ScriptedSmtp(ehlo=("peer.test", "SMTPUTF8", "8BITMIME"))
    report = run(peer, security="plain", mail_from="a@example.test", rcpt_to="jörg@example.test", send=True)
    assert report.step("send").status is Status.PASS, report.to_text()
    assert "To: jörg@example.test".encode() in peer.messages[0]


def test_data_answered_with_250_instead_of_354_is_unexpected() -> None:
    report = run(
        ScriptedSmtp(replies={"DATA": "250 2.0.0 Ok"}),
        security="plain",
        mail_from="a@example.test",
        rcpt_to="b@example.test",
        send=True,
    )
    assert "smtp.unexpected_reply" in report.codes()
    assert "DATA" in report.findings[-1].title


def test_dry_run_sends_rset_and_no_message() -> None:
    report, peer, _ = run(
        ScriptedSmtp(), timed=True, security="plain", mail_from="a@example.test", rcpt_to="b@example.test"
    )
    assert report.step("send").status is Status.PASS and "dry run" in report.step("send").summary
    assert b"RSET" in peer.received and b"DATA" not in peer.received


def test_terminal_escape_sequences_from_the_server_are_neutralised() -> None:
    greeting = "220 mail.example.test \x1b[2J\x1b[31mALL CLEAR\x1b[0m \x07"
    report = run(
        ScriptedSmtp(greeting=greeting, replies={"EHLO": "550 5.7.1 \x1b]0;owned\x07 go away"}), security="plain"
    )
    text = report.to_text(transcript=True) + report.to_json() + report.to_html()
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[31mALL CLEAR" in report.step("banner").summary


@pytest.mark.parametrize(
    "mech, replies",
    [
        ("LOGIN", ["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "502 5.5.1 not implemented"]),  # 502 to the password line
        ("CRAM-MD5", ["334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+", "500 5.5.1 unrecognized"]),
    ],
)
def test_a_502_after_the_servers_own_prompts_is_a_refused_login_not_missing_auth(mech: str, replies: list[str]) -> None:
    """The server prompted for the credentials, so it has AUTH: a 500/502 there refuses the exchange."""
    report = run(tls_peer(ehlo=("peer.test", f"AUTH {mech}"), replies={"AUTH": replies}), **secure())
    assert "auth.not_offered" not in report.codes()
    assert "auth.rejected" in report.codes(), report.codes()
    f = next(f for f in report.findings if f.code == "auth.rejected")
    assert "refused the login" in f.explanation and replies[-1][:3] in f.explanation
    assert report.step("send").status is Status.SKIP


def test_a_502_to_the_auth_command_itself_still_means_no_auth() -> None:
    report = run(
        tls_peer(ehlo=("peer.test", "AUTH LOGIN"), replies={"AUTH": ["502 5.5.1 AUTH not implemented"]}), **secure()
    )
    assert "auth.not_offered" in report.codes(), report.codes()
