"""The TLS probe against the practice lab's scenario servers (real aiosmtpd servers, lab CA)."""

from __future__ import annotations

import pytest

from smtpkit.checks.tls import second_look, tls_step, wrong_mode_step
from smtpkit.model import Status
from smtpkit.net.tls import TlsOptions, detect_implicit_tls, start_tls
from smtpkit.record import replace
from tests.support.tls import leaf_of, plain_socket, starttls_socket

NAME = "mail.smtpkit.test"  # a name every good lab certificate carries


def _starttls(endpoint, opts: TlsOptions):
    return start_tls(
        starttls_socket(endpoint.host, endpoint.port),
        replace(opts, second_look=second_look),
        refetch=lambda: starttls_socket(endpoint.host, endpoint.port),
    )


def _codes(step) -> list[str]:
    return [f.code for f in step.findings]


@pytest.mark.parametrize(
    ("scenario", "code"),
    [
        ("self_signed", "tls.cert.self_signed"),
        ("expired_cert", "tls.cert.expired"),
        ("wrong_host", "tls.cert.hostname_mismatch"),
        ("not_yet_valid", "tls.cert.not_yet_valid"),
    ],
)
def test_certificate_scenarios(lab, scenario: str, code: str) -> None:
    ep = lab.endpoint(scenario)
    assert ep.expect == code
    out = _starttls(ep, TlsOptions(server_hostname=NAME, cafile=lab.ca_file, timeout=5))
    assert not out.ok and leaf_of(out) is not None
    step = tls_step(out, mode="starttls", host=NAME, port=ep.port)
    assert step.status is Status.FAIL
    assert _codes(step) == [code]
    assert {"field": "subject", "value": leaf_of(out).subject} in step.tables["certificate"]
    assert not {"subject", "SANs", "issuer", "valid to", "key"} & set(step.details)  # shown once, in the table


def test_expiring_soon_scenario(lab) -> None:
    ep = lab.endpoint("expiring_soon")
    out = _starttls(ep, TlsOptions(server_hostname=NAME, cafile=lab.ca_file, timeout=5))
    try:
        assert out.ok
        step = tls_step(out, mode="starttls", host=NAME, port=ep.port)
        assert step.status is Status.WARN
        assert "tls.cert.expiring_soon" in _codes(step)
        assert step.details["days left"] == 7  # as its description says (issued 7.5 days ahead: 6 read at once)
    finally:
        out.close()


def test_old_tls_scenario(lab) -> None:
    if "old_tls" in lab.skipped:
        pytest.skip(f"this machine's OpenSSL cannot serve TLS 1.0/1.1: {lab.skipped['old_tls']}")
    ep = lab.endpoint("old_tls")
    out = _starttls(ep, TlsOptions(server_hostname=NAME, cafile=lab.ca_file, timeout=5))
    assert out.legacy_version in ("TLSv1", "TLSv1.1")
    step = tls_step(out, mode="starttls", host=NAME, port=ep.port)
    assert _codes(step) == ["tls.protocol_outdated"]


def test_healthy_submission_and_implicit_tls(lab) -> None:
    sub = lab.endpoint("submission")
    out = _starttls(sub, TlsOptions(server_hostname=NAME, cafile=lab.ca_file, timeout=5))
    try:
        step = tls_step(out, mode="starttls", host=NAME, port=sub.port)
        assert step.status is Status.PASS, step.findings
        assert leaf_of(out).key_type == "RSA" and leaf_of(out).key_bits == 2048
    finally:
        out.close()
    imp = lab.endpoint("implicit_tls")
    out = start_tls(
        plain_socket(imp.host, imp.port),
        TlsOptions(server_hostname=NAME, cafile=lab.ca_file, timeout=5),
    )
    try:
        assert out.ok
        out.tls_socket.settimeout(5)
        assert out.tls_socket.recv(512).startswith(b"220 ")  # the greeting comes after the handshake
    finally:
        out.close()


def test_lab_ca_without_cafile_points_at_the_lab_ca(lab) -> None:
    ep = lab.endpoint("submission")
    out = _starttls(ep, TlsOptions(server_hostname=NAME, timeout=5))
    step = tls_step(out, mode="starttls", host=NAME, port=ep.port)
    assert _codes(step) == ["tls.cert.untrusted_issuer"]
    assert "practice lab's own CA" in step.findings[0].explanation


def test_wrong_modes_on_lab_ports(lab) -> None:
    sub = lab.endpoint("submission")
    out = start_tls(
        plain_socket(sub.host, sub.port),
        TlsOptions(server_hostname=NAME, cafile=lab.ca_file, timeout=5),
    )
    step = tls_step(out, mode="tls", host=NAME, port=sub.port)
    assert _codes(step) == ["tls.wrong_mode_implicit_on_starttls"]
    # the greeting is the proof (its first 5 bytes may have gone to OpenSSL if it raced our hello)
    assert "ESMTP smtpkit practice lab" in step.findings[0].evidence
    imp = lab.endpoint("implicit_tls")
    proof = detect_implicit_tls(imp.host, imp.port, server_hostname=NAME, timeout=3)
    assert proof is not None
    assert _codes(wrong_mode_step(NAME, imp.port, evidence="no greeting", outcome=proof)) == [
        "tls.wrong_mode_starttls_on_implicit"
    ]
