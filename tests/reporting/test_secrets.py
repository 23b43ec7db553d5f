"""Secrets, proven: run every notebook and `smtpkit report` with a real password and search everything they produce.

The notebooks use a practice lab whose password we choose, and also get it as
``SMTPKIT_PASSWORD`` in the kernel's environment (the documented alternative
to typing it). The executed notebooks are searched exactly as the kernel
produced them (outputs, metadata and the widget state nbclient records),
before smtpkit's own scrubbing, so a leak anywhere in the kernel is caught;
then the shareable artefacts (HTML, kept .ipynb) are searched too.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from smtpkit.lab import Lab
from smtpkit.reporting import NOTEBOOKS, execute_notebook, notebook_path, notebook_to_html, write_html
from smtpkit.reporting.scrub import redact_notebook

# random-looking on purpose: the redactor removes any 5 characters of a secret, so a password holding
# "ssword" would (rightly) redact the word "password" from the report as well (issue 14)
PASSWORD = "S3cr-läb-Qz9ä/42+Wv"
USER = "lab@smtpkit.test"


def forbidden_forms(user: str = USER, password: str = PASSWORD) -> dict[str, str]:
    raw = password.encode()
    plain = f"\0{user}\0{password}".encode()
    forms = {
        "password": password,
        "base64(password)": base64.b64encode(raw).decode(),
        "base64(AUTH PLAIN)": base64.b64encode(plain).decode(),
        "urlsafe base64(password)": base64.urlsafe_b64encode(raw).decode(),
        "json-escaped password": json.dumps(password)[1:-1],
    }
    return forms


def leaks(text: str) -> list[str]:
    return [name for name, form in forbidden_forms().items() if form in text]


@pytest.fixture(scope="module")
def secret_lab(tmp_path_factory):
    lab = Lab(password=PASSWORD)
    info = lab.start()
    state = lab.write_state(tmp_path_factory.mktemp("lab") / "state.json")
    try:
        yield info, state
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def kernel_env(secret_lab):
    _info, state = secret_lab
    return {"SMTPKIT_LAB_STATE": str(state)}


def test_the_search_finds_a_leak(kernel_env):
    """The check below can fail: a careless cell that prints the password is caught in the raw notebook."""
    nb = nbformat.read(notebook_path("00_start_here"), as_version=4)
    nb.cells = nb.cells[:4] + [
        new_code_cell("import os, base64\nprint(base64.b64encode(os.environ['SMTPKIT_PASSWORD'].encode()).decode())")
    ]
    from smtpkit.secrets import Secret

    run = execute_notebook(
        nb,
        secret_env={"SMTPKIT_PASSWORD": Secret(PASSWORD)},
        env=kernel_env,
        scrub=False,
        cwd=notebook_path("00_start_here").parent,
    )
    assert "base64(password)" in leaks(nbformat.writes(run.notebook))
    # and the scrubbed form of the same notebook has it removed
    run = execute_notebook(
        nb, secret_env={"SMTPKIT_PASSWORD": Secret(PASSWORD)}, env=kernel_env, cwd=notebook_path("00_start_here").parent
    )
    assert leaks(nbformat.writes(run.notebook)) == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_executed_notebooks_never_contain_the_password(name, kernel_env):
    from smtpkit.secrets import Secret

    run = execute_notebook(
        notebook_path(name),
        secret_env={"SMTPKIT_PASSWORD": Secret(PASSWORD)},
        env=kernel_env,
        scrub=False,
        cell_timeout=120,
    )
    assert run.ok, [str(e) for e in run.errors] or run.aborted
    raw = nbformat.writes(run.notebook)  # outputs, cell and notebook metadata, recorded widget state
    assert leaks(raw) == [], f"{name}: the kernel produced {leaks(raw)}"
    # the forms were live in the kernel: their widget state was recorded, and searched above
    assert "application/vnd.jupyter.widget-state+json" in run.notebook.metadata.get("widgets", {})
    html = notebook_to_html(run.notebook, hide_code=False)
    assert leaks(html) == []


def test_smtpkit_report_never_contains_the_password(secret_lab, tmp_path):
    info, state = secret_lab
    ep = info.endpoint("submission")
    env = dict(os.environ, SMTPKIT_LAB_STATE=str(state), MY_SMTP_PW=PASSWORD)
    html_path, nb_path = tmp_path / "report.html", tmp_path / "report.ipynb"
    cmd = [
        sys.executable,
        "-m",
        "smtpkit",
        "report",
        "mail.smtpkit.test",
        "--port",
        str(ep.port),
        "--security",
        "starttls",
        "--user",
        info.user,
        "--password-env",
        "MY_SMTP_PW",
        "--cafile",
        info.ca_file,
        "--nameserver",
        info.nameserver,
        "--mail-from",
        info.user,
        "--rcpt-to",
        f"alice@{info.domain}",
        "--domain",
        info.domain,
        "--selector",
        "lab",
        "--ip",
        "127.0.0.1",
        "--timeout",
        "5",
        "--output",
        str(html_path),
        "--ipynb",
        str(nb_path),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    html = html_path.read_text(encoding="utf-8")
    kept = nb_path.read_text(encoding="utf-8")
    assert "logged in as" in html  # the login really happened with this password
    for text in (html, kept, proc.stdout, proc.stderr):
        assert leaks(text) == []
    # the kernel got the password through its environment, never through the parameters cell
    injected = [
        c for c in nbformat.reads(kept, as_version=4).cells if "injected-parameters" in c.metadata.get("tags", [])
    ]
    assert injected and "password_env = 'SMTPKIT_PASSWORD'" in injected[0].source


URL_PASSWORD = "hunter2secret-in-url"


def test_smtpkit_report_refuses_a_password_in_the_host_before_writing_anything(tmp_path):
    """Issue 14 #1: the host is validated and redacted by the settings model before anything is printed or written."""
    html_path, nb_path = tmp_path / "r.html", tmp_path / "r.ipynb"
    for host in (f"smtp://user:{URL_PASSWORD}@127.0.0.1:1", f"me@example.com:{URL_PASSWORD}@127.0.0.1"):
        cmd = [sys.executable, "-m", "smtpkit", "report", host, "--timeout", "3", "-o", str(html_path)]
        cmd += ["--ipynb", str(nb_path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert URL_PASSWORD not in proc.stdout + proc.stderr
        assert "<redacted>" in proc.stderr and "user name and password" in proc.stderr
        assert not html_path.exists() and not nb_path.exists()


def test_a_password_in_a_notebook_parameter_reaches_no_cell_output_or_export(kernel_env, tmp_path):
    """The same host given straight to the headless run: not in the parameters cell, metadata, outputs or HTML."""
    host = f"smtp://user:{URL_PASSWORD}@127.0.0.1:1"
    run = execute_notebook(
        notebook_path("06_report"), {"host": host, "timeout": 3.0}, env=kernel_env, scrub=False, cell_timeout=120
    )
    nb = run.notebook
    nb.metadata["title"] = f"Mail delivery report: {host}"  # what a careless front end would write
    redact_notebook(nb)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and URL_PASSWORD not in injected[0].source and "<redacted>" in injected[0].source  # 1 the cell
    assert URL_PASSWORD not in json.dumps(nb.metadata)  # 2 the notebook's metadata
    assert all(URL_PASSWORD not in json.dumps(c.get("metadata", {})) for c in nb.cells)  # 3 cell metadata
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells if c.cell_type == "code"])
    assert URL_PASSWORD not in outputs and "user name and password" in outputs  # 4 the outputs: the refusal
    html_path = tmp_path / "r.html"
    write_html(nb, html_path, title=nb.metadata["title"])
    assert URL_PASSWORD not in html_path.read_text(encoding="utf-8")
    assert URL_PASSWORD not in nbformat.writes(nb)
