"""The settings forms: filling, the password's path into a Secret, Run through display handles.

The actions here return real `Report` objects built from the result model, so
these tests exercise only the forms; the notebooks tests run the forms against
the practice lab with the real diagnosis.
"""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from smtpkit.errors import InvalidSettings
from smtpkit.model import Report, Status, Step
from smtpkit.secrets import REDACTED, Secret
from smtpkit.settings import DomainQuery, Target
from smtpkit.ui import DomainForm, ServerForm, ServerInput
from smtpkit.ui.display import Panel

PASSWORD = "Tr0ub4dor&3-form-test"


@pytest.fixture(scope="module")
def shell():
    return InteractiveShell.instance()


def _report(settings: ServerInput, *, status: str = "pass", summary: str = "fine") -> Report:
    t = settings.target
    step = Step("connect", Status(status), f"{summary} {t.host}:{t.port}")
    return Report(target={"host": t.host, "port": t.port}, steps=[step], title="test report")


def _html(output: dict) -> str:
    return output["data"].get("text/html", "")


def test_lab_scenario_fills_the_form(lab):
    form = ServerForm(lab, scenario="expired_cert", action=_report)
    ep = lab.endpoint("expired_cert")
    assert form.preset.value == "lab"
    assert form.port.value == ep.port
    assert form.security.value == ep.security
    assert form.username.value == lab.user
    assert "expired" in form.hint.value.lower()
    form.scenario.value = "implicit_tls"
    assert form.port.value == lab.endpoint("implicit_tls").port
    assert form.security.value == "tls"
    settings = form.settings()
    assert isinstance(settings.target, Target)  # the one settings model, as the CLI builds it
    assert settings.scenario == "implicit_tls"
    assert settings.target.cafile == lab.ca_file
    assert settings.target.nameservers == (lab.nameserver,)
    assert settings.password == lab.password  # the lab's own password, without typing it


def test_switching_from_the_lab_to_a_provider_drops_the_lab_login(lab, monkeypatch):
    # found in the browser: after picking Gmail the form still showed the lab user and
    # "Password: set (the practice lab's password)"
    monkeypatch.delenv("SMTPKIT_PASSWORD", raising=False)
    form = ServerForm(lab, scenario="submission", action=_report)
    assert "practice lab&#x27;s password" in form.password_state.value
    form.preset.value = "gmail"
    assert form.username.value == ""
    assert "not set" in form.password_state.value
    assert form.settings().password is None
    form.username.value = "me@gmail.example"
    form.preset.value = "office365"
    assert form.username.value == "me@gmail.example"  # a login the person typed stays
    form.preset.value = "lab"
    assert "practice lab&#x27;s password" in form.password_state.value


def test_provider_preset_fills_host_port_security_and_hint():
    form = ServerForm(preset="gmail", action=_report)
    assert (form.host.value, form.port.value, form.security.value) == ("smtp.gmail.com", 587, "starttls")
    assert "gmail" in form.username.placeholder.lower()
    form.preset.value = "ses"
    assert form.host.value == "email-smtp.us-east-1.amazonaws.com"
    assert "sandbox" in form.hint.value.lower()
    form.preset.value = "custom"
    assert form.host.value == ""


def test_explicit_host_recognises_the_provider():
    form = ServerForm(host="smtp.sendgrid.net", port=2525, security="starttls", action=_report)
    assert form.preset.value == "sendgrid"
    settings = form.settings()
    assert (settings.target.host, settings.target.port, settings.provider) == ("smtp.sendgrid.net", 2525, "sendgrid")


def test_password_moves_into_a_secret_and_the_widget_is_cleared(shell):
    import ipywidgets as widgets

    form = ServerForm(host="smtp.example.com", port=587, username="me@example.com", action=_report)
    form.password.value = PASSWORD  # what the browser sends when the field loses focus
    assert form.password.value == ""
    settings = form.settings()
    assert isinstance(settings.password, Secret) and settings.password.reveal() == PASSWORD
    assert "set (typed" in form.password_state.value
    # nothing the front end could save holds it: the whole widget manager state, as JSON
    state = json.dumps(widgets.Widget.get_manager_state(drop_defaults=False))
    for form_of_it in (PASSWORD, base64.b64encode(PASSWORD.encode()).decode()):
        assert form_of_it not in state
    assert PASSWORD not in repr(settings) and PASSWORD not in json.dumps(settings.to_dict())
    assert PASSWORD not in repr(form.box)
    form.forget_password()
    assert form.settings().password is None


def test_password_still_in_the_widget_is_taken_on_run(shell):
    form = ServerForm(host="smtp.example.com", action=_report)
    # simulate a front end that has not fired the observer yet
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
    # text/plain spells the status out: readable without colour or HTML
    assert "Server check" in first.data["text/plain"]

    form.port.value = 2525
    with capture_output() as cap:
        form.run_button.click()
    updates = [o for o in cap.outputs if o.update]
    assert updates, "the click must update the existing output, not create a new one"
    assert all(o.transient["display_id"] == display_id for o in updates)
    assert "Running" in updates[0].data["text/plain"]
    assert "smtp.example.com:2525" in updates[-1].data["text/html"]
    assert not [o for o in cap.outputs if not o.update]
    assert form.last_result.target["port"] == 2525
    assert "PASS" in form.status.value


def test_failing_status_is_spelled_out(shell):
    form = ServerForm(host="smtp.example.com", action=lambda s: _report(s, status="fail", summary="refused"))
    with capture_output() as cap:
        form.run()
    out = cap.outputs[0].data
    assert "FAIL" in out["text/plain"]
    assert "FAIL" in out["text/html"]  # the badge carries the word, not only a colour


def test_bad_settings_become_an_explanation_not_a_traceback(shell):
    form = ServerForm(action=_report)  # custom preset, empty host
    with capture_output() as cap:
        result = form.run()
    assert result is None
    text = cap.outputs[0].data["text/plain"]
    assert "Host is empty" in text and "Traceback" not in text
    assert isinstance(form.last_error, InvalidSettings) and form.last_error.field == "host"
    assert "FAIL" in form.status.value


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
    form.run_button.click()
    assert isinstance(form.last_result, Report)
    assert form._fallback.outputs, "with no cell output yet, the result goes to the form's own area"


def test_domain_form_defaults_to_the_lab(lab, shell):
    form = DomainForm(lab, action=lambda s: Panel("domain", [("", s.to_dict())]))
    settings = form.settings()
    assert isinstance(settings, DomainQuery)
    assert settings.domain == lab.domain
    assert settings.selectors == ("lab",)
    assert settings.nameservers == (lab.nameserver,)
    assert lab.domain in form.domain.options
    form.domain.value = " spf-plus-all.test. "
    form.selectors.value = "s1; s2 ,"
    settings = form.settings()
    assert settings.domain == "spf-plus-all.test"
    assert settings.selectors == ("s1", "s2")
    form.domain.value = ""
    with capture_output() as cap:
        form.run()
    assert "Domain is empty" in cap.outputs[0].data["text/plain"]


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
    form.upload.value = (upload,)  # what the browser sends when a file is chosen
    assert form.upload.value == ()  # the message left the widget at once
    assert "forged.eml" in form.which.value
    with capture_output() as cap:
        form.run_button.click()
    final = [o for o in cap.outputs if o.update][-1].data["text/plain"]
    assert "forged.eml" in final and "FAIL" in final


def test_results_shows_a_placeholder_that_run_fills(shell):
    form = ServerForm(host="smtp.example.com", port=25, action=_report)
    with capture_output() as cap:
        assert form.results() is None
    placeholder = cap.outputs[0]
    assert "Press Run above" in placeholder.data["text/plain"]
    with capture_output() as cap:
        form.run_button.click()
    assert [o.transient["display_id"] for o in cap.outputs] == [placeholder.transient["display_id"]] * 2
    assert "smtp.example.com:25" in cap.outputs[-1].data["text/html"]


# -- everything the CLI can set -------------------------------------------------------------------

TOKEN = "ya29.form-oauth-token-test"


def test_oauth_token_is_handled_like_the_password(shell):
    import ipywidgets as widgets

    form = ServerForm(host="smtp.example.com", username="me@example.com", password=PASSWORD, action=_report)
    form.token.value = TOKEN  # what the browser sends when the field loses focus
    assert form.token.value == ""
    assert "OAuth token: set" in form.password_state.value
    settings = form.settings()
    assert isinstance(settings.token, Secret) and settings.token.reveal() == TOKEN
    assert settings.password is None  # the token is used instead of the password
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
    form.deadline.value = 45
    form.allow_plaintext_auth.value = True
    assert "unencrypted" in form.plaintext_warning.value  # the warning appears with the opt-in
    target = form.settings().target
    assert (target.auth_mechanism, target.deadline, target.allow_plaintext_auth) == ("LOGIN", 45.0, True)
    form.deadline.value = 0  # 0: the default, enough for every step
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
    secret_host = f"smtp://me:{PASSWORD}@smtp.example.com"
    form.host.value = secret_host
    with capture_output() as cap:
        form.run()
    assert PASSWORD not in json.dumps(cap.outputs[0].data) and PASSWORD not in form.status.value


def test_the_plaintext_opt_in_lets_the_lab_servers_own_refusal_show(lab, shell):
    form = ServerForm(lab, scenario="starttls_required", allow_plaintext_auth=True)
    report = form.run()
    assert "auth.requires_tls" in report.codes(), report.codes()  # not our own refusal to send the password
    assert report.target.allow_plaintext_auth is True
    refused = ServerForm(lab, scenario="starttls_required").run()
    assert "auth.plaintext_refused" in refused.codes(), refused.codes()
