"""A message as the evidence engines read it: bytes in, header fields and a body out, with caps.

Why not `email.message_from_bytes` for everything: the standard parser reads a
whole message into objects, decodes every header on access and raises deep in
its internals on some broken input, and people paste what they have ("Show
original" text with a summary above it, headers only, a message whose
charset is a lie). The evidence engines need three cheap, safe things: the
header fields in order (unfolded, raw), the body bytes, and a decoder for
RFC 2047 words that never raises. MIME walking (for bounces) still uses the
standard library, on the capped bytes this module hands over.

Caps, all stated in the result so a finding can say what was not read:
`MAX_INPUT_BYTES` (a 25 MB message is read; more is cut), `MAX_HEADER_BYTES`
(a header section over 1 MB is read up to that point), `MAX_FIELDS` (header
fields kept), `MAX_FIELD_CHARS` (one unfolded field).
"""

from __future__ import annotations

import email.header
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MAX_FIELDS",
    "MAX_FIELD_CHARS",
    "MAX_HEADER_BYTES",
    "MAX_INPUT_BYTES",
    "RawMessage",
    "decode_words",
    "parse_message",
    "read_source",
]

MAX_INPUT_BYTES = 26 * 1024 * 1024  # a 25 MB message (the size limit of most providers) and its headers
MAX_HEADER_BYTES = 1024 * 1024
MAX_FIELDS = 20_000
MAX_FIELD_CHARS = 64 * 1024
_MAX_PREAMBLE_LINES = 60  # "Show original" pastes start with a summary table before the headers

_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:")
_FIELD_NAME = re.compile(r"^([!-9;-~]{1,76})[ \t]*:")
_BLANK = re.compile(rb"\r?\n\r?\n")
_FOLD = re.compile(r"\r?\n[ \t]+")


@dataclass
class RawMessage:
    """Header fields (name, unfolded value) in message order, the body, and what the caps cut."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    header_bytes: int = 0
    size: int = 0
    truncated_input: bool = False  # the input was longer than MAX_INPUT_BYTES
    truncated_headers: bool = False  # the header section was longer than MAX_HEADER_BYTES
    dropped_fields: int = 0  # header fields beyond MAX_FIELDS
    cut_fields: int = 0  # fields longer than MAX_FIELD_CHARS, cut
    skipped_preamble: int = 0  # lines before the first header line, skipped
    headers_only: bool = False  # no blank line: a pasted header block
    raw: bytes = b""  # the (capped) bytes, for DKIM/ARC verification

    def get_all(self, name: str) -> list[str]:
        n = name.lower()
        return [v for k, v in self.fields if k.lower() == n]

    def get(self, name: str, default: str = "") -> str:
        n = name.lower()
        for k, v in self.fields:
            if k.lower() == n:
                return v
        return default

    def count(self, name: str) -> int:
        n = name.lower()
        return sum(1 for k, _ in self.fields if k.lower() == n)

    @property
    def empty(self) -> bool:
        return not self.fields


def read_source(
    source: bytes | bytearray | memoryview | str | os.PathLike[str], *, limit: int = MAX_INPUT_BYTES
) -> tuple[bytes, str, bool]:
    """(bytes, a name for the report, cut?) from raw bytes, pasted text, or a path.

    A `str` is a path when it is one line naming an existing file, else pasted
    text (a pasted message always has line breaks). A missing file raises
    FileNotFoundError with the path, so callers can tell the person.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return data[:limit], "(bytes)", len(data) > limit
    if isinstance(source, str) and ("\n" in source or "\r" in source or ":" in source and not _looks_like_path(source)):
        data = source.encode("utf-8", errors="surrogateescape")
        return data[:limit], "(pasted text)", len(data) > limit
    path = Path(os.fspath(source))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (save the message as .eml, or paste its text)")
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    return data[:limit], str(path), len(data) > limit


def _looks_like_path(text: str) -> bool:
    t = text.strip()
    return bool(t) and len(t) < 4096 and Path(t).is_file()


def _start_of_headers(data: bytes) -> tuple[int, int]:
    """(offset of the first header line, lines skipped): pastes may start with a summary or blank lines."""
    offset = 0
    for skipped in range(_MAX_PREAMBLE_LINES):
        end = data.find(b"\n", offset)
        line = data[offset : end if end >= 0 else len(data)]
        if _HEADER_LINE.match(line):  # an mbox "From " line or a summary table is not one
            return offset, skipped
        if end < 0:
            break
        offset = end + 1
    return 0, 0


def parse_message(data: bytes, *, truncated_input: bool = False) -> RawMessage:
    """Split `data` into header fields and body; never raises, whatever the bytes."""
    out = RawMessage(size=len(data), truncated_input=truncated_input)
    start, skipped = _start_of_headers(data)
    out.skipped_preamble = skipped
    data = data[start:]
    out.raw = data
    m = _BLANK.search(data, 0, MAX_HEADER_BYTES + 4)
    if m is None:
        if len(data) > MAX_HEADER_BYTES:
            head, out.body, out.truncated_headers = data[:MAX_HEADER_BYTES], b"", True
        else:
            head, out.body, out.headers_only = data, b"", True
    else:
        head, out.body = data[: m.start()], data[m.end() :]
    out.header_bytes = len(head)
    text = head.decode("utf-8", errors="surrogateescape")
    current: list[str] = []
    name = ""

    def flush() -> None:
        nonlocal current, name
        if not name:
            return
        value = _FOLD.sub(" ", "".join(current)).replace("\r", "").replace("\n", " ").strip()
        if len(value) > MAX_FIELD_CHARS:
            value = value[:MAX_FIELD_CHARS]
            out.cut_fields += 1
        if len(out.fields) < MAX_FIELDS:
            out.fields.append((name, value))
        else:
            out.dropped_fields += 1
        current, name = [], ""

    for line in text.splitlines(keepends=True):
        if line[:1] in (" ", "\t") and name:
            if sum(len(c) for c in current) <= MAX_FIELD_CHARS:
                current.append(line)
            continue
        flush()
        fm = _FIELD_NAME.match(line)
        if fm is None:
            continue  # not a header line (an mbox separator, garbage): skipped, not fatal
        name = fm.group(1)
        colon = fm.end() - 1
        current = [line[colon + 1 :]]
    flush()
    return out


def _charset_ok(charset: str | None) -> str:
    if not charset:
        return "us-ascii"
    import codecs

    try:
        codecs.lookup(charset)
        return charset
    except LookupError:
        return "latin-1"  # an unknown charset must still show something readable


def decode_words(value: str, *, limit: int = MAX_FIELD_CHARS) -> str:
    """A header value with RFC 2047 encoded words decoded; broken words and bad charsets never raise."""
    value = value[:limit]
    if "=?" not in value:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        parts = email.header.decode_header(value)
    except Exception:  # the standard decoder raises on some broken words: show the raw value
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        try:
            out.append(chunk.decode(_charset_ok(charset), errors="replace"))
        except Exception:
            out.append(chunk.decode("latin-1", errors="replace"))
    text = "".join(out)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")[:limit]
