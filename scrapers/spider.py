"""The one spider: fetches every planned URL and turns each response or failure into a fetch record.

It only fetches. Bodies go to a content-addressed store (one file per sha256, written once); the records go to
``fetches.jsonl`` in the run folder, one complete line each as soon as its body is stored, so that the parse stage
(another process, free of Scrapy) can parse each body while the crawl waits on the next (flows/crawl_stage.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.utils.serialize import ScrapyJSONEncoder
from twisted.python.failure import Failure

from scrapers import registry
from scrapers.bodystore import body_path, store_body
from scrapers.records import Document, ParseError
from scrapers.timeparse import parse_iso_utc

MAX_REQUESTS_PER_SOURCE = 500  # a runaway pager stops here; the source is recorded as failed


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


def conditional_headers(previous: dict[str, Any]) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the validators of a URL's previous good read."""
    headers = {}
    if previous.get("etag"):
        headers["If-None-Match"] = previous["etag"]
    if previous.get("last_modified"):
        headers["If-Modified-Since"] = previous["last_modified"]
    return headers


def not_modified_record(previous: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """What a 304's fetch record takes from the read it confirms: that body's hash and size (the body is in the store
    already) and, when the 304 does not repeat them, its validators, so that the next run can ask again."""
    return {
        "sha256": previous["sha256"],
        "bytes": previous["bytes"],
        "content_type": record["content_type"] or previous.get("content_type"),
        "etag": record["etag"] or previous.get("etag"),
        "last_modified": record["last_modified"] or previous.get("last_modified"),
        "body": None,
        "not_modified": True,
    }


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _response_error(response: Response) -> str | None:
    """None for a usable response; else the error its fetch record carries (with why it was not retried, if so)."""
    if response.status < 300:
        return None
    if response.status == 304:
        if response.meta.get("previous"):
            return None  # not modified since the body we hold: a successful read
        return "HTTP 304 Not Modified to a request that was not conditional: no body to read"
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
        self._store: tuple[Path, ...] | None = None  # the body store once read from the settings (``store``)

    @property
    def store(self) -> Path | None:
        """The content-addressed body store (None for a spider built without a crawler); read from the settings once
        (it is asked for twice per request)."""
        crawler = getattr(self, "crawler", None)
        if crawler is None:
            return None
        if self._store is None:
            configured = crawler.settings.get("OUTAGES_BODY_STORE")
            self._store = (Path(configured),) if configured else ()
        return self._store[0] if self._store else None

    def _now(self) -> str:
        return self.as_of or datetime.now(UTC).isoformat()

    def _request(
        self, source_id: str, kind: str, spec: registry.RequestSpec, validators: dict[str, Any] | None = None
    ) -> scrapy.Request | None:
        made = self.requests_made.get(source_id, 0)
        if made >= MAX_REQUESTS_PER_SOURCE:
            return None
        self.requests_made[source_id] = made + 1
        headers = dict(spec.headers)  # headers may carry credentials: they are sent, never recorded
        meta = {"source_id": source_id, "kind": kind, "keep_body": spec.keep_body, "kind_meta": dict(spec.meta)}
        # handed back to the kind with the response (Document.carried), never sent, recorded or logged
        meta["kind_carry"] = dict(spec.carry)
        previous = self._previous(spec, validators)
        if previous is not None:
            headers.update(conditional_headers(previous))
            meta["previous"] = previous
        return scrapy.Request(
            spec.url,
            method=spec.method,
            headers=headers,
            body=spec.body,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta=meta,
        )

    def _stored_body(self, sha256: str) -> bytes | None:
        if self.store is None:
            return None
        try:
            return body_path(self.store, sha256).read_bytes()
        except OSError:
            return None

    def _previous(self, spec: registry.RequestSpec, validators: dict[str, Any] | None) -> dict[str, Any] | None:
        """The previous good read of this request's URL, when a conditional request can stand on it: a GET whose body
        is kept, a validator to send, and that body still in the store (a 304 hands the stored copy on)."""
        found = (validators or {}).get(spec.url)
        if found is None or spec.method != "GET" or not spec.keep_body or self.store is None:
            return None
        if not (found.get("etag") or found.get("last_modified")):
            return None
        try:
            size = body_path(self.store, found["sha256"]).stat().st_size
        except OSError:
            return None
        return {**found, "bytes": size}

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
            # only a source's first requests are conditional: a follow-up depends on what its parent said
            validators = {v["url"]: v for v in entry.get("validators") or ()}
            for spec in specs:
                request = self._request(entry["source_id"], kind.name, spec, validators)
                if request is not None:
                    # the one request HttpOnlyMiddleware lets read a local file: the catalog entry's own file:// URL
                    request.meta["catalog_file"] = kind.reads_files and spec.url == entry["url"]
                    yield request

    def parse(self, response: Response, **kwargs: Any) -> Any:
        request_url = response.request.url if response.request else response.url
        meta = response.meta
        keep = meta.get("keep_body", True)
        kind_meta = {**meta.get("kind_meta", {}), "http_status": response.status}
        previous = meta.get("previous") if response.status == 304 else None
        record = {
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
        if previous is not None:
            record.update(not_modified_record(previous, record))
        yield record
        kind = registry.get(meta["kind"])
        if kind.follow is None or (response.status >= 300 and previous is None):
            return
        body = response.body
        if previous is not None:
            # Not modified: the pages it leads to are still asked for, from the body we hold (paging, AWS's chain).
            stored = self._stored_body(previous["sha256"])
            if stored is None:
                return  # the parse stage reports the missing body with its URL
            body = stored
        doc = Document(
            source_id=meta["source_id"],
            url=request_url,
            body=body,
            content_type=record["content_type"],
            fetched_at=parse_iso_utc(self._now(), what="fetched_at"),
            meta=kind_meta,
            carried=meta.get("kind_carry") or {},
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
            # a 304 names the body it confirms (already in the store); anything else without a body names none
            item.setdefault("sha256", None)
            item.setdefault("bytes", None)
        else:
            item["sha256"], item["bytes"] = store_body(self.store, body), len(body)
        return item


class FetchRecordsPipeline:
    """Appends each fetch record to ``fetches.jsonl`` as one complete line, flushed at once: the parse stage follows
    the file while the crawl runs (it reads only whole lines). The lines are those Scrapy's JSON Lines feed wrote."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.encoder = ScrapyJSONEncoder(ensure_ascii=True)
        self.handle: BinaryIO | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> FetchRecordsPipeline:
        return cls(crawler.settings.get("OUTAGES_FETCH_RECORDS"))

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.path.open("wb")  # a retried crawl starts the run's records again

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        assert self.handle is not None
        self.handle.write((self.encoder.encode(item) + "\n").encode("ascii"))
        self.handle.flush()
        return item

    def close_spider(self) -> None:
        if self.handle is not None:
            self.handle.close()
