"""Round-two hardening of the SMTP session engine, against hostile peers on loopback.

Each test names an attack that got through the first round: a server whose
XOAUTH2 error is JSON nested past the parser's stack, a host pasted as a URL
with the password in it, a server that hangs up after every command or never
answers the final dot. The diagnosis must end in findings, within its
deadline, without a traceback and without the password anywhere.
"""

from __future__ import annotations

import base64
import socket
import time

import pytest

from smtpkit import diagnose
from smtpkit.checks.ports import check_ports
from smtpkit.errors import InvalidSettings
from smtpkit.model import Status
from smtpkit.settings import Target, without_password
from tests.support.peers import Peer, ScriptedSmtp, hold, peer_cert, recv_line

PASSWORD = "Round2-Hostile-Pa55!"
TOKEN = "ya29.Round2-Token-Value-0123456789"
USER = "alice@example.test"


def tls_peer(**kw):  # type: ignore[no-untyped-def]
    return ScriptedSmtp(tls=peer_cert().server_context(), **kw)


def run(handler, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("timeout", 2.0)
    kwargs.setdefault("cafile", peer_cert().cert_file)
    with Peer(handler) as peer:
        start = time.monotonic()
        report = diagnose("127.0.0.1", peer.port, **kwargs)
        return report, peer, time.monotonic() - start


def every_view(report) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(
        [
            report.to_text(transcript=True),
            report.to_json(),
            report._repr_html_(),
            report.to_markdown(),
            report.to_frame().to_string(),
        ]
    )


def secret_forms() -> list[str]:
    return [
        PASSWORD,
        TOKEN,
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode(),
        base64.b64encode(f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01".encode()).decode(),
    ]


# -- XOAUTH2 error challenges ------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 1400,  # deeper than json's recursion limit: RecursionError, not ValueError
        b'{"a":' * 300,  # as deep as fits in one 2048-byte reply line
        b'{"status":"401","x":' + b"[" * 1500,  # issue 14: an object first, so it reached json.loads again later
        b'{"status":"401","x":' + b"[" * 700 + b"]" * 700 + b"}",  # ... and well-formed (fits in one line)
        b'{"status":"401","x":' + b'{"a":' * 250,
        b'{"status":"401","x":"' + b"[" * 1400 + b'"}',  # brackets inside a string are not nesting: decoded
        b'"just a string"',
        b"[1, 2, 3]",
        b'{"status": "401", "token": "' + TOKEN.encode() + b'"}',  # the server echoes our token back
    ],
    ids=[
        "nested-arrays",
        "nested-objects",
        "object-then-arrays",
        "object-then-arrays-closed",
        "object-then-objects",
        "brackets-in-a-string",
        "string",
        "array",
        "echoes-token",
    ],
)
def test_xoauth2_error_json_of_any_shape_is_a_finding(payload: bytes) -> None:
    challenge = "334 " + base64.b64encode(payload).decode()
    peer = tls_peer(
        ehlo=("peer.test", "AUTH XOAUTH2"),
        replies={"AUTH": [challenge, "535 5.7.8 Username and Password not accepted"]},
    )
    report, p, elapsed = run(peer, username=USER, oauth_token=TOKEN)
    assert report.step("auth").status is Status.FAIL
    assert "auth.oauth_token_invalid" in report.codes()
    assert b"" in p.received  # RFC 7628: the error challenge is answered with an empty line
    text = every_view(report)
    assert not [s for s in secret_forms() if s in text]
    assert elapsed < 5


# -- hang-ups and silence at every point ---------------------------------------------------------


@pytest.mark.parametrize("verb, stage", [("AUTH", "auth"), ("MAIL", "send"), ("RCPT", "send"), ("DATA", "send")])
def test_a_hangup_after_each_command_is_connection_lost_without_leaking(verb: str, stage: str) -> None:
    report, _p, elapsed = run(
        tls_peer(hangup_on=verb), username=USER, password=PASSWORD, mail_from=USER, rcpt_to="bob@example.org", send=True
    )
    lost = [f for f in report.findings if f.code == "smtp.connection_lost"]
    assert lost and lost[0].step == stage
    assert report.step(stage).status is Status.FAIL
    assert not [s for s in secret_forms() if s in every_view(report)]
    assert elapsed < 3


def _never_answers_the_dot(conn: socket.socket, peer: Peer) -> None:
    """Accepts the transaction, takes the whole message, then never says a word."""
    conn.sendall(b"220 peer.test ESMTP\r\n")
    buf = bytearray()
    while (line := recv_line(conn, buf)) is not None:
        peer.note(line)
        verb = line[:4].upper()
        if verb == b"EHLO":
            conn.sendall(b"250-peer.test\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go ahead\r\n")
            while (body := recv_line(conn, buf)) is not None:
                peer.note(body)
                if body == b".":
                    break
            hold(conn, peer)
            return
        else:
            conn.sendall(b"250 ok\r\n")


def test_a_server_that_never_answers_the_final_dot_is_bounded_by_the_deadline() -> None:
    # after the dot the client allows content filters 30 s; the 4 s session deadline must still win
    report, p, elapsed = run(
        _never_answers_the_dot,
        security="plain",
        timeout=1.0,
        deadline=4.0,
        mail_from=USER,
        rcpt_to="bob@example.org",
        send=True,
    )
    assert b"." in p.received
    assert report.step("send").status is Status.FAIL
    assert {"smtp.deadline_exceeded", "smtp.reply_timeout"} & set(report.codes())
    assert elapsed < 6


def test_starttls_ready_then_an_immediate_close_is_a_tls_failure() -> None:
    def handler(conn: socket.socket, p: Peer) -> None:
        conn.sendall(b"220 peer.test ESMTP\r\n")
        buf = bytearray()
        while (line := recv_line(conn, buf)) is not None:
            if line.upper().startswith(b"EHLO"):
                conn.sendall(b"250-peer.test\r\n250 STARTTLS\r\n")
            elif line.upper() == b"STARTTLS":
                conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
                conn.shutdown(socket.SHUT_RDWR)
                return

    report, _p, elapsed = run(handler, username=USER, password=PASSWORD)
    assert report.step("tls").status is Status.FAIL
    assert report.step("auth").status is Status.SKIP  # no credentials after a failed upgrade
    assert not [s for s in secret_forms() if s in every_view(report)]
    assert elapsed < 5


def test_nul_bytes_markup_and_8bit_in_ehlo_keywords_stay_text() -> None:
    peer = tls_peer(ehlo=("peer.test", "AUTH PLAIN <script>alert(1)</script>\x00", "X-ÿþ-8BIT", "SIZE <b>9</b>"))
    report, _p, _elapsed = run(peer, username=USER, password=PASSWORD)
    assert report.step("ehlo").status is Status.PASS
    html = report._repr_html_()
    assert "<script>" not in html and "<b>9</b>" not in html
    assert "&lt;script&gt;" in html
    assert "\x00" not in report.to_text(transcript=True)


# -- credentials pasted into the host ------------------------------------------------------------


URL_PASSWORD = "Url-Pa55word-in-host"


@pytest.mark.parametrize(
    "host",
    [
        f"smtp://alice:{URL_PASSWORD}@127.0.0.1:2525",
        f"smtps://alice:{URL_PASSWORD}@127.0.0.1",
        f"alice:{URL_PASSWORD}@127.0.0.1",
        f"ftp://alice:{URL_PASSWORD}@127.0.0.1",
        f"smtp://alice@example.test:{URL_PASSWORD}@127.0.0.1",  # an address as the user name
        f"smtp://alice:{URL_PASSWORD}/with@slash@127.0.0.1",
    ],
)
def test_a_password_in_the_host_url_never_reaches_the_report(host: str) -> None:
    messages = []
    for call in (
        lambda: diagnose(host, timeout=1.0),
        lambda: check_ports(host, [25], timeout=0.5),
        lambda: Target(host),
    ):
        with pytest.raises(InvalidSettings) as exc:
            call()
        assert exc.value.field == "host"
        messages.append(str(exc.value))
    assert len(set(messages)) == 1, messages  # one contract: the same refusal from every entry point
    assert "user name and password" in messages[0] and "<redacted>" in messages[0]
    for part in (URL_PASSWORD, "with@slash"):
        assert part not in messages[0]


def test_without_password_keeps_everything_but_the_password() -> None:
    assert without_password("smtp://u:p@h:25") == "smtp://u:<redacted>@h:25"
    assert without_password("u:p@h") == "u:<redacted>@h"
    assert without_password("me@example.com") == "me@example.com"  # an address, not credentials
    assert without_password("[::1]:25") == "[::1]:25"
    assert without_password("smtp.example.com:587") == "smtp.example.com:587"
