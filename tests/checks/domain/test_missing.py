"""A domain that does not exist gets one headline finding, not five; a provider's own domain blames the resolver.

The DNS is the lab's authoritative server on loopback serving a ``test.`` (or
``com.``) zone with a few names: a name below it that is not there gets a real
NXDOMAIN, as from a registry. For ``gmail.com`` that zone plays a filtering
resolver (a VPN, a captive portal, a DNS filter) that lies NXDOMAIN for it.
Nothing leaves the machine.
"""

from __future__ import annotations

from smtpkit.checks.domain import check_domain
from smtpkit.checks.domain.missing import DOMAIN_STEPS
from smtpkit.knowledge.presets import close_domain, published_domain
from smtpkit.model import Status
from smtpkit.net.dns import Resolver
from tests.support.peers import dns_server

RECORDS = [
    ("exists.test", "MX", (10, "mail.exists.test")),
    ("mail.exists.test", "A", "192.0.2.25"),
    ("exists.test", "TXT", "v=spf1 mx -all"),
    ("_dmarc.exists.test", "TXT", "v=DMARC1; p=reject"),
    ("25.2.0.192.in-addr.arpa", "PTR", "mail.exists.test"),
]


def test_a_domain_that_does_not_exist_is_said_once() -> None:
    with dns_server(RECORDS, zones=["test", "in-addr.arpa"]) as server:
        resolver = Resolver([server.nameserver], timeout=1.0)
        report = check_domain("exampel.test", ip="192.0.2.25", resolver=resolver, timeout=8)
        healthy = check_domain("exists.test", resolver=Resolver([server.nameserver], timeout=1.0), timeout=8)
        ghost = check_domain("ghost.exists.test", resolver=Resolver([server.nameserver], timeout=1.0), timeout=8)
    problems = [f for f in report.findings if f.severity.value != "info"]
    assert [f.code for f in problems] == ["domain.nxdomain"], report.codes()  # (the IP's blocklists: info)
    f = problems[0]
    assert f.title == "The domain exampel.test does not exist in DNS"
    assert f"MX query to {server.nameserver}" in f.explanation and "registration" in f.explanation
    assert "publish" not in f.fix.lower() and "`dig NS test +trace`" in f.fix
    mx = report.step("mx")
    assert mx is not None and mx.status is Status.FAIL and mx.summary == "exampel.test does not exist (NXDOMAIN)"
    skipped = [s for s in report.steps if s.name in DOMAIN_STEPS and s.name != "mx"]
    assert skipped and all(s.status is Status.SKIP and not s.findings for s in skipped)
    assert all(s.summary == "not checked: exampel.test does not exist" for s in skipped)
    ptr = report.step("ptr")  # about the sending IP, not the domain: still checked
    assert ptr is not None and ptr.status is not Status.SKIP and "mail.exists.test" in ptr.summary
    assert report.verdict == "fail"
    # a name below an existing domain keeps the policy it inherits (np=: what receivers do with forgeries)
    assert "domain.nxdomain" in ghost.codes() and ghost.step("dmarc").details["policy in effect"].startswith("p=reject")  # type: ignore[union-attr]
    assert ghost.step("spf").status is Status.SKIP  # type: ignore[union-attr]
    # a domain that exists is untouched
    assert "domain.nxdomain" not in healthy.codes() and healthy.step("spf").status is not Status.SKIP  # type: ignore[union-attr]


def test_nxdomain_for_a_providers_own_domain_blames_the_resolver() -> None:
    with dns_server([("example.com", "TXT", "v=spf1 -all")], zones=["com"]) as server:
        report = check_domain("gmail.com", resolver=Resolver([server.nameserver], timeout=1.0), timeout=8)
    assert report.codes() == ["domain.resolver_filtered"], report.codes()
    f = report.findings[0]
    assert "Gmail" in f.title and "broken, filtered or offline" in f.explanation
    assert "dig MX gmail.com @1.1.1.1" in f.fix and "registrar" not in f.fix
    assert report.verdict == "warn"  # could not check, not fail
    assert report.step("mx").status is Status.WARN  # type: ignore[union-attr]
    assert all(s.status is Status.SKIP for s in report.steps if s.name != "mx")


def test_provider_domains_and_typos() -> None:
    assert published_domain("Gmail.com.") is not None and published_domain("hotmail.com") is not None
    assert published_domain("mail.gmail.com") is None and published_domain("example.com") is None
    assert close_domain("gmial.com") == "gmail.com" and close_domain("hotmial.com") == "hotmail.com"
    assert close_domain("gmail.com") is None and close_domain("example.org") is None


def test_the_live_lines_of_a_domain_that_does_not_exist_say_what_its_result_says() -> None:
    """Each step is announced as it lands: "✘ spf: no SPF record" went by above a result that said the step
    was not checked, because the domain does not exist."""
    from smtpkit.progress import Progress, StepEvent, active

    for name in ("exampel.test", "ghost.exists.test", "exists.test"):
        events: list[StepEvent] = []
        with dns_server(RECORDS, zones=["test", "in-addr.arpa"]) as server, active(Progress(events.append)):
            report = check_domain(name, resolver=Resolver([server.nameserver], timeout=1.0), timeout=8)
        ended = [e for e in events if not e.running]
        assert sorted(e.step for e in ended) == sorted(s.name for s in report.steps), name  # each said once
        said = {e.step: (e.state, e.summary) for e in ended}
        for step in report.steps:
            assert said[step.name] == (step.status.value, step.summary), (name, step.name)


def test_a_step_that_the_whole_check_changes_is_announced_again_with_its_last_word() -> None:
    """A parked domain's null MX is no failure once its SPF and DMARC say it sends nothing: the live strip
    ends as the result does."""
    from smtpkit.progress import Progress, StepEvent, active

    parked = [("parked.test", "MX", (0, ".")), ("parked.test", "TXT", "v=spf1 -all")]
    parked.append(("_dmarc.parked.test", "TXT", "v=DMARC1; p=reject"))
    events: list[StepEvent] = []
    with dns_server(parked, zones=["test"]) as server, active(Progress(events.append)):
        report = check_domain("parked.test", resolver=Resolver([server.nameserver], timeout=1.0), timeout=8)
    last = {e.step: (e.state, e.summary) for e in events if not e.running}
    assert report.step("mx").summary.startswith("parked")  # type: ignore[union-attr]
    for step in report.steps:
        assert last[step.name] == (step.status.value, step.summary), step.name


def test_nxdomain_from_a_resolver_that_denies_the_top_level_domain_too_is_could_not_check() -> None:
    """A network with no working upstream (a captive portal, a sandbox) answers NXDOMAIN for every name: a
    small-business owner was told that rosebakery.co.uk had lapsed. The stand-in serves the root zone with
    nothing in it, so it denies .uk too; with .uk delegated, the same NXDOMAIN stands."""
    from smtpkit.checks.denied_tld import denied_tld, known_tld

    assert known_tld("rosebakery.co.uk") == "uk" and known_tld("mail.example.com") == "com"
    for special in ("exampel.test", "example.invalid", "a.example", "localhost", "x.notatld", "com"):
        assert known_tld(special) is None, special  # RFC 6761 names, unknown TLDs: their NXDOMAIN stands
    with dns_server([], zones=["."]) as server:
        resolver = Resolver([server.nameserver], timeout=1.0)
        assert denied_tld("rosebakery.co.uk", resolver) == "uk"
        report = check_domain("rosebakery.co.uk", resolver=resolver, timeout=8)
    assert report.codes() == ["domain.resolver_broken"], report.codes()
    f = report.findings[0]
    assert f.title == "This machine's DNS says rosebakery.co.uk does not exist, and says the same of .uk"
    assert "registrar" not in f.fix and "renew" not in f.fix and "`dig NS uk`" in f.fix
    assert report.step("mx").status is Status.WARN and report.verdict == "warn"  # could not check, not fail
    assert all(s.status is Status.SKIP for s in report.steps if s.name != "mx")
    with dns_server([("uk", "NS", "ns.example.net")], zones=["."]) as server:
        resolver = Resolver([server.nameserver], timeout=1.0)
        assert denied_tld("rosebakery.co.uk", resolver) is None
        real = check_domain("rosebakery.co.uk", resolver=resolver, timeout=8)
    assert real.codes() == ["domain.nxdomain"] and real.verdict == "fail"
