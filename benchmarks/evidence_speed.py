"""The two speed bars of the evidence flow, measured in one run on one core.

    python benchmarks/evidence_speed.py

1. A 100 KB message with 12 Received hops, analysed in process without DNS
   (``analyze_message(..., dns=False)``): goal < 50 ms (median of 20 runs,
   after one warm-up run that pays the imports).
2. A folder of 1,000 bounces summarised (``analyze_bounces`` + ``summarize_bounces``):
   goal >= 200 files/s. The bounces are the shared set
   (../shared/conformance/messages/bounces) copied round-robin to 1,000 files,
   plus the practice lab's own DSNs where the shared set is absent.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from smtpkit.checks.evidence import analyze_bounces, analyze_message, summarize_bounces  # noqa: E402

HOP = (
    "Received: from relay{i}.hop{i}.example (relay{i}.hop{i}.example [192.0.2.{i}]) (using TLSv1.3 with cipher"
    " TLS_AES_256_GCM_SHA384 (256/256 bits)) by relay{n}.hop{n}.example (Postfix) with ESMTPS id 4Q{i}ABC for"
    " <bob@receiver.example>; Mon, 2 Jan 2023 10:{i:02d}:00 +0000\r\n"
)


def message_100k_12_hops() -> bytes:
    hops = "".join(HOP.format(i=i, n=i + 1) for i in range(12, 0, -1))
    head = (
        hops + "Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=a@sender.example;"
        " dkim=pass header.d=sender.example; dmarc=pass header.from=sender.example\r\n"
        "From: Alice <a@sender.example>\r\nTo: bob@receiver.example\r\nSubject: quarterly report\r\n"
        "Date: Mon, 2 Jan 2023 10:00:00 +0000\r\nMessage-ID: <123@sender.example>\r\n"
        "DKIM-Signature: v=1; a=rsa-sha256; d=sender.example; s=s1; h=from:to:subject; bh=AAAA; b=BBBB\r\n\r\n"
    )
    body = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 2 + "\r\n") * 900
    return (head + body).encode()[: 100 * 1024]


def bench_message() -> None:
    msg = message_100k_12_hops()
    analyze_message(msg, dns=False)  # warm-up: imports
    times = []
    for _ in range(20):
        t = time.perf_counter()
        report = analyze_message(msg, dns=False)
        times.append((time.perf_counter() - t) * 1000)
    hops = len(report.step("journey").tables["hops"])  # type: ignore[union-attr]
    med = statistics.median(times)
    print(
        f"message: {len(msg) / 1024:.0f} KB, {hops} hops, no DNS: median {med:.1f} ms, min {min(times):.1f} ms,"
        f" max {max(times):.1f} ms (goal < 50 ms: {'met' if med < 50 else 'NOT met'})"
    )


def bench_bounces(count: int = 1000) -> None:
    shared = ROOT.parent / "shared" / "conformance" / "messages" / "bounces"
    sources = sorted(shared.glob("*.eml")) if shared.is_dir() else []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not sources:
            from smtpkit.lab.evidence import make_dsn

            dsn = make_dsn(
                reporting_mta="mail.smtpkit.test",
                sender="alice@smtpkit.test",
                recipient="nobody@smtpkit.test",
                reply="550 5.1.1 <nobody@smtpkit.test>: Recipient address rejected: User unknown",
                remote_mta="mail.smtpkit.test",
                original=b"From: alice@smtpkit.test\r\nSubject: hi\r\n\r\nhello\r\n",
            )
            src = folder / "lab.eml"
            src.write_bytes(dsn)
            sources = [src]
        out = folder / "bounces"
        out.mkdir()
        for i in range(count):
            shutil.copyfile(sources[i % len(sources)], out / f"{i:04d}.eml")
        t = time.perf_counter()
        frame = analyze_bounces(out)
        summary = summarize_bounces(frame)
        took = time.perf_counter() - t
    rate = count / took
    print(
        f"bounces: {count} files ({len(sources)} distinct) in {took:.2f} s = {rate:.0f} files/s,"
        f" {len(frame)} rows, {len(summary)} reasons (goal >= 200 files/s: {'met' if rate >= 200 else 'NOT met'})"
    )


if __name__ == "__main__":
    bench_message()
    bench_bounces()
