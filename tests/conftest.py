"""Shared fixtures, and the gate that proves every catalogue code is produced by the kit under test.

Every `Finding` that reaches a Step or a Report is noted with where it was
attached (`tests.support.gate`): only the kit's own code counts (a check, a
probe, the CLI, a lab scenario), never a test that built the finding itself.
When the whole suite runs (plain `pytest`, no -k/-m, no paths) and everything
else passed, a catalogue code the kit never produced fails the session: a code
nobody can trigger is a code whose explanation nobody has checked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.browser import browser, jupyterlab, notebooks  # noqa: F401 (session fixtures of the browser tests)
from tests.support.gate import CodeGate
from tests.support.paths import CONFORMANCE, ROOT, SHARED  # noqa: F401 (re-exported for tests)
from tests.support.tls import server  # noqa: F401 (a fixture the TLS tests share)

GATE = CodeGate()

# Property tests draw the same examples on every run: a submission's CI runs what passed here. Random
# draws once failed CI alone, on a case (a password spelt 'PLAIN') that had passed every run before it
# (tests/test_secrets.py keeps it as an @example). HYPOTHESIS_PROFILE=explore draws new ones, for a
# developer hunting cases: `HYPOTHESIS_PROFILE=explore pytest tests/test_secrets.py`.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def pytest_configure(config: pytest.Config) -> None:
    GATE.install()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser tests run last, in their own order.

    They share one Playwright session (tests/support/browser.py), and
    Playwright's sync API keeps an asyncio event loop running in the main
    thread for as long as it is open: every later `asyncio.run()` there
    (the DNS resolver, the audit) would fail with "cannot be called from a
    running event loop". Last, they open it once and leave nothing behind.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def _is_full_run(config: pytest.Config) -> bool:
    return (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.getoption("keyword")
        and not config.getoption("markexpr")
        and not config.getoption("exitfirst", False)
        and not os.environ.get("PYTEST_XDIST_WORKER")
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _is_full_run(session.config) or exitstatus not in (0, pytest.ExitCode.TESTS_FAILED):
        return
    from smtpkit.knowledge.catalogue import catalogue

    # listed after a failing run too (a failed test may be why a code is missing), failing only a passing one
    missing = GATE.missing(catalogue())
    session.config._smtpkit_missing_codes = missing  # type: ignore[attr-defined]
    if missing and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    missing = getattr(config, "_smtpkit_missing_codes", None)
    if missing is None:
        return
    if missing:
        terminalreporter.section("finding codes the kit never produced", red=True)
        terminalreporter.line(
            f"{len(missing)} catalogue code(s) never reached a Step or Report from a check, a probe or a lab "
            "scenario; add a test that triggers each through a real check path (a test that builds the finding "
            "itself does not count):"
        )
        for code in missing:
            built = " (only built by a test)" if code in GATE.only_by_tests else ""
            terminalreporter.line(f"  {code}{built}")
    else:
        terminalreporter.line("every catalogue finding code was produced by a check, a probe or a lab scenario")


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """../shared/conformance, or a clean skip where it is absent (e.g. a bare clone)."""
    if not CONFORMANCE.is_dir():
        pytest.skip(f"conformance data not found at {CONFORMANCE} (../shared is absent in this checkout)")
    return CONFORMANCE


@pytest.fixture(scope="session")
def lab():
    """The practice lab on loopback (ephemeral ports), shared by the whole session."""
    from smtpkit.lab import Lab

    the_lab = Lab()
    info = the_lab.start()
    from smtpkit.secrets import REDACTOR

    REDACTOR.pin(info.password)  # registered during some test, used by every later one
    try:
        yield info
    finally:
        the_lab.stop()


# The redactor removes any 5 characters of a registered secret, in any case: a test password made of
# words ("limit-test-pw") would redact those words in every later test's output. So what a test (or a
# module's fixtures) registers is forgotten after it; the session lab's password is pinned.


@pytest.fixture(autouse=True)
def _forget_secrets_of_each_test():  # type: ignore[no-untyped-def]
    from smtpkit.secrets import REDACTOR

    mark = REDACTOR.snapshot()
    yield
    REDACTOR.rollback(mark)


@pytest.fixture(autouse=True, scope="module")
def _forget_secrets_of_each_module():  # type: ignore[no-untyped-def]
    from smtpkit.secrets import REDACTOR

    mark = REDACTOR.snapshot()
    yield
    REDACTOR.rollback(mark)


@pytest.fixture(autouse=True)
def _keep_the_lab_dkim_keys():  # type: ignore[no-untyped-def]
    """A test that adopts another lab's keys (load_state of a lab in a subprocess) gives them back.

    The session's lab publishes the keys it started with; a signer left on
    another process's keys makes every later DKIM check of this process fail.
    """
    from smtpkit.lab import dkim_signer

    kept = dkim_signer.lab_keys()  # made now, so a test that resets them to None cannot lose them
    yield
    with dkim_signer._lock:
        dkim_signer._keys = kept


@pytest.fixture(scope="session")
def lab_dns():  # type: ignore[no-untyped-def]
    """Only the lab's DNS server (every lab zone), for tests that need no SMTP endpoint."""
    from smtpkit.lab.dns_server import DnsServer
    from smtpkit.lab.zones import lab_zoneset

    with DnsServer(lab_zoneset("127.0.0.1")) as dns_server:
        yield dns_server


@pytest.fixture()
def resolver(lab_dns):  # type: ignore[no-untyped-def]
    """A Resolver asking the lab DNS server; a test module may define its own `resolver`."""
    from smtpkit.net.dns import Resolver

    return Resolver(nameservers=[lab_dns.nameserver], timeout=2.0)


@pytest.fixture()
def lab_resolver(lab):  # type: ignore[no-untyped-def]
    """A Resolver that asks only the lab's DNS server."""
    from smtpkit.net.dns import Resolver

    return Resolver(nameservers=[lab.nameserver], timeout=2.0)
