"""The garbage collector runs less often while an audit runs, and as before once the last audit ends."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from smtpkit.aio import run_sync
from smtpkit.audit.engine import audit_stream
from smtpkit.audit.gc_threshold import YOUNG, fewer_collections
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import SELECTORS
from smtpkit.settings.audit import AuditConfig


@pytest.fixture(autouse=True)
def default_threshold() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield (700, 10, 10)
    gc.set_threshold(*saved)


def test_raised_within_and_put_back_after() -> None:
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_put_back_only_when_the_last_of_overlapping_audits_ends() -> None:
    first_in, second_out, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_out.wait(10)
            seen.append(gc.get_threshold())  # the other audit ended: still raised for this one
        first_out.set()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with fewer_collections():
        assert gc.get_threshold() == (YOUNG, 10, 10)
    second_out.set()
    assert first_out.wait(10)
    thread.join(10)
    assert seen == [(YOUNG, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("threshold", [(50_000, 10, 10), (0, 10, 10)])
def test_a_higher_threshold_or_collection_turned_off_is_left_alone(threshold: tuple[int, int, int]) -> None:
    gc.set_threshold(*threshold)
    with fewer_collections():
        assert gc.get_threshold() == threshold
    assert gc.get_threshold() == threshold


def test_a_threshold_the_program_sets_meanwhile_is_kept() -> None:
    with fewer_collections():
        gc.set_threshold(2_000, 5, 5)
    assert gc.get_threshold() == (2_000, 5, 5)


def test_an_audit_runs_with_the_raised_threshold(portfolio_dns: DnsServer) -> None:
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), selectors=SELECTORS, dns_timeout=1.0, deadline=6)
    during: list[int] = []
    run_sync(audit_stream([(0, "smtpkit.test")], config, lambda row: during.append(gc.get_threshold()[0])))
    assert during == [YOUNG]
    assert gc.get_threshold() == (700, 10, 10)


def test_an_audit_that_fails_puts_it_back(portfolio_dns: DnsServer) -> None:
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), selectors=SELECTORS, dns_timeout=1.0, deadline=6)

    def boom(row: object) -> None:
        raise RuntimeError("the sink failed")

    with pytest.raises(RuntimeError, match="the sink failed"):
        run_sync(audit_stream([(0, "smtpkit.test")], config, boom))
    assert gc.get_threshold() == (700, 10, 10)
