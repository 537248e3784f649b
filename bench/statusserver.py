"""A loopback server of N Statuspage-style sources spread over 50 hosts, for the poll benchmark.

``python -m bench.statusserver --sources N`` generates every body first (deterministically: source ``i`` always gets
the same bytes), then listens on one port of each of the 50 loopback addresses 127.0.0.2 … 127.0.0.51 (Linux routes
all of 127.0.0.0/8 to the loopback interface, so these are 50 distinct hosts to a crawler's per-host limits), and
prints ``ready <port>``. Source ``i`` is ``http://127.0.0.<2 + i % 50>:<port>/s/<i>.json``.

Bodies are Atlassian Statuspage v2 ``summary.json``-like documents (page, components, up to 50 incidents with their
updates), between 5 KB and 400 KB, log-uniformly distributed (mean about 90 KB): most pages are small, a few are long
histories. Every response carries an ``ETag`` and a ``Last-Modified``; a conditional request that matches gets a
``304 Not Modified`` without a body. ``/robots.txt`` allows everything. HTTP/1.1 with keep-alive, asyncio, bodies
served from memory so that the server costs as little CPU as possible.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from typing import ClassVar

HOSTS = tuple(f"127.0.0.{2 + n}" for n in range(50))
MIN_BYTES, MAX_BYTES = 5_000, 400_000
LAST_MODIFIED = "Tue, 07 Dec 2021 15:00:00 GMT"
INCIDENT_OVERHEAD, UPDATE_OVERHEAD = 800, 370  # bytes of JSON around the update bodies (measured)
ROBOTS = b"User-agent: *\nDisallow:\n"
PHRASES = (
    "we are investigating elevated error rates and latency for requests to the api in the us-east region",
    "a fix has been implemented and we are monitoring the results customers may see delayed webhooks",
    "the issue has been identified and engineers are working on mitigation affected components include",
    "git operations pages actions packages and the dashboard this incident has been resolved",
)
WORDS = tuple(word for phrase in PHRASES for word in phrase.split(" "))


def source_url(i: int, port: int) -> str:
    return f"http://{HOSTS[i % len(HOSTS)]}:{port}/s/{i}.json"


_TEXT_RNG = random.Random(20211207)
TEXT = " ".join(_TEXT_RNG.choice(WORDS) for _ in range(60_000))  # about 360 KB of words to take slices of


def _text(rng: random.Random, size: int) -> str:
    start = rng.randrange(0, len(TEXT) - size)
    return TEXT[start : start + size]


def _ts(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def make_body(i: int) -> bytes:
    """Source ``i``'s summary document: the same bytes on every call."""
    rng = random.Random(i)
    target = int(MIN_BYTES * (MAX_BYTES / MIN_BYTES) ** rng.random())
    now = datetime(2021, 12, 7, 15, 0, tzinfo=UTC)
    components = [
        {
            "id": f"c{i}-{n}",
            "name": f"Component {n}",
            "status": rng.choice(("operational", "operational", "operational", "degraded_performance")),
            "created_at": _ts(now - timedelta(days=400)),
            "updated_at": _ts(now - timedelta(hours=n)),
            "position": n,
            "description": None,
            "showcase": False,
            "group_id": None,
            "page_id": f"p{i}",
            "group": False,
            "only_show_if_degraded": False,
        }
        for n in range(rng.randint(3, 25))
    ]
    doc = {
        "page": {
            "id": f"p{i}",
            "name": f"Provider {i}",
            "url": f"https://status.provider{i}.example",
            "time_zone": "Etc/UTC",
            "updated_at": _ts(now),
        },
        "components": components,
        "incidents": [],
        "scheduled_maintenances": [],
        "status": {"indicator": "none", "description": "All Systems Operational"},
    }
    base = len(json.dumps(doc))
    n_incidents = max(1, min(50, (target - base) // 2500))
    if True:
        per_update = max(20, ((target - base) // n_incidents - INCIDENT_OVERHEAD) // 4 - UPDATE_OVERHEAD)
        for n in range(n_incidents):
            started = now - timedelta(days=3 * n + 1, minutes=rng.randint(0, 600))
            updates = []
            for u, status in enumerate(("investigating", "identified", "monitoring", "resolved")):
                at = started + timedelta(minutes=25 * u)
                updates.append(
                    {
                        "id": f"u{i}-{n}-{u}",
                        "status": status,
                        "body": _text(rng, per_update),
                        "created_at": _ts(at),
                        "display_at": _ts(at),
                        "updated_at": _ts(at),
                        "incident_id": f"i{i}-{n}",
                        "affected_components": [
                            {
                                "code": components[0]["id"],
                                "name": components[0]["name"],
                                "old_status": "operational",
                                "new_status": "degraded_performance" if status != "resolved" else "operational",
                            }
                        ],
                    }
                )
            updates.reverse()  # newest first, as Statuspage serves them
            doc["incidents"].append(  # type: ignore[attr-defined]
                {
                    "id": f"i{i}-{n}",
                    "name": f"Elevated errors on component {n % 7}",
                    "status": "resolved",
                    "impact": rng.choice(("minor", "major", "critical", "none")),
                    "created_at": _ts(started),
                    "started_at": _ts(started),
                    "updated_at": _ts(started + timedelta(minutes=75)),
                    "resolved_at": _ts(started + timedelta(minutes=75)),
                    "shortlink": f"https://stspg.io/{i}x{n}",
                    "page_id": f"p{i}",
                    "incident_updates": updates,
                    "components": [components[0]],
                }
            )
    return json.dumps(doc).encode()


class StatusServer(asyncio.Protocol):
    responses: ClassVar[dict[bytes, tuple[bytes, bytes]]] = {}  # path -> (etag, full 200 response)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            path = parts[1].split(b"?")[0] if len(parts) > 1 else b"/"
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            self.transport.write(self.answer(path, headers))
            if headers.get(b"connection", b"").lower() == b"close":
                self.transport.close()
                return

    def answer(self, path: bytes, headers: dict[bytes, bytes]) -> bytes:
        if path == b"/robots.txt":
            return _response(b"200 OK", ROBOTS, b"text/plain", None)
        found = self.responses.get(path)
        if found is None:
            return _response(b"404 Not Found", b"not found", b"text/plain", None)
        etag, full = found
        if headers.get(b"if-none-match") == etag or (
            b"if-none-match" not in headers and headers.get(b"if-modified-since") == LAST_MODIFIED.encode()
        ):
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\nContent-Length: 0\r\n\r\n"
        return full


def _response(status: bytes, body: bytes, content_type: bytes, etag: bytes | None) -> bytes:
    head = [
        b"HTTP/1.1 " + status,
        b"Content-Type: " + content_type,
        b"Content-Length: " + str(len(body)).encode(),
        b"Last-Modified: " + LAST_MODIFIED.encode(),
    ]
    if etag:
        head.append(b"ETag: " + etag)
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def build(sources: int) -> int:
    total = 0
    for i in range(sources):
        body = make_body(i)
        etag = b'"' + hashlib.sha256(body).hexdigest()[:20].encode() + b'"'
        StatusServer.responses[f"/s/{i}.json".encode()] = (etag, _response(b"200 OK", body, b"application/json", etag))
        total += len(body)
    return total


async def serve(sources: int, port: int) -> None:
    total = build(sources)
    loop = asyncio.get_running_loop()
    first = await loop.create_server(StatusServer, HOSTS[0], port)
    port = first.sockets[0].getsockname()[1]
    servers = [first] + [await loop.create_server(StatusServer, host, port) for host in HOSTS[1:]]
    print(f"ready {port} {total}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        for server in servers:
            server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=5000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.sources, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
