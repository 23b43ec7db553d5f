"""Notebook 10 as a person uses it, in a real browser: domains typed into its paste form, Run clicked, the
result's table sorted by a click on a column heading.

Nothing here reads the notebook's Python state: what the page shows is what is asserted. The domains pasted
are the practice lab's, asked of the lab's DNS server that JupyterLab's kernels share.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import failure_shot, form_cells, run_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PORTFOLIO = ("10_portfolio_audit", "Press Run above")


def _domains(table: Any) -> list[str]:
    """The domain column of the sortable table, top to bottom, as the page shows it."""
    headings = [h.strip(" \u25b2\u25bc") for h in table.locator("thead th").all_inner_texts()]
    column = headings.index("domain")
    return [row.locator("td").nth(column).inner_text().strip() for row in table.locator("tbody tr").all()]


def test_pasted_domains_are_audited_and_the_table_sorts_by_a_click(notebooks: Any, jupyterlab: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = notebooks.open(*PORTFOLIO)
    form, result = form_cells(page, "smtpkit-domains")
    try:
        expect(result).to_contain_text("Press Run above")  # Run All: where the result will be, no empty table
        field = form.locator(".smtpkit-domains textarea")
        field.click()
        field.press_sequentially("spf-plus-all.test\nsmtpkit.test\nnot a domain\n")
        run_and_wait(form, result, timeout=120_000)  # Run clicked; the result replaces the message in place
        expect(result).to_contain_text("Portfolio audit")
        expect(result).to_contain_text("3 domains")
        expect(result).to_contain_text("1 invalid name.")
        expect(result).to_contain_text("Practice lab")  # the lab's domains, asked of the lab's DNS server
        table = result.locator("table", has=page.locator("th", has_text="dmarc_policy"))
        # worst first; an invalid name shows the line as typed (its domain is empty)
        assert _domains(table) == ["spf-plus-all.test", "smtpkit.test", "not a domain"], _domains(table)
        heading = table.locator("th", has_text="domain").first
        heading.click()
        assert _domains(table) == ["not a domain", "smtpkit.test", "spf-plus-all.test"], _domains(table)  # by domain
        expect(heading).to_have_text("domain \u25b2")  # the heading says it sorts the table, and which way
        heading.click()
        assert _domains(table) == ["spf-plus-all.test", "smtpkit.test", "not a domain"], _domains(table)  # and back
        expect(heading).to_have_text("domain \u25bc")
        expect(table.locator("th", has_text="grade").first).to_have_text("grade")
        # scrolled sideways to the record columns, the table keeps each row's domain in view
        box = table.locator("xpath=..")
        scrolled = box.evaluate("e => { e.scrollLeft = e.scrollWidth; return e.scrollLeft; }")
        assert scrolled > 0, "the table should be wider than its box here, or this proves nothing"
        page.wait_for_timeout(100)
        first, frame = table.locator("tbody tr td").first.bounding_box(), box.bounding_box()
        assert first is not None and frame is not None and abs(first["x"] - frame["x"]) < 3, (first, frame)
        # a DNS server that cannot be used: marked on its field, in lines that read as one message, and the
        # last result cleared rather than left under "Nothing was run" as if it were this Run's
        dns = form.locator(".smtpkit-nameservers input")
        dns.click()
        dns.press_sequentially("127.0.0.1:99999")
        run_and_wait(form, result)
        message = form.locator(".smtpkit-error-nameservers")
        expect(message).to_contain_text("DNS servers listen on 53")
        expect(result).to_contain_text("Nothing was run")
        expect(result).not_to_contain_text("Portfolio audit")
        spacing = message.locator(".widget-html-content").evaluate(
            "e => parseFloat(getComputedStyle(e).lineHeight) / parseFloat(getComputedStyle(e).fontSize)"
        )
        assert spacing < 1.6, spacing  # not the 28 px line of a one-line widget
    except BaseException:
        print("screenshot:", failure_shot(page, jupyterlab, "10_portfolio_audit-paste"))
        raise
