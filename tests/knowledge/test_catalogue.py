"""The finding catalogue: well-formed, documented, and docs/findings.md up to date."""

from __future__ import annotations

import pytest

from smtpkit.cli import main
from smtpkit.knowledge.catalogue import FindingSpec, catalogue, finding, render_markdown, template_fields
from smtpkit.model import Severity
from tests.support.paths import ROOT

DOC = ROOT / "docs" / "findings.md"


def test_findings_doc_is_generated_from_catalogue() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/findings.md is stale: run  smtpkit findings --markdown > docs/findings.md"
    )


@pytest.mark.parametrize("spec", sorted(catalogue().values(), key=lambda s: s.code), ids=lambda s: s.code)
def test_every_spec_is_complete(spec: FindingSpec) -> None:
    assert spec.title.strip() and spec.explanation.strip() and spec.fix.strip()
    assert spec.step.strip()
    assert spec.code.split(".")[0] == spec.code.split(".")[0].lower()
    # a fix is an action: it must say something concrete, not just "fix it"
    assert len(spec.fix) >= 25, f"{spec.code}: fix too short to be actionable"
    assert len(spec.explanation) >= 40, f"{spec.code}: explanation too short to explain"
    # templates render with every parameter missing, without raising
    f = spec.make()
    assert f.code == spec.code


def test_template_parameters_are_filled() -> None:
    spec = FindingSpec(
        "demo.code", Severity.WARN, "demo", "Port {port}", "We tried {port} on {host}.", "Use port {port} or 587."
    )
    assert template_fields(spec.explanation) == {"port", "host"}
    f = spec.make("evidence", port=25, host="mx.example.test")
    assert f.title == "Port 25" and f.explanation == "We tried 25 on mx.example.test." and f.evidence == "evidence"
    missing = spec.make()
    assert "(host unknown)" in missing.explanation


def test_provider_fix_replaces_generic_fix() -> None:
    spec = FindingSpec(
        "demo.provider",
        "fail",
        "auth",
        "t",
        "explanation long enough to explain",
        "generic fix",
        provider_fixes={"gmail": "Create a Gmail App Password for {user}."},
    )
    assert spec.make(provider="gmail", user="a@b").fix == "Create a Gmail App Password for a@b."
    assert spec.make(provider="sendgrid").fix == "generic fix"


def test_bad_codes_are_rejected() -> None:
    with pytest.raises(ValueError):
        FindingSpec("NoDots", "fail", "s", "t", "e", "f")
    with pytest.raises(ValueError):
        FindingSpec("Upper.Case", "fail", "s", "t", "e", "f")
    with pytest.raises(KeyError, match="unknown finding code"):
        finding("no.such.code")


def test_findings_cli_lists_and_explains(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings"]) == 0
    listing = capsys.readouterr().out
    codes = sorted(catalogue())
    for code in codes:
        assert code in listing
    if codes:
        assert main(["findings", codes[0]]) == 0
        assert "Fix:" in capsys.readouterr().out
    assert main(["findings", "no.such.area"]) == 2
