"""A domain with 10 MX hosts is probed in about the time of its slowest MX (`check_domain(..., probe_mx=True)`).

Every MX address is probed over STARTTLS at once, so ten MX hosts should cost
about what the slowest one costs alone, not the sum of all ten. This starts
ten small STARTTLS servers on 127.0.0.11-20 (one port number for all, as MX
hosts all listen on port 25), each greeting after a different delay (50 ms up
to 500 ms, then a real TLS handshake), and a DNS server with two domains:
``ten.bench.test`` (MX 10 ... MX 100, one per server) and ``slow.bench.test``
(only the slowest server). It times full `check_domain` runs of both, several
times, and prints the median of each and their ratio (the goal: <= 1.5), with
the sequential sum for comparison. Everything stays on 127.0.0.0/8.

    python benchmarks/mx_probe.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import socket
import ssl
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from smtpkit import check_domain
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet

ADDRESSES = [f"127.0.0.{11 + i}" for i in range(10)]
DELAYS = [0.05 * (i + 1) for i in range(10)]  # the last one is the slowest MX


def _certificate(directory: Path) -> tuple[str, str]:
    """A self-signed certificate for *.bench.test, trusted as its own CA (the benchmark's cafile)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mx benchmark")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("*.bench.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


class SlowMx:
    """A STARTTLS SMTP server that greets after `delay` seconds; one thread per connection."""

    def __init__(self, address: str, port: int, delay: float, context: ssl.SSLContext) -> None:
        self.delay, self.context = delay, context
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            time.sleep(self.delay)
            conn.sendall(b"220 mx.bench.test ESMTP\r\n")
            stream = conn.makefile("rb")
            tls: ssl.SSLSocket | None = None
            while True:
                line = (tls.makefile("rb") if tls else stream).readline()
                if not line:
                    return
                verb = line.split(b" ", 1)[0].strip().upper()
                out = tls or conn
                if verb == b"EHLO":
                    out.sendall(b"250-mx.bench.test\r\n" + (b"250 8BITMIME\r\n" if tls else b"250 STARTTLS\r\n"))
                elif verb == b"STARTTLS" and tls is None:
                    conn.sendall(b"220 2.0.0 go ahead\r\n")
                    tls = self.context.wrap_socket(conn, server_side=True)
                elif verb == b"QUIT":
                    out.sendall(b"221 bye\r\n")
                    return
                else:
                    out.sendall(b"502 5.5.2 no\r\n")
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()


def _free_port(addresses: list[str]) -> int:
    """A port number free on every one of `addresses`."""
    for _ in range(50):
        probe = socket.socket()
        probe.bind((addresses[0], 0))
        port = probe.getsockname()[1]
        probe.close()
        try:
            for a in addresses[1:]:
                s = socket.socket()
                s.bind((a, port))
                s.close()
            return port
        except OSError:
            continue
    raise SystemExit("no port free on every benchmark address")


def _zones() -> ZoneSet:
    records = [Record("ten.bench.test", "MX", (10 * (i + 1), f"mx{i}.bench.test")) for i in range(10)]
    records += [Record(f"mx{i}.bench.test", "A", a) for i, a in enumerate(ADDRESSES)]
    records += [Record("slow.bench.test", "MX", (10, "mx9.bench.test"))]
    return ZoneSet(records, zones=["bench.test"])


def _time(domain: str, options: dict[str, object]) -> tuple[float, float]:
    start = time.monotonic()
    report = check_domain(domain, **options)  # type: ignore[arg-type]
    took = time.monotonic() - start
    step = report.step("mx_tls")
    if step is None or step.details.get("MX addresses probed") != (10 if domain.startswith("ten") else 1):
        raise SystemExit(f"{domain}: the MX step did not probe every address: {report.to_text()}")
    bad = [f.code for f in report.findings if f.code.startswith("mx.tls")]
    if bad:
        raise SystemExit(f"{domain}: probes failed ({bad}); the benchmark's servers did not answer")
    return took, step.elapsed_ms / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each domain (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smtpkit-mxbench-") as tmp:
        cert_file, key_file = _certificate(Path(tmp))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        port = _free_port(ADDRESSES)
        servers = [SlowMx(a, port, d, context) for a, d in zip(ADDRESSES, DELAYS)]
        try:
            with DnsServer(_zones()) as dns:
                options: dict[str, object] = {
                    "nameservers": [dns.nameserver],
                    "probe_mx": True,
                    "mx_port": port,
                    "cafile": cert_file,
                    "allow_private": True,
                    "timeout": 20,
                }
                _time("slow.bench.test", options)  # warm up imports and caches
                ten, slow, ten_step, slow_step = [], [], [], []
                for _ in range(args.runs):
                    t, s = _time("ten.bench.test", options)
                    ten.append(t)
                    ten_step.append(s)
                    t, s = _time("slow.bench.test", options)
                    slow.append(t)
                    slow_step.append(s)
        finally:
            for s in servers:
                s.stop()
    ratio = statistics.median(ten) / statistics.median(slow)
    step_ratio = statistics.median(ten_step) / statistics.median(slow_step)
    print(f"MX probe benchmark: 10 STARTTLS MX hosts on {ipaddress.ip_address(ADDRESSES[0])}..{ADDRESSES[-1]}")
    print(f"  greeting delays: {', '.join(f'{d * 1000:.0f}' for d in DELAYS)} ms (sum {sum(DELAYS):.2f} s)")
    print(f"  slowest MX alone (slow.bench.test), median of {args.runs}: {statistics.median(slow):.3f} s")
    print(f"  all 10 MX hosts (ten.bench.test),  median of {args.runs}: {statistics.median(ten):.3f} s")
    print(f"  ratio 10 MX / slowest MX: {ratio:.2f}x (goal <= 1.5x); the mx_tls step alone: {step_ratio:.2f}x")
    print(f"  probing one after another would take at least {sum(DELAYS):.2f} s of greetings alone")


if __name__ == "__main__":
    main()
