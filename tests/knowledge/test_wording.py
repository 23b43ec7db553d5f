"""Wording that reads right wherever it is shown: the CLI, a notebook's form, or Python.

Explanations are the product, and notebooks show the same fixes as the CLI: a hint
that only names a command-line flag leaves a person with a form stuck.
"""

from __future__ import annotations

import re

import pytest

from smtpkit.knowledge.catalogue import catalogue

# a flag, and what must stand beside it for a person who is not on the command line
FRONT_END_NEUTRAL = {
    "--timeout": "Timeout field",
    "--send": "send=True",
    "--insecure-allow-plaintext-auth": "allow_plaintext_auth=True",
    "--allow-private": "command line",
}


@pytest.mark.parametrize("flag", sorted(FRONT_END_NEUTRAL))
def test_catalogue_fixes_that_name_a_flag_also_name_the_form_or_python(flag: str) -> None:
    pattern = re.compile(re.escape(flag) + r"(?![\w-])")
    offenders = [
        code
        for code, spec in catalogue().items()
        for text in (spec.fix, spec.explanation, *spec.provider_fixes.values())
        if pattern.search(text) and FRONT_END_NEUTRAL[flag] not in text
    ]
    assert not offenders, f"{flag} without '{FRONT_END_NEUTRAL[flag]}' in: {sorted(set(offenders))}"


def test_recipient_unknown_reads_naturally_with_and_without_a_recipient(capsys: pytest.CaptureFixture[str]) -> None:
    from smtpkit.cli import main
    from smtpkit.knowledge.rules import classify_reply

    main(["explain", "550 5.1.1 x"])
    out = " ".join(capsys.readouterr().out.split())
    assert "there is no mailbox for the recipient's address (550 5.1.1 x)" in out
    assert "no mailbox the recipient" not in out
    known = classify_reply("rcpt", 550, "5.1.1 x", rcpt_to="bob@example.com")
    assert known is not None and "there is no mailbox for bob@example.com (" in known.explanation
    assert "Check the spelling of bob@example.com" in known.fix


# "mailbox the recipient", "account your account", "(MAIL FROM) your sender address": a
# placeholder's default pasted after a noun that already names it
_GARBLED = re.compile(r"\b(mailbox|account|username|recipient|sender|MAIL FROM\)) (the|your) ", re.IGNORECASE)


def test_no_template_reads_garbled_with_the_defaults_for_a_pasted_reply() -> None:
    from smtpkit.knowledge.rules import _params

    defaults = _params("rcpt", 550, "5.0.0 x", None, {}, {})
    garbled = []
    for code, spec in catalogue().items():
        for text in (spec.explanation, spec.fix, *spec.provider_fixes.values()):
            rendered = text.format_map(defaults)
            for m in _GARBLED.finditer(rendered):
                garbled.append(f"{code}: …{rendered[max(0, m.start() - 30) : m.end() + 30]}…")
    assert not garbled, garbled
