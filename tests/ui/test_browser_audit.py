"""Notebook 10 as a person uses it, in a real browser: domains pasted into its box, the cell under it run with
Shift+Enter, the result's table sorted by a click on a column heading.

Nothing here reads the notebook's Python state: what the page shows is what is asserted. The domains pasted
are the practice lab's, asked of the lab's DNS server that JupyterLab's kernels share.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import failure_shot, form_cells

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PORTFOLIO = ("10_portfolio_audit", "Nothing pasted")


def _domains(table: Any) -> list[str]:
    """The domain column of the sortable table, top to bottom, as the page shows it."""
    headings = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    column = headings.index("domain")
    return [row.locator("td").nth(column).inner_text().strip() for row in table.locator("tbody tr").all()]


def test_pasted_domains_are_audited_and_the_table_sorts_by_a_click(notebooks: Any, jupyterlab: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = notebooks.open(*PORTFOLIO)
    box, result = form_cells(page, "widget-textarea")
    try:
        expect(result).to_contain_text("Nothing pasted")  # Run All with nothing pasted: what to do, not a table
        field = box.locator("textarea")
        field.click()
        field.press_sequentially("spf-plus-all.test\nsmtpkit.test\nnot a domain\n")
        result.locator(".jp-InputArea-editor").click()  # the cell under the box, as a person selects it
        page.keyboard.press("Shift+Enter")
        expect(result).to_contain_text("Portfolio audit", timeout=120_000)
        expect(result).to_contain_text("3 domains")
        expect(result).to_contain_text("1 invalid names")
        table = result.locator("table", has=page.locator("th", has_text="status_reason"))
        assert _domains(table) == ["spf-plus-all.test", "smtpkit.test", ""], _domains(table)  # worst first
        table.locator("th", has_text="domain").first.click()
        assert _domains(table) == ["", "smtpkit.test", "spf-plus-all.test"], _domains(table)  # sorted by domain
        table.locator("th", has_text="domain").first.click()
        assert _domains(table) == ["spf-plus-all.test", "smtpkit.test", ""], _domains(table)  # and back
    except BaseException:
        print("screenshot:", failure_shot(page, jupyterlab, "10_portfolio_audit-paste"))
        raise
