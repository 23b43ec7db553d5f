"""Reading report files safely: files, folders, archives and mail, each recognised by its content.

Aggregate and TLS-RPT reports arrive from anyone who can send mail to the
``rua`` address, so every byte here is untrusted. Receivers name their files
any way they like (``.xml.zip`` that is a gzip, ``.gz`` that is plain XML,
no extension at all), so the kind of a file is read from its first bytes,
never from its name.

What is refused, and why each cap exists:

* a file (or an attachment, or an archive member) larger than
  `Limits.max_file_bytes`: real reports are kilobytes to a few megabytes;
* a decompressed stream larger than `Limits.max_unpacked_bytes`: decompression
  stops at the cap, so a gzip or zip bomb costs at most that much memory;
* more than `Limits.max_total_bytes` unpacked from one input file, so a zip of
  many members (each under the cap) cannot add up to gigabytes;
* a zip with more than `Limits.max_members` members, counted from the archive's
  end record before `zipfile` reads its directory;
* containers nested deeper than `Limits.max_depth` (a zip in a gzip in a
  message in a message ...), and MIME messages with more parts than
  `Limits.max_mime_parts`.

XML entities and DTDs are refused by the parsers (`smtpkit.reports.dmarc`);
JSON nesting too deep for the parser becomes a problem row. Nothing here
raises for bad input: every file that cannot be read becomes a `Problem`
with the reason, and the batch goes on.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import mailbox
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

__all__ = ["Limits", "Payload", "Problem", "expand_paths", "read_payloads", "sniff"]

MiB = 1 << 20
SEP = " › "  # between a file and the member or attachment inside it


@dataclass(frozen=True)
class Limits:
    """Caps for untrusted report files; the defaults fit every real report with a wide margin."""

    max_file_bytes: int = 64 * MiB
    max_unpacked_bytes: int = 64 * MiB
    max_total_bytes: int = 128 * MiB
    max_members: int = 1000
    max_depth: int = 4
    max_mime_parts: int = 1000
    max_messages: int = 100_000

    def __post_init__(self) -> None:
        from smtpkit.errors import InvalidSettings

        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidSettings(f"Limits.{name} must be a positive whole number, not {value!r}", field=name)


@dataclass(frozen=True)
class Payload:
    """One report document found inside an input: its kind (``xml`` or ``json``) and its bytes."""

    source: str
    kind: str
    data: bytes


@dataclass(frozen=True)
class Problem:
    """A file (or a part of one) that could not be read, and why; one row of `ReportSet.problems`.

    `kind` is one of: ``unreadable`` (corrupt or not a report format), ``refused``
    (a safety cap or forbidden XML), ``partial`` (read up to an error),
    ``duplicate`` (the same report was already read), ``skipped`` (not a report),
    ``empty``.
    """

    source: str
    kind: str
    reason: str
    size: int | None = None

    def to_row(self) -> dict[str, object]:
        return {"source": self.source, "kind": self.kind, "reason": self.reason, "size": self.size}


class _Refused(Exception):
    """A cap was hit: stop reading this input, report why."""


class _Unreadable(Exception):
    """The bytes are not what they claim to be."""


@dataclass
class _Budget:
    """Unpacked bytes left for one top-level input (shared by every member inside it)."""

    left: int
    parts: int = 0
    notes: list[str] = field(default_factory=list)


# -- recognising content ------------------------------------------------------------------------

_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:[ \t]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff(head: bytes) -> str:
    """What the first bytes of a file are: gzip, zip, xml, json, mbox, email, or unknown."""
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"From "):
        return "mbox"
    text = head
    if text.startswith(_BOMS[1:]):  # UTF-16: look at the characters, not the bytes
        text = head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
    elif text.startswith(_BOMS[0]):
        text = text[3:]
    stripped = text.lstrip()
    if stripped.startswith(b"<"):
        return "xml"
    if stripped.startswith((b"{", b"[")):
        return "json"
    if _HEADER_LINE.match(head):
        return "email"
    return "unknown"


# -- finding the files --------------------------------------------------------------------------


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    """Every file under the given files and folders (sorted, so runs are repeatable), and what was missing.

    Folders are walked recursively without following links out of them; a Maildir's
    ``tmp`` folder (messages still being delivered) and hidden files are skipped.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _is_maildir_tmp(Path(root), d))
                for name in sorted(names):
                    if name.startswith("."):
                        continue
                    child = Path(root) / name
                    if child.is_file():  # not a FIFO or a device: reading those could block forever
                        files.append(child)
                    else:
                        problems.append(Problem(str(child), "skipped", "not a regular file"))
        elif path.exists():
            problems.append(Problem(str(path), "skipped", "not a regular file or folder"))
        else:
            problems.append(Problem(str(path), "unreadable", "no such file or folder"))
    return files, problems


def _is_maildir_tmp(root: Path, name: str) -> bool:
    return name == "tmp" and (root / "cur").is_dir() and (root / "new").is_dir()


# -- reading ------------------------------------------------------------------------------------


def read_payloads(path: str | os.PathLike[str], limits: Limits | None = None) -> Iterator[Payload | Problem]:
    """Every report document inside one file (an XML or JSON report, an archive, a message, an mbox).

    Yields `Payload`s to parse and `Problem`s for what could not be read; never raises
    for what the file contains.
    """
    limits = limits or Limits()
    source = str(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
            kind = sniff(head)
            if kind == "mbox":
                fh.close()
                yield from _read_mbox(Path(path), limits)
                return
            size = os.fstat(fh.fileno()).st_size
            if size > limits.max_file_bytes:
                data = b""
            else:  # read what stat promised (and one byte more, for a file that grew meanwhile)
                data = head + fh.read(max(0, size - len(head)) + 1)
    except OSError as exc:
        yield Problem(source, "unreadable", f"cannot open the file: {exc.strerror or exc}")
        return
    if size > limits.max_file_bytes or len(data) > limits.max_file_bytes:
        yield Problem(source, "refused", f"larger than the {_size(limits.max_file_bytes)} cap for one file", size)
        return
    budget = _Budget(limits.max_total_bytes)
    yield from _expand(data, source, 0, limits, budget, known=kind)


def _read_mbox(path: Path, limits: Limits) -> Iterator[Payload | Problem]:
    """An mbox file, message by message (the file is never read whole)."""
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as exc:
        yield Problem(str(path), "unreadable", f"not a readable mbox: {exc}")
        return
    if len(keys) > limits.max_messages:
        yield Problem(str(path), "refused", f"{len(keys)} messages, more than the cap of {limits.max_messages}")
        return
    found = False
    try:
        for n, key in enumerate(keys, 1):
            source = f"{path}{SEP}message {n}"
            try:
                data = box.get_bytes(key)
            except (OSError, mailbox.Error) as exc:
                yield Problem(source, "unreadable", f"cannot read this message: {exc}")
                continue
            if len(data) > limits.max_file_bytes:
                yield Problem(source, "refused", f"larger than the {_size(limits.max_file_bytes)} cap for one message")
                continue
            found = True
            yield from _expand(data, source, 0, limits, _Budget(limits.max_total_bytes), known="email")
    finally:
        box.close()
    if not found:
        yield Problem(str(path), "empty", "an mbox with no messages")


def _expand(
    data: bytes, source: str, depth: int, limits: Limits, budget: _Budget, known: str | None = None
) -> Iterator[Payload | Problem]:
    """Unwrap containers until report documents appear; each level of nesting counts against the cap."""
    if not data.strip():
        yield Problem(source, "empty", "the file is empty")
        return
    kind = known or sniff(data[:64])
    if kind in ("xml", "json"):
        yield Payload(source, kind, data)
        return
    if kind == "unknown":
        yield Problem(
            source,
            "skipped",
            "not a report: its content is neither XML, JSON, gzip, zip nor a mail message, whatever its name says",
            len(data),
        )
        return
    if depth >= limits.max_depth:
        yield Problem(source, "refused", f"containers nested more than {limits.max_depth} deep")
        return
    try:
        if kind == "gzip":
            inner = _gunzip(data, source, limits, budget)
            yield from _expand(inner, source, depth + 1, limits, budget)
        elif kind == "zip":
            yield from _unzip(data, source, depth, limits, budget)
        else:  # email, or an mbox inside an archive: read it as one message
            yield from _attachments(data, source, depth, limits, budget)
    except _Refused as exc:
        yield Problem(source, "refused", str(exc), len(data))
    except _Unreadable as exc:
        yield Problem(source, "unreadable", str(exc), len(data))


def _take(budget: _Budget, n: int, limits: Limits) -> None:
    budget.left -= n
    if budget.left < 0:
        raise _Refused(f"more than {_size(limits.max_total_bytes)} unpacked from one file (an archive bomb?)")


def _gunzip(data: bytes, source: str, limits: Limits, budget: _Budget) -> bytes:
    """Decompress gzip (several members in a row too), stopping at the cap; tolerate trailing junk.

    A truncated stream gives what it held (the parser then says where it ends).
    """
    cap = limits.max_unpacked_bytes
    out = bytearray()
    rest = data
    while rest:
        d = zlib.decompressobj(wbits=31)
        buf = rest
        try:
            while not d.eof:
                piece = d.decompress(buf, MiB)
                if piece:
                    out += piece
                    _take(budget, len(piece), limits)
                    if len(out) > cap:
                        raise _Refused(f"decompresses to more than the {_size(cap)} cap (a gzip bomb?)")
                buf = d.unconsumed_tail
                if not piece and not buf:
                    break  # truncated: keep what we have
        except zlib.error as exc:
            if not out:
                raise _Unreadable(f"corrupt gzip data: {exc}") from None
            break
        rest = d.unused_data if d.eof else b""
        if rest and not rest.startswith(b"\x1f\x8b"):
            break  # padding or junk after the last member: ignored
    return bytes(out)


def _zip_entry_count(data: bytes) -> int | None:
    """Members declared in the zip's end-of-central-directory record (None when there is none).

    Read by hand on purpose: `zipfile.ZipFile` builds an object for every member
    before we could count them, which is the cost a hostile archive aims at.
    """
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return None
    (total,) = struct.unpack_from("<H", data, end + 10)
    if total == 0xFFFF:  # ZIP64: the real count is elsewhere; no report needs that many
        return 0xFFFF
    return int(total)


def _unzip(data: bytes, source: str, depth: int, limits: Limits, budget: _Budget) -> Iterator[Payload | Problem]:
    declared = _zip_entry_count(data)
    if declared is not None and declared > limits.max_members:
        raise _Refused(f"a zip of {declared} members, more than the cap of {limits.max_members}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _Unreadable(f"corrupt zip archive: {exc}") from None
    if len(members) > limits.max_members:
        raise _Refused(f"a zip of {len(members)} members, more than the cap of {limits.max_members}")
    if not members:
        yield Problem(source, "empty", "a zip archive with no files in it")
        return
    cap = min(limits.max_unpacked_bytes, limits.max_file_bytes)
    with archive:
        for info in members:
            where = f"{source}{SEP}{info.filename}"
            if info.file_size > cap:
                yield Problem(where, "refused", f"declares {_size(info.file_size)}, more than the {_size(cap)} cap")
                continue
            try:
                with archive.open(info) as member:
                    out = bytearray()
                    while chunk := member.read(MiB):
                        out += chunk
                        _take(budget, len(chunk), limits)
                        if len(out) > cap:
                            raise _Refused(f"decompresses to more than the {_size(cap)} cap (a zip bomb?)")
            except _Refused as exc:
                yield Problem(where, "refused", str(exc))
                if budget.left < 0:
                    return
                continue
            except RuntimeError as exc:  # encrypted members
                yield Problem(where, "unreadable", f"cannot read this member: {exc}")
                continue
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, ValueError, OSError, EOFError) as exc:
                yield Problem(where, "unreadable", f"corrupt zip member: {exc}")
                continue
            yield from _expand(bytes(out), where, depth + 1, limits, budget)


# Parts that are never the report itself (the human-readable note next to it).
_BODY_TYPES = ("text/plain", "text/html", "multipart/alternative")


def _attachments(data: bytes, source: str, depth: int, limits: Limits, budget: _Budget) -> Iterator[Payload | Problem]:
    """The report attachments of one mail message (also inside attached messages), in order."""
    if data.count(b"boundary=") > limits.max_mime_parts:
        raise _Refused(f"a message of more than {limits.max_mime_parts} MIME parts")
    try:
        message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)
    except RecursionError:
        raise _Refused("MIME parts nested too deep to read") from None
    except (ValueError, TypeError, LookupError, IndexError) as exc:
        raise _Unreadable(f"not a readable mail message: {exc}") from None
    found = False
    stack: list[tuple[Message, int]] = [(message, 0)]
    while stack:
        part, level = stack.pop()
        budget.parts += 1
        if budget.parts > limits.max_mime_parts:
            raise _Refused(f"a message of more than {limits.max_mime_parts} MIME parts")
        if level > 100:
            raise _Refused("MIME parts nested too deep to read")
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((c, level + 1) for c in reversed(children) if isinstance(c, Message))
            continue
        ctype = part.get_content_type()
        name = _filename(part)
        if ctype in _BODY_TYPES and not name:
            continue
        try:
            body = part.get_payload(decode=True)
        except (ValueError, TypeError, LookupError) as exc:
            yield Problem(f"{source}{SEP}{name or ctype}", "unreadable", f"cannot decode this attachment: {exc}")
            continue
        if not isinstance(body, bytes) or not body.strip():
            continue
        if len(body) > limits.max_file_bytes:
            yield Problem(f"{source}{SEP}{name or ctype}", "refused", "attachment larger than the file cap")
            continue
        kind = sniff(body[:64])
        if kind == "unknown" and not name:
            continue
        found = True
        where = f"{source}{SEP}{name or ctype}"
        if kind == "email":
            if depth + 1 >= limits.max_depth:
                yield Problem(where, "refused", f"containers nested more than {limits.max_depth} deep")
                continue
            yield from _attachments(body, where, depth + 1, limits, budget)
        else:
            yield from _expand(body, where, depth + 1, limits, budget, known=kind)
    if not found:
        yield Problem(source, "skipped", "a mail message with no report attached")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except (ValueError, TypeError, LookupError):
        return ""
    text = name if isinstance(name, str) else str(name[2] if isinstance(name, tuple) else name)
    return text.replace("\r", " ").replace("\n", " ").strip()[:200]


def _size(n: int) -> str:
    return f"{n / MiB:.0f} MiB" if n >= MiB else f"{n} bytes"
