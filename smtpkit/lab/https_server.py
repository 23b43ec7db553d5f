"""The practice lab's HTTPS host: MTA-STS policy files for the lab domains, right and wrong (RFC 8461).

Senders fetch ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` with a
verified certificate, no redirects, ``text/plain`` and a size cap; each lab
domain breaks exactly one of those expectations (see `smtpkit.lab.policies`).
One server answers for every policy host: the certificate is chosen by SNI
(the ``mta_sts`` certificate names every policy host except
``mta-sts.sts-badcert.test``, which gets one for another name), the answer
by the Host header.

Built on the standard library's `http.server` with one thread per connection;
the TLS handshake happens in that thread, not in the accept loop, so a client
that connects and says nothing cannot stall other clients, and every socket
has a timeout.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from smtpkit.lab.ca import LabCA, server_context
from smtpkit.lab.policies import BY_HOST, Served

__all__ = ["POLICY_PATH", "HttpsServer"]

log = logging.getLogger("smtpkit.lab.https")

POLICY_PATH = "/.well-known/mta-sts.txt"
_TIMEOUT = 5.0


class _Handler(BaseHTTPRequestHandler):
    server_version = "smtpkit-lab-https"
    sys_version = ""
    timeout = _TIMEOUT  # every read and write on the connection (StreamRequestHandler applies it)
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        self.request.settimeout(_TIMEOUT)
        self.request.do_handshake()  # in this connection's thread, bounded by the timeout
        super().setup()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip().lower().rstrip(".")
        served = BY_HOST.get(host)
        if served is None or self.path.split("?", 1)[0] != POLICY_PATH:
            self._send(404, "text/plain", f"no policy here for {host or 'this host'}\n")
            return
        self._answer(served)

    def _answer(self, served: Served) -> None:
        if 300 <= served.status < 400:
            self._send(served.status, served.content_type, f'<a href="{served.location}">moved</a>\n', served.location)
        else:
            self._send(served.status, served.content_type, served.body)

    def _send(self, status: int, content_type: str, body: str, location: str = "") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        log.debug("lab https: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext) -> None:
        self.address_family = socket.AF_INET6 if ipaddress.ip_address(address[0]).version == 6 else socket.AF_INET
        self.context = context
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that drops the connection, fails the handshake or times out is the client's business
        log.debug("lab https: connection from %s ended with an error", client_address, exc_info=True)


class HttpsServer:
    """Serve the lab's MTA-STS policies over HTTPS on `host`, an ephemeral port unless `port` is given."""

    def __init__(self, ca: LabCA, host: str = "127.0.0.1", port: int = 0) -> None:
        good = server_context(ca.issue("mta_sts"))
        wrong = server_context(ca.issue("wrong_host"))
        wrong_hosts = {h for h, s in BY_HOST.items() if s.wrong_cert}

        def pick(sslobj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            if name and name.lower() in wrong_hosts:
                sslobj.context = wrong
            return None

        good.sni_callback = pick
        self._server = _Server((host, port), good)
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="smtpkit-lab-https", daemon=True
            )
            self._thread.start()
        return self.port

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()
