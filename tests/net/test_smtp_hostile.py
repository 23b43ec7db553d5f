"""The SMTP probe's parsing of what a server sends, over a real loopback connection (issue 14, items 5 and 8)."""

from __future__ import annotations

import socket
import time

import pytest

from smtpkit.model import Transcript
from smtpkit.net.connect import Deadline
from smtpkit.net.smtp import (
    IMPLEMENTED_MECHANISMS,
    MAX_AUTH_MECHANISMS,
    Capabilities,
    SmtpConnection,
    parse_ehlo,
)
from tests.support.peers import Peer, ScriptedSmtp, flood_lines


def converse(handler: ScriptedSmtp, command: str):  # type: ignore[no-untyped-def]
    """The greeting and the reply to `command`, read by the probe from a real server."""
    with Peer(handler) as peer:
        sock = socket.create_connection(("127.0.0.1", peer.port), timeout=5)
        conn = SmtpConnection(sock, Transcript(), Deadline(10), 5.0)
        try:
            greeting = conn.read_reply()
            return greeting, conn.command(command)
        finally:
            conn.close()


def test_an_ehlo_flood_is_parsed_once_in_linear_time() -> None:
    _, reply = converse(ScriptedSmtp(ehlo=["peer.test", *flood_lines(), "AUTH XOAUTH2 PLAIN"]), "EHLO client.test")
    start = time.monotonic()
    caps = parse_ehlo(reply)
    for _ in range(100):  # every later access is free: the list is not rebuilt
        mechs = caps.auth_mechanisms
    assert time.monotonic() - start < 2
    assert caps.auth_offered > 28_000 and caps.flooded
    assert mechs[:MAX_AUTH_MECHANISMS] == [f"M{i:05d}" for i in range(MAX_AUTH_MECHANISMS)]
    assert mechs[-2:] == ["XOAUTH2", "PLAIN"] and len(mechs) == MAX_AUTH_MECHANISMS + 2


def test_capabilities_built_by_hand_read_their_mechanisms_once_too() -> None:
    caps = Capabilities(keywords={"AUTH": " ".join(f"m{i}" for i in range(50_000)) + " login"})
    start = time.monotonic()
    assert "LOGIN" in caps.auth_mechanisms and caps.auth_offered == 50_001
    assert time.monotonic() - start < 2
    assert set(IMPLEMENTED_MECHANISMS) >= {"PLAIN", "LOGIN"}


def test_a_real_ehlo_is_read_as_before() -> None:
    _, reply = converse(ScriptedSmtp(ehlo=["peer.test", "AUTH PLAIN LOGIN", "AUTH=LOGIN", "SIZE 1000"]), "EHLO c.test")
    caps = parse_ehlo(reply)
    assert caps.auth_mechanisms == ["PLAIN", "LOGIN"] and caps.auth_offered == 2 and not caps.flooded


@pytest.mark.parametrize(
    ("text", "enhanced"),
    [
        ("550 \u0665.\u0667.\u0661 Relay access denied", None),  # Arabic-Indic digits are not an enhanced code
        ("550 5.\uff17.1 Relay access denied", None),  # nor fullwidth ones
        ("550 5.7.1 Relay access denied", "5.7.1"),
    ],
)
def test_an_enhanced_code_is_ascii_digits_only(text: str, enhanced: str | None) -> None:
    greeting, reply = converse(ScriptedSmtp(replies={"MAIL": text}), "MAIL FROM:<a@example.test>")
    assert greeting.code == 220 and reply.code == 550 and reply.enhanced == enhanced
