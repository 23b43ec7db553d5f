"""Finding codes for the settings themselves: a target that cannot be checked as typed.

Raised before any network step, with the field and what to type instead.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="target.invalid",
        severity=Severity.FAIL,
        step="input",
        title="The setting '{field}' cannot be used",
        explanation=(
            "Before contacting any server we check the settings, because a wrong value produces a confusing error "
            "from the server several steps later. This one is not usable: {message}"
        ),
        fix=(
            "Correct the '{field}' setting as described above and run the check again; the other settings were "
            "not checked yet."
        ),
    ),
]
