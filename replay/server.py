"""A loopback HTTP server that serves the replay's payloads as they stood at a simulated moment.

Routes: ``/aws/data.json``; ``/<page>/api/v2/summary.json`` and ``/<page>/api/v2/incidents.json`` for each
Statuspage page of the replay; ``/slack/api/v2.0.0/current`` and ``/history``; ``/gcp/incidents.json`` and
``/azure/feed`` (both all clear that day); ``/reports.csv``; Mastodon hashtag timelines
``/<instance>/api/v1/timelines/tag/outage`` for two instances; ``/hn/api/v1/search_by_date`` (Algolia).
Move the clock with :meth:`ReplayServer.set_clock`.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from replay import DATA_DIR, counts, posts, shd, slack, statuspage
from replay.timefmt import utc

PAGES = ("trello", "bitbucket", "jira")
AZURE_ALL_CLEAR = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Azure Status</title>'
    b"<link>https://azure.status.microsoft/en-us/status</link><description>Azure Status</description>"
    b"<language>en-US</language><lastBuildDate>Tue, 07 Dec 2021 12:00:00 Z</lastBuildDate></channel></rss>"
)


def load_specs(data_dir: Path = DATA_DIR) -> dict[str, Any]:
    specs = {"aws": yaml.safe_load((data_dir / "aws_shd.yaml").read_text(encoding="utf-8"))}
    specs["complaints"] = yaml.safe_load((data_dir / "complaints.yaml").read_text(encoding="utf-8"))
    for page in PAGES:
        specs[page] = yaml.safe_load((data_dir / f"statuspage_{page}.yaml").read_text(encoding="utf-8"))
    specs["slack"] = yaml.safe_load((data_dir / "slack.yaml").read_text(encoding="utf-8"))
    specs["posts"] = yaml.safe_load((data_dir / "posts.yaml").read_text(encoding="utf-8"))
    return specs


class ReplayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, specs: dict[str, Any] | None = None, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.specs = specs or load_specs()
        self.posts = posts.generate(self.specs["posts"], self.specs["complaints"])
        self.clock = utc("2021-12-07T12:00:00Z")
        self.requests_seen: list[str] = []
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def set_clock(self, at: datetime | str) -> None:
        self.clock = utc(at)

    def payload(self, path: str, query: str = "") -> tuple[int, str, bytes]:
        """(status, content type, body) for a path (and query string) at the current clock."""
        at = self.clock
        for instance in posts.INSTANCES:
            if path == f"/{instance}/api/v1/timelines/tag/outage":
                page = posts.mastodon_page(self.posts, instance, at, query)
                return 200, "application/json; charset=utf-8", json.dumps(page).encode()
        if path == "/hn/api/v1/search_by_date":
            return (
                200,
                "application/json; charset=utf-8",
                json.dumps(posts.hackernews_search(self.posts, at, query)).encode(),
            )
        if path == "/aws/data.json":
            return 200, "application/json", json.dumps(shd.render(self.specs["aws"], at)).encode()
        if path.startswith("/slack/api/v2.0.0/"):
            endpoint = path.rsplit("/", 1)[1]
            if endpoint in ("current", "history"):
                return 200, "application/json", json.dumps(slack.render(self.specs["slack"], at, endpoint)).encode()
        if path == "/gcp/incidents.json":
            return 200, "application/json", b"[]"  # Google Cloud posted nothing about this event
        if path == "/azure/feed":
            # Azure's feed lists active items only: an empty channel is all clear
            return 200, "application/rss+xml", AZURE_ALL_CLEAR
        if path == "/reports.csv":
            return 200, "text/csv; charset=utf-8", counts.render_csv(self.specs["complaints"], at).encode()
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[0] in PAGES and parts[1:3] == ["api", "v2"]:
            endpoint = parts[3].removesuffix(".json")
            if endpoint in ("summary", "incidents"):
                body = statuspage.render(self.specs[parts[0]], at, endpoint)
                return 200, "application/json; charset=utf-8", json.dumps(body).encode()
        return 404, "text/plain", b"not found"

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self.serve_forever, name="replay-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: ReplayServer

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self.server.requests_seen.append(path)
        status, content_type, body = self.server.payload(path, query)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the crawl log records every fetch
        return
