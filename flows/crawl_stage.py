"""The crawl and the parse stage at once: the crawl process fetches while this process parses what it fetched.

The crawl runs in its own process (a reactor cannot restart: ``scrapers/crawl.py``) and appends one complete line per
fetch record to ``fetches.jsonl`` as soon as the record's body is in the store. This process follows that file
(:func:`follow_records`) and hands each record to the parse stage at once (``build_landing(fetches=...)``), so on two
cores the parse of one body runs while the crawl waits on the next, and when the crawl ends only the bodies of its
last moments remain to parse. Nothing here imports Scrapy or Twisted.

What is written is what the same records gave when they were parsed after the crawl: the same landing files, still
under temporary names until every record is staged and renamed into place together. A crawl that dies (a signal, a
crash, a retry of the task) leaves no landing: the follower raises :class:`CrawlError` once the process has exited
with an error, the parse stage discards its files, and a retry starts from an empty ``fetches.jsonl``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from flows.paths import PROJECT_ROOT
from scrapers.catalog import Catalog
from scrapers.landing import LandingSummary, build_landing
from warehouse.crashpoints import crash_point

FOLLOW_POLL_SECONDS = 0.02  # how long the follower sleeps when the crawl has written nothing new


class CrawlError(RuntimeError):
    """The crawl process itself failed (not a source: those failures are recorded per source)."""


def follow_records(
    path: Path, running: Callable[[], bool], poll_seconds: float = FOLLOW_POLL_SECONDS
) -> Iterator[dict[str, Any]]:
    """Each record of the JSON Lines file ``path`` as soon as its whole line is there, until ``running()`` is false and
    the file is read to its end (a line cut short by a dying writer is never read). The file may not exist yet."""
    handle: IO[bytes] | None = None
    pending = b""
    try:
        while True:
            alive = running()  # asked before reading: whatever the writer wrote before it ended is read below
            if handle is None and path.exists():
                handle = path.open("rb")
            chunk = handle.read() if handle is not None else b""
            if chunk:
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
            elif not alive:
                return
            else:
                time.sleep(poll_seconds)
    finally:
        if handle is not None:
            handle.close()


def crawl_command(run_dir: Path, store: str, timeout_seconds: float, as_of: str | None) -> list[str]:
    command = [sys.executable, "-m", "scrapers.crawl", "--plan", str(run_dir / "plan.json"), "--run-dir", str(run_dir)]
    command += ["--store", store, "--timeout", str(timeout_seconds)]
    return command + (["--as-of", as_of] if as_of else [])


def _checked(
    records: Iterator[dict[str, Any]], process: subprocess.Popen[bytes], output: IO[bytes], run_dir: Path
) -> Iterator[dict[str, Any]]:
    """The records, then a :class:`CrawlError` if the crawl process failed or left no stats (the landing is then
    discarded by the parse stage)."""
    yield from records
    code = process.wait()
    if code != 0:
        output.seek(0)
        tail = output.read().decode("utf-8", "replace")[-2000:]
        raise CrawlError(f"crawl process exited with status {code}: {tail}")
    if not (run_dir / "fetches.jsonl").exists() or not (run_dir / "crawl_stats.json").exists():
        raise CrawlError(f"crawl wrote no fetch records in {run_dir}; see {run_dir}/crawl.log")
    crash_point("ingest:crawled")  # inert unless a crash-safety test names it (warehouse/crashpoints.py)


def crawl_and_stage(
    run_dir: Path,
    store: str,
    timeout_seconds: float,
    as_of: str | None,
    catalog: Catalog,
    run_id: str,
    started_at: datetime,
    salt: bytes,
) -> tuple[LandingSummary, dict[str, Any]]:
    """Crawl the run's plan in a fresh process and parse each body as its fetch record arrives; returns what the
    stage gives and the crawl's stats. Raises :class:`CrawlError` when the crawl process failed (no landing is left)."""
    for name in ("fetches.jsonl", "crawl_stats.json"):  # a retry never reads the records of the attempt before
        (run_dir / name).unlink(missing_ok=True)
    with tempfile.TemporaryFile() as output:  # the crawl logs to crawl.log; this keeps a traceback, unread otherwise
        command = crawl_command(run_dir, store, timeout_seconds, as_of)
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            records = follow_records(run_dir / "fetches.jsonl", lambda: process.poll() is None)
            checked = _checked(records, process, output, run_dir)
            summary = build_landing(run_dir, Path(store), catalog, run_id, started_at, salt, fetches=checked)
        finally:
            if process.poll() is None:  # the stage failed while the crawl ran: the crawl has no one to read it
                process.kill()
                process.wait()
    stats: dict[str, Any] = json.loads((run_dir / "crawl_stats.json").read_text(encoding="utf-8"))
    return summary, stats
