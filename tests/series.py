"""A series of reads through the real ingest flow: each read serves its bodies on a loopback server and runs
`ingest` at its time; the warehouse is then opened read-only, in UTC, for the tests to query. Also the demo's
series, the 7 December 2021 replay (:func:`replay_demo_day`), which several test modules read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from flows.demo import CLOCK, replay_day, write_demo_catalog
from flows.ingest import ingest
from replay.server import ReplayServer
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


@dataclass(frozen=True)
class Replay:
    """A warehouse of the whole replayed day (every tick of the demo's ``CLOCK``) and the address it was served from."""

    db: Path
    base_url: str

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection, as the exports and the CLI open a warehouse."""
        from warehouse.db import connect

        return connect(self.db, read_only=True)


def replay_demo_day(folder: Path) -> Replay:
    """Replay 7 December 2021 into ``folder / "replay.duckdb"`` as ``outages demo`` does (each run must succeed)."""
    db = folder / "replay.duckdb"
    server = ReplayServer().start()
    try:
        codes = replay_day(db, write_demo_catalog(server.base_url, folder), server, echo=lambda _: None)
    finally:
        server.stop()
    assert codes == [0] * len(CLOCK)
    return Replay(db, server.base_url)
