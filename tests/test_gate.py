"""The code-coverage gate of tests/conftest.py can fail and can pass (issue 8 §3).

It counts a catalogue code only when the kit itself attached a finding with
it to a Step or a Report; a finding a test builds (tests/knowledge/
test_catalogue.py builds one of every code) does not count, and a code that
nothing produces keeps the gate failing.
"""

from __future__ import annotations

from smtpkit.checks.domain.parked import recognise_parked
from smtpkit.knowledge import finding
from smtpkit.model import Report, Status, Step
from tests.support.gate import PACKAGE, CodeGate, caller_file, is_product


def test_the_gate_on_a_synthetic_set() -> None:
    gate = CodeGate()
    gate.record(["a.checked"], str(PACKAGE / "checks" / "fake.py"))
    gate.record(["b.only_tested"], str(PACKAGE.parent / "tests" / "knowledge" / "test_catalogue.py"))
    catalogue = ["a.checked", "b.only_tested", "c.orphan"]
    # fails: one code only a test built, one nothing produced
    assert gate.missing(catalogue) == ["b.only_tested", "c.orphan"]
    assert gate.only_by_tests == {"b.only_tested"}
    # passes once the kit produces every code
    gate.record(["b.only_tested", "c.orphan"], str(PACKAGE / "lab" / "fake.py"))
    assert gate.missing(catalogue) == []
    # and fails again for a code added to the catalogue that nothing produces
    assert gate.missing([*catalogue, "d.new"]) == ["d.new"]


def test_what_counts_is_where_a_finding_is_attached() -> None:
    gate = CodeGate()
    gate.install()
    try:
        # built and attached by this test: does not count, in a Step or in a Report
        made_here = finding("dmarc.policy_none", "x", domain="example.test", name="_dmarc.example.test")
        Step("dmarc", Status.PASS, "").add(made_here)
        Report(target={}, steps=[Step("dns", Status.FAIL, "", findings=[finding("dns.nxdomain", "x", host="h")])])
        assert "dmarc.policy_none" not in gate.produced and "dns.nxdomain" not in gate.produced
        assert {"dmarc.policy_none", "dns.nxdomain"} <= gate.only_by_tests
        # attached by the kit (smtpkit/checks/domain/parked.py): counts
        steps = {
            "mx": Step("mx", Status.FAIL, "", details={"null MX": "yes"}),
            "spf": Step("spf", Status.PASS, "", details={"record": "v=spf1 -all"}),
            "dmarc": Step("dmarc", Status.PASS, "", details={"policy in effect": "p=reject", "record": "v=DMARC1"}),
        }
        assert recognise_parked("parked.example", steps)
        assert "domain.parked" in gate.produced
    finally:
        gate.uninstall()


def test_callers_are_told_apart() -> None:
    assert not is_product(caller_file())  # this test file
    assert is_product(str(PACKAGE / "checks" / "session" / "__init__.py"))
    assert not is_product("<string>") and not is_product("/usr/lib/python3/dataclasses.py")
