"""Hostile sources: one real ingest (the ``outages ingest`` command, a real Prefect flow, a real Scrapy crawl in its
own process, a real DuckDB file) over a catalog with one source per fault of tests/hostile.py plus good sources.

Every hostile case ends either in a readable ``ingest_errors`` row for that source (``outcome="error"``, with the
words the row must contain) or in a correct parse, when the payload is actually fine and only its wrapping lies
(``outcome="parsed"``: a wrong Content-Type, a wrong charset header, UTF-16 without a byte-order mark, a 429 the
server recovered from, duplicates and updates out of order). The good sources load as if nothing else happened, and
the run exits 1. The assertions are parametrized per case, so the report counts them.

Caps and waits are lowered through the environment so that the run stays fast: a 2 MB body cap instead of 32 MB, a
5 s Retry-After cap instead of 60 s, 0.2 s backoff instead of 1 s, and a 1 s download timeout.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from flows.cli import main
from flows.ingest import ingest
from flows.paths import runs_dir
from scrapers.middlewares import HttpOnlyMiddleware, PatientRetryMiddleware, backoff_seconds, retry_after_seconds
from tests.hostile import Act, HostileServer, redirect, status
from tests.test_ingest_flow import COUNTS, INCIDENTS, SUMMARY

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MAXSIZE = 2_000_000
RETRY_AFTER_CAP = 5
TIMEOUT = 1.0
ENV = {
    "OUTAGES_DOWNLOAD_MAXSIZE": str(MAXSIZE),
    "OUTAGES_RETRY_AFTER_CAP": str(RETRY_AFTER_CAP),
    "OUTAGES_RETRY_BACKOFF": "0.2",
}


def incident(native_id: str = "i1", title: str = "Elevated errors", **times: str) -> dict[str, Any]:
    created = times.get("created_at", "2021-12-07T16:00:00Z")
    return {
        "id": native_id,
        "name": title,
        "status": "investigating",
        "impact": "minor",
        "created_at": created,
        "started_at": times.get("started_at", created),
        "resolved_at": None,
        "shortlink": f"https://stspg.io/{native_id}",
        "incident_updates": [
            {"id": f"{native_id}-u1", "status": "investigating", "body": "Looking.", "created_at": created}
        ],
    }


def page(*incidents: dict[str, Any]) -> dict[str, Any]:
    return {"page": {"id": "p1", "name": "Hostile", "time_zone": "Etc/UTC"}, "incidents": list(incidents)}


def as_json(data: Any, encoding: str = "utf-8") -> bytes:
    return json.dumps(data, ensure_ascii=False).encode(encoding)


UMLAUT = "Störung im Rechenzentrum"  # non-ASCII, to tell a right decoding from a wrong one
GOOD = as_json(page(incident()))
GOOD_UMLAUT = page(incident(title=UMLAUT))
HTML_ERROR = b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>Down</body></html>"
CHALLENGE = (
    b"<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title></head><body>"
    b"<div id='challenge-running'>Checking if the site connection is secure</div></body></html>"
)
DUPLICATES = page(
    {
        **incident("dup"),
        "incident_updates": [  # out of order, and u2 twice
            {"id": "u2", "status": "identified", "body": "Found.", "created_at": "2021-12-07T16:20:00Z"},
            {"id": "u1", "status": "investigating", "body": "Looking.", "created_at": "2021-12-07T16:00:00Z"},
            {"id": "u3", "status": "monitoring", "body": "Fixed.", "created_at": "2021-12-07T16:40:00Z"},
            {"id": "u2", "status": "identified", "body": "Found.", "created_at": "2021-12-07T16:20:00Z"},
        ],
    },
)
DUPLICATES["incidents"].append(DUPLICATES["incidents"][0])  # the same incident twice (overlapping pages)


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    acts: Act | list[Act]
    outcome: str  # "error": a recorded error containing `expect`; "parsed": loads, and `expect` is why
    expect: str
    kind: str = "statuspage"
    path: str = ""

    @property
    def url_path(self) -> str:
        return self.path or f"/h/{self.name}.json"


CASES = [
    # ---- HTTP status
    Case("http-500", "http status", status(500, b"boom"), "error", "HTTP 500 from the server"),
    Case("http-502", "http status", status(502, HTML_ERROR, "text/html"), "error", "HTTP 502 from the server"),
    Case("http-503-retry-after", "http status", status(503, retry_after="1"), "error", "HTTP 503 from the server"),
    Case(
        "http-429-retry-after-over-cap",
        "http status",
        status(429, retry_after="3600"),
        "error",
        f"asked to retry after 3600s, more than the {RETRY_AFTER_CAP}s cap: not retried",
    ),
    Case(
        "http-429-then-ok",
        "http status",
        [status(429, retry_after="1"), Act(body=GOOD)],
        "parsed",
        "the server answered after the Retry-After it asked for",
    ),
    # ---- the connection
    Case("hang-before-headers", "connection", Act(body=GOOD, hang_before=4), "error", "timed out after 1s (tried 3"),
    Case("hang-mid-body", "connection", Act(body=GOOD * 20, hang_mid=4), "error", "timed out after 1s (tried 3"),
    Case("connection-reset", "connection", Act(reset=True), "error", "connection closed or reset before the response"),
    Case(
        "truncated-body",
        "connection",
        Act(body=GOOD, claimed_length=len(GOOD) + 500),
        "error",
        "connection closed before the response was complete (ResponseDataLossError",
    ),
    # ---- what comes back
    Case("html-error-page-200", "payload", Act(body=HTML_ERROR, content_type="text/html"), "error", "an HTML page"),
    Case("bot-challenge-200", "payload", Act(body=CHALLENGE, content_type="text/html"), "error", "bot-challenge"),
    Case(
        "html-where-xml-expected",
        "payload",
        Act(body=CHALLENGE, content_type="application/rss+xml"),
        "error",
        "expected an RSS or Atom feed",
        kind="feed",
        path="/h/feed.xml",
    ),
    Case(
        "csv-expected-got-html",
        "payload",
        Act(body=HTML_ERROR, content_type="text/csv"),
        "error",
        "expected CSV with header",
        kind="report_counts",
        path="/h/counts.csv",
    ),
    Case(
        "wrong-content-type",
        "payload",
        Act(body=GOOD, content_type="text/html; charset=utf-8"),
        "parsed",
        "the body is JSON whatever the header says",
    ),
    Case(
        "charset-header-wrong",
        "payload",
        Act(body=as_json(GOOD_UMLAUT), content_type="application/json; charset=iso-8859-1"),
        "parsed",
        "JSON is UTF-8 by definition (RFC 8259); the bytes are read as such and the title comes out right",
    ),
    Case(
        "charset-body-latin1",
        "payload",
        Act(body=as_json(GOOD_UMLAUT, "latin-1"), content_type="application/json; charset=utf-8"),
        "error",
        "is not UTF-8 text",
    ),
    Case(
        "utf16-without-bom",
        "payload",
        Act(body=as_json(GOOD_UMLAUT, "utf-16-le"), content_type="application/json"),
        "parsed",
        "UTF-16 is recognised from its NUL bytes (RFC 4627) and decoded",
    ),
    Case(
        "json-wrong-shape",
        "payload",
        Act(body=b'{"data": [1, 2, 3]}'),
        "error",
        "not a Statuspage v2 payload",
    ),
    Case("json-array", "payload", Act(body=b"[]"), "error", "expected a Statuspage JSON object, got list"),
    Case("empty-body-200", "payload", Act(body=b""), "error", "empty body"),
    # ---- size
    Case("over-size-cap", "size", Act(stream_bytes=3 * MAXSIZE // 2), "error", f"size cap ({MAXSIZE} bytes)"),
    Case(
        "over-size-cap-streamed",
        "size",
        Act(stream_bytes=3 * MAXSIZE // 2, send_length=False),
        "error",
        f"size cap ({MAXSIZE} bytes)",
    ),
    # ---- redirects and schemes
    Case("redirect-loop", "redirect", redirect("/h/redirect-loop.json"), "error", "redirect loop: gave up after 5"),
    Case("redirect-to-ftp", "redirect", redirect("ftp://127.0.0.1/data.json"), "error", "redirect to ftp:// refused"),
    Case("redirect-to-file", "redirect", redirect("file:///etc/passwd"), "error", "redirect to file:// refused"),
    Case("redirect-http", "redirect", redirect("/h/redirect-target.json", 301), "parsed", "http to http is followed"),
    Case(
        "robots-disallowed",
        "robots",
        Act(body=GOOD),
        "error",
        "not fetched: forbidden by robots.txt",
        path="/private/status.json",
    ),
    # ---- dates and identities
    Case(
        "date-without-zone",
        "dates",
        Act(body=as_json(page(incident(created_at="2021-12-07T16:00:00")))),
        "error",
        "has no time zone",
    ),
    Case(
        "date-in-future",
        "dates",
        Act(body=as_json(page(incident("ok"), incident("later", created_at="2099-01-01T00:00:00Z")))),
        "error",
        "incident later: started_at 2099-01-01T00:00:00+00:00 is more than a day in the future",
    ),
    Case(
        "date-1970",
        "dates",
        Act(body=as_json(page(incident("ok"), incident("epoch", created_at="1970-01-01T00:00:00Z")))),
        "error",
        "incident epoch: started_at 1970-01-01T00:00:00+00:00 is before 2000",
    ),
    Case(
        "duplicates-out-of-order",
        "dates",
        Act(body=as_json(DUPLICATES)),
        "parsed",
        "one incident, each update once, in time order",
    ),
]
CASE_IDS = [case.name for case in CASES]


def catalog_text(server: HostileServer) -> str:
    lines = [
        "services:",
        "  - {id: example, name: Example Co, aliases: [example], depends_on: []}",
        "sources:",
        f'  - {{id: good-status, kind: statuspage, url: "{server.url("/good")}", service: example}}',
        f'  - {{id: good-counts, kind: report_counts, url: "{server.url("/counts.csv")}"}}',
        f'  - {{id: good-feed, kind: feed, url: "{server.url("/feed.rss")}", service: example}}',
    ]
    for case in CASES:
        service = ", service: example" if case.kind != "report_counts" else ""
        lines.append(f'  - {{id: {case.name}, kind: {case.kind}, url: "{server.url(case.url_path)}"{service}}}')
    return "\n".join(lines) + "\n"


def serve(server: HostileServer) -> None:
    server.routes["/robots.txt"] = Act(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.routes["/good/api/v2/summary.json"] = Act(body=json.dumps(SUMMARY).encode())
    server.routes["/good/api/v2/incidents.json"] = Act(body=json.dumps(INCIDENTS).encode())
    server.routes["/counts.csv"] = Act(body=COUNTS.encode(), content_type="text/csv")
    server.routes["/feed.rss"] = Act(
        body=(FIXTURES / "feed_generic.rss").read_bytes(), content_type="application/rss+xml"
    )
    server.routes["/h/redirect-target.json"] = Act(body=GOOD)
    for case in CASES:
        server.routes[case.url_path] = case.acts


@dataclass
class HostileRun:
    server: HostileServer
    db: Path
    exit_code: int
    output: str
    errors: dict[str, str]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Iterator[HostileRun]:
    folder = tmp_path_factory.mktemp("hostile")
    server = HostileServer().start()
    try:
        serve(server)
        catalog = folder / "sources.yaml"
        catalog.write_text(catalog_text(server), encoding="utf-8")
        db = folder / "w.duckdb"
        with pytest.MonkeyPatch.context() as env:
            for name, value in ENV.items():
                env.setenv(name, value)
            result = CliRunner().invoke(
                main, ["ingest", "--sources", str(catalog), "--db", str(db), "--timeout", str(TIMEOUT)]
            )
        con = duckdb.connect(str(db), read_only=True)
        errors = dict(
            con.execute("select source_id, string_agg(error, ' | ') from ingest_errors group by 1").fetchall()
        )
        con.close()
        yield HostileRun(server, db, result.exit_code, result.output, errors)
    finally:
        server.stop()


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_each_hostile_case_is_recorded_or_parsed(hostile_run: HostileRun, case: Case) -> None:
    if case.outcome == "error":
        assert case.name in hostile_run.errors, f"{case.name}: no error recorded; errors: {hostile_run.errors}"
        error = hostile_run.errors[case.name]
        assert case.expect in error
        assert "Traceback" not in error, error
        assert "<twisted" not in error, error  # readable, not a repr
        return
    assert case.name not in hostile_run.errors, hostile_run.errors.get(case.name)
    incidents = hostile_run.query("select incident_id, title from incidents where source_id = ?", case.name)
    if case.name == "duplicates-out-of-order":
        assert incidents == [(f"{case.name}:dup", "Elevated errors")]
        updates = hostile_run.query(
            "select update_id from incident_updates where incident_id = ? order by posted_at", f"{case.name}:dup"
        )
        assert updates == [("u1",), ("u2",), ("u3",)]
    elif case.name in ("charset-header-wrong", "utf16-without-bom"):
        assert incidents == [(f"{case.name}:i1", UMLAUT)]
    else:
        assert incidents == [(f"{case.name}:i1", "Elevated errors")]


def test_the_rest_of_a_partly_bad_document_loads(hostile_run: HostileRun) -> None:
    """A record with an impossible date is dropped alone: the other incident of the same document loads."""
    for name in ("date-in-future", "date-1970"):
        rows = hostile_run.query("select incident_id from incidents where source_id = ?", name)
        assert rows == [(f"{name}:ok",)]


def test_good_sources_load_and_the_run_exits_1(hostile_run: HostileRun) -> None:
    assert hostile_run.exit_code == 1, hostile_run.output
    parsed = sum(case.outcome == "parsed" for case in CASES)
    total = len(CASES) + 3
    assert f"{3 + parsed}/{total} sources loaded" in hostile_run.output
    assert not {"good-status", "good-counts", "good-feed"} & set(hostile_run.errors)
    assert set(hostile_run.errors) == {case.name for case in CASES if case.outcome == "error"}
    assert hostile_run.query("select status, impact from incidents where source_id = 'good-status'") == [
        ("identified", "major")
    ]
    assert hostile_run.query("select count(*) from incident_updates where incident_id = 'good-status:inc1'") == [(2,)]
    assert hostile_run.query("select sum(reports) from raw_complaint_counts where source_id = 'good-counts'") == [(52,)]
    assert hostile_run.query("select count(*) from incidents where source_id = 'good-feed'")[0][0] > 0
    assert hostile_run.query("select state from components where source_id = 'good-status'") == [("partial_outage",)]


def test_retries_wait_and_a_failing_source_is_not_hammered(hostile_run: HostileRun) -> None:
    server = hostile_run.server
    # 3 requests at most (RETRY_TIMES = 2), with backoff between them: 0.2 s, then 0.4 s
    times = server.times("/h/http-500.json")
    assert len(times) == 3
    assert times[1] - times[0] >= 0.2 - 0.05
    assert times[2] - times[1] >= 0.4 - 0.05
    # Retry-After: 1 is honoured before each retry
    times = server.times("/h/http-503-retry-after.json")
    assert len(times) == 3
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))
    times = server.times("/h/http-429-then-ok.json")
    assert len(times) >= 2
    assert times[1] - times[0] >= 0.95
    # a Retry-After beyond the cap is not shortened to it: one request, no retry
    assert server.count("/h/http-429-retry-after-over-cap.json") == 1
    # robots.txt kept the crawler away from /private/
    assert server.count("/private/status.json") == 0
    # nothing retried a 4xx/3xx or a body it could not use
    for name in ("redirect-to-ftp", "redirect-to-file", "html-error-page-200", "json-wrong-shape"):
        assert server.count(f"/h/{name}.json") == 1, name
    # no cached copy stood in for anything: the HTTP cache is off and never recovered an error
    (run,) = hostile_run.query("select run_id from raw_ingest_runs")
    stats = json.loads((runs_dir(hostile_run.db) / run[0] / "crawl_stats.json").read_text(encoding="utf-8"))
    assert not [key for key in stats if key.startswith("httpcache/")]


def test_retry_after_and_backoff_arithmetic() -> None:
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert [backoff_seconds(n, 1.0, 60.0) for n in (1, 2, 3, 9)] == [1.0, 2.0, 4.0, 60.0]


def test_only_http_and_https_requests_leave_the_crawler(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kind's follow-up URL read from a payload (or anything else) cannot make the crawl open file:// or ftp://."""
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest

    middleware = HttpOnlyMiddleware()
    assert middleware.process_request(Request("https://status.example.com/x.json")) is None
    for url in ("file:///etc/passwd", "ftp://example.com/data.json", "data:text/plain,hello", "s3://bucket/key"):
        with pytest.raises(IgnoreRequest, match="only http and https"):
            middleware.process_request(Request(url))
    from scrapy.settings import Settings

    from scrapers.settings import crawl_settings

    monkeypatch.delenv("OUTAGES_RETRY_BACKOFF", raising=False)  # tests/conftest.py shortens it: the defaults here
    monkeypatch.delenv("OUTAGES_RETRY_AFTER_CAP", raising=False)
    settings = crawl_settings(timeout_seconds=5, log_file=None)
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["HTTPCACHE_ENABLED"] is False
    assert settings["DOWNLOADER_MIDDLEWARES"]["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    retry = PatientRetryMiddleware(Settings(settings))
    assert retry.cap == 60.0
    assert retry.backoff == 1.0


@pytest.mark.usefixtures("prefect_harness")
def test_a_source_failing_after_a_success_is_stale_not_re_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old body never stands in for a failed fetch: the source is stale, its components keep their last state
    (marked stale) and nothing new is observed."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    server = HostileServer().start()
    try:
        server.routes["/s/api/v2/summary.json"] = Act(body=json.dumps(SUMMARY).encode())
        server.routes["/s/api/v2/incidents.json"] = Act(body=json.dumps(INCIDENTS).encode())
        catalog = tmp_path / "sources.yaml"
        catalog.write_text(
            "services:\n  - {id: example, name: Example Co}\nsources:\n"
            f'  - {{id: s, kind: statuspage, url: "{server.url("/s")}", service: example}}\n',
            encoding="utf-8",
        )
        db = tmp_path / "w.duckdb"
        assert ingest(sources=str(catalog), db=str(db), timeout_seconds=TIMEOUT).exit_code == 0
        con = duckdb.connect(str(db), read_only=True)
        (first_success,) = con.execute("select last_success_at from source_status").fetchone()  # type: ignore[misc]
        observations = con.execute("select count(*) from raw_component_observations").fetchone()
        con.close()
        server.routes["/s/api/v2/summary.json"] = Act(reset=True)
        server.routes["/s/api/v2/incidents.json"] = status(503, retry_after="3600")
        state = ingest(sources=str(catalog), db=str(db), timeout_seconds=TIMEOUT, return_state=True)
        assert state.is_failed()
        assert state.message == "all 1 sources failed: s"
        second = state.result(raise_on_failure=False)
        assert second.exit_code == 1
        con = duckdb.connect(str(db), read_only=True)
        stale, last_success, error = con.execute(
            "select stale, last_success_at, last_error from source_status where source_id = 's'"
        ).fetchone()  # type: ignore[misc]
        assert stale is True
        assert last_success == first_success
        assert "reset before the response" in error or "HTTP 503" in error
        assert con.execute("select stale from components").fetchall() == [(True,)]
        assert con.execute("select count(*) from raw_component_observations").fetchone() == observations
        fresh = con.execute("select count(*) from raw_fetches where run_id = ? and error is null", [second.run_id])
        assert fresh.fetchone() == (0,)  # nothing of the failed run passes for a good read
        con.close()
    finally:
        server.stop()
