"""`smtpkit domain --selector` and `smtpkit dkim verify` against hostile keys and messages (issue 14).

Real commands (through `smtpkit.cli.main`) against a DNS server on loopback:
every outcome is a finding in exactly one JSON document, exit 1, quickly; never
a traceback and never a timeout that was not one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import dkim
import pytest

from smtpkit.cli import main
from smtpkit.dkim.keygen import generate
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from tests.support.keys import ec_spki, prime_like, record, rsa_spki

KEY = generate("keys.test", "good")
KEYS = {
    "oid": "v=DKIM1; p=MA0wBQYDKgMEAwQAAQID",
    "curve": record(ec_spki(bytes.fromhex("2a0304"))),
    "huge": record(rsa_spki(prime_like(32768), (1 << 16383) + 1)),
    "good": KEY.txt_value,
}


@pytest.fixture(scope="module")
def nameserver() -> Iterator[str]:
    zone = ZoneSet(
        [Record(f"{sel}._domainkey.keys.test", "TXT", text) for sel, text in KEYS.items()]
        + [Record("keys.test", "TXT", "v=spf1 -all"), Record("_dmarc.keys.test", "TXT", "v=DMARC1; p=reject")],
        zones=["keys.test"],
    )
    with DnsServer(zone) as server:
        yield server.nameserver


def run_json(capsys, argv: list[str]) -> tuple[int, dict, float]:  # type: ignore[no-untyped-def,type-arg]
    start = time.monotonic()
    code = main(argv)
    took = time.monotonic() - start
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, json.loads(out.out), took


@pytest.mark.parametrize("selector", ["oid", "curve", "huge"])
def test_domain_selector_with_a_hostile_key_is_key_invalid_at_once(capsys, nameserver: str, selector: str) -> None:  # type: ignore[no-untyped-def]
    argv = ["domain", "keys.test", "--selector", selector, "--nameserver", nameserver, "--json", "--timeout", "20"]
    code, doc, took = run_json(capsys, argv)
    codes = [f["code"] for f in doc["findings"]]
    assert code == 1 and "dkim.key_invalid" in codes and "dkim.key_lookup_failed" not in codes
    assert took < 10  # before: a 20 s "timeout"


def _message(selector: str, b: bytes) -> bytes:
    bh = base64.b64encode(hashlib.sha256(b"Hello.\r\n").digest()).decode()
    sig = base64.b64encode(b).decode()
    return (
        f"DKIM-Signature: v=1; a=rsa-sha256; d=keys.test; s={selector}; h=from:subject; bh={bh}; b={sig}\r\n"
        "From: a@keys.test\r\nSubject: hi\r\n\r\nHello.\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("message", "code_expected"),
    [
        (_message("oid", b"\x01" * 256), "dkim.key_invalid"),  # before: UnsupportedAlgorithm traceback
        (_message("curve", b"\x01" * 256), "dkim.key_invalid"),
        (_message("huge", b"\x01" * 256), "dkim.key_invalid"),  # before: ~32 s per signature
        (_message("good", b"\x01" * 4000), "dkim.signature_malformed"),  # b= longer than the modulus
        (_message("good", b"\x01" * 750_000), "dkim.signature_malformed"),  # the 1 MB b=
    ],
    ids=["oid", "curve", "huge", "long-b", "1mb-b"],
)
def test_dkim_verify_with_hostile_keys_and_signatures(  # type: ignore[no-untyped-def]
    capsys, tmp_path: Path, nameserver: str, message: bytes, code_expected: str
) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(message)
    code, doc, took = run_json(capsys, ["dkim", "verify", str(path), "--nameserver", nameserver, "--json"])
    assert code == 1 and code_expected in [f["code"] for f in doc["findings"]] and took < 10


def test_dkim_verify_with_a_from_of_nested_comments(capsys, tmp_path: Path, nameserver: str) -> None:  # type: ignore[no-untyped-def]
    """email.utils recursed on "((((…" and raised RecursionError: a traceback from a message."""
    message = b"From: " + b"(" * 5000 + b"a@keys.test\r\nSubject: hi\r\n\r\nHello.\r\n"
    signed = dkim.sign(message, b"good", b"keys.test", KEY.private_key, include_headers=[b"from", b"subject"])
    path = tmp_path / "m.eml"
    path.write_bytes(signed + message)
    code, doc, took = run_json(capsys, ["dkim", "verify", str(path), "--nameserver", nameserver, "--json"])
    assert code in (0, 1) and doc["steps"][0]["name"] == "dkim" and took < 10


# -- keygen: names and paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--domain", "a\nb.test", "--selector", "s1"],
        ["--domain", "x/../../trav.test", "--selector", "s1"],
        ["--domain", "x.test", "--selector", "../../trav"],
        ["--domain", "x.test", "--selector", "s\r\n1"],
        ["--domain", "x.test", "--selector", "s1", "--out", "MISSING/dir"],
    ],
    ids=["newline-domain", "traversal-domain", "traversal-selector", "crlf-selector", "missing-out"],
)
def test_keygen_refuses_names_and_folders_that_would_misplace_a_file(  # type: ignore[no-untyped-def]
    capsys, tmp_path: Path, monkeypatch, extra: list[str]
) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    argv = ["dkim", "keygen", "--ed25519", *extra, "--json"]
    if "--out" not in extra:
        argv += ["--out", "."]
    code = main(argv)
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert code == 2 and doc["exit_code"] == 2 and "Traceback" not in out.out + out.err
    assert "\n" not in doc["error"] and "\r" not in doc["error"]
    # nothing written anywhere under the test's folder
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert not (work / "MISSING").exists()
