"""The TLS probe and the tls step against real TLS servers on loopback (no mocked sockets)."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import pytest

from smtpkit.checks.tls import second_look, tls_step
from smtpkit.model import Status
from smtpkit.net.tls import TlsOptions, start_tls
from smtpkit.record import replace
from tests.support.tls import (
    DAY,
    NOW,
    LoopbackServer,
    chain_of,
    leaf_of,
    make_ca,
    make_cert,
    plain_socket,
    server_context,
    smtp_handler,
    starttls_socket,
    write,
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("tls-pki")
    ca = make_ca()
    (d / "ca.pem").write_bytes(ca.pem)
    rsa_ca = make_ca("smtpkit test RSA CA", key_kind="rsa")
    (d / "rsa-ca.pem").write_bytes(rsa_ca.pem)
    return {"dir": d, "ca": ca, "ca_file": str(d / "ca.pem"), "rsa_ca": rsa_ca, "rsa_ca_file": str(d / "rsa-ca.pem")}


@pytest.fixture()
def serve(pki: dict):
    servers: list[LoopbackServer] = []

    def start(leaf, *extra, implicit: bool = True, name: str = "srv", **ctx_kw) -> LoopbackServer:
        chain, key = write(pki["dir"], f"{name}-{len(servers)}", leaf, *extra)
        srv = LoopbackServer(smtp_handler(server_context(chain, key, **ctx_kw), implicit=implicit))
        servers.append(srv)
        return srv

    yield start
    for s in servers:
        s.stop()


def implicit(srv: LoopbackServer, opts: TlsOptions, refetch: bool = True):
    """Implicit TLS the way the session does it: the checks decide what a second handshake should learn."""
    return start_tls(
        plain_socket(srv.host, srv.port),
        replace(opts, second_look=second_look),
        deadline=time.monotonic() + opts.timeout,
        refetch=(lambda: plain_socket(srv.host, srv.port)) if refetch else None,
    )


def test_good_certificate_implicit_tls_passes(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost", issuer=pki["ca"]))
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    try:
        assert out.ok and out.verified and out.encrypted
        assert out.version in ("TLSv1.2", "TLSv1.3")
        assert out.sni == "localhost"
        assert leaf_of(out) is not None and leaf_of(out).subject_cn == "localhost"
        step = tls_step(out, mode="tls", host="localhost", port=srv.port)
        assert step.status is Status.PASS, step.findings
        assert [f.code for f in step.findings] == ["tls.info.version"]
        assert step.details["verified against"] == f"CA file {pki['ca_file']}"
        assert "certificate" in step.tables and "chain" in step.tables
    finally:
        out.close()


def test_starttls_self_signed_is_fetched_unverified(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost"), implicit=False)
    opts = TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5, second_look=second_look)
    out = start_tls(starttls_socket(srv.host, srv.port), opts, refetch=lambda: starttls_socket(srv.host, srv.port))
    assert not out.ok and out.tls_socket is None
    assert out.verify_code == 18
    assert leaf_of(out) is not None and leaf_of(out).self_signed
    assert srv.connections == 2
    step = tls_step(out, mode="starttls", host="localhost", port=srv.port)
    assert step.status is Status.FAIL
    assert "tls.cert.self_signed" in [f.code for f in step.findings]
    assert _field(step, "subject") == leaf_of(out).subject
    assert "subject" not in step.details  # the certificate is shown once, in its table


# ---------------------------------------------------------------------------
# certificate problems, each from a real handshake


def _field(step, name: str):  # type: ignore[no-untyped-def]
    """A field of the step's certificate table."""
    return next(row["value"] for row in step.tables["certificate"] if row["field"] == name)


def _codes(step) -> list[str]:
    return [f.code for f in step.findings]


def test_starttls_good_certificate_and_usable_socket(pki: dict, serve) -> None:
    srv = serve(make_cert("mail.smtpkit.test", dns=("mail.smtpkit.test",), issuer=pki["ca"]), implicit=False)
    opts = TlsOptions(server_hostname="mail.smtpkit.test", cafile=pki["ca_file"], timeout=5)
    out = start_tls(starttls_socket(srv.host, srv.port), opts, refetch=lambda: starttls_socket(srv.host, srv.port))
    try:
        assert out.ok and out.sni == "mail.smtpkit.test"
        # the engine continues the SMTP conversation over the returned socket
        out.tls_socket.sendall(b"EHLO client.test\r\n")
        reply = out.tls_socket.recv(4096).decode()
        assert reply.startswith("250-") and "AUTH PLAIN LOGIN" in reply
        assert out.tls_socket.gettimeout() == 5
        step = tls_step(out, mode="starttls", host="mail.smtpkit.test", port=srv.port)
        assert step.status is Status.PASS
        assert "TLS 1.3" in step.summary or "TLS 1.2" in step.summary
        assert step.details["mode"].startswith("STARTTLS")
    finally:
        out.close()
    assert srv.connections == 1  # no second handshake when all is well


def test_expired_certificate(pki: dict, serve) -> None:
    leaf = make_cert("localhost", issuer=pki["ca"], not_before=NOW - 100 * DAY, not_after=NOW - 10 * DAY)
    srv = serve(leaf)
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    assert out.verify_code == 10 and leaf_of(out) is not None
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.cert.expired"]
    f = step.findings[0]
    assert "(10 days ago)" in f.title
    assert "certbot renew" in f.fix and "localhost:465" in f.fix
    assert step.details["days left"] == -10


def test_not_yet_valid_certificate(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost", issuer=pki["ca"], not_before=NOW + 30 * DAY, not_after=NOW + 120 * DAY))
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    assert out.verify_code == 9
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.cert.not_yet_valid"]
    assert "(29 days from" in step.findings[0].explanation or "(30 days from" in step.findings[0].explanation


def test_expiring_soon_warns_but_passes_verification(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost", issuer=pki["ca"], not_before=NOW - 80 * DAY, not_after=NOW + 5 * DAY + DAY / 24))
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    try:
        assert out.ok
        step = tls_step(out, mode="tls", host="localhost", port=465)
        assert step.status is Status.WARN
        assert _codes(step) == ["tls.info.version", "tls.cert.expiring_soon"]
        assert "expires in 5 days" in step.findings[1].title
    finally:
        out.close()


def test_hostname_mismatch_names_both_sides(pki: dict, serve) -> None:
    srv = serve(make_cert("mail.someone-else.test", dns=("mail.someone-else.test",), ips=(), issuer=pki["ca"]))
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    assert out.verify_code == 62
    step = tls_step(out, mode="tls", host="localhost", port=465, provider="gmail")
    assert _codes(step) == ["tls.cert.hostname_mismatch"]
    f = step.findings[0]
    assert "localhost" in f.title and "mail.someone-else.test" in f.explanation
    assert "smtp.gmail.com" in f.fix  # provider-specific remedy


def test_ip_literal_sends_no_sni_and_matches_ip_san(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost", ips=("127.0.0.1",), issuer=pki["ca"]))
    out = implicit(srv, TlsOptions(server_hostname="127.0.0.1", cafile=pki["ca_file"], timeout=5))
    try:
        assert out.ok and out.sni is None
        step = tls_step(out, mode="tls", host="127.0.0.1", port=465)
        assert step.details["SNI sent"].startswith("none")
    finally:
        out.close()


def test_ip_literal_without_ip_san_is_a_mismatch(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost", ips=(), issuer=pki["ca"]))
    out = implicit(srv, TlsOptions(server_hostname="127.0.0.1", cafile=pki["ca_file"], timeout=5))
    assert out.verify_code == 64
    step = tls_step(out, mode="tls", host="127.0.0.1", port=465)
    assert _codes(step) == ["tls.cert.hostname_mismatch"]
    assert "localhost" in step.findings[0].explanation


def test_every_problem_of_a_certificate_is_named(pki: dict, serve) -> None:
    """OpenSSL stops at the first problem; the report names all of them."""
    leaf = make_cert(
        "old.example.test", dns=("old.example.test",), ips=(), not_before=NOW - 400 * DAY, not_after=NOW - 35 * DAY
    )  # self-signed, expired, wrong host
    srv = serve(leaf)
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert set(_codes(step)) == {"tls.cert.self_signed", "tls.cert.expired", "tls.cert.hostname_mismatch"}


def test_missing_intermediate_is_explained(pki: dict, serve) -> None:
    inter = make_ca("smtpkit test intermediate", issuer=pki["ca"])
    srv = serve(make_cert("localhost", issuer=inter))  # the server forgets to send the intermediate
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    assert out.verify_code == 20
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.cert.untrusted_issuer"]
    f = step.findings[0]
    assert "did not send" in f.explanation and "missing its intermediate" in f.explanation
    assert "fullchain.pem" in f.fix


def test_full_chain_with_intermediate_verifies(pki: dict, serve) -> None:
    inter = make_ca("smtpkit test intermediate", issuer=pki["ca"])
    srv = serve(make_cert("localhost", issuer=inter), inter)
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    try:
        assert out.ok
        assert [c.subject_cn for c in chain_of(out)] == ["localhost", "smtpkit test intermediate"]
        step = tls_step(out, mode="tls", host="localhost", port=465)
        rows = step.tables["chain"]
        assert [r["role"] for r in rows] == ["leaf (server)", "intermediate"]
        assert rows[0]["issued_by_next"] == "yes"
    finally:
        out.close()


def test_private_ca_against_the_system_store(pki: dict, serve) -> None:
    inter = make_ca("smtpkit test intermediate", issuer=pki["ca"])
    srv = serve(make_cert("localhost", issuer=inter), inter, pki["ca"])  # sends its whole private chain
    out = implicit(srv, TlsOptions(server_hostname="localhost", timeout=5))  # no cafile: system store
    assert out.verify_code == 19
    assert len(chain_of(out)) == 3
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.cert.untrusted_issuer"]
    f = step.findings[0]
    assert "the system trust store" in f.explanation and "private CA" in f.explanation
    assert step.details["verified against"] == "the system trust store"


def test_weak_rsa_key(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost", issuer=pki["ca"], key_kind="rsa", key_size=1024), seclevel0=True)
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    assert out.verify_code == 66
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.cert.weak_key"]
    assert "RSA 1024 bits" in step.findings[0].title


def test_certificate_for_clients_not_servers(pki: dict, serve) -> None:
    from cryptography.x509.oid import ExtendedKeyUsageOID

    srv = serve(make_cert("localhost", issuer=pki["ca"], eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)))
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    assert out.verify_code == 26
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.cert.invalid"]
    assert "serverAuth" in step.findings[0].explanation


def test_sha1_signature(pki: dict, serve) -> None:
    from tests.support.tls import resign_sha1

    leaf = make_cert("localhost", issuer=pki["rsa_ca"])
    srv = serve(resign_sha1(leaf, pki["rsa_ca"]), seclevel0=True)
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["rsa_ca_file"], timeout=5))
    assert out.verify_code == 68
    assert leaf_of(out) is not None and leaf_of(out).signature_hash == "sha1"
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.cert.weak_signature"]
    assert "sha1WithRSAEncryption" in step.findings[0].title


def test_verification_off_warns(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost"))  # self-signed
    out = implicit(srv, TlsOptions(server_hostname="localhost", verify=False, timeout=5))
    try:
        assert out.ok and out.encrypted and not out.verified
        step = tls_step(out, mode="tls", host="localhost", port=465)
        assert step.status is Status.FAIL  # the certificate is still self-signed, and we say so
        assert set(_codes(step)) == {"tls.info.version", "tls.not_verified", "tls.cert.self_signed"}
        assert "NOT verified" in step.summary
    finally:
        out.close()


def test_unreadable_cafile_is_a_finding(tmp_path: Path, serve, pki: dict) -> None:
    srv = serve(make_cert("localhost", issuer=pki["ca"]))
    missing = TlsOptions(server_hostname="localhost", cafile=str(tmp_path / "nope.pem"), timeout=5)
    step = tls_step(implicit(srv, missing), mode="tls", host="localhost", port=465)
    assert _codes(step) == ["tls.cafile_unreadable"] and "does not exist" in step.findings[0].title
    junk = tmp_path / "junk.pem"
    junk.write_text("this is not a certificate\n")
    step = tls_step(
        implicit(srv, TlsOptions(server_hostname="localhost", cafile=str(junk), timeout=5)),
        mode="tls",
    )
    assert _codes(step) == ["tls.cafile_unreadable"] and "no usable PEM" in step.findings[0].title


def test_failed_refetch_keeps_the_certificate_captured_from_the_handshake(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost"))

    def refetch():
        raise ConnectionRefusedError(111, "Connection refused")

    out = start_tls(
        plain_socket(srv.host, srv.port),
        TlsOptions(server_hostname="localhost", timeout=5, second_look=second_look),
        refetch=refetch,
    )
    assert out.verify_code == 18
    assert out.refetch_error and "Connection refused" in out.refetch_error
    assert leaf_of(out) is not None and leaf_of(out).self_signed
    assert out.cert_source.startswith("the failed handshake")
    step = tls_step(out, mode="tls", host="localhost", port=465)
    assert "tls.cert.self_signed" in _codes(step)
    assert step.tables["handshakes"][1]["result"] == "not attempted"


def test_tls12_chain_is_captured_from_the_handshake(pki: dict, serve) -> None:
    """getpeercert() only gives the leaf; the chain comes from the Certificate message (TLS 1.2 layout)."""
    inter = make_ca("smtpkit test intermediate", issuer=pki["ca"])
    srv = serve(make_cert("localhost", issuer=inter), inter, max_version=ssl.TLSVersion.TLSv1_2)
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    try:
        assert out.ok and out.version == "TLSv1.2"
        assert [c.subject_cn for c in chain_of(out)] == ["localhost", "smtpkit test intermediate"]
    finally:
        out.close()
    # and from a TLS 1.2 handshake that failed verification (no cafile: the system store)
    failed = implicit(srv, TlsOptions(server_hostname="localhost", timeout=5), refetch=False)
    assert failed.verify_code == 20 and len(chain_of(failed)) == 2
    assert failed.cert_source.startswith("the failed handshake")


def test_step_renders_as_json_html_and_frame(pki: dict, serve) -> None:
    import json

    from smtpkit.model import Report

    # markup in a CN (a distinctive word: other tests may register short secrets, which are redacted as words)
    leaf = make_cert("<blink>tlsevilname</blink>.test", dns=("evil.test",), ips=(), issuer=pki["ca"])
    srv = serve(leaf)
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    report = Report(
        target={"host": "localhost", "port": 465}, steps=[tls_step(out, mode="tls", host="localhost", port=465)]
    )
    data = json.loads(report.to_json())
    step = data["steps"][0]
    assert step["name"] == "tls" and step["status"] == "fail"
    assert {"certificate", "chain", "handshakes"} <= set(step["tables"])
    assert data["findings"][0]["code"] == "tls.cert.hostname_mismatch"
    html = report._repr_html_()
    assert "<blink>" not in html  # the certificate's markup is text, not HTML
    # RFC 4514 writes the CN as \\<blink\\>..., and the HTML view escapes that once more
    assert "&lt;blink\\&gt;tlsevilname" in html
    assert report.to_frame().loc[0, "findings"] == "tls.cert.hostname_mismatch"
