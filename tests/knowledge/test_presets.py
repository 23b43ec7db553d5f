"""Provider presets: the facts users need, and recognising a provider from a host name or greeting."""

from __future__ import annotations

import pytest

from smtpkit.knowledge.catalogue import catalogue
from smtpkit.knowledge.presets import (
    PRESETS,
    preset,
    preset_keys,
    presets_frame,
    provider_for_host,
    provider_from_banner,
    ses_host,
)


def test_dropdown_order_lab_first_custom_last() -> None:
    keys = preset_keys()
    assert keys[0] == "lab" and keys[-1] == "custom"
    assert {"gmail", "office365", "outlook", "yahoo", "ses", "sendgrid", "mailgun"} <= set(keys)
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("key", "host", "ports", "first_security"),
    [
        ("gmail", "smtp.gmail.com", {587, 465}, "starttls"),
        ("office365", "smtp.office365.com", {587}, "starttls"),
        ("outlook", "smtp-mail.outlook.com", {587}, "starttls"),
        ("yahoo", "smtp.mail.yahoo.com", {465, 587}, "tls"),
        ("ses", "email-smtp.{region}.amazonaws.com", {587, 465, 2587, 25, 2465}, "starttls"),
        ("sendgrid", "smtp.sendgrid.net", {587, 465, 2525}, "starttls"),
        ("mailgun", "smtp.mailgun.org", {587, 465, 2525}, "starttls"),
    ],
)
def test_provider_facts(key: str, host: str, ports: set[int], first_security: str) -> None:
    p = preset(key)
    assert p.host == host
    assert ports <= {pm.port for pm in p.ports}
    assert p.security == first_security
    # 465 is always implicit TLS; 587/2525/2587 always STARTTLS.
    for pm in p.ports:
        assert pm.security == ("tls" if pm.port in (465, 2465) else "starttls"), (key, pm)
    assert p.username_hint and p.password_hint and p.limits and p.docs.startswith("https://")


def test_facts_people_get_wrong_are_stated() -> None:
    assert "App Password" in preset("gmail").password_hint and "2-Step Verification" in preset("gmail").password_hint
    assert "500" in preset("gmail").limits and "2,000" in preset("gmail").limits
    assert "10,000" in preset("office365").limits and "30 messages/minute" in preset("office365").limits
    assert "not your IAM access key" in preset("ses").username_hint
    assert "200 messages per 24 hours" in preset("ses").limits
    assert preset("sendgrid").username_hint == "the literal word apikey"
    assert "smtp.eu.mailgun.org" in preset("mailgun").notes
    assert "app password" in preset("yahoo").password_hint


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(KeyError, match="gmail"):
        preset("hotmale")


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("smtp.gmail.com", "gmail"),
        ("SMTP.GMAIL.COM.", "gmail"),
        ("smtp-relay.gmail.com", "gmail"),
        ("aspmx.l.google.com", "gmail"),
        ("alt1.gmail-smtp-in.l.google.com", "gmail"),
        ("smtp.office365.com", "office365"),
        ("outlook.office365.com", "office365"),
        ("contoso-com.mail.protection.outlook.com", "office365"),
        ("smtp-mail.outlook.com", "outlook"),
        ("smtp.live.com", "outlook"),
        ("smtp.mail.yahoo.com", "yahoo"),
        ("mta5.am0.yahoodns.net", "yahoo"),
        ("email-smtp.eu-west-1.amazonaws.com", "ses"),
        ("email-smtp.us-gov-west-1.amazonaws.com", "ses"),
        ("email-smtp-fips.us-east-1.amazonaws.com", "ses"),
        ("smtp.sendgrid.net", "sendgrid"),
        ("smtp.mailgun.org", "mailgun"),
        ("smtp.eu.mailgun.org", "mailgun"),
        ("mail.smtpkit.test", "lab"),
    ],
)
def test_provider_for_host(host: str, key: str) -> None:
    p = provider_for_host(host)
    assert p is not None and p.key == key


@pytest.mark.parametrize(
    "host",
    [
        "",
        None,
        "mail.example.com",
        "127.0.0.1",
        "::1",
        "[::1]",
        "notgmail.com",
        "gmail.com.evil.example",
        "amazonaws.com",
        "s3.amazonaws.com",
    ],
)
def test_provider_for_host_claims_nothing_it_cannot_tell(host: str | None) -> None:
    assert provider_for_host(host) is None


@pytest.mark.parametrize(
    ("banner", "key"),
    [
        ("220 smtp.gmail.com ESMTP d9443c01a7336-1f6a2b5c1e2sm123456ad.123 - gsmtp", "gmail"),
        ("220 mx.google.com ESMTP x3si1234567wrs.321 - gsmtp", "gmail"),
        (
            (
                "220 BN0PR04CA0042.outlook.office365.com Microsoft ESMTP MAIL Service ready at Tue, 5 Mar 2024 09:12:00"
                " +0000"
            ),
            "office365",
        ),
        ("220 email-smtp.amazonaws.com ESMTP SimpleEmailService-d-ABCDEF123", "ses"),
        ("220 SG ESMTP service ready at geopod-ismtpd-6-0", "sendgrid"),
        ("220 smtp.mailgun.org ESMTP ready", "mailgun"),
        ("220 smtp.mail.yahoo.com ESMTP ready", "yahoo"),
    ],
)
def test_provider_from_banner(banner: str, key: str) -> None:
    assert provider_from_banner(banner) == key


@pytest.mark.parametrize(
    "banner", ["", None, "220 mail.example.com ESMTP Postfix (Debian/GNU)", "220 mail.smtpkit.test ESMTP"]
)
def test_provider_from_banner_unknown(banner: str | None) -> None:
    assert provider_from_banner(banner) is None


def test_ses_host() -> None:
    assert ses_host("eu-west-1") == "email-smtp.eu-west-1.amazonaws.com"
    assert ses_host(" US-EAST-1 ") == "email-smtp.us-east-1.amazonaws.com"
    assert ses_host("us-gov-west-1") == "email-smtp.us-gov-west-1.amazonaws.com"
    for bad in ("", "europe", "eu-west-1.evil.example", "../x", "eu west 1"):
        with pytest.raises(ValueError, match="region"):
            ses_host(bad)


def test_presets_frame_for_the_notebook() -> None:
    df = presets_frame()
    assert list(df["key"]) == preset_keys()
    for col in ("provider", "host", "ports", "security", "username", "password", "sending_limits", "notes"):
        assert col in df.columns
    gmail = df.set_index("key").loc["gmail"]
    assert "587 (STARTTLS)" in gmail["ports"] and "465 (implicit TLS)" in gmail["ports"]


def test_every_provider_fix_key_is_a_preset() -> None:
    keys = set(preset_keys())
    for spec in catalogue().values():
        assert set(spec.provider_fixes) <= keys, (spec.code, set(spec.provider_fixes) - keys)


def test_presets_are_immutable() -> None:
    p = PRESETS[1]
    with pytest.raises(AttributeError):
        p.host = "evil.example"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.params["x"] = 1  # type: ignore[index]
