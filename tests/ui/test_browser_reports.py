"""Notebook 08's "Your own reports" as a person uses it, in a real browser: report files chosen in the upload
button's file dialog, "Skip reverse DNS" ticked, Run clicked, the findings read off the page.

Nothing here reads the notebook's Python state: what the page shows is what is asserted. The files are the
practice lab's month of reports, as a person would have saved them; with reverse DNS skipped nothing is asked
of any DNS server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import failure_shot, form_cells, run_and_wait

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

REPORTS = ("08_dmarc_reports", "Press Run above")


def chosen_reports() -> list[str]:
    """A few of the lab's month, among them its broken zip: what a person picks in the file dialog."""
    from smtpkit.lab import reports as lab_reports

    month = sorted(Path(lab_reports.month_folder()).iterdir())
    zips = [p for p in month if p.suffix == ".zip" and not p.name.startswith("broken")][:6]
    jsons = [p for p in month if p.suffix == ".json"][:3]
    broken = [p for p in month if p.name.startswith("broken")]
    return [str(p) for p in zips + jsons + broken]


def test_reports_uploaded_are_read_with_run(notebooks: Any, jupyterlab: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = notebooks.open(*REPORTS)
    form, result = form_cells(page, "smtpkit-upload")
    try:
        expect(result).to_contain_text("Press Run above")
        run_and_wait(form, result)  # nothing chosen yet: said on the upload button, nothing read
        expect(form.locator(".smtpkit-error-upload")).to_contain_text("Nothing to read")
        expect(result).to_contain_text("Nothing was run")
        files = chosen_reports()
        with page.expect_file_chooser() as dialog:
            form.locator("button.widget-upload").click()
        dialog.value.set_files(files)  # what a person picks in the file dialog
        expect(form.locator(".smtpkit-chosen")).to_contain_text(f"{len(files)} files")
        expect(form.locator(".smtpkit-error-upload")).to_have_text("")  # the mark goes once files are chosen
        form.locator(".smtpkit-offline").get_by_text("Skip reverse DNS").click()
        run_and_wait(form, result, timeout=120_000)
        expect(result).to_contain_text("What was read")
        expect(result).to_contain_text("6 aggregate reports")
        expect(result).to_contain_text("Findings and fixes")
        expect(result).to_contain_text("Amazon SES")
        expect(result).to_contain_text("upload: broken-receiver-one.test")  # named as uploaded
        expect(result.locator(".smtpkit-mode-banner")).to_contain_text(f"{len(files)} uploaded files")
        assert result.locator("svg").count() >= 3  # the charts
        # a domain that is not one: marked on its field, the result cleared rather than kept as this Run's
        domain = form.locator(".smtpkit-domain input")
        domain.click()
        domain.press_sequentially("not a domain")
        run_and_wait(form, result, press=domain)  # Enter in the field runs, as Run does
        expect(form.locator(".smtpkit-error-domain [role=alert]")).to_contain_text("is not a domain name")  # said aloud
        expect(result).to_contain_text("Nothing was run")
        expect(result).not_to_contain_text("Findings and fixes")
    except BaseException:
        print("screenshot:", failure_shot(page, jupyterlab, "08_dmarc_reports-own"))
        raise
