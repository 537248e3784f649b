"""The catalog notes a read-out repeats ("a reconstruction replayed from public facts..."), and how a row cites each
of its sources by its own URL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from warehouse.readouts.selection import selection_sql
from warehouse.reads import has_view


def row_source_ids(row: dict[str, Any]) -> list[str]:
    return [s for s in (row.get("source_id") or "").split(",") if s]


def row_citations(row: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(URL, source ids) for each URL a row cites. A spike row lists one URL per source, space-separated in the order
    of its comma-separated ``source_id``; when the two lists do not pair up, every source goes with every URL."""
    urls = (row.get("source_url") or "").split()
    ids = row_source_ids(row)
    if len(urls) > 1 and len(urls) == len(ids):
        return [(url, [source_id]) for url, source_id in zip(urls, ids, strict=True)]
    return [(url, ids) for url in urls]


def source_notes(con: duckdb.DuckDBPyConnection, rows: Iterable[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(note, source ids) for the notes of the sources the rows cite, each note once."""
    ids = sorted({source_id for row in rows for source_id in row_source_ids(row)})
    if not ids or not has_view(con, "raw_sources"):  # a warehouse from before notes: none to repeat
        return []
    found = con.execute(selection_sql("source_notes"), {"source_ids": ids}).fetchall()
    return [(str(note), [str(s) for s in source_ids]) for note, source_ids in found]


def notes_lines(notes: list[tuple[str, list[str]]]) -> list[str]:
    """One plain-text line per note: ``Note: <note> (<source ids>)``."""
    return [f"Note: {note} ({', '.join(ids)})" for note, ids in notes]
