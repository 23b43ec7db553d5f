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
    headings = [h.strip() for h in table.locator("thead th").all_inner_texts()]
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
        expect(result).to_contain_text("1 invalid names")
        expect(result).to_contain_text("Practice lab")  # the lab's domains, asked of the lab's DNS server
        table = result.locator("table", has=page.locator("th", has_text="status_reason"))
        assert _domains(table) == ["spf-plus-all.test", "smtpkit.test", ""], _domains(table)  # worst first
        table.locator("th", has_text="domain").first.click()
        assert _domains(table) == ["", "smtpkit.test", "spf-plus-all.test"], _domains(table)  # sorted by domain
        table.locator("th", has_text="domain").first.click()
        assert _domains(table) == ["spf-plus-all.test", "smtpkit.test", ""], _domains(table)  # and back
    except BaseException:
        print("screenshot:", failure_shot(page, jupyterlab, "10_portfolio_audit-paste"))
        raise
