"""The TLS probe and the tls step against real TLS servers on loopback (no mocked sockets)."""

from __future__ import annotations

import ssl
import time
from pathlib import Path

import pytest
from test_tls_support import (
    DAY,
    NOW,
    LoopbackServer,
    make_ca,
    make_cert,
    plain_socket,
    server_context,
    smtp_handler,
    starttls_socket,
    write,
)

from smtpkit.checks.tls_step import tls_step
from smtpkit.model import Status
from smtpkit.net.tls import TlsOptions, start_tls


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("tls-pki")
    ca = make_ca()
    (d / "ca.pem").write_bytes(ca.pem)
    return {"dir": d, "ca": ca, "ca_file": str(d / "ca.pem")}


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
    return start_tls(
        plain_socket(srv.host, srv.port), opts, deadline=time.monotonic() + opts.timeout,
        refetch=(lambda: plain_socket(srv.host, srv.port)) if refetch else None,
    )


def test_good_certificate_implicit_tls_passes(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost", issuer=pki["ca"]))
    out = implicit(srv, TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5))
    try:
        assert out.ok and out.verified and out.encrypted
        assert out.version in ("TLSv1.2", "TLSv1.3")
        assert out.sni == "localhost"
        assert out.certificate is not None and out.certificate.subject_cn == "localhost"
        step = tls_step(out, mode="tls", host="localhost", port=srv.port)
        assert step.status is Status.PASS, step.findings
        assert [f.code for f in step.findings] == ["tls.info.version"]
        assert step.details["verified against"] == f"CA file {pki['ca_file']}"
        assert "certificate" in step.tables and "chain" in step.tables
    finally:
        out.close()


def test_starttls_self_signed_is_fetched_unverified(pki: dict, serve) -> None:
    srv = serve(make_cert("localhost"), implicit=False)
    opts = TlsOptions(server_hostname="localhost", cafile=pki["ca_file"], timeout=5)
    out = start_tls(starttls_socket(srv.host, srv.port), opts, refetch=lambda: starttls_socket(srv.host, srv.port))
    assert not out.ok and out.tls_socket is None
    assert out.verify_code == 18
    assert out.certificate is not None and out.certificate.self_signed
    assert srv.connections == 2
    step = tls_step(out, mode="starttls", host="localhost", port=srv.port)
    assert step.status is Status.FAIL
    assert "tls.cert.self_signed" in [f.code for f in step.findings]
    assert step.details["subject"] == out.certificate.subject
