"""A count and its noun, in the singular for one: "1 chunk", "2 chunks", "1 legitimate sender".

A count read "1 chunk(s) of results" or "1 duplicates skipped": in the middle of a sentence that explains what
went wrong, a "(s)" is one more thing to read past.
"""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``counted(1, "domain")`` -> "1 domain"; ``counted(3, "domain")`` -> "3 domains"; `plural` for a noun
    whose plural is not its singular plus s (``counted(2, "address", "addresses")``). Thousands are grouped."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
