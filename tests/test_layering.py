"""The import rules of the layout (DESIGN.md, docs/architecture.md), read from the source with `ast`.

A rule here fails the build the moment a module reaches across a layer, instead
of a reviewer noticing months later.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import smtpkit

PACKAGE = Path(smtpkit.__file__).parent


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("").as_posix().replace("/", ".")
        yield rel.removesuffix(".__init__"), ast.parse(path.read_text(encoding="utf-8"))


def _imports(module: str, tree: ast.Module) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names taken from it and what they are bound to, line) for every import,
    lazy ones inside functions included."""
    package = module if module in _packages() else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield base, [n for a in node.names for n in (a.name, a.asname or "")], node.lineno


_PACKAGES: set[str] = set()


def _packages() -> set[str]:
    if not _PACKAGES:
        for path in PACKAGE.rglob("__init__.py"):
            rel = path.parent.relative_to(PACKAGE.parent).as_posix().replace("/", ".")
            _PACKAGES.add(rel)
    return _PACKAGES


def test_no_module_imports_another_modules_private_names() -> None:
    """A name with a leading underscore is its module's own; share it by making it public (with a docstring).

    Binding a public name to a private alias (``CSS as _CSS``) hides the same sharing, so it counts too.
    """
    found = []
    for module, tree in _modules():
        for target, names, line in _imports(module, tree):
            if not target.startswith("smtpkit") or target == module:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                found.append(f"{module}:{line} imports {', '.join(private)} from {target}")
    assert not found, found
