"""MTA-STS (RFC 8461): the ``_mta-sts`` TXT record, the policy file, and which MX hosts a policy covers.

Pure parsing and matching; fetching the policy is `smtpkit.net.https`, and
turning the results into findings is `smtpkit.checks.domain.mta_sts`.

>>> policy = parse_policy("version: STSv1\\nmode: enforce\\nmx: *.example.net\\nmax_age: 604800\\n")
>>> policy.mode, policy.covers("mx1.example.net"), policy.covers("example.net")
('enforce', True, False)
"""

from smtpkit.mta_sts.policy import MAX_AGE_LIMIT, MAX_POLICY_BYTES, Policy, mx_matches, parse_policy
from smtpkit.mta_sts.record import StsRecord, parse_record, select_records

__all__ = [
    "MAX_AGE_LIMIT",
    "MAX_POLICY_BYTES",
    "Policy",
    "StsRecord",
    "mx_matches",
    "parse_policy",
    "parse_record",
    "select_records",
]
