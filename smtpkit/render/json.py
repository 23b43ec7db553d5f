"""JSON text that is safe to print: readable non-ASCII, but C1 controls, DEL and bidi overrides escaped."""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

__all__ = ["UNSAFE_CHARS", "json_text"]

# C0/C1 controls (ESC starts terminal escape sequences, OSC 52 can even write the
# clipboard), DEL, and the bidi overrides that reorder what a reader sees.
UNSAFE_CHARS = {
    cp
    for cp in (
        *range(0x00, 0x20),
        0x7F,
        *range(0x80, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
    if cp not in (0x09, 0x0A)
}
UNSAFE_TABLE = {cp: f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" for cp in UNSAFE_CHARS}
UNSAFE_TABLE[0x0D] = "\\r"


# json.dumps escapes C0 controls; these it leaves raw (with ensure_ascii=False), and `--json`
# output is read in terminals too. Inside a JSON string "\u009b" is the same character.
_JSON_TABLE = {cp: f"\\u{cp:04x}" for cp in UNSAFE_CHARS if cp >= 0x7F}


def json_text(document: Any, indent: int | None = 2) -> str:
    """JSON with non-ASCII kept readable but C1 controls, DEL and bidi overrides escaped."""
    return json.dumps(document, indent=indent, ensure_ascii=False).translate(_JSON_TABLE)
