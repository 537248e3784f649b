"""Every file beside a warehouse, named in one place: :class:`WarehouseFiles`.

For a DuckDB file ``X.duckdb`` (the layout ARCHITECTURE.md shows)::

    X.duckdb.wal                      DuckDB's write-ahead log
    X.duckdb.lock                     the single-writer file lock (warehouse/lock.py)
    X.landing/bodies/<sha[:2]>/<sha>  every fetched body, once (scrapers/bodystore.py)
    X.landing/runs/<run id>/          plan, fetch records, crawl log and stats, landing files, outages.json
    X.landing/author.salt             the key post authors are hashed with (unless OUTAGES_AUTHOR_SALT is set)
    X.backups/<time>/                 nightly backups (flows/maintenance.py)

Nothing else in the project builds one of these paths from a database path: it asks a ``WarehouseFiles``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

AUTHOR_SALT_ENV = "OUTAGES_AUTHOR_SALT"


@dataclass(frozen=True, slots=True, init=False)
class WarehouseFiles:
    """Where the files of the warehouse ``db`` live.

    ``WarehouseFiles(db)`` is the one constructor: the landing root defaults to ``<db stem>.landing`` beside the
    database. This is where a later setting plugs in: a landing root chosen apart from the database (say an
    ``OUTAGES_LANDING`` variable, or an object-store URL once the body store and runs can live there) is read in
    :meth:`__init__` and nowhere else; a database that is a DuckLake catalog (``ducklake:…``) rather than a file
    would be told apart here too, and give its lock and WAL paths (or none) from the same properties. Callers only
    ever ask for ``files.bodies``, ``files.runs``, ``files.lock`` and so on, so neither change touches them.
    """

    db: Path
    landing: Path

    def __init__(self, db: str | Path, landing: str | Path | None = None) -> None:
        if str(db).startswith("ducklake:"):  # a lake: its local files sit beside warehouse.lake.local_path
            from warehouse.lake import local_path

            path = local_path(str(db))
        else:
            path = Path(db)
        object.__setattr__(self, "db", path)
        object.__setattr__(self, "landing", Path(landing) if landing else path.with_name(f"{path.stem}.landing"))

    @property
    def bodies(self) -> Path:
        """The content-addressed body store (``scrapers.bodystore``)."""
        return self.landing / "bodies"

    @property
    def runs(self) -> Path:
        """One folder per ingest run."""
        return self.landing / "runs"

    def run(self, run_id: str) -> Path:
        return self.runs / run_id

    @property
    def salt(self) -> Path:
        """The author salt kept beside the warehouse (see :meth:`author_salt`)."""
        return self.landing / "author.salt"

    @property
    def lock(self) -> Path:
        """The single-writer file lock (``warehouse.lock``)."""
        return self.db.with_name(f"{self.db.name}.lock")

    @property
    def wal(self) -> Path:
        """DuckDB's write-ahead log of the database file."""
        return self.db.with_name(f"{self.db.name}.wal")

    @property
    def backups(self) -> Path:
        """The default folder of dated backups."""
        return self.db.with_name(f"{self.db.stem}.backups")

    def author_salt(self) -> bytes:
        """The key for hashing post authors: OUTAGES_AUTHOR_SALT, else a random one kept in :attr:`salt`."""
        configured = os.environ.get(AUTHOR_SALT_ENV)
        if configured:
            return configured.encode("utf-8")
        path = self.salt
        if not path.exists() or path.stat().st_size == 0:  # an empty file: a crash between create and write
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole under a temporary name, then linked into place: a crash never leaves an empty salt (which
            # would hash authors unkeyed), and of two processes creating it at once the first link wins.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".author.salt-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(32))
                    handle.flush()
                    os.fsync(handle.fileno())
                if path.exists() and path.stat().st_size == 0:
                    path.unlink()
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, path)
            finally:
                Path(tmp).unlink()
        return path.read_bytes()
