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
            if base == "smtpkit":  # from smtpkit import ui: the package is the name
                for a in node.names:
                    yield f"smtpkit.{a.name}", [a.name, a.asname or ""], node.lineno
            else:
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


# -- which layer may import which ---------------------------------------------------------------

FRONT_ENDS = {"ui", "cli"}
ENGINES = {"spf", "dkim", "dmarc", "evidence", "reports", "tlsrpt", "mta_sts", "dnsbl", "dane", "dnssec"}
# (layer, packages it must not import, why)
RULES = [
    (
        "net",
        {"knowledge", "checks", "render", "reporting", "lab", *ENGINES, *FRONT_ENDS},
        "probes report raw facts (reasons, errnos, bytes, DER); meanings are knowledge's, applied in checks",
    ),
    ("render", {"net", "checks", "knowledge", "lab", *ENGINES, *FRONT_ENDS}, "render knows nothing about protocols"),
    ("model", {"net", "checks", "knowledge", "lab", *ENGINES, *FRONT_ENDS}, "the model is data"),
    (
        "knowledge",
        {"net", "checks", "render", "reporting", "lab", *FRONT_ENDS},
        "knowledge is pure: it knows nothing about sockets or views",
    ),
    ("engines", {"checks", "reporting", "lab", *FRONT_ENDS}, "an engine parses, evaluates and explains one standard"),
    ("checks", {"reporting", "lab", *FRONT_ENDS}, "checks are used by front ends, never the other way"),
    ("reporting", FRONT_ENDS, "nothing imports a front end"),
    ("lab", {"reporting", *FRONT_ENDS}, "nothing imports a front end"),
]


# Known crossings, each with its reason. A result object may hand itself to the layer that
# words it, imported when called (as `Report.to_html()` hands itself to render).
ALLOWED = {
    ("smtpkit.reports.reportset", "smtpkit.checks.evidence.reports"): "ReportSet.check() hands itself to its check",
}


def _layer(module: str) -> str:
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else ""
    return "engines" if name in ENGINES else name


def _package(target: str) -> str:
    parts = target.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_layers_import_only_what_the_flow_allows() -> None:
    rules = {layer: (forbidden, why) for layer, forbidden, why in RULES}
    found = []
    for module, tree in _modules():
        layer = _layer(module)
        if layer not in rules:
            continue
        forbidden, why = rules[layer]
        for target, _names, line in _imports(module, tree):
            if (module, target) in ALLOWED:
                continue
            if target.startswith("smtpkit.") and _package(target) in forbidden - {module.split(".")[1]}:
                found.append(f"{module}:{line} imports {target} ({why})")
    assert not found, "\n".join(found)


# Where findings are made: the catalogue (and the package that re-exports it) and the Finding type.
FINDING_MAKERS = {"smtpkit.knowledge", "smtpkit.knowledge.catalogue"}


def test_engines_return_facts_not_findings() -> None:
    """An engine may explain (a table of meanings is fine); the findings are built in checks/ (DESIGN.md)."""
    found = []
    for module, tree in _modules():
        if _layer(module) != "engines":
            continue
        for target, names, line in _imports(module, tree):
            if target in FINDING_MAKERS or (target == "smtpkit.model" and "Finding" in names):
                found.append(f"{module}:{line} imports {target} {names}")
    assert not found, found


def test_nothing_imports_a_front_end() -> None:
    found = []
    for module, tree in _modules():
        own = module.split(".")[1] if "." in module else ""
        for target, _names, line in _imports(module, tree):
            package = _package(target)
            if package in FRONT_ENDS and package != own and module != "smtpkit.__main__":
                found.append(f"{module}:{line} imports the front end {target}")
    assert not found, found


def test_the_rules_can_fail() -> None:
    """The scan sees lazy imports inside functions too (that is where they hide)."""
    tree = ast.parse("def f():\n    from smtpkit.knowledge.socket_errors import printable\n")
    assert [t for t, _n, _l in _imports("smtpkit.net.smtp", tree)] == ["smtpkit.knowledge.socket_errors"]
