"""Statuspage v2 JSON read set-based by DuckDB (scrapers/bulk_statuspage.py) gives the landing the Python parser gives:
the same incident, update, component, component-change and document rows (every field, version hashes included) and
the same error rows (EXCEPT ALL both ways), over our fixtures, every real Statuspage capture in ../shared/samples
(skipped when absent), the benchmark's generated pages and bodies made to be awkward. Real bodies in a real store; the
reference is the same stage with the bulk reader switched off (OUTAGES_BULK_PARSE=0); OUTAGES_BULK_PARSE=all takes
away the size below which the stage leaves even a big run's few bodies to the parser. The reader is not used by
default (the parser costs less CPU): naming the kind in OUTAGES_BULK_PARSE takes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scrapers import registry
from scrapers.bulk_common import BULK_ENV, Deferred
from scrapers.bulk_parse import reader_for
from scrapers.bulk_statuspage import BATCH_BYTES, read_bulk_statuspage
from scrapers.catalog import parse_catalog
from scrapers.landing import build_landing
from scrapers.spider import store_body
from tests.helpers import crawled_run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
AT = "2026-11-01T12:00:00+00:00"
COMPARED = ("incidents", "updates", "components", "component_changes", "documents", "errors")


def _page(incidents: list[Any], **extra: Any) -> bytes:
    return json.dumps({"page": {"id": "p", "time_zone": "Etc/UTC"}, "incidents": incidents, **extra}).encode()


def _incident(n: int = 1, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": f"inc{n}",
        "name": f"Elevated errors {n}",
        "status": "resolved",
        "impact": "minor",
        "created_at": "2021-12-07T15:32:11.123-05:00",
        "started_at": "2021-12-07T15:30:00Z",
        "resolved_at": "2021-12-07T18:00:00.5+01:00",
        "shortlink": f"https://stspg.io/{n}",
        "components": [{"id": "c1", "name": "API"}],
        "incident_updates": [
            {
                "id": f"u{n}",
                "status": "investigating",
                "body": "We are investigating.",
                "created_at": "2021-12-07T15:32:11Z",
                "display_at": "2021-12-07T15:33:00Z",
                "affected_components": [
                    {"code": "c1", "name": "API", "old_status": "operational", "new_status": "major_outage"}
                ],
            }
        ],
    }
    base.update(fields)
    return base


COMPONENTS = [
    {"id": "g1", "name": "Group", "group": True, "status": "operational"},
    {"id": "c1", "name": "API", "group": False, "group_id": "g1", "status": "major_outage"},
    {"id": "c2", "name": "Web", "group_id": None, "status": "under_maintenance"},
    {"id": "c3", "name": "Other", "status": None},
]
GOOD = _page([_incident(1), _incident(2)], components=COMPONENTS, scheduled_maintenances=[])
UNICODE = 'caf\u00e9 \u2019quoted\u201d "plain" back\\slash \U0001f600 tab\tnew\nline \x7f \u0000 e\u0301'


def _awkward() -> dict[str, bytes]:
    update = _incident()["incident_updates"][0]
    return {
        "good": GOOD,
        "good-again": GOOD,  # the same body for a second source: its rows twice, under each source
        "unicode": _page([_incident(1, name=UNICODE, incident_updates=[{**update, "body": UNICODE}])]),
        "escaped-json": json.dumps(json.loads(GOOD)).encode("ascii"),  # every non-ASCII character as \\uXXXX
        "pretty": json.dumps(json.loads(GOOD), indent=2, ensure_ascii=False).encode(),
        "key-escaped": GOOD.replace(b'"components": [{"id": "g1"', b'"comp\\u006fnents": [{"id": "g1"', 1),
        "huge": _page(
            [_incident(n, incident_updates=[{**update, "id": f"u{n}", "body": "x" * 200_000}]) for n in range(5)]
        ),
        "empty": b"",
        "whitespace": b"  \n ",
        "html": b"<!doctype html><html><body>502 Bad Gateway</body></html>",
        "array": b"[1, 2]",
        "string": b'"incidents"',
        "truncated": GOOD[:-10],
        "two-values": GOOD + b" " + GOOD,
        "trailing-comma": GOOD[:-1] + b", }",
        "nan": _page([_incident(1)], position=float("nan")),  # NaN: json.loads takes it
        "lower-nan": GOOD[:-1] + b', "x": nan}',  # nan: DuckDB takes it, json.loads does not
        "infinity": GOOD[:-1] + b', "x": -Infinity}',
        "bom": b"\xef\xbb\xbf" + GOOD,
        "utf16": GOOD.decode().encode("utf-16"),
        "latin1": _page([_incident(1, name="x")]).replace(b'"x"', b'"caf\xe9"'),
        "lone-surrogate": GOOD.replace(b"We are investigating.", b"\\ud800 alone"),
        "duplicate-top-key": GOOD[:-1] + b', "incidents": []}',
        "duplicate-incident-key": GOOD.replace(b'"id": "inc1"', b'"id": "inc1", "id": "inc9"'),
        "duplicate-update-key": GOOD.replace(b'"id": "u1"', b'"id": "u1", "id": "u9"'),
        "incidents-null": _page(None),  # type: ignore[arg-type]
        "incidents-object": _page({"id": "x"}),  # type: ignore[arg-type]
        "incidents-missing": json.dumps({"page": {"id": "p"}, "status": {"indicator": "none"}}).encode(),
        "single-incident": json.dumps({"incident": _incident(3)}).encode(),
        "components-null": _page([_incident(1)], components=None),
        "components-missing": _page([_incident(1)]),
        "component-without-name": _page([], components=[{"id": "c1"}]),
        "component-number-id": _page([], components=[{"id": 7, "name": "API"}]),
        "group-number": _page([], components=[{"id": "c1", "name": "API", "group": 1}]),
        "duplicate-groups": _page(
            [],
            components=[
                {"id": "g", "name": "First", "group": True},
                {"id": "g", "name": "Second", "group": True},
                {"id": "c", "name": "C", "group_id": "g"},
            ],
        ),
        "group-named-None": _page(
            [], components=[{"id": "None", "name": "Nameless", "group": True}, {"id": "c", "name": "C"}]
        ),
        "incident-without-name": _page([{"id": "x", "created_at": "2021-12-07T15:00:00Z"}]),
        "incident-number-id": _page([_incident(1, id=12345)]),
        "incident-not-object": _page([5]),
        "minimal-incident": _page([{"id": "m", "name": "Minimal", "created_at": "2021-12-07T15:00:00Z"}]),
        "nulls": _page([_incident(1, impact=None, status=None, shortlink=None, started_at=None, resolved_at=None)]),
        "empty-strings": _page([_incident(1, shortlink="", started_at="", resolved_at="", impact="")]),
        "unknown-words": _page([_incident(1, impact="catastrophic", status="pondering")]),
        "impact-number": _page([_incident(1, impact=3)]),
        "status-bool": _page([_incident(1, status=True)]),
        "no-zone": _page([_incident(1, created_at="2021-12-07T15:32:11")]),
        "space-separated": _page([_incident(1, created_at="2021-12-07 15:32:11Z")]),
        "seven-decimals": _page([_incident(1, created_at="2021-12-07T15:32:11.1234567Z")]),
        "lower-z": _page([_incident(1, created_at="2021-12-07T15:32:11z")]),
        "february-30": _page([_incident(1, created_at="2021-02-30T15:32:11Z")]),
        "epoch-zero": _page([_incident(1, started_at="1970-01-01T00:00:00Z"), _incident(2)]),
        "far-future": _page([_incident(1, resolved_at="2099-01-01T00:00:00Z")]),
        "planned-future": json.dumps(
            {
                "incidents": [],
                "scheduled_maintenances": [
                    _incident(7, status="scheduled", impact="maintenance", started_at="2099-01-01T00:00:00Z")
                ],
            }
        ).encode(),
        "updates-null": _page([_incident(1, incident_updates=None)]),
        "updates-object": _page([_incident(1, incident_updates={"id": "u"})]),
        "update-without-id": _page([_incident(1, incident_updates=[{"created_at": "2021-12-07T15:00:00Z"}])]),
        "update-body-null": _page([_incident(1, incident_updates=[{**update, "body": None, "display_at": ""}])]),
        "update-body-number": _page([_incident(1, incident_updates=[{**update, "body": 0}])]),
        "affected-without-code": _page(
            [_incident(1, incident_updates=[{**update, "affected_components": [{"name": "API"}]}])]
        ),
        "affected-statuses-null": _page(
            [_incident(1, incident_updates=[{**update, "affected_components": [{"code": "c1"}]}])]
        ),
        "affected-not-list": _page([_incident(1, incident_updates=[{**update, "affected_components": "c1"}])]),
        "incident-components-odd": _page([_incident(1, components=[{"name": "no id"}, "c9"])]),
        "incident-components-null": _page([_incident(1, components=None)]),
        "scheduled-null": _page([_incident(1)], scheduled_maintenances=None),
        "duplicate-incidents": _page([_incident(1), _incident(1)]),
    }


def _fixtures() -> dict[str, bytes]:
    return {f"fixture-{p.stem}": p.read_bytes() for p in sorted(FIXTURES.glob("statuspage_*.json"))}


def _samples() -> dict[str, bytes]:
    """Every real Statuspage capture in ../shared/samples (statuspage/*, the 2021-12-07 summaries)."""
    detect = registry.get("statuspage").detect
    assert detect is not None
    paths = [*sorted((SAMPLES / "statuspage").rglob("*")), *sorted((SAMPLES / "aws-2021-12-07-correlated").glob("*"))]
    return {f"sample-{p.relative_to(SAMPLES)}": p.read_bytes() for p in paths if p.is_file() and detect(p.read_bytes())}


def _generated(count: int) -> dict[str, bytes]:
    from bench.statusserver import make_body

    return {f"generated-{n}": make_body(n) for n in range(count)}


def _stage(
    tmp_path: Path, name: str, bodies: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, mode: str
) -> tuple[Path, int]:
    """The landing folder of a run that fetched ``bodies`` (one source each), and how many DuckDB read."""
    store = tmp_path / "bodies"
    run_dir = tmp_path / name
    lines = ["services:\n  - {id: svc, name: Service}\nsources:\n"]
    fetched = []
    for n, (label, body) in enumerate(bodies.items()):
        source, url = f"s{n}", f"https://status{n}.test/api/v2/{label}.json"
        lines.append(f'  - {{id: {source}, kind: statuspage, service: svc, url: "{url}"}}\n')
        fetched.append((source, "statuspage", url, body))
    crawled_run(run_dir, store, fetched, fetched_at=AT)
    catalog = parse_catalog("".join(lines), "catalog.yaml")
    monkeypatch.setenv(BULK_ENV, mode)
    summary = build_landing(run_dir, store, catalog, "run", datetime(2026, 11, 1, 12, tzinfo=UTC), workers=1)
    assert summary.documents_parsed == len(bodies)
    return run_dir / "landing", summary.documents_set_based


def _differences(sql_path: Path, python_path: Path) -> list[tuple[object, ...]]:
    """Rows in one landing file and not the other (EXCEPT ALL, both ways), every field compared as the JSON text of
    its value (so a time, a list or a null compares exactly as written)."""
    first = next((line for path in (python_path, sql_path) for line in path.open(encoding="utf-8")), None)
    if first is None:
        return []
    fields = sorted(json.loads(first))
    picked = ", ".join(f"to_json({json.dumps(field)})::VARCHAR" for field in fields)
    con = duckdb.connect()
    a, b = (
        f"SELECT {picked} FROM read_json(${name}, format = 'newline_delimited', sample_size = -1,"
        " maximum_object_size = 1000000000)"
        for name in "ab"
    )
    both_ways = f"(SELECT 'sql only', * FROM ({a} EXCEPT ALL {b}))"
    both_ways += f" UNION ALL (SELECT 'python only', * FROM ({b} EXCEPT ALL {a}))"
    rows = con.execute(
        both_ways,
        {"a": str(sql_path), "b": str(python_path)},
    ).fetchall()
    con.close()
    return rows


def _compare(
    tmp_path: Path, bodies: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, mode: str = "all"
) -> dict[str, int]:
    """Rows per landing table of the run both ways (and ``set_based``: the bodies DuckDB read), after comparing them."""
    sql, set_based = _stage(tmp_path, "sql", bodies, monkeypatch, mode)
    python, none = _stage(tmp_path, "python", bodies, monkeypatch, "0")
    assert none == 0
    for table in COMPARED:
        sql_rows = sum(1 for _ in (sql / f"{table}.jsonl").open(encoding="utf-8"))
        python_rows = sum(1 for _ in (python / f"{table}.jsonl").open(encoding="utf-8"))
        assert sql_rows == python_rows, table
        if table == "errors":  # failed_at differs by nothing, but compare what names the failure
            got = sorted((r["source_id"], r["url"], r["error"]) for r in map(json.loads, (sql / "errors.jsonl").open()))
            want = sorted(
                (r["source_id"], r["url"], r["error"]) for r in map(json.loads, (python / "errors.jsonl").open())
            )
            assert got == want
        else:
            assert _differences(sql / f"{table}.jsonl", python / f"{table}.jsonl") == [], table
    for table in ("fetches", "resightings"):
        assert (sql / f"{table}.jsonl").read_text() == (python / f"{table}.jsonl").read_text(), table
    rows = {table: sum(1 for _ in (sql / f"{table}.jsonl").open(encoding="utf-8")) for table in COMPARED}
    return {**rows, "set_based": set_based}


def _taken(tmp_path: Path, bodies: dict[str, bytes]) -> set[str]:
    """The labels of the bodies the SQL path takes (the others it leaves to the parser)."""
    store = tmp_path / "taken-bodies"
    lines = ["services:\n  - {id: svc, name: Service}\nsources:\n"]
    lines += [
        f'  - {{id: s{n}, kind: statuspage, service: svc, url: "https://s{n}.test/"}}\n' for n in range(len(bodies))
    ]
    catalog = parse_catalog("".join(lines), "catalog.yaml")
    at = datetime.fromisoformat(AT)
    deferred = [
        Deferred(source, {"url": f"https://s.test/{label}.json", "sha256": store_body(store, body)}, at)
        for source, (label, body) in zip(catalog.sources, bodies.items(), strict=True)
    ]
    left = read_bulk_statuspage(deferred, store, catalog, lambda _table, _path, _rows: None)
    labels = dict(zip((source.id for source in catalog.sources), bodies, strict=True))
    return set(bodies) - {labels[item.source.id] for item in left}


def test_awkward_bodies_give_the_parsers_rows_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a lone surrogate the parser reads stops the Python path's landing writer itself: UnicodeEncodeError)
    bodies = {label: body for label, body in _awkward().items() if label != "lone-surrogate"}
    rows = _compare(tmp_path, {**bodies, **_fixtures()}, monkeypatch)
    assert rows["incidents"] >= 20  # not two empty landings
    assert rows["updates"] >= 10
    assert rows["components"] >= 5
    assert rows["errors"] >= 15  # every body the parser refuses still has its error row


def test_the_sql_path_takes_plain_pages_and_leaves_the_rest(tmp_path: Path) -> None:
    awkward = _awkward()
    taken = _taken(tmp_path, awkward)
    must_take = {
        "good", "good-again", "unicode", "escaped-json", "pretty", "huge", "nulls", "empty-strings", "unknown-words",
        "components-missing", "minimal-incident", "duplicate-groups", "group-named-None", "update-body-null",
        "affected-statuses-null", "scheduled-null", "duplicate-incidents",
        "planned-future", "updates-null", "incident-components-null",
    }  # fmt: skip
    assert must_take <= taken, must_take - taken
    must_leave = {
        "empty", "whitespace", "html", "array", "string", "truncated", "two-values", "trailing-comma", "nan",
        "lower-nan", "infinity", "bom", "utf16", "latin1", "lone-surrogate", "duplicate-top-key",
        "duplicate-incident-key", "duplicate-update-key", "incidents-null", "incidents-object", "incidents-missing",
        "single-incident", "components-null", "component-without-name", "component-number-id", "group-number",
        "incident-without-name", "incident-number-id", "incident-not-object", "impact-number", "status-bool",
        "no-zone", "space-separated", "seven-decimals", "lower-z", "february-30", "epoch-zero", "far-future",
        "updates-object", "update-without-id", "update-body-number", "affected-without-code", "affected-not-list",
        "incident-components-odd",
    }  # fmt: skip
    assert not (must_leave & taken), must_leave & taken


def test_generated_pages_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = _generated(30)
    rows = _compare(tmp_path, bodies, monkeypatch)
    assert rows["updates"] > 100
    assert rows["errors"] == 0
    assert _taken(tmp_path, bodies) == set(bodies)  # and it is DuckDB that read them all


def test_a_big_run_is_read_in_batches_and_its_rest_by_the_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the reader named (it is not used by default): a batch goes to DuckDB once 32 MB are deferred; what is
    left at the end, under 16 MB, goes to the parser. The landing is the parser's all the same."""
    from scrapers.bulk_statuspage import BATCH_BYTES as STATUSPAGE_BATCH_BYTES
    from scrapers.bulk_statuspage import MIN_BYTES as STATUSPAGE_MIN_BYTES

    bodies: dict[str, bytes] = {}
    for label, body in _generated(2000).items():
        bodies[label] = body
        if sum(map(len, bodies.values())) > STATUSPAGE_BATCH_BYTES + STATUSPAGE_MIN_BYTES // 4:
            break
    rows = _compare(tmp_path, bodies, monkeypatch, mode="statuspage")
    assert rows["errors"] == 0
    assert 0 < rows["set_based"] < len(bodies)  # one batch by DuckDB, the rest by the parser
    (tmp_path / "small").mkdir()
    assert _compare(tmp_path / "small", _generated(5), monkeypatch, mode="statuspage")["set_based"] == 0  # a few


def test_the_parser_reads_statuspage_bodies_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser costs less CPU than the reader (bench parse): unset or "1", a big run's Statuspage bodies are all
    parsed in Python as they come (none is deferred); naming the kind or "all" takes the reader. The count CSVs'
    reader stays on."""
    fetch: dict[str, object] = {"url": "https://status.test/api/v2/summary.json", "bytes": BATCH_BYTES}
    for mode, used in (("", False), ("1", False), ("statuspage", True), ("all", True), ("0", False)):
        monkeypatch.setenv(BULK_ENV, mode)
        assert (reader_for("statuspage", fetch) is not None) is used, mode
    monkeypatch.setenv(BULK_ENV, "1")
    assert reader_for("report_counts", {"url": "https://counts.test/day.csv"}) is not None


def test_real_captures_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    samples = _samples()
    if not samples:
        pytest.skip(f"no Statuspage capture in {SAMPLES}")
    rows = _compare(tmp_path, samples, monkeypatch)
    assert rows["incidents"] > 0
    summaries = {label for label in samples if "summary" in label}
    assert summaries
    assert summaries <= _taken(tmp_path, samples)  # every summary.json capture is read by DuckDB, none left over
