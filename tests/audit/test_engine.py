"""The audit core against the lab's DNS: the same findings as check_domain, caches, deadlines, bad names."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pandas as pd
import pytest

from smtpkit.audit.cache import DnsCache, SharedResolver, question
from smtpkit.audit.engine import audit_chunk, check_one
from smtpkit.audit.row import NOT_CHECKED_HERE
from smtpkit.checks.domain import check_domain
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.portfolio import DEAD, SELECTORS, SERVFAIL, portfolio, template_of
from smtpkit.net.dns import TIMEOUT, DnsAnswer, Resolver
from smtpkit.settings.audit import AuditConfig


def _lab_domains(server: DnsServer) -> list[str]:
    zones = [z for z in server.zoneset.zone_names() if not z.endswith(".arpa")]
    return zones + ["news.dmarc-org.test", "mail.dmarc-strict.test"]


def _findings(steps_findings: list) -> list[tuple[str, str, str, str, str]]:  # type: ignore[type-arg]
    return [(f.code, f.severity.value, f.step, f.title, f.evidence) for f in steps_findings]


DNS_STEPS = ("mx", "spf", "dkim", "dmarc")  # what the audit checks unless asked to probe (probe_mx)


def _dns_findings(report):  # type: ignore[no-untyped-def]
    return [f for s in report.steps if s.name in DNS_STEPS for f in s.findings]


def test_same_findings_as_check_domain_on_every_lab_zone(portfolio_dns: DnsServer) -> None:
    """The audit runs check_domain's own steps: every lab zone gets exactly check_domain's findings
    (those of its MX, SPF, DKIM and DMARC steps: MTA-STS and TLS-RPT are probed with probe_mx, below)."""
    domains = _lab_domains(portfolio_dns)
    # generous timeouts, fewer at once: a loaded test machine must not turn a slow answer into a finding
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), dns_timeout=5.0, deadline=60, concurrency=16)
    df = audit_chunk(domains, config)
    assert list(df["domain"]) == domains
    # spf-dns-error.test's own SPF include never answers, and dmarc-rollout.test's include of _spf.google.com
    # is REFUSED by the lab (it serves no real domain): the rows cannot say what is wrong, only what was unread
    unread = df[df["status"] != "checked"].set_index("domain")["status_reason"].to_dict()
    assert unread == {
        "spf-dns-error.test": "_spf.spf-dns-error.test TXT: timeout",
        "dmarc-rollout.test": "Could not read part of SPF from here: TXT _spf.google.com REFUSED",
    }
    for domain in domains:
        report = check_domain(domain, resolver=Resolver([portfolio_dns.nameserver], timeout=3.0), timeout=40)
        row = df[df["domain"] == domain].iloc[0]
        findings = _dns_findings(report)
        assert list(row["codes"]) == [f.code for f in findings], domain  # kept, even when it could not check
        assert row["n_fail"] == sum(1 for f in findings if f.severity.value == "fail"), domain
        if row["status"] != "checked":
            assert str(row["worst"]) == str(row["grade"]) == "<NA>", domain  # never a grade, never "fail"
            continue
        severities = {f.severity.value for f in findings}
        assert row["worst"] == next((s for s in ("fail", "warn", "info") if s in severities), "pass"), domain


def test_same_finding_texts_as_check_domain(portfolio_dns: DnsServer) -> None:
    """Not only the codes: severity, step, title and evidence are check_domain's too."""
    from smtpkit.audit import engine

    captured: dict[str, list] = {}  # type: ignore[type-arg]
    original = engine.domain_row

    def spy(position, text, domain, steps, view, **kw):  # type: ignore[no-untyped-def]
        captured[domain] = [f for s in steps for f in s.findings]
        return original(position, text, domain, steps, view, **kw)

    engine.domain_row = spy  # type: ignore[assignment]
    try:
        domains = ["dmarc-rua-external.test", "spf-too-many-lookups.test", "mx-cname.test", "dkim-missing.test"]
        audit_chunk(domains, AuditConfig(nameservers=(portfolio_dns.nameserver,), dns_timeout=3.0))
    finally:
        engine.domain_row = original  # type: ignore[assignment]
    for domain in domains:
        report = check_domain(domain, resolver=Resolver([portfolio_dns.nameserver], timeout=3.0))
        assert _findings(captured[domain]) == _findings(_dns_findings(report)), domain


def test_generated_portfolio_rows_match_their_templates(portfolio_dns: DnsServer) -> None:
    members = portfolio(160)
    templates = sorted({m.template for m in members} - {DEAD, SERVFAIL})
    assert any(m.template == DEAD for m in members) and any(m.template == SERVFAIL for m in members)
    # a generous timeout: a loaded test machine must not turn a slow answer into a finding
    config = AuditConfig(
        nameservers=(portfolio_dns.nameserver,), selectors=SELECTORS, dns_timeout=2.0, deadline=30, concurrency=20
    )
    df = audit_chunk(templates + [m.domain for m in members], config)
    expected = {r["domain"]: (r["status"], list(r["codes"])) for r in df.head(len(templates)).to_dict("records")}
    generated = df.iloc[len(templates) :]
    for row in generated.to_dict("records"):
        template = template_of(row["domain"])
        if template in (DEAD, SERVFAIL):
            assert row["status"] == "could not check", row
            assert row["grade"] is None or row["grade"] != row["grade"] or str(row["grade"]) == "<NA>"
            continue
        # the template's status (spf-dns-error's own include never answers: could not check) and codes
        assert (row["status"], row["codes"]) == expected[template], (row["domain"], template)
    mix = Counter(template_of(d) for d in generated["domain"])
    assert mix["hosted.test"] > mix["dmarc-none.test"]  # the known mix: mostly healthy domains


def test_a_domain_that_times_out_could_not_be_checked(portfolio_dns: DnsServer) -> None:
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), dns_timeout=0.3, deadline=10, selectors=SELECTORS)
    started = time.monotonic()
    row = audit_chunk([f"{DEAD}--p000001.test"], config).iloc[0]
    assert row["status"] == "could not check"
    assert row["status_reason"] == "MX: timeout; TXT (SPF): timeout; DMARC: timeout"
    assert row["grade"] is pd_na() and row["worst"] is pd_na()
    assert row["codes"] == ["domain.unanswered"]  # said once, as check_domain says it; the row does not say "fail"
    # the dead nameservers are noticed after the first wave: far less than a timeout per question (about 50
    # questions of 0.3 s each, 15 s one after another; the margin is for a loaded machine)
    assert time.monotonic() - started < 8


def test_a_silent_domain_is_asked_two_questions_at_a_time_until_it_answers(portfolio_dns: DnsServer) -> None:
    """Until a domain has answered once, at most DEAD_AFTER of its own names are asked at a time: a dead domain's
    other questions (about fifty with the DKIM selectors) would each hold one of the resolver's `query_limit`
    places for a whole timeout. So the nameservers see two questions (each sent twice: the retry), not one for
    each name, and a domain that answers is asked the rest at once."""
    from smtpkit.audit.cache import DEAD_AFTER

    dead = f"{DEAD}--p000003.test"
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), dns_timeout=0.3, deadline=10, selectors=SELECTORS)
    since = time.time()
    row = audit_chunk([dead, "hosted.test"], config).iloc[0]
    assert row["status"] == "could not check" and row["codes"] == ["domain.unanswered"]
    log = [q for q in portfolio_dns.queries if q.t >= since]
    sent = Counter((q.name, q.rdtype) for q in log if q.name.endswith(dead))
    assert len(sent) == DEAD_AFTER, sent  # two questions, whichever steps asked first
    assert all(times == 2 for times in sent.values()), sent  # each tried twice, then the domain counts as dead
    asked = {(q.name, q.rdtype) for q in log if q.name.endswith("hosted.test")}
    assert len(asked) > 2 * DEAD_AFTER  # a domain that answers is asked everything (no wait once it has answered)


def test_one_question_asked_by_two_steps_counts_once_while_a_domain_is_silent(portfolio_dns: DnsServer) -> None:
    """Two steps asking the same first question send one query: counted as two, they took both places, the
    domain's second question waited a whole timeout, and a dead domain took two timeouts instead of one."""
    import asyncio

    from smtpkit.audit.cache import DomainResolver, SharedResolver

    dead = f"{DEAD}--p000004.test"

    async def ask() -> list[DnsAnswer]:
        shared = SharedResolver([portfolio_dns.nameserver], 0.3, cache=DnsCache())
        view = DomainResolver(shared, dead, time.monotonic() + 10, budget=10)
        try:
            return list(
                await asyncio.gather(
                    view.aresolve(dead, "TXT"),
                    view.aresolve(dead, "TXT"),
                    view.aresolve(dead, "MX"),
                    view.aresolve(f"_dmarc.{dead}", "TXT"),
                )
            )
        finally:
            shared.close()

    since = time.time()
    txt, again, mx, dmarc = asyncio.run(ask())
    assert txt is again and txt.status == mx.status == dmarc.status == TIMEOUT
    sent = {(q.name, q.rdtype) for q in portfolio_dns.queries if q.t >= since and q.name.endswith(dead)}
    assert sent == {(dead, "TXT"), (dead, "MX")}  # the MX went with the TXT; then the domain was dead
    assert dmarc.error is not None and dmarc.error.startswith("not asked"), dmarc


def test_a_question_timing_out_first_lets_no_third_out_while_a_silent_domain_could_be_dead(
    portfolio_dns: DnsServer,
) -> None:
    """The first of a silent domain's two questions times out just before the second: a waiting third question
    must wait for the second (if it times out too, the domain is dead), not go out in the gap. It went out,
    and a dead domain took a second timeout (8 s instead of 4 with the defaults), at the end of many runs."""
    import asyncio

    from smtpkit.audit.cache import DomainResolver, SharedResolver

    dead = f"{DEAD}--p000005.test"

    async def later(seconds: float, name: str, rdtype: str, view: DomainResolver) -> DnsAnswer:
        await asyncio.sleep(seconds)
        return await view.aresolve(name, rdtype)

    async def ask() -> tuple[list[DnsAnswer], float]:
        shared = SharedResolver([portfolio_dns.nameserver], 0.3, cache=DnsCache())
        view = DomainResolver(shared, dead, time.monotonic() + 10, budget=10)
        started = time.monotonic()
        try:
            answers = await asyncio.gather(
                view.aresolve(dead, "TXT"),  # times out first (two attempts, 0.6 s)
                later(0.15, dead, "MX", view),  # 0.15 s after it
                later(0.2, f"_dmarc.{dead}", "TXT", view),  # waits: two questions are under way
            )
            return list(answers), time.monotonic() - started
        finally:
            shared.close()

    since = time.time()
    (txt, mx, dmarc), took = asyncio.run(ask())
    assert txt.status == mx.status == dmarc.status == TIMEOUT
    sent = {(q.name, q.rdtype) for q in portfolio_dns.queries if q.t >= since and q.name.endswith(dead)}
    assert sent == {(dead, "TXT"), (dead, "MX")}, sent
    assert dmarc.error is not None and dmarc.error.startswith("not asked"), dmarc
    assert took < 1.2, took  # one timeout (0.75 s), not a second one for the DMARC question (1.35 s)


def test_servfail_could_not_be_checked(portfolio_dns: DnsServer) -> None:
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), dns_timeout=0.5, selectors=SELECTORS)
    row = audit_chunk([f"{SERVFAIL}--p000002.test"], config).iloc[0]
    assert row["status"] == "could not check" and "servfail" in row["status_reason"]


def test_a_dkim_selector_that_times_out_is_could_not_check_not_a_missing_key() -> None:
    """Every record of the domain answers but one DKIM selector: "no DKIM key found" would be a finding
    made of missing data, so the row could not be checked, and says which name did not answer."""
    from smtpkit.lab.zoneset import Record, ZoneSet

    def zone(domain: str, silent: bool) -> list[Record]:
        return [
            Record(domain, "MX", (10, f"mail.{domain}")),
            Record(f"mail.{domain}", "A", "192.0.2.25"),
            Record(domain, "TXT", "v=spf1 mx -all"),
            Record(f"_dmarc.{domain}", "TXT", "v=DMARC1; p=reject"),
        ] + ([Record(f"s1._domainkey.{domain}", "TIMEOUT")] if silent else [])

    zs = ZoneSet(zone("silent-dkim.test", True) + zone("no-dkim.test", False))
    with DnsServer(zs) as dns:
        config = AuditConfig(nameservers=(dns.nameserver,), dns_timeout=0.5, selectors=("s1", "default"))
        df = audit_chunk(["silent-dkim.test", "no-dkim.test"], config)
    silent, absent = df.to_dict("records")
    assert absent["status"] == "checked" and "dkim.no_selector_found" in absent["codes"]
    assert silent["status"] == "could not check", silent
    assert silent["status_reason"] == "s1._domainkey.silent-dkim.test TXT: timeout"
    assert silent["grade"] is None and silent["worst"] is None  # never a grade, never "fail"


def test_the_per_domain_deadline_is_hard(slow_dns: DnsServer) -> None:
    config = AuditConfig(nameservers=(slow_dns.nameserver,), dns_timeout=0.5, deadline=0.8, selectors=SELECTORS)
    started = time.monotonic()
    df = audit_chunk(["smtpkit.test", "hosted.test"], config)
    assert time.monotonic() - started < 3
    for row in df.to_dict("records"):
        assert row["status"] == "could not check"
        assert "deadline of 0.8s" in row["status_reason"]
        assert row["seconds"] < 1.5


def test_names_as_people_paste_them(portfolio_dns: DnsServer) -> None:
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), dns_timeout=0.5, selectors=SELECTORS)
    df = audit_chunk(["SMTPKIT.test.", "Bücher.example", "not a domain", "you@example.com"], config)
    assert list(df["input"]) == ["SMTPKIT.test.", "Bücher.example", "not a domain", "you@example.com"]
    assert list(df["domain"])[:2] == ["smtpkit.test", "xn--bcher-kva.example"]
    assert list(df["status"]) == ["checked", "could not check", "invalid", "invalid"]  # .example: REFUSED here
    assert "REFUSED" not in df["status_reason"][1] and "refused" in df["status_reason"][1]
    assert "e-mail address" in df["status_reason"][3]


def test_a_shared_include_is_asked_once_for_the_whole_run(portfolio_dns: DnsServer) -> None:
    portfolio_dns.clear_queries()
    hosted = [f"hosted--p{i:06d}.test" for i in range(900_000, 900_030)]
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), selectors=SELECTORS, dns_timeout=2.0)
    df = audit_chunk(hosted, config)
    assert set(df["grade"]) == {"A"}
    asked = Counter((q.name, q.rdtype) for q in portfolio_dns.queries)
    assert asked[("_spf.mailhost.test", "TXT")] == 1
    assert asked[("_netblocks.mailhost.test", "TXT")] == 1
    assert asked[("mx1.mailhost.test", "A")] == 1
    assert asked[("s1.dkim.mailhost.test", "TXT")] == 1
    assert all(df["dkim_keys"].map(lambda keys: keys == ["s1: rsa 2048"]))


def test_columns_read_the_records(portfolio_dns: DnsServer) -> None:
    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), selectors=SELECTORS, dns_timeout=2.0)
    df = audit_chunk(
        [
            "smtpkit.test",
            "dmarc-pct.test",
            "mx-null.test",
            "dkim-1024.test",
            "spf-void-lookups.test",
            "dmarc-rua-external.test",
            "dkim-revoked.test",
            "dkim-invalid.test",
        ],
        config,
    ).set_index("domain")
    assert df.loc["smtpkit.test", "spf_all"] == "-all" and df.loc["smtpkit.test", "grade"] == "A"
    assert df.loc["smtpkit.test", "dmarc_policy"] == "reject" and bool(df.loc["smtpkit.test", "dmarc_enforced"])
    assert df.loc["smtpkit.test", "mx_hosts"] == ["mail.smtpkit.test"]
    assert df.loc["dmarc-pct.test", "dmarc_pct"] == 25
    assert bool(df.loc["mx-null.test", "mx_null"]) and df.loc["mx-null.test", "mx_hosts"] == ["."]
    assert df.loc["dkim-1024.test", "dkim_min_bits"] == 1024 and bool(df.loc["dkim-1024.test", "dkim_weak"])
    assert df.loc["spf-void-lookups.test", "spf_voids"] == 3
    assert not bool(df.loc["dmarc-rua-external.test", "dmarc_rua_authorised"])
    assert df.loc["smtpkit.test", "resolver"] == portfolio_dns.nameserver
    # a key that cannot verify says why, in words ("rsa ?" before)
    assert df.loc["dkim-revoked.test", "dkim_keys"] == ["default: revoked (empty p=)"]
    assert df.loc["dkim-invalid.test", "dkim_keys"] == ["default: rsa unreadable"]


def pd_na():  # type: ignore[no-untyped-def]
    import pandas as pd

    return pd.NA


# -- the cache ------------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_keeps_answers_for_their_ttl() -> None:
    clock = _Clock()
    cache = DnsCache(10, clock=clock)
    key = question("Example.COM.", "txt")
    assert key == ("example.com", "TXT")
    cache.put(key, DnsAnswer("example.com", "TXT", "ok", ttl=60))
    clock.now += 59
    assert cache.get(key) is not None
    clock.now += 2
    assert cache.get(key) is None  # expired


def test_cache_remembers_failures_briefly_and_not_ttl_less_answers() -> None:
    clock = _Clock()
    cache = DnsCache(10, failure_ttl=30, clock=clock)
    cache.put(("a.test", "A"), DnsAnswer("a.test", "A", TIMEOUT))
    cache.put(("b.test", "A"), DnsAnswer("b.test", "A", "ok", ttl=0))
    assert cache.get(("a.test", "A")) is not None and cache.get(("b.test", "A")) is None
    clock.now += 31
    assert cache.get(("a.test", "A")) is None


def test_a_new_run_asks_again_what_failed_in_the_last(portfolio_dns: DnsServer) -> None:
    """A DNS server fixed between two runs in one notebook: the second run gave the first run's timeouts back
    ("DONE (0.0 s)", could not check) for as long as the failures were remembered. Each run now asks again
    what failed; good answers are kept for their TTL."""
    import smtpkit.audit as audit_pkg
    from smtpkit.audit.engine import shared_cache

    config = AuditConfig(nameservers=(portfolio_dns.nameserver,), dns_timeout=2.0)
    cache = shared_cache(config)
    cache.put(question("smtpkit.test", "MX"), DnsAnswer("smtpkit.test", "MX", TIMEOUT))  # the last run's
    good = DnsAnswer("kept.test", "A", "ok", ttl=300)
    cache.put(question("kept.test", "A"), good)
    df = audit_pkg.audit(["smtpkit.test"], config=config, progress=False)
    assert list(df["status"]) == ["checked"], df["status_reason"].tolist()
    assert cache.get(question("kept.test", "A")) is good


def test_cache_is_bounded() -> None:
    cache = DnsCache(3)
    for i in range(5):
        cache.put((f"{i}.test", "A"), DnsAnswer(f"{i}.test", "A", "ok", ttl=300))
    assert len(cache) == 3 and cache.get(("0.test", "A")) is None and cache.get(("4.test", "A")) is not None


# -- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"concurrency": 0}, "concurrency", "out of range: give a whole number from 1 to 10000 domains"),
        ({"dns_timeout": "soon"}, "dns_timeout", "'soon' is not a number of seconds"),
        ({"deadline": 1, "dns_timeout": 2}, "deadline", "shorter than one DNS query's timeout"),
        ({"selectors": ["bad selector"]}, "selectors", "is not valid: use the s= value of a DKIM-Signature"),
        ({"nameservers": ["1.2.3.4 5"]}, "nameservers", "contains a space"),
        ({"probe_mx": "yes"}, "probe_mx", "is not True or False"),
        ({"chunk_size": 2.5}, "chunk_size", "whole number"),
        ({"mx_port": 70000}, "mx_port", "out of range"),
        ({"probes_per_network": 0}, "probes_per_network", "out of range: give a whole number from 1 to 1000"),
        ({"cafile": "/no/such/ca.pem"}, "cafile", "does not exist"),
    ],
)
def test_audit_config_refuses_what_cannot_work(kwargs: dict, field: str, message: str) -> None:  # type: ignore[type-arg]
    from smtpkit.errors import InvalidSettings

    with pytest.raises(InvalidSettings, match=message) as caught:
        AuditConfig(**kwargs)
    assert caught.value.field == field


def test_audit_config_normalises() -> None:
    config = AuditConfig(selectors=["Google", "s1._domainkey.example.com", "google"], nameservers="127.0.0.1:53")
    assert config.selectors == ("google", "s1") and config.nameservers == ("127.0.0.1:53",)
    import pickle

    assert pickle.loads(pickle.dumps(config)) == config


def test_with_probe_mx_the_same_findings_as_check_domain_mta_sts_included(lab) -> None:  # type: ignore[no-untyped-def]
    """--probe-mx adds the receiving side (MTA-STS fetched over HTTPS, TLS-RPT, every MX over STARTTLS):
    then every finding is check_domain's."""
    options = lab.domain_options()
    config = AuditConfig(
        nameservers=(lab.nameserver,),
        cafile=options["cafile"],
        allow_private=True,
        mta_sts_port=options.get("mta_sts_port", 443),
        mx_port=options.get("mx_port", 25),
        trust_anchor=options.get("trust_anchor"),
        probe_mx=True,
        dns_timeout=5.0,
        deadline=60,
        concurrency=10,  # probes of a loaded test machine: a generous deadline, fewer at once
    )
    domains = [z for z in lab.dns.zones if not z.endswith(".arpa")]
    df = audit_chunk(domains, config).set_index("domain")
    # the rows whose SPF tree holds a name that does not answer (see the test above) could not be checked
    assert sorted(df[df["status"] != "checked"].index) == ["dmarc-rollout.test", "spf-dns-error.test"]
    keys = ("nameservers", "cafile", "allow_private", "mta_sts_port", "mx_port", "trust_anchor")
    check = {k: options[k] for k in keys if k in options}
    for domain in domains:
        report = check_domain(domain, timeout=40, dns_timeout=3.0, probe_mx=True, **check)
        assert df.loc[domain, "codes"] == report.codes(), domain
        # what could not be checked from here (port 25 unreachable, a lookup that failed) is info in the row
        said = ["info" if f.code in NOT_CHECKED_HERE else f.severity.value for f in report.findings]
        assert df.loc[domain, "severities"] == said, domain
    blocked = [d for d in domains if "mx.tls.port25_blocked" in df.loc[d, "codes"]]
    assert blocked, "a lab domain whose MX answers nowhere: the probe could not check it"
    for domain in blocked:  # a condition of this machine's network: neither a warning nor a lower grade
        assert df.loc[domain, "n_warn"] == sum(s == "warn" for s in df.loc[domain, "severities"]), domain
        assert "warn" not in [
            s
            for c, s in zip(df.loc[domain, "codes"], df.loc[domain, "severities"], strict=True)
            if c in NOT_CHECKED_HERE
        ]
    assert df.loc["sts-testing.test", "mta_sts"] == "testing" and df.loc["sts-enforce.test", "mta_sts"] == "enforce"
    # a policy senders ignore is unusable, whatever mode it names (it was counted as enforcing)
    assert df.loc["sts-syntax.test", "mta_sts"] == "unusable" and df.loc["sts-404.test", "mta_sts"] == "unusable"
    assert df.loc["smtpkit.test", "mta_sts"] == "none" and bool(df.loc["smtpkit.test", "tls_rpt"])
    assert not bool(df.loc["hosted.test", "tls_rpt"])
    assert bool(df.loc["smtpkit.test", "mx_starttls"]) and not bool(df.loc["mxtls-badname.test", "mx_starttls"])
    # copies of the lab zones probe their template's mail hosts, so they find what their template finds
    copies = [m for m in portfolio(400) if m.template in ("smtpkit.test", "hosted.test", "mxtls-nostarttls.test")]
    assert {m.template for m in copies} == {"smtpkit.test", "hosted.test", "mxtls-nostarttls.test"}
    probed = audit_chunk([m.domain for m in copies], config)
    for member, codes in zip(copies, probed["codes"], strict=True):
        assert codes == df.loc[member.template, "codes"], member


def test_a_cancelled_domain_leaves_none_of_its_steps_running(slow_dns: DnsServer) -> None:
    """A domain's check cancelled from outside (a run stopped, a worker's stream closing) cancels every step it
    started (DKIM, DMARC, ...), not only the steps read ahead: nothing keeps asking the resolver for it."""
    config = AuditConfig(nameservers=(slow_dns.nameserver,), dns_timeout=2.0, deadline=10, selectors=SELECTORS)

    async def cancel_midway() -> list[asyncio.Task[Any]]:
        shared = SharedResolver(config.nameservers, config.dns_timeout, cache=DnsCache(100), query_limit=100)
        try:
            check = asyncio.ensure_future(check_one(0, "smtpkit.test", config, shared))
            await asyncio.sleep(0.4)  # the first answers are in (300 ms late): its later steps are asking
            started = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and t is not check]
            assert started, "the check should have steps under way"
            check.cancel()
            with pytest.raises(asyncio.CancelledError):
                await check
            await asyncio.wait(started, timeout=0.1)  # a cancelled step unwinds at once; a live one waits 300 ms
            return [t for t in started if not t.done()]
        finally:
            shared.close()

    assert asyncio.run(cancel_midway()) == []


def test_a_resolver_that_denies_the_top_level_domain_too_leaves_the_row_could_not_check() -> None:
    """As check_domain: NXDOMAIN from a resolver that says .uk does not exist is the resolver's, not the domain's."""
    from tests.support.peers import dns_server

    with dns_server([], zones=["."]) as server:
        config = AuditConfig(nameservers=(server.nameserver,), dns_timeout=1.0, deadline=10, selectors=SELECTORS)
        row = audit_chunk(["rosebakery.co.uk"], config).iloc[0]
    assert row["status"] == "could not check" and list(row["codes"]) == ["domain.resolver_broken"], dict(row)
    assert pd.isna(row["grade"]) or not row["grade"]
