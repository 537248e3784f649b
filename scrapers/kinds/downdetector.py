"""Downdetector Enterprise API (``https://downdetectorapi.com/v2``, paid): report counts, and Downdetector's own
baseline, for one company in 15-minute buckets.

Credentials: ``DOWNDETECTOR_TOKEN``, a bearer access token made in the Downdetector Enterprise dashboard (API →
client id and secret → token). Without it :func:`start_requests` raises SkipSource naming the variable (never its
value). The token is sent as ``Authorization: Bearer …`` in request headers only (the crawl never records headers).

Written from the documentation, not from a captured payload (we have no account). The shapes assumed:

* **Reports for a slug** (Downdetector's recommended endpoint; cookbook "Frequently used parameters with the Reports
  endpoint", which shows this example)::

      GET /v2/slugs/<slug>/reports?companies=<company id>[&startdate=…&enddate=…&interval=15m]
      [{"indicators": 0, "other": 2, "point_in_time": "2022-04-20T14:30:00+00:00", "total": 2, "tweets": 0}, …]

  One object per bucket; ``point_in_time`` is the bucket's start with an offset; ``total`` is the bucket's count
  (in the example ``total`` = ``indicators`` + ``other``). History: 7 days by default. No baseline in this answer;
  a ``baseline`` key on a point, if the API ever sends one, is read.
* **Company** (the field names ``stats_24``, ``baseline`` and ``slug`` are documented; the arrays' alignment is not)::

      GET /v2/companies/<company id>?fields=id,name,slug,stats_24,baseline
      {"id": 1234, "name": "…", "slug": "…", "stats_24": [n, …], "baseline": [b, …]}

  ASSUMPTION: ``stats_24`` and ``baseline`` are the last 24 hours in 15-minute buckets (96 numbers, as the unofficial
  ``downdetector-api`` package shows for the website), oldest first, the last one being the bucket the fetch time
  falls in; the numbers carry no timestamps of their own. ``baseline[i]`` belongs with ``stats_24[i]``.

Catalog url: either endpoint as a person would paste it, e.g.
``https://downdetectorapi.com/v2/slugs/aws-amazon-web-services/reports?companies=12345`` or
``https://downdetectorapi.com/v2/companies/12345``. :func:`start_requests` adds to a reports url
``startdate``/``enddate`` (the read window, ISO 8601 UTC, since clamped to 7 days before until) and ``interval=15m``;
to a company url the ``fields`` above; any other url is fetched as given (and parse names what came back). One
request, no paging.

Normalization: one :class:`ComplaintCount` per bucket with ``service`` = the company slug (from the reports url's path,
kept in ``meta["slug"]``, or the company answer's ``slug``), ``bucket_start`` in UTC, ``reports`` and ``baseline``
(None when the answer has none). The slug must be a service id or alias in the catalog for the counts to land.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapers.jsonbody import decode_text, load_json
from scrapers.records import ComplaintCount, Document, Parsed, ParseError
from scrapers.registry import Kind, RequestSpec, SkipSource, SourceContext, register
from scrapers.timeparse import parse_iso_utc

TOKEN_VAR = "DOWNDETECTOR_TOKEN"
BUCKET = timedelta(minutes=15)
HISTORY = timedelta(days=7)  # what the API keeps by default
COMPANY_FIELDS = "id,name,slug,stats_24,baseline"
_REPORTS_PATH = re.compile(r"/v2/slugs/(?P<slug>[^/]+)/reports/?$")
_COMPANY_PATH = re.compile(r"/v2/companies/(?P<id>\d+)/?$")


def start_urls(url: str) -> list[str]:
    return [url]


def with_query(url: str, updates: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    """The url with ``updates`` set (replacing earlier values) and ``drop`` removed; other parameters kept in order."""
    parts = urlsplit(url)
    removed = set(updates) | set(drop)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in removed]
    query.extend(updates.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def start_requests(context: SourceContext) -> list[RequestSpec]:
    token = (context.env.get(TOKEN_VAR) or "").strip()
    if not token:
        raise SkipSource(f"downdetector needs an Enterprise API token: set {TOKEN_VAR} in the environment")
    path = urlsplit(context.url).path
    # Headers are sent, never stored or logged by the crawl: the token lives only here.
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    reports = _REPORTS_PATH.search(path)
    if reports:
        since = max(context.since, context.until - HISTORY)
        url = with_query(context.url, {"startdate": _iso(since), "enddate": _iso(context.until), "interval": "15m"})
        return [RequestSpec(url=url, headers=headers, meta={"endpoint": "reports", "slug": reports["slug"]})]
    if _COMPANY_PATH.search(path):
        url = with_query(context.url, {"fields": COMPANY_FIELDS})
        return [RequestSpec(url=url, headers=headers, meta={"endpoint": "company"})]
    # Neither shape we know: fetch it as given, and parse says what came back.
    return [RequestSpec(url=context.url, headers=headers, meta={"endpoint": "as given"})]


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != math.floor(value):
        raise ParseError(f"{what}: expected a whole, non-negative number of reports, got {value!r}")
    return int(value)


def _baseline(value: object, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ParseError(f"{what}: expected a non-negative baseline, got {value!r}")
    return float(value)


def _error(doc: Document, data: dict[str, Any]) -> ParseError:
    said = " ".join(str(data.get(k)) for k in ("error", "message", "detail", "errors") if data.get(k))
    status = doc.meta.get("http_status")
    return ParseError(
        f"{doc.url}: Downdetector answered with an error" + (f" (HTTP {status})" if status else "") + f": {said[:300]}"
    )


def _slug(doc: Document) -> str | None:
    slug = doc.meta.get("slug")
    if isinstance(slug, str) and slug:
        return slug
    match = _REPORTS_PATH.search(urlsplit(doc.url).path)
    return match["slug"] if match else None


def _from_reports(doc: Document, points: list[Any]) -> Parsed:
    service = _slug(doc)
    if service is None:
        raise ParseError(f"{doc.url}: a reports answer, but the url names no /v2/slugs/<slug>/ to count it for")
    parsed = Parsed()
    for position, point in enumerate(points):
        where = f"{doc.url} point {position}"
        if not isinstance(point, dict) or "point_in_time" not in point or "total" not in point:
            raise ParseError(f"{where}: expected an object with point_in_time and total")
        parsed.counts.append(
            ComplaintCount(
                service=service,
                bucket_start=parse_iso_utc(point["point_in_time"], what=f"{where} point_in_time"),
                reports=_count(point["total"], f"{where} total"),
                baseline=_baseline(point.get("baseline"), f"{where} baseline"),
            )
        )
    return parsed


def bucket_floor(moment: datetime) -> datetime:
    """The start of the 15-minute bucket holding ``moment`` (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def _from_company(doc: Document, data: dict[str, Any]) -> Parsed:
    stats, baseline = data.get("stats_24"), data.get("baseline")
    if not isinstance(stats, list):
        raise ParseError(f"{doc.url}: company answer without a stats_24 list (ask for fields={COMPANY_FIELDS})")
    if baseline is not None and (not isinstance(baseline, list) or len(baseline) != len(stats)):
        raise ParseError(f"{doc.url}: baseline is not a list as long as stats_24 ({len(stats)} points)")
    service = data.get("slug")
    if not isinstance(service, str) or not service:
        raise ParseError(f"{doc.url}: company answer without a slug (ask for fields={COMPANY_FIELDS})")
    last = bucket_floor(doc.fetched_at)
    parsed = Parsed()
    for position, value in enumerate(stats):
        where = f"{doc.url} stats_24[{position}]"
        parsed.counts.append(
            ComplaintCount(
                service=service,
                bucket_start=last - (len(stats) - 1 - position) * BUCKET,
                reports=_count(value, where),
                baseline=_baseline(baseline[position], f"{doc.url} baseline[{position}]") if baseline else None,
            )
        )
    return parsed


def parse(doc: Document) -> Parsed:
    data = load_json(doc)
    if isinstance(data, list):
        return _from_reports(doc, data)
    if not isinstance(data, dict):
        raise ParseError(f"{doc.url}: expected a Downdetector JSON array or object, got {type(data).__name__}")
    if "stats_24" in data:
        return _from_company(doc, data)
    if any(data.get(k) for k in ("error", "message", "detail", "errors")):
        raise _error(doc, data)
    raise ParseError(
        f"{doc.url}: neither a reports array nor a company with stats_24 (keys: {', '.join(sorted(data)[:8])})"
    )


def detect(body: bytes) -> bool:
    """A reports-for-slug array (objects with point_in_time and total) or a company object with stats_24."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
        return False
    try:
        data = json.loads(decode_text(body))
    except (ParseError, ValueError):
        return False
    if isinstance(data, list):
        return bool(data) and all(isinstance(p, dict) and {"point_in_time", "total"} <= set(p) for p in data)
    return isinstance(data, dict) and isinstance(data.get("stats_24"), list) and "slug" in data


KIND = register(
    Kind(
        name="downdetector",
        description="Downdetector Enterprise API report counts (and baseline) per 15-minute bucket for one company",
        start_urls=start_urls,
        parse=parse,
        needs_service=True,
        complaints=True,
        detect=detect,
        start_requests=start_requests,
    )
)
