"""The running lab at a glance: where it is, the login, and every scenario with the finding it teaches.

The one view of a `LabInfo` (its HTML and text views, and `ui.lab_overview`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpkit.render.panel import Panel, Table

if TYPE_CHECKING:
    from smtpkit.lab.lab import LabInfo

__all__ = ["overview"]


def overview(lab: LabInfo) -> Panel:
    """The lab's facts, its SMTP scenarios, the domains its DNS server answers for, and what is missing here."""
    facts = {
        "running in": lab.origin,
        "user": lab.user,
        "password": "set (kept in memory, never shown)",
        "DNS server": lab.nameserver if lab.dns is not None else "not running",
        "healthy domain": lab.domain,
        "CA file (trust it to verify lab certificates)": lab.ca_file,
    }
    # four columns, so the description has room to be read next to unbreakable names
    rows = [
        {
            "scenario": r["name"],
            "address (security)": f"{r['host']}:{r['port']} ({r['security']})",
            "expected finding": r["expected finding"] or f"none ({r['shows']})",
            "what it demonstrates": r["what it demonstrates"],
        }
        for r in lab.rows()
    ]
    panel = Panel(
        "The practice lab is running",
        [("Where", facts), ("SMTP scenarios", Table(rows, transpose=False))],
        status="pass",
    )
    if lab.dns is not None:
        zones = [z for z in lab.dns.zones if not z.endswith(".arpa")]
        panel.add("Domains its DNS server answers for", ", ".join(zones))
    if lab.skipped:
        panel.add("Not available on this machine", [{"scenario": k, "why": v} for k, v in lab.skipped.items()])
    return panel
