"""A server that echoes what we logged in with, cut, split or case-changed (issue 14, item 11).

Real loopback servers (STARTTLS, then AUTH) answer the login with an echo of
it: the AUTH PLAIN blob minus its last characters (it decodes to
``\\0user\\0p@ss wor``), the blob in 4-character groups, the decoded credentials
upper-cased, the LOGIN password's base64 cut short, the XOAUTH2 token in
pieces. Before, each of these passed the redactor, which knew only the whole
forms. No view of the report (text with transcript, JSON, HTML, Markdown,
DataFrame) may show 5 characters of the password in any of those forms.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import pytest

from smtpkit import diagnose
from tests.support.leaks import leaks
from tests.support.peers import Peer, ScriptedSmtp, peer_cert

USER = "alice@example.test"
PASSWORD = "Echo-p@ss w0rd-Qx7"
TOKEN = "ya29.a0AfB_byCq81Zx7KpWv" + "x7Kq9" * 8  # random-looking, as real access tokens are


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _groups(text: str, n: int = 4, sep: str = " ") -> str:
    return sep.join(text[i : i + n] for i in range(0, len(text), n))


PLAIN = _b64(f"\0{USER}\0{PASSWORD}")
ECHOES: dict[str, Callable[[str], str]] = {
    "blob-minus-6": lambda line: f"535 5.7.8 bad credentials for {line.split()[-1][:-6]}",
    "blob-in-4-groups": lambda line: f"535 5.7.8 you sent {_groups(line.split()[-1])}",
    "blob-in-lines": lambda line: (
        "535-5.7.8 you sent\r\n"
        + "\r\n".join(f"535-5.7.8 {g}" for g in _groups(line.split()[-1], 8, "\n").split("\n"))
        + "\r\n535 5.7.8 end"
    ),
    "decoded-upper": lambda line: (
        "535 5.7.8 " + base64.b64decode(line.split()[-1]).decode().upper().replace("\0", "\\0") + " is not valid"
    ),
    "decoded-middle": lambda line: f"535 5.7.8 password fragment {PASSWORD[3:12]} refused",
    "blob-urlsafe-cut": lambda line: (
        "535 5.7.8 " + base64.urlsafe_b64encode(base64.b64decode(line.split()[-1])).decode()[3:-4]
    ),
}


def run(peer: ScriptedSmtp, **kwargs):  # type: ignore[no-untyped-def]
    with Peer(peer) as p:
        start = time.monotonic()
        report = diagnose("127.0.0.1", p.port, timeout=3.0, cafile=peer_cert().cert_file, username=USER, **kwargs)
        return report, time.monotonic() - start


def views(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "text": report.to_text(transcript=True),
        "json": report.to_json(),
        "html": report._repr_html_(),
        "markdown": report.to_markdown(),
        "frame": report.to_frame().to_string(),
    }


@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_an_echoed_auth_plain_login_leaks_nothing(echo: str) -> None:
    peer = ScriptedSmtp(
        ehlo=("peer.test", "AUTH PLAIN"), tls=peer_cert().server_context(), replies={"AUTH": ECHOES[echo]}
    )
    report, took = run(peer, password=PASSWORD, auth_mechanism="plain")
    assert took < 10 and report.step("auth").status.value == "fail"
    for name, text in views(report).items():
        assert not leaks(text, PASSWORD), (name, leaks(text, PASSWORD))


def test_an_echoed_auth_login_password_leaks_nothing() -> None:
    answers = [
        "334 VXNlcm5hbWU6",
        "334 UGFzc3dvcmQ6",
        lambda line: f"535 5.7.8 got {line[:-5]} and {_groups(line, 3)} and {base64.b64decode(line).decode().upper()}",
    ]
    peer = ScriptedSmtp(ehlo=("peer.test", "AUTH LOGIN"), tls=peer_cert().server_context(), replies={"AUTH": answers})
    report, _ = run(peer, password=PASSWORD, auth_mechanism="login")
    assert report.step("auth").status.value == "fail"
    for name, text in views(report).items():
        assert not leaks(text, PASSWORD), name


def test_an_echoed_xoauth2_token_leaks_nothing() -> None:
    def echo(line: str) -> str:
        blob = line.split()[-1]
        decoded = base64.b64decode(blob).decode()
        return f"535 5.7.8 {_groups(blob[5:-7], 4)} {decoded[10:40].upper()} {decoded[30:70]}"

    peer = ScriptedSmtp(ehlo=("peer.test", "AUTH XOAUTH2"), tls=peer_cert().server_context(), replies={"AUTH": echo})
    report, _ = run(peer, oauth_token=TOKEN)
    for name, text in views(report).items():
        assert not leaks(text, TOKEN), name
