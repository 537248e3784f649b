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


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server (temporary SQLite) for every flow test of the session."""
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


# --- spreading the suite over processes (`make test`: pytest-xdist, `-n 2 --dist loadgroup`) ----------------------
#
# A work unit is what one worker runs, in order: the tests that share one of our session fixtures (other than the
# Prefect harness, which each worker starts for itself), else a module whose tests share a module fixture (built
# once), else one test. The units that run real flows or generate examples go first, the biggest first, so the
# quick tests fill in at the end and both workers finish together.

PER_WORKER = frozenset({"prefect_harness"})


def _our_fixtures(item: pytest.Item) -> list[pytest.FixtureDef[object]]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    defs = [chain[-1] for chain in info.name2fixturedefs.values() if chain]
    return [d for d in defs if getattr(d.func, "__module__", "").startswith("tests.")]


def _work_unit(item: pytest.Item) -> str:
    fixtures = _our_fixtures(item)
    shared = sorted(d.argname for d in fixtures if d.scope == "session" and d.argname not in PER_WORKER)
    if shared:
        return "+".join(shared)
    if any(d.scope in ("package", "module", "class") for d in fixtures):
        return item.nodeid.split("::", 1)[0]
    return item.nodeid


def _heavy(item: pytest.Item) -> bool:
    """Runs real flows (the Prefect harness) or generates examples (hypothesis): seconds to a minute each."""
    return "prefect_harness" in getattr(item, "fixturenames", ()) or bool(
        getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(config.option, "dist", "no") != "loadgroup":
        return
    units = {id(item): _work_unit(item) for item in items}
    weight: dict[str, int] = {}
    for item in items:
        weight[units[id(item)]] = weight.get(units[id(item)], 0) + _heavy(item)
    first_seen = {unit: n for n, unit in reversed(list(enumerate(units[id(item)] for item in items)))}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(units[id(item)]))
    items.sort(key=lambda item: (-weight[units[id(item)]], first_seen[units[id(item)]]))
