"""The committed notebooks: clean, parameterised, lab-by-default, and free of logic."""

from __future__ import annotations

import ast
import subprocess
import sys

import nbformat
import pytest

from smtpkit.reporting import NOTEBOOKS, declared_parameters, is_clean, notebooks_dir

ROOT = notebooks_dir().parent
PATHS = [notebooks_dir() / f"{name}.ipynb" for name in NOTEBOOKS]

# Statements that mean "logic in a cell": loops, branches, definitions, error handling.
_LOGIC = (
    ast.For,
    ast.While,
    ast.If,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Try,
    ast.With,
    ast.IfExp,
    ast.ListComp,
    ast.Lambda,
)


def test_every_notebook_exists():
    assert sorted(p.name for p in notebooks_dir().glob("*.ipynb")) == sorted(p.name for p in PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_committed_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert is_clean(nb) == [], "run `python tools/clean_notebooks.py` before committing"
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_targets_the_lab_and_runs_headless(path):
    nb = nbformat.read(path, as_version=4)
    params = declared_parameters(nb)  # raises without a tagged parameters cell
    assert params, "the parameters cell declares the notebook's settings"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "smtpkit.lab.ensure_running()" in code
    for name in ("host", "domain"):
        if name in params:
            assert params[name] is None, f"{name} defaults to None, meaning the practice lab"
    assert "password" not in params, "passwords reach a notebook through the environment, never a parameter"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_cells_hold_no_logic(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        bad = [type(n).__name__ for n in ast.walk(tree) if isinstance(n, _LOGIC)]
        assert not bad, f"logic ({', '.join(bad)}) belongs in smtpkit, not in a cell:\n{cell.source}"
        if "parameters" not in cell.metadata.get("tags", []):  # one line per setting is fine there
            assert len(cell.source.splitlines()) <= 8, f"a cell this long is doing too much:\n{cell.source}"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_teaches(path):
    nb = nbformat.read(path, as_version=4)
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert len(prose.split()) > 120, "each notebook explains what it checks, in words"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for word in ("TODO", "FIXME", "placeholder"):
        assert word not in prose and word not in " ".join(c.source for c in nb.cells)


def test_clean_tool_cleans_and_checks(tmp_path):
    nb = nbformat.read(PATHS[0], as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")  # not a fixed index: cells come and go
    code.outputs = [nbformat.v4.new_output("stream", text="x")]
    code.execution_count = 1
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    dirty = tmp_path / "dirty.ipynb"
    nbformat.write(nb, dirty)
    tool = [sys.executable, str(ROOT / "tools" / "clean_notebooks.py")]
    check = subprocess.run([*tool, "--check", str(dirty)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 1 and "saved outputs" in check.stdout
    assert subprocess.run([*tool, str(dirty)], capture_output=True, timeout=60).returncode == 0
    assert is_clean(nbformat.read(dirty, as_version=4)) == []
    assert subprocess.run([*tool, "--check"], capture_output=True, timeout=60).returncode == 0


def _markdown_links(path):
    import re

    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return re.findall(r"\[([^\]]+)\]\(([^)\s]+\.ipynb)[^)]*\)", text)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_every_link_to_a_notebook_opens_one(path):
    for words, target in _markdown_links(path):
        assert (path.parent / target.split("#")[0]).is_file(), f"{path.name}: [{words}]({target}) opens nothing"


def test_the_start_page_links_every_other_notebook_by_its_title():
    """Its table listed 01-06 as code names a reader could not click, and left out 07-10."""
    import re

    links: dict[str, str] = {}
    for words, target in _markdown_links(notebooks_dir() / "00_start_here.ipynb"):
        links.setdefault(target, words)  # the table's link comes first
    for name in NOTEBOOKS:
        if name == "00_start_here":
            continue
        assert f"{name}.ipynb" in links, f"the start page has no link to {name}"
        heading = nbformat.read(notebooks_dir() / f"{name}.ipynb", as_version=4).cells[0].source.splitlines()[0]
        title = re.sub(r"^\d+\. ", "", links[f"{name}.ipynb"])
        assert re.sub(r"^# (\d+\. )?", "", heading).startswith(title), (title, heading)


def test_every_notebook_links_the_next_and_the_start_page():
    """In the app (Voilà) a page said "Next: `02_tls`" as code: only the browser's Back button led on."""
    others = [name for name in NOTEBOOKS if name != "00_start_here"]
    for i, name in enumerate(others):
        targets = {target for _words, target in _markdown_links(notebooks_dir() / f"{name}.ipynb")}
        assert "00_start_here.ipynb" in targets, f"{name} has no link back to the start page"
        if i + 1 < len(others):
            assert f"{others[i + 1]}.ipynb" in targets, f"{name} has no link to the next notebook, {others[i + 1]}"
