"""Parse-stage benchmark: Statuspage ``summary.json`` bodies (bench/statusserver.py's generator, 5-400 KB, mean about
85 KB) parsed set-based by DuckDB (scrapers/bulk_statuspage.py) against the Python parser, over the same stored bodies
and fetch records, each in a fresh process and one worker (``build_landing(workers=1)``), with its CPU time and peak
memory. Three ways for a big run (``--parse-sources``, default 3,000): every body in Python (``OUTAGES_BULK_PARSE=0``,
the baseline, and the default since the parser costs less CPU), every body to DuckDB (``=all``), and the reader named
(``=statuspage``: DuckDB in batches of 32 MB, the Python parser below 16 MB); and for a small run (10 bodies) the
reader named against Python, and DuckDB forced, which shows the fixed cost the threshold avoids. The landing of each
way has the same rows (tests/test_bulk_statuspage.py compares them field by field; here the row counts are checked).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Row, emit, fmt_mib, fmt_s, run_child

AT = "2021-12-07T15:30:00+00:00"
SMALL = 10


def write_run(folder: Path, sources: int) -> dict[str, Any]:
    """``sources`` Statuspage sources, each fetched once: their bodies in a store, the run's plan and fetch records,
    and the catalog."""
    from bench.statusserver import make_body
    from scrapers.spider import store_body

    store, run_dir = folder / "bodies", folder / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    lines = ["services:", "  - {id: svc, name: Service}", "sources:"]
    plan, fetches, total = [], [], 0
    for i in range(sources):
        body = make_body(i)
        total += len(body)
        url = f"http://127.0.0.{2 + i % 50}/s/{i}.json"
        lines.append(f'  - {{id: sp-{i}, kind: statuspage, service: svc, url: "{url}"}}')
        plan.append({"source_id": f"sp-{i}", "kind": "statuspage", "url": url, "validators": []})
        fetches.append(
            {
                "source_id": f"sp-{i}",
                "url": url,
                "final_url": url,
                "fetched_at": AT,
                "http_status": 200,
                "content_type": "application/json",
                "sha256": store_body(store, body),
                "bytes": len(body),
                "withheld": False,
                "meta": {},
                "error": None,
            }
        )
    (run_dir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    (run_dir / "fetches.jsonl").write_text("".join(json.dumps(f) + "\n" for f in fetches), encoding="utf-8")
    (folder / "catalog.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"sources": sources, "bytes": total}


def child_stage(folder: str) -> None:
    """The parse stage alone over the run, into a copy of its folder (the mode is the environment's)."""
    from scrapers.catalog import load_catalog
    from scrapers.landing import build_landing

    run_dir = Path(folder) / "run"
    copy = run_dir.with_name(f"run-{os.getpid()}")
    copy.mkdir()
    for name in ("plan.json", "fetches.jsonl"):
        shutil.copy(run_dir / name, copy / name)
    catalog = load_catalog(Path(folder) / "catalog.yaml")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started, cpu = time.perf_counter(), usage.ru_utime + usage.ru_stime
    summary = build_landing(copy, Path(folder) / "bodies", catalog, "bench", datetime.now(UTC), workers=1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    emit(
        {
            "stage_s": time.perf_counter() - started,
            "cpu_s": usage.ru_utime + usage.ru_stime - cpu,
            "rows": {k: v for k, v in summary.rows.items() if k not in ("runs", "services", "sources")},
            "failed": summary.sources_failed,
        }
    )
    shutil.rmtree(copy, ignore_errors=True)


def _stage(folder: Path, mode: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    return run_child("bench.parse", [str(folder)], env={**env, "OUTAGES_BULK_PARSE": mode})


def run(sources: int, workdir: Path, echo: Any = print) -> tuple[list[Row], dict[str, Any]]:
    big, small = workdir / "big", workdir / "small"
    started = time.perf_counter()
    written = write_run(big, sources)
    write_run(small, SMALL)
    took = time.perf_counter() - started
    echo(f"  parse: wrote {sources} Statuspage bodies, {written['bytes'] / 1e6:.0f} MB, in {took:.0f} s")
    load = os.getloadavg()[0]
    figures = {
        "python": _stage(big, "0"),
        "sql": _stage(big, "all"),
        "default": _stage(big, "statuspage"),
        "small_python": _stage(small, "0"),
        "small_default": _stage(small, "statuspage"),
        "small_sql": _stage(small, "all"),
    }
    figures["load_average"] = [load, os.getloadavg()[0]]
    same = figures["python"]["rows"] == figures["sql"]["rows"] == figures["default"]["rows"]
    base = figures["python"]
    rows = []
    for key, label in (("sql", "every body to DuckDB"), ("default", "reader named (DuckDB in 32 MB batches)")):
        got = figures[key]
        rows.append(
            Row(
                "parse",
                f"{sources} Statuspage bodies ({written['bytes'] / 1e6:.0f} MB), {label}",
                f"{fmt_s(got['stage_s'])}, CPU {fmt_s(got['cpu_s'])}, peak {fmt_mib(got['peak_rss_mib'])}",
                f"{fmt_s(base['stage_s'])}, CPU {fmt_s(base['cpu_s'])}, peak {fmt_mib(base['peak_rss_mib'])} Python",
                f"{got['stage_s'] / base['stage_s']:.2f}x (CPU {got['cpu_s'] / base['cpu_s']:.2f}x)",
                "",
                "same rows" if same else "**rows differ**",
            )
        )
    small_base = figures["small_python"]
    for key, label in (("small_default", "reader named (below the threshold: Python)"), ("small_sql", "DuckDB forced")):
        got = figures[key]
        rows.append(
            Row(
                "parse",
                f"  {SMALL} bodies, {label}",
                fmt_s(got["stage_s"]),
                f"{fmt_s(small_base['stage_s'])} Python",
                f"{got['stage_s'] / small_base['stage_s']:.2f}x",
            )
        )
    echo(f"  parse: load average {load:.1f} before, {figures['load_average'][1]:.1f} after")
    return rows, {"written": written, **figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder")
    child_stage(parser.parse_args(argv).folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
