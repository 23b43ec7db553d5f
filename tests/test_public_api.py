"""The public API is what docs/api.md lists, no more and no less (httpx's test_exported_members idea).

`smtpkit.__all__` and the names of docs/api.md's tables must be the same set,
every name must import, and every documented name must say what it is. To add
a public name: `smtpkit/__init__.py` (`_LAZY`) and a row in docs/api.md.
"""

from __future__ import annotations

import re

import smtpkit
from tests.support.paths import ROOT

DOC = ROOT / "docs" / "api.md"
_ROW = re.compile(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \| (.+?) \|$", re.MULTILINE)


def documented() -> dict[str, str]:
    return {m.group(1): m.group(2).strip() for m in _ROW.finditer(DOC.read_text(encoding="utf-8"))}


def test_all_is_exactly_the_documented_names() -> None:
    names = documented()
    exported = set(smtpkit.__all__)
    assert len(smtpkit.__all__) == len(exported), "a name is twice in smtpkit.__all__"
    undocumented = sorted(exported - set(names))
    unexported = sorted(set(names) - exported)
    assert not undocumented, f"in smtpkit.__all__ but not in docs/api.md (add a row): {undocumented}"
    assert not unexported, f"in docs/api.md but not in smtpkit.__all__ (add it to smtpkit/__init__.py): {unexported}"


def test_every_public_name_imports_and_says_what_it_is() -> None:
    for name, text in documented().items():
        assert getattr(smtpkit, name) is not None, name
        assert len(text) > 10, f"docs/api.md: say what {name} is"


def test_the_readme_points_at_the_list() -> None:
    assert "docs/api.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_unknown_names_are_an_attribute_error() -> None:
    try:
        smtpkit.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("smtpkit.no_such_name should not exist")
