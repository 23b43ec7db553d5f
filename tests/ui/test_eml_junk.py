"""Junk uploaded as a .eml (an image, random bytes, an empty file) is "not an e-mail message", not a DKIM failure."""

from __future__ import annotations

import random

import pytest

from smtpkit.ui.views import verify_eml

_RNG = random.Random(4)  # junk that is the same every run: a failure can be replayed


@pytest.mark.parametrize("junk", [b"\x89PNG\r\n\x1a\n" + _RNG.randbytes(500), b"", _RNG.randbytes(64)])
def test_junk_is_not_an_e_mail_message(junk: bytes) -> None:
    panel = verify_eml(junk, name="holiday.eml")
    text = panel.to_text()
    assert panel.status == "warn"  # could not check: neither a pass nor a DKIM failure
    assert panel.title == "holiday.eml: This is not an e-mail message the kit can read"
    assert "message.unreadable" in text and "Download original" in panel.to_html()
    assert "we can read (" not in text.split("Evidence:")[0]  # the reason once, not wrapped in itself
