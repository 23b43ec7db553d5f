"""Test support for the TLS tests: certificates made on the spot and real servers on loopback.

No test here; the module holds the certificate factory and small purpose-built
servers (threading + ssl, ephemeral ports) that the test_tls_* modules share:
a STARTTLS SMTP server, an implicit-TLS server, a plain-text SMTP server, a
silent server, a dripping server and one that hangs up on the ClientHello.
Every server binds 127.0.0.1 port 0 and closes every socket when stopped.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = _dt.datetime.now(_dt.UTC)
DAY = _dt.timedelta(days=1)


# ---------------------------------------------------------------------------
# certificates


@dataclass
class Made:
    cert: x509.Certificate
    key: object

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def new_key(kind: str = "ec", size: int = 2048):  # type: ignore[no-untyped-def]
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    curve = {256: ec.SECP256R1(), 384: ec.SECP384R1(), 521: ec.SECP521R1()}.get(size, ec.SECP256R1())
    return ec.generate_private_key(curve)


def make_cert(
    cn: str,
    *,
    dns: Iterable[str] = ("localhost",),
    ips: Iterable[str] = ("127.0.0.1",),
    issuer: Made | None = None,
    not_before: _dt.datetime | None = None,
    not_after: _dt.datetime | None = None,
    key_kind: str = "ec",
    key_size: int = 256,
    hash_alg: hashes.HashAlgorithm | None = None,
    eku: tuple = (ExtendedKeyUsageOID.SERVER_AUTH,),
    is_ca: bool = False,
    org: str = "smtpkit tls tests",
) -> Made:
    """A certificate wrong in exactly the ways asked; self-signed when `issuer` is None."""
    key = new_key(key_kind, key_size)
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )
    issuer_name = issuer.cert.subject if issuer else subject
    signer = issuer.key if issuer else key
    nb = not_before or (NOW - DAY)
    na = not_after or (NOW + 90 * DAY)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb)
        .not_valid_after(na)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,  # type: ignore[attr-defined]
        )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        names += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        digital_sig = True
        key_enc = key_kind == "rsa"
        builder = builder.add_extension(
            x509.KeyUsage(digital_sig, False, key_enc, False, False, False, False, False, False), critical=True
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cert = builder.sign(signer, hash_alg or hashes.SHA256())  # type: ignore[arg-type]
    return Made(cert, key)


def make_ca(cn: str = "smtpkit tls test CA", issuer: Made | None = None, key_kind: str = "ec") -> Made:
    return make_cert(
        cn,
        issuer=issuer,
        is_ca=True,
        not_before=NOW - 10 * DAY,
        not_after=NOW + 3650 * DAY,
        key_kind=key_kind,
        key_size=2048 if key_kind == "rsa" else 256,
    )


_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # OID 1.2.840.113549.1.1.11 sha256WithRSAEncryption
_SHA1_RSA = bytes.fromhex("06092a864886f70d010105")  # OID 1.2.840.113549.1.1.5 sha1WithRSAEncryption


def resign_sha1(leaf: Made, ca: Made) -> Made:
    """The same certificate signed with SHA-1 by an RSA CA (cryptography no longer signs SHA-1 itself).

    Both signature OIDs have the same length and an RSA signature's length is
    the modulus size, so swapping the OID and the signature keeps every DER
    length intact: a genuine SHA-1 certificate, as old CAs issued them.
    """
    from cryptography.hazmat.primitives.asymmetric import padding

    der = leaf.der
    assert der.count(_SHA256_RSA) == 2, "the leaf must be signed by an RSA CA with SHA-256"
    old_sig = leaf.cert.signature
    tbs = leaf.cert.tbs_certificate_bytes.replace(_SHA256_RSA, _SHA1_RSA)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new_sig = ca.key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())  # type: ignore[attr-defined]
    assert len(new_sig) == len(old_sig)
    new_der = (
        der.replace(leaf.cert.tbs_certificate_bytes, tbs).replace(_SHA256_RSA, _SHA1_RSA).replace(old_sig, new_sig)
    )
    return Made(x509.load_der_x509_certificate(new_der), leaf.key)


def write(directory: Path, name: str, leaf: Made, *extra: Made) -> tuple[Path, Path]:
    """Write cert chain (leaf first, then `extra`) and key; returns (chain_path, key_path)."""
    chain = directory / f"{name}.pem"
    key = directory / f"{name}.key"
    chain.write_bytes(leaf.pem + b"".join(e.pem for e in extra))
    key.write_bytes(leaf.key_pem)
    return chain, key


def server_context(
    chain: Path,
    key: Path,
    *,
    min_version: ssl.TLSVersion | None = None,
    max_version: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
    seclevel0: bool = False,
    require_client_cert: bool = False,
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if seclevel0:
            ctx.set_ciphers((ciphers or "ALL") + ":@SECLEVEL=0")
        elif ciphers:
            ctx.set_ciphers(ciphers)
        if min_version is not None:
            ctx.minimum_version = min_version
        if max_version is not None:
            ctx.maximum_version = max_version
    ctx.load_cert_chain(str(chain), str(key))
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=make_ca("client CA").pem.decode())
    return ctx


# ---------------------------------------------------------------------------
# servers


class LoopbackServer:
    """Accept loop on 127.0.0.1:0; each connection handled by `handler(sock)` in its own thread."""

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.handler = handler
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.host = "127.0.0.1"
        self.connections = 0
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.connections += 1
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5.0)  # inside the try: stop() may have closed it already
            self.handler(conn)
        except Exception:
            pass
        finally:
            with self._lock:
                self._open.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self.listener.close()
        with self._lock:
            for c in list(self._open):
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
        self._thread.join(2)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture()
def server():
    """`server(handler)` starts a LoopbackServer; every one started is stopped after the test.

    Import it into a test module (`from tests.support.tls import server`) to use it.
    """
    started: list[LoopbackServer] = []

    def start(handler: Callable[[socket.socket], None]) -> LoopbackServer:
        srv = LoopbackServer(handler)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


def _readline(sock: socket.socket, limit: int = 1024) -> bytes:
    buf = b""
    while not buf.endswith(b"\n") and len(buf) < limit:
        ch = sock.recv(1)
        if not ch:
            break
        buf += ch
    return buf


def smtp_handler(
    ctx: ssl.SSLContext | None,
    *,
    implicit: bool = False,
    offer_starttls: bool = True,
    starttls_reply: bytes = b"220 2.0.0 Ready to start TLS\r\n",
    extra_caps: Iterable[str] = ("PIPELINING", "SIZE 10240000", "8BITMIME"),
) -> Callable[[socket.socket], None]:
    """A minimal SMTP server: greeting, EHLO, STARTTLS (or implicit TLS), then EHLO/QUIT over TLS."""

    def handle(conn: socket.socket) -> None:
        sock: socket.socket = conn
        if implicit:
            assert ctx is not None
            sock = ctx.wrap_socket(conn, server_side=True)
        sock.sendall(b"220 test.smtpkit.test ESMTP smtpkit tls tests\r\n")
        tls = implicit
        while True:
            line = _readline(sock)
            if not line:
                return
            verb = line.strip().split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                caps = list(extra_caps)
                if offer_starttls and not tls:
                    caps.append("STARTTLS")
                if tls:
                    caps.append("AUTH PLAIN LOGIN")
                lines = ["test.smtpkit.test"] + caps
                out = "".join(f"250-{c}\r\n" for c in lines[:-1]) + f"250 {lines[-1]}\r\n"
                sock.sendall(out.encode())
            elif verb == b"STARTTLS" and not tls:
                sock.sendall(starttls_reply)
                if not starttls_reply.startswith(b"220"):
                    continue
                assert ctx is not None
                sock = ctx.wrap_socket(conn, server_side=True)
                tls = True
            elif verb == b"QUIT":
                sock.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                sock.sendall(b"250 2.0.0 OK\r\n")

    return handle


def silent_handler(conn: socket.socket) -> None:
    """Accepts and says nothing until the client gives up."""
    conn.settimeout(10)
    while conn.recv(4096):
        pass


def hangup_handler(conn: socket.socket) -> None:
    """Reads the ClientHello and closes without a word."""
    conn.recv(4096)
    conn.close()


def drip_handler(conn: socket.socket) -> None:
    """Sends the start of a TLS record one byte every 0.2 s: per-read timeouts never fire."""
    conn.recv(4096)
    for b in b"\x16\x03\x03\x00\x40" + b"\x02" * 60:
        conn.sendall(bytes([b]))
        time.sleep(0.2)


# ---------------------------------------------------------------------------
# client helpers (what the SMTP engine does before handing us the socket)


def read_reply(sock: socket.socket) -> list[str]:
    lines = []
    while True:
        line = _readline(sock).decode("latin-1").rstrip("\r\n")
        if not line:
            raise ConnectionError("server closed")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return lines


def starttls_socket(host: str, port: int, timeout: float = 5.0) -> socket.socket:
    """Connect, read the greeting, EHLO, STARTTLS: a socket positioned for the ClientHello."""
    s = socket.create_connection((host, port), timeout=timeout)
    read_reply(s)
    s.sendall(b"EHLO client.test\r\n")
    read_reply(s)
    s.sendall(b"STARTTLS\r\n")
    reply = read_reply(s)
    if not reply[-1].startswith("220"):
        s.close()
        raise ConnectionError(f"STARTTLS refused: {reply[-1]}")
    return s


def plain_socket(host: str, port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection((host, port), timeout=timeout)


# -- reading a probe outcome the way the checks do (the probe keeps raw facts) ---------------------


def leaf_of(out):  # type: ignore[no-untyped-def]
    """The leaf certificate of a TLS outcome, read from its DER (None when the server sent none)."""
    from smtpkit.checks.tls import Certificates

    return Certificates.of(out).leaf


def chain_of(out):  # type: ignore[no-untyped-def]
    """Every certificate of a TLS outcome, leaf first, read from their DER."""
    from smtpkit.checks.tls import Certificates

    return Certificates.of(out).chain


def failure_kind(out) -> str | None:  # type: ignore[no-untyped-def]
    """What a failed handshake means (knowledge.tls_errors' kind: wrong_mode, verify, ...); None when it worked."""
    from smtpkit.checks.tls import tls_failure

    failure = tls_failure(out)
    return failure.kind if failure is not None else None
