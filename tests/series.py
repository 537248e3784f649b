"""A series of reads through the real ingest flow: each read serves its bodies on a loopback server and runs
`ingest` at its time; the warehouse is then opened read-only, in UTC, for the tests to query."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb

from flows.ingest import ingest
from tests.loopback import LoopbackServer, Route

# one read: when it happens (``as_of``), the catalog it reads, and what the server answers (path -> route)
Read = tuple[Any, str, dict[str, Route]]


def ingest_series(db: Path, reads: Callable[[LoopbackServer], Iterable[Read]]) -> duckdb.DuckDBPyConnection:
    """Run every read of ``reads(server)`` into ``db`` in order (each must succeed) and open the result."""
    server = LoopbackServer().start()
    try:
        for step, (as_of, catalog_text, routes) in enumerate(reads(server)):
            server.routes.update(routes)
            catalog = db.with_name(f"{db.stem}-sources-{step}.yaml")
            catalog.write_text(catalog_text, encoding="utf-8")
            result = ingest(sources=str(catalog), db=str(db), as_of=as_of, timeout_seconds=10)
            assert result.exit_code == 0, result.failures
    finally:
        server.stop()
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con
