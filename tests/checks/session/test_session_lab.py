"""The session against the practice lab: the healthy servers end to end, and every scenario by name.

Also the security promise: nothing diagnose() produces (JSON, text, HTML,
markdown, DataFrames, transcript) contains the lab password in any encoding,
and the engine never even hands a raw credential line to the redactor.
"""

from __future__ import annotations

import base64
import json
import time

import pytest

from smtpkit import diagnose, model
from smtpkit.knowledge.catalogue import catalogue
from smtpkit.lab import all_scenarios
from smtpkit.model import Status

SCENARIO_TABLE = {s.name: s for s in all_scenarios()}


def lab_kwargs(lab, name: str) -> dict:  # type: ignore[no-untyped-def]
    """How a careful user would point smtpkit at lab endpoint `name` to see its lesson."""
    e = lab.endpoint(name)
    scenario = SCENARIO_TABLE.get(name)
    kw = {
        "host": e.host,
        "port": e.port,
        "security": e.security,
        "cafile": lab.ca_file,
        "timeout": 3.0,
        "mail_from": lab.user,
        "rcpt_to": "someone@example.org",
        "send": True,
    }
    if e.scenario != "connect" and not (scenario is not None and scenario.auth == "none"):
        kw.update(username=lab.user, password=lab.password)
    if name == "mx":
        kw["rcpt_to"] = f"bob@{lab.domain}"
    if e.security == "plain":
        kw["allow_plaintext_auth"] = True  # loopback lab only: lets the server's own refusal show
    return kw


def secret_forms(user: str, password: str) -> list[str]:
    raw = password.encode()
    forms = [password, base64.b64encode(raw).decode()]
    for blob in (
        f"\0{user}\0{password}",
        f"{user}\0{user}\0{password}",
        f"user={user}\x01auth=Bearer {password}\x01\x01",
    ):
        forms.append(base64.b64encode(blob.encode()).decode())
    return forms


def all_outputs(report) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(
        [
            report.to_json(),
            report.to_text(transcript=True),
            report.to_html(transcript=True),
            report.to_markdown(),
            report.to_frame().to_csv(),
            report.findings_frame().to_csv(),
            report.transcript_frame().to_csv(),
            repr(report.target),
        ]
    )


def test_submission_end_to_end_with_a_real_send(lab, lab_resolver) -> None:
    """By name through the lab's DNS, STARTTLS with the lab CA, AUTH, and a message that arrives."""
    report = diagnose(
        "mail.smtpkit.test",
        lab.endpoint("submission").port,
        username=lab.user,
        password=lab.password,
        cafile=lab.ca_file,
        resolver=lab_resolver,
        mail_from=lab.user,
        rcpt_to=f"alice@{lab.domain}",
        send=True,
        timeout=3.0,
    )
    assert report.verdict == "pass", report.to_text(transcript=True)
    assert [s.status for s in report.steps] == [Status.PASS] * 7
    token = report.step("send").details["subject token"]
    assert any(token in m.subject for m in lab.messages("submission"))
    assert report.step("tls").details["AUTH before TLS"] == "none"  # the lab offers AUTH only after TLS
    assert "PLAIN" in report.step("tls").details["AUTH after TLS"]
    lines = [t.text for t in report.transcript_lines()]
    assert "AUTH PLAIN <redacted>" in lines
    assert any(line.startswith("---- TLS established") for line in lines)
    assert all(PW not in all_outputs(report) for PW in secret_forms(lab.user, lab.password.reveal()))


def test_implicit_tls_end_to_end(lab) -> None:
    report = diagnose(**{**lab_kwargs(lab, "implicit_tls"), "rcpt_to": f"bob@{lab.domain}"})
    assert report.verdict == "pass", report.to_text()
    assert [s.name for s in report.steps] == ["resolve", "connect", "tls", "banner", "ehlo", "auth", "send"]


def test_dry_run_leaves_no_message(lab) -> None:
    before = len(lab.messages("submission"))
    report = diagnose(**{**lab_kwargs(lab, "submission"), "send": False})
    assert report.verdict == "pass"
    summary = report.step("send").summary
    assert "dry run" in summary
    assert "nothing was sent" in summary
    # it is read in shared reports too: how to really send is the form's box, --send's help and send=True's doc,
    # not three channels' instructions in every dry run's result (a report's reader has none of them)
    assert "--send" not in summary and "send=True" not in summary and "notebook" not in summary
    assert len(lab.messages("submission")) == before


SCENARIOS = sorted(s.name for s in all_scenarios())


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_lab_scenario_is_named_by_its_expected_code(lab, name: str) -> None:
    if name not in lab.names:
        pytest.skip(f"the lab skipped {name}: {lab.skipped.get(name, 'not started')}")
    e = lab.endpoint(name)
    report = diagnose(**lab_kwargs(lab, name))
    if e.expect is None:
        assert report.verdict in ("pass", "warn"), report.to_text()
        return
    assert e.expect in catalogue(), f"the lab scenario {name} expects {e.expect}, which is not a catalogue code"
    assert e.expect in report.codes(), report.to_text(transcript=True)
    finding = next(f for f in report.findings if f.code == e.expect)
    assert finding.explanation and finding.fix


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_no_credential_line_is_ever_recorded_raw(lab, monkeypatch, mechanism: str) -> None:
    """With the redactor switched off, the transcript must still hold no credential: we log pre-redacted."""
    monkeypatch.setattr(model, "redact", lambda text: text)
    report = diagnose(**{**lab_kwargs(lab, "submission"), "auth_mechanism": mechanism, "send": False})
    assert report.step("auth").status is Status.PASS, report.to_text(transcript=True)
    transcript = "\n".join(t.text for t in report.transcript_lines())
    for form in secret_forms(lab.user, lab.password.reveal()):
        assert form not in transcript
    assert "<redacted>" in transcript


def test_xoauth2_with_a_rejected_token_never_leaks_it(lab, monkeypatch) -> None:
    token = "ya29.a0Lb7qZk-Wv3Tq8Jd2Rm5Hs1Gf6Cn4"  # random-looking, as real tokens are: no word of the report in it
    monkeypatch.setattr(model, "redact", lambda text: text)
    kw = lab_kwargs(lab, "submission")
    kw.pop("password")
    report = diagnose(**{**kw, "oauth_token": token, "send": False})
    assert report.step("auth").details["mechanism"].startswith("XOAUTH2")
    assert report.step("auth").status is Status.FAIL
    monkeypatch.undo()
    text = all_outputs(report)
    for form in secret_forms(lab.user, token):
        assert form not in text


@pytest.mark.parametrize(
    "name", ["submission", "gmail_bad_credentials", "o365_auth_disabled", "starttls_required", "implicit_tls"]
)
def test_no_output_contains_the_lab_password(lab, name: str) -> None:
    report = diagnose(**lab_kwargs(lab, name))
    text = all_outputs(report)
    for form in secret_forms(lab.user, lab.password.reveal()):
        assert form not in text, f"{name}: a form of the password leaked"
    json.loads(report.to_json())


def test_silent_lab_port_costs_about_one_timeout(lab) -> None:
    start = time.monotonic()
    report = diagnose(**{**lab_kwargs(lab, "silent"), "timeout": 1.0})
    elapsed = time.monotonic() - start
    assert "banner.timeout" in report.codes()
    assert elapsed < 2.6  # the greeting wait, a short TLS probe, no QUIT wait


def test_plaintext_refusal_still_shows_the_servers_own_answer(lab) -> None:  # type: ignore[no-untyped-def]
    """We refuse to send the password unencrypted, then ask AUTH with no credentials to show the server's view."""
    e = lab.endpoint("starttls_required")
    report = diagnose(
        e.host, port=e.port, security="plain", username=lab.user, password=lab.password, cafile=lab.ca_file, timeout=3.0
    )
    assert report.codes()[:2] == ["auth.plaintext_refused", "auth.requires_tls"], report.to_text(transcript=True)
    auth_lines = [t.text for t in report.transcript_lines() if t.dir == "C" and t.text.upper().startswith("AUTH")]
    assert auth_lines == ["AUTH PLAIN"], auth_lines  # no initial response: nothing secret went out
    assert "530" in report.step("auth").details["AUTH without credentials"]


def test_a_lab_name_does_not_hide_the_provider_the_greeting_names(lab, lab_resolver) -> None:
    """mail.smtpkit.test matches the lab preset; the Gmail-style greeting must still bring Gmail's fix."""
    e = lab.endpoint("gmail_bad_credentials")
    report = diagnose(
        "mail.smtpkit.test",
        e.port,
        security=e.security,
        resolver=lab_resolver,
        cafile=lab.ca_file,
        username=lab.user,
        password=lab.password,
        timeout=3.0,
    )
    bad = [f for f in report.findings if f.code == "auth.bad_credentials"]
    assert bad, report.to_text()
    assert "App Password" in bad[0].fix, bad[0].fix
    assert report.step("banner").details.get("provider") == "gmail"


def test_the_lab_preset_stays_when_the_greeting_names_nobody(lab, lab_resolver) -> None:
    report = diagnose(
        "mail.smtpkit.test", lab.endpoint("submission").port, resolver=lab_resolver, cafile=lab.ca_file, timeout=3.0
    )
    assert report.step("banner").details.get("provider") == "lab"


@pytest.mark.parametrize(
    ("name", "security", "codes"),
    [
        (
            "starttls_required",
            "plain",
            ["auth.plaintext_refused", "auth.requires_tls"],
        ),  # refused by us, then the server
        ("submission", "plain", ["auth.not_offered"]),  # healthy server offers AUTH only after STARTTLS
        ("gmail_bad_credentials", None, ["auth.bad_credentials"]),  # refused by the server
    ],
)
def test_no_send_step_after_a_login_that_did_not_succeed(
    lab, name: str, security: str | None, codes: list[str]
) -> None:
    """One failure, not its consequence: no send.unauthenticated after a failed or refused login."""
    e = lab.endpoint(name)
    report = diagnose(
        e.host,
        e.port,
        security=security or e.security,
        username=lab.user,
        password=lab.password,
        cafile=lab.ca_file,
        mail_from=lab.user,
        rcpt_to="someone@example.org",
        timeout=3.0,
    )
    assert [c for c in report.codes() if not c.startswith("tls.")] == codes, report.to_text()
    send = report.step("send")
    assert (
        send.status is Status.SKIP
        and "the login did not succeed" in send.summary
        and "fix the login first" in send.summary
    )
    assert not any(t.text.upper().startswith("MAIL FROM") for t in report.transcript_lines())


def test_without_credentials_the_send_step_still_shows_the_servers_answer(lab) -> None:
    e = lab.endpoint("submission")
    report = diagnose(
        e.host,
        e.port,
        security="plain",
        cafile=lab.ca_file,
        mail_from=lab.user,
        rcpt_to="someone@example.org",
        timeout=3.0,
    )
    assert report.step("auth").status is Status.SKIP
    assert report.step("send").status is not Status.SKIP, report.to_text()
    assert "send.unauthenticated" in report.codes()
