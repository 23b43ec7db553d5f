"""The command table (`smtpkit.cli.COMMANDS`) and the start-up it buys (issue 8 §5).

Adding a command is one file, `smtpkit/cli/cmd_<name>.py` with `register()`,
and one line in `COMMANDS`; these tests say so when the two disagree. A run
imports only the chosen command's module, and neither `smtpkit --help` nor
the start of `smtpkit check` loads the heavy libraries (measured, in ratios,
by benchmarks/cli_startup.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from smtpkit.cli import COMMANDS, build_parser
from tests.support.paths import ROOT

CLI = ROOT / "smtpkit" / "cli"


def test_the_table_and_the_command_files_agree() -> None:
    files = {p.stem.removeprefix("cmd_") for p in CLI.glob("cmd_*.py")}
    assert set(COMMANDS) == files, (
        f"commands without a line in smtpkit.cli.COMMANDS: {sorted(files - set(COMMANDS))}; "
        f"lines without a smtpkit/cli/cmd_<name>.py: {sorted(set(COMMANDS) - files)}"
    )


def test_every_module_registers_its_own_name_with_the_tables_help() -> None:
    parser = build_parser()  # every command built, as the tests and the docs need them
    sub = next(a for a in parser._actions if a.dest == "command")
    assert list(sub.choices) == list(COMMANDS)  # type: ignore[union-attr]
    helps = {a.dest: a.help for a in sub._choices_actions}  # type: ignore[attr-defined]
    assert helps == COMMANDS
    for name, command in sub.choices.items():  # type: ignore[union-attr]
        assert command.prog == f"smtpkit {name}"
        assert command.get_default("func") is not None or name == "dkim", name


def _imports_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    """The modules loaded once `code` ran in a fresh interpreter (printed on stderr: stdout is the CLI's)."""
    probe = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)), file=sys.__stderr__)"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stderr.strip().splitlines()[-1]))


# What start-up must not pay for: each is imported where it is needed (issue 8 §5). urllib.request
# and email.policy are here because a check without a test send or an HTTPS fetch needs neither.
HEAVY = (
    "dns",
    "cryptography",
    "pandas",
    "numpy",
    "matplotlib",
    "dkim",
    "nbformat",
    "ipywidgets",
    "asyncio",
    "urllib.request",
    "email.policy",
)


def _heavy(loaded: list[str]) -> list[str]:
    return [m for m in loaded if m in HEAVY or m.split(".")[0] in HEAVY]


def _main(*argv: str) -> str:
    return f"from smtpkit.cli import main\ntry:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass"


def test_help_imports_no_command_and_nothing_heavy() -> None:
    loaded = _imports_after(_main("--help"))
    assert not [m for m in loaded if m.startswith("smtpkit.cli.cmd_")]
    assert not _heavy(loaded)
    # nor the result model, the redactor, typing or shutil: --help costs about argparse (1.3 x python + 30 ms)
    assert not {"smtpkit.model", "smtpkit.secrets", "smtpkit.settings", "typing", "shutil"} & set(loaded)


def test_a_command_imports_only_its_own_module() -> None:
    loaded = _imports_after(_main("check", "--help"))
    assert [m for m in loaded if m.startswith("smtpkit.cli.cmd_")] == ["smtpkit.cli.cmd_check"]
    assert not _heavy(loaded)


def test_import_smtpkit_imports_nothing_and_every_public_name_still_imports() -> None:
    loaded = _imports_after("import smtpkit")
    assert [m for m in loaded if m.startswith("smtpkit")] == ["smtpkit"]
    loaded = _imports_after("import smtpkit\nfrom smtpkit import Report, Secret, diagnose, Target\nsmtpkit.audit")
    assert {"smtpkit.model", "smtpkit.secrets", "smtpkit.checks.session", "smtpkit.audit"} <= set(loaded)


def test_a_check_of_a_healthy_server_imports_nothing_heavy(lab) -> None:  # type: ignore[no-untyped-def]
    """The benchmark's run (STARTTLS, a verified certificate, AUTH PLAIN, --json): no DNS library, no
    cryptography (the certificate is read by knowledge.der), no pandas, asyncio or urllib.request, no
    logging or typing."""
    env = dict(os.environ, SMTPKIT_TEST_PW=lab.password.reveal())
    argv = ["check", "127.0.0.1", "--port", str(lab.endpoint("submission").port), "--security", "starttls"]
    argv += ["--cafile", lab.ca_file, "--user", lab.user, "--password-env", "SMTPKIT_TEST_PW", "--auth-mech", "PLAIN"]
    code = f"""
import contextlib, io
from smtpkit.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    status = main({[*argv, "--json"]!r})
assert status == 0 and '"verdict": "pass"' in out.getvalue(), out.getvalue()
"""
    loaded = _imports_after(code, env)
    assert "smtpkit.checks.session" in loaded and "smtpkit.knowledge.der" in loaded
    assert not _heavy(loaded), _heavy(loaded)
    # nor what smtplib's own script does without (~12 ms together): logging comes in with the first
    # record (smtpkit.secrets watches for it), typing is for mypy only; nor the progress lines --json
    # never prints, nor the settings of other commands; nor dataclasses and the inspect it loads (~25 ms
    # with the classes it would build: the core's value types are records, smtpkit.record)
    unneeded = {"logging", "typing", "smtpkit.cli.progress", "smtpkit.settings.domain", "smtpkit.settings.ports"}
    unneeded |= {"dataclasses", "inspect"}
    assert not unneeded & set(loaded), unneeded & set(loaded)


# -- a closed pipe ---------------------------------------------------------------------------------


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    """`smtpkit findings | head -1` once `head` has gone: no BrokenPipeError traceback, exit 141 (SIGPIPE's).

    The pipe is made here and its reading end closed before smtpkit writes, which is the state
    `head` leaves behind when it exits. (Racing a real `head` is no test: whether the writer is
    still writing when `head` exits depends on how much a pipe holds, and on some kernels a pipe
    takes megabytes.)
    """
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "smtpkit", "findings"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
            env=_pythonpath(),
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr, run.stderr
    assert "Exception ignored" not in run.stderr, run.stderr
    assert run.returncode == 141


def test_the_same_command_on_an_open_pipe_is_unchanged() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "smtpkit", "findings"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0 and len(out.stdout.splitlines()) > 50 and not out.stderr


def test_a_broken_pipe_that_is_not_the_output_is_not_hidden(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A BrokenPipeError from elsewhere (a socket, say) while stdout is fine is a bug to see, not `| head`."""
    from smtpkit.cli import cmd_findings, main

    def boom(args):  # type: ignore[no-untyped-def]
        raise BrokenPipeError("a socket, not stdout")

    monkeypatch.setattr(cmd_findings, "run", boom)  # what register() hands argparse
    with pytest.raises(BrokenPipeError):
        main(["findings"])


def _pythonpath() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
