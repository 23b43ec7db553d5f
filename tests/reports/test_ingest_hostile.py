"""Hostile report files: each is refused or capped within 1 s of CPU and 200 MB of memory, never an exception.

The files are built here (none is stored): entity bombs and external
entities, a gzip bomb, a zip bomb, a zip of many big members, 10,000 zip
members, and nesting (archives in archives, XML, JSON and MIME nested deep).
Time is CPU time of one `load`; memory is the tracemalloc peak of a second run
(a bound for these files, not a speed claim: benchmarks/ measures speed).
"""

from __future__ import annotations

import gzip
import io
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

import smtpkit.reports as reports

MiB = 1 << 20
CPU_SECONDS = 1.0
PEAK_BYTES = 200 * MiB

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feedback><report_metadata><org_name>&lol9;</org_name><report_id>1</report_id></report_metadata></feedback>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE feedback [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<feedback><report_metadata><org_name>&xxe;</org_name><report_id>1</report_id></report_metadata></feedback>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE feedback SYSTEM "http://127.0.0.1:9/evil.dtd">
<feedback><report_metadata><org_name>x</org_name><report_id>1</report_id></report_metadata></feedback>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE feedback [ <!ENTITY % remote SYSTEM "http://127.0.0.1:9/x"> %remote; ]>
<feedback/>
"""


def gzip_bomb() -> bytes:
    """1 GiB of zeros in about 1 MB: one 100 MiB member, ten times (gzip allows members in a row)."""
    member = gzip.compress(bytes(100 * MiB), compresslevel=9)
    return member * 10


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def zip_bomb() -> bytes:
    """One member declaring 1 GiB (an honest header: refused before reading)."""
    out = io.BytesIO()
    chunk = bytes(MiB)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z, z.open("report.xml", "w") as f:
        for _ in range(1024):
            f.write(chunk)
    return out.getvalue()


def lying_zip_bomb() -> bytes:
    """A member that says it is 100 bytes but inflates to 200 MiB: the cap is on what comes out."""
    data = bytearray(zip_of({"report.xml": bytes(200 * MiB)}))
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # patch the uncompressed size in both headers
        at = data.find(sig)
        off = at + (22 if sig == b"PK\x03\x04" else 24)
        data[off : off + 4] = (100).to_bytes(4, "little")
    return bytes(data)


def many_big_members() -> bytes:
    """Eight members of 40 MiB each: every one under the member cap, 320 MiB together."""
    block = bytes(40 * MiB)
    return zip_of({f"part{i}.xml": block for i in range(8)})


def many_members() -> bytes:
    return zip_of({f"r{i}.xml": b"<feedback/>" for i in range(10_000)})


def nested_gzip(levels: int = 30) -> bytes:
    data = b"<feedback/>"
    for _ in range(levels):
        data = gzip.compress(data)
    return data


def nested_zip(levels: int = 30) -> bytes:
    data = b"<feedback/>"
    for i in range(levels):
        data = zip_of({f"level{i}.zip": data})
    return data


def deep_xml() -> bytes:
    return b"<feedback>" + b"<a>" * 1_000_000 + b"</a>" * 1_000_000 + b"</feedback>"


def deep_json() -> bytes:
    return b'{"policies": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"


def deep_mime(levels: int = 5_000) -> bytes:
    out = [b"From: reports@example.org\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"]
    for i in range(1, levels):
        out.append(b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i - 1, i))
    return b"".join(out)


def truncated_gzip_bomb() -> bytes:
    d = zlib.compressobj(9, zlib.DEFLATED, 31)
    return d.compress(bytes(300 * MiB)) + d.flush(zlib.Z_SYNC_FLUSH)  # no end: a stream cut short


CASES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "billion_laughs": (lambda: BILLION_LAUGHS, "refused", "DTD"),
    "external_entity": (lambda: XXE, "refused", "DTD"),
    "external_dtd": (lambda: EXTERNAL_DTD, "refused", "DTD"),
    "parameter_entity": (lambda: PARAMETER_ENTITY, "refused", "DTD"),
    "gzip_bomb": (gzip_bomb, "refused", "gzip bomb"),
    "truncated_gzip_bomb": (truncated_gzip_bomb, "refused", "gzip bomb"),
    "zip_bomb": (zip_bomb, "refused", "declares"),
    "lying_zip_bomb": (lying_zip_bomb, "unreadable", "Bad CRC"),
    "zip_of_big_members": (many_big_members, "refused", "unpacked from one file"),
    "zip_of_10000_members": (many_members, "refused", "10000 members"),
    "nested_gzip": (nested_gzip, "refused", "nested"),
    "nested_zip": (nested_zip, "refused", "nested"),
    "deep_xml": (deep_xml, "refused", "nested more than 256 deep"),
    "deep_json": (deep_json, "refused", "nested too deep"),
    "deep_mime": (deep_mime, "refused", "MIME"),
}


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file_is_refused_or_capped_quickly_and_in_bounded_memory(name: str, hostile_dir: Path) -> None:
    build, kind, words = CASES[name]
    path = hostile_dir / name
    path.write_bytes(build())

    start = time.process_time()
    rs = reports.load(path, offline=True)
    cpu = time.process_time() - start

    assert rs.records.empty and rs.tls.empty
    problems = rs.problems.to_dict("records")
    assert problems, f"{name}: no problem row"
    assert any(p["kind"] == kind and words in p["reason"] for p in problems), problems
    assert cpu < CPU_SECONDS, f"{name}: {cpu:.2f} s of CPU"

    tracemalloc.start()
    try:
        reports.load(path, offline=True)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{name}: peak {peak / MiB:.0f} MiB"


def test_entities_are_never_expanded_even_inside_archives(hostile_dir: Path) -> None:
    path = hostile_dir / "laughs.zip"
    path.write_bytes(zip_of({"a.xml": BILLION_LAUGHS, "b.xml.gz": gzip.compress(XXE)}))
    rs = reports.load(path, offline=True)
    assert rs.records.empty
    assert sorted(rs.problems["kind"]) == ["refused", "refused"]
    assert all("etc/passwd" not in r and "lol" not in r for r in rs.problems["reason"])


def test_a_fifo_or_device_in_the_folder_never_blocks(tmp_path: Path) -> None:
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    os.mkfifo(tmp_path / "pipe.xml")  # opening it for reading would wait for a writer forever
    (tmp_path / "r.xml").write_bytes(b"<feedback/>")
    start = time.monotonic()
    rs = reports.load([tmp_path, tmp_path / "pipe.xml", "/dev/zero"], offline=True)
    assert time.monotonic() - start < 5
    reasons = dict(zip(rs.problems["source"], rs.problems["reason"]))
    assert reasons[str(tmp_path / "pipe.xml")] in ("not a regular file", "not a regular file or folder")
    assert reasons["/dev/zero"] == "not a regular file or folder"
