"""The tool forms: port matrix, SPF trace, SPF record reading, DKIM key generation, "explain this error".

Each runs its real tool (against the practice lab, or nothing at all for the
pure ones); bad values are marked on their field and nothing runs.
"""

from __future__ import annotations

import base64
import json
import os
import re

import ipywidgets as widgets
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from smtpkit.ui import DkimKeyForm, ExplainForm, PortsForm, SpfRecordForm, SpfTraceForm


@pytest.fixture(scope="module")
def shell():
    return InteractiveShell.instance()


def test_ports_form_probes_the_lab_servers_then_your_own_host(lab, shell):
    form = PortsForm(lab, timeout=2)
    assert form.mode.value == "lab" and str(lab.endpoint("silent").port) in form.ports.value
    with capture_output() as cap:
        matrix = form.run()
    assert matrix.recommendation["port"] == lab.endpoint("implicit_tls").port or matrix.recommendation["port"]
    text = cap.outputs[0].data["text/plain"]
    assert "Practice lab" in text and "submission" in text
    picture = form.picture()  # notebook 01's picture cell: it follows the form's runs
    with capture_output():
        picture._ipython_display_()
    assert "mail.smtpkit.test" in picture.to_text()
    form.host.value = "localhost"  # typing a host: your own server, with this computer's resolver and CAs
    assert form.mode.value == "own" and form.nameserver.value == "" and form.cafile.value == ""
    form.ports.value = str(lab.endpoint("submission").port)
    with capture_output() as cap:
        form.run()
    html = next(o.data["text/html"] for o in cap.outputs if "smtpkit-mode-" in o.data.get("text/html", ""))
    assert "smtpkit-mode-own" in html and lab.nameserver not in html and lab.ca_file not in html
    # the picture was redrawn for this run: it kept the lab's matrix under a result for your own server
    assert "localhost" in picture.to_text() and "mail.smtpkit.test" not in picture.to_text()


@pytest.mark.parametrize(("value", "words"), [("99999", "out of range"), ("25, abc", "not a number"), ("", "empty")])
def test_ports_form_marks_a_bad_port_list(lab, shell, value, words):
    form = PortsForm(lab)
    form.ports.value = value
    calls = []
    form.action = lambda s: calls.append(s)
    form.click()
    assert calls == [] and words in form.fields.marked["ports"], form.fields.marked


def test_spf_trace_form_in_the_lab_and_for_your_own_domain(lab, shell):
    form = SpfTraceForm(lab, domain="spf-plus-all.test")
    assert form.mode.value == "lab" and form.ip.value == "127.0.0.1"
    with capture_output() as cap:
        form.run()
    assert "+all" in cap.outputs[0].data["text/plain"]
    form.domain.value = "example.com"
    assert form.mode.value == "own" and form.nameserver.value == "" and form.ip.value == ""
    form.ip.value = "192.0.2.300"
    form.click()
    assert "not an IP address" in form.fields.marked["ip"]


def test_spf_record_form_reads_a_pasted_record_without_dns(shell):
    form = SpfRecordForm(record="v=spf1 include:_spf.google.com +all", domain="example.com")
    with capture_output() as cap:
        form.run()
    text = cap.outputs[0].data["text/plain"]
    assert "+all" in text and "any server on the internet" in text
    form.record.value = "   "
    form.click()
    assert "empty" in form.fields.marked["record"]


def test_dkim_key_form_never_puts_the_private_key_in_an_output(shell, tmp_path):
    form = DkimKeyForm(domain="example.com", selector="mail2026")
    with capture_output() as cap:
        form.run()
    key = form.key
    outputs = json.dumps([o.data for o in cap.outputs])
    secret = key.private_key.decode()
    body = "".join(line for line in secret.splitlines() if "-----" not in line)
    assert body[:40] not in outputs and base64.b64encode(key.private_key).decode()[:40] not in outputs
    assert "p=" in outputs and "mail2026._domainkey.example.com" in outputs
    assert outputs.count("smtpkit-copy") == 4  # a Copy button for the name, type, value and zone line
    assert "white-space:pre-wrap" in outputs  # the record wraps to the page instead of scrolling sideways
    # the download link is in the form (widget state while shown), with the key as a data: URL
    link = re.search(r'href="data:application/octet-stream;base64,([^"]+)"', form.key_link.value)
    assert link and base64.b64decode(link.group(1)) == key.private_key
    form.forget_key()
    assert form.key_link.value == ""
    state = json.dumps(widgets.Widget.get_manager_state(drop_defaults=False))
    assert body[:40] not in state and base64.b64encode(key.private_key).decode()[:40] not in state

    form.folder.value = str(tmp_path / "keys")
    with capture_output():
        form.run()
    again = form.key
    path = tmp_path / "keys" / again.private_key_filename
    assert path.read_bytes() == again.private_key and (path.stat().st_mode & 0o777) == 0o600
    with capture_output():
        form.run()  # never overwritten: a new key needs a new selector
    assert "exists already" in form.fields.marked["folder"]
    form.forget_key()


@pytest.mark.parametrize(
    ("field", "value", "words"), [("domain", "not a domain", "holds spaces"), ("selector", "", "empty")]
)
def test_dkim_key_form_marks_bad_names(shell, field, value, words):
    form = DkimKeyForm(domain="example.com", selector="s1")
    getattr(form, field).value = value
    form.click()
    name = {"selector": "selectors"}[field] if field == "selector" else field
    assert words in form.fields.marked[name], form.fields.marked
    assert form.key_link.value == ""


def test_explain_form_explains_a_reply_a_bounce_and_a_quoted_reply(shell):
    form = ExplainForm(
        text="535-5.7.8 Username and Password not accepted.\n535 5.7.8 https://support.google.com/mail/?p=BadCredentials"
    )
    with capture_output():
        report = form.run()
    assert "auth.bad_credentials" in report.codes()
    # the verdict is the text's, said as such: "Explain this error: …: FAIL" read as the explainer failing
    assert "it reports a failure (<b>FAIL</b>), explained below" in form.status.value
    form.text.value = "250 2.0.0 OK queued as 4F2A1"
    with capture_output():
        form.run()
    assert "it reports success (<b>PASS</b>)" in form.status.value
    form.text.value = (
        "Your message to bob could not be delivered.\n"
        "The server said: 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown"
    )
    with capture_output():
        report = form.run()
    assert report.codes() and report.steps[0].details["found in what you pasted"].startswith("550 5.1.1")
    form.text.value = "Error: connect ETIMEDOUT 198.51.100.7:587"  # the program's own words: no reply in them
    with capture_output():
        report = form.run()
    assert report.codes() == ["client.timeout"]
    form.text.value = "my mail does not work"
    form.click()
    assert "neither an SMTP reply" in form.fields.marked["text"]


def test_explain_form_reads_a_whole_bounce(lab, shell):
    from smtpkit.lab.evidence import bounce_from_lab

    raw = bounce_from_lab(lab)  # a real DSN from the lab MX, pasted as text
    form = ExplainForm(text=raw.decode("utf-8", "replace"))
    with capture_output():
        report = form.run()
    assert report.step("bounce") is not None and report.verdict in ("fail", "warn")


def test_the_start_page_keeps_its_code_hidden():
    import nbformat

    from smtpkit.reporting import notebooks_dir

    nb = nbformat.read(os.path.join(notebooks_dir(), "00_start_here.ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.metadata.get("jupyter", {}).get("source_hidden") for c in code)


def test_text_that_is_no_reply_is_marked_on_its_field_and_the_strip_does_not_keep_running() -> None:
    """Pasted text the explainer cannot read (no reply, no bounce, no program error in it): the field is marked
    and the result says what to paste, as a warning; the strip said 'Running' under it and the result 'FAIL:
    Nothing was sent ... the setting text' (an internal name, a failure verdict, and nothing is sent here)."""
    from smtpkit.ui import ExplainForm

    form = ExplainForm(text="Mail to smtp.example.com:25 does not arrive since Monday")
    shown = form.click(30)
    text = shown.to_text()
    assert shown.status == "warn" and "Check Error or bounce" in text and "Nothing was sent" not in text
    assert "text" in form.fields.marked and "Nothing was concluded" in form.status.value
    assert "Running" not in form.live.widget.value
    assert form.run_button.description == "Run" and not form.run_button.disabled


def test_a_pasted_traceback_is_named_by_its_error_line(shell):
    form = ExplainForm(
        text='Traceback (most recent call last):\n  File "send.py", line 3, in <module>\n'
        '    smtplib.SMTP_SSL("smtp.example.com", 465)\nTimeoutError: timed out\n'
    )
    with capture_output():
        report = form.run()
    assert report.codes() == ["client.timeout"]
    assert "Explain this error: TimeoutError: timed out" in form.status.value
