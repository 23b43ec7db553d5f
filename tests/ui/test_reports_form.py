"""Notebook 08's form for your own reports: files uploaded (through the widget, as the browser sends them) or
a folder typed, read with Run; bad values marked on their field and nothing read; the senders' reverse DNS
asked of the DNS server typed (the lab's here), never of this computer's in a test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from smtpkit.lab import reports as lab_reports
from smtpkit.ui import ReportsForm
from smtpkit.ui.reports import MAX_UPLOAD


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


@pytest.fixture(scope="module")
def month() -> list[Path]:
    """The lab's month of reports, as files a person would have saved."""
    return sorted(Path(lab_reports.month_folder()).iterdir())


def _as_browser_sends(paths: list[Path]) -> tuple[dict[str, Any], ...]:
    """What ipywidgets' FileUpload holds once the browser has sent these files (ipywidgets 8's shape)."""
    now = dt.datetime.now(dt.UTC)
    return tuple(
        {
            "name": p.name,
            "type": "",
            "size": p.stat().st_size,
            "last_modified": now,
            "content": memoryview(p.read_bytes()),
        }
        for p in paths
    )


def test_uploaded_reports_are_read_with_run(month: list[Path], shell: Any) -> None:
    form = ReportsForm(offline=True)
    form.upload.value = _as_browser_sends(month[:40])
    assert "40 files" in form.chosen.value
    form.upload.value = _as_browser_sends(month)  # a second pick replaces the first, as the button's count says
    assert "217 files" in form.chosen.value
    with capture_output() as cap:
        form.run()
    html, text = cap.outputs[0].data["text/html"], cap.outputs[0].data["text/plain"]
    assert "smtpkit-mode-own" in html and "217 uploaded files" in text
    assert "155 aggregate reports" in text and "Findings and fixes" in text
    assert "Amazon SES" in text and "simulation for dmarc-rollout.test" in text
    assert "reports.policy_not_ready" in text and "certificate-expired" in text
    assert "The next step" not in text  # said once, by the policy finding
    assert "<h4>Senders</h4>" not in html  # the senders are in their step, not also in the summary above it
    assert html.count("<svg") >= 3  # the charts, inline, as they survive export
    # a file that could not be used is named as it was uploaded, not by a temporary folder gone since
    assert "upload: broken-receiver-one.test" in text and "smtpkit-uploads-" not in html
    assert form.last_result.status == "fail"  # legitimate senders fail DMARC in the lab's month
    form._clear_upload()
    assert "No file chosen" in form.chosen.value
    assert "Nothing to read" in form.compute().to_text()


def test_a_folder_typed_is_read_and_a_domain_and_date_keep_only_theirs(month: list[Path]) -> None:
    form = ReportsForm(offline=True)
    form.folder.value = str(month[0].parent)
    every = form.compute().to_text()
    assert "217 files" in every and "smtpkit.test" in every
    form.domain.value = "dmarc-rollout.test"
    form.since.value = "2026-03-25"
    kept = form.compute().to_text()
    assert "domains: dmarc-rollout.test" in kept and "smtpkit.test" not in kept.split("Findings")[0]
    assert "20 aggregate reports" in kept  # the reports whose period ends on or after 25 March


def test_the_senders_reverse_dns_is_asked_of_the_dns_server_typed(lab: Any, month: list[Path]) -> None:
    form = ReportsForm(nameserver=lab.nameserver)
    for path in month:
        form.add_file(path.name, path.read_bytes())
    shown = form.compute()
    text = shown.to_text()
    assert f"Reverse DNS: {lab.nameserver}" in text
    assert "reverse DNS" in text and "(your own, no reverse DNS)" not in text  # named from the lab's PTRs
    offline = ReportsForm(offline=True)
    for path in month:
        offline.add_file(path.name, path.read_bytes())
    assert "(your own, no reverse DNS)" in offline.compute().to_text()


def test_files_that_hold_no_report_say_what_to_save_instead() -> None:
    form = ReportsForm(offline=True)
    form.add_file("notes.txt", b"hello, these are not reports")
    shown = form.compute()
    text = shown.to_text()
    assert shown.status == "warn" and "No DMARC aggregate or TLS-RPT report was found" in text
    assert "rua=" in text and "upload: notes.txt" in text


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("upload", None, "Nothing to read"),
        ("folder", "/no/such/folder/anywhere", "does not exist on the computer that runs this notebook"),
        ("domain", "not a domain", "is not a domain name"),
        ("since", "last tuesday-ish", "is not a date"),
        ("nameservers", "127.0.0.1:99999", "DNS servers listen on 53"),
    ],
)
def test_a_value_that_cannot_be_used_is_marked_on_its_field_and_nothing_is_read(
    field: str, value: str | None, words: str
) -> None:
    form = ReportsForm(offline=True)
    if field != "upload":
        form.add_file("a.xml", b"<feedback/>")
        {"folder": form.folder, "domain": form.domain, "since": form.since, "nameservers": form.nameserver}[
            field
        ].value = value
    form.click(timeout=30)
    assert words in form.fields.marked.get(field, ""), form.fields.marked
    assert form.last_result is None and "Nothing was run" in form.status.value


def test_more_than_the_upload_cap_is_refused_with_the_folder_as_the_way(month: list[Path]) -> None:
    form = ReportsForm(offline=True)
    form.add_file("huge.xml", b" " * (MAX_UPLOAD + 1))
    form.click(timeout=30)
    assert "type it in Folder" in form.fields.marked["upload"]


def test_run_reads_in_a_worker_thread_and_the_result_replaces_the_placeholder(month: list[Path], shell: Any) -> None:
    form = ReportsForm(offline=True)
    with capture_output():
        form.results()
    for path in month[:30]:
        form.add_file(path.name, path.read_bytes())
    shown = form.click(timeout=60)
    assert "Findings and fixes" in shown.to_text()
    assert "Last run: Your reports: 30 uploaded files" in form.status.value


def test_a_domain_or_date_that_keeps_no_report_says_what_the_files_hold(month: list[Path]) -> None:
    """It said "No DMARC aggregate or TLS-RPT report was found in these files" and told the person to save their
    attachments again, when only the Since date was past the last report."""
    form = ReportsForm(offline=True)
    form.folder.value = str(month[0].parent)
    form.since.value = "2026-04-01"
    shown = form.compute()
    assert shown.status == "warn"
    assert shown.note.startswith("No report ends on or after 2026-04-01: the files hold 215 reports about")
    assert "from 2026-03-01 to 2026-03-30" in shown.note and "not found in these files" not in shown.to_text()
    form.since.value, form.domain.value = "", "example.com"
    assert form.compute().note.startswith("No report is about example.com: the files hold 215 reports")
    form.domain.value, form.since.value = "", "03/04/2026"  # 3 April or 4 March: refused, not guessed
    form.click(timeout=30)
    assert "year-month-day" in form.fields.marked["since"]


def test_a_dns_server_that_does_not_answer_is_said_not_taken_for_senders_without_names(month: list[Path]) -> None:
    """With a DNS server that never answered, the senders were named from their DKIM and SPF domains alone and
    one of them turned "unknown" (spoofing), under a banner naming that server as if it had been used."""
    import socket

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # reads nothing, answers nothing
    silent.bind(("127.0.0.1", 0))
    try:
        form = ReportsForm(nameserver=f"127.0.0.1:{silent.getsockname()[1]}")
        form.folder.value = str(month[0].parent)
        shown = form.compute()
    finally:
        silent.close()
    assert "Reverse DNS did not work" in shown.note
    assert "gave no answer for 16 of the 16 sending addresses" in shown.note
    assert "tick Skip reverse DNS" in shown.note
    assert "where it answered" in shown.to_text()  # the spoofing finding does not lean on names never given


def test_the_refusal_beside_run_goes_once_the_field_is_fixed(month: list[Path]) -> None:
    """ "Nothing was run: fix the field Upload (marked above)" stayed beside Run after files were chosen."""
    form = ReportsForm(offline=True)
    form.click(timeout=30)
    assert "Nothing was run" in form.status.value and form.fields.marked
    form.add_file(month[0].name, month[0].read_bytes())
    assert not form.fields.marked and form.status.value == ""
    form.domain.value = "x"  # an edit with nothing marked leaves the status alone
    assert form.status.value == ""


def test_one_run_marks_every_field_that_cannot_be_used() -> None:
    """A bad folder, domain and date took three Runs to find, one field a Run."""
    form = ReportsForm(offline=True)
    form.folder.value, form.domain.value, form.since.value = "~/no-such-reports", "bad domain", "31.03.2026"
    form.click(timeout=30)
    assert set(form.fields.marked) == {"folder", "domain", "since"}, form.fields.marked
    assert "Nothing was run" in form.status.value and form.last_result is None
