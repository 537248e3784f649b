"""Downloader middlewares: retries that wait before trying again, and only http(s) URLs fetched.

Scrapy's own ``RetryMiddleware`` re-queues a failed request at once and ignores ``Retry-After``. A status-page monitor
runs exactly when sites are struggling, so :class:`PatientRetryMiddleware` replaces it:

- before each retry it waits: ``Retry-After`` when the server sent one (seconds or an HTTP date), else an exponential
  backoff (``OUTAGES_RETRY_BACKOFF`` * 2^n: 1 s, then 2 s by default). The wait is an awaitable sleep in
  ``process_response``/``process_exception``: the reactor keeps serving every other source meanwhile;
- a ``Retry-After`` longer than ``OUTAGES_RETRY_AFTER_CAP`` (60 s by default) is not shortened to the cap: retrying
  sooner than asked is what the server asked us not to do. The request is given up for this run and the fetch record
  says why (``meta["retry_note"]``); the next scheduled run tries again;
- once one request of a source has given up, the source's other requests are tried once and not retried: a source
  that keeps failing is not hammered with every URL times every retry.

:class:`RobotsTxtMiddleware` fixes Scrapy 2.19's: every request that arrives while a host's robots.txt is still being
downloaded awaits one shared Deferred, but only the first awaiter gets the parser (``Deferred.asFuture`` hands the
rest ``None``), and ``None`` means "allowed". So on a host with several sources, every URL but one was fetched
without a robots.txt check (seen with the reliability suite; the refactor in scrapy/scrapy#6802 dropped the callback
that passed the parser on). The subclass reads the settled parser instead.

:class:`HttpOnlyMiddleware` refuses any request whose URL is not http or https (a kind's follow-up URL read from a
payload could name ``file://`` or ``ftp://``, which Scrapy would otherwise happily open). The one exception is the
``file://`` URL of a catalog entry whose kind reads files (``Kind.reads_files``: an export on disk): the spider marks
that first request ``meta["catalog_file"]``; every other scheme, and every follow-up, stays refused. Redirects to
another scheme are not followed by Scrapy's ``RedirectMiddleware``; the spider records them as errors naming the
target.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

if TYPE_CHECKING:
    from scrapy.http import Request, Response
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings

DEFAULT_RETRY_AFTER_CAP = 60.0  # seconds: the longest wait a crawl accepts before one retry
DEFAULT_RETRY_BACKOFF = 1.0  # seconds: the first backoff; each later retry waits twice as long
ALLOWED_SCHEMES = ("http", "https")


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (never negative), or None when absent or unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # RFC 9110 dates are GMT
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """The wait before retry number ``attempt`` (1, 2, ...): base, 2 * base, 4 * base..., never more than ``cap``."""
    return min(cap, base * math.pow(2, max(0, attempt - 1)))


class PatientRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware with waits between retries; see the module docstring."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.cap = settings.getfloat("OUTAGES_RETRY_AFTER_CAP", DEFAULT_RETRY_AFTER_CAP)
        self.backoff = settings.getfloat("OUTAGES_RETRY_BACKOFF", DEFAULT_RETRY_BACKOFF)
        self.given_up: set[str] = set()  # sources with a request that exhausted its retries in this crawl

    def plan(self, request: Request, retry_after: bytes | str | None) -> tuple[float | None, str | None]:
        """(seconds to wait before retrying, None: do not retry) and a note for the fetch record when not retrying."""
        source = request.meta.get("source_id")
        if source is not None and source in self.given_up:
            return None, "not retried: another request of this source already failed after its retries"
        attempt = int(request.meta.get("retry_times", 0)) + 1
        wait = backoff_seconds(attempt, self.backoff, self.cap)
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            if asked > self.cap:
                return None, f"the server asked to retry after {asked:g}s, more than the {self.cap:g}s cap: not retried"
            wait = max(wait, asked)
        return wait, None

    def _give_up(self, request: Request, note: str | None) -> None:
        source = request.meta.get("source_id")
        if source is not None:
            self.given_up.add(source)
        if note:
            request.meta["retry_note"] = note

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait, note = self.plan(request, response.headers.get("Retry-After"))
        retry = None if wait is None else self._retry(request, response_status_message(response.status))
        if wait is None or retry is None:
            self._give_up(request, note)
            return response
        await sleep(wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        wait, note = self.plan(request, None)
        retry = None if wait is None else self._retry(request, exception)
        if wait is None or retry is None:
            self._give_up(request, note)
            return None
        await sleep(wait)
        return retry


class HttpOnlyMiddleware:
    """Refuse every request whose URL is not http or https, whoever made it (but a catalog entry's own file)."""

    def process_request(self, request: Request) -> Any:
        scheme = urlsplit(request.url).scheme.lower()
        if scheme == "file" and request.meta.get("catalog_file"):
            return None
        if scheme not in ALLOWED_SCHEMES:
            raise IgnoreRequest(f"only http and https URLs are fetched, not {scheme or 'scheme-less'}:// URLs")
        return None


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every request that waited for the download checked (module docstring)."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            settled = self._parsers.get(urlparse_cached(request).netloc)
            if settled is not None and not isinstance(settled, Deferred):
                return settled  # the parser the first waiter got; None stays None (robots.txt failed: allowed)
        return parser
