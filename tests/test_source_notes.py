"""A catalog's per-source ``note``: validated with the file and line, and carried into the warehouse."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from scrapers.catalog import SOURCE_KEYS, CatalogError, parse_catalog
from warehouse.db import connect
from warehouse.load import load_landing, load_steps
from warehouse.readouts.notes import notes_lines, row_citations
from warehouse.reads import columns_of

PATH = "catalog.yaml"

CATALOG = textwrap.dedent(
    """\
    services:
      - {id: aws, name: Amazon Web Services}
    sources:
      - id: aws-health
        kind: aws_health
        url: https://status.aws.amazon.com/data.json
        service: aws
        note: >-
          Reconstruction:   replayed from
          public facts.
      - id: reports
        kind: report_counts
        url: https://exports.example.test/counts.csv
      - id: old-feed
        kind: report_counts
        url: https://exports.example.test/old.csv
        disabled: moved
        note: Replayed.
    """
)


def test_a_source_may_carry_a_note() -> None:
    catalog = parse_catalog(CATALOG, PATH)
    assert "note" in SOURCE_KEYS
    assert catalog.source("aws-health").note == "Reconstruction: replayed from public facts."  # spaces folded
    assert catalog.source("reports").note is None
    assert [(s.id, s.note) for s in catalog.disabled] == [("old-feed", "Replayed.")]


@pytest.mark.parametrize("value", ['""', '"   "', "[a, b]", "12", "{text: x}"])
def test_a_note_must_be_a_non_empty_string(value: str) -> None:
    text = CATALOG.replace("note: Replayed.", f"note: {value}")
    with pytest.raises(CatalogError) as info:
        parse_catalog(text, PATH)
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if row.strip() == "- id: old-feed")
    assert info.value.errors == [
        f"{PATH}:{line}: source 'old-feed' 'note' must be a non-empty string (the text every export repeats)"
    ]


def test_a_mistyped_note_key_says_did_you_mean() -> None:
    text = CATALOG.replace("note: Replayed.", "notes: Replayed.")
    with pytest.raises(CatalogError, match=r"unknown source key 'notes'; did you mean 'note'\?"):
        parse_catalog(text, PATH)


def test_a_spike_row_cites_each_source_by_its_own_url() -> None:
    row = {"source_id": "hachyderm,reports", "source_url": "https://h.example/tags/outage https://r.example/c.csv"}
    assert row_citations(row) == [
        ("https://h.example/tags/outage", ["hachyderm"]),
        ("https://r.example/c.csv", ["reports"]),
    ]
    # one URL for several sources (a warehouse from before per-source citations): every source goes with it
    assert row_citations({"source_id": "a,b", "source_url": "https://x.example/"}) == [
        ("https://x.example/", ["a", "b"])
    ]
    assert row_citations({"source_id": "a", "source_url": None}) == []
    assert notes_lines([("Replayed.", ["a", "b"])]) == ["Note: Replayed. (a, b)"]


def landing(folder: Path, sources: list[dict[str, str | None]]) -> Path:
    """A landing folder holding only the catalog's sources (every other table empty)."""
    folder.mkdir(parents=True)
    for table, _sql in load_steps():
        (folder / f"{table}.jsonl").write_text("", encoding="utf-8")
    (folder / "sources.jsonl").write_text("".join(json.dumps(s) + "\n" for s in sources), encoding="utf-8")
    return folder


def test_notes_load_idempotently_and_follow_the_latest_catalog(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    first = [
        {"source_id": "aws-health", "kind": "aws_health", "url": "https://a.example/", "service_id": "aws",
         "note": "Replayed."},
        {"source_id": "reports", "kind": "report_counts", "url": "https://r.example/c.csv", "service_id": None,
         "note": None},
    ]  # fmt: skip
    for attempt in ("one", "two"):  # the same landing twice: the same rows
        load_landing(db, landing(tmp_path / attempt, first))
        con = connect(db, read_only=True)
        try:
            rows = con.execute("select source_id, kind, url, note from raw_sources order by 1").fetchall()
        finally:
            con.close()
        assert rows == [
            ("aws-health", "aws_health", "https://a.example/", "Replayed."),
            ("reports", "report_counts", "https://r.example/c.csv", None),
        ]
    later = [{**first[0], "note": None}, {**first[1], "note": "Counts written by us."}]
    load_landing(db, landing(tmp_path / "three", later))
    con = connect(db, read_only=True)
    try:
        assert con.execute("select source_id, note from raw_sources order by 1").fetchall() == [
            ("aws-health", None),
            ("reports", "Counts written by us."),
        ]
        assert {"note"} <= columns_of(con, "source_status") & columns_of(con, "timeline")
    finally:
        con.close()
