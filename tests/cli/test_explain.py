"""`smtpkit explain`: a pasted reply gets the same finding the live diagnosis would give."""

from __future__ import annotations

import io
import json

import pytest

from smtpkit.cli import main
from smtpkit.cli.cmd_explain import guess_stage


def test_gmail_bad_credentials_is_explained_with_gmail_fix(capsys: pytest.CaptureFixture[str]) -> None:
    reply = (
        "535-5.7.8 Username and Password not accepted. For more information, go to\n"
        "535 5.7.8  https://support.google.com/mail/?p=BadCredentials x1-20020a.1 - gsmtp"
    )
    assert main(["explain", "--json", reply]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in doc["findings"]] == ["auth.bad_credentials"]
    assert "App Password" in doc["findings"][0]["fix"]
    assert doc["target"]["stage"] == "auth"


def test_stage_flag_and_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("550 5.1.1 <bob@example.com>: Recipient address rejected\n"))
    assert main(["explain", "--stage", "rcpt", "-"]) == 1
    out = capsys.readouterr().out
    assert "send.recipient_unknown" in out and "Fix:" in out


def test_success_reply_is_not_a_failure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--stage", "rcpt", "250 2.1.5 Ok"]) == 0
    assert "verdict PASS" in capsys.readouterr().out


def test_garbage_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "hello there"]) == 2
    assert "three-digit code" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "enhanced", "stage"),
    [
        (535, "5.7.8", "auth"),
        (534, "5.7.9", "auth"),
        (552, "5.3.4", "message"),
        (550, "5.1.1", "rcpt"),
        (553, "5.1.8", "mail"),
    ],
)
def test_guess_stage(code: int, enhanced: str, stage: str) -> None:
    assert guess_stage(code, enhanced) == stage


def test_a_programs_own_error_is_explained_not_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """`smtpkit explain "connect ETIMEDOUT ..."`, as a shell passes it: what the program's words mean, the server
    they name, and the command that checks it from here (it was 'not an SMTP reply', exit 2)."""
    assert main(["explain", "--json", "Error: connect ETIMEDOUT 198.51.100.7:587"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in doc["findings"]] == ["client.timeout"]
    assert "`smtpkit ports 198.51.100.7`" in doc["findings"][0]["fix"]
    assert doc["target"]["host"] == "198.51.100.7"


def test_a_multi_line_reply_is_one_line_above_its_finding_as_in_it(capsys: pytest.CaptureFixture[str]) -> None:
    """The header showed the pasted lines as they came ("…this message is\\n  550 5.7.1 likely…") and the
    finding's text the same reply joined: two forms of one reply. The evidence keeps the lines as pasted."""
    pasted = "550-5.7.1 Our system has detected that this message is\n550 5.7.1 likely unsolicited mail."
    assert main(["explain", "--json", pasted]) in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    joined = "550 5.7.1 Our system has detected that this message is likely unsolicited mail."
    assert doc["target"]["reply"] == joined
    step = doc["steps"][0]
    assert step["details"]["reply"] == joined
    finding = doc["findings"][0]
    assert joined in finding["explanation"] and finding["evidence"] == pasted
