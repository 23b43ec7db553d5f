"""The forms as a person uses them, in a real browser: modes, providers, typed values, Run, Enter, Cancel.

Each test clicks and types in JupyterLab's page (headless Debian Chromium) and
asserts on what the page shows: which fields are visible, what they hold, the
inline message next to a field, the result's mode banner, the step strip.
Nothing here reads the form's Python state. What they would have caught
(issue 9): a provider hid the form; a host typed in lab mode was checked
through the lab's DNS and CA; a domain of your own was asked of the lab's DNS
with the lab's IP in the suggested SPF record; bad values silently clamped;
Enter did nothing; no progress and no way to stop a silent server.

"Your own" targets never leave the machine: ``localhost`` (from /etc/hosts)
on a port where nothing listens, and ``mydomain.example`` on a DNS server of
the test's own on loopback.

SMTPKIT_SCREENSHOT_DIR=docs/screenshots refreshes the README's mode_*.png and
progress_*.png from these pages.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import failure_shot, form_cells, run_and_wait, screenshot_dir

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

CONNECTION = ("01_connection", "Refused versus silent")
DOMAINS = ("05_spf_dkim_dmarc", "v=DKIM1")
SEND = ("04_send", "How servers refuse a message")


@pytest.fixture(scope="module")
def own_dns() -> Iterator[Any]:
    """A DNS server of our own on loopback: 'your' domain, which the lab knows nothing about."""
    from smtpkit.lab.dns_server import DnsServer
    from smtpkit.lab.zoneset import Record, ZoneSet

    zones = ZoneSet.from_records(
        [
            Record("mydomain.example", "SOA", "ns.mydomain.example. hostmaster.mydomain.example. 1 3600 600 86400 60"),
            Record("mydomain.example", "NS", "ns.mydomain.example."),
            Record("ns.mydomain.example", "A", "127.0.0.1"),
            Record("smtp.mydomain.example", "A", "127.0.0.1"),
            Record("mydomain.example", "MX", (10, "smtp.mydomain.example")),
            Record("mydomain.example", "TXT", "a verification token, but no SPF"),
        ]
    )
    with DnsServer(zones, "127.0.0.1") as server:
        yield server


def _free_port() -> int:
    """A loopback port where nothing listens (bound, read, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mode(cell: Any) -> Any:
    """The pressed button of the form's mode switch."""
    return cell.locator(".smtpkit-mode button.mod-active")


def _choose_mode(cell: Any, label: str) -> None:
    from playwright.sync_api import expect

    cell.locator(".smtpkit-mode button", has_text=label).click()
    expect(_mode(cell)).to_have_text(label)


def _field(cell: Any, name: str) -> Any:
    """The input (or select) of field `name` ("host", "port", "rcpt-to"...)."""
    return cell.locator(f".smtpkit-{name} input, .smtpkit-{name} select").first


def _security_label(value: str) -> str:
    from smtpkit.ui.inputs import SECURITY_CHOICES

    return next((label for label, v in SECURITY_CHOICES if v == value), SECURITY_CHOICES[-1][0])


def _shot(page: Any, name: str, *locators: Any) -> None:
    """Photograph the region covering `locators` (top of the first to the bottom of the last) for the docs.

    The region is scrolled to the top of the notebook, and the window made taller for the
    shot when it does not fit (JupyterLab's status bar would cover its bottom).
    """
    shots = screenshot_dir()
    if shots is None:
        return
    size = page.viewport_size

    def region() -> tuple[float, float, float, float]:
        locators[0].evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(200)
        boxes = [box for box in (loc.bounding_box() for loc in locators) if box]
        top = min(b["y"] for b in boxes) - 8
        bottom = max(b["y"] + b["height"] for b in boxes) + 8
        left = min(b["x"] for b in boxes) - 8
        right = max(b["x"] + b["width"] for b in boxes) + 8
        return left, top, right, bottom

    left, top, right, bottom = region()
    if bottom + 40 > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": int(bottom - top) + 200})
        left, top, right, bottom = region()
    try:
        page.screenshot(
            path=str(shots / f"{name}.png"),
            clip={"x": max(0, left), "y": max(0, top), "width": min(right - left, 1000), "height": bottom - top},
        )
    finally:
        page.set_viewport_size(size)


# -- 1. providers: the form stays whole -------------------------------------------------------------
def test_every_provider_keeps_the_form_whole_and_fills_it(notebooks, jupyterlab):
    from playwright.sync_api import expect

    from smtpkit.knowledge.presets import PRESETS

    page = notebooks.open(*CONNECTION)
    cell, _result = form_cells(page, "smtpkit-scenario")
    cell.scroll_into_view_if_needed()
    _choose_mode(cell, "Practice lab")
    expect(cell.locator(".smtpkit-scenario select")).to_be_visible()
    expect(cell.locator(".smtpkit-provider select")).to_be_hidden()
    _choose_mode(cell, "My server")
    provider = cell.locator(".smtpkit-provider select")
    expect(provider).to_be_visible()
    expect(cell.locator(".smtpkit-scenario select")).to_be_hidden()
    labels = [" ".join(t.split()) for t in provider.locator("option").all_text_contents()]
    presets = {p.name: p for p in PRESETS if p.key != "lab"}
    assert set(labels) == set(presets), "the Provider dropdown offers every provider preset"
    for label in labels:
        p = presets[label]
        provider.click()
        provider.select_option(label=label)
        host = p.host.format(region=p.params.get("default_region", "us-east-1")) if "{region}" in p.host else p.host
        try:
            expect(provider).to_be_visible()
            expect(provider).to_have_value(label)
            expect(_mode(cell)).to_have_text("My server")
            for name in ("host", "port", "security", "username", "password"):
                expect(_field(cell, name)).to_be_visible()
                expect(_field(cell, name)).to_be_editable()
            expect(_field(cell, "host")).to_have_value(host)
            expect(_field(cell, "port")).to_have_value(str(p.default_port) if p.key != "custom" else "")
            expect(_field(cell, "security")).to_have_value(_security_label(p.security))
            expect(_field(cell, "username")).to_have_attribute("placeholder", p.username_hint[:80] or "empty: no login")
            expect(cell.locator("button.smtpkit-run")).to_be_visible()
        except AssertionError as exc:
            shot = failure_shot(page, jupyterlab, f"provider-{p.key}")
            raise AssertionError(f"provider {label}: {exc} (screenshot {shot})") from None
    # and back: the lab's scenario and its server again, the provider dropdown out of the way
    _choose_mode(cell, "Practice lab")
    expect(cell.locator(".smtpkit-scenario select")).to_be_visible()
    expect(provider).to_be_hidden()
    expect(_field(cell, "host")).to_have_value("mail.smtpkit.test")
    # "More settings": its fields line up with those above and the panel does not cut them (they started 18 px
    # to the right of the others, and their right ends were hidden by the panel)
    cell.locator(".smtpkit-more").get_by_text("More settings").first.click()
    expect(_field(cell, "helo")).to_be_visible()
    host_x = _field(cell, "host").bounding_box()["x"]
    panel = cell.locator(".smtpkit-more").bounding_box()
    for name in ("token", "auth-mechanism", "helo", "nameservers", "cafile", "deadline"):
        box = _field(cell, name).bounding_box()
        assert abs(box["x"] - host_x) <= 4, (name, box, host_x)
        assert box["x"] + box["width"] <= panel["x"] + panel["width"], (name, box, panel)


def test_in_06_report_a_provider_in_the_server_form_leaves_the_domain_form_whole(notebooks, jupyterlab):
    """06_report has both forms on one page: they once shared one Layout, and a provider hid the domain's fields."""
    from playwright.sync_api import expect

    page = notebooks.open("06_report", "Press Run above")
    server, _result = form_cells(page, "smtpkit-scenario")
    domain, _domain_result = form_cells(page, "smtpkit-domain")
    server.scroll_into_view_if_needed()
    _choose_mode(server, "My server")
    for label in ("Gmail / Google Workspace", "Microsoft 365 / Exchange Online", "Other server"):
        server.locator(".smtpkit-provider select").select_option(label=label)
        expect(server.locator(".smtpkit-provider select")).to_have_value(label)
        for name in ("host", "port", "security", "username", "password"):
            expect(_field(server, name)).to_be_visible()
        for name in ("domain", "selectors", "ip", "nameservers", "timeout"):
            expect(_field(domain, name)).to_be_visible()
        expect(domain.locator("button.smtpkit-run")).to_be_visible()
        expect(domain.locator(".smtpkit-mode")).to_be_visible()
    _choose_mode(server, "Practice lab")


# -- 2. a host of your own: your resolver, your CAs, no lab value -----------------------------------------
def test_a_host_typed_in_lab_mode_is_checked_as_your_own_server(notebooks, jupyterlab):
    from playwright.sync_api import expect

    lab = jupyterlab["lab"]
    page = notebooks.open(*CONNECTION)
    cell, result = form_cells(page, "smtpkit-scenario")
    _choose_mode(cell, "Practice lab")
    cell.locator(".smtpkit-scenario select").select_option(value=_option(cell, "submission"))
    expect(_field(cell, "host")).to_have_value("mail.smtpkit.test")
    host = _field(cell, "host")
    host.click()
    host.press("Control+a")
    host.press_sequentially("localhost")
    host.press("Tab")  # in the lab, the field sends what was typed when it is left (or on Enter)
    # typing a host is choosing your own server: the switch says so, the lab's values leave the fields
    expect(_mode(cell)).to_have_text("My server")
    expect(cell.locator(".smtpkit-provider select")).to_be_visible()
    expect(cell.locator(".smtpkit-provider select")).to_have_value("Other server")
    expect(cell.locator(".smtpkit-scenario select")).to_be_hidden()
    expect(_field(cell, "port")).to_have_value("")
    expect(_field(cell, "username")).to_have_value("")
    port = _free_port()
    _field(cell, "port").fill(str(port))
    run_and_wait(cell, result)
    banner = result.locator(".smtpkit-mode-banner", has_text=f"localhost:{port}")
    expect(banner).to_be_visible()
    text = banner.inner_text()
    assert text.startswith(f"My server: localhost:{port} ("), text  # "Your own: your server ..." said it twice
    assert "DNS: this computer's own resolver" in text, text
    assert "Certificates trusted: this computer's trusted" in text, text
    assert "Login: none" in text, text
    everything = result.inner_text()
    for lab_value in (lab.nameserver, str(lab.ca_file), lab.user, "practice lab", "Practice lab"):
        assert lab_value not in everything, lab_value
    expect(result.locator(".finding code", has_text="connect.refused").first).to_be_visible()
    expect(cell.locator(".smtpkit-progress")).to_contain_text("Finished")
    _shot(page, "mode_own", cell.locator(".smtpkit-mode"), banner)


def _option(cell: Any, name: str) -> str:
    """The value of scenario `name`'s option in the form's dropdown."""
    labels = cell.locator(".smtpkit-scenario select option").all_text_contents()
    return next(label for label in labels if label.split(":", 1)[0] == name)


def test_practice_lab_comes_back_to_the_lab_domain_chosen(notebooks, jupyterlab):
    """A look at My domain and back to Practice lab put the start domain in the field: the person's choice
    from the Lab domain menu was lost."""
    from playwright.sync_api import expect

    page = notebooks.open(*DOMAINS)
    cell, _result = form_cells(page, "smtpkit-domain")
    _choose_mode(cell, "Practice lab")
    menu = cell.locator(".smtpkit-lab-domain select")
    labels = menu.locator("option").all_text_contents()
    menu.select_option(label=next(label for label in labels if label.startswith("dmarc-pct.test:")))
    domain = cell.locator(".smtpkit-domain input")
    expect(domain).to_have_value("dmarc-pct.test")
    _choose_mode(cell, "My domain")
    expect(domain).to_have_value("")
    _choose_mode(cell, "Practice lab")
    expect(domain).to_have_value("dmarc-pct.test")
    expect(menu).to_have_value(re.compile(r"^dmarc-pct\.test"))


def test_a_host_typed_after_the_labs_name_replaces_it(notebooks, jupyterlab):
    """Clicking into Host and typing, as a person does, put the host after the lab's name:
    "mail.smtpkit.testlocalhost" was checked. The lab's name goes, at the speed a person types."""
    from playwright.sync_api import expect

    page = notebooks.open(*CONNECTION)
    cell, _result = form_cells(page, "smtpkit-scenario")
    _choose_mode(cell, "Practice lab")
    cell.locator(".smtpkit-scenario select").select_option(value=_option(cell, "submission"))
    host = _field(cell, "host")
    expect(host).to_have_value("mail.smtpkit.test")
    host.click()
    host.press("End")
    host.press_sequentially("localhost", delay=40)
    host.press("Tab")
    expect(_mode(cell)).to_have_text("My server")
    expect(host).to_have_value("localhost")
    # once it is your own server, a key is sent as it is typed, and none is lost
    host.click()
    host.press("End")
    host.press_sequentially(".example", delay=20)
    expect(host).to_have_value("localhost.example")


def test_a_lab_result_says_practice_lab(notebooks, jupyterlab):
    """The other mode's banner: the lab's DNS server, the lab's CA, the lesson."""
    from playwright.sync_api import expect

    lab = jupyterlab["lab"]
    page = notebooks.open(*CONNECTION)
    cell, result = form_cells(page, "smtpkit-scenario")
    _choose_mode(cell, "Practice lab")
    cell.locator(".smtpkit-scenario select").select_option(value=_option(cell, "expired_cert"))
    run_and_wait(cell, result)
    banner = result.locator(".smtpkit-mode-banner", has_text="lab scenario expired_cert")
    expect(banner).to_be_visible()
    text = banner.inner_text()
    assert text.startswith("Practice lab:"), text
    assert f"the practice lab's DNS server ({lab.nameserver})" in text, text
    assert "the practice lab's own CA" in text and "Lesson: “" in text and "” (tls.cert.expired)" in text, text
    _shot(page, "mode_lab", cell.locator(".smtpkit-mode"), banner)


# -- the domain form: a domain of your own ---------------------------------------------------------------
def test_a_domain_of_your_own_uses_no_lab_dns_and_no_lab_address(notebooks, jupyterlab, own_dns):
    from playwright.sync_api import expect

    lab = jupyterlab["lab"]
    page = notebooks.open(*DOMAINS)
    cell, result = form_cells(page, "smtpkit-domain")
    _choose_mode(cell, "Practice lab")
    expect(_field(cell, "nameservers")).to_have_value(lab.nameserver)
    domain = _field(cell, "domain")
    domain.click()
    domain.press("Control+a")
    domain.press_sequentially("mydomain.example")
    expect(_mode(cell)).to_have_text("My domain")
    # nothing of the lab stays: no lab DNS server, no lab sending IP, no lab selector
    for name in ("nameservers", "ip", "selectors"):
        expect(_field(cell, name)).to_have_value("")
    _field(cell, "nameservers").fill(own_dns.nameserver)
    run_and_wait(cell, result)
    banner = result.locator(".smtpkit-mode-banner", has_text="My domain: mydomain.example")
    expect(banner).to_be_visible()
    text = banner.inner_text()
    assert text.startswith("My domain: mydomain.example"), text
    assert f"DNS: the DNS server you gave ({own_dns.nameserver})" in text, text
    assert "Sending IP: none given" in text, text
    expect(result.locator(".finding code", has_text="spf.missing").first).to_be_visible()
    everything = result.inner_text()
    assert "v=spf1" in everything  # the suggested record is there to be read...
    assert "ip4:127.0.0.1" not in everything  # ...and it names no lab address
    for lab_value in (lab.nameserver, str(lab.ca_file), "practice lab", "Practice lab"):
        assert lab_value not in everything, lab_value
    _shot(page, "mode_own_domain", cell.locator(".smtpkit-mode"), banner)


# -- 4. bad values: marked next to the field, nothing runs; Enter runs -----------------------------------
SERVER_BAD = [
    ("port", "99999", "out of range"),
    ("port", "-5", "out of range"),
    ("port", "58x7", "not a number"),
    ("timeout", "0", "out of range"),
    ("timeout", "ten", "not a number"),
    ("timeout", "", "Timeout is empty"),
    ("host", "", "Host is empty"),
    ("host", "smtp example.com", "contains a space"),
    ("deadline", "-1", "out of range"),
    ("nameservers", "127.0.0.1:99999", "out of range"),
    ("cafile", "/no/such/ca.pem", "does not exist"),
    ("helo", "my host", "contains a space"),
]
DOMAIN_BAD = [
    ("domain", "", "Domain is empty"),
    ("domain", "me@example.com", "e-mail address"),
    ("ip", "1.2.3", "not an IP"),
    ("ip", "999.1.1.1", "not an IP"),
    ("selectors", "bad selector!", "not valid"),
    ("timeout", "0", "out of range"),
    ("timeout", "five", "not a number"),
    ("nameservers", "127.0.0.1:53x", "not a number"),
]
ENVELOPE_BAD = [
    ("mail-from", "not an address", "contains a space"),
    ("rcpt-to", "friend@", "not an email address"),
]


def _refused_without_running(cell: Any, result: Any, name: str, value: str, words: str, *, enter: bool) -> None:
    """Type `value` into field `name`, press Run (or Enter there): the field is marked, and nothing ran."""
    from playwright.sync_api import expect

    field = _field(cell, name)
    before = result.inner_text()
    strip_before = cell.locator(".smtpkit-progress").inner_text()
    field.fill(value)
    if enter:
        field.press("Enter")
    else:
        cell.locator("button.smtpkit-run").click()
    error = cell.locator(f".smtpkit-error-{name.replace('-', '_')}")
    try:
        expect(error).to_be_visible(timeout=10_000)
        expect(error).to_contain_text(words)
        expect(cell.locator(f".smtpkit-{name}.smtpkit-invalid")).to_be_visible()
        expect(cell.locator(".smtpkit-status")).to_contain_text("Nothing was run")
    except AssertionError as exc:
        raise AssertionError(f"{name}={value!r}: {exc}") from None
    page = cell.page
    page.wait_for_timeout(300)  # time for a run to show, were one started
    expect(cell.locator("button.smtpkit-run")).to_have_text("Run")
    # next to its field: just under it, not somewhere else in the page
    f_box, e_box = field.bounding_box(), error.bounding_box()
    assert f_box and e_box and 0 <= e_box["y"] - (f_box["y"] + f_box["height"]) < 30, (name, f_box, e_box)
    assert field.input_value() == value, "what was typed is never changed"
    # the result area says nothing ran (the last result is cleared, not left to be read as this Run's)
    shown = result.inner_text()
    assert "Nothing was run" in shown and "My server:" not in shown, f"{name}={value!r}: a result appeared"
    assert shown == before or "Nothing was run" not in before, f"{name}={value!r}: the result changed twice"
    strip = cell.locator(".smtpkit-progress").inner_text()
    assert strip in ("", strip_before) and "Running" not in strip, f"{name}={value!r}: something ran"


def _restore(cell: Any, name: str, value: str) -> None:
    """Type a good value back: the mark and the message go at once."""
    from playwright.sync_api import expect

    _field(cell, name).fill(value)
    expect(cell.locator(f".smtpkit-error-{name.replace('-', '_')}")).to_be_hidden()
    expect(cell.locator(f".smtpkit-{name}.smtpkit-invalid")).to_have_count(0)


def test_bad_server_values_are_marked_and_nothing_runs_and_enter_runs(notebooks, jupyterlab):
    from playwright.sync_api import expect

    page = notebooks.open(*CONNECTION)
    cell, result = form_cells(page, "smtpkit-scenario")
    _choose_mode(cell, "My server")
    cell.locator(".smtpkit-provider select").select_option(label="Other server")
    port = _free_port()
    good = {"host": "localhost", "port": str(port), "timeout": "3", "deadline": "", "nameservers": ""}
    good.update({"cafile": "", "helo": ""})
    for name in ("host", "port", "timeout"):
        _field(cell, name).fill(good[name])
    if not _field(cell, "helo").is_visible():
        cell.get_by_text("More settings:").first.click()
    expect(_field(cell, "helo")).to_be_visible()
    # a first good run, so that "no result appears" below means the result stays what it was
    run_and_wait(cell, result)
    expect(result.locator(".smtpkit-mode-banner", has_text=f"localhost:{port}")).to_be_visible()
    try:
        for i, (name, value, words) in enumerate(SERVER_BAD):
            _refused_without_running(cell, result, name, value, words, enter=i % 2 == 1)
            _restore(cell, name, good[name])
    except AssertionError:
        failure_shot(page, jupyterlab, "server-validation")
        raise
    # Enter in a field runs, with what the fields hold now
    other = _free_port()
    _field(cell, "port").fill(str(other))
    run_and_wait(cell, result, press=_field(cell, "host"))
    expect(result.locator(".smtpkit-mode-banner", has_text=f"localhost:{other}")).to_be_visible()


def test_bad_domain_values_are_marked_and_nothing_runs(notebooks, jupyterlab, own_dns):
    from playwright.sync_api import expect

    page = notebooks.open(*DOMAINS)
    cell, result = form_cells(page, "smtpkit-domain")
    _choose_mode(cell, "My domain")
    good = {"domain": "mydomain.example", "ip": "", "selectors": "", "timeout": "5"}
    good["nameservers"] = own_dns.nameserver
    for name in ("domain", "nameservers", "timeout"):
        _field(cell, name).fill(good[name])
    run_and_wait(cell, result)
    expect(result.locator(".smtpkit-mode-banner", has_text="My domain: mydomain.example")).to_be_visible()
    try:
        for i, (name, value, words) in enumerate(DOMAIN_BAD):
            _refused_without_running(cell, result, name, value, words, enter=i % 2 == 0)
            _restore(cell, name, good[name])
        # several bad fields at once: one Run marks them all (it took a Run a field)
        bad = {"domain": "me@example.com", "ip": "1.2.3", "timeout": "five"}
        for name, value in bad.items():
            _field(cell, name).fill(value)
        cell.locator("button.smtpkit-run").click()
        for name in bad:
            expect(cell.locator(f".smtpkit-error-{name} [role=alert]")).to_be_visible(timeout=10_000)
        expect(cell.locator(".smtpkit-status")).to_contain_text("fix the fields Domain, Sending IP and Timeout")
        for name in bad:
            _restore(cell, name, good[name])
        expect(cell.locator(".smtpkit-status")).not_to_contain_text("Nothing was run")
    except AssertionError:
        failure_shot(page, jupyterlab, "domain-validation")
        raise


def test_bad_envelope_values_are_marked_and_nothing_runs(notebooks, jupyterlab):
    from playwright.sync_api import expect

    page = notebooks.open(*SEND)
    cell, result = form_cells(page, "smtpkit-scenario")
    _choose_mode(cell, "Practice lab")
    cell.locator(".smtpkit-scenario select").select_option(value=_option(cell, "submission"))
    expect(_field(cell, "rcpt-to")).not_to_have_value("")
    good = {"mail-from": _field(cell, "mail-from").input_value(), "rcpt-to": _field(cell, "rcpt-to").input_value()}
    run_and_wait(cell, result)
    expect(result.locator(".smtpkit-mode-banner", has_text="lab scenario submission")).to_be_visible()
    for i, (name, value, words) in enumerate(ENVELOPE_BAD):
        _refused_without_running(cell, result, name, value, words, enter=i % 2 == 0)
        _restore(cell, name, good[name])


# -- 5. progress and Cancel --------------------------------------------------------------------------
_WATCH = """(cell) => {
  const strip = cell.querySelector('.smtpkit-progress');
  const cancel = cell.querySelector('button.smtpkit-cancel');
  window.__smtpkitCancel = {clicked: null, cancelled: null};
  cancel.addEventListener('click', () => { window.__smtpkitCancel.clicked = performance.now(); },
                          {capture: true, once: true});
  const seen = () => {
    if (window.__smtpkitCancel.cancelled === null && strip.textContent.includes('Cancelled')) {
      window.__smtpkitCancel.cancelled = performance.now();
    }
  };
  new MutationObserver(seen).observe(strip, {subtree: true, childList: true, characterData: true});
}"""


def test_cancel_stops_the_silent_server_within_a_second(notebooks, jupyterlab):
    from playwright.sync_api import expect

    page = notebooks.open(*CONNECTION)
    cell, result = form_cells(page, "smtpkit-scenario")
    _choose_mode(cell, "Practice lab")
    cell.locator(".smtpkit-scenario select").select_option(value=_option(cell, "silent"))
    hint = cell.locator(".smtpkit-hint")
    _field(cell, "timeout").fill("4")  # the hint says the wait at the field's Timeout (it kept the first one)
    expect(hint).to_contain_text("No greeting from the server within 4.0 s")
    _field(cell, "timeout").fill("5")
    expect(hint).to_contain_text("No greeting from the server within 5.0 s")
    strip = cell.locator(".smtpkit-progress")
    limit = cell.locator(".smtpkit-limit")
    expect(limit).to_contain_text(re.compile(r"at most \d+ s"))  # said before anything runs
    cell.locator("button.smtpkit-run").click()
    cancel = cell.locator("button.smtpkit-cancel")
    expect(cancel).to_be_visible()
    # the step strip: what is done, which step waits, for what, and for how long at most
    expect(strip.locator(".smtpkit-chip-pass", has_text="connect")).to_be_visible(timeout=10_000)
    running = strip.locator(".smtpkit-chip-running", has_text="banner")
    expect(running).to_contain_text(re.compile(r"greeting [1-4]/5 s"), timeout=10_000)
    expect(strip).to_contain_text("Running")
    expect(cell.locator(".smtpkit-status")).to_have_text("")  # no verdict of an earlier run beside "Running…"
    _shot(page, "progress_running", limit, strip)
    cell.evaluate(_WATCH)
    cancel.click()
    expect(strip).to_contain_text("Cancelled", timeout=5_000)
    times = page.evaluate("window.__smtpkitCancel")
    took = times["cancelled"] - times["clicked"]
    print(f"Cancel: {took:.0f} ms from the click to the cancelled strip")
    assert took < 1000, f"Cancel took {took:.0f} ms from the click to the cancelled strip"
    expect(result).to_contain_text("Cancelled after")
    # the step that waited is shown stopped, not still waiting
    expect(strip.locator(".smtpkit-chip-stopped", has_text="banner: stopped after")).to_be_visible()
    expect(strip.locator(".smtpkit-chip-running")).to_have_count(0)
    expect(cancel).to_be_hidden()
    expect(cell.locator("button.smtpkit-run")).to_have_text("Run")
    expect(cell.locator("button.smtpkit-run")).to_be_enabled()
    _shot(page, "progress_cancelled", limit, strip)
