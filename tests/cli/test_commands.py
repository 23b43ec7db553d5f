"""The command table (`smtpkit.cli.COMMANDS`) and the start-up it buys (issue 8 §5).

Adding a command is one file, `smtpkit/cli/cmd_<name>.py` with `register()`,
and one line in `COMMANDS`; these tests say so when the two disagree. A run
imports only the chosen command's module, and neither `smtpkit --help` nor
the start of `smtpkit check` loads the heavy libraries (measured, in ratios,
by benchmarks/cli_startup.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

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


def _imports_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


HEAVY = ("dns", "cryptography", "pandas", "urllib.request", "numpy", "matplotlib", "nbformat", "ipywidgets")


def test_help_imports_no_command_and_nothing_heavy() -> None:
    loaded = _imports_after("from smtpkit.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert not [m for m in loaded if m.startswith("smtpkit.cli.cmd_")]
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]


def test_a_command_imports_only_its_own_module() -> None:
    loaded = _imports_after(
        "from smtpkit.cli import main\ntry:\n    main(['check', '--help'])\nexcept SystemExit:\n    pass"
    )
    assert [m for m in loaded if m.startswith("smtpkit.cli.cmd_")] == ["smtpkit.cli.cmd_check"]
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]
