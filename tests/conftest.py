from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.loopback import LoopbackServer

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# a bound for a temporary server that never starts, not a timing: on a busy 2-core machine a start takes minutes
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server (temporary SQLite) for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    # a bound for a server that never starts, not a timing: on a busy 2-core machine a start can take minutes
    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.stop()
