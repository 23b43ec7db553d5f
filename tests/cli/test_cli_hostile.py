"""Round-two hardening of the command line: --json, exit codes, secrets in errors, odd flag values.

Scripts read `smtpkit ... --json` from stdout, so every outcome, a refusal of
the arguments included, is exactly one JSON document there, with exit status
2 for bad arguments. A password typed where it does not belong is never
repeated back, not even in argparse's "unrecognized arguments" message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smtpkit.checks.ports import check_ports
from smtpkit.cli import main
from smtpkit.errors import InvalidSettings
from tests.support.peers import Peer, ScriptedSmtp, peer_cert

SECRET = "Cli-Hunter2-Secret"


def run(capsys, argv: list[str]) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--json"],  # no host
        ["check", "127.0.0.1", "--timeout", "nan", "--json"],
        ["check", "127.0.0.1", "--port", "0", "--json"],
        ["check", "127.0.0.1", "--cafile", "/nonexistent/ca.pem", "--json"],
        ["check", "127.0.0.1", "--nameserver", "127.0.0.1:99999", "--json"],
        ["check", "127.0.0.1", "--user", "a", "--password-env", "SMTPKIT_TEST_UNSET_VARIABLE", "--json"],
        ["check", "127.0.0.1", "--auth-mech", "gssapi", "--json"],  # argparse refuses the choice
        ["check", "127.0.0.1", "--port", "x", "--json"],  # argparse refuses the type
        ["ports", "127.0.0.1", "--ports", "1-70000", "--json"],
        ["explain", "not a reply", "--json"],
        ["explain", "\u0665\u0665\u0660 5.7.1 Relay access denied", "--json"],  # a reply code in Arabic-Indic digits
        ["domain", "a..b", "--json"],
        ["domain", "example.test", "--timeout", "0", "--json"],
        ["spf", "example.test", "--ip", "nope", "--json"],
        ["dkim", "verify", "/nonexistent.eml", "--json"],
        ["dkim", "keygen", "--domain", "x.test", "--selector", "../etc", "--json"],
        ["findings", "no.such.code", "--json"],
        ["findings", "--markdown", "--json"],
        ["no-such-command", "--json"],
    ],
)
def test_every_refusal_under_json_is_one_document_and_exit_2(capsys, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    os.environ.pop("SMTPKIT_TEST_UNSET_VARIABLE", None)
    code, out, err = run(capsys, argv)
    assert code == 2
    doc = json.loads(out)  # exactly one document: json.loads refuses trailing data
    assert doc["exit_code"] == 2 and doc["error"]
    assert "error" in err  # people at a terminal still read it on stderr
    assert "Traceback" not in out + err


def test_refusals_without_json_print_nothing_on_stdout(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, ["check", "127.0.0.1", "--port", "0"])
    assert code == 2 and out == "" and "port 0" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "127.0.0.1", "--passw", SECRET],
        ["check", "127.0.0.1", f"--pasword={SECRET}"],
        ["domain", "example.test", "--password", SECRET, "--json"],
        ["ports", "127.0.0.1", "--token", SECRET, "--json"],
        ["check", f"smtp://alice:{SECRET}@127.0.0.1", "--json"],
        ["domain", f"smtp://alice:{SECRET}@example.test", "--json"],
        ["ports", f"alice:{SECRET}@127.0.0.1", "--json"],
    ],
)
def test_a_password_typed_on_the_command_line_is_not_repeated(capsys, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, argv)
    assert code == 2
    assert SECRET not in out + err
    assert "<redacted>" in out + err


# -- ports and an unusable CA file ------------------------------------------------------------------


def test_an_unusable_ca_file_is_refused_not_blamed_on_the_server(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bogus = tmp_path / "ca.pem"
    bogus.write_text("this is not a certificate\n")
    with Peer(ScriptedSmtp(tls=peer_cert().server_context())) as peer:
        # refused before any probe: otherwise every TLS probe fails on our side and the matrix
        # recommends "no encryption" for a server whose TLS is fine
        with pytest.raises(InvalidSettings, match="no usable PEM certificate") as exc:
            check_ports("127.0.0.1", [peer.port], timeout=2.0, cafile=str(bogus))
        assert exc.value.field == "cafile"
        code, out, err = run(
            capsys, ["ports", "127.0.0.1", "--ports", str(peer.port), "--cafile", str(bogus), "--json"]
        )
        assert code == 2 and "no usable PEM certificate" in json.loads(out)["error"]
        assert "no encryption" not in out + err
        good = check_ports("127.0.0.1", [peer.port], timeout=2.0, cafile=peer_cert().cert_file)
        assert good.recommendation["security"] == "starttls"


# -- keygen --out ------------------------------------------------------------------------------------


def test_keygen_out_pointing_at_a_file_says_so(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    code, out, err = run(
        capsys, ["dkim", "keygen", "--domain", "x.test", "--selector", "s1", "--out", str(target), "--ed25519"]
    )
    assert code == 2 and "is a file, not a directory" in err and "already exists" not in err
    assert target.read_text() == "mine\n"


def test_keygen_never_overwrites_and_refuses_in_json(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    argv = ["dkim", "keygen", "--domain", "x.test", "--selector", "s1", "--out", str(tmp_path), "--ed25519", "--json"]
    code, out, _err = run(capsys, argv)
    assert code == 0
    first = json.loads(out)
    key_file = Path(first["private_key_file"])
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    before = key_file.read_bytes()
    code, out, _err = run(capsys, argv)
    assert code == 2 and "already exists" in json.loads(out)["error"]
    assert key_file.read_bytes() == before


def test_explain_reads_a_bounded_amount_of_standard_input(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`yes 550 | smtpkit explain -` must be refused, not read until memory runs out."""
    import io

    class Endless(io.TextIOBase):
        def read(self, size: int | None = -1) -> str:
            assert size is not None and size > 0, "stdin must be read with a limit"
            return "5" * size

    monkeypatch.setattr("sys.stdin", Endless())
    code, out, err = run(capsys, ["explain", "-", "--json"])
    assert code == 2 and "more than 64 KB" in json.loads(out)["error"]
    monkeypatch.setattr("sys.stdin", io.StringIO("550 5.1.1 <bob@example.org>: Recipient address rejected\n"))
    code, out, _err = run(capsys, ["explain", "-", "--json"])
    assert code == 1 and json.loads(out)["findings"][0]["code"] == "send.recipient_unknown"


@pytest.mark.parametrize(
    "payload",
    [b"[" * 1000, b'{"status":"401","x":' + b"[" * 1500, b'{"status":"401","x":' + b'{"a":' * 900],
    ids=["arrays", "object-then-arrays", "object-then-objects"],
)
def test_explain_an_xoauth2_challenge_nested_past_the_parser_stack(capsys, payload: bytes) -> None:  # type: ignore[no-untyped-def]
    """Before: RecursionError out of `smtpkit explain --stage auth "334 <base64 of [×1000>"`."""
    import base64

    reply = "334 " + base64.b64encode(payload).decode()
    code, out, err = run(capsys, ["explain", "--stage", "auth", reply, "--json"])
    assert code in (0, 1) and "Traceback" not in out + err
    assert json.loads(out)["steps"][0]["name"] == "explain"
