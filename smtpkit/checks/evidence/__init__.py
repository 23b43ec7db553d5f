"""The evidence flow's checks: a received message, bounces and reports -> Steps with Findings.

`analyze_message` (journey, auth-results, re-verification, requirements),
`analyze_bounce` / `analyze_bounces` (one row per failed recipient) and
`reports.check_reports` (DMARC aggregate and TLS-RPT reports, imported on use:
it needs pandas).
"""

from smtpkit.checks.evidence.bounce import analyze_bounce, analyze_bounces, summarize_bounces
from smtpkit.checks.evidence.message import analyze_message

__all__ = ["analyze_bounce", "analyze_bounces", "analyze_message", "summarize_bounces"]
