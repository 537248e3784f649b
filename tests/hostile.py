"""A hostile HTTP server on 127.0.0.1 for the reliability tests: each path misbehaves as its :class:`Act` says.

It answers what real sites answer when things go wrong: 5xx and 429 with ``Retry-After``, a hang before the headers
or in the middle of the body, a reset connection, a body shorter than its ``Content-Length``, an HTML page with status
200, lying ``Content-Type`` and charset headers, bodies over the size cap, redirect loops and redirects to other
schemes. A path may hold a list of acts: the n-th request gets the n-th act (the last one repeats).

Every sleep is bounded (:data:`MAX_SLEEP`) and ends early when the server stops, so a test never hangs on it.

It can also act as an HTTPS proxy for a few named hosts (``CONNECT host:443``, then TLS with a throwaway self-signed
certificate, which Scrapy does not verify): a source whose kind talks to a fixed public host (a login endpoint) is
then served from here, and nothing ever leaves the machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MAX_SLEEP = 10.0  # no act sleeps longer than this, whatever it asks
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Act:
    """One answer: what to send, and how to misbehave while sending it."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    hang_before: float = 0.0  # seconds of silence before the status line
    hang_mid: float = 0.0  # seconds of silence after half the body
    reset: bool = False  # reset the connection (RST) instead of answering
    claimed_length: int | None = None  # the Content-Length to announce (more than the body: a truncated body)
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    stream_bytes: int = 0  # > 0: send this many bytes of filler as the body (a body over the size cap)


def status(code: int, body: bytes = b"", content_type: str = "text/plain", retry_after: str | None = None) -> Act:
    headers = (("Retry-After", retry_after),) if retry_after is not None else ()
    return Act(status=code, body=body, content_type=content_type, headers=headers)


def redirect(location: str, code: int = 302) -> Act:
    return Act(status=code, content_type="text/plain", headers=(("Location", location),))


@dataclass
class Hit:
    path: str
    at: float  # time.monotonic()
    method: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, *, tls_hosts: tuple[str, ...] = ()) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Act | list[Act]] = {}
        self.hits: list[Hit] = []
        self.tunnels: list[str] = []  # hosts asked for with CONNECT
        self.tls_hosts = tls_hosts
        self.on_hit: Callable[[Hit], None] | None = None  # called after each request is recorded (crash tests)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = _tls_context() if tls_hosts else None
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def proxy_url(self) -> str:
        return self.base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for hit in self.hits if hit.path == path)

    def times(self, path: str) -> list[float]:
        with self._lock:
            return [hit.at for hit in self.hits if hit.path == path]

    def pause(self, seconds: float) -> None:
        self.stopping.wait(min(seconds, MAX_SLEEP))

    def act_for(self, path: str, hit: Hit) -> Act | None:
        with self._lock:
            n = sum(1 for h in self.hits if h.path == path)
            self.hits.append(hit)
        if self.on_hit is not None:
            self.on_hit(hit)
        acts = self.routes.get(path)
        if acts is None:
            return None
        if isinstance(acts, Act):
            return acts
        return acts[min(n, len(acts) - 1)]


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.0"
    tunnel_host = ""

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_CONNECT(self) -> None:
        host = self.path.rsplit(":", 1)[0]
        self.server.tunnels.append(host)
        if self.server._tls is None or host not in self.server.tls_hosts:
            self.send_error(403, "this proxy tunnels only to the hosts a test names")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        connection = self.server._tls.wrap_socket(self.connection, server_side=True)
        self.connection = connection
        self.rfile = connection.makefile("rb", self.rbufsize)  # type: ignore[assignment]
        self.wfile = connection.makefile("wb", 0)  # type: ignore[assignment]
        self.tunnel_host = host
        self.close_connection = False  # the next request arrives through the tunnel, over TLS

    def _answer(self) -> None:
        path = self.path.split("?")[0]
        if self.tunnel_host:
            path = f"https://{self.tunnel_host}{path}"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        hit = Hit(path=path, at=time.monotonic(), method=self.command, headers=dict(self.headers.items()), body=body)
        act = self.server.act_for(path, hit) or Act(404, b"not found", "text/plain")
        with contextlib.suppress(OSError):  # the client gave up (a timeout), or we reset the connection ourselves
            self._send(act)
        self.close_connection = True

    def _send(self, act: Act) -> None:
        if act.hang_before:
            self.server.pause(act.hang_before)
        if act.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        self.send_response(act.status)
        if act.content_type is not None:
            self.send_header("Content-Type", act.content_type)
        for name, value in act.headers:
            self.send_header(name, value)
        size = act.stream_bytes or len(act.body)
        if act.send_length:
            self.send_header("Content-Length", str(act.claimed_length if act.claimed_length is not None else size))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if act.stream_bytes:
            sent = 0
            filler = b"x" * CHUNK
            while sent < act.stream_bytes and not self.server.stopping.is_set():
                self.wfile.write(filler[: act.stream_bytes - sent])
                sent += CHUNK
            return
        half = len(act.body) // 2
        if act.hang_mid:
            self.wfile.write(act.body[:half])
            self.wfile.flush()
            self.server.pause(act.hang_mid)
            self.wfile.write(act.body[half:])
        else:
            self.wfile.write(act.body)
        self.wfile.flush()

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection was reset on purpose
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return


def _tls_context() -> ssl.SSLContext:
    """A server context with a throwaway self-signed certificate (the crawl does not verify certificates)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory(prefix="hostile-tls-") as name:  # the context keeps what it loaded
        folder = Path(name)
        (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context
