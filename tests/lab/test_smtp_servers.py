"""The practice lab's SMTP side, proven with the standard library's smtplib and ssl only.

smtpkit's own client is deliberately not used here: the lab is the peer that
proves that client right, so its behaviour must be established independently.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import logging
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
import types
import uuid
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from smtpkit.lab import Lab, Scenario, all_scenarios
from smtpkit.lab.ca import GOOD_NAMES, LabCA, old_tls_supported
from smtpkit.lab.scenarios import discover_scenario_modules
from smtpkit.lab.smtp_servers import MessageSpool, ReceivedMessage, SmtpServers, _enhance, _parse_xoauth2
from smtpkit.secrets import REDACTOR, Secret

SCENARIOS = all_scenarios()

TIMEOUT = 5


# ----------------------------------------------------------------------------- helpers
def verified_context(lab) -> ssl.SSLContext:  # type: ignore[no-untyped-def]
    """A client context that trusts the lab CA and verifies host names, like a careful client."""
    return ssl.create_default_context(cafile=lab.ca_file)


def connect(lab, name: str, timeout: float = TIMEOUT) -> smtplib.SMTP:  # type: ignore[no-untyped-def]
    ep = lab.endpoint(name)
    return smtplib.SMTP(ep.host, ep.port, timeout=timeout)


def connect_tls(lab, name: str) -> smtplib.SMTP:  # type: ignore[no-untyped-def]
    """EHLO, STARTTLS with full verification against the lab CA, EHLO again."""
    s = connect(lab, name)
    s.ehlo("client.example")
    s.starttls(context=verified_context(lab))
    s.ehlo("client.example")
    return s


def unique_subject() -> str:
    return f"lab test {uuid.uuid4().hex[:12]}"


def message(subject: str, to: str = "someone@elsewhere.example") -> bytes:
    return (
        f"From: Lab <lab@smtpkit.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@smtpkit.test>\r\n\r\nHello from the test suite.\r\n"
    ).encode()


def peer_certificate(sock: ssl.SSLSocket) -> x509.Certificate:
    return x509.load_der_x509_certificate(sock.getpeercert(binary_form=True))


def unverified_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ----------------------------------------------------------------------------- the lab as a whole
REQUIRED = {
    "submission",
    "implicit_tls",
    "mx",
    "self_signed",
    "expired_cert",
    "wrong_host",
    "starttls_required",
    "gmail_bad_credentials",
    "o365_auth_disabled",
    "relay_denied",
    "greylisting",
    "rate_limit",
    "too_large",
    "refusing",
    "silent",
    "expiring_soon",
    "not_yet_valid",
}


def test_every_required_endpoint_is_served(lab):
    assert REQUIRED <= set(lab.names)
    for ep in lab.smtp:
        assert ep.host == "127.0.0.1" and 0 < ep.port < 65536
        assert ep.security in ("starttls", "tls", "plain")
        assert ep.scenario in ("healthy", "connect", "tls", "auth", "send")
        assert len(ep.description) > 40
    assert len({ep.port for ep in lab.smtp}) == len(lab.smtp)
    assert lab.domain == "smtpkit.test"
    assert [ep.name for ep in lab.smtp if ep.expect is None] == ["submission", "implicit_tls", "mx"]


def test_endpoint_lookup_names_the_choices(lab):
    assert lab.endpoint("expired_cert").expect == "tls.cert.expired"
    with pytest.raises(KeyError) as exc:
        lab.endpoint("expird_cert")
    assert "expired_cert" in str(exc.value) and "submission" in str(exc.value)


def test_to_dict_is_json_and_never_holds_the_password(lab):
    doc = lab.to_dict()
    text = json.dumps(doc)
    assert {"smtp", "dns", "ca_file", "user"} <= set(doc)
    assert {"name", "host", "port", "security", "scenario"} <= set(doc["smtp"][0])
    assert lab.password.reveal() not in text
    assert lab.password.reveal() not in repr(lab)
    assert "redacted" in repr(lab.password)
    # The lab registered its own password and AUTH encodings with the redactor.
    blob = base64.b64encode(f"\0{lab.user}\0{lab.password.reveal()}".encode()).decode()
    assert REDACTOR.contains_secret(f"C: AUTH PLAIN {blob}")


def test_lab_dns_serves_the_lab_domain(lab, lab_resolver):
    assert lab.dns is not None and "smtpkit.test" in lab.dns.zones
    assert lab.nameserver == f"127.0.0.1:{lab.dns.port}"
    answer = lab_resolver.resolve("mail.smtpkit.test", "A")
    assert answer.status == "ok"
    assert "127.0.0.1" in answer.texts


def test_endpoint_table_renders_for_notebooks(lab):
    frame = lab.to_frame()
    assert list(frame["name"])[:3] == ["submission", "implicit_tls", "mx"]
    html = lab._repr_html_()
    assert "expired_cert" in html and lab.password.reveal() not in html


def test_stop_releases_everything():
    """(How fast the lab starts is measured by benchmarks/lab_start.py.)"""
    before = {t.name for t in threading.enumerate()}
    lab = Lab()
    info = lab.start()
    ports = [ep.port for ep in info.smtp if ep.name not in ("refusing",)]
    with socket.create_connection(info.endpoint("submission").address, timeout=TIMEOUT) as held:
        assert held.recv(100).startswith(b"220")
        lab.stop()
        held.settimeout(TIMEOUT)
        assert held.recv(100) == b""  # open connections are dropped, not left hanging
    lab.stop()  # twice is fine
    for port in ports:  # nothing listens any more
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
    for port in (info.endpoint("refusing").port, info.dns.port):
        with socket.socket() as s:  # the held-but-not-listening socket and the DNS socket are closed
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    leftover = {t.name for t in threading.enumerate()} - before
    assert not [n for n in leftover if "lab" in n], leftover
    with pytest.raises(RuntimeError, match="not running"):
        _ = lab.info


def test_an_unreferenced_lab_keeps_running_and_is_stopped_at_exit():
    script = (
        "import gc, socket\n"
        "from smtpkit.lab import Lab\n"
        "info = Lab(dns=False).start()\n"
        "gc.collect()\n"
        "with socket.create_connection(info.endpoint('submission').address, timeout=5) as s:\n"
        "    assert s.recv(3) == b'220'\n"
        "print(info.spool_dir)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    workdir = Path(result.stdout.strip()).parent
    assert workdir.name.startswith("smtpkit-lab-") and not workdir.exists()


def test_lab_on_ipv6_loopback():
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    only = [s for s in SCENARIOS if s.name in ("submission", "refusing")]
    # dns=False: the lab zones put the lab's address in A records, so they need an IPv4 address.
    with Lab("::1", scenarios=only, dns=False) as info:
        ep = info.endpoint("submission")
        assert ep.host == "::1"
        with smtplib.SMTP("::1", ep.port, timeout=TIMEOUT) as s:
            s.starttls(context=verified_context(info))  # ::1 is in the certificate's names
            assert s.login(info.user, info.password.reveal())[0] == 235
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("::1", info.endpoint("refusing").port), timeout=TIMEOUT)


def test_a_killed_labs_files_are_swept_by_the_next_lab(tmp_path):
    from smtpkit.lab.lab import OWNER_FILE, _sweep_stale_workdirs

    script = (
        "import os\n"
        "from smtpkit.lab import Lab\n"
        "info = Lab(dns=False).start()\n"
        "print(info.spool_dir, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"  # no atexit, no cleanup: like a kernel shut down with SIGKILL
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == -9
    left = Path(result.stdout.strip()).parent
    assert (left / OWNER_FILE).exists()
    mine = tmp_path / "smtpkit-lab-alive"
    mine.mkdir()
    (mine / OWNER_FILE).write_text(str(os.getpid()))
    stranger = tmp_path / "smtpkit-lab-nopid"
    stranger.mkdir()
    assert _sweep_stale_workdirs(str(left.parent)) and not left.exists()
    assert _sweep_stale_workdirs(str(tmp_path)) == []
    assert mine.exists() and stranger.exists()  # a live owner, or no owner file: never touched


def test_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMTPKIT_LAB_PASSWORD", "chosen-lab-pw-17")
    with Lab(scenarios=[s for s in SCENARIOS if s.name == "submission"], dns=False) as info:
        assert info.password.reveal() == "chosen-lab-pw-17"
        assert info.skipped["dns"]
        with pytest.raises(RuntimeError, match="no DNS server"):
            _ = info.nameserver
        with connect_tls(info, "submission") as s:
            assert s.login(info.user, "chosen-lab-pw-17")[0] == 235


# ----------------------------------------------------------------------------- submission
def test_submission_hides_auth_until_starttls(lab):
    with connect(lab, "submission") as s:
        code, _ = s.ehlo("client.example")
        assert code == 250
        assert s.has_extn("starttls")
        assert not s.has_extn("auth")
        for ext in ("size", "pipelining", "8bitmime", "smtputf8", "enhancedstatuscodes"):
            assert s.has_extn(ext), ext
        assert not s.has_extn("chunking")  # aiosmtpd has no BDAT; never advertise what we cannot do
        assert s.docmd("AUTH", "LOGIN") == (530, b"5.7.0 Must issue a STARTTLS command first")
        assert s.docmd("AUTH", "PLAIN") == (530, b"5.7.0 Must issue a STARTTLS command first")


def test_submission_verifies_against_the_lab_ca_with_rsa_2048(lab):
    with connect(lab, "submission") as s:
        s.ehlo()
        assert s.starttls(context=verified_context(lab))[0] == 220
        cert = peer_certificate(s.sock)
        assert isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().key_size == 2048
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(n.value) for n in san]
        assert set(GOOD_NAMES) <= set(names)
        s.ehlo()
        assert s.has_extn("auth")
        assert set(s.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2"}


def test_mail_without_login_is_refused(lab):
    with connect_tls(lab, "submission") as s:
        code, text = s.mail("lab@smtpkit.test")
        assert code == 530 and text.startswith(b"5.7.57 Client not authenticated to send mail")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_login_and_send_with_each_mechanism(lab, mechanism):
    subject = unique_subject()
    with connect_tls(lab, "submission") as s:
        s.user, s.password = lab.user, lab.password.reveal()
        method = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login, "CRAM-MD5": s.auth_cram_md5}[mechanism]
        code, text = s.auth(mechanism, method)
        assert (code, text) == (235, b"2.7.0 Authentication successful")
        refused = s.sendmail("lab@smtpkit.test", ["someone@elsewhere.example"], message(subject))
        assert refused == {}
    arrived = [m for m in lab.messages("submission") if m.subject == subject]
    assert len(arrived) == 1
    got = arrived[0]
    assert got.authenticated_as == lab.user
    assert got.tls_version in ("TLSv1.2", "TLSv1.3")
    assert got.rcpt_tos == ("someone@elsewhere.example",)
    assert got.message()["From"] == "Lab <lab@smtpkit.test>"


def test_server_logs_never_show_the_password(lab, caplog):
    blob = base64.b64encode(f"\0{lab.user}\0{lab.password.reveal()}".encode()).decode()
    with caplog.at_level(logging.DEBUG, logger="mail.log"), connect_tls(lab, "submission") as s:
        assert s.docmd("AUTH", f"PLAIN {blob}")[0] == 235
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "AUTH PLAIN" in logged  # aiosmtpd did log the command line...
    assert blob not in logged and lab.password.reveal() not in logged  # ...with the credentials masked
    # Anything else aiosmtpd logs (exceptions echo client input) goes through our redactor too.
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="mail.log"):
        logging.getLogger("mail.log").warning("client said %r", f"user=x\x01auth=Bearer {lab.password.reveal()}")
    # the server thread may still log the closed connection: look at our record, not the first one
    ours = [r.getMessage() for r in caplog.records if r.getMessage().startswith("client said")]
    assert len(ours) == 1 and lab.password.reveal() not in ours[0]
    assert "<redacted>" in ours[0]


def test_wrong_password_is_refused(lab):
    with connect_tls(lab, "submission") as s:
        with pytest.raises(smtplib.SMTPAuthenticationError) as exc:
            s.login(lab.user, "not-the-password")
        assert exc.value.smtp_code == 535
        assert exc.value.smtp_error.startswith(b"5.7.8")


def test_too_many_failed_logins_close_the_connection(lab):
    with connect_tls(lab, "submission") as s:
        for _ in range(4):
            assert s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0x\0y").decode())[0] == 535
        code, text = s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0x\0y").decode())
        assert code == 535
        code, text = s.getreply()
        assert code == 421 and b"too many failed logins" in text


def xoauth2(user: str, token: str) -> str:
    return base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()


def test_xoauth2_accepts_the_password_as_bearer_token(lab):
    with connect_tls(lab, "submission") as s:
        assert s.docmd("AUTH", "XOAUTH2 " + xoauth2(lab.user, lab.password.reveal()))[0] == 235


def test_xoauth2_wrong_token_gets_googles_json_challenge_then_535(lab):
    with connect_tls(lab, "submission") as s:
        code, challenge = s.docmd("AUTH", "XOAUTH2 " + xoauth2(lab.user, "ya29.expired-token"))
        assert code == 334
        assert json.loads(base64.b64decode(challenge)) == {
            "status": "401",
            "schemes": "Bearer",
            "scope": "https://mail.google.com/",
        }
        code, text = s.docmd("")
        assert code == 535 and text.startswith(b"5.7.8")


def test_xoauth2_without_initial_response_and_malformed(lab):
    with connect_tls(lab, "submission") as s:
        assert s.docmd("AUTH", "XOAUTH2") == (334, b"")
        assert s.docmd(xoauth2(lab.user, lab.password.reveal()))[0] == 235
    with connect_tls(lab, "submission") as s:
        code, text = s.docmd("AUTH", "XOAUTH2 " + base64.b64encode(b"no fields here").decode())
        assert code == 501 and b"malformed XOAUTH2" in text


def test_parse_xoauth2():
    assert _parse_xoauth2(b"user=a@b\x01auth=Bearer tok\x01\x01") == ("a@b", b"tok")
    assert _parse_xoauth2(b"user=a@b\x01auth=Basic tok\x01\x01") is None
    assert _parse_xoauth2(b"garbage") is None


def test_cram_md5_digest_is_checked(lab):
    with connect_tls(lab, "submission") as s:
        code, challenge = s.docmd("AUTH", "CRAM-MD5")
        assert code == 334
        digest = hmac.new(b"wrong", base64.b64decode(challenge), "md5").hexdigest()
        assert s.docmd(base64.b64encode(f"{lab.user} {digest}".encode()).decode())[0] == 535


def test_replies_carry_enhanced_status_codes(lab):
    with connect_tls(lab, "submission") as s:
        s.login(lab.user, lab.password.reveal())
        assert s.mail("a@smtpkit.test") == (250, b"2.1.0 Ok")
        assert s.rcpt("b@elsewhere.example") == (250, b"2.1.5 Ok")
        assert s.rset() == (250, b"2.0.0 Ok")
        assert s.docmd("DATA") == (503, b"5.5.1 Error: need RCPT command")
        assert s.noop() == (250, b"2.0.0 Ok")
        assert s.docmd("STARTTLS") == (554, b"5.5.1 Error: TLS already active")
        assert s.docmd("AUTH", "PLAIN") == (503, b"5.5.1 Error: already authenticated")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("250 OK", "250 2.0.0 Ok"),
        ("552 Error: Too much mail data", "552 5.3.4 Message size exceeds fixed maximum message size"),
        ('500 Error: command "\x16\x03\x01" not recognized', "502 5.5.2 Error: command not recognized"),
        ("501 Syntax: VRFY <address>", "501 5.5.0 Syntax: VRFY <address>"),
        ("535 5.7.8 Error", "535 5.7.8 Error"),
        ("334 ", "334 "),
        ("535-5.7.8 a\n535 5.7.8 b", "535-5.7.8 a\n535 5.7.8 b"),
    ],
)
def test_enhance(status, expected):
    assert _enhance(status) == expected


# ----------------------------------------------------------------------------- implicit TLS
def test_implicit_tls_login_and_send(lab):
    ep = lab.endpoint("implicit_tls")
    subject = unique_subject()
    with smtplib.SMTP_SSL(ep.host, ep.port, context=verified_context(lab), timeout=TIMEOUT) as s:
        s.ehlo()
        assert not s.has_extn("starttls")
        assert s.has_extn("auth")
        s.login(lab.user, lab.password.reveal())
        assert s.sendmail("lab@smtpkit.test", ["x@elsewhere.example"], message(subject)) == {}
        assert s.docmd("STARTTLS")[0] == 554
    assert [m.subject for m in lab.messages("implicit_tls")].count(subject) == 1


def test_plain_client_on_implicit_tls_port_waits_for_a_greeting_in_vain(lab):
    ep = lab.endpoint("implicit_tls")
    started = time.monotonic()
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        smtplib.SMTP(ep.host, ep.port, timeout=0.5)
    assert time.monotonic() - started < 3


# ----------------------------------------------------------------------------- inbound MX
def test_mx_accepts_only_its_own_mailboxes(lab):
    subject = unique_subject()
    with connect(lab, "mx") as s:
        s.ehlo("sender.example")
        assert s.has_extn("starttls") and not s.has_extn("auth")
        s.starttls(context=verified_context(lab))
        s.ehlo("sender.example")
        assert not s.has_extn("auth")
        assert s.docmd("AUTH", "PLAIN")[0] == 503
        assert s.mail("someone@sender.example")[0] == 250
        assert s.rcpt("postmaster@smtpkit.test")[0] == 250
        code, text = s.rcpt("nobody@smtpkit.test")
        assert code == 550 and text.startswith(b"5.1.1 <nobody@smtpkit.test>: Recipient address rejected")
        code, text = s.rcpt("x@elsewhere.example")
        assert (code, text) == (554, b"5.7.1 <x@elsewhere.example>: Relay access denied")
        assert s.data(message(subject, "postmaster@smtpkit.test"))[0] == 250
    got = [m for m in lab.messages("mx") if m.subject == subject]
    assert got and got[0].rcpt_tos == ("postmaster@smtpkit.test",) and got[0].authenticated_as is None


def test_mx_without_tls_accepts_too(lab):
    with connect(lab, "mx") as s:
        assert s.sendmail("a@sender.example", ["alice@smtpkit.test"], message(unique_subject())) == {}


# ----------------------------------------------------------------------------- certificates
@pytest.mark.parametrize(
    ("name", "verify_code", "words"),
    [
        ("self_signed", 18, "self-signed certificate"),
        ("expired_cert", 10, "certificate has expired"),
        ("not_yet_valid", 9, "certificate is not yet valid"),
        ("wrong_host", 64, "IP address mismatch"),
    ],
)
def test_certificate_scenarios_fail_verification(lab, name, verify_code, words):
    with connect(lab, name) as s:
        s.ehlo()
        with pytest.raises(ssl.SSLCertVerificationError) as exc:
            s.starttls(context=verified_context(lab))
    assert exc.value.verify_code == verify_code, exc.value.verify_message
    assert words in exc.value.verify_message


def test_wrong_host_by_name_is_a_hostname_mismatch(lab):
    """Connecting by name (server_hostname 'localhost') gives OpenSSL's hostname error instead."""
    with smtplib.SMTP("localhost", lab.endpoint("wrong_host").port, timeout=TIMEOUT) as s:
        s.ehlo()
        with pytest.raises(ssl.SSLCertVerificationError) as exc:
            s.starttls(context=verified_context(lab))
    assert exc.value.verify_code == 62 and "Hostname mismatch" in exc.value.verify_message


def _cert_of(lab, name: str) -> x509.Certificate:  # type: ignore[no-untyped-def]
    with connect(lab, name) as s:
        s.ehlo()
        s.starttls(context=unverified_context())
        return peer_certificate(s.sock)


def test_certificate_dates_and_names(lab):
    now = dt.datetime.now(dt.UTC)
    expired = _cert_of(lab, "expired_cert")
    assert expired.not_valid_after_utc < now - dt.timedelta(days=5)
    future = _cert_of(lab, "not_yet_valid")
    assert future.not_valid_before_utc > now + dt.timedelta(days=20)
    wrong = _cert_of(lab, "wrong_host")
    san = wrong.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(n.value) for n in san] == ["mail.someone-else.test"]
    selfie = _cert_of(lab, "self_signed")
    assert selfie.issuer == selfie.subject
    assert isinstance(_cert_of(lab, "expired_cert").public_key(), ec.EllipticCurvePublicKey)


def test_expiring_soon_verifies_but_expires_within_14_days(lab):
    with connect(lab, "expiring_soon") as s:
        s.ehlo()
        s.starttls(context=verified_context(lab))  # valid today: verification passes
        expires = ssl.cert_time_to_seconds(s.sock.getpeercert()["notAfter"])
    left = expires - time.time()
    assert 0 < left < 14 * 86400


def test_lab_ca_is_a_proper_ca(tmp_path):
    ca = LabCA(tmp_path)
    cert = x509.load_pem_x509_certificate(Path(ca.ca_file).read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    issued = ca.issue("good")
    assert issued is ca.issue("good")  # cached per kind
    assert Path(issued.key_file).stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError, match="unknown certificate kind"):
        ca.issue("rotten")


def test_lab_ca_name_reads_without_escapes_and_is_still_recognised(tmp_path):
    """The issuer is shown to people: no RFC 4514 escapes; and the lab's CA hint still finds it."""
    from smtpkit.checks.tls import LAB_CA_MARKER

    ca = LabCA(tmp_path)
    cert = x509.load_pem_x509_certificate(Path(ca.ca_file).read_bytes())
    shown = cert.subject.rfc4514_string()
    assert "\\" not in shown, shown
    assert LAB_CA_MARKER in shown.lower() and "trusted by nothing unless you add it" in shown


def test_old_tls_is_refused_by_modern_clients(lab):
    if "old_tls" in lab.skipped:
        pytest.skip(f"this machine cannot serve TLS 1.0/1.1: {lab.skipped['old_tls']}")
    with connect(lab, "old_tls") as s:
        s.ehlo()
        with pytest.raises(ssl.SSLError) as exc:
            s.starttls(context=verified_context(lab))
    assert exc.value.reason in ("UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "NO_PROTOCOLS_AVAILABLE")
    old_client = verified_context(lab)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_client.minimum_version = ssl.TLSVersion.TLSv1
    old_client.set_ciphers("DEFAULT:@SECLEVEL=0")
    with connect(lab, "old_tls") as s:
        s.ehlo()
        s.starttls(context=old_client)
        assert s.sock.version() in ("TLSv1", "TLSv1.1")


def test_old_tls_probe_is_consistent_with_the_lab(lab):
    ok, why = old_tls_supported()
    assert ok == ("old_tls" not in lab.skipped)
    assert ok or why


# ----------------------------------------------------------------------------- reply scenarios
def test_starttls_required_refuses_auth_before_tls(lab):
    with connect(lab, "starttls_required") as s:
        s.ehlo()
        assert s.has_extn("auth") and s.has_extn("starttls")
        with pytest.raises(smtplib.SMTPAuthenticationError) as exc:
            s.login(lab.user, lab.password.reveal())
        assert exc.value.smtp_code == 530
        assert exc.value.smtp_error == b"5.7.0 Must issue a STARTTLS command first"
        s.starttls(context=verified_context(lab))
        s.ehlo()
        assert s.login(lab.user, lab.password.reveal())[0] == 235


def test_gmail_bad_credentials_is_multiline_like_gmail(lab):
    with connect(lab, "gmail_bad_credentials") as s:
        s.ehlo()
        s.starttls(context=verified_context(lab))
        s.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as exc:
            s.login(lab.user, lab.password.reveal())  # even the right password
    assert exc.value.smtp_code == 535
    lines = exc.value.smtp_error.decode().split("\n")
    assert lines[0] == "5.7.8 Username and Password not accepted. For more information, go to"
    assert lines[1].startswith("5.7.8  https://support.google.com/mail/?p=BadCredentials")
    assert lines[1].endswith("- gsmtp")


def test_gmail_banner_names_gmail(lab):
    ep = lab.endpoint("gmail_bad_credentials")
    with socket.create_connection(ep.address, timeout=TIMEOUT) as sock:
        banner = sock.recv(200).decode()
    assert banner.startswith("220 smtp.gmail.com ESMTP ") and banner.rstrip().endswith("- gsmtp")
    assert ep.provider == "gmail"


def test_gmail_xoauth2_failure_keeps_the_json_dance(lab):
    with connect_tls(lab, "gmail_bad_credentials") as s:
        code, challenge = s.docmd("AUTH", "XOAUTH2 " + xoauth2(lab.user, lab.password.reveal()))
        assert code == 334 and json.loads(base64.b64decode(challenge))["status"] == "401"
        code, text = s.docmd("")
        assert code == 535 and b"BadCredentials" in text


def test_o365_smtp_auth_disabled(lab):
    with connect_tls(lab, "o365_auth_disabled") as s:
        assert s.esmtp_features["auth"].split() == ["LOGIN", "XOAUTH2"]
        with pytest.raises(smtplib.SMTPAuthenticationError) as exc:
            s.login(lab.user, lab.password.reveal())
    assert exc.value.smtp_code == 535
    assert exc.value.smtp_error.startswith(
        b"5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
        b"Visit https://aka.ms/smtp_auth_disabled for more information."
    )


def test_relay_denied(lab):
    with connect_tls(lab, "relay_denied") as s:
        s.login(lab.user, lab.password.reveal())
        s.mail("lab@smtpkit.test")
        assert s.rcpt("x@elsewhere.example") == (554, b"5.7.1 <x@elsewhere.example>: Relay access denied")
        assert s.rcpt("bob@smtpkit.test")[0] == 250


def test_greylisting_defers_at_rcpt(lab):
    with connect_tls(lab, "greylisting") as s:
        s.login(lab.user, lab.password.reveal())
        assert s.mail("lab@smtpkit.test")[0] == 250
        code, text = s.rcpt("x@elsewhere.example")
    assert code == 451
    assert text == b"4.7.1 <x@elsewhere.example>: Recipient address rejected: Greylisted, please try again later"


def test_rate_limit_answers_421_and_hangs_up(lab):
    with connect_tls(lab, "rate_limit") as s:
        s.login(lab.user, lab.password.reveal())
        code, text = s.mail("lab@smtpkit.test")
        assert code == 421
        assert text.startswith(b"4.7.0 ") and b"rate limit exceeded" in text and lab.user.encode() in text
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.noop()


def test_too_large_refuses_by_size_and_at_end_of_data(lab):
    with connect_tls(lab, "too_large") as s:
        assert s.esmtp_features["size"] == "512"
        s.login(lab.user, lab.password.reveal())
        code, text = s.mail("lab@smtpkit.test", ["SIZE=10000"])
        assert (code, text) == (552, b"5.3.4 Message size exceeds fixed maximum message size")
        assert s.mail("lab@smtpkit.test")[0] == 250
        assert s.rcpt("x@elsewhere.example")[0] == 250
        code, text = s.data(message("big") + b"x" * 600 + b"\r\n")
        assert (code, text) == (552, b"5.3.4 Message size exceeds fixed maximum message size")


# ----------------------------------------------------------------------------- connection scenarios
def test_refusing_port_refuses(lab):
    ep = lab.endpoint("refusing")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(ep.address, timeout=TIMEOUT)
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(ep.host, ep.port, timeout=TIMEOUT)


def test_silent_port_never_greets(lab):
    ep = lab.endpoint("silent")
    started = time.monotonic()
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        smtplib.SMTP(ep.host, ep.port, timeout=0.5)
    assert 0.4 < time.monotonic() - started < 3
    with socket.create_connection(ep.address, timeout=TIMEOUT) as sock:  # TCP itself works
        sock.sendall(b"EHLO me\r\n" * 100)
        sock.settimeout(0.3)
        with pytest.raises((TimeoutError, socket.timeout)):
            sock.recv(10)


# ----------------------------------------------------------------------------- robustness
def test_garbage_gets_errors_not_crashes(lab):
    ep = lab.endpoint("submission")
    with socket.create_connection(ep.address, timeout=TIMEOUT) as sock:
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220")
        sock.sendall(b"A" * 5000 + b"\r\n")
        assert f.readline().startswith(b"500 5.5.6")
        sock.sendall(b"\xff\xfe\x00garbage\r\n")
        assert f.readline()[:1] == b"5"
        sock.sendall(b"\r\n")
        assert f.readline().startswith(b"500 5.5.2")
        sock.sendall(b"FROBNICATE <script>\r\n")
        assert f.readline() == b"502 5.5.2 Error: command not recognized\r\n"  # never echoed back
        sock.sendall(b"MAIL FROM:<not closed\r\n")
        assert f.readline()[:1] == b"5"
    with connect(lab, "submission") as s:  # the server is still fine
        assert s.ehlo()[0] == 250


def test_broken_tls_clients_do_not_hurt_the_servers(lab):
    sub = lab.endpoint("submission")
    with socket.create_connection(sub.address, timeout=TIMEOUT) as sock:
        f = sock.makefile("rb")
        f.readline()
        sock.sendall(b"EHLO x\r\n")
        while f.readline()[3:4] == b"-":
            pass
        sock.sendall(b"STARTTLS\r\n")
        assert f.readline().startswith(b"220 2.0.0")
        sock.sendall(b"this is not a ClientHello\r\n")
        sock.settimeout(TIMEOUT)
        try:
            reply = sock.recv(100)
        except ConnectionResetError:
            reply = b""
        assert not reply.startswith((b"2", b"3"))  # a TLS alert or EOF, never an SMTP go-ahead
    imp = lab.endpoint("implicit_tls")
    with socket.create_connection(imp.address, timeout=TIMEOUT) as sock:
        sock.sendall(b"EHLO plain text on a TLS port\r\n")
        sock.settimeout(TIMEOUT)
        try:
            sock.recv(100)  # an alert or EOF; the point is what comes next
        except ConnectionResetError:
            pass
    with connect_tls(lab, "submission") as s:
        assert s.noop()[0] == 250
    with smtplib.SMTP_SSL(imp.host, imp.port, context=verified_context(lab), timeout=TIMEOUT) as s:
        assert s.noop()[0] == 250


def test_connection_limits_and_the_silent_hold(tmp_path):
    """Bounded resources: a server full of clients says 421; the silent server hangs up in the end."""
    table = {s.name: s for s in SCENARIOS}
    servers = SmtpServers(
        [table["submission"], table["silent"]],
        ca=LabCA(tmp_path / "tls"),
        user="u@smtpkit.test",
        password=Secret("limit-test-pw"),
        spool=MessageSpool(tmp_path / "spool"),
        max_connections=1,
        silent_hold=0.3,
    )
    ports = servers.start()
    try:
        with socket.create_connection(("127.0.0.1", ports["submission"]), timeout=TIMEOUT) as first:
            assert first.recv(100).startswith(b"220")
            with socket.create_connection(("127.0.0.1", ports["submission"]), timeout=TIMEOUT) as second:
                second.settimeout(TIMEOUT)
                data = second.recv(200)
                assert data.startswith(b"421 4.7.0") and b"too many connections" in data
                assert second.recv(10) == b""  # and the connection is closed
        with socket.create_connection(("127.0.0.1", ports["silent"]), timeout=TIMEOUT) as quiet:
            quiet.settimeout(TIMEOUT)
            started = time.monotonic()
            assert quiet.recv(10) == b""  # hung up after the hold, without a word
            assert time.monotonic() - started < 3
    finally:
        servers.stop()
    assert not servers.running


def test_idle_clients_are_disconnected():
    only = [s for s in SCENARIOS if s.name == "submission"]
    with Lab(scenarios=only, dns=False, idle_timeout=0.5) as info, connect(info, "submission") as s:
        s.ehlo()
        time.sleep(1.0)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.noop()


def test_an_added_scenario_is_served_from_its_table_row():
    ses = Scenario(
        "ses_not_verified",
        "Amazon SES in the sandbox: the sender address is not verified.",
        category="send",
        expect="send.sender_not_verified",
        replies={
            "mail": (
                "554 Message rejected: Email address is not verified. The following identities failed "
                "the check in region EU-WEST-1: {sender}"
            )
        },
        provider="ses",
    )
    with Lab(scenarios=[ses], dns=False) as info, connect_tls(info, "ses_not_verified") as s:
        s.login(info.user, info.password.reveal())
        code, text = s.mail("app@example.org")
    assert code == 554 and text.endswith(b"EU-WEST-1: app@example.org")


# ----------------------------------------------------------------------------- the table
def test_scenario_rows_are_validated():
    with pytest.raises(ValueError, match="does not start with a 3-digit code"):
        Scenario("x", "teaches", replies={"rcpt": "greylisted"})
    with pytest.raises(ValueError, match="continues with 'code-'"):
        Scenario("x", "teaches", replies={"auth": "535 a\n535 b"})
    with pytest.raises(ValueError, match="unknown template fields"):
        Scenario("x", "teaches", replies={"auth": "535 5.7.8 {password}"})
    with pytest.raises(ValueError, match="reply stage"):
        Scenario("x", "teaches", replies={"helo": "250 ok"})
    with pytest.raises(ValueError, match="cert must be"):
        Scenario("x", "teaches", cert="rotten")
    with pytest.raises(ValueError, match="name must be"):
        Scenario("Bad Name", "teaches")


def test_scenario_tables_are_discovered_and_names_unique(monkeypatch):
    extra = types.ModuleType("smtpkit.lab.scenarios_fake")
    extra.SCENARIOS = [Scenario("fake_provider", "a provider-style rejection", category="auth")]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "smtpkit.lab.scenarios_fake", extra)
    names = [s.name for s in all_scenarios(modules=[*discover_scenario_modules(), "smtpkit.lab.scenarios_fake"])]
    assert names[-1] == "fake_provider" and "submission" in names
    clash = types.ModuleType("smtpkit.lab.scenarios_clash")
    clash.SCENARIOS = [Scenario("submission", "again", category="healthy")]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "smtpkit.lab.scenarios_clash", clash)
    with pytest.raises(ValueError, match="defined in both"):
        all_scenarios(modules=[*discover_scenario_modules(), "smtpkit.lab.scenarios_clash"])


def test_expected_codes_exist_in_the_catalogue():
    """Each scenario names a real finding code once its area's codes are declared."""
    from smtpkit.knowledge.catalogue import catalogue

    codes = set(catalogue())
    areas = {c.split(".")[0] for c in codes}
    missing = [
        (s.name, s.expect)
        for s in all_scenarios()
        if s.expect and s.expect.split(".")[0] in areas and s.expect not in codes
    ]
    assert not missing, f"scenarios expect codes the catalogue does not declare: {missing}"


# ----------------------------------------------------------------------------- the spool
def test_spool_keeps_the_newest_messages(tmp_path):
    spool = MessageSpool(tmp_path, keep=3)
    for i in range(5):
        spool.add(
            ReceivedMessage(
                endpoint="submission",
                seq=spool.next_seq("submission"),
                received_at="2024-01-01T00:00:00+00:00",
                peer="127.0.0.1:1",
                helo="x",
                tls_version=None,
                authenticated_as=None,
                mail_from="a@b",
                rcpt_tos=("c@d",),
                size=10,
                data=f"Subject: m{i}\r\n\r\nbody\r\n".encode(),
            )
        )
    kept = spool.list("submission")
    assert [m.subject for m in kept] == ["m2", "m3", "m4"]
    assert kept[-1].summary()["rcpt_tos"] == "c@d"
    spool.clear("submission")
    assert spool.list("submission") == []


def test_garbage_from_a_client_does_not_reach_the_log_raw(lab, caplog):
    """A TLS ClientHello sent to a plain-text port must not print binary noise into notebooks."""
    e = lab.endpoint("submission")
    with caplog.at_level(logging.DEBUG):
        with socket.create_connection(e.address, timeout=TIMEOUT) as s:
            s.recv(200)
            s.sendall(b"\x16\x03\x01 garbage\r\nXYZZY plugh\r\nQUIT\r\n")
            s.settimeout(TIMEOUT)
            while s.recv(200):
                pass
    noisy = [r for r in caplog.records if r.name == "mail.log" and r.levelno >= logging.WARNING]
    assert not noisy, [r.getMessage() for r in noisy]


def test_the_inbound_mx_certificate_names_every_lab_mx_but_the_lessons_wrong_ones(tmp_path):
    """The lab's one inbound MX answers for every lab domain: its certificate must name their MX hosts, or the
    MX probe finds mx.tls.cert_invalid where no lesson teaches it (it did on two lab domains of three); the two
    lessons about a name missing from the certificate keep theirs off it, and its key is the healthy
    certificate's, which the DANE lessons' TLSA records pin."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    ca = LabCA(tmp_path / "tls")
    mx, good = ca.issue("mx"), ca.issue("good")
    assert set(GOOD_NAMES) <= set(mx.names) and good.names == GOOD_NAMES  # the TLS notebook's certificate: 5 names
    assert {"mail.dmarc-none.test", "mx1.mailhost.test", "mx2.mailhost.test"} <= set(mx.names)
    assert "mx.mxtls-badname.test" not in mx.names and "mx.sts-mxcert.test" not in mx.names

    def spki(path: str) -> bytes:
        cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
        return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

    assert spki(mx.chain_file) == spki(good.chain_file)
