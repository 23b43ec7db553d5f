"""The evidence flow's checks: a received message and bounces -> Steps with Findings.

`analyze_message` (journey, auth-results, re-verification, requirements) and
`analyze_bounce` / `analyze_bounces` (one row per failed recipient).
"""

from smtpkit.checks.evidence.bounce import analyze_bounce, analyze_bounces, summarize_bounces
from smtpkit.checks.evidence.message import analyze_message

__all__ = ["analyze_bounce", "analyze_bounces", "analyze_message", "summarize_bounces"]
