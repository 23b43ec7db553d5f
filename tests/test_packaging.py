"""Packaging: pyproject and environment.yml agree; the CLI entry point behaves."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from smtpkit import __version__
from smtpkit.cli import main
from tests.support.paths import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have: set[str] = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {_name(p) for p in dep.get("pip", []) if not p.startswith("-e")}
        else:
            have.add(_name(dep))
    have -= {"python", "pip"}
    assert wanted == have, (
        f"only in pyproject: {sorted(wanted - have)}; only in environment.yml: {sorted(have - wanted)}"
    )


def test_py_typed_is_shipped() -> None:
    assert (ROOT / "smtpkit" / "py.typed").exists()
    assert "py.typed" in (ROOT / "pyproject.toml").read_text()


def test_version_and_usage_exit_codes(capsys) -> None:  # type: ignore[no-untyped-def]
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert __version__ in capsys.readouterr().out
    try:
        main(["--no-such-flag"])
    except SystemExit as exc:
        assert exc.code == 2
    assert main([]) == 2


def test_console_script_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "smtpkit", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "smtpkit" in out.stdout and "examples" in out.stdout


def test_data_files_are_shipped() -> None:
    """Data the code reads with importlib.resources must be package data, or a wheel breaks."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["smtpkit"]
    for pattern in data:
        assert list((ROOT / "smtpkit").glob(pattern)), f"package-data pattern {pattern!r} matches no file"
