"""One writer at a time across a Prefect server: the concurrency limit flows take around the warehouse's file lock.

Two layers, always taken in the same order (so two holders can never deadlock):

1. **Prefect global concurrency limit** ``outages-duckdb-writer`` (one slot, ``strict=True``) when the process talks
   to a Prefect server (``PREFECT_API_URL`` is set): it holds across every worker on every machine of that server.
   The limit is created with one slot the first time it is missing (an existing limit is never changed), so a new
   server needs no manual step; ``strict=True`` then guarantees a missing limit is an error, never a silent no-op.
2. **The warehouse's file lock** (``warehouse/lock.py``: ``flock`` on ``<db>.lock``), always: it holds between
   processes of one machine whether or not a server exists, and ``warehouse.load.load_landing`` takes it itself, so
   a caller outside the flows is protected too. It is re-entrant within a thread, so a flow step holding it can call
   ``load_landing``.

The kernel drops a ``flock`` when its holder dies, and the Prefect slot is a lease that expires when its holder stops
renewing it, so a crashed writer never wedges the warehouse. Prefect's default lease is 300 s, so a writer killed
mid-load (SIGKILL, OOM) used to stall every later ingest for five minutes (found by tests/test_crash_safety.py); the
lease is now :data:`WRITER_LEASE_SECONDS`, the shortest the server accepts (renewed every 45 s while held), so the stall
is at most a minute plus one pass of the server's lease repossessor (15 s by default). Without a server (a bare
`outages ingest`) there is no stall at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from warehouse.lock import DEFAULT_TIMEOUT_SECONDS, writer_file_lock

WRITER_LIMIT = "outages-duckdb-writer"
WRITER_LEASE_SECONDS = 60.0  # Prefect refuses leases shorter than 60 s


def prefect_server_url() -> str | None:
    """The Prefect API this process talks to (environment, profile or test harness), or None when there is none.

    Without Prefect loaded, the environment and the active profile answer (what ``prefect config set`` writes), so a
    command that needs no server does not pay for importing Prefect; a ``prefect.toml``, ``.env`` or
    ``pyproject.toml`` in the working directory may configure it too, and then Prefect itself is asked."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    if "prefect.settings" not in sys.modules and not _local_prefect_config():
        return _profile_api_url()
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    return str(value) if value else None


def _local_prefect_config() -> bool:
    cwd = Path.cwd()
    pyproject = cwd / "pyproject.toml"
    return (
        (cwd / "prefect.toml").exists()
        or (cwd / ".env").exists()
        or (pyproject.exists() and "[tool.prefect" in pyproject.read_text(encoding="utf-8", errors="replace"))
    )


def _profile_api_url() -> str | None:
    """PREFECT_API_URL of the active Prefect profile (``$PREFECT_HOME/profiles.toml``), if it sets one."""
    import tomllib

    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    value = (profiles.get("profiles") or {}).get(active, {}).get("PREFECT_API_URL")
    return str(value) if value else None


def ensure_writer_limit(name: str = WRITER_LIMIT) -> None:
    """Create the one-slot global concurrency limit if the server lacks it (an existing limit is left as it is)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):  # another writer created it first
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))


@contextmanager
def writer_lock(db: str | Path, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the warehouse's single-writer lock (see the module docstring) for the body of the ``with``."""
    with ExitStack() as stack:
        if prefect_server_url():
            from prefect.concurrency.sync import concurrency

            ensure_writer_limit()
            stack.enter_context(
                concurrency(
                    WRITER_LIMIT,
                    occupy=1,
                    strict=True,
                    timeout_seconds=timeout_seconds,
                    lease_duration=WRITER_LEASE_SECONDS,
                )
            )
        stack.enter_context(writer_file_lock(db, timeout_seconds=timeout_seconds))
        yield
