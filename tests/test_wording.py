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

