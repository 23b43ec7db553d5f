"""Parameters for headless runs: the papermill convention without papermill.

A notebook declares its settings in one code cell tagged ``parameters``; a
headless run inserts a cell tagged ``injected-parameters`` right after it that
assigns the new values, so the defaults stay visible and the overrides are
recorded in the executed notebook for whoever reads it later.

Only plain literals are accepted: a parameter cell is code that will be run
and shared, so it must never receive an object whose ``repr`` could run code,
and never a `Secret` (passwords reach the kernel through an environment
variable, never through a cell someone will read). A password pasted into a
text value (``smtp://user:pw@host``) is replaced by ``<redacted>`` before the
cell is written (`smtpkit.settings.without_password`, which also hands it to
the redactor): the kernel then refuses that host with a clear message, and
the password is in no cell, output or export.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Mapping
from typing import Any

import nbformat

from smtpkit.secrets import Secret
from smtpkit.settings import without_password

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


class ParameterError(ValueError):
    """The notebook has no parameters cell, or a parameter name or value is not acceptable."""


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def parameters_cell_index(nb: nbformat.NotebookNode) -> int:
    """Index of the cell tagged ``parameters``; a notebook without one cannot run headless."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and PARAMETERS_TAG in _tags(cell):
            return i
    raise ParameterError("the notebook has no code cell tagged 'parameters'")


def declared_parameters(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The names assigned in the parameters cell with their default values (literals only).

    A default that is not a literal (a call, say) is reported as the string of
    its source, so callers can still list it.
    """
    source = nb.cells[parameters_cell_index(nb)].source
    tree = ast.parse(source)
    out: dict[str, Any] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            if isinstance(target, ast.Name) and value is not None:
                try:
                    out[target.id] = ast.literal_eval(value)
                except ValueError:
                    out[target.id] = ast.get_source_segment(source, value)
    return out


def _check_value(name: str, value: Any) -> None:
    if isinstance(value, Secret):
        raise ParameterError(
            f"parameter {name!r} is a Secret: pass passwords through an environment variable "
            "(SMTPKIT_PASSWORD), never through the parameters cell"
        )
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_value(name, v)
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ParameterError(f"parameter {name!r}: dictionary keys must be strings")
            _check_value(name, v)
        return
    raise ParameterError(f"parameter {name!r} must be a plain literal (str, int, float, bool, None, list, dict)")


def _without_passwords(value: Any) -> Any:
    if isinstance(value, str):
        return without_password(value)
    if isinstance(value, (list, tuple)):
        return [_without_passwords(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _without_passwords(v) for k, v in value.items()}
    return value


def _literal(value: Any) -> str:
    if isinstance(value, tuple):
        value = list(value)
    text = repr(value)
    ast.literal_eval(text)  # proves the text is a literal and nothing else
    return text


def parameter_source(parameters: Mapping[str, Any]) -> str:
    lines = ["# Parameters injected for this run (smtpkit.reporting)"]
    for name, value in parameters.items():
        lines.append(f"{name} = {_literal(_without_passwords(value))}")
    return "\n".join(lines) + "\n"


def inject_parameters(
    nb: nbformat.NotebookNode, parameters: Mapping[str, Any], *, strict: bool = True
) -> nbformat.NotebookNode:
    """Insert (or replace) the ``injected-parameters`` cell after the ``parameters`` cell.

    With `strict` (the default) a name the notebook does not declare is an
    error: a typo in a report flag must not silently run with the default.
    """
    declared = declared_parameters(nb)  # raises ParameterError without a parameters cell
    for name, value in parameters.items():
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ParameterError(f"{name!r} is not a valid parameter name")
        if strict and name not in declared:
            known = ", ".join(sorted(declared)) or "(none)"
            raise ParameterError(f"the notebook has no parameter {name!r}; it declares: {known}")
        _check_value(name, value)
    nb.cells = [c for c in nb.cells if INJECTED_TAG not in _tags(c)]
    index = parameters_cell_index(nb)
    if parameters:
        cell = nbformat.v4.new_code_cell(parameter_source(parameters))
        cell.metadata["tags"] = [INJECTED_TAG]
        nb.cells.insert(index + 1, cell)
    return nb
