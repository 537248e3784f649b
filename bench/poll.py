"""Poll benchmark: N Statuspage-style sources on 50 loopback hosts, polled by the real ``outages ingest`` command.

Measured, each in a fresh process: a one-source run (the fixed start-up every run pays: Python, the flow's steps,
the Scrapy process, DuckDB; no Prefect server, as a bare command has none), the first full run, and a second full
run with nothing changed on the server. Baseline, in the same benchmark run: a plain asyncio + httpx fetch of the
same URLs with the crawl's own concurrency limits (total and per host), reading each body and doing nothing with it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row, emit, fmt_mib, fmt_s, run_child, verdict
from bench.statusserver import HOSTS, source_url

GIB = 1024.0  # MiB


def write_catalog(path: Path, sources: range, port: int) -> Path:
    lines = ["services:"]
    lines += [f"  - {{id: svc-{i}, name: Provider {i}, aliases: [provider-{i}], depends_on: []}}" for i in sources]
    lines.append("sources:")
    lines += [f'  - {{id: src-{i}, kind: statuspage, url: "{source_url(i, port)}", service: svc-{i}}}' for i in sources]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_server(sources: int) -> subprocess.Popen[str]:
    """Start the status server; it prints ``ready <port> <bytes>`` once every body is generated."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.statusserver", "--sources", str(sources)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_for_server(server: subprocess.Popen[str]) -> tuple[int, int]:
    assert server.stdout is not None
    line = server.stdout.readline().split()
    if not line or line[0] != "ready":
        server.kill()
        raise RuntimeError("the benchmark status server did not start")
    return int(line[1]), int(line[2])


# --- child processes -------------------------------------------------------------------------------------------


def child_ingest(catalog: str, db: str, timeout: float) -> None:
    """Run ``outages ingest`` in this process, with its parse and load steps timed; print the result as JSON."""
    started = time.perf_counter()
    import resource

    import flows.crawl_stage as crawl_module
    import flows.ingest as ingest_module
    from flows.cli import main
    from flows.paths import runs_dir

    marks: dict[str, float] = {}  # wall-clock times (time.time: compared with the crawl's own file times)

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            marks[f"{name}_start"], marks[f"{name}_cpu"] = time.time(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                marks[f"{name}_end"], marks[f"{name}_cpu"] = time.time(), time.process_time() - marks[f"{name}_cpu"]

        return wrapper

    # the crawl step: the crawl process with the parse of each body as it arrives (build_landing follows the records)
    for module, name, attribute in ((crawl_module, "crawl", "build_landing"), (ingest_module, "load", "load_landing")):
        setattr(module, attribute, timed(name, getattr(module, attribute)))
    imported_at = time.time()
    imported = time.perf_counter()
    try:
        main(["ingest", "--sources", catalog, "--db", db, "--timeout", str(timeout)], standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finished = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the crawl process(es): this run's only children
    run = max(runs_dir(db).iterdir(), key=lambda p: p.name)
    stats = json.loads((run / "crawl_stats.json").read_text(encoding="utf-8"))
    # Scrapy's own time: from its start to the fetch records' feed being closed
    crawl_started = datetime.fromisoformat(stats["start_time"]).timestamp() if "start_time" in stats else None
    crawl_ended = (run / "fetches.jsonl").stat().st_mtime  # the last fetch record written
    scrapy_s = crawl_ended - crawl_started if crawl_started else None
    emit(
        {
            "exit_code": code,
            "import_s": imported - started,
            "command_s": finished - imported,
            "before_crawl_s": marks.get("crawl_start", imported_at) - imported_at,  # catalog, previous reads, plan
            "crawl_s": marks.get("crawl_end", 0) - marks.get("crawl_start", 0),  # crawl process + overlapped parse
            "scrapy_s": scrapy_s,
            "stage_s": marks.get("crawl_end", 0) - crawl_ended,  # parse left after the crawl's last record
            "load_s": marks.get("load_end", 0) - marks.get("load_start", 0),
            "after_load_s": time.time() - marks.get("load_end", time.time()),  # artifacts, summary
            "responses": stats.get("downloader/response_count", 0),
            "status_200": stats.get("downloader/response_status_count/200", 0),
            "status_304": stats.get("downloader/response_status_count/304", 0),
            "response_bytes": stats.get("downloader/response_bytes", 0),
            "crawl_peak_rss_mib": children.ru_maxrss / 1024,
            # CPU time, less sensitive than wall time to a busy machine: this process's in the crawl step (the parse,
            # and following the records) and the crawl process's
            "crawl_step_cpu_s": marks.get("crawl_cpu", 0.0),
            "crawl_cpu_s": children.ru_utime + children.ru_stime,
        }
    )


def child_baseline(urls_file: str, total: int, per_host: int, timeout: float) -> None:
    """Fetch every URL with httpx under the same limits as the crawl; read each body, keep nothing."""
    import httpx

    urls = Path(urls_file).read_text(encoding="utf-8").split()

    async def fetch_all() -> tuple[int, int, int]:
        hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))
        ok = failed = size = 0
        limits = httpx.Limits(max_connections=total, max_keepalive_connections=total)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
            gate = asyncio.Semaphore(total)

            async def one(url: str) -> None:
                nonlocal ok, failed, size
                async with gate, hosts[httpx.URL(url).host]:
                    try:
                        response = await client.get(url)
                        size += len(response.content)
                        ok += response.status_code == 200
                    except httpx.HTTPError:
                        failed += 1

            await asyncio.gather(*(one(url) for url in urls))
        return ok, failed, size

    started = time.perf_counter()
    ok, failed, size = asyncio.run(fetch_all())
    emit({"fetch_s": time.perf_counter() - started, "ok": ok, "failed": failed, "bytes": size})


# --- the benchmark ---------------------------------------------------------------------------------------------


def run(sources: int, workdir: Path, timeout: float = 30.0, echo: Any = print) -> tuple[list[Row], dict[str, Any]]:
    from scrapers.settings import crawl_settings

    settings = crawl_settings(timeout_seconds=timeout, log_file=None)
    total, per_host = int(settings["CONCURRENT_REQUESTS"]), int(settings["CONCURRENT_REQUESTS_PER_DOMAIN"])
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PREFECT_HOME": str(workdir / "prefect-home"),  # its own ephemeral-server database, not ~/.prefect
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    started = time.perf_counter()
    server = start_server(sources)
    try:
        # While the server generates its bodies: a run that creates the Prefect database and warms the file cache
        # (its one source points at a closed port, so it fails fast); not counted.
        warmup = workdir / "warmup.yaml"
        warmup.write_text(
            "services:\n  - {id: svc, name: S}\nsources:\n"
            '  - {id: src, kind: statuspage, url: "http://127.0.0.1:9/s.json", service: svc}\n',
            encoding="utf-8",
        )
        run_child("bench.poll", ["ingest", str(warmup), str(workdir / "warmup.duckdb"), "5"], env=env)
        port, body_bytes = wait_for_server(server)
        echo(
            f"  poll: server up with {sources:,} sources on {len(HOSTS)} hosts, {body_bytes / 1e6:.0f} MB of "
            f"bodies, in {time.perf_counter() - started:.0f} s (a warm-up run alongside)"
        )
        urls = workdir / "urls.txt"
        urls.write_text("\n".join(source_url(i, port) for i in range(sources)), encoding="utf-8")
        args = [str(urls), str(total), str(per_host), str(timeout)]
        base = run_child("bench.poll", ["baseline", *args], env=env)
        echo(f"  poll: baseline fetch {fmt_s(base['fetch_s'])} ({base['ok']} ok, {base['failed']} failed)")

        one = write_catalog(workdir / "one.yaml", range(1), port)
        full = write_catalog(workdir / "full.yaml", range(sources), port)

        def ingest(catalog: Path, db: str) -> dict[str, Any]:
            result = run_child("bench.poll", ["ingest", str(catalog), str(workdir / db), str(timeout)], env=env)
            if result["exit_code"] != 0:
                raise RuntimeError(f"ingest of {catalog.name} exited {result['exit_code']}")
            return result

        startup = ingest(one, "one.duckdb")
        echo(f"  poll: one-source run {fmt_s(startup['wall_s'])}")
        first = ingest(full, "poll.duckdb")
        echo(
            f"  poll: first run {fmt_s(first['wall_s'])} (crawl + parse {fmt_s(first['crawl_s'])}, parse after the "
            f"crawl {fmt_s(first['stage_s'])}, load {fmt_s(first['load_s'])})"
        )
        second = ingest(full, "poll.duckdb")
        echo(f"  poll: unchanged re-poll {fmt_s(second['wall_s'])} ({second['status_304']} answered 304)")
    finally:
        server.kill()
        server.wait()

    fixed = startup["wall_s"]
    first_s, second_s, base_s = first["wall_s"], second["wall_s"], base["fetch_s"]
    ratio_base = first_s / base_s
    repoll = (second_s - fixed) / max(first_s - fixed, 1e-9)
    peak = max(first["peak_rss_mib"], second["peak_rss_mib"])
    crawl_peak = max(first["crawl_peak_rss_mib"], second["crawl_peak_rss_mib"])
    n = f"{sources:,}"
    split = "  of which before the crawl / crawl step (Scrapy; parse after it) / load / after"

    def parts(r: dict[str, Any]) -> str:
        return (
            f"{fmt_s(r['before_crawl_s'])} / {fmt_s(r['crawl_s'])} ({fmt_s(r['scrapy_s'] or 0)}; "
            f"{fmt_s(max(r['stage_s'], 0))}) / {fmt_s(r['load_s'])} / {fmt_s(r['after_load_s'])}"
        )

    rows = [
        Row(
            "poll",
            f"first run, {n} sources",
            fmt_s(first_s),
            f"{fmt_s(base_s)} bare fetch",
            f"{ratio_base:.1f}x",
            "≤ 2.5x",
            verdict(ratio_base <= 2.5),
        ),
        Row("poll", "  sources per second", f"{sources / first_s:.0f}/s", f"{sources / base_s:.0f}/s"),
        Row("poll", split, parts(first)),
        Row(
            "poll",
            "unchanged re-poll",
            fmt_s(second_s),
            f"{fmt_s(first_s)} first run",
            f"{repoll:.0%} after start-up",
            "≤ 20 %",
            verdict(repoll <= 0.20),
        ),
        Row("poll", split, parts(second), "", f"{second['status_304']} x 304"),
        Row("poll", "fixed start-up (one-source run)", fmt_s(fixed)),
        Row(
            "poll",
            "  CPU in the crawl step, flow process (parse) / crawl process: first run; re-poll",
            f"{fmt_s(first['crawl_step_cpu_s'])} / {fmt_s(first['crawl_cpu_s'])}; "
            f"{fmt_s(second['crawl_step_cpu_s'])} / {fmt_s(second['crawl_cpu_s'])}",
        ),
        Row(
            "poll",
            "peak RSS flow process / crawl process",
            f"{fmt_mib(peak)} / {fmt_mib(crawl_peak)}",
            "",
            "",
            "≤ 1.5 GiB",
            verdict(peak + crawl_peak <= 1.5 * GIB),
        ),
    ]
    details = {"startup": startup, "first": first, "second": second, "baseline": base, "body_bytes": body_bytes}
    return rows, details


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    ingest = sub.add_parser("ingest")
    ingest.add_argument("catalog")
    ingest.add_argument("db")
    ingest.add_argument("timeout", type=float)
    baseline = sub.add_parser("baseline")
    baseline.add_argument("urls")
    baseline.add_argument("total", type=int)
    baseline.add_argument("per_host", type=int)
    baseline.add_argument("timeout", type=float)
    args = parser.parse_args(argv)
    if args.mode == "ingest":
        child_ingest(args.catalog, args.db, args.timeout)
    else:
        child_baseline(args.urls, args.total, args.per_host, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
