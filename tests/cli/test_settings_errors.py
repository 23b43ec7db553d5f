"""Issue 14 items 9 (CLI part), 10, 12 and "Also": CLI values that passed the range checks, and echoed secrets.

Every command validates through the one set of validators of `smtpkit.settings`
(one for seconds, one for IP addresses, ...), so a value like ``1e308``, a scope
id, digits from another script or a CR/LF is a clean usage error everywhere:
exit 2, the message on stderr, and under ``--json`` exactly one JSON document.
A password typed where it does not belong never comes back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smtpkit.cli import main

SECRET = "hunter2-cli-settings"


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[str, dict[str, object]]:
    """Run `argv` without and with --json: exit 2 both times, nothing on stdout, then one JSON document."""
    code, out, err = run(capsys, argv)
    assert code == 2, (argv, out, err)
    assert out == "" and "error" in err and "Traceback" not in err
    code, out, err = run(capsys, [*argv, "--json"])
    assert code == 2
    doc = json.loads(out)  # exactly one document
    assert doc["exit_code"] == 2 and doc["error"]
    return err, doc


@pytest.fixture()
def message(tmp_path: Path) -> str:
    path = tmp_path / "m.eml"
    path.write_bytes(b"From: a@example.test\r\nTo: b@example.test\r\nSubject: x\r\n\r\nhello\r\n")
    return str(path)


# -- item 10: numbers and addresses that pass a naive range check ----------------------------------

HUGE = ["1e308", "inf", "nan", "1e400", "١٠", "１０"]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(
    "argv",
    [
        ["spf", "example.test", "--ip", "192.0.2.1", "--timeout"],
        ["domain", "example.test", "--timeout"],
        ["domain", "example.test", "--dns-timeout"],
        ["dnsbl", "192.0.2.1", "--timeout"],
        ["dnsbl", "192.0.2.1", "--dns-timeout"],
        ["check", "127.0.0.1", "--timeout"],
        ["check", "127.0.0.1", "--deadline"],
        ["ports", "127.0.0.1", "--timeout"],
    ],
    ids=lambda a: " ".join(a),
)
def test_seconds_are_validated_by_every_command(capsys, argv: list[str], value: str) -> None:  # type: ignore[no-untyped-def]
    err, doc = usage_error(capsys, [*argv, value])
    assert "seconds" in err or "digits" in err


@pytest.mark.parametrize("value", ["1e308", "nan"])
def test_seconds_of_the_message_commands(capsys, message: str, value: str) -> None:  # type: ignore[no-untyped-def]
    for argv in (["dkim", "verify", message, "--dns-timeout", value], ["message", message, "--dns-timeout", value]):
        err, doc = usage_error(capsys, argv)
        assert doc["field"] == "dns_timeout" and "--dns-timeout" in err


def test_report_seconds(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = str(tmp_path / "r.html")
    for argv in (
        ["report", "lab", "-o", out, "--timeout", "1e308"],
        ["report", "lab", "-o", out, "--cell-timeout", "inf"],
    ):
        code, stdout, err = run(capsys, argv)
        assert code == 2 and "out of range" in err and "Traceback" not in err
    assert not Path(out).exists()


@pytest.mark.parametrize("ip", ["fe80::1%lo", "[fe80::1%eth0]", "1.2.3.٤", "１.2.3.4", "::ffff:1.2.3.٤"])
@pytest.mark.parametrize(
    "argv",
    [["spf", "example.test", "--ip"], ["domain", "example.test", "--ip"], ["dnsbl"]],
    ids=lambda a: a[0],
)
def test_ip_addresses_are_validated_by_every_command(capsys, argv: list[str], ip: str) -> None:  # type: ignore[no-untyped-def]
    err, doc = usage_error(capsys, [*argv, ip])
    assert "scope id" in err or "0-9" in err


def test_the_lab_ip_and_a_check_port_too(capsys) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = run(capsys, ["lab", "--servers-only", "--ip", "fe80::1%lo"])
    assert code == 2 and "scope id" in err
    err, doc = usage_error(capsys, ["check", "127.0.0.1", "--port", "٥٨٧"])
    assert doc["field"] == "port" and "0-9" in err


# -- item 12: passwords echoed in usage errors -------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["check", f"me@example.com:{SECRET}@smtp.example.com"],
        ["ports", f"me@example.com:{SECRET}@smtp.example.com"],
        ["domain", f"me@example.com:{SECRET}@example.com"],
        ["check", f"smtp://me:{SECRET}@smtp.example.com:587"],
        ["ports", f"smtps://me@example.com:{SECRET}@smtp.example.com"],
        ["domain", f"https://me:{SECRET}@example.com/"],
        ["report", f"me@example.com:{SECRET}@smtp.example.com", "-o", "r.html"],
    ],
)
def test_a_password_in_the_host_is_never_repeated(capsys, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, argv)
    assert code == 2 and SECRET not in out + err and "<redacted>" in err
    if argv[0] != "report":  # (report has no --json)
        code, out, err = run(capsys, [*argv, "--json"])
        assert code == 2 and SECRET not in out + err and "<redacted>" in json.loads(out)["error"]


@pytest.mark.parametrize("command", [["check", "127.0.0.1"], ["ports", "127.0.0.1"], ["domain", "example.test"]])
@pytest.mark.parametrize(
    "typed",
    [
        [f"--pass={SECRET}"],
        ["--pass", SECRET],
        [f"--pw={SECRET}"],
        ["--passwd", SECRET],
        ["--passphrase", SECRET],
        [f"--secret={SECRET}"],
    ],
    ids=lambda t: t[0].split("=")[0],
)
def test_a_secret_looking_option_hides_its_value(capsys, command: list[str], typed: list[str]) -> None:  # type: ignore[no-untyped-def]
    for json_flag in ([], ["--json"]):
        code, out, err = run(capsys, [*command, *typed, *json_flag])
        assert code == 2
        assert SECRET not in out + err
        assert "<redacted>" in err


# -- "Also": CR/LF, lengths, an IP given as a domain --------------------------------------------------


@pytest.mark.parametrize(
    "argv, field",
    [
        (["spf", "example.test\r\nevil.test"], "domain"),
        (["spf", "example.test", "--sender", "a@example.test\r\nRCPT TO:<x@y.test>"], "sender"),
        (["spf", "example.test", "--helo", "mail.example.test\nQUIT"], "helo"),
        (["spf", "example.test", "--sender", "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "test"], "sender"),
        (["spf", "example.test", "--sender", "x" * 120_000 + "@example.test"], "sender"),
        (["spf", "example.test", "--helo", ("h" * 60 + ".") * 5 + "test"], "helo"),
        (["spf", "example.test", "--helo", "h" * 120_000], "helo"),
    ],
)
def test_spf_refuses_line_breaks_and_oversized_identities(capsys, argv: list[str], field: str) -> None:  # type: ignore[no-untyped-def]
    err, doc = usage_error(capsys, argv)
    assert doc["field"] == field
    line = err.strip()
    assert "\r" not in line and "\n" not in line  # the value is shown escaped, on one line
    assert len(line) < 800  # and cut, not repeated whole


def test_an_ip_address_is_not_a_domain(capsys) -> None:  # type: ignore[no-untyped-def]
    for argv in (["domain", "1.2.3.4"], ["domain", "2001:db8::1"], ["spf", "192.0.2.1"]):
        err, doc = usage_error(capsys, argv)
        assert "is an IP address, not a domain" in err and "--ip" in err and doc["field"] == "domain"
