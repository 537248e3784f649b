"""A real HTTP server on 127.0.0.1 for tests: each path answers as its route says (body, status, delay...)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0  # seconds to wait before answering (longer than the crawl timeout = a timeout)
    etag: str | None = None  # sent with the body; a request whose If-None-Match names it gets a 304 without one
    busy_first: int = 0  # the first this many requests get a 503 (a server busy for a moment)


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.conditional: dict[str, list[str]] = {}  # path -> the If-None-Match of each request that sent one
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        route = self.server.routes.get(path, Route(b"not found", 404, "text/plain"))
        if self.server.hits[path] <= route.busy_first:
            route = Route(b"busy", 503, "text/plain")
        if route.delay:
            time.sleep(route.delay)
        asked = self.headers.get("If-None-Match")
        if asked is not None:
            self.server.conditional.setdefault(path, []).append(asked)
        not_modified = route.etag is not None and asked == route.etag and route.status == 200
        try:
            self.send_response(304 if not_modified else route.status)
            if route.etag is not None:
                self.send_header("ETag", route.etag)
            if not_modified:
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        return
