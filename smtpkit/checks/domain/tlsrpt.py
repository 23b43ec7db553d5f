"""The `tlsrpt` step: the domain's TLS reporting record (RFC 8460), and whether it is needed.

A TLS-RPT record matters once the domain asks senders to require TLS (MTA-STS
or DANE): without it their refusals are silent. So the step takes `uses`
(what the other inbound steps found published) and only then turns a
missing record into a finding; on a domain with neither, a missing record is
simply noted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from smtpkit.knowledge import finding
from smtpkit.model import Finding, Status, Step
from smtpkit.net.dns import Resolver
from smtpkit.tlsrpt import parse_record, select_records


def tlsrpt_step(domain: str, resolver: Resolver, *, uses: Sequence[str] = ()) -> Step:
    """Look up and read ``_smtp._tls.<domain>`` TXT; `uses` names what needs it ("MTA-STS", "DANE")."""
    start = time.monotonic()
    name = f"_smtp._tls.{domain}"
    ans = resolver.txt(name)
    details: dict[str, Any] = {"record name": name, "lookup": ans.status}
    findings: list[Finding] = []
    status = Status.PASS
    if ans.failed:
        findings.append(
            finding(
                "tlsrpt.lookup_failed",
                ans.error or ans.status,
                domain=domain,
                name=name,
                status=ans.status.upper(),
                error=ans.error or ans.status,
            )
        )
        summary = f"TLS-RPT lookup failed ({ans.status})"
    else:
        records = select_records(ans.texts if ans.ok else [])
        if not records:
            if uses:
                findings.append(
                    finding("tlsrpt.missing", f"{name} TXT -> none", domain=domain, uses=" and ".join(uses))
                )
                summary = f"no TLS-RPT record, although {domain} publishes {' and '.join(uses)}"
            else:
                status = Status.INFO
                summary = "no TLS-RPT record (only needed with MTA-STS or DANE)"
        elif len(records) > 1:
            shown = "; ".join(f'"{r}"' for r in records)
            findings.append(finding("tlsrpt.multiple_records", shown, domain=domain, count=len(records), records=shown))
            summary = f"{len(records)} TLS-RPT records: senders ignore them all"
        else:
            rec = parse_record(records[0])
            details["record"] = rec.text
            if rec.valid:
                details["reports go to"] = ", ".join(rec.destinations)
                summary = f"reports go to {', '.join(rec.destinations)}"
            else:
                problems = "; ".join(rec.problems)
                findings.append(
                    finding("tlsrpt.record_invalid", rec.text, domain=domain, record=rec.text, problems=problems)
                )
                summary = "the TLS-RPT record is invalid: senders ignore it"
    step = Step(
        name="tlsrpt",
        status=status,
        summary=summary,
        elapsed_ms=(time.monotonic() - start) * 1000,
        details=details,
    )
    step.add(*findings)
    return step
