"""Report-count CSVs read set-based by DuckDB (scrapers/bulk_counts.py) give the landing the Python parser gives: the
same count rows and the same error rows (EXCEPT ALL both ways), over our fixtures, the replay's count files, every
real capture of the kind in ../shared/samples (skipped when absent) and bodies made to be awkward. Real bodies in a
real store; the reference is the same stage with the bulk reader switched off (OUTAGES_BULK_PARSE=0)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from scrapers import registry
from scrapers.bulk_counts import BULK_ENV
from scrapers.catalog import parse_catalog
from scrapers.landing import build_landing
from scrapers.spider import store_body
from tests.helpers import crawled_run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = ROOT.parent / "shared" / "samples"
AT = "2021-12-07T20:00:00+00:00"

# the demo catalog's services (the replay's count files name them by their aliases), and no source yet
CATALOG = (ROOT / "replay" / "demo_sources.yaml").read_text(encoding="utf-8").split("sources:")[0] + "sources:\n"

GOOD = b"service,bucket_start,reports,baseline\naws,2021-12-07T15:00:00Z,12,3.5\nAWS,2021-12-07T15:15:00+00:00,40,\n"
AWKWARD: dict[str, bytes] = {
    "good": GOOD,
    "good-again": GOOD,  # the same body fetched by a second source: its rows twice, under each source
    "columns-reordered": b"reports,extra,bucket_start,service\n5,x,2021-12-07 16:00:00-05:00,slack\n",
    "fractions": b"service,bucket_start,reports\nslack,2021-12-07T15:00:00.250000+01:30,0\n",
    "crlf-quoted": b'service,bucket_start,reports\r\n"aws",2021-12-07T15:00:00Z," 7 "\r\n\r\n',
    "unknown-service": b"service,bucket_start,reports\naws,2021-12-07T15:00:00Z,1\nnowhere,2021-12-07T15:00:00Z,2\n",
    "negative": b"service,bucket_start,reports\naws,2021-12-07T15:00:00Z,-1\n",
    "not-a-number": b"service,bucket_start,reports,baseline\naws,2021-12-07T15:00:00Z,1,lots\n",
    "no-zone": b"service,bucket_start,reports\naws,2021-12-07T15:00:00,1\n",
    "hour-24": b"service,bucket_start,reports\naws,2021-12-07T24:00:00Z,1\n",
    "epoch-zero": b"service,bucket_start,reports\naws,1970-01-01T00:00:00Z,1\naws,2021-12-07T15:00:00Z,2\n",
    "too-many-fields": b"service,bucket_start,reports\naws,2021-12-07T15:00:00Z,1,surplus\n",
    "too-few-fields": b"service,bucket_start,reports\naws,2021-12-07T15:00:00Z\n",
    "empty-service": b"service,bucket_start,reports\n ,2021-12-07T15:00:00Z,1\n",
    "header-only": b"service,bucket_start,reports\n",
    "padded-header": b"service, bucket_start,reports\naws,2021-12-07T15:00:00Z,1\n",
    "duplicate-column": b"service,reports,bucket_start,reports\naws,1,2021-12-07T15:00:00Z,2\n",
    "lacks-reports": b"service,bucket_start\naws,2021-12-07T15:00:00Z\n",
    "json": b'[{"service": "aws"}]',
    "bom": b"\xef\xbb\xbf" + GOOD,
    "utf16": GOOD.decode().encode("utf-16"),
    "nul": b"service,bucket_start,reports,note\naws,2021-12-07T15:00:00Z,1,a\x00b\n",
    "latin1": b"service,bucket_start,reports,note\naws,2021-12-07T15:00:00Z,1,caf\xe9\n",
    "huge-field": b"service,bucket_start,reports,note\naws,2021-12-07T15:00:00Z,1," + b"x" * 140_000 + b"\n",
    "comment-like": b"service,bucket_start,reports\n#aws,2021-12-07T15:00:00Z,1\n",
}


def _bodies() -> dict[str, bytes]:
    bodies = dict(AWKWARD)
    for path in sorted(FIXTURES.glob("report_counts_*.csv")):
        bodies[f"fixture-{path.stem}"] = path.read_bytes()
    return bodies


def _samples() -> dict[str, bytes]:
    """Every real capture in ../shared/samples that the kind recognizes."""
    detect = registry.get("report_counts").detect
    assert detect is not None
    found = {}
    for path in sorted(SAMPLES.rglob("*.csv")) if SAMPLES.is_dir() else []:
        body = path.read_bytes()
        if detect(body):
            found[f"sample-{path.relative_to(SAMPLES)}"] = body
    return found


def _replay() -> dict[str, bytes]:
    """The replay's count CSVs, as its loopback server renders them."""
    from replay import counts
    from replay.server import load_specs

    spec = load_specs()["complaints"]
    return {"replay": counts.render_csv(spec, datetime(2021, 12, 8, tzinfo=UTC)).encode()}


def _stage(tmp_path: Path, name: str, bodies: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, bulk: bool) -> Path:
    store = tmp_path / "bodies"
    run_dir = tmp_path / name
    lines = [CATALOG]
    fetched = []
    for n, (label, body) in enumerate(bodies.items()):
        source, url = f"c{n}", f"http://counts.test/{n}/{label}.csv"
        lines.append(f'  - {{id: {source}, kind: report_counts, url: "{url}"}}\n')
        fetched.append((source, "report_counts", url, body))
    crawled_run(run_dir, store, fetched, fetched_at=AT, content_type="text/csv")
    catalog = parse_catalog("".join(lines), "catalog.yaml")
    monkeypatch.setenv(BULK_ENV, "1" if bulk else "0")
    build_landing(run_dir, store, catalog, "run", datetime(2021, 12, 7, 20, tzinfo=UTC), workers=1)
    return run_dir / "landing"


COUNT_COLUMNS = (
    "{service: 'VARCHAR', service_id: 'VARCHAR', source_id: 'VARCHAR', bucket_start: 'TIMESTAMPTZ', "
    "reports: 'BIGINT', baseline: 'DOUBLE', observed_at: 'TIMESTAMPTZ', source_url: 'VARCHAR'}"
)
ERROR_COLUMNS = "{source_id: 'VARCHAR', url: 'VARCHAR', error: 'VARCHAR'}"


def _differences(sql_path: Path, python_path: Path, columns: str) -> list[tuple[object, ...]]:
    """Rows in one landing file and not the other (EXCEPT ALL, both ways)."""
    con = duckdb.connect()
    a, b = (f"read_json(${name}, format = 'newline_delimited', columns = {columns})" for name in "ab")
    params = {"a": str(sql_path), "b": str(python_path)}
    rows = con.execute(
        f"(SELECT 'sql only', * FROM (FROM {a} EXCEPT ALL FROM {b}))"
        f" UNION ALL (SELECT 'python only', * FROM (FROM {b} EXCEPT ALL FROM {a}))",
        params,
    ).fetchall()
    con.close()
    return rows


def _compare(tmp_path: Path, bodies: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    sql = _stage(tmp_path, "sql", bodies, monkeypatch, bulk=True)
    python = _stage(tmp_path, "python", bodies, monkeypatch, bulk=False)
    assert _differences(sql / "counts.jsonl", python / "counts.jsonl", COUNT_COLUMNS) == []
    assert _differences(sql / "errors.jsonl", python / "errors.jsonl", ERROR_COLUMNS) == []
    for table in ("fetches", "documents", "resightings"):
        assert (sql / f"{table}.jsonl").read_text() == (python / f"{table}.jsonl").read_text(), table
    counts = sum(1 for _ in (sql / "counts.jsonl").open())
    errors = sum(1 for _ in (sql / "errors.jsonl").open())
    return counts, errors


def test_the_sql_path_gives_the_parsers_rows_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counts, errors = _compare(tmp_path, _bodies(), monkeypatch)
    assert counts >= 10  # the good files' rows came through (the comparison is not of two empty landings)
    assert errors >= 13  # and every bad file still has its error row (the parser's own words: compared above)


def test_the_sql_path_takes_plain_files_and_leaves_bad_ones_to_the_parser(tmp_path: Path) -> None:
    from scrapers.bulk_counts import Deferred, read_bulk_counts

    store = tmp_path / "bodies"
    catalog = parse_catalog(CATALOG + '  - {id: a, kind: report_counts, url: "http://a.test/a.csv"}\n', "catalog.yaml")
    source = catalog.sources[0]
    observed = datetime(2021, 12, 7, 20, tzinfo=UTC)
    deferred = [
        Deferred(source, {"url": f"http://a.test/{label}.csv", "sha256": store_body(store, AWKWARD[label])}, observed)
        for label in ("good", "negative", "columns-reordered", "too-many-fields")
    ]
    appended: list[tuple[str, int]] = []
    left = read_bulk_counts(deferred, store, catalog, lambda path, rows: appended.append((path.read_text(), rows)))
    assert [item.fetch["url"] for item in left] == ["http://a.test/negative.csv", "http://a.test/too-many-fields.csv"]
    assert len(appended) == 1
    assert appended[0][1] == 3  # good (2 rows) and columns-reordered (1), by DuckDB
    rows = [json.loads(line) for line in appended[0][0].splitlines()]
    assert {(r["service_id"], datetime.fromisoformat(r["bucket_start"]), r["reports"]) for r in rows} == {
        ("aws", datetime(2021, 12, 7, 15, tzinfo=UTC), 12),
        ("aws", datetime(2021, 12, 7, 15, 15, tzinfo=UTC), 40),
        ("slack", datetime(2021, 12, 7, 21, tzinfo=UTC), 5),
    }


def test_the_replay_counts_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapers.bulk_counts import Deferred, read_bulk_counts

    counts, errors = _compare(tmp_path, _replay(), monkeypatch)
    assert counts > 1000
    assert errors == 0
    # and it is DuckDB that read them: the parser is left nothing
    store = tmp_path / "bodies"
    catalog = parse_catalog(CATALOG + '  - {id: r, kind: report_counts, url: "http://r.test/r.csv"}\n', "c.yaml")
    item = Deferred(
        catalog.sources[0],
        {"url": "http://r.test/r.csv", "sha256": store_body(store, _replay()["replay"])},
        datetime(2021, 12, 8, tzinfo=UTC),
    )
    rows: list[int] = []
    assert read_bulk_counts([item], store, catalog, lambda _path, n: rows.append(n)) == []
    assert rows == [counts]


def test_real_captures_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = _samples()
    if not samples:
        pytest.skip(f"no report-count capture in {SAMPLES}")
    _compare(tmp_path, samples, monkeypatch)
