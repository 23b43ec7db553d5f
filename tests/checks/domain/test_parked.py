"""Issue 8 §6: a domain parked exactly as the `mx.null` fix recommends is recognised, against the lab's DNS."""

from __future__ import annotations

from smtpkit.checks.domain import check_domain
from smtpkit.checks.domain.parked import is_parked
from smtpkit.knowledge import finding
from smtpkit.model import Status, Step
from smtpkit.net.dns import Resolver


def test_a_correctly_parked_domain_is_information_and_passes(resolver: Resolver) -> None:
    report = check_domain("parked.test", resolver=resolver)
    assert report.codes() == ["domain.parked"] and report.verdict == "pass", report.codes()
    f = report.findings[0]
    assert f.severity.value == "info" and "parked correctly" in f.title
    # no nagging for what a parked domain does not need
    assert not any(c.startswith(("dkim.", "dmarc.")) for c in report.codes())
    statuses = {s.name: s.status for s in report.steps}
    assert statuses["mx"] is Status.INFO and statuses["dkim"] is Status.INFO and statuses["dmarc"] is Status.PASS
    assert "parked" in report.step("mx").summary


def test_a_null_mx_alone_is_not_parked(resolver: Resolver) -> None:
    leaky = check_domain("parked-leaky.test", resolver=resolver)  # anyone can still send as it
    assert {"mx.null", "spf.missing", "dmarc.missing"} <= set(leaky.codes()) and leaky.verdict == "fail"
    sending = check_domain("mx-null.test", resolver=resolver)  # a domain that sends, with a null MX
    assert "mx.null" in sending.codes() and "domain.parked" not in sending.codes()


def test_is_parked_needs_all_three() -> None:
    def steps(mx: bool = True, spf: str = "v=spf1 -all", dmarc: str = "p=reject") -> dict[str, Step]:
        return {
            "mx": Step("mx", Status.FAIL, "", details={"null MX": "yes"} if mx else {}),
            "spf": Step("spf", Status.PASS, "", details={"record": spf}),
            "dmarc": Step("dmarc", Status.PASS, "", details={"policy in effect": dmarc, "record": "v=DMARC1"}),
        }

    assert is_parked(steps())
    assert is_parked(steps(spf="V=SPF1   -ALL", dmarc="sp=reject (for subdomains of example.test)"))
    assert not is_parked(steps(mx=False))
    assert not is_parked(steps(spf="v=spf1 ~all"))
    assert not is_parked(steps(spf="v=spf1 ip4:192.0.2.1 -all"))
    assert not is_parked(steps(dmarc="p=quarantine"))
    assert not is_parked(steps(dmarc="p=reject, pct=50"))
    broken = steps()
    broken["dmarc"].add(finding("dmarc.syntax_error", "x", name="_dmarc.x", problem="p", corrected="c"))
    assert not is_parked(broken)
