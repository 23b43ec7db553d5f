"""The dkim step against hostile key records, over real DNS on loopback.

`smtpkit domain --selector` and selector discovery read keys through
`parse_key_record`; before issue 14 a key naming an unknown algorithm (or an EC
curve OpenSSL lacks) raised inside the lookup task, and the step reported it as
a DNS timeout. Every one of these keys is `dkim.key_invalid`, at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from smtpkit.checks.domain.dkim import dkim_step
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet
from smtpkit.net.dns import Resolver
from tests.support.keys import ec_spki, prime_like, record, rsa_pkcs1, rsa_spki, spki

HOSTILE = {
    "oid": "v=DKIM1; p=MA0wBQYDKgMEAwQAAQID",  # the SPKI with algorithm OID 1.2.3.4
    "oid2": record(spki(bytes.fromhex("2a0304"), b"")),
    "curve": record(ec_spki(bytes.fromhex("2b8104000f"))),  # sect163r2
    "curve2": record(ec_spki(bytes.fromhex("2a0304"))),
    "huge": record(rsa_spki(prime_like(32768), (1 << 16383) + 1)),  # the key
    "wide": record(rsa_pkcs1(prime_like(2048), (1 << 100) + 1)),
}
WORDS = {"oid": "1.2.3.4", "oid2": "1.2.3.4", "curve": "1.3.132.0.15", "curve2": "1.2.3.4", "huge": "32768 bits"}


@pytest.fixture(scope="module")
def resolver() -> Iterator[Resolver]:
    zone = ZoneSet(
        [Record(f"{sel}._domainkey.keys.test", "TXT", text) for sel, text in HOSTILE.items()],
        zones=["keys.test"],
    )
    with DnsServer(zone) as server:
        yield Resolver([server.nameserver], timeout=1.0)


@pytest.mark.parametrize("selector", sorted(HOSTILE))
def test_a_hostile_key_at_a_named_selector_is_key_invalid_at_once(resolver: Resolver, selector: str) -> None:
    start = time.monotonic()
    step = dkim_step("keys.test", resolver, [selector], deadline=20)
    assert time.monotonic() - start < 5  # before: reported after the sweep's timeout
    codes = [f.code for f in step.findings]
    assert codes == ["dkim.key_invalid"], codes
    assert "dkim.key_lookup_failed" not in codes
    if selector in WORDS:
        assert WORDS[selector] in step.findings[0].explanation


def test_discovery_reports_hostile_keys_as_invalid_not_as_timeouts(resolver: Resolver) -> None:
    start = time.monotonic()
    step = dkim_step("keys.test", resolver, candidates=sorted(HOSTILE) + ["absent"], deadline=20)
    assert time.monotonic() - start < 5
    codes = [f.code for f in step.findings]
    assert codes.count("dkim.key_invalid") == len(HOSTILE) and "dkim.key_lookup_failed" not in codes
    assert "not usable" in step.summary
