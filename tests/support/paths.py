"""Where the tests find the checkout and the shared conformance data (which may be absent)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# SMTPKIT_SHARED points a git worktree (whose parent has no shared/) at the data
SHARED = Path(os.environ.get("SMTPKIT_SHARED") or ROOT.parent / "shared")
CONFORMANCE = SHARED / "conformance"
