"""The sender map and reverse DNS: well-formed data, longest-suffix matching, concurrent cached PTR lookups."""

from __future__ import annotations

import subprocess
import sys

from smtpkit.reports.senders import SenderMap, _category, clear_ptr_cache, lookup_ptrs
from tests.support.paths import ROOT


def test_the_bundled_map_is_tidy_and_valid() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "sender_map.py"), "--check"], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert (ROOT / "smtpkit" / "reports" / "data" / "README.md").read_text(encoding="utf-8").count("Licence") == 1


def test_longest_suffix_wins() -> None:
    smap = SenderMap.bundled()
    assert smap.match("mail-db8eur05on2071.outbound.protection.outlook.com").domain == "outbound.protection.outlook.com"  # type: ignore[union-attr]
    assert smap.match("a8-30.smtp-out.amazonses.com").name == "Amazon SES"  # type: ignore[union-attr]
    assert smap.match("MAIL-SOR-F41.Google.COM.").name.startswith("Google")  # type: ignore[union-attr]
    assert smap.match("amazonses.com.evil.test") is None
    assert smap.match("") is None and smap.match(None) is None


def test_categories() -> None:
    assert _category("email service", 0.99, 0.0, "") == "passing"
    assert _category("email service", 0.2, 0.0, "dkim_not_aligned") == "legitimate"
    assert _category("mailbox provider", 0.2, 0.0, "dkim_fail; spf_fail") == "forwarder"
    assert _category("unknown", 0.0, 0.9, "dkim_fail; spf_fail") == "forwarder"
    assert _category("unknown", 0.0, 0.0, "no_dkim; spf_fail") == "unknown"
    assert _category("unknown", 0.0, 0.0, "no_dkim; spf_not_aligned") == "legitimate"


def test_ptr_lookups_are_concurrent_cached_and_bounded(resolver) -> None:  # type: ignore[no-untyped-def]
    from smtpkit.lab.reports import ptr_records

    expected = ptr_records()
    ips = [*expected, "203.0.113.220", "not-an-ip"]
    clear_ptr_cache()  # other tests asked the same lab DNS server already
    resolver.clear_log()
    first = lookup_ptrs(ips, resolver)
    assert {ip: first[ip] for ip in expected} == expected
    assert first["203.0.113.220"] is None and first["not-an-ip"] is None
    asked = len(resolver.log)
    assert asked == len(expected) + 1  # one query per address; nothing for the non-address
    again = lookup_ptrs(ips, resolver)
    assert again == first and len(resolver.log) == asked  # answered from the cache


def test_a_silent_resolver_leaves_senders_unnamed_within_the_deadline() -> None:
    import socket
    import time

    from smtpkit.net.dns import Resolver

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound, never answers
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        resolver = Resolver(nameservers=[f"127.0.0.1:{port}"], timeout=0.3, retries=0)
        start = time.monotonic()
        names = lookup_ptrs([f"192.0.2.{n}" for n in range(1, 60)], resolver, concurrency=16, deadline=1.0)
        assert time.monotonic() - start < 3.0
    assert set(names.values()) == {None}
