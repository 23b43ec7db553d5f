"""docs/audit.md documents every column of the audit table, in order, with the text the code uses."""

from __future__ import annotations

import re

from smtpkit.audit.row import COLUMNS
from tests.support.paths import ROOT


def test_every_column_is_documented_in_order() -> None:
    text = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| (.+) \|$", text, flags=re.MULTILINE)
    assert [name for name, _doc in documented] == [c.name for c in COLUMNS]
    for (_name, doc), column in zip(documented, COLUMNS, strict=True):
        assert doc == column.doc, column.name
