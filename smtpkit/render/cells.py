"""One value as a table cell, and a report's steps as every view shows them (redacted at render time)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smtpkit.secrets import redact

if TYPE_CHECKING:
    from smtpkit.model import Report, Step

__all__ = ["cell", "step_views"]


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return redact(str(value))  # bytes, exceptions, objects: their str() was never redacted


def step_views(report: Report) -> list[tuple[Step, str, str, dict[str, Any], dict[str, list[dict[str, Any]]]]]:
    """(step, name, summary, details, tables) of every step, redacted at render time (see `Step.view`)."""
    return [(s, redact(str(s.name)), *s.view()) for s in report.steps]
