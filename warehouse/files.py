"""Every file beside a warehouse, named in one place: :class:`WarehouseFiles`.

For a DuckDB file ``X.duckdb`` (the layout ARCHITECTURE.md shows)::

    X.duckdb.wal                      DuckDB's write-ahead log
    X.duckdb.lock                     the single-writer file lock (warehouse/lock.py)
    X.landing/bodies/<sha[:2]>/<sha>  every fetched body, once (scrapers/bodystore.py)
    X.landing/runs/<run id>/          plan, fetch records, crawl log and stats, landing files, outages.json
    X.landing/author.salt             the key post authors are hashed with (unless OUTAGES_AUTHOR_SALT is set)
    X.backups/<time>/                 nightly backups (flows/maintenance.py)

The landing root (``X.landing`` above) may be set apart from the database: ``OUTAGES_LANDING`` (or the ``landing``
argument) names a local folder, or an ``s3://bucket/prefix/`` URL. On S3, ``landing``, ``bodies`` and ``runs`` stay
a local scratch folder where this machine crawls and parses, ``remote`` is the URL every run is published to and
loaded from (warehouse/landing_root.py), and the author salt is the one kept there.

Nothing else in the project builds one of these paths from a database path: it asks a ``WarehouseFiles``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from warehouse.landing_root import RemoteLanding, is_remote, landing_setting

AUTHOR_SALT_ENV = "OUTAGES_AUTHOR_SALT"


@dataclass(frozen=True, slots=True, init=False)
class WarehouseFiles:
    """Where the files of the warehouse ``db`` live.

    ``WarehouseFiles(db)`` is the one constructor: the landing root defaults to ``<db stem>.landing`` beside the
    database; ``landing`` (else ``OUTAGES_LANDING``) sets it apart, as a folder or an ``s3://`` URL (then
    :attr:`remote`, with :attr:`landing` the local scratch folder), and is read here and nowhere else. A database
    that is a DuckLake catalog (``ducklake:…``) keeps its local files beside ``warehouse.lake.local_path``. Callers
    only ever ask for ``files.bodies``, ``files.runs``, ``files.lock`` and so on.
    """

    db: Path
    landing: Path
    remote: str | None

    def __init__(self, db: str | Path, landing: str | Path | None = None) -> None:
        if str(db).startswith("ducklake:"):  # a lake: its local files sit beside warehouse.lake.local_path
            from warehouse.lake import local_path

            path = local_path(str(db))
        else:
            path = Path(db)
        root = str(landing) if landing else landing_setting()
        remote = root if root and is_remote(root) else None
        local = Path(root).expanduser().absolute() if root and not remote else path.with_name(f"{path.stem}.landing")
        object.__setattr__(self, "db", path)
        object.__setattr__(self, "landing", local)
        object.__setattr__(self, "remote", remote)

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

    def remote_landing(self) -> RemoteLanding | None:
        """The S3 landing root runs are published to and loaded from, or None when the landing root is local."""
        return RemoteLanding(self.remote) if self.remote else None

    def author_salt(self) -> bytes:
        """The key for hashing post authors: OUTAGES_AUTHOR_SALT, else the one kept on an S3 landing root, else a
        random one kept in :attr:`salt`."""
        configured = os.environ.get(AUTHOR_SALT_ENV)
        if configured:
            return configured.encode("utf-8")
        remote = self.remote_landing()
        if remote is not None:
            return remote.author_salt()
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
