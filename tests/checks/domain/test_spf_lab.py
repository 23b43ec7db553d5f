"""Every SPF lesson of the lab's zones, diagnosed through the domain check (not through the lint alone).

`smtpkit/lab/zones/spf.py` has one broken domain per SPF mistake; the domain
check must name each with its code and a corrected record, the way a person
running `smtpkit domain <name>` meets it.
"""

from __future__ import annotations

import pytest

from smtpkit.checks.domain import check_domain
from smtpkit.net.dns import Resolver

LESSONS = [
    ("spf-multiple.test", "spf.multiple_records", '"v=spf1 include:spf-relay.test mx -all"'),
    ("spf-void-lookups.test", "spf.void_lookups", '"v=spf1 ip4:127.0.0.1 -all"'),
    ("spf-include-loop.test", "spf.include_loop", '"v=spf1 ip4:192.0.2.90 -all"'),
    ("spf-include-missing.test", "spf.include_target_missing", '"v=spf1 mx -all"'),
    ("spf-too-many-mx.test", "spf.too_many_mx", "ip4:192.0.2."),
    ("spf-no-all.test", "spf.no_all", "~all"),
    ("spf-ptr.test", "spf.ptr_deprecated", '"v=spf1 ip4:192.0.2.120 -all"'),
    ("spf-type99.test", "spf.deprecated_rr_type", '"v=spf1 mx -all"'),
]


@pytest.mark.parametrize(("domain", "code", "fix"), LESSONS, ids=[c for _d, c, _f in LESSONS])
def test_each_spf_zone_is_named_by_the_domain_check(resolver: Resolver, domain: str, code: str, fix: str) -> None:
    report = check_domain(domain, resolver=resolver)
    spf = report.step("spf")
    assert spf is not None
    codes = [f.code for f in spf.findings]
    assert code in codes, codes
    f = next(f for f in spf.findings if f.code == code)
    assert fix in f.fix, f.fix
    assert f.explanation and f.evidence
