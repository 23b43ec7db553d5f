"""Every practice-lab scenario a form offers, chosen and run in a real browser, shows its lesson.

The bug these tests would have caught: several lab scenarios (relay denied,
too large, the SES/SendGrid/Send-As refusals, the PTR-mismatch domain) showed
✔ PASS from the form's defaults, and the healthy MX a FAIL for a login it never
needs. Here each scenario offered in a page's own dropdown (for domains, the
Lab domain menu, or the name typed in Domain) is chosen as a person would, Run is clicked, and the
result in the page must show the lesson's finding codes (`smtpkit.lab.lessons`
says which) without opening anything, with no "this lesson did not appear"
note in its banner; a healthy server must not fail.

Every lab server is offered by the server form of 00_start_here, 01_connection
and 06_report, and every lab domain by the domain form of 05_spf_dkim_dmarc
and 06_report. Each scenario is run once, the list shared out between two
notebooks' forms ("lanes") that run side by side (two kernels, two pages), so
the ~125 runs fit in the suite's time; the lists offered are checked in
every form.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.browser import failure_shot, form_cells

pytestmark = [pytest.mark.browser]

RESULT_WAIT_MS = 45_000


@dataclass
class Lane:
    """One notebook's form, where part of the scenarios run."""

    notebook: str
    form: Any  # the form's cell
    result: Any  # the cell whose output Run updates
    title: str  # the form's title, which starts its result's heading


def _open(notebooks: Any, notebook: str, last_text: str, marker: str, title: str, index: int = 0) -> Lane:
    page = notebooks.open(notebook, last_text)
    form, result = form_cells(page, marker, index)
    return Lane(notebook, form, result, title)


def _offered(select: Any) -> list[tuple[str, str]]:
    """(label, endpoint name) of every option in a scenario dropdown, as the page lists them."""
    labels = [" ".join(t.split()) for t in select.locator("option").all_text_contents()]
    return [(label, label.split(":", 1)[0]) for label in labels]


def _codes_shown(panel: Any) -> list[str]:
    """The finding codes the result shows, visible on the page without opening anything."""
    codes = [c.strip() for c in panel.locator(".finding code:visible").all_text_contents()]
    return [c for c in codes if re.fullmatch(r"[a-z_]+(\.[a-z0-9_]+)+", c)]


def _in_lanes(
    lanes: list[Lane], items: list[str], start: Callable[[Lane, str], None], check: Callable[[Lane, str], list[Any]]
) -> list[Any]:
    """Start one item in each lane, then check each: the lanes' kernels and pages work side by side."""
    wrong: list[Any] = []
    todo = list(items)
    while todo:
        batch = [(lane, todo.pop(0)) for lane in lanes if todo]
        for lane, item in batch:
            start(lane, item)
        for lane, item in batch:
            try:
                wrong += check(lane, item)
            except Exception as exc:  # noqa: BLE001 - one scenario's trouble is reported with the others
                wrong.append((item, lane.notebook, f"{type(exc).__name__}: {str(exc)[:300]}"))
    return wrong


def _report(lanes: list[Lane], jupyterlab: dict[str, Any], wrong: list[Any], what: str) -> None:
    if wrong:
        shots = [failure_shot(lane.form.page, jupyterlab, f"{lane.notebook}-lessons") for lane in lanes]
        listed = "\n".join(map(str, wrong))
        pytest.fail(f"{len(wrong)} {what} did not show their lesson (screenshots {shots}):\n{listed}")


@pytest.mark.timeout(420)
def test_every_lab_server_offered_shows_its_lesson(notebooks, jupyterlab):
    from playwright.sync_api import expect

    from smtpkit.lab.lessons import server_lesson

    lab = jupyterlab["lab"]
    started = time.monotonic()
    lanes = [
        _open(notebooks, "01_connection", "Refused versus silent", "smtpkit-scenario", "Connection check"),
        _open(notebooks, "00_start_here", "Mailgun", "smtpkit-scenario", "Server check"),
    ]
    labels: dict[str, str] = {}
    for lane in lanes:
        lane.form.scroll_into_view_if_needed()
        lane.form.locator(".smtpkit-mode button", has_text="Practice lab").click()
        offered = _offered(lane.form.locator(".smtpkit-scenario select"))
        assert [n for _l, n in offered] == lab.names, f"{lane.notebook} offers every lab server"
        labels = dict((n, label) for label, n in offered)

    def start(lane: Lane, name: str) -> None:
        select = lane.form.locator(".smtpkit-scenario select")
        select.click()
        select.select_option(label=labels[name])
        run = lane.form.locator("button.smtpkit-run")
        expect(run).to_be_enabled()
        run.click()

    def check(lane: Lane, name: str) -> list[Any]:
        heading = re.compile(rf"{re.escape(lane.title)}: lab scenario {name} \(")
        panel = lane.result.locator(".smtpkit-panel", has=lane.result.page.locator("h3", has_text=heading)).first
        panel.wait_for(timeout=RESULT_WAIT_MS)
        banner = lane.result.locator(".smtpkit-mode-banner").first.inner_text()
        shown = _codes_shown(panel)
        expected = server_lesson(lab, name).expect
        wrong = []
        if not banner.startswith("Practice lab:") or "Note:" in banner:
            wrong.append((name, lane.notebook, "banner", banner))
        if expected and not set(expected) & set(shown):
            wrong.append((name, lane.notebook, expected, shown))
        if not expected and "FAIL" in panel.locator("h3").first.inner_text():
            wrong.append((name, lane.notebook, "a healthy server must not fail", shown))
        return wrong

    wrong = _in_lanes(lanes, list(lab.names), start, check)
    _report(lanes, jupyterlab, wrong, "lab servers")
    print(f"{len(lab.names)} lab servers in {time.monotonic() - started:.0f} s")


@pytest.mark.timeout(300)
def test_the_send_form_shows_each_envelope_lesson_in_its_fields_and_its_result(notebooks, jupyterlab):
    """The send form shows the envelope: a lesson's outside recipient or "really send" is in those fields.

    The scenarios are those whose lesson sets the envelope (every scenario runs in the test
    above); each is shown by its fields when chosen, then by its result.
    """
    from playwright.sync_api import expect

    from smtpkit.lab.lessons import server_lesson

    lab = jupyterlab["lab"]
    envelope = [n for n in lab.names if {"rcpt_to", "send"} & set(server_lesson(lab, n).settings)]
    assert {"relay_denied", "too_large", "ses_unverified_sender", "o365_send_as_denied"} <= set(envelope)
    lane = _open(notebooks, "04_send", "How servers refuse a message", "smtpkit-scenario", "Send check")
    lane.form.locator(".smtpkit-mode button", has_text="Practice lab").click()
    select = lane.form.locator(".smtpkit-scenario select")
    labels = {n: label for label, n in _offered(select)}
    wrong = []
    for name in envelope:
        select.select_option(label=labels[name])
        settings = server_lesson(lab, name).settings
        if "rcpt_to" in settings:
            expect(lane.form.locator(".smtpkit-rcpt-to input")).to_have_value(", ".join(settings["rcpt_to"]))
        if settings.get("send"):
            expect(lane.form.locator(".smtpkit-send input[type=checkbox]")).to_be_checked()
        lane.form.locator("button.smtpkit-run").click()
        heading = re.compile(rf"Send check: lab scenario {name} \(")
        panel = lane.result.locator(".smtpkit-panel", has=lane.result.page.locator("h3", has_text=heading)).first
        panel.wait_for(timeout=RESULT_WAIT_MS)
        shown = _codes_shown(panel)
        if not set(server_lesson(lab, name).expect) & set(shown):
            wrong.append((name, server_lesson(lab, name).expect, shown))
    _report([lane], jupyterlab, wrong, "envelope lessons")


@pytest.mark.timeout(600)
def test_every_lab_domain_offered_shows_its_lesson(notebooks, jupyterlab):
    from playwright.sync_api import expect

    from smtpkit.lab.lessons import domain_lesson
    from smtpkit.ui.lab import lab_domain_settings, lab_zones

    lab = jupyterlab["lab"]
    started = time.monotonic()
    lanes = [
        _open(notebooks, "05_spf_dkim_dmarc", "v=DKIM1", "smtpkit-domain", "Domain check"),
        _open(notebooks, "06_report", "Press Run above", "smtpkit-domain", "Domain check"),
    ]
    zones = lab_zones(lab)
    labels: dict[str, str] = {}
    for lane in lanes:
        lane.form.scroll_into_view_if_needed()
        lane.form.locator(".smtpkit-mode button", has_text="Practice lab").click()
        expect(lane.form.locator(".smtpkit-mode button.mod-active")).to_have_text("Practice lab")
        menu = lane.form.locator(".smtpkit-lab-domain select")
        expect(menu).to_be_visible()
        offered = _offered(menu)
        assert [z for _l, z in offered] == zones, f"{lane.notebook}: the Lab domain menu lists every lab domain"
        assert all(label != zone for label, zone in offered), "each domain is said with what is wrong with it"
        labels = dict((z, label) for label, z in offered)

    def start(lane: Lane, zone: str) -> None:
        if lane.notebook.startswith("05"):  # chosen from the menu, as the hint says
            menu = lane.form.locator(".smtpkit-lab-domain select")
            menu.click()
            menu.select_option(label=labels[zone])
            # the lesson's own name: a name under the zone for some (ghost.dmarc-np.test)
            expect(lane.form.locator(".smtpkit-domain input")).to_have_value(lab_domain_settings(lab, zone).domain)
        else:  # typed, as someone who knows the name does
            lane.form.locator(".smtpkit-domain input").fill(zone)
        expect(lane.form.locator(".smtpkit-mode button.mod-active")).to_have_text("Practice lab")
        run = lane.form.locator("button.smtpkit-run")
        expect(run).to_be_enabled()
        run.click()

    def check(lane: Lane, zone: str) -> list[Any]:
        checked = lab_domain_settings(lab, zone).domain  # a lesson on a name under the zone (news.dmarc-sp-none.test)
        heading = re.compile(rf"Domain check: {re.escape(checked)}$")
        panel = lane.result.locator(".smtpkit-panel", has=lane.result.page.locator("h3", has_text=heading)).first
        panel.wait_for(timeout=RESULT_WAIT_MS)
        banner = lane.result.locator(".smtpkit-mode-banner").first.inner_text()
        shown = _codes_shown(panel)
        missing = [code for code in domain_lesson(lab, zone).expect if code not in shown]
        wrong = []
        if missing:
            wrong.append((zone, lane.notebook, missing, shown))
        if not banner.startswith("Practice lab:") or "Note:" in banner:
            wrong.append((zone, lane.notebook, "banner", banner))
        return wrong

    wrong = _in_lanes(lanes, zones, start, check)
    _report(lanes, jupyterlab, wrong, "lab domains")
    print(f"{len(zones)} lab domains in {time.monotonic() - started:.0f} s")
