"""Hostile messages and bounces: findings, not tracebacks, in bounded time; every string escaped in HTML."""

from __future__ import annotations

import time

import pytest

from smtpkit.checks.evidence.bounce import analyze_bounce
from smtpkit.checks.evidence.message import analyze_message
from smtpkit.evidence.bounce import parse_bounce

HOP = (
    "Received: from a{i}.example (a{i}.example [192.0.2.{j}]) by b{i}.example with ESMTPS id X{i};"
    " Mon, 2 Jan 2023 10:00:00 +0000\r\n"
)


def _timed(fn, *args, limit: float = 5.0, **kw):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    out = fn(*args, **kw)
    took = time.monotonic() - start
    assert took < limit, f"took {took:.1f} s"
    return out


def test_ten_thousand_received_lines() -> None:
    msg = "".join(HOP.format(i=i, j=i % 250) for i in range(10_000)) + "From: a@b.example\r\n\r\nx\r\n"
    report = _timed(analyze_message, msg.encode(), dns=False)
    assert report.has("message.too_many_hops")
    assert len(report.step("journey").tables["hops"]) == 200  # type: ignore[union-attr]


def test_headers_over_one_megabyte_and_a_huge_field() -> None:
    msg = b"Subject: " + b"A" * 1_500_000 + b"\r\nFrom: a@b.example\r\n\r\nbody"
    report = _timed(analyze_message, msg, dns=False)
    assert report.has("message.input_truncated")


def test_twenty_five_megabyte_message_in_bounded_memory_and_time() -> None:
    import tracemalloc

    body = (b"x" * 998 + b"\r\n") * (25 * 1024)  # 25 MB body
    msg = (HOP.format(i=1, j=1) + "From: a@b.example\r\nSubject: big\r\n\r\n").encode() + body
    tracemalloc.start()
    report = _timed(analyze_message, msg, dns=False, limit=10.0)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.step("journey") is not None
    assert peak < 8 * len(msg), f"peak {peak / 1e6:.0f} MB for a {len(msg) / 1e6:.0f} MB message"


def test_oversized_input_is_cut_and_said() -> None:
    msg = b"From: a@b.example\r\n\r\n" + b"y" * (27 * 1024 * 1024)
    report = _timed(analyze_message, msg, dns=False, limit=10.0)
    assert report.has("message.input_truncated")


def test_a_thousand_signatures_and_arc_sets(resolver) -> None:  # type: ignore[no-untyped-def]
    sig = "DKIM-Signature: v=1; a=rsa-sha256; d=smtpkit.test; s=lab; h=from; bh=AAAA; b=BBBB\r\n"
    arc = "ARC-Seal: i={i}; a=rsa-sha256; cv=pass; d=x.example; s=s; b=C\r\n"
    msg = sig * 1000 + "".join(arc.format(i=i) for i in range(1, 1001)) + "From: a@smtpkit.test\r\n\r\nx\r\n"
    report = _timed(analyze_message, msg.encode(), resolver=resolver, limit=20.0)
    assert report.has("message.arc_failed")  # duplicates and instances out of range are a broken chain
    assert report.step("re-verification") is not None


BROKEN = [
    b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="x"\r\n\r\n--x\r\nContent-Type: '
    b"message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n--x--",
    b"Subject: =?x-unknown-charset?B?w6k=?= =?utf-8?Q?=FF=FE?= =?utf-8?B?broken\r\nFrom: =?utf-8?B?PHNjcmlwdD4=?="
    b" <a@b.example>\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\n\xff\xfe\xfa bytes",
    b"From: MAILER-DAEMON@x.example\r\nSubject: Undelivered\r\nContent-Type: multipart/report; boundary=b\r\n\r\n"
    + b"--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" * 200,
    b"\x00" * 1000,
    b"Received: " + b"(" * 5000 + b"\r\n\r\n",
]


@pytest.mark.parametrize("raw", BROKEN, ids=["empty-boundary", "bad-base64-dsn", "charsets", "nested", "nul", "parens"])
def test_broken_mime_and_charsets_give_results(raw: bytes) -> None:
    _timed(analyze_message, raw, dns=False)
    _timed(analyze_bounce, raw)
    _timed(parse_bounce, raw)


def test_encoded_words_everywhere_are_escaped_in_html() -> None:
    payload = "=?utf-8?B?PGltZyBzcmM9eCBvbmVycm9yPWFsZXJ0KDEpPg==?="  # <img src=x onerror=alert(1)>
    msg = (
        f"Received: from {payload} ([192.0.2.1]) by mx.example with ESMTP id {payload}; Mon, 2 Jan 2023 10:00:00"
        f" +0000\r\nFrom: {payload} <a@b.example>\r\nSubject: {payload}\r\nMessage-ID: <{payload}>\r\n"
        f"Authentication-Results: mx.example; dmarc=fail header.from=<script>alert(1)</script>\r\n\r\nx"
    )
    html = analyze_message(msg.encode(), dns=False).to_html()
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_hostile_bounce_text_is_bounded() -> None:
    text = b"From: MAILER-DAEMON@x.example\r\nSubject: failure notice\r\n\r\n" + (b"<a@b.example>: 550 " * 200_000)
    report = _timed(analyze_bounce, text)
    assert report.step("bounce") is not None
