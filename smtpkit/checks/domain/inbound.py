"""The receiving side of a domain check: how mail *to* the domain is protected (MTA-STS, TLS-RPT).

These steps depend on each other, so they run in one job of `check_domain`,
each part as early as its inputs allow: the MX hosts and the MTA-STS policy
first, then the matching and the TLS-RPT record (whose absence matters only
once the domain asks senders to require TLS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpkit.checks.domain.mta_sts import discover_policy, mta_sts_step
from smtpkit.checks.domain.mx import mx_targets
from smtpkit.checks.domain.tlsrpt import tlsrpt_step
from smtpkit.model import Step
from smtpkit.net.dns import Resolver

if TYPE_CHECKING:
    from smtpkit.checks.domain import DomainQuery

#: The steps `inbound_steps` adds, in report order.
INBOUND_STEPS = ("mta_sts", "tlsrpt")


def inbound_steps(query: DomainQuery, resolver: Resolver, deadline: float, results: dict[str, Step]) -> None:
    """Fill `results` with the inbound steps of `query` (each kept as it lands, like the other jobs)."""
    import time

    targets = mx_targets(query.domain, resolver)
    sts = discover_policy(
        query.domain,
        resolver,
        port=query.mta_sts_port,
        cafile=query.cafile,
        allow_private=query.allow_private,
        timeout=max(0.5, min(10.0, deadline - time.monotonic())),
        deadline=deadline,
    )
    results["mta_sts"] = mta_sts_step(sts, [t.exchange for t in targets])
    uses = ["MTA-STS"] if sts.published else []
    results["tlsrpt"] = tlsrpt_step(query.domain, resolver, uses=uses)
