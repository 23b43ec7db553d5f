"""SPF lint codes, the spf Step and `smtpkit spf`, each against a broken lab domain over real DNS on loopback."""

from __future__ import annotations

import json

import pytest

from smtpkit.checks.domain.spf import lint_findings, spf_findings, spf_step
from smtpkit.model import Status
from smtpkit.net.dns import Resolver
from smtpkit.spf import check_host, parse_record
from smtpkit.spf.lint import analyze, edit_record, lint_problems, merge_records

LAB_IP = "127.0.0.1"


@pytest.fixture(scope="module")
def spf_lab():  # type: ignore[no-untyped-def]
    """The lab's DNS server serving the healthy domain and the broken SPF domains."""
    from smtpkit.lab.dns_server import DnsServer
    from smtpkit.lab.zones import lab_zoneset

    zs = lab_zoneset(LAB_IP, modules=["smtpkit.lab.zones.healthy", "smtpkit.lab.zones.spf"])
    with DnsServer(zs, "127.0.0.1", 0) as server:
        yield server


@pytest.fixture()
def resolver(spf_lab) -> Resolver:  # type: ignore[no-untyped-def]
    return Resolver(nameservers=[spf_lab.nameserver], timeout=2.0)


def codes(domain: str, resolver: Resolver, ip: str | None = None):  # type: ignore[no-untyped-def]
    an = analyze(domain, resolver)
    res = check_host(ip, domain, f"alice@{domain}", resolver=resolver) if ip else None
    found = lint_findings(an, res, ip=ip)
    return {f.code: f for f in found}, an, res


def test_zones_are_discovered_with_the_whole_lab() -> None:
    from smtpkit.lab.zones import lab_zoneset
    from smtpkit.lab.zones import spf as zones_spf

    served = lab_zoneset(LAB_IP).zone_names()
    assert set(zones_spf.ZONES) <= set(served)


def test_healthy_domain_is_clean(resolver: Resolver) -> None:
    found, an, res = codes("smtpkit.test", resolver, LAB_IP)
    assert found == {}
    assert res is not None and res.result.value == "pass" and an.lookups == 0


def test_missing(resolver: Resolver) -> None:
    found, _an, res = codes("spf-missing.test", resolver, LAB_IP)
    f = found["spf.missing"]
    assert "none starts with v=spf1" in f.explanation
    assert '"v=spf1 mx ~all"' in f.fix  # the lab address is the MX host: 'mx' covers it
    assert res is not None and res.result.value == "none"


def test_multiple_records_merged(resolver: Resolver) -> None:
    found, _an, res = codes("spf-multiple.test", resolver, LAB_IP)
    f = found["spf.multiple_records"]
    assert '"v=spf1 include:spf-relay.test mx -all"' in f.fix  # the union, with the strictest all
    assert res is not None and res.result.value == "permerror" and res.error_kind == "multiple_records"
    merged = merge_records(["v=spf1 mx -all", "v=spf1 include:spf-relay.test ~all"])
    assert merged == merge_records(["v=spf1 include:spf-relay.test ~all", "v=spf1 mx -all"])
    assert parse_record(merged).ok
    assert merge_records(["v=spf1 a +all", "v=spf1 mx"]) == "v=spf1 a mx ~all"  # never keep +all


def test_syntax_error_points_at_term_and_fix_evaluates(resolver: Resolver) -> None:
    found, _an, res = codes("spf-syntax.test", resolver, LAB_IP)
    f = found["spf.syntax_error"]
    assert f.evidence.splitlines()[-1].strip() == "^" * len("inlude:spf-relay.test")
    assert "inlude:spf-relay.test" in f.title
    assert '"v=spf1 mx include:spf-relay.test -all"' in f.fix
    assert res is not None and res.result.value == "permerror" and res.error_term == "inlude:spf-relay.test"


def test_too_many_lookups_counts_per_include_and_flattens(resolver: Resolver) -> None:
    found, an, res = codes("spf-too-many-lookups.test", resolver, "192.0.2.200")
    f = found["spf.too_many_lookups"]
    assert an.lookups == 15
    rows = {r["term"]: r["lookups"] for r in an.include_rows()}
    assert rows == {
        "mx": 1,
        "a": 1,
        "include:_bulk.spf-too-many-lookups.test": 9,
        "include:spf-relay.test": 1,
        "include:_crm.spf-too-many-lookups.test": 3,
    }
    assert "include:_bulk.spf-too-many-lookups.test alone costs 9 lookups" in f.fix
    corrected = f.fix.split('Corrected record: "')[1].rstrip('"')
    assert "include:_bulk" not in corrected and "ip4:192.0.2.65" in corrected and "ip4:192.0.2.68" in corrected
    # an address no term matches runs into the limit at a receiver
    assert res is not None and res.result.value == "permerror" and res.error_kind == "lookup_limit"
    assert res.lookups == 11 and res.error_term == "a:out4.spf-too-many-lookups.test"


def test_void_lookups(resolver: Resolver) -> None:
    found, _an, res = codes("spf-void-lookups.test", resolver, LAB_IP)
    f = found["spf.void_lookups"]
    assert f.severity.value == "fail"  # three voids: over the limit of two
    assert "gone1.spf-void-lookups.test" in f.explanation
    assert f'"v=spf1 ip4:{LAB_IP} -all"' in f.fix
    assert res is not None and res.result.value == "permerror" and res.void_lookups == 3


def test_include_loop(resolver: Resolver) -> None:
    found, _an, res = codes("spf-include-loop.test", resolver, LAB_IP)
    f = found["spf.include_loop"]
    assert f.title.endswith("spf-include-loop.test -> _a.spf-include-loop.test -> spf-include-loop.test")
    assert '"v=spf1 ip4:192.0.2.90 -all"' in f.fix
    assert res is not None and res.result.value == "permerror" and res.error_kind == "loop"


def test_include_target_missing(resolver: Resolver) -> None:
    found, _an, res = codes("spf-include-missing.test", resolver, "192.0.2.200")
    f = found["spf.include_target_missing"]
    assert "_spf.spf-include-missing.test" in f.explanation and '"v=spf1 mx -all"' in f.fix
    assert res is not None and res.result.value == "permerror" and res.error_kind == "target_missing"


def test_dns_error_gives_temperror(spf_lab) -> None:  # type: ignore[no-untyped-def]
    quick = Resolver(nameservers=[spf_lab.nameserver], timeout=0.5, retries=0)
    found, _an, res = codes("spf-dns-error.test", quick, "192.0.2.200")
    f = found["spf.dns_error"]
    assert "TXT _spf.spf-dns-error.test TIMEOUT" in f.title
    assert res is not None and res.result.value == "temperror" and res.error_kind == "dns"


def test_too_many_mx(resolver: Resolver) -> None:
    found, _an, res = codes("spf-too-many-mx.test", resolver, LAB_IP)
    f = found["spf.too_many_mx"]
    assert "11 MX" in f.title or "11 MX" in f.explanation
    corrected = f.fix.split('"')[1]
    assert parse_record(corrected).ok and "mx" not in corrected.split() and corrected.count("ip4:192.0.2.1") == 10
    assert res is not None and res.result.value == "permerror" and res.error_kind == "too_many_names"


def test_the_ten_mx_hosts_read_are_the_first_by_preference_whatever_the_answer_order(spf_lab) -> None:  # type: ignore[no-untyped-def]
    """The lab's server shuffles an MX answer's records, as many servers do; which ten of eleven MX hosts the
    lint reads (and so which questions a domain costs, the audit's dns_queries) must not depend on it."""
    first_ten = [f"mx{i}.spf-too-many-mx.test" for i in range(10)]
    for _ in range(8):
        resolver = Resolver(nameservers=[spf_lab.nameserver], timeout=2.0)
        an = analyze("spf-too-many-mx.test", resolver)
        assert an.mx_hosts == [*first_ten, "mx10.spf-too-many-mx.test"]
        addressed = {q.name.rstrip(".") for q in resolver.log if q.rdtype in ("A", "AAAA") and q.name.startswith("mx")}
        assert addressed == set(first_ten)


@pytest.mark.parametrize(
    ("domain", "code", "severity", "corrected"),
    [
        ("spf-plus-all.test", "spf.plus_all", "fail", "v=spf1 mx ~all"),
        ("spf-neutral-all.test", "spf.neutral_all", "warn", "v=spf1 mx ~all"),
        ("spf-no-all.test", "spf.no_all", "warn", "v=spf1 mx ip4:192.0.2.0/28 ~all"),
        ("spf-ptr.test", "spf.ptr_deprecated", "warn", "v=spf1 ip4:192.0.2.120 -all"),
        ("spf-type99.test", "spf.deprecated_rr_type", "warn", "v=spf1 mx -all"),
    ],
)
def test_policy_codes(resolver: Resolver, domain: str, code: str, severity: str, corrected: str) -> None:
    found, _an, _res = codes(domain, resolver)
    f = found[code]
    assert f.severity.value == severity
    assert f'"{corrected}"' in f.fix


def test_record_too_long(resolver: Resolver) -> None:
    found, _an, _res = codes("spf-too-long.test", resolver)
    f = found["spf.record_too_long"]
    assert "698 characters" in f.title
    assert 'spf-too-long.test TXT "v=spf1 mx include:_spf.spf-too-long.test -all"' in f.fix
    assert '_spf.spf-too-long.test TXT "v=spf1 ip4:198.51.100.10' in f.fix


def test_ip_not_authorized_names_the_term_to_add(resolver: Resolver) -> None:
    found, _an, res = codes("spf-not-authorized.test", resolver, LAB_IP)
    f = found["spf.ip_not_authorized"]
    assert res is not None and res.result.value == "fail"
    assert f"add ip4:{LAB_IP} before the all term" in f.fix
    assert f'"v=spf1 mx ip4:192.0.2.0/28 ip4:{LAB_IP} -all"' in f.fix
    # and the suggested record really authorises the address
    assert "ip4:127.0.0.1" in parse_record(f.fix.split('"')[1]).terms[2].text


def test_ip_not_authorized_prefers_mx_when_ip_is_an_mx_host(resolver: Resolver) -> None:
    found, _an, res = codes("spf-ptr.test", resolver, LAB_IP)
    assert res is not None and res.result.value == "fail"
    assert "add mx before the all term" in found["spf.ip_not_authorized"].fix


def test_neutral_result_is_a_warning(resolver: Resolver) -> None:
    found, _an, res = codes("spf-neutral-all.test", resolver, "192.0.2.200")
    assert res is not None and res.result.value == "neutral"
    assert found["spf.ip_not_authorized"].severity.value == "warn"


def test_lint_reports_facts_and_the_check_words_them(resolver: Resolver) -> None:
    """The engine says what is wrong (kind and values); the finding's words come from checks/domain/spf.py."""
    an = analyze("spf-plus-all.test", resolver)
    (problem,) = lint_problems(an)
    assert problem.kind == "plus_all" and problem.facts["corrected"] == "v=spf1 mx ~all"
    assert all(not isinstance(v, str) or len(v) < 80 for v in problem.facts.values())  # values, not sentences
    (f,) = spf_findings([problem])
    assert f.code == "spf.plus_all" and "v=spf1 mx ~all" in f.fix


def test_edit_record() -> None:
    assert edit_record("v=spf1 mx -all", insert_before_all=("ip4:192.0.2.1",)) == "v=spf1 mx ip4:192.0.2.1 -all"
    assert (
        edit_record("v=spf1 mx redirect=x.example.com", insert_before_all=("a",))
        == "v=spf1 mx a redirect=x.example.com"
    )
    assert edit_record("v=spf1 mx", insert_before_all=("a",)) == "v=spf1 mx a"
    assert edit_record("v=spf1 ptr mx -all", remove=("ptr",)) == "v=spf1 mx -all"


# -- the Step -------------------------------------------------------------------------


def test_step_with_ip_has_details_tables_and_trace(resolver: Resolver) -> None:
    step = spf_step("smtpkit.test", resolver, ip=LAB_IP, sender="app@smtpkit.test")
    assert step.name == "spf" and step.status is Status.PASS
    assert step.details["lookups used"] == "0 of 10"
    assert step.details[f"result for {LAB_IP}"] == "pass"
    assert set(step.tables) == {"reading", "trace", "lookups per include"}  # no lookups: no include tree
    assert step.tables["trace"][0]["term"].startswith("[check_host] smtpkit.test")
    assert any(row["matched"] == "yes" for row in step.tables["trace"])
    json.dumps(step.to_dict())


def test_step_fails_with_findings(resolver: Resolver) -> None:
    step = spf_step("spf-too-many-lookups.test", resolver)
    assert step.status is Status.FAIL
    assert [f.code for f in step.findings] == ["spf.too_many_lookups"]
    assert step.details["lookups used"] == "15 of 10"
    assert step.tables["lookups per include"][2]["over limit"] is True
    assert step.tables["trace"][1]["term"].strip().startswith("[include] _bulk")


def test_step_for_missing_record(resolver: Resolver) -> None:
    step = spf_step("spf-missing.test", resolver)
    assert step.status is Status.FAIL and step.details["record"] == "(none)"
    assert "no SPF record" in step.summary


def test_step_rejects_bad_ip(resolver: Resolver) -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        spf_step("smtpkit.test", resolver, ip="999.1.1.1")


# -- the CLI --------------------------------------------------------------------------


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    from smtpkit.cli import main

    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_pass_and_text(spf_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, out, _ = run_cli(["spf", "smtpkit.test", "--ip", LAB_IP, "--nameserver", spf_lab.nameserver], capsys)
    assert rc == 0
    assert out.startswith(f"SPF result for {LAB_IP} sending as postmaster@smtpkit.test: PASS")
    assert "spf: trace" in out and "ip4:127.0.0.0/8" in out


def test_cli_fail_json(spf_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, out, _ = run_cli(
        [
            "spf",
            "spf-not-authorized.test",
            "--ip",
            LAB_IP,
            "--sender",
            "billing@spf-not-authorized.test",
            "--json",
            "--nameserver",
            spf_lab.nameserver,
        ],
        capsys,
    )
    assert rc == 1
    doc = json.loads(out)
    assert doc["result"] == "fail"
    assert "not authorised" in doc["explanation"]
    assert [f["code"] for f in doc["findings"]] == ["spf.ip_not_authorized"]
    assert doc["steps"][0]["tables"]["trace"][-1]["term"].strip() == "-all"


def test_cli_lint_only_exit_codes(spf_lab, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, out, _ = run_cli(["spf", "spf-plus-all.test", "--nameserver", spf_lab.nameserver], capsys)
    assert rc == 1 and "spf.plus_all" in out
    rc, _out, _ = run_cli(["spf", "spf-neutral-all.test", "--nameserver", spf_lab.nameserver], capsys)
    assert rc == 0  # a warning is not a failure


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["spf", "smtpkit.test", "--ip", "not-an-ip"], "is not an IP address"),
        (["spf", "localhost", "--ip", "127.0.0.1"], "not a full domain name"),
        (["spf", "smtpkit.test", "--sender", "nobody"], "not an email address"),
        (["spf", "smtpkit.test", "--nameserver", "127.0.0.1:99999"], "out of range"),
    ],
)
def test_cli_usage_errors(args: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, _out, err = run_cli(args, capsys)
    assert rc == 2 and message in err
