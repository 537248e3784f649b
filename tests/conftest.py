from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.loopback import LoopbackServer

if TYPE_CHECKING:
    from tests.series import Replay

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# a bound for a temporary server that never starts, not a timing: on a busy 2-core machine a start takes minutes
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
# a read answered 500/503 is retried twice after 0.1 s and 0.2 s, not 1 s and 2 s (the same retries, shorter waits);
# test_reliability sets its own, and checks the defaults without it
os.environ.setdefault("OUTAGES_RETRY_BACKOFF", "0.1")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server (temporary SQLite) for every flow test of the session (one per xdist worker)."""
    from prefect.testing.utilities import prefect_test_harness

    # a bound for a server that never starts, not a timing: on a busy 2-core machine a start can take minutes
    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture(scope="session")
def demo_replay(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Replay:
    """The demo's day replayed once for every module that reads it (test_replay, test_exports): tests only read it,
    or copy the file before they change anything."""
    from tests.series import replay_demo_day  # imports the flows (Prefect): only when a test needs the replay

    return replay_demo_day(tmp_path_factory.mktemp("replay"))


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.stop()


def pytest_configure(config: pytest.Config) -> None:
    # `make test` spreads the suite over processes (pytest-xdist): tests/work_units.py says how
    if config.pluginmanager.hasplugin("xdist"):
        from tests.work_units import WorkUnits

        config.pluginmanager.register(WorkUnits(), "outages-work-units")
