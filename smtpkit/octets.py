"""Bytes a peer sent, shown as text a person can read and a terminal cannot obey.

Neutral ground for every layer: probes write such text into transcripts
(`smtpkit.net`), checks into evidence, knowledge into its descriptions of what
answered. Nothing here interprets the bytes; `smtpkit.knowledge.socket_errors`
says what they mean. `size_text` says how many there are, in words.
"""

from __future__ import annotations

__all__ = ["hex_preview", "printable", "size_text"]


def printable(data: bytes, limit: int = 200) -> str:
    """Bytes as readable text for evidence and transcripts: control bytes become \\xNN escapes.

    UTF-8 is decoded (a server's greeting may be in any language); CR and LF are
    shown as ``\\r`` and ``\\n`` so a multi-line answer stays one line of evidence;
    bytes that are not valid UTF-8 show as ``\\x??``. More than `limit` bytes are
    cut, and the cut says how much is missing.
    """
    text = data[:limit].decode("utf-8", errors="replace")
    out = []
    for ch in text:
        if ch in "\r\n":
            out.append({"\r": "\\r", "\n": "\\n"}[ch])
        elif ch == "\t" or (ch.isprintable() and ch != "\ufffd"):
            out.append(ch)
        elif ch == "\ufffd":
            out.append("\\x??")
        else:
            out.append(f"\\x{ord(ch):02x}")
    suffix = f"… ({len(data) - limit} more bytes)" if len(data) > limit else ""
    return "".join(out) + suffix


def hex_preview(data: bytes, limit: int = 24) -> str:
    """The first `limit` bytes in hex ("16 03 01 …"), for binary answers that are not text at all."""
    return " ".join(f"{b:02x}" for b in data[:limit]) + (" …" if len(data) > limit else "")


def size_text(size: int | float) -> str:
    """A size in bytes the way people read it: ``512 bytes``, ``35 kB``, ``10.5 MB``, ``1.2 GB``.

    Decimal units (1 MB = 1,000,000 bytes), as providers state their limits
    ("25 MB"); one decimal while the number is small, none once it is not.
    """
    n = float(size)
    if n < 1000:
        whole = int(n)
        return f"{whole} byte" if whole == 1 else f"{whole} bytes"
    for unit, scale in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)):
        value = n / scale
        if value < 1000 or unit == "TB":
            text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
            return f"{text.removesuffix('.0')} {unit}"
    return f"{n:.0f} bytes"  # pragma: no cover - the loop always returns
