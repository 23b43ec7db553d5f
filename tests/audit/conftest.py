"""The audit's peers: the lab DNS server with the generated portfolio, plain and with latency."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import portfolio_zoneset


@pytest.fixture(scope="session")
def portfolio_dns() -> Iterator[DnsServer]:
    """Every lab zone and the generated portfolio, answered at once."""
    with DnsServer(portfolio_zoneset("127.0.0.1")) as server:
        yield server


@pytest.fixture(scope="session")
def slow_dns() -> Iterator[DnsServer]:
    """The same data with every answer 300 ms late (for deadlines)."""
    with DnsServer(portfolio_zoneset("127.0.0.1"), delay=0.3) as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Each test starts with an empty process-wide DNS cache, so no test passes on another's answers."""
    from smtpkit.audit.engine import forget_caches

    forget_caches()
    yield
    forget_caches()
