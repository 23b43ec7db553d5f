"""`smtpkit report`: flags to notebook parameters, exit codes, the offline HTML, usage errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from smtpkit.cli import build_parser
from smtpkit.cli.cmd_report import parameters
from smtpkit.cli.common import UsageError
from smtpkit.errors import InvalidSettings
from smtpkit.lab import Lab
from smtpkit.reporting import external_resources
from tests.support.peers import peer_cert


def smtpkit(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smtpkit", *args],
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def lab_state(tmp_path_factory):
    lab = Lab()
    lab.start()
    state = lab.write_state(tmp_path_factory.mktemp("lab") / "state.json")
    try:
        yield lab.info, {"SMTPKIT_LAB_STATE": str(state)}
    finally:
        lab.stop()


def _args(*argv: str):
    return build_parser().parse_args(["report", *argv])


def test_flags_become_parameters(tmp_path):
    ca = Path(peer_cert().cert_file)  # a self-signed certificate: a CA file of one
    p = parameters(
        _args(
            "smtp.example.com",
            "--port",
            "465",
            "--security",
            "tls",
            "--user",
            "me@example.com",
            "--cafile",
            str(ca),
            "--domain",
            "example.com",
            "--selector",
            "s1",
            "--selector",
            "s2",
            "--mail-from",
            "me@example.com",
            "--rcpt-to",
            "a@example.org",
            "--output",
            str(tmp_path / "r.html"),
        )
    )
    assert p["host"] == "smtp.example.com" and p["port"] == 465 and p["security"] == "tls"
    assert p["selectors"] == ["s1", "s2"] and p["rcpt_to"] == ["a@example.org"]
    assert p["password_env"] == "SMTPKIT_PASSWORD" and "password" not in p
    assert p["cafile"] == str(ca.resolve())
    assert parameters(_args("lab", "-o", "r.html"))["host"] is None
    assert parameters(_args("--lab", "expired_cert", "-o", "r.html"))["scenario"] == "expired_cert"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["-o", "r.html"], "say which server"),
        (["--lab", "expired", "-o", "r.html"], "not a lab scenario; choose one of: .*expired_cert"),
        (["smtp.example.com", "--lab", "submission", "-o", "r.html"], "either a HOST or --lab"),
        (["smtp.example.com", "--port", "70000", "-o", "r.html"], "port 70000 is out of range"),
        (["smtp.example.com", "--security", "ssl3", "-o", "r.html"], "not one of auto, starttls, tls, plain"),
        (["smtp.example.com", "--cafile", "/nonexistent/ca.pem", "-o", "r.html"], "does not exist"),
        (["smtp.example.com", "--timeout", "1e308", "-o", "r.html"], "out of range"),
        (["smtp.example.com", "--rcpt-to", "a@example.org", "-o", "r.html"], "without a sender"),
        (["smtp.example.com", "--ip", "fe80::1%lo", "-o", "r.html"], "scope id"),
        (["smtp.example.com", "--domain", "1.2.3.4", "-o", "r.html"], "IP address, not a domain"),
    ],
)
def test_bad_flags_are_usage_errors(argv, message):
    with pytest.raises((UsageError, InvalidSettings), match=message):
        parameters(_args(*argv))


def test_a_password_on_the_command_line_is_refused_and_not_echoed(tmp_path):
    proc = smtpkit("report", "smtp.example.com", "--password", "hunter2-on-argv", "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 2
    assert "never takes a password on the command line" in proc.stderr
    assert "hunter2-on-argv" not in proc.stdout + proc.stderr
    proc = smtpkit("report", "smtp.example.com", "--password-env", "pa ss!word", "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 2 and "pa ss!word" not in proc.stderr
    env = {k: v for k, v in os.environ.items() if k != "SMTPKIT_TEST_UNSET_VAR"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "smtpkit",
            "report",
            "smtp.example.com",
            "--password-env",
            "SMTPKIT_TEST_UNSET_VAR",
            "-o",
            str(tmp_path / "r.html"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "is not set" in proc.stderr


def test_report_on_a_failing_lab_server(lab_state, tmp_path):
    _info, env = lab_state
    out = tmp_path / "expired.html"
    proc = smtpkit("report", "--lab", "expired_cert", "--timeout", "5", "--output", str(out), env=env)
    assert proc.returncode == 1, proc.stderr
    assert "verdict: FAIL" in proc.stdout and "tls.cert.expired" in proc.stdout
    # the kernel's steps, live on stderr (smtpkit.progress.EventRelay), never on stdout
    assert "at most" in proc.stderr and "✓ connect: connected to" in proc.stderr and "✘ tls:" in proc.stderr
    assert "✓ dmarc:" in proc.stderr and "✓ connect" not in proc.stdout
    html = out.read_text(encoding="utf-8")
    assert "tls.cert.expired" in html and "What happened and why" in html and "Fix:" in html
    assert "Best practices" in html
    assert external_resources(html) == []


def test_report_on_a_healthy_server_by_flags(lab_state, tmp_path):
    info, env = lab_state
    ep = info.endpoint("implicit_tls")
    out, kept = tmp_path / "ok.html", tmp_path / "ok.ipynb"
    proc = smtpkit(
        "report",
        "mail.smtpkit.test",
        "--port",
        str(ep.port),
        "--security",
        "tls",
        "--cafile",
        info.ca_file,
        "--nameserver",
        info.nameserver,
        "--domain",
        info.domain,
        "--selector",
        "lab",
        "--ip",
        "127.0.0.1",
        "--timeout",
        "5",
        "--output",
        str(out),
        "--ipynb",
        str(kept),
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verdict: PASS" in proc.stdout
    html = out.read_text(encoding="utf-8")
    # tables and explanations are plain HTML: readable with no network and no JavaScript
    assert html.count("<table") > 10
    assert "Every step, and what to fix first" in html and "SPF in place and enforcing" in html
    assert external_resources(html) == []
    assert "<script src=" not in html
    nb = nbformat.read(kept, as_version=4)
    assert "widgets" not in nb.metadata
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]


def test_output_folder_must_exist(tmp_path):
    proc = smtpkit("report", "lab", "--output", str(tmp_path / "missing" / "r.html"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
