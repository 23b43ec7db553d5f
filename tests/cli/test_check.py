"""`smtpkit check` end to end against the practice lab: exit codes, text, JSON, and no secret in any output."""

from __future__ import annotations

import base64
import json
import re

import pytest

from smtpkit.cli import main

ENV = "SMTPKIT_TEST_LAB_PASSWORD"


@pytest.fixture()
def lab_env(lab, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv(ENV, lab.password.reveal())
    return lab


def _base(lab, name: str = "submission") -> list[str]:  # type: ignore[no-untyped-def]
    return ["check", "127.0.0.1", "--port", str(lab.endpoint(name).port), "--cafile", lab.ca_file, "--timeout", "3"]


def _leaks(lab, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    pw = lab.password.reveal()
    forms = [pw, base64.b64encode(pw.encode()).decode(), base64.b64encode(f"\0{lab.user}\0{pw}".encode()).decode()]
    return [f for f in forms if f in text]


def test_check_passes_end_to_end_with_a_real_send(lab_env, capsys) -> None:
    lab = lab_env
    argv = _base(lab) + [
        "--user",
        lab.user,
        "--password-env",
        ENV,
        "--mail-from",
        lab.user,
        "--rcpt-to",
        f"bob@{lab.domain}",
        "--send",
        "-v",
    ]
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, out.out
    assert "verdict PASS" in out.out
    for step in ("resolve", "connect", "banner", "ehlo", "tls", "auth", "send"):
        assert f"\n{step} " in out.out
    assert "AUTH PLAIN <redacted>" in out.out  # -v prints the transcript
    token = re.search(r"Subject: smtpkit test message (smtpkit-[0-9a-f]+)", out.out).group(1)
    assert any(token in m.subject for m in lab.messages("submission"))
    assert not _leaks(lab, out.out + out.err)


def test_check_json_is_one_document_without_the_password(lab_env, capsys) -> None:
    lab = lab_env
    code = main(_base(lab, "gmail_bad_credentials") + ["--user", lab.user, "--password-env", ENV, "--json"])
    out = capsys.readouterr().out
    doc = json.loads(out)
    assert code == 1
    assert doc["verdict"] == "fail" and "auth.bad_credentials" in [f["code"] for f in doc["findings"]]
    assert [s["name"] for s in doc["steps"]] == ["resolve", "connect", "banner", "ehlo", "tls", "auth", "send"]
    assert any(t["text"] == "AUTH PLAIN <redacted>" for t in doc["transcript"])
    assert not _leaks(lab, out)


def test_check_failure_exits_1_and_explains(lab, capsys) -> None:
    code = main(_base(lab, "expired_cert"))
    out = capsys.readouterr().out
    assert code == 1
    assert "tls.cert.expired" in out and "Why:" in out and "Fix:" in out
    assert "(run again with -v to see every table and the SMTP transcript)" in out


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--user", "someone"], "no password"),  # stdin is not a terminal under pytest: no prompt
        (["--send"], "send needs mail_from and rcpt_to"),
        (["--user", "u", "--password-env", "SMTPKIT_SURELY_UNSET_VAR"], "is not set"),
        (["--user", "u", "--password-env", ENV], "is not set"),
        (["--helo", "bad name"], "contains a space"),
        (["--security", "sometimes"], "not one of auto, starttls, tls, plain"),
        (["--mail-from", "a@b.example"], "without a recipient"),
    ],
)
def test_usage_errors_exit_2_with_a_message(lab, capsys, extra: list[str], words: str) -> None:
    code = main(_base(lab) + extra)
    err = capsys.readouterr().err
    assert code == 2 and words in err


@pytest.mark.parametrize(
    "argv", [["--password", "hunter2-secret"], ["--password=hunter2-secret"], ["--password-env", "hunter2-secret!"]]
)
def test_a_password_on_the_command_line_is_refused_without_echoing_it(capsys, argv: list[str]) -> None:
    assert main(["check", "127.0.0.1", "--user", "u", *argv]) == 2
    out = capsys.readouterr()
    assert "hunter2" not in out.out + out.err
    assert "command line" in out.err


def test_bad_host_is_a_usage_error(capsys) -> None:
    assert main(["check", "smtp.example.com\r\nQUIT"]) == 2
    assert "carriage return" in capsys.readouterr().err


def test_nameserver_flag_uses_the_lab_dns(lab, capsys) -> None:
    code = main(["check", "nosuchhost.smtpkit.test", "--nameserver", lab.nameserver, "--timeout", "2", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["findings"][0]["code"] == "dns.nxdomain"


def test_no_password_skips_the_login(lab, capsys) -> None:
    code = main(_base(lab) + ["--user", lab.user, "--no-password"])
    out = capsys.readouterr().out
    assert code == 0 and "not tested: no password or token given" in out


def test_lab_option_fills_in_a_practice_lab_server(capsys) -> None:
    code = main(["check", "--lab", "gmail_bad_credentials", "--timeout", "3", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert "auth.bad_credentials" in [f["code"] for f in doc["findings"]]
    assert doc["target"]["username"] and doc["target"]["credential"] == "password"
    assert main(["check", "--lab", "no_such_scenario"]) == 2
    assert "the lab has: submission" in capsys.readouterr().err
    assert main(["check", "smtp.example.com", "--lab", "submission"]) == 2
    assert main(["check"]) == 2


def test_password_prompt_on_a_terminal_does_not_echo(lab) -> None:
    """With --user and a terminal, smtpkit asks for the password (getpass): never echoed, never printed."""
    import os
    import pty
    import select
    import sys
    import time

    pw = lab.password.reveal()
    argv = [sys.executable, "-m", "smtpkit", *_base(lab), "--user", lab.user]
    pid, fd = pty.fork()
    if pid == 0:  # the child: smtpkit on a pseudo-terminal
        os.execv(sys.executable, argv)
    out = b""
    end = time.monotonic() + 30
    sent = False
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if not sent and b"Password for" in out:
                os.write(fd, pw.encode() + b"\n")
                sent = True
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = out.decode("utf-8", "replace")
    assert sent, text
    assert os.WEXITSTATUS(status) == 0, text
    assert "logged in as" in text
    assert pw not in text and base64.b64encode(pw.encode()).decode() not in text


@pytest.mark.parametrize("columns", [80, 100, 140])
def test_text_output_fits_the_terminal_and_hides_passing_tables_without_v(
    lab_env, capsys, monkeypatch, columns: int
) -> None:
    """The chain table was ~300 characters wide, and a passing check printed every table."""
    lab = lab_env
    monkeypatch.setenv("COLUMNS", str(columns))
    argv = _base(lab, "gmail_bad_credentials") + ["--user", lab.user, "--password-env", ENV]
    main(argv)
    short = capsys.readouterr().out
    main(argv + ["-v"])
    full = capsys.readouterr().out
    for out in (short, full):
        too_wide = [line for line in out.splitlines() if len(line) > columns]
        assert not too_wide, too_wide
    # without -v: the passing tls step's tables are named, not printed; with -v they are all there
    flat = " ".join(short.split())
    assert "tls: chain" in flat and "-v prints them" in flat and "SHA-256 fingerprint" not in short
    assert "\ntls: chain\n" in full and "SHA-256 fingerprint" in full and "Tables not shown" not in full
    # the chain's eleven columns become readable field/value lines, not a wrapped table
    chain = full.split("\ntls: chain\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^\s+subject\s+\S", chain, re.M) and "ISSUED_BY_NEXT" not in chain


def test_json_keeps_every_table(lab_env, capsys) -> None:
    lab = lab_env
    main(_base(lab, "gmail_bad_credentials") + ["--user", lab.user, "--password-env", ENV, "--json"])
    doc = json.loads(capsys.readouterr().out)
    tls = next(s for s in doc["steps"] if s["name"] == "tls")
    assert {"certificate", "chain", "handshakes"} <= set(tls["tables"])
