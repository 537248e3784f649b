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

A plan may be crawled by several processes (``OUTAGES_CRAWL_PROCESSES``: :func:`crawl_processes`), each with the
sources of its own hosts (:func:`shard_plan`) and its share of the total concurrency, so that the per-host cap and the
total stay what one crawl keeps: Scrapy's cost per request, not the network, bounds a crawl of many small answers.
Their records are followed together; once all have ended, ``fetches.jsonl``, ``crawl_stats.json`` and ``crawl.log``
of the run are theirs put together, in shard order, as one crawl would have left them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from flows.paths import PROJECT_ROOT
from scrapers.catalog import Catalog
from scrapers.landing import LandingSummary, build_landing
from warehouse.crashpoints import crash_point

FOLLOW_POLL_SECONDS = 0.02  # how long the follower sleeps when the crawl has written nothing new


class CrawlError(RuntimeError):
    """The crawl process itself failed (not a source: those failures are recorded per source)."""


def follow_records(
    paths: Path | Sequence[Path], running: Callable[[], bool], poll_seconds: float = FOLLOW_POLL_SECONDS
) -> Iterator[dict[str, Any]]:
    """Each record of the JSON Lines file(s) ``paths`` as soon as its whole line is there, until ``running()`` is false
    and every file is read to its end (a line cut short by a dying writer is never read). A file may not exist yet."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    handles: dict[int, IO[bytes]] = {}
    pending = [b""] * len(files)
    try:
        while True:
            alive = running()  # asked before reading: whatever the writers wrote before they ended is read below
            read = False
            for n, path in enumerate(files):
                if n not in handles and path.exists():
                    handles[n] = path.open("rb")
                chunk = handles[n].read() if n in handles else b""
                if not chunk:
                    continue
                read = True
                *lines, pending[n] = (pending[n] + chunk).split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
            if not read:
                if not alive:
                    return
                time.sleep(poll_seconds)
    finally:
        for handle in handles.values():
            handle.close()


def crawl_processes(plan: list[dict[str, Any]]) -> int:
    """How many crawl processes share a plan: ``OUTAGES_CRAWL_PROCESSES`` (at most one per host of the plan), else one.

    One by default: measured on a shared 2-core machine (2,000 re-polled sources), two crawls took about 50 % more CPU
    in all (each pays Scrapy's start-up and its own loop) for a wall time that was shorter only when a core was idle."""
    hosts = len({_host(entry["url"]) for entry in plan})
    configured = os.environ.get("OUTAGES_CRAWL_PROCESSES", "").strip()
    wanted = int(configured) if configured.isdigit() and int(configured) > 0 else 1
    return max(1, min(wanted, hosts))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def shard_plan(plan: list[dict[str, Any]], count: int) -> list[list[dict[str, Any]]]:
    """The plan split into ``count`` parts of about as many sources, a host's sources all in one part (so the
    per-host cap of one crawl holds), deterministically; each part keeps the plan's order."""
    by_host: dict[str, int] = {}
    for entry in plan:
        by_host[_host(entry["url"])] = by_host.get(_host(entry["url"]), 0) + 1
    loads, part_of = [0] * count, {}
    for host, size in sorted(by_host.items(), key=lambda item: (-item[1], item[0])):
        lightest = loads.index(min(loads))
        part_of[host] = lightest
        loads[lightest] += size
    return [[entry for entry in plan if part_of[_host(entry["url"])] == n] for n in range(count)]


def crawl_command(run_dir: Path, store: str, timeout_seconds: float, as_of: str | None, share: int = 1) -> list[str]:
    command = [sys.executable, "-m", "scrapers.crawl", "--plan", str(run_dir / "plan.json"), "--run-dir", str(run_dir)]
    command += ["--store", store, "--timeout", str(timeout_seconds), "--share", str(share)]
    return command + (["--as-of", as_of] if as_of else [])


def _checked(
    records: Iterator[dict[str, Any]],
    processes: list[subprocess.Popen[bytes]],
    output: IO[bytes],
    run_dir: Path,
    parts: list[Path],
) -> Iterator[dict[str, Any]]:
    """The records, then a :class:`CrawlError` if a crawl process failed or left no stats (the landing is then
    discarded by the parse stage); with several crawls, their files are then put together as one crawl's."""
    yield from records
    for process in processes:
        code = process.wait()
        if code != 0:
            output.seek(0)
            tail = output.read().decode("utf-8", "replace")[-2000:]
            raise CrawlError(f"crawl process exited with status {code}: {tail}")
    for part in parts:
        if not (part / "fetches.jsonl").exists() or not (part / "crawl_stats.json").exists():
            raise CrawlError(f"crawl wrote no fetch records in {part}; see {part}/crawl.log")
    if parts != [run_dir]:
        _merge(run_dir, parts)
    crash_point("ingest:crawled")  # inert unless a crash-safety test names it (warehouse/crashpoints.py)


def _merge(run_dir: Path, parts: list[Path]) -> None:
    """The crawls' fetch records, logs and stats as the run's own (sums of the counts; the earliest start, the
    latest finish), then their folders removed."""
    stats: dict[str, Any] = {}
    for name in ("fetches.jsonl", "crawl.log"):
        with (run_dir / name).open("wb") as merged:
            for part in parts:
                if (part / name).exists():
                    merged.write((part / name).read_bytes())
    for part in parts:
        for key, value in json.loads((part / "crawl_stats.json").read_text(encoding="utf-8")).items():
            if key not in stats:
                stats[key] = value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                stats[key] = max(stats[key], value) if key.endswith("/max") else stats[key] + value
            elif key in ("start_time", "finish_time"):
                stats[key] = min(stats[key], value) if key == "start_time" else max(stats[key], value)
            elif value != stats[key]:
                stats[key] = f"{stats[key]}, {value}"
    (run_dir / "crawl_stats.json").write_text(json.dumps(stats, indent=2, default=str), encoding="utf-8")
    for part in parts:
        shutil.rmtree(part, ignore_errors=True)


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
    """Crawl the run's plan in fresh processes and parse each body as its fetch record arrives; returns what the
    stage gives and the crawl's stats. Raises :class:`CrawlError` when a crawl process failed (no landing is left)."""
    for name in ("fetches.jsonl", "crawl_stats.json"):  # a retry never reads the records of the attempt before
        (run_dir / name).unlink(missing_ok=True)
    plan = json.loads((run_dir / "plan.json").read_text(encoding="utf-8"))
    count = crawl_processes(plan)
    parts = [run_dir] if count == 1 else [run_dir / f"crawl-{n + 1}" for n in range(count)]
    if count > 1:
        for part, entries in zip(parts, shard_plan(plan, count), strict=True):
            shutil.rmtree(part, ignore_errors=True)
            part.mkdir()
            (part / "plan.json").write_text(json.dumps(entries), encoding="utf-8")
    with tempfile.TemporaryFile() as output:  # the crawls log to crawl.log; this keeps a traceback, unread otherwise
        processes = [
            subprocess.Popen(
                crawl_command(part, store, timeout_seconds, as_of, count),
                cwd=PROJECT_ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            for part in parts
        ]
        try:

            def running() -> bool:
                return any(process.poll() is None for process in processes)

            records = follow_records([part / "fetches.jsonl" for part in parts], running)
            checked = _checked(records, processes, output, run_dir, parts)
            summary = build_landing(run_dir, Path(store), catalog, run_id, started_at, salt, fetches=checked)
        finally:
            for process in processes:
                if process.poll() is None:  # the stage failed while a crawl ran: no one is left to read it
                    process.kill()
                    process.wait()
    stats: dict[str, Any] = json.loads((run_dir / "crawl_stats.json").read_text(encoding="utf-8"))
    return summary, stats
