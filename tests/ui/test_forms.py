"""The settings forms: modes, layouts, the password's path into a Secret, inline validation, Run and Cancel.

Most actions here return real `Report` objects built from the result model, so
these tests exercise the forms themselves; the tests marked with the `lab`
fixture run the real diagnosis against the practice lab, and the "your own"
tests against a DNS server of their own on loopback (never the lab's, never
the internet).
"""

from __future__ import annotations

import base64
import datetime
import json
import threading
import time

import ipywidgets as widgets
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from smtpkit.errors import InvalidSettings
from smtpkit.knowledge.presets import PRESETS
from smtpkit.model import Report, Status, Step
from smtpkit.secrets import REDACTED, Secret
from smtpkit.settings import Target
from smtpkit.settings.domain import DomainQuery
from smtpkit.ui import DomainForm, ServerForm, ServerInput
from smtpkit.ui.display import Panel
from smtpkit.ui.lab import lab_zones

PASSWORD = "Tr0ub4dor&3-form-test"
PROVIDERS = [p.key for p in PRESETS if p.key != "lab"]


@pytest.fixture(scope="module")
def shell():
    return InteractiveShell.instance()


@pytest.fixture(scope="module")
def own_dns():
    """A DNS server of our own on loopback: 'your' server and domain, which the lab knows nothing about."""
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


def _report(settings: ServerInput, *, status: str = "pass", summary: str = "fine") -> Report:
    t = settings.target
    step = Step("connect", Status(status), f"{summary} {t.host}:{t.port}")
    return Report(target={"host": t.host, "port": t.port}, steps=[step], title="test report")


def _widgets_in(root: widgets.Widget) -> list[widgets.Widget]:
    found, todo = [], [root]
    while todo:
        w = todo.pop()
        found.append(w)
        todo.extend(getattr(w, "children", ()))
    return found


def _visible(form, widget: widgets.Widget) -> bool:
    """Shown, and so is every box around it in the form."""
    parents = {id(c): w for w in _widgets_in(form.box) for c in getattr(w, "children", ())}
    node = widget
    while node is not None:
        if node.layout.display == "none":
            return False
        node = parents.get(id(node))
    return True


# -- layouts: the bug that hid the form ---------------------------------------------------------
def test_every_widget_has_a_layout_of_its_own(lab):
    server = ServerForm(lab, envelope=True, action=_report)
    domain = DomainForm(lab, action=lambda s: Panel("d", []))
    everything = _widgets_in(server.box) + _widgets_in(domain.box)
    layouts = {}
    for w in everything:
        if hasattr(w, "layout"):
            assert id(w.layout) not in layouts, f"{w} shares its Layout with {layouts.get(id(w.layout))}"
            layouts[id(w.layout)] = w


@pytest.mark.parametrize("key", PROVIDERS)
def test_choosing_any_provider_keeps_every_field_visible_and_fills_it(lab, key):
    form = ServerForm(lab, scenario="submission", action=_report)
    domain = DomainForm(lab, action=lambda s: Panel("d", []))  # the second form of 06_report
    form.preset.value = key if key != "custom" else "gmail"
    form.preset.value = key
    preset = next(p for p in PRESETS if p.key == key)
    for w in (form.preset, form.host, form.port, form.security, form.username, form.password):
        assert _visible(form, w), f"{w.description} hidden after choosing {key}"
    for w in (domain.domain, domain.selectors, domain.ip, domain.nameserver, domain.timeout):
        assert _visible(domain, w), f"the domain form's {w.description} hidden after choosing {key}"
    assert form.mode.value == "own"
    if key == "custom":
        assert form.host.value == "" and form.port.value == ""
    else:
        assert form.host.value and "." in form.host.value
        assert form.port.value == str(preset.default_port)
        assert form.security.value == preset.security
    assert form.username.value == "" and not form.username.disabled and not form.password.disabled


# -- modes -------------------------------------------------------------------------------------
def test_lab_scenario_fills_the_form(lab):
    form = ServerForm(lab, scenario="expired_cert", action=_report)
    ep = lab.endpoint("expired_cert")
    assert form.mode.value == "lab" and _visible(form, form.scenario) and not _visible(form, form.preset)
    assert form.port.value == str(ep.port)
    assert form.security.value == ep.security
    assert form.username.value == lab.user
    assert "expired" in form.hint.value.lower()
    # the lesson's finding by its title too: the code alone meant nothing to someone meeting it for the first time
    assert "the result should show “The server&#x27;s certificate expired on 20" in form.hint.value
    assert "(10 days ago)” (tls.cert.expired)" in form.hint.value  # the certificate's own date, read beforehand
    form.scenario.value = "implicit_tls"
    assert form.port.value == str(lab.endpoint("implicit_tls").port)
    assert form.security.value == "tls"
    settings = form.settings()
    assert isinstance(settings.target, Target)  # the one settings model, as the CLI builds it
    assert settings.scenario == "implicit_tls"
    assert settings.target.cafile == lab.ca_file
    assert settings.target.nameservers == (lab.nameserver,)
    assert settings.password == lab.password  # the lab's own password, without typing it


@pytest.mark.parametrize(
    "name",
    [
        "expired_cert",
        "expiring_soon",
        "not_yet_valid",
        "old_tls",
        "blocklisted",
        "too_busy",
        "helo_rejected",
        "starttls_unavailable",
        "silent",
    ],
)
def test_a_scenario_hint_says_what_its_result_will_say(lab, name: str) -> None:
    """The hint named the finding with ‹not after›, ‹reply›, ‹version›, ‹waited› and the result then said the
    date, the reply, TLS 1.1, 2.0 s: the hint now reads the server's own words beforehand, word for word."""
    import html

    if name not in lab.names:
        pytest.skip(f"{name}: {lab.skipped.get(name, 'not in this lab')}")
    form = ServerForm(lab, scenario=name, timeout=2)
    hint = html.unescape(form.hint.value)
    assert "‹" not in hint, hint
    form.click(60)
    code = lab.endpoint(name).expect
    found = [f for f in form.last_result.findings if f.code == code]
    assert found, form.last_result.codes()
    assert f"the result should show “{found[0].title}” ({code})" in hint, (found[0].title, hint)


def test_a_silent_servers_hint_follows_the_timeout_field(lab) -> None:
    """The hint said "within 5.0 s" after Timeout was set to 3, and the run then said 3.0 s."""
    form = ServerForm(lab, scenario="silent", timeout=5)
    assert "No greeting from the server within 5.0 s" in form.hint.value
    form.timeout.value = "3"
    assert "No greeting from the server within 3.0 s" in form.hint.value
    form.timeout.value = "soon"  # no number yet: the wait is named, the Run will say what is wrong
    assert "within ‹waited›" in form.hint.value
    form.scenario.value = "expired_cert"
    form.timeout.value = "4"  # another scenario's hint is left as it is
    assert "expired on" in form.hint.value


def _no_lab_value(lab, target: Target) -> None:
    assert lab.nameserver not in target.nameservers
    assert target.cafile != lab.ca_file
    assert target.username != lab.user
    assert lab.user not in (target.mail_from or "") and not any(lab.domain in r for r in target.rcpt_to)


def test_switching_from_the_lab_to_a_provider_drops_every_lab_value(lab, monkeypatch):
    monkeypatch.delenv("SMTPKIT_PASSWORD", raising=False)
    form = ServerForm(lab, scenario="submission", envelope=True, action=_report)
    assert "practice lab&#x27;s password" in form.password_state.value
    form.preset.value = "gmail"
    assert form.mode.value == "own"
    assert (form.username.value, form.nameserver.value, form.cafile.value) == ("", "", "")
    assert (form.mail_from.value, form.rcpt_to.value) == ("", "")
    assert "not set" in form.password_state.value
    settings = form.settings()
    assert settings.password is None and settings.scenario is None and settings.provider == "gmail"
    _no_lab_value(lab, settings.target)
    assert settings.target.nameservers == () and settings.target.cafile is None  # the system's own
    form.username.value = "me@gmail.example"
    form.preset.value = "office365"
    assert form.username.value == "me@gmail.example"  # a login the person typed stays
    form.mode.value = "lab"
    assert "practice lab&#x27;s password" in form.password_state.value
    assert form.settings().scenario == "submission"


def test_typing_a_host_in_lab_mode_switches_to_your_own_server(lab, monkeypatch):
    monkeypatch.delenv("SMTPKIT_PASSWORD", raising=False)
    form = ServerForm(lab, scenario="expired_cert", action=_report)
    form.host.value = "smtp.office365.com"
    assert form.mode.value == "own" and form.host.value == "smtp.office365.com"
    assert form.port.value == ""  # the lab's random port means nothing to a real server: the mode's default
    target = form.settings().target
    assert (target.port, target.security) == (587, "auto")
    _no_lab_value(lab, target)
    assert target.username is None and form.settings().password is None


def test_an_explicit_host_starts_in_your_own_mode_and_recognises_the_provider(lab):
    form = ServerForm(lab, host="smtp.sendgrid.net", port=2525, security="starttls", action=_report)
    assert form.mode.value == "own" and form.preset.value == "sendgrid"
    settings = form.settings()
    assert (settings.target.host, settings.target.port, settings.provider) == ("smtp.sendgrid.net", 2525, "sendgrid")
    _no_lab_value(lab, settings.target)


def test_provider_preset_fills_host_port_security_and_hint():
    form = ServerForm(preset="gmail", action=_report)
    assert (form.host.value, form.port.value, form.security.value) == ("smtp.gmail.com", "587", "starttls")
    assert "gmail" in form.username.placeholder.lower()
    form.preset.value = "ses"
    assert form.host.value == "email-smtp.us-east-1.amazonaws.com"
    assert "sandbox" in form.hint.value.lower()
    form.preset.value = "custom"
    assert form.host.value == ""


def test_empty_username_and_sender_never_fall_back_to_the_lab_in_your_own_mode(lab, monkeypatch):
    monkeypatch.delenv("SMTPKIT_PASSWORD", raising=False)
    form = ServerForm(lab, scenario="submission", envelope=True, action=_report)
    form.mode.value = "own"
    form.host.value = "smtp.example.com"
    form.rcpt_to.value = "friend@example.org"
    with pytest.raises(InvalidSettings) as refused:
        form.settings()  # a recipient without a sender: the settings model says so, nothing is made up
    assert refused.value.field == "mail_from"
    form.rcpt_to.value = ""
    target = form.settings().target
    assert target.username is None and target.mail_from is None and target.rcpt_to == ()


def test_domain_form_modes_follow_the_domain(lab):
    form = DomainForm(lab, action=lambda s: Panel("domain", [("", s.to_dict())]))
    settings = form.settings()
    assert form.mode.value == "lab"
    assert isinstance(settings, DomainQuery)
    assert settings.domain == lab.domain and settings.selectors == ("lab",)
    assert settings.nameservers == (lab.nameserver,)
    form.domain.value = "ptr-mismatch.test"  # each lab domain sets up its own lesson
    assert form.ip.value == "127.0.2.2"
    assert "(ptr.not_forward_confirmed)" in form.hint.value and "“" in form.hint.value
    form.domain.value = "gmail.com"
    assert form.mode.value == "own"
    assert (form.ip.value, form.nameserver.value, form.selectors.value) == ("", "", "")
    own = form.settings()
    assert own.ip is None and own.nameservers == () and own.cafile is None and not own.allow_private
    assert own.dnsbl_lists == () and own.trust_anchor is None
    form.domain.value = "spf-plus-all.test"
    assert form.mode.value == "lab" and form.settings().nameservers == (lab.nameserver,)
    form.domain.value = " spf-plus-all.test. "
    form.selectors.value = "s1; s2 ,"
    settings = form.settings()
    assert settings.domain == "spf-plus-all.test" and settings.selectors == ("s1", "s2")


def test_your_own_domain_is_checked_without_any_lab_value(lab, own_dns, shell):
    form = DomainForm(lab)
    form.domain.value = "mydomain.example"
    form.nameserver.value = own_dns.nameserver
    with capture_output() as cap:
        report = form.run()
    assert "spf.missing" in report.codes()
    everything = json.dumps(cap.outputs[0].data) + report.to_json()
    assert "ip4:127.0.0.1" not in everything  # the suggested SPF record names no lab address
    for lab_value in (lab.nameserver, lab.ca_file, lab.user):
        assert lab_value not in everything, lab_value
    html = cap.outputs[0].data["text/html"]
    assert "smtpkit-mode-own" in html and "the DNS server you gave" in html and own_dns.nameserver in html


def test_your_own_server_is_checked_without_any_lab_value(lab, own_dns, shell, monkeypatch):
    monkeypatch.delenv("SMTPKIT_PASSWORD", raising=False)
    form = ServerForm(lab, scenario="submission", timeout=3)
    form.host.value = "smtp.mydomain.example"
    form.port.value = str(lab.endpoint("submission").port)
    form.nameserver.value = own_dns.nameserver
    with capture_output() as cap:
        report = form.run()
    target = form.last_settings.target
    assert target.nameservers == (own_dns.nameserver,) and target.cafile is None and target.username is None
    assert form.last_settings.password is None
    assert report.step("resolve").status is Status.PASS
    assert "tls.cert.untrusted_issuer" in report.codes()  # the lab CA is not trusted for your own server
    everything = json.dumps(cap.outputs[0].data) + report.to_json()
    for lab_value in (lab.nameserver, lab.ca_file, lab.user):
        assert lab_value not in everything, lab_value
    assert "[My server] smtp.mydomain.example:" in cap.outputs[0].data["text/plain"]


# -- lab lessons from the form -------------------------------------------------------------------
def test_each_lab_scenario_shows_its_lesson_from_the_form(lab, shell):
    from smtpkit.lab.lessons import server_lesson

    for name in lab.names:
        form = ServerForm(lab, scenario=name, timeout=2)
        with capture_output():
            report = form.run()
        lesson = server_lesson(lab, name)
        codes = report.codes()
        if lesson.expect:
            assert set(lesson.expect) & set(codes), (name, codes)
        else:
            assert report.verdict != "fail", (name, codes)  # a healthy server: an MX is not asked to log in


def test_a_lesson_with_an_informational_finding_opens_its_step(lab, shell):
    """parked.test teaches domain.parked, an informational finding: its step is open, not folded under a PASS."""
    form = DomainForm(lab, domain="parked.test", focus=("spf", "dmarc"))
    with capture_output() as cap:
        report = form.run()
    assert "domain.parked" in report.codes()
    html = cap.outputs[0].data["text/html"]
    opened = html.split("<details open><summary>")
    assert any(part.split("</summary>")[0].count("<strong>mx</strong>") for part in opened[1:])
    assert any("<strong>spf</strong>" in part.split("</summary>")[0] for part in opened[1:])  # the form's own focus
    own = DomainForm(lab, domain="parked.example", focus=("spf",))
    assert own._focus(own.settings(), report) == ("spf",)  # no lesson outside the lab


def test_a_changed_setting_that_hides_the_lesson_is_named(lab, shell):
    form = ServerForm(lab, scenario="relay_denied", envelope=True, timeout=3)
    assert form.rcpt_to.value == "friend@example.org"  # the lesson's own recipient
    form.rcpt_to.value = f"alice@{lab.domain}"
    with capture_output() as cap:
        report = form.run()
    assert "send.relay_denied" not in report.codes()
    text = cap.outputs[0].data["text/plain"]
    assert "teaches send.relay_denied, which did not appear" in text and "Send to" in text


# -- the password ------------------------------------------------------------------------------
def test_password_moves_into_a_secret_and_the_widget_is_cleared(shell):
    form = ServerForm(host="smtp.example.com", port=587, username="me@example.com", action=_report)
    form.password.value = PASSWORD  # what the browser sends when the field loses focus
    assert form.password.value == ""
    settings = form.settings()
    assert isinstance(settings.password, Secret) and settings.password.reveal() == PASSWORD
    assert "set (typed" in form.password_state.value
    state = json.dumps(widgets.Widget.get_manager_state(drop_defaults=False))
    for form_of_it in (PASSWORD, base64.b64encode(PASSWORD.encode()).decode()):
        assert form_of_it not in state
    assert PASSWORD not in repr(settings) and PASSWORD not in json.dumps(settings.to_dict())
    assert PASSWORD not in repr(form.box)
    form.forget_password()
    assert form.settings().password is None


def test_password_still_in_the_widget_is_taken_on_run(shell):
    form = ServerForm(host="smtp.example.com", action=_report)
    form.password.unobserve(form._take_password, names="value")
    form.password.value = PASSWORD
    form.password.observe(form._take_password, names="value")
    settings = form.settings()
    assert form.password.value == ""
    assert settings.password.reveal() == PASSWORD


def test_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMTPKIT_PASSWORD", PASSWORD)
    form = ServerForm(host="smtp.example.com", action=_report)
    assert form.settings().password.reveal() == PASSWORD
    assert "SMTPKIT_PASSWORD" in form.password_state.value
    monkeypatch.delenv("SMTPKIT_PASSWORD")
    assert form.settings().password is None


def test_the_app_does_not_send_its_reader_to_an_environment_variable(monkeypatch):
    """Without a password, JupyterLab's form names SMTPKIT_PASSWORD as the other way; the app's reader starts
    nothing from a shell, so the app's form names only the field."""
    monkeypatch.delenv("SMTPKIT_PASSWORD", raising=False)
    assert "SMTPKIT_PASSWORD before starting JupyterLab" in ServerForm(host="smtp.example.com").password_state.value
    monkeypatch.setenv("VOILA_KERNEL_ID", "k")
    shown = ServerForm(host="smtp.example.com").password_state.value
    assert "Password: not set. Type it above" in shown and "SMTPKIT_PASSWORD" not in shown and "JupyterLab" not in shown


# -- inline validation ------------------------------------------------------------------------
BAD_SERVER_VALUES = [
    ("port", "99999", "out of range"),
    ("port", "-5", "out of range"),
    ("port", "58x7", "not a number"),
    ("timeout", "0", "out of range"),
    ("timeout", "", "Timeout is empty"),
    ("timeout", "ten", "not a number"),
    ("deadline", "-1", "out of range"),
    ("host", "smtp example.com", "contains a space"),
    ("host", "", "Host is empty"),
    ("nameserver", "127.0.0.1:99999", "out of range"),
    ("cafile", "/no/such/ca.pem", "does not exist"),
    ("helo", "my host", "contains a space"),
]


@pytest.mark.parametrize(
    ("field", "value", "words"), BAD_SERVER_VALUES, ids=[f"{f}={v!r}" for f, v, _w in BAD_SERVER_VALUES]
)
def test_a_bad_value_is_marked_on_its_field_and_nothing_runs(shell, field, value, words):
    calls = []
    form = ServerForm(host="smtp.example.com", action=lambda s: calls.append(s) or _report(s))
    widget = getattr(form, field)
    widget.value = value
    form.click()
    assert calls == []  # nothing ran
    assert widget.value == value  # never clamped or changed
    name = {"nameserver": "nameservers"}.get(field, field)
    assert words in form.fields.marked[name], form.fields.marked
    assert "smtpkit-invalid" in widget._dom_classes
    assert "Nothing was run" in form.status.value
    widget.value = {"port": "587", "timeout": "5", "deadline": "", "host": "smtp.example.com"}.get(field, "")
    assert name not in form.fields.marked and "smtpkit-invalid" not in widget._dom_classes  # fixed: unmarked
    form.click()
    assert len(calls) == 1


BAD_ENVELOPE_VALUES = [
    ("mail_from", "not an address", "contains a space"),
    ("rcpt_to", "friend@", "not an email address"),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD_ENVELOPE_VALUES, ids=[f for f, _v, _w in BAD_ENVELOPE_VALUES])
def test_bad_envelope_values_are_marked(shell, field, value, words):
    calls = []
    form = ServerForm(
        host="smtp.example.com",
        envelope=True,
        mail_from="me@example.com",
        rcpt_to="you@example.org",
        action=lambda s: calls.append(s) or _report(s),
    )
    getattr(form, field).value = value
    form.click()
    assert calls == [] and words in form.fields.marked[field]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("domain", "", "Domain is empty"),
        ("domain", "me@example.com", "e-mail address"),
        ("ip", "1.2.3", "not an IP"),
        ("selectors", "bad selector!", "not valid"),
        ("timeout", "0", "out of range"),
        ("nameserver", "127.0.0.1:53x", "not a number"),
    ],
)
def test_bad_domain_values_are_marked(lab, shell, field, value, words):
    calls = []
    form = DomainForm(lab, action=lambda s: calls.append(s) or Panel("d", []))
    getattr(form, field).value = value
    form.click()
    name = {"nameserver": "nameservers"}.get(field, field)
    assert calls == [] and words in form.fields.marked[name], form.fields.marked


def test_enter_in_any_field_runs(shell):
    calls = []
    form = ServerForm(host="smtp.example.com", action=lambda s: calls.append(s) or _report(s))
    # what ipywidgets' text view sends when Enter is pressed in it
    form.host._handle_custom_msg({"event": "submit"}, [])
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.05)
    form.wait()
    assert len(calls) == 1


# -- running ---------------------------------------------------------------------------------
def test_run_shows_a_cell_output_and_the_button_updates_it(shell):
    form = ServerForm(host="smtp.example.com", port=587, action=_report)
    with capture_output() as cap:
        result = form.run()
    assert isinstance(result, Report) and result.verdict == "pass"
    assert len(cap.outputs) == 1
    first = cap.outputs[0]
    display_id = first.transient["display_id"]
    assert not first.update
    assert "smtp.example.com:587" in first.data["text/html"]
    assert "Server check" in first.data["text/plain"]
    assert "at most" in form.limit_line.value  # said before running

    form.port.value = "2525"
    with capture_output() as cap:
        form.click()
    updates = [o for o in cap.outputs if o.update]
    assert updates, "the click must update the existing output, not create a new one"
    assert all(o.transient["display_id"] == display_id for o in updates)
    assert "Running" in updates[0].data["text/plain"]
    assert "smtp.example.com:2525" in updates[-1].data["text/html"]
    assert not [o for o in cap.outputs if not o.update]
    assert form.last_result.target["port"] == 2525
    assert "PASS" in form.status.value


@pytest.mark.parametrize("make", ["server", "domain"])
def test_switching_mode_clears_the_result_of_the_other_mode(lab, shell, make):
    """A practice-lab result stayed under "My server" until the next Run, and read as the person's own."""
    if make == "server":
        form = ServerForm(lab, action=_report)
    else:
        form = DomainForm(lab, action=lambda s: Panel("domain", [("", s.to_dict())]))
    with capture_output() as cap:
        form.run()
    display_id = cap.outputs[0].transient["display_id"]
    assert form.status.value
    with capture_output() as cap:
        form.mode.value = "own"
    updates = [o for o in cap.outputs if o.update and o.transient["display_id"] == display_id]
    assert updates, "the result must be replaced in place"
    said = updates[-1].data["text/plain"]
    assert "Switched to My" in said and "came from Practice lab" in said and "cleared" in said
    assert form.status.value == "" and form.last_shown is None
    with capture_output() as cap:
        form.mode.value = "lab"  # nothing shown since: nothing to clear, the note stays
    assert not cap.outputs
    if make == "server":  # another lab scenario is another server: its result goes too
        with capture_output():
            form.run()
        with capture_output() as cap:
            form.scenario.value = "too_large"
        said = [o for o in cap.outputs if o.update][-1].data["text/plain"]
        assert "Switched to the lab scenario too_large" in said and "came from the lab scenario submission" in said


def test_in_the_app_a_run_and_the_button_update_an_output_widget(shell, monkeypatch):
    """Under Voilà (`smtpkit app`) only widgets are live on the page: the result is an Output widget, and Run
    replaces what it holds (a display handle's update never reached the app's page). Redaction still applies."""
    from smtpkit.secrets import REDACTOR

    monkeypatch.setenv("VOILA_SERVER_URL", "http://127.0.0.1:8866/")
    secret = "app-view-secret-4711"
    REDACTOR.register(secret)
    form = ServerForm(host="smtp.example.com", port=587, action=lambda s: _report(s, summary=f"said {secret}"))
    with capture_output() as cap:
        form.run()
    [shown] = cap.outputs
    assert "application/vnd.jupyter.widget-view+json" in shown.data  # a widget, not a static output
    live = form.view.handles[0].widget
    assert isinstance(live, widgets.Output) and shown.data["application/vnd.jupyter.widget-view+json"]["model_id"] == (
        live.model_id
    )
    assert "smtp.example.com:587" in live.outputs[0]["data"]["text/html"]
    form.port.value = "2525"
    with capture_output() as cap:
        form.click()
        form.wait()
    assert [o for o in cap.outputs if not o.update] == []  # nothing new on the page: the widget changed
    [held] = live.outputs  # replaced, not appended to
    assert "smtp.example.com:2525" in held["data"]["text/html"]
    assert secret not in json.dumps(held) and secret not in json.dumps(live.get_state())


def test_a_run_with_overrides_gets_its_own_output_which_run_leaves_alone(shell):
    # 04_send: the dry-run form's Run must not overwrite the "real test send" section
    form = ServerForm(host="smtp.example.com", port=587, action=_report)
    with capture_output() as cap:
        form.run()
        form.run(port=2525)
    ids = [o.transient["display_id"] for o in cap.outputs]
    assert len(set(ids)) == 2
    with capture_output() as cap:
        form.click()
    assert {o.transient["display_id"] for o in cap.outputs} == {ids[0]}


def test_failing_status_is_spelled_out(shell):
    form = ServerForm(host="smtp.example.com", action=lambda s: _report(s, status="fail", summary="refused"))
    with capture_output() as cap:
        form.run()
    out = cap.outputs[0].data
    assert "FAIL" in out["text/plain"] and "FAIL" in out["text/html"]


def test_bad_settings_in_a_cell_become_an_explanation_not_a_traceback(shell):
    form = ServerForm(action=_report)  # Other server, empty host
    with capture_output() as cap:
        result = form.run()
    assert result is None
    text = cap.outputs[0].data["text/plain"]
    assert "Host is empty" in text and "Traceback" not in text
    assert isinstance(form.last_error, InvalidSettings) and form.last_error.field == "host"
    assert "Host is empty" in form.fields.marked["host"]


def test_unexpected_errors_are_reported_as_smtpkit_bugs(shell):
    def broken(settings):
        raise RuntimeError("boom")

    form = ServerForm(host="smtp.example.com", action=broken)
    with capture_output() as cap:
        form.run()
    text = cap.outputs[0].data["text/plain"]
    assert "bug in smtpkit" in text and "RuntimeError: boom" in text


def test_server_text_is_escaped(shell):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'

    def action(settings):
        return Report(target={"banner": hostile}, steps=[Step("banner", Status.WARN, hostile)])

    form = ServerForm(host="smtp.example.com", action=action)
    with capture_output() as cap:
        form.run()
    html = cap.outputs[0].data["text/html"]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_click_before_any_cell_output_uses_the_forms_own_area(shell):
    form = ServerForm(host="smtp.example.com", action=_report)
    form.click()
    assert isinstance(form.last_result, Report)
    assert form._fallback.outputs, "with no cell output yet, the result goes to the form's own area"


def test_results_shows_a_placeholder_that_run_fills(shell):
    form = ServerForm(host="smtp.example.com", port=25, action=_report)
    with capture_output() as cap:
        assert form.results() is None
    placeholder = cap.outputs[0]
    assert "Press Run above" in placeholder.data["text/plain"]
    with capture_output() as cap:
        form.click()
    assert {o.transient["display_id"] for o in cap.outputs} == {placeholder.transient["display_id"]}
    assert "smtp.example.com:25" in cap.outputs[-1].data["text/html"]


def test_the_live_strip_shows_each_step_and_cancel_stops_a_silent_server_within_a_second(lab, shell):
    form = ServerForm(lab, scenario="silent", timeout=5)
    seen = []
    form.live.widget.observe(lambda c: seen.append(c["new"]), names="value")
    with capture_output() as cap:
        form.results()
        form.run_button.click()
        deadline = time.monotonic() + 5
        while "waiting for the greeting" not in form.live.widget.value and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.2)
        assert form.running
        # the fields cannot be changed while the check runs (the result is for what they held at Run)
        assert form.host.disabled and form.mode.disabled and form.timeout.disabled
        assert not form.cancel_button.disabled
        pressed = time.monotonic()
        form.cancel_button.click()
        assert form.wait(1.0), "Cancel must stop the check within a second"
        took = time.monotonic() - pressed
    assert took < 1.0
    assert any("smtpkit-chip-pass" in v and "connect" in v for v in seen)
    assert any("waiting for the greeting <b>1/5 s</b>" in v for v in seen)  # the seconds count
    assert "Cancelled" in form.live.widget.value
    # the step that was waiting is drawn as stopped, no longer as waiting
    assert "smtpkit-chip-stopped" in form.live.widget.value and "smtpkit-chip-running" not in form.live.widget.value
    assert "banner: stopped after" in form.live.widget.value
    assert "Cancelled after" in cap.outputs[-1].data["text/plain"]
    assert form.run_button.description == "Run" and not form.running
    assert not form.host.disabled and not form.mode.disabled and not form.timeout.disabled  # given back


def test_a_check_that_ignores_cancel_is_given_up_on_within_a_second(shell):
    release = threading.Event()

    def stubborn(settings):
        release.wait(10)  # no socket to shut: only the form's own give-up can end the wait
        return _report(settings)

    form = ServerForm(host="smtp.example.com", action=stubborn)
    form.run_button.click()
    time.sleep(0.3)
    pressed = time.monotonic()
    form.cancel()
    assert form.wait(1.5) and time.monotonic() - pressed < 1.2
    assert "background" in form.last_shown.to_text()
    release.set()


# -- the rest of what the CLI can set ---------------------------------------------------------
TOKEN = "ya29.form-oauth-token-test"


def test_oauth_token_is_handled_like_the_password(shell):
    form = ServerForm(host="smtp.example.com", username="me@example.com", password=PASSWORD, action=_report)
    form.token.value = TOKEN
    assert form.token.value == ""
    assert "OAuth token: set" in form.password_state.value
    settings = form.settings()
    assert isinstance(settings.token, Secret) and settings.token.reveal() == TOKEN
    assert settings.password is None
    assert settings.target.credential == "oauth"
    state = json.dumps(widgets.Widget.get_manager_state(drop_defaults=False))
    for form_of_it in (TOKEN, base64.b64encode(TOKEN.encode()).decode()):
        assert form_of_it not in state
    assert TOKEN not in repr(settings) and TOKEN not in json.dumps(settings.to_dict())
    form.forget_password()
    assert form.settings().token is None


def test_auth_mechanism_deadline_and_plaintext_opt_in_reach_the_target(shell):
    form = ServerForm(host="smtp.example.com", action=_report)
    assert form.plaintext_warning.value == ""
    assert form.settings().target.allow_plaintext_auth is False
    form.auth_mechanism.value = "LOGIN"
    form.deadline.value = "45"
    form.allow_plaintext_auth.value = True
    assert "unencrypted" in form.plaintext_warning.value
    target = form.settings().target
    assert (target.auth_mechanism, target.deadline, target.allow_plaintext_auth) == ("LOGIN", 45.0, True)
    form.deadline.value = ""  # empty: the default, enough for every step
    assert form.settings().target.deadline is None
    preset = ServerForm(host="smtp.example.com", auth_mechanism="plain", deadline=20, allow_plaintext_auth=True)
    assert preset.settings().target.auth_mechanism == "PLAIN" and preset.plaintext_warning.value


def test_a_bad_value_gets_the_settings_models_message(shell):
    form = ServerForm(host="smtp.example.com\r\nQUIT", action=_report)
    with capture_output() as cap:
        assert form.run() is None
    text = cap.outputs[0].data["text/plain"]
    assert "carriage return" in text and "Traceback" not in text
    assert isinstance(form.last_error, InvalidSettings) and form.last_error.field == "host"
    form.host.value = f"smtp://me:{PASSWORD}@smtp.example.com"
    with capture_output() as cap:
        form.run()
    assert PASSWORD not in json.dumps(cap.outputs[0].data) and PASSWORD not in form.status.value
    assert PASSWORD not in json.dumps(form.fields.marked)


def test_the_plaintext_opt_in_lets_the_lab_servers_own_refusal_show(lab, shell):
    form = ServerForm(lab, scenario="starttls_required", allow_plaintext_auth=True)
    with capture_output():
        report = form.run()
    assert "auth.requires_tls" in report.codes(), report.codes()
    assert report.target.allow_plaintext_auth is True
    with capture_output():
        refused = ServerForm(lab, scenario="starttls_required").run()
    assert "auth.plaintext_refused" in refused.codes(), refused.codes()


# -- other forms -------------------------------------------------------------------------------
def test_kernel_redacts_secrets_from_anything_displayed(shell):
    from IPython.display import display

    from smtpkit.ui import install_output_redaction

    secret = Secret("kernel-redaction-test-pw")
    assert install_output_redaction(shell)
    with capture_output() as cap:
        display({"oops": secret.reveal(), "b64": base64.b64encode(b"\0u\0kernel-redaction-test-pw").decode()})
    text = json.dumps(cap.outputs[0].data)
    assert "kernel-redaction-test-pw" not in text
    assert REDACTED in text


def test_eml_form_verifies_the_lab_sample_then_an_upload(lab, shell):
    from smtpkit.ui import EmlForm, lab_signed_sample

    form = EmlForm(lab)
    with capture_output() as cap:
        form.run()
    text = cap.outputs[0].data["text/plain"]
    assert "the lab-signed sample" in text and "PASS" in text
    tampered = lab_signed_sample().replace(b"Hello from the smtpkit lab", b"Hello from a forger")
    upload = {
        "name": "forged.eml",
        "type": "message/rfc822",
        "size": len(tampered),
        "content": memoryview(tampered),
        "last_modified": datetime.datetime.now(datetime.UTC),
    }
    form.upload.value = (upload,)
    assert form.upload.value == ()
    assert "forged.eml" in form.which.value
    with capture_output() as cap:
        form.click()
    final = [o for o in cap.outputs if o.update][-1].data["text/plain"]
    assert "forged.eml" in final and "FAIL" in final


def test_one_run_marks_every_field_that_cannot_be_used(lab):
    """Several bad fields, one Run: each is marked with its own message, and the line beside Run names them all
    in the order of the form (a Run marked one field, so a person fixed them one Run at a time)."""
    form = ServerForm(lab)
    form.mode.value = "own"
    form.host.value, form.port.value, form.timeout.value, form.helo.value = "", "99999", "abc", "a b"
    assert form.more.selected_index is None
    form.click(10)
    assert form.last_result is None
    assert set(form.fields.marked) == {"host", "port", "timeout", "helo"}
    assert "fix the fields Host, Port, Timeout and EHLO name" in form.status.value  # top to bottom
    assert form.more.selected_index == 0  # "More settings" opened: the EHLO name's message is seen
    form.host.value = "smtp.example.com"  # fixing one leaves the others marked
    assert set(form.fields.marked) == {"port", "timeout", "helo"}

    domain = DomainForm(lab)
    domain.domain.value, domain.ip.value, domain.timeout.value = "", "1.2.3", "five"
    domain.click(10)
    assert set(domain.fields.marked) == {"domain", "ip", "timeout"}
    assert "fix the fields Domain, Sending IP and Timeout" in domain.status.value


def test_a_result_that_cannot_be_shown_is_said_and_the_form_runs_again(lab):
    """A bug while a result is drawn (a banner, say) is shown as one, and Run works again: the worker thread
    died with it and left the form 'Running…' for good."""

    class Broken(DomainForm):
        def _banner(self, settings, result):
            raise RuntimeError("banner broke")

    form = Broken(lab)
    shown = form.click(60)
    assert "banner broke" in shown.to_text() and "bug in smtpkit" in shown.to_text()
    assert form.run_button.description == "Run" and not form.running and not form.domain.disabled


def test_a_refusal_no_field_of_the_form_holds_is_said_not_pointed_at(lab, shell):
    """'Nothing was run: fix what is marked above' with nothing marked left a person nothing to fix: a refusal
    of a setting the form has no field for is said in words, beside Run and in the result."""

    class Odd(DomainForm):
        def settings(self):
            raise InvalidSettings("the lab's DNS server is not running: start the lab again", field="lab_dns")

    form = Odd(lab)
    with capture_output():
        form.results()
        form.click(10)
    assert not form.fields.marked and form.last_result is None
    assert "DNS server is not running: start the lab again" in form.status.value
    assert "Nothing was run: the lab's DNS server is not running" in form.view.current.to_text()


def test_the_time_limit_line_goes_when_the_timeout_cannot_be_used(lab):
    """'This check takes at most 15 s' stayed after the timeout was changed to something refused."""
    form = DomainForm(lab)
    form.timeout.value = "5"
    assert "5 s" in form.limit_line.value
    form.timeout.value = "five"
    assert form.limit_line.value == ""
    form.timeout.value = "7"
    assert "7 s" in form.limit_line.value


def test_the_line_beside_run_and_the_strip_say_the_same_time(shell):
    """One run said '(0.2 s)' beside Run and 'Finished … in 0.1 s' in the strip: each timed from its own start,
    and the result's drawing counted in one of them."""
    import re
    import time as clock

    def slow_to_draw(settings: ServerInput) -> Report:
        clock.sleep(0.12)
        return _report(settings)

    form = ServerForm(host="smtp.example.com", action=slow_to_draw)
    real_wrap = form._wrap

    def wrap(settings: object, result: object) -> object:
        clock.sleep(0.3)  # a slow chart
        return real_wrap(settings, result)

    form._wrap = wrap  # type: ignore[method-assign]
    form.click(30)
    beside = re.search(r"\((\d+\.\d) s\)", form.status.value)
    strip = re.search(r"Finished.* in (\d+\.\d) s", form.live.widget.value)
    assert beside and strip and beside.group(1) == strip.group(1), (form.status.value, form.live.widget.value)
    assert float(beside.group(1)) < 0.4


def test_every_field_message_reads_as_a_sentence_and_what_was_typed_stays_as_typed():
    """'port 99999 is out of range' sat under one field and 'The domain ... holds spaces' under another."""
    from smtpkit.ui.fields import as_sentence

    form = ServerForm(host="smtp.example.com", action=_report)
    form.port.value = "99999"
    form.timeout.value = "0"
    form.click()
    assert form.fields.marked["port"].startswith("Port 99999 is out of range")
    assert form.fields.marked["timeout"].startswith("Timeout '0' is out of range")
    assert as_sentence("'abc' is not a date") == "'abc' is not a date"
    assert as_sentence("anchors.txt holds no DS record") == "anchors.txt holds no DS record"
    assert as_sentence("éte is") == "éte is" and as_sentence("") == ""


def test_a_providers_password_hint_fits_its_field_and_is_said_whole_under_it():
    """Gmail's placeholder was cut by the field at '(your norm…': the field holds a short hint, and the whole
    one is said on the line under the field (with the provider's notes it sat under the Provider menu)."""
    from smtpkit.knowledge.presets import PRESETS
    from smtpkit.ui.forms import short_hint

    form = ServerForm(preset="gmail", action=_report)
    assert form.password.placeholder == "a 16-character App Password when 2-Step Verification is …"
    assert (
        "Password: not set (Gmail / Google Workspace: a 16-character App Password when 2-Step Verification is on "
        "(your normal password is"
    ) in form.password_state.value
    assert "16-character App Password" not in form.hint.value
    form.preset.value = "custom"  # another provider's words do not stay
    assert "App Password" not in form.password_state.value and "Password: not set." in form.password_state.value
    for preset in PRESETS:
        short = short_hint(preset.password_hint)
        assert len(short) <= 60 and short.count("(") == short.count(")"), short


def test_a_link_from_a_findings_note_fills_its_form_once_and_never_a_password(lab, shell, monkeypatch):
    """In the app, a note's link carries its command's values (`app_pages.page_link`); the page's form types
    them in when shown, as a person would: a host typed in lab mode switches to your own server."""
    from smtpkit.render import app_pages
    from smtpkit.ui.receiving import ReceivingForm

    monkeypatch.setenv("QUERY_STRING", "fill=ServerForm&Host=mail.example.com")
    plain = ServerForm(lab, action=_report)
    with capture_output():
        plain._ipython_display_()  # JupyterLab's kernel: no link brought anyone here, whatever its environment
    assert plain.mode.value == "lab" and plain.host.value != "mail.example.com"
    monkeypatch.setattr(app_pages, "_on", True)
    monkeypatch.setenv(
        "QUERY_STRING",
        "fill=ServerForm&Host=mail.example.com&Port=465&Security=Implicit+TLS&Password=hunter2&OAuth+token=t0k"
        "&Nothing=here",
    )
    form = ServerForm(lab, action=_report)
    assert form.mode.value == "lab"
    with capture_output():
        form._ipython_display_()
    assert (form.mode.value, form.host.value, form.port.value, form.security.value) == (
        "own",
        "mail.example.com",
        "465",
        "tls",
    )
    assert form.password.value == "" and form.settings().password is None and form.token.value == ""
    assert "Filled in from the link you followed: Host, Port, Security." in form.status.value
    assert "scrollIntoView" in form.css.value  # the page opens at the form (the browser does not scroll itself)
    form.host.value = "other.example.com"
    with capture_output():
        form._ipython_display_()  # shown again (a second cell): the person's own typing stays
    assert form.host.value == "other.example.com"
    other = DomainForm(lab)  # a link for another form of the page leaves this one alone
    with capture_output():
        other._ipython_display_()
    assert other.domain.value == lab.domain and other.status.value == "" and "scrollIntoView" not in other.css.value
    monkeypatch.setenv("QUERY_STRING", "fill=ReceivingForm&Domain=example.org&Connect+to+each+MX=no&Sending+IP=1.2.3.4")
    receiving = ReceivingForm(lab)
    with capture_output():
        receiving._ipython_display_()
    assert (receiving.domain.value, receiving.ip.value, receiving.probe.value) == ("example.org", "1.2.3.4", False)


def test_every_lab_scenario_label_fits_the_menu(lab):
    """The menu (422 px) cut longer labels mid-word ("…like port 587 at any provide") and hid the expected code
    after them: a label now ends with " …" where it is cut, and the hint under the menu says the rest."""
    from smtpkit.ui.lab import scenario_choices

    choices = scenario_choices(lab)
    assert [name for _label, name in choices] == lab.names
    for label, name in choices:
        assert label.startswith(f"{name}: ") and len(label) <= 66, label
    form = ServerForm(lab, scenario="too_large", action=_report)
    assert "SIZE 512" in form.hint.value  # the whole description, under the menu


def test_a_host_typed_after_the_labs_name_replaces_it(lab):
    """Keystrokes arrive as whole values: the first after the lab's name switches to My server and drops the name;
    one the browser sent before it heard of that (the name still in front) is dropped too."""
    form = ServerForm(lab)
    lab_host = form.host.value
    assert form.host.continuous_update is False  # in the lab, what is typed arrives whole (on leaving the field)
    form.host.value = lab_host + "localhost"
    assert not form.in_lab and form.host.value == "localhost" and form.host.continuous_update is True
    form.mode.value = "lab"
    assert form.in_lab and form.host.value == lab_host and form.host.continuous_update is False
    form.host.value = lab_host + "l"
    assert not form.in_lab and form.host.value == "l"
    form.host.value = lab_host + "lo"  # sent by the browser before the "l" came back
    assert form.host.value == "lo"
    form.host.value = "loc"
    form.host.value = "localhost"
    assert form.host.value == "localhost" and form._lab_prefix == ""
    form.host.value = lab_host + ".example"  # typed in full later: a name of its own, kept as typed
    assert form.host.value == lab_host + ".example"


def test_emptying_the_domain_field_to_type_a_lab_domain_stays_in_the_lab(lab):
    """The first Backspace in Domain switched to My domain and hid the lab's menu. The start of a lab domain
    keeps the lab; a Run with one decides."""
    form = DomainForm(lab)
    name = form.domain.value
    for n in range(len(name) - 1, -1, -1):  # Backspace after Backspace
        form.domain.value = name[:n]
        assert form.in_lab and form.zone.layout.display != "none", form.domain.value
    form.domain.value = "spf-plus"  # typing a lab domain
    assert form.in_lab
    with pytest.raises(InvalidSettings):  # run with it: not a lab domain, so a domain of your own after all
        form.settings()
    assert not form.in_lab and form.ip.value == ""
    form.mode.value = "lab"
    form.domain.value = "example.com"  # a domain no lab domain starts with: your own at once
    assert not form.in_lab and form.zone.layout.display == "none"


def test_the_lab_domain_menu_says_what_is_wrong_with_each_and_fills_the_form(lab):
    """The lab's 85 domains were a list of bare names under the Domain field, shown only once it was emptied.
    The menu names each with what is wrong with it; choosing one puts it in Domain and sets up its lesson;
    typing one moves the menu to it."""
    form = DomainForm(lab)
    labels = dict((zone, label) for label, zone in form.zone.options)
    assert list(labels) == lab_zones(lab) and form.zone.value == lab.domain
    assert labels["dmarc-pct.test"] == "dmarc-pct.test: p=quarantine; pct=25, a ramp-up left half-way"
    assert labels["spf-plus-all.test"] == "spf-plus-all.test: ends in +all"  # the code is the hint's to name
    assert all(len(label) <= 66 for label in labels.values())
    form.zone.value = "ptr-mismatch.test"
    assert form.domain.value == "ptr-mismatch.test" and form.in_lab
    assert form.ip.value == "127.0.2.2" and "ptr-mismatch.test" in form.hint.value  # its lesson's sending IP
    form.domain.value = "news.dmarc-sp-none.test"  # a name under a lab domain: the menu shows that domain
    assert form.zone.value == "dmarc-sp-none.test" and form.in_lab
    form.mode.value = "own"
    assert form.zone.layout.display == "none" and form.domain.value == ""
    form.zone.value = "dkim-short.test"  # a link or a script choosing a lab domain: back in the lab
    assert form.in_lab and form.domain.value == "dkim-short.test" and form.zone.layout.display != "none"
    assert DomainForm().zone.options == () and DomainForm().zone.layout.display == "none"  # no lab: no menu
    form.zone.value = "dmarc-np.test"  # a lesson on a name under the lab domain, which does not exist
    assert form.domain.value == "ghost.dmarc-np.test" and form.zone.value == "dmarc-np.test"
    assert "Practice lab domain dmarc-np.test (checked at ghost.dmarc-np.test)" in form.hint.value
    assert "the result first says that it does not exist" in form.hint.value  # the FAIL before the lesson
    form.zone.value = "dkim-short.test"
    assert "(selector default). Run it" in form.hint.value  # its "(fail)" went with its code
