"""Statuspage v2 JSON (``summary.json``, ``incidents.json``) parsed set-based: DuckDB reads the stored bodies
themselves, many at a time (``read_json``), and writes their landing rows.

Covered: a body whose ``incidents`` key holds a list (summary.json, incidents.json; with its
``scheduled_maintenances`` and the page's ``components``), each of its records written as
:mod:`scrapers.formats.statuspage_v2` and :mod:`scrapers.landing_rows` would write it, version hashes included
(``bulk_sql/statuspage_*.sql``, with the Python-equivalent macros of ``bulk_sql/python_values.sql``). Left to the
Python parser, which stays the reference: a single ``incident`` (incidents/<id>.json) or status.json body, a history
feed, a body that is not plain UTF-8 JSON as ``json.loads`` reads it (a byte-order mark, UTF-16, a trailing comma,
nan, a key given twice...), a field the parser passes through ``str()`` that is not a JSON string, a time DuckDB
might read otherwise than ``datetime.fromisoformat``, a record the plausibility rule would drop, and any body DuckDB
cannot read. A body is wholly one path's or the other's.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from scrapers.bodystore import body_path
from scrapers.bulk_common import (
    Append,
    BulkReader,
    Deferred,
    bulk_connection,
    copy_rows,
    files_table,
    insert_rows,
    sql_text,
)
from scrapers.catalog import Catalog
from scrapers.formats.statuspage_v2 import COMPONENT_STATE, IMPACT, STATUS
from scrapers.kinds.statuspage import names_history_feed

# The tables the record queries fill and their files, in the order they run (each reads the ones before it).
RECORD_QUERIES = (
    ("sp_incident_fields", "statuspage_incidents.sql"),
    ("sp_incidents", "statuspage_incident_versions.sql"),
    ("sp_update_fields", "statuspage_updates.sql"),
    ("sp_updates", "statuspage_update_versions.sql"),
    ("sp_changes", "statuspage_changes.sql"),
    ("sp_components", "statuspage_components.sql"),
)
SPLIT_FLOOR = 1  # a refused read of this many files is not split further (see _read_json)
ROWS_MARK = "\n-- table: "  # what separates the landing-row queries of statuspage_rows.sql


def defers(fetch: dict[str, object]) -> bool:
    """Whether a fetched Statuspage body may go the SQL way: not from a url naming a history feed (the parser reads
    those as XML, as it does any body that is a feed; a feed never passes the checks of statuspage_checks.sql)."""
    return not names_history_feed(str(fetch["url"]))


def read_bulk_statuspage(deferred: list[Deferred], store: Path, _catalog: Catalog, append: Append) -> list[Deferred]:
    """Read the deferred bodies set-based; append the landing rows of every body taken (through ``append``); return
    the ones left for the Python parser, in their fetch order."""
    if not deferred:
        return []
    by_file: dict[str, list[Deferred]] = {}
    left: list[Deferred] = []
    for item in deferred:
        path = body_path(store, item.fetch["sha256"])
        if path.is_file():
            by_file.setdefault(str(path), []).append(item)
        else:
            left.append(item)  # the parser's path says the body is missing
    if by_file:
        taken = {id(item) for item in _read(by_file, append)}
        left += [item for items in by_file.values() for item in items if id(item) not in taken]
    order = {id(item): n for n, item in enumerate(deferred)}
    return sorted(left, key=lambda item: order[id(item)])


def _read(by_file: dict[str, list[Deferred]], append: Append) -> list[Deferred]:
    """The fetched bodies the queries were sure of, after appending their landing rows."""
    # one thread: a big run's parse stage already runs one worker process per core (scrapers/landing.py), and on a
    # busy machine a second thread cost more CPU than it saved (bench parse)
    with bulk_connection(ordered=False, threads=1) as con:
        con.execute(sql_text("python_values.sql"))
        items = files_table(con, by_file)
        files = list(by_file)
        con.execute(f"CREATE TEMP TABLE sp_checks AS\n{sql_text('statuspage_checks.sql')}", {"files": files})
        plain = [
            str(row[0])
            for row in con.execute("SELECT filename FROM sp_checks WHERE plain ORDER BY filename").fetchall()
        ]
        largest = max((Path(name).stat().st_size for name in plain), default=0)
        if not _read_json(con, plain, largest + 1):
            return []
        _maps(con)
        for table, name in RECORD_QUERIES:
            con.execute(f"CREATE TEMP TABLE {table} AS\n{sql_text(name)}")
        con.execute(f"CREATE TEMP TABLE bulk_taken AS\n{sql_text('statuspage_files.sql')}")
        for table, query in _row_queries():
            copy_rows(con, query, table, append)
        taken = [int(row[0]) for row in con.execute("SELECT item FROM bulk_taken ORDER BY item").fetchall()]
        return [items[n] for n in taken]


def _read_json(con: duckdb.DuckDBPyConnection, files: list[str], max_size: int) -> bool:
    """sp_raw: the fields of every file DuckDB reads; False when it read none. A read DuckDB refuses (a key twice, a
    value of another shape) is tried again in halves, down to the single files it refuses, which are left out (and so
    to the parser): k refused files among n cost about k * log2(n / k) more reads, a few ms each."""
    query = sql_text("statuspage_read.sql")
    created = False
    pending = [files] if files else []
    while pending:
        batch = pending.pop()
        statement = f"INSERT INTO sp_raw\n{query}" if created else f"CREATE TEMP TABLE sp_raw AS\n{query}"
        try:
            con.execute(statement, {"files": batch, "max_size": max_size})
            created = True
        except duckdb.Error:
            if len(batch) > SPLIT_FLOOR:
                half = len(batch) // 2
                pending += [batch[half:], batch[:half]]
    return created


def _maps(con: duckdb.DuckDBPyConnection) -> None:
    """The parser's maps from the provider's words to ours, as tables (native, value)."""
    for table, mapping in (("sp_impacts", IMPACT), ("sp_statuses", STATUS), ("sp_states", COMPONENT_STATE)):
        con.execute(f"CREATE TEMP TABLE {table} (native VARCHAR, value VARCHAR)")
        insert_rows(con, table, list(mapping.items()))


def _row_queries() -> list[tuple[str, str]]:
    """(landing table, query) of each section of statuspage_rows.sql."""
    sections = sql_text("statuspage_rows.sql").split(ROWS_MARK)[1:]
    return [(section.split("\n", 1)[0].strip(), section.split("\n", 1)[1]) for section in sections]


# Measured (bench parse, one DuckDB thread): a batch costs about 0.09 s of CPU to start and 31 ms per MB of bodies.
# The parser took 36 ms per MB then, so the SQL path paid from about 18 MB of Statuspage bodies on; since its records
# are turned into rows more cheaply it takes about 25 ms per MB (bench parse, same run: DuckDB 1.12-1.23x its CPU, and
# 1.8x its peak memory), so the reader is not used by default: OUTAGES_BULK_PARSE naming ``statuspage``, or ``all``,
# uses it. A poll's bodies are then parsed as they arrive, not in batches once 32 MB are waiting.
MIN_BYTES = 16 * 1024 * 1024
BATCH_BYTES = 32 * 1024 * 1024  # DuckDB holds about 200 MB while it reads a batch of this size

# The kind's reader (scrapers/kinds/statuspage.py names it)
READER = BulkReader(
    read=read_bulk_statuspage, min_bytes=MIN_BYTES, batch_bytes=BATCH_BYTES, defers=defers, by_default=False
)
