"""How `make test` spreads the suite over processes (pytest-xdist, ``-n 2 --dist loadfile``).

A work unit is what one worker runs, in order: a test file, so a module fixture (a warehouse built by a series of
ingest runs) is built once; the files that read one of our session fixtures (other than the Prefect harness, which
each worker starts for itself) are one unit together, listed in ``SHARED``. Each worker sorts its collection so the
units that run real flows or generate examples come first, the biggest first, and the quick tests fill in at the
end: both workers finish together. The controller keeps that order (``--no-loadscope-reorder``).
"""

from __future__ import annotations

import functools

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadFileScheduling

PER_WORKER = frozenset({"prefect_harness"})  # each worker has its own; any test may use it
# a session fixture of ours -> the files that read it: they run on one worker, which builds it once
SHARED = {"demo_replay": ("tests/test_exports.py", "tests/test_load_keys.py", "tests/test_replay.py")}
UNIT_OF_FILE = {path: name for name, paths in SHARED.items() for path in paths}


def unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return UNIT_OF_FILE.get(path, path)


class UnitScheduling(LoadFileScheduling):
    """``--dist loadfile``, with the files of ``SHARED`` as one unit each."""

    def _split_scope(self, nodeid: str) -> str:
        return unit(nodeid)


def _session_fixtures(item: pytest.Item) -> set[str]:
    """Our session fixtures that ``item`` uses, directly or through other fixtures."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set()
    return {
        name
        for name, chain in info.name2fixturedefs.items()
        if chain
        and chain[-1].scope == "session"
        and getattr(chain[-1].func, "__module__", "").startswith("tests.")
        and name not in PER_WORKER
    }


def _heavy(item: pytest.Item) -> bool:
    """Runs real flows (the Prefect harness) or generates examples (hypothesis): seconds to a minute each."""
    return "prefect_harness" in getattr(item, "fixturenames", ()) or bool(
        getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
    )


class WorkUnits:
    """The plugin: the scheduler on the controller, the order of the collection on each worker."""

    @pytest.hookimpl
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Producer) -> LoadFileScheduling | None:
        if config.getvalue("dist") != "loadfile":
            return None
        return UnitScheduling(config, log)

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not hasattr(config, "workerinput"):
            return  # not a worker of a distributed run: the order stays as collected
        for item in items:
            for name in _session_fixtures(item):
                if item.nodeid.split("::", 1)[0] not in SHARED.get(name, ()):
                    # the test fails with this message (an error raised here would end the worker, and xdist would
                    # print only an INTERNALERROR naming some other test)
                    message = (
                        f"{item.nodeid} reads the session fixture {name}: add its file to SHARED[{name!r}] in "
                        "tests/work_units.py, so one worker builds it once"
                    )
                    item.runtest = functools.partial(pytest.fail, message, pytrace=False)
        weight: dict[str, int] = {}
        first: dict[str, int] = {}
        for n, item in enumerate(items):
            weight[unit(item.nodeid)] = weight.get(unit(item.nodeid), 0) + _heavy(item)
            first.setdefault(unit(item.nodeid), n)
        items.sort(key=lambda item: (-weight[unit(item.nodeid)], first[unit(item.nodeid)]))
