"""Pure knowledge: finding codes, reply codes, provider signatures and presets.

Nothing in this package touches a socket; everything is a table or a pure
function, so each explanation can be tested with plain strings.
"""

from smtpkit.knowledge.catalogue import FindingSpec, catalogue, finding, render_markdown, spec

__all__ = ["FindingSpec", "catalogue", "finding", "render_markdown", "spec"]
