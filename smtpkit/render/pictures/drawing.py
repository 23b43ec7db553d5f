"""What every picture shares: status colours and words, labels cut to fit, tables read from steps.

Colours are decoration only: every box, bar and cell a picture draws also
carries its status as a word (and a symbol), because colour is lost on a
black-and-white printout and unreadable for some people. The colours are the
badges' (`render.html.STATUS_STYLE`), so a picture and the table beside it agree.
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from smtpkit.render.html import STATUS_STYLE
from smtpkit.render.text import STATUS_SYMBOL, terminal_safe

if TYPE_CHECKING:
    from smtpkit.model import Report, Step

__all__ = [
    "GRID",
    "INK",
    "MUTED",
    "background",
    "clip",
    "foreground",
    "parse_utc",
    "plain_text",
    "status_label",
    "status_of",
    "table_of",
]

INK = "#24292f"  # text on a light background
MUTED = "#57606a"  # secondary text, axes
GRID = "#d0d7de"  # frames and grid lines

_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP", "info": "INFO"}


def status_of(value: Any) -> str:
    """The status word (pass, warn, fail, skip, info) of an enum, a string or a yes/no value."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "pass" if value else "fail"
    text = str(value or "").strip().lower()
    return text if text in STATUS_STYLE else "skip"


def foreground(status: str) -> str:
    return STATUS_STYLE.get(status, (INK, "#f6f8fa"))[0]


def background(status: str) -> str:
    return STATUS_STYLE.get(status, (INK, "#f6f8fa"))[1]


def status_label(status: str, word: str | None = None) -> str:
    """``✘ FAIL``: the symbol and the word, so the status reads without colour."""
    return f"{STATUS_SYMBOL.get(status, '')} {word or _WORD.get(status, status.upper())}".strip()


P = ParamSpec("P")
R = TypeVar("R")


def plain_text(draw: Callable[P, R]) -> Callable[P, R]:
    """Draw with every label taken literally: matplotlib reads ``$...$`` as TeX by default, and a
    server's banner or a DNS name must neither be typeset nor make the picture fail to parse."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
            return draw(*args, **kwargs)

    return wrapper


def clip(text: Any, width: int) -> str:
    """One line of at most `width` characters (a label; the full text is in the table beside).

    Control characters are shown as escapes (``\\x1b``), as in the text views.
    """
    line = terminal_safe(" ".join(str(text or "").split()))
    return line if len(line) <= width else line[: max(1, width - 1)].rstrip() + "…"


def parse_utc(text: Any) -> _dt.datetime | None:
    """A date as the views print it (``2026-11-22 09:24 UTC``, or ISO 8601) as an aware datetime, or None."""
    value = str(text or "").strip().removesuffix("UTC").strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return _dt.datetime.strptime(value, fmt).replace(tzinfo=_dt.UTC)
        except ValueError:
            continue
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.UTC)


def table_of(source: Report | Step | None, step: str, table: str) -> list[dict[str, Any]]:
    """The rows of table `table` of step `step` (of a report, or of that step itself), redacted; [] if absent."""
    if source is None:
        return []
    found: Any = source.step(step) if hasattr(source, "step") else source
    if found is None or getattr(found, "name", None) != step:
        return []
    _summary, _details, tables = found.view()
    rows = tables.get(table) or []
    return [dict(r) for r in rows if isinstance(r, Mapping)]
