"""Named points where the crash-safety tests kill an ingest (tests/test_crash_safety.py); inert in normal use.

``crash_point(name)`` does nothing unless the environment variable ``OUTAGES_TEST_KILL_AT`` equals ``name``. Then the
process dies at once by SIGKILL, as a power cut or the OOM killer would end it: no ``finally``, no ``atexit``, no
flush. When the process leads its own process group (the tests start ``outages ingest`` in a new session) the whole
group dies with it, as it would in a container, so no child (the crawl, a Prefect server) outlives it.
"""

from __future__ import annotations

import os
import signal

KILL_AT = "OUTAGES_TEST_KILL_AT"


def crash_point(name: str) -> None:
    """Die here by SIGKILL if ``OUTAGES_TEST_KILL_AT`` names this point; otherwise return at once."""
    if os.environ.get(KILL_AT) != name:
        return
    if os.getpgid(0) == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
