"""A landing folder: one JSON Lines file per table, written row by row and renamed into place together."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from scrapers.records import RECORD_TABLES

# The landing tables: the run log, the catalog's services and sources, one table per record type a parser returns
# (the fields of Parsed), the failures, and the documents a later run need not parse again with their resightings.
# warehouse/load_sql has a step for each.
TABLES = ("runs", "services", "sources", "fetches", *RECORD_TABLES, "errors", "documents", "resightings")


def _json_line(row: dict[str, Any]) -> bytes:
    """One landing row as a line of JSON in UTF-8. orjson writes it several times faster than the json module
    (encoding was the parse stage's biggest cost), and as the bytes the file holds (no text layer to decode and
    encode again); what it refuses (an integer beyond 64 bits, a lone surrogate) goes through json.

    A lone surrogate (a provider's ``"\\ud800"`` escape with no pair) is not text: UTF-8 cannot hold it and DuckDB
    refuses the escape, so it becomes U+FFFD, the replacement character. The body keeps the provider's bytes."""
    try:
        return orjson.dumps(row, default=str, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        line = json.dumps(row, default=str, ensure_ascii=False) + "\n"
        return line.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


class LandingFiles:
    """A landing folder's table files, written row by row as they are produced (a run's rows are never all held in
    memory) under temporary names, and renamed into place together once every row is written. The files are UTF-8
    JSON Lines, written and appended as bytes."""

    def __init__(self, folder: Path, tables: Iterable[str] = TABLES) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, int] = {}
        self._targets: dict[str, Path] = {}
        self._handles: dict[str, BinaryIO] = {}
        for table in tables:
            self._targets[table] = folder / f"{table}.jsonl"
            self._handles[table] = self._targets[table].with_suffix(".tmp").open("wb")
            self.rows[table] = 0

    def write(self, table: str, row: dict[str, Any]) -> None:
        self._handles[table].write(_json_line(row))
        self.rows[table] += 1

    def append(self, folder: Path, rows: dict[str, int]) -> None:
        """Append the committed landing files of ``folder`` (a worker's share) to these."""
        for table, handle in self._handles.items():
            with (folder / f"{table}.jsonl").open("rb") as part:
                shutil.copyfileobj(part, handle)
            self.rows[table] += rows.get(table, 0)

    def append_file(self, table: str, path: Path, rows: int) -> None:
        """Append a JSON Lines file of ``rows`` rows of ``table`` written elsewhere (by DuckDB: bulk_counts.py)."""
        with path.open("rb") as part:
            shutil.copyfileobj(part, self._handles[table])
        self.rows[table] += rows

    def commit(self) -> dict[str, int]:
        """Close every file and move it into place; returns the rows written per table."""
        for handle in self._handles.values():
            handle.close()
        for target in self._targets.values():
            target.with_suffix(".tmp").replace(target)
        return dict(self.rows)

    def discard(self) -> None:
        for handle in self._handles.values():
            handle.close()
        for target in self._targets.values():
            target.with_suffix(".tmp").unlink(missing_ok=True)
