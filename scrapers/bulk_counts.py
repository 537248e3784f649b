"""Report-count CSVs parsed set-based: DuckDB reads the stored bodies themselves, many files in one ``read_csv``.

The parse stage defers the bodies of a kind that has a bulk reader (``report_counts``) instead of parsing them one
by one in Python; :func:`read_bulk_counts` then reads them all at once (``bulk_sql/report_counts.sql``) and writes
the landing rows of each file DuckDB read the way the Python parser would (with DuckDB's JSON writer, not row by row).
Every other file — a line DuckDB rejected, a row that is not plainly valid, a header it could read otherwise, a body
that is not plain UTF-8 — is handed back for the Python parser, the reference, which gives its records or names its
error exactly as before. Nothing is lost: a file is either wholly the SQL path's or wholly the parser's.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import duckdb

from scrapers.bodystore import body_path
from scrapers.bulk_common import BULK_ENV as BULK_ENV  # re-exported: the switch the tests and benchmarks set
from scrapers.bulk_common import Append, BulkReader, bulk_connection, copy_rows, files_table, insert_rows, sql_text
from scrapers.bulk_common import Deferred as Deferred  # re-exported
from scrapers.catalog import Catalog, Source
from warehouse.db import quote_ident  # the one quoting helper (header names come from the file)

# The kinds whose bodies this module reads, with the columns their header must name (the parser's REQUIRED).
BULK_KINDS: dict[str, tuple[str, ...]] = {"report_counts": ("service", "bucket_start", "reports")}
OPTIONAL_COLUMNS = ("baseline",)


def _plain_header(body: bytes, kind: str) -> tuple[str, ...] | None:
    """The header of a body DuckDB reads as the Python parser does, else None: UTF-8 without a byte-order mark or
    NUL, not markup or JSON, and a first line that is the header, naming the required columns once each, unpadded."""
    if not body or b"\x00" in body or body.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.lstrip()[:1] in ("<", "{", "[") or text[:1].isspace():
        return None
    first = text.split("\n", 1)[0].removesuffix("\r")
    try:
        header = tuple(next(csv.reader([first])))
    except (csv.Error, StopIteration):
        return None
    plain = (
        len(set(header)) == len(header)
        and all(name == name.strip() and name for name in header)
        and set(BULK_KINDS[kind]) <= set(header)
        and "filename" not in header  # the name of the column read_csv adds
    )
    return header if plain else None


def read_bulk_counts(
    deferred: list[Deferred],
    store: Path,
    catalog: Catalog,
    append_counts: Callable[[Path, int], None],
) -> list[Deferred]:
    """Read the deferred bodies in one pass; append the counts of every file read whole to the landing (through
    ``append_counts(json_lines_file, rows)``); return the files left for the Python parser, in their fetch order."""
    if not deferred:
        return []
    by_file: dict[str, list[Deferred]] = {}
    headers: dict[tuple[str, ...], list[str]] = {}  # the files of each header (one read_csv each)
    left: list[Deferred] = []
    for item in deferred:
        path = body_path(store, item.fetch["sha256"])
        try:
            header = _plain_header(path.read_bytes(), item.source.kind)
        except OSError:
            header = None  # the parser's path says the body is missing
        if header is None:
            left.append(item)
            continue
        if str(path) not in by_file:
            headers.setdefault(header, []).append(str(path))
        by_file.setdefault(str(path), []).append(item)
    if by_file:
        taken = {id(item) for item in _read(by_file, headers, catalog, append_counts)}
        left += [item for items in by_file.values() for item in items if id(item) not in taken]
    order = {id(item): n for n, item in enumerate(deferred)}
    return sorted(left, key=lambda item: order[id(item)])


def _read(
    by_file: dict[str, list[Deferred]],
    headers: dict[tuple[str, ...], list[str]],
    catalog: Catalog,
    append_counts: Callable[[Path, int], None],
) -> list[Deferred]:
    """The fetched files whose every row the query was sure of, after appending their rows; none when DuckDB could
    not read the batch at all (then every file goes to the parser)."""
    # bounded: a year of counts is millions of rows of text, which spill to disk rather than fill the parse's memory
    with bulk_connection() as con:
        items = files_table(con, by_file)
        try:
            _load_csv(con, headers)
        except duckdb.Error:
            return []
        _resolve_services(con, catalog, {item.source.id: item.source for items in by_file.values() for item in items})
        con.execute(f"CREATE TEMP TABLE bulk_rows AS\n{sql_text('report_counts.sql')}")
        con.execute("DROP TABLE bulk_csv")
        rows = con.execute(
            """
            SELECT item FROM bulk_files
            WHERE item NOT IN (SELECT item FROM bulk_rows WHERE NOT sure)
              AND filename NOT IN (SELECT scans.file_path FROM reject_errors AS errors
                                   JOIN reject_scans AS scans USING (scan_id, file_id))
              AND item IN (SELECT item FROM bulk_rows)
            ORDER BY item
            """
        ).fetchall()
        taken = [int(row[0]) for row in rows]
        _write(con, taken, append_counts)
        return [items[n] for n in taken]


def _load_csv(con: duckdb.DuckDBPyConnection, headers: dict[tuple[str, ...], list[str]]) -> None:
    """Every file's rows as text (bulk_csv: the columns the query reads, filename, the longest field of the row),
    one read_csv for the files of each header, whose columns are given (nothing sniffed); a line DuckDB cannot read
    is recorded in reject_errors (and its file left to the parser)."""
    wanted = (*BULK_KINDS["report_counts"], *OPTIONAL_COLUMNS)
    con.execute(
        "CREATE TEMP TABLE bulk_csv ("
        + ", ".join(f"{quote_ident(c)} VARCHAR" for c in wanted)
        + ", filename VARCHAR, longest_field BIGINT)"
    )
    for header, files in headers.items():
        longest = "greatest(" + ", ".join(f"coalesce(length({quote_ident(c)}), 0)" for c in header) + ")"
        picked = ", ".join(quote_ident(c) if c in header else "NULL" for c in wanted)
        con.execute(
            f"""
            INSERT INTO bulk_csv
            SELECT {picked}, filename, {longest}
            FROM read_csv($files, columns = $columns, auto_detect = false, header = true, delim = ',',
                          quote = '"', escape = '"', skip = 0, filename = true, ignore_errors = true,
                          store_rejects = true)
            """,
            {"files": files, "columns": dict.fromkeys(header, "VARCHAR")},
        )


def _resolve_services(con: duckdb.DuckDBPyConnection, catalog: Catalog, sources: dict[str, Source]) -> None:
    """The service each distinct name resolves to, as the parse stage resolves it (an id, a name or an alias), with
    the name stripped as the parser strips it (bulk_names); and each source's own service, which a name the catalog
    lacks falls back to (bulk_sources)."""
    names = con.execute("SELECT DISTINCT service FROM bulk_csv WHERE service IS NOT NULL").fetchall()
    con.execute("CREATE TEMP TABLE bulk_names (raw VARCHAR, name VARCHAR, service_id VARCHAR)")
    stripped = [(str(raw), str(raw).strip()) for (raw,) in names]
    insert_rows(
        con, "bulk_names", [(raw, name, catalog.resolve_service(name) if name else None) for raw, name in stripped]
    )
    con.execute("CREATE TEMP TABLE bulk_sources (source_id VARCHAR, service_id VARCHAR)")
    insert_rows(con, "bulk_sources", [(source.id, source.service) for source in sources.values()])


def _write(con: duckdb.DuckDBPyConnection, taken: list[int], append_counts: Callable[[Path, int], None]) -> None:
    """The taken files' rows as landing rows (scrapers.landing_rows.count_row's fields), written by DuckDB."""
    if not taken:
        return
    con.execute("CREATE TEMP TABLE bulk_taken AS SELECT unnest($taken::INTEGER[]) AS item", {"taken": taken})
    query = """
        SELECT
            rows.service,
            rows.bucket_start,
            rows.reports,
            rows.baseline,
            rows.service_id,
            files.source_id,
            files.observed_at,
            files.source_url
        FROM bulk_rows AS rows
        JOIN bulk_files AS files USING (item)
        WHERE item IN (SELECT item FROM bulk_taken)
        ORDER BY item
    """
    copy_rows(con, query, "counts", lambda _table, path, rows: append_counts(path, rows))


def _read_for_stage(deferred: list[Deferred], store: Path, catalog: Catalog, append: Append) -> list[Deferred]:
    return read_bulk_counts(deferred, store, catalog, lambda path, rows: append("counts", path, rows))


# The kind's reader (scrapers/kinds/report_counts.py names it): every deferred CSV at the end of the parse stage
READER = BulkReader(read=_read_for_stage)
