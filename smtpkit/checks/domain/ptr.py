"""The `ptr` step: reverse DNS of a sending IP, and whether it is forward-confirmed (FCrDNS).

Receivers do exactly this on every connection (RFC 8601 "iprev"): PTR of the
client IP, then A/AAAA of each name, and trust the name only if the IP comes
back. A missing or unconfirmed PTR is one of the most common reasons mail from
a fresh VPS is rejected, and the fix lives with the IP's owner, not in the
sender's own DNS zone, which the finding says plainly.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from smtpkit.knowledge import finding
from smtpkit.model import Finding, Status, Step
from smtpkit.net.dns import Resolver, reverse_name

# RFC 8601 §3 lets verifiers stop after a few names; receivers commonly check up to 10.
MAX_PTR_NAMES = 10


def ptr_step(ip: str, resolver: Resolver, *, domain: str | None = None) -> Step:
    """Check the PTR of `ip` and confirm each name forward; `domain` only shapes the suggested name."""
    start = time.monotonic()
    addr = ipaddress.ip_address(ip.strip())
    ip_text = str(addr)
    name = reverse_name(ip_text)
    family = "AAAA" if addr.version == 6 else "A"
    suggested = f"mail.{domain}" if domain else "mail.<your-domain>"
    ans = resolver.resolve(name, "PTR")
    findings: list[Finding] = []
    rows: list[dict[str, Any]] = []
    confirmed: list[str] = []
    details: dict[str, Any] = {"ip": ip_text, "reverse name": name, "PTR lookup": ans.status}
    if ans.failed:
        findings.append(
            finding(
                "ptr.lookup_failed",
                ans.error or ans.status,
                ip=ip_text,
                name=name,
                status=ans.status.upper(),
                error=ans.error or ans.status,
            )
        )
        summary = f"reverse lookup failed ({ans.status})"
    elif ans.void or not ans.texts:
        findings.append(
            finding(
                "ptr.missing",
                f"{name} PTR -> {ans.status.upper()}",
                ip=ip_text,
                name=name,
                status=ans.status.upper(),
                suggested=suggested,
            )
        )
        summary = f"{ip_text} has no PTR record"
    else:
        names = [t.rstrip(".") for t in ans.texts][:MAX_PTR_NAMES]
        forwards: list[str] = []
        for host in names:
            fwd = resolver.resolve(host, family)
            addrs = fwd.texts if fwd.ok else []
            match = any(ipaddress.ip_address(a) == addr for a in addrs)
            if match:
                confirmed.append(host)
            rows.append(
                {
                    "PTR name": host,
                    f"{family} lookup": fwd.status,
                    "addresses": ", ".join(addrs),
                    "points back": match,
                }
            )
            if not match:
                if fwd.failed:
                    forwards.append(f"the {family} lookup of {host} failed ({fwd.status})")
                elif addrs:
                    forwards.append(f"{host} resolves to {', '.join(addrs)}, not to {ip_text}")
                else:
                    forwards.append(f"{host} has no {family} record ({fwd.status.upper()})")
        details["PTR names"] = ", ".join(names)
        if confirmed:
            summary = f"{ip_text} -> {confirmed[0]} -> {ip_text} (forward-confirmed)"
        else:
            all_failed = all(r[f"{family} lookup"] in ("timeout", "servfail", "refused", "error") for r in rows)
            if all_failed:
                findings.append(
                    finding(
                        "ptr.lookup_failed",
                        "; ".join(forwards),
                        ip=ip_text,
                        name=names[0],
                        status="no answer",
                        error="; ".join(forwards),
                    )
                )
            else:
                findings.append(
                    finding(
                        "ptr.not_forward_confirmed",
                        f"{name} PTR {', '.join(names)}; " + "; ".join(forwards),
                        ip=ip_text,
                        ptr_names=", ".join(names),
                        forward="; ".join(forwards) + ".",
                        first_name=names[0],
                        family=family,
                    )
                )
            summary = f"{ip_text} -> {', '.join(names)}, which does not point back"
    details["forward-confirmed"] = bool(confirmed)
    step = Step(
        name="ptr",
        status=Status.PASS,
        summary=summary,
        elapsed_ms=(time.monotonic() - start) * 1000,
        details=details,
        tables={"reverse dns": rows} if rows else {},
    )
    step.add(*findings)
    return step
