"""A kind is one module and nothing else: a new file in the kinds package is found, listed, parsed, landed and loaded
with no other change; no kind imports another; every record type a parser can return reaches `outages parse`, the
landing files and a raw table of the warehouse."""

from __future__ import annotations

import ast
import importlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import scrapers.kinds
from flows.cli import main
from flows.paths import PROJECT_ROOT
from scrapers import registry
from scrapers.catalog import parse_catalog
from scrapers.landing import TABLES, build_landing, read_jsonl
from scrapers.records import RECORD_TABLES, Parsed
from tests.helpers import crawled_run
from warehouse.db import connect, migrate
from warehouse.load import load_landing, load_steps, raw_tables

KINDS_DIR = Path(scrapers.kinds.__file__).parent
FETCHED_AT = datetime(2021, 12, 7, 17, 0, tzinfo=UTC)

# A whole kind, as a contributor would write it: one record of every type from a one-line JSON payload.
THROWAWAY = '''
"""A kind the discovery test writes: one record of every type from {"throwaway": "<ISO time>"}."""

from __future__ import annotations

import json
from datetime import datetime

from scrapers.records import (
    ComplaintCount, Component, ComponentChange, Document, Incident, IncidentUpdate, Parsed, ParseError, Post,
)
from scrapers.registry import Kind


def parse(doc: Document) -> Parsed:
    try:
        at = datetime.fromisoformat(json.loads(doc.body)["throwaway"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"{doc.url}: not a throwaway payload") from exc
    return Parsed(
        incidents=[Incident("i1", "Elevated errors", "minor", "low", "investigating", None, at, None, None,
                            component_ids=("c1",))],
        updates=[IncidentUpdate("i1", "u1", at, None, "investigating", None, "We are looking into it.")],
        counts=[ComplaintCount("example", at, 7)],
        components=[Component("c1", "API", None, "degraded", "slow")],
        component_changes=[ComponentChange("c1", at, "degraded", "slow", "operational", "i1")],
        posts=[Post("p1", "at://someone/p1", None, at, "someone", "example is down")],
    )


def detect(body: bytes) -> bool:
    return body.startswith(b'{"throwaway"')


KIND = Kind(
    name="throwaway",
    description="a kind tests/test_kind_discovery.py writes",
    start_urls=lambda url: [url],
    parse=parse,
    needs_service=True,
    category="status",
    example_urls=("https://throwaway.test/x.json",),
    detect=detect,
)
'''
PAYLOAD = json.dumps({"throwaway": "2021-12-07T16:30:00+00:00"}).encode()
CATALOG = """services:
  - {id: example, name: Example Co}
sources:
  - {id: tw, kind: throwaway, url: "https://throwaway.test/x.json", service: example}
"""


@pytest.fixture
def throwaway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The kinds package with one more module file in it (a second folder of the package, as a new file would be),
    and a registry that has not listed the package yet."""
    folder = tmp_path / "kinds"
    folder.mkdir()
    (folder / "throwaway.py").write_text(THROWAWAY, encoding="utf-8")
    monkeypatch.setattr(scrapers.kinds, "__path__", [*scrapers.kinds.__path__, str(folder)])
    monkeypatch.setattr(registry, "_KINDS", {})
    monkeypatch.setattr(registry, "_BUILTINS_LOADED", False)
    importlib.invalidate_caches()
    try:
        yield "throwaway"
    finally:
        sys.modules.pop("scrapers.kinds.throwaway", None)


def parse_command(*args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(main, ["parse", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_new_module_is_a_new_kind_with_no_other_change(throwaway: str, tmp_path: Path) -> None:
    assert throwaway in registry.names()
    assert len(registry.names()) == len(list(KINDS_DIR.glob("[!_]*.py"))) + 1  # every built-in kind, and this one
    listed = CliRunner().invoke(main, ["kinds", "--json"])
    assert listed.exit_code == 0
    assert {"kind": throwaway, "description": "a kind tests/test_kind_discovery.py writes"} in json.loads(listed.stdout)
    saved = tmp_path / "payload.json"
    saved.write_bytes(PAYLOAD)
    assert registry.detect(PAYLOAD) == [throwaway]
    lines = parse_command(str(saved))  # detected, not named
    assert [line["record"] for line in lines] == [f.metadata["record"] for f in fields(Parsed)]


def test_every_record_type_reaches_parse_landing_and_the_warehouse(throwaway: str, tmp_path: Path) -> None:
    """The throwaway kind returns one record of each type; each is printed by `outages parse`, written to its
    landing table and loaded by its load step into a raw table."""
    saved = tmp_path / "payload.json"
    saved.write_bytes(PAYLOAD)
    printed = {line["record"] for line in parse_command("--kind", throwaway, str(saved))}
    assert printed == {f.metadata["record"] for f in fields(Parsed)}

    run_dir, store = tmp_path / "run", tmp_path / "bodies"
    url = "https://throwaway.test/x.json"
    crawled_run(run_dir, store, [("tw", throwaway, url, PAYLOAD)], fetched_at=FETCHED_AT.isoformat())
    catalog = parse_catalog(CATALOG, "catalog.yaml")
    summary = build_landing(run_dir, store, catalog, "run-1", FETCHED_AT, workers=1)
    assert summary.sources_failed == 0, summary.failed_sources
    landing = run_dir / "landing"
    assert set(RECORD_TABLES) <= set(TABLES)
    for table in RECORD_TABLES:
        rows = list(read_jsonl(landing / f"{table}.jsonl"))
        assert [row["source_id"] for row in rows] == ["tw"], table

    added = load_landing(tmp_path / "w.duckdb", landing)
    steps = dict(load_steps())
    for table in RECORD_TABLES:
        written = [raw for raw in raw_tables() if re.search(rf"\bINTO\s+{raw}\b", steps[table], re.IGNORECASE)]
        assert written, table
        assert all(added[raw] == 1 for raw in written), (table, written, added)


def test_the_load_steps_are_the_landing_tables_and_write_every_raw_table(tmp_path: Path) -> None:
    """One load step per landing table, and the raw tables the loader counts are those of the schema."""
    assert sorted(table for table, _ in load_steps()) == sorted(TABLES)
    con = connect(tmp_path / "schema.duckdb")
    try:
        migrate(con)
        schema = con.execute("select table_name from duckdb_tables() where table_name like 'raw\\_%' escape '\\'")
        raw = {row[0] for row in schema.fetchall()}
    finally:
        con.close()
    assert raw
    assert set(raw_tables()) == raw


def test_every_module_in_the_kinds_package_is_one_kind_and_imports_no_other() -> None:
    modules = sorted(p for p in KINDS_DIR.glob("*.py") if p.name != "__init__.py")
    assert {p.stem for p in modules} == {
        registry.get(name).parse.__module__.rsplit(".", 1)[1] for name in registry.names()
    }
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        assert not [m for m in imported if m == "scrapers.kinds" or m.startswith("scrapers.kinds.")], path.name


def test_a_module_in_the_kinds_package_that_is_no_kind_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "kinds"
    folder.mkdir()
    (folder / "helpers.py").write_text('"""Shared code put in the wrong place."""\n', encoding="utf-8")
    monkeypatch.setattr(scrapers.kinds, "__path__", [*scrapers.kinds.__path__, str(folder)])
    monkeypatch.setattr(registry, "_KINDS", {})
    importlib.invalidate_caches()
    try:
        with pytest.raises(TypeError, match="helpers defines no KIND"):
            registry.discover("scrapers.kinds")
    finally:
        sys.modules.pop("scrapers.kinds.helpers", None)


def test_a_kind_names_its_set_based_reader_and_the_parse_stage_finds_it_there(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parse stage knows which kinds DuckDB reads only from their Kind (``bulk_reader``): each name resolves to a
    BulkReader (used by default if it says so, else when OUTAGES_BULK_PARSE names its kind), and a kind without one
    is parsed in Python."""
    from scrapers.bulk_common import BULK_ENV, BulkReader
    from scrapers.bulk_parse import reader_for

    named = {name: registry.get(name).bulk_reader for name in registry.names()}
    with_reader = sorted(name for name, where in named.items() if where is not None)
    assert with_reader == ["report_counts", "statuspage"]
    for name in with_reader:
        module, _, attribute = str(named[name]).partition(":")
        reader = getattr(importlib.import_module(module), attribute)
        assert isinstance(reader, BulkReader), name
        fetch = {"url": "https://status.example.test/api/v2/summary.json"}
        monkeypatch.delenv(BULK_ENV, raising=False)
        assert (reader_for(name, fetch) is not None) is reader.by_default, name
        monkeypatch.setenv(BULK_ENV, name)
        assert reader_for(name, fetch) is not None, name
    monkeypatch.delenv(BULK_ENV, raising=False)
    assert reader_for("gcp", {"url": "https://status.cloud.google.com/incidents.json"}) is None
    code = (PROJECT_ROOT / "scrapers" / "bulk_parse.py").read_text(encoding="utf-8").split('"""', 2)[2]
    assert "statuspage" not in code  # below its docstring, the parse stage names no kind
