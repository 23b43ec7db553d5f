"""DMARC records with digits from other scripts (issue 14, item 5): refused like receivers refuse them.

`int()` reads "٥٠", "５０", "5_0" and " 50 ", and `\\d` matches every Unicode
digit: a pct=٥٠ counted as 50 % while the tag check called it invalid, and
ri=٨٦٤٠٠ and a report size of !١٠m passed as valid.
"""

from __future__ import annotations

import pytest

from smtpkit.dmarc.record import parse_record, parse_uris


@pytest.mark.parametrize("value", ["\u0665\u0660", "\uff15\uff10", "5_0", "\U0001d7d3\U0001d7ce"])
def test_pct_in_another_script_is_invalid_and_counts_as_the_default(value: str) -> None:
    rec = parse_record(f"v=DMARC1; p=reject; pct={value}")
    assert rec.pct == 100
    assert [p.tag for p in rec.problems] == ["pct"]


@pytest.mark.parametrize("value", ["\u0668\u0666\u0664\u0660\u0660", "\uff18\uff16\uff14\uff10\uff10"])
def test_ri_in_another_script_is_invalid(value: str) -> None:
    rec = parse_record(f"v=DMARC1; p=reject; ri={value}")
    assert [p.tag for p in rec.problems] == ["ri"]


@pytest.mark.parametrize("size", ["\u0661\u0660m", "\uff11\uff10", "\u0967\u0966k"])
def test_a_report_size_limit_in_another_script_is_refused(size: str) -> None:
    good, bad = parse_uris(f"mailto:dmarc@example.test!{size}")
    assert good == [] and bad and "size limit" in bad[0]


def test_ascii_values_still_count() -> None:
    rec = parse_record("v=DMARC1; p=reject; pct=50; ri=3600; rua=mailto:d@example.test!10m")
    assert rec.pct == 50 and rec.problems == []
