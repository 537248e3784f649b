"""The parse stage split over worker processes writes the same landing as one process, the same way every time, and
keeps each source's failure its own. Real bodies in a real store, real worker processes."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from scrapers.bodystore import body_path
from scrapers.catalog import parse_catalog
from scrapers.landing import TABLES, build_landing
from scrapers.spider import store_body
from tests.test_ingest_flow import INCIDENTS, SUMMARY

AT = "2021-12-07T17:00:00+00:00"
SOURCES = 12
AT_DT = datetime(2021, 12, 7, 17, tzinfo=UTC)


def catalog_text() -> str:
    lines = ["services:", "  - {id: example, name: Example Co}", "sources:"]
    lines += [f'  - {{id: s{n}, kind: statuspage, url: "http://x{n}.test/", service: example}}' for n in range(SOURCES)]
    return "\n".join(lines) + "\n"


def write_run(run_dir: Path, store: Path) -> None:
    """Twelve sources of two pages each; source 3's incidents page is not JSON, source 5's summary failed (503)."""
    run_dir.mkdir(parents=True)
    fetches, plan = [], []
    for n in range(SOURCES):
        source = f"s{n}"
        plan.append({"source_id": source, "kind": "statuspage", "url": f"http://x{n}.test/", "validators": []})
        summary = json.loads(json.dumps(SUMMARY))
        summary["incidents"][0]["id"] = f"inc-{n}"
        pages = {"summary": json.dumps(summary).encode(), "incidents": json.dumps(INCIDENTS).encode()}
        if n == 3:
            pages["incidents"] = b"<html>maintenance</html>"
        for page, body in pages.items():
            fetch = {
                "source_id": source,
                "url": f"http://x{n}.test/api/v2/{page}.json",
                "final_url": f"http://x{n}.test/api/v2/{page}.json",
                "fetched_at": AT,
                "http_status": 200,
                "content_type": "application/json",
                "sha256": store_body(store, body),
                "bytes": len(body),
                "withheld": False,
                "meta": {},
                "error": None,
            }
            if n == 5 and page == "summary":
                fetch.update(http_status=503, error="HTTP 503")
            fetches.append(fetch)
    (run_dir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    (run_dir / "fetches.jsonl").write_text("".join(json.dumps(f) + "\n" for f in fetches), encoding="utf-8")


def landing_bytes(run_dir: Path) -> dict[str, bytes]:
    return {table: (run_dir / "landing" / f"{table}.jsonl").read_bytes() for table in TABLES}


def test_workers_write_the_same_landing_as_one_process(tmp_path: Path) -> None:
    store = tmp_path / "bodies"
    catalog = parse_catalog(catalog_text(), "catalog.yaml")
    started = datetime(2021, 12, 7, 17, tzinfo=UTC)
    write_run(tmp_path / "one", store)
    for name in ("two", "two-again"):
        shutil.copytree(tmp_path / "one", tmp_path / name)

    one = build_landing(tmp_path / "one", store, catalog, "run", started, workers=1)
    two = build_landing(tmp_path / "two", store, catalog, "run", started, workers=2, min_parallel_bytes=0)
    again = build_landing(tmp_path / "two-again", store, catalog, "run", started, workers=2, min_parallel_bytes=0)

    # the same rows (the workers' share comes after this process's), the same bytes on every run, nothing left over
    for table in TABLES:
        rows = [Counter((tmp_path / n / "landing" / f"{table}.jsonl").read_text().splitlines()) for n in ("one", "two")]
        assert rows[0] == rows[1], table
    assert landing_bytes(tmp_path / "two") == landing_bytes(tmp_path / "two-again")
    assert sorted(p.name for p in (tmp_path / "two" / "landing").iterdir()) == sorted(f"{t}.jsonl" for t in TABLES)
    assert one.rows == two.rows
    assert one.rows["incidents"] == 2 * SOURCES - 2
    # each failure stays its source's own, whichever process parsed it
    assert one.failed_sources == two.failed_sources == again.failed_sources
    assert set(two.failed_sources) == {"s3", "s5"}
    assert "got an HTML page" in " ".join(two.failed_sources["s3"])
    assert "HTTP 503" in " ".join(two.failed_sources["s5"])
    assert (two.documents_parsed, two.documents_unchanged) == (2 * SOURCES - 1, 0)  # a fetch error is not parsed


def test_a_lone_surrogate_in_a_body_lands_as_a_replacement_character(tmp_path: Path) -> None:
    """JSON may escape half a UTF-16 pair ("\\ud800"); Python reads it into a str UTF-8 cannot hold. The run lands
    every source (the other sources too), the text shows U+FFFD, DuckDB reads the landing, and the body is kept."""
    import duckdb

    store = tmp_path / "bodies"
    write_run(tmp_path / "run", store)
    fetches = [json.loads(line) for line in (tmp_path / "run" / "fetches.jsonl").read_text().splitlines()]
    name = SUMMARY["incidents"][0]["name"]
    body = json.dumps(SUMMARY).replace(json.dumps(name), '"half \\ud800 pair"').encode()
    fetches[0]["sha256"] = store_body(store, body)
    (tmp_path / "run" / "fetches.jsonl").write_text("".join(json.dumps(f) + "\n" for f in fetches), encoding="utf-8")

    summary = build_landing(tmp_path / "run", store, parse_catalog(catalog_text(), "catalog.yaml"), "run", AT_DT)

    assert summary.rows["incidents"] == 2 * SOURCES - 2
    assert set(summary.failed_sources) == {"s3", "s5"}
    landed = tmp_path / "run" / "landing" / "incidents.jsonl"
    titles = {row[0] for row in duckdb.sql(f"select title from read_json('{landed}')").fetchall()}
    assert "half \ufffd pair" in titles
    assert body_path(store, fetches[0]["sha256"]).read_bytes() == body  # the provider's bytes, as sent
