"""The one spider: fetches every planned URL and turns each response or failure into a fetch record.

It only fetches. Bodies go to a content-addressed store (one file per sha256, written once); the records go to
``fetches.jsonl`` in the run folder. Parsing happens later, from the stored bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from scrapers import registry
from scrapers.records import Document, ParseError
from scrapers.timeparse import parse_iso_utc

MAX_REQUESTS_PER_SOURCE = 500  # a runaway pager stops here; the source is recorded as failed


def body_path(store: Path, sha256: str) -> Path:
    return store / sha256[:2] / sha256


def store_body(store: Path, body: bytes) -> str:
    """Write a body once under its sha256 (atomically: a crash never leaves half a file) and return the hash."""
    digest = hashlib.sha256(body).hexdigest()
    target = body_path(store, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, target)
    return digest


def describe_failure(failure: Failure, timeout: float, maxsize: int = 0) -> str:
    """A reason a person can act on, for a download that produced no response."""
    name = type(failure.value).__name__
    message = failure.getErrorMessage()
    request = getattr(failure, "request", None)
    meta = request.meta if request is not None else {}
    tries = int(meta.get("retry_times", 0)) + 1
    tried = f"tried {tries} time{'s' if tries > 1 else ''}"
    note = f"; {meta['retry_note']}" if meta.get("retry_note") else ""
    if "Timeout" in name or "TimedOut" in name:
        return f"timed out after {timeout:g}s ({tried}){note}"
    if "ConnectionRefused" in name:
        return f"connection refused ({tried}){note}"
    if "DNSLookup" in name or "CannotResolveHost" in name:
        return "DNS lookup failed: the host name does not resolve"
    if "Cancelled" in name and ("max size" in message or not message):
        return f"body larger than the download size cap ({maxsize} bytes): not kept"
    if "DataLoss" in name or "ConnectionLost" in name or "ConnectionDone" in name or "PartialDownload" in name:
        return f"connection closed before the response was complete ({name}; {tried}){note}"
    if "DownloadFailed" in name and ("ConnectionLost" in message or "ConnectionDone" in message):
        lost = "ConnectionLost" if "ConnectionLost" in message else "ConnectionDone"
        return f"connection closed or reset before the response was complete ({lost}; {tried}){note}"
    if name == "IgnoreRequest":
        if "max redirections" in message:
            return f"redirect loop: gave up after {meta.get('redirect_times', 0) or 'too many'} redirects"
        message = message[:1].lower() + message[1:]
        return f"not fetched: {message or 'forbidden by robots.txt'}"
    return f"{name}: {message}"


def redirect_error(response: Response) -> str:
    """Why a 3xx response reached the spider instead of being followed (Scrapy follows only http(s) targets)."""
    location = _header(response, "Location")
    if not location:
        return f"HTTP {response.status} without a Location to follow"
    target = urlsplit(urljoin(response.url, location))
    scheme = target.scheme.lower()
    if scheme not in ("http", "https"):
        return f"HTTP {response.status}: redirect to {scheme}:// refused (only http and https are followed)"
    return f"HTTP {response.status}: redirect to {target.hostname}{target.path[:100]} not followed"


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _response_error(response: Response) -> str | None:
    """None for a usable response; else the error its fetch record carries (with why it was not retried, if so)."""
    if response.status < 300:
        return None
    if response.status < 400:
        return redirect_error(response)
    note = response.meta.get("retry_note")
    return f"HTTP {response.status}" + (f"; {note}" if note else "")


class SourcesSpider(scrapy.Spider):
    name = "sources"

    def __init__(self, plan: str, as_of: str = "", timeout: str = "30", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = json.loads(Path(plan).read_text(encoding="utf-8"))
        self.as_of = as_of  # replays stamp fetches with the simulated clock
        self.timeout = float(timeout)
        self.requests_made: dict[str, int] = {}

    def _now(self) -> str:
        return self.as_of or datetime.now(UTC).isoformat()

    def _request(self, source_id: str, kind: str, spec: registry.RequestSpec) -> scrapy.Request | None:
        made = self.requests_made.get(source_id, 0)
        if made >= MAX_REQUESTS_PER_SOURCE:
            return None
        self.requests_made[source_id] = made + 1
        return scrapy.Request(
            spec.url,
            method=spec.method,
            headers=dict(spec.headers),  # headers may carry credentials: they are sent, never recorded
            body=spec.body,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={"source_id": source_id, "kind": kind, "keep_body": spec.keep_body, "kind_meta": dict(spec.meta)},
        )

    async def start(self) -> AsyncIterator[Any]:
        for entry in self.plan:
            kind = registry.get(entry["kind"])
            context = registry.SourceContext(
                source_id=entry["source_id"],
                url=entry["url"],
                since=parse_iso_utc(entry["since"], what="plan since"),
                until=parse_iso_utc(entry["until"], what="plan until"),
                env=os.environ,
            )
            try:
                specs = registry.first_requests(kind, context)
            except registry.SkipSource as skip:
                yield {"source_id": entry["source_id"], "skipped": str(skip), "fetched_at": self._now()}
                continue
            for spec in specs:
                request = self._request(entry["source_id"], kind.name, spec)
                if request is not None:
                    yield request

    def parse(self, response: Response, **kwargs: Any) -> Any:
        request_url = response.request.url if response.request else response.url
        meta = response.meta
        keep = meta.get("keep_body", True)
        kind_meta = {**meta.get("kind_meta", {}), "http_status": response.status}
        yield {
            "source_id": meta["source_id"],
            "url": request_url,
            "final_url": response.url,
            "fetched_at": self._now(),
            "http_status": response.status,
            "content_type": _header(response, "Content-Type"),
            "etag": _header(response, "ETag"),
            "last_modified": _header(response, "Last-Modified"),
            "body": response.body if keep else None,
            "withheld": not keep,
            "meta": kind_meta,
            "error": _response_error(response),
        }
        kind = registry.get(meta["kind"])
        if kind.follow is None or response.status >= 300:
            return
        doc = Document(
            source_id=meta["source_id"],
            url=request_url,
            body=response.body,
            content_type=_header(response, "Content-Type"),
            fetched_at=parse_iso_utc(self._now(), what="fetched_at"),
            meta=kind_meta,
        )
        try:
            follow_ups = kind.follow(doc)
        except ParseError:
            return  # the parse stage reports this body's problem with its URL
        for spec in follow_ups:
            request = self._request(meta["source_id"], kind.name, spec)
            if request is None:
                yield self._error_item(meta["source_id"], spec.url, f"stopped after {MAX_REQUESTS_PER_SOURCE} requests")
                return
            yield request

    def _error_item(self, source_id: str, url: str, error: str) -> dict[str, Any]:
        return {
            "source_id": source_id,
            "url": url,
            "final_url": url,
            "fetched_at": self._now(),
            "http_status": None,
            "content_type": None,
            "etag": None,
            "last_modified": None,
            "body": None,
            "withheld": False,
            "meta": {},
            "error": error,
        }

    def failed(self, failure: Failure) -> Any:
        request = failure.request  # type: ignore[attr-defined]
        maxsize = self.crawler.settings.getint("DOWNLOAD_MAXSIZE") if hasattr(self, "crawler") else 0
        reason = describe_failure(failure, self.timeout, maxsize)
        yield self._error_item(request.meta["source_id"], request.url, reason)


class BodyStorePipeline:
    """Moves each body into the content-addressed store and keeps only its hash and size in the record."""

    def __init__(self, store: str) -> None:
        self.store = Path(store)

    @classmethod
    def from_crawler(cls, crawler: Any) -> BodyStorePipeline:
        return cls(crawler.settings.get("OUTAGES_BODY_STORE"))

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        if "skipped" in item:
            return item
        body = item.pop("body")
        if body is None:
            item["sha256"], item["bytes"] = None, None
        else:
            item["sha256"], item["bytes"] = store_body(self.store, body), len(body)
        return item
