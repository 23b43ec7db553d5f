"""Re-verifying a received message's ARC chain against hostile keys and fields (issue 14, item 2).

ARC is verified by dkimpy itself (`dkim.arc_verify`); before, its key lookups
handed any key to dkimpy's pure-Python RSA: one ARC set signed "by" a
32,768-bit key with a 16,384-bit exponent cost two and a half minutes.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator

import pytest

from smtpkit.checks.evidence.message import read_evidence, recheck
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver
from tests.support.keys import prime_like, record, rsa_spki

BH = base64.b64encode(hashlib.sha256(b"Hello.\r\n").digest()).decode()


@pytest.fixture(scope="module")
def resolver() -> Iterator[Resolver]:
    zone = ZoneSet(
        [
            Record("huge._domainkey.arc.test", "TXT", record(rsa_spki(prime_like(32768), (1 << 16383) + 1))),
            Record("oid._domainkey.arc.test", "TXT", "v=DKIM1; p=MA0wBQYDKgMEAwQAAQID"),
        ],
        zones=["arc.test"],
    )
    with DnsServer(zone) as server:
        yield Resolver([server.nameserver], timeout=1.0)


def arc_message(selector: str, b: bytes = b"\x01" * 512, extra: str = "") -> bytes:
    sig = base64.b64encode(b).decode()
    return (
        f"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=arc.test; s={selector};{extra} b={sig}\r\n"
        f"ARC-Message-Signature: i=1; a=rsa-sha256; c=simple/simple; d=arc.test; s={selector}; h=from;"
        f" bh={BH}; b={sig}\r\n"
        "ARC-Authentication-Results: i=1; mx.arc.test; spf=pass smtp.mailfrom=arc.test\r\n"
        "From: a@arc.test\r\nSubject: hi\r\n\r\nHello.\r\n"
    ).encode()


@pytest.mark.parametrize("selector", ["huge", "oid"])
def test_an_arc_set_signed_with_a_hostile_key_is_bounded(resolver: Resolver, selector: str) -> None:
    start = time.monotonic()
    rc = recheck(read_evidence(arc_message(selector)), resolver)
    assert time.monotonic() - start < 10  # before: 150 s for "huge"
    assert rc.arc == "fail"


@pytest.mark.parametrize(
    ("extra", "words"),
    [(" z=" + "a" * 9000 + ";", "ARC-Seal field is"), (" h=" + ":".join(["x"] * 300) + ";", "header names")],
    ids=["long-seal", "long-h"],
)
def test_oversized_arc_fields_are_not_handed_to_dkimpy(resolver: Resolver, extra: str, words: str) -> None:
    start = time.monotonic()
    rc = recheck(read_evidence(arc_message("huge", extra=extra)), resolver)
    assert time.monotonic() - start < 10
    assert rc.arc is None and words in rc.arc_detail
