"""Run the benchmarks and print one table of figures, baselines and ratios: ``python -m bench`` (``make bench``).

Every baseline runs in the same invocation as the figure it is compared with, so ratios hold on a noisy machine.
Figures are printed, never asserted. Defaults are the sizes of the targets; smaller ones make a quick run:

    python -m bench --sources 500 --load-counts 100000 --load-updates 10000 --query-services 20 --posts 50000
    python -m bench --only load,query
    python -m bench --readme          # also write the table into README.md ("## Benchmarks")
    python -m bench --only complaints  # precision and recall of the complaint rule on the labelled posts
    python -m bench --only bulk --bulk-services 20 --bulk-days 30  # a small bulk-counts import
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import bulk, complaints, lake, load, parse, poll, posts, query, revisions, startup
from bench.common import ROOT, Row, machine, table

SECTION = "## Benchmarks"
# Its own paragraph, kept when the table is rewritten (the posts benchmark alone takes longer than the others).
POSTS_NOTE = (
    "Posts (`--posts`, default 1,000,000): user posts over 90 days for 50 services, counted and baselined by the "
    "warehouse (`build_models`, then `complaint_counts` read in full) against the same counting done row by row in "
    "Python over the same rows, with each side's peak memory and whether their bucket totals agree; at the default "
    "size the warehouse side takes about 8 s on 2 cores and the Python loop about 40 s (where the time goes: "
    "`bench/posts.py`)."
)


def machine_line(info: dict[str, str]) -> str:
    return (
        f"{info['nproc']} cores ({info['cpu']}), {info['memory']} RAM, {info['os']}; Python {info['python']}, "
        f"DuckDB {info['duckdb']}, Scrapy {info['scrapy']}, Prefect {info['prefect']}"
    )


def readme_section(table_text: str, info: dict[str, str], when: str, ran: list[str], took: float) -> str:
    left_out = [name for name in BENCHES if name not in ran]
    which = (
        f"The table is the run of `--only {','.join(ran)}` ({took / 60:.0f} min); "
        f"{', '.join(left_out)} print their own rows when run (their last figures are in CHANGELOG.md). "
        if left_out
        else f"The table is one run of every benchmark ({took / 60:.0f} min). "
    )
    intro = (
        "`make bench` runs every benchmark of `BENCHES` in `bench/__main__.py` at the sizes of the targets "
        '(`make bench BENCH_ARGS="--only load,query --sources 500"` and the other options of `python -m bench --help` '
        "pick and scale down) against baselines run in the same invocation; figures are printed, never asserted. "
        f"{which}Start-up: one `outages ingest` of one "
        "loopback source from a fresh process, against the same ingest as a Prefect flow run with its temporary "
        "server. Poll: Statuspage-style sources with bodies of "
        "5-400 KB (log-uniform, mean 85 KB) on 50 loopback hosts (127.0.0.2-127.0.0.51), each run the real "
        '`outages ingest` command. Query figures marked "stopped" were interrupted at the cap of `--query-cap` '
        f"(60 s; 0 waits). Run of {when} on {machine_line(info)}:"
    )
    intro, posts_note = (textwrap.fill(text, width=118, break_on_hyphens=False) for text in (intro, POSTS_NOTE))
    return f"{SECTION}\n\n{intro}\n\n{table_text}\n\n{posts_note}\n"


def write_readme(section: str, readme: Path = ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", flags=re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    elif "\n## Development" in text:
        text = text.replace("\n## Development", f"\n{section}\n## Development", 1)
    else:
        text = text.rstrip("\n") + f"\n\n{section}"
    readme.write_text(text, encoding="utf-8")


Bench = Callable[[argparse.Namespace, Path], tuple[list[Row], Any]]
# every benchmark by name, in the order they run: the one list --only, its help and the run loop read
BENCHES: dict[str, Bench] = {
    "startup": lambda args, work: startup.run(args.startup_runs, work),
    "poll": lambda args, work: poll.run(args.sources, work),
    "load": lambda args, work: load.run(args.load_counts, args.load_updates, work, args.rowwise_sample),
    "bulk": lambda args, work: bulk.run(args.bulk_services, args.bulk_days, work, python_too=args.bulk_python),
    "query": lambda args, work: query.run(args.query_services, work, args.query_cap),
    "posts": lambda args, work: posts.run(args.posts, work),
    "complaints": lambda _args, _work: complaints.run(),
    # the load's sizes, into a DuckLake against a DuckDB file (bench/lake.py)
    "lake": lambda args, work: lake.run(args.load_counts, args.load_updates, work),
    "revisions": lambda args, work: revisions.run(args.revision_sources, work),
    # the parse stage over Statuspage bodies: DuckDB (scrapers/bulk_statuspage.py) against the Python parser
    "parse": lambda args, work: parse.run(args.parse_sources, work),
}
DEFAULT = tuple(BENCHES)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=int, default=5000, help="poll: status-page sources (default 5000)")
    parser.add_argument("--load-counts", type=int, default=1_000_000, help="load: complaint counts (default 1M)")
    parser.add_argument("--load-updates", type=int, default=100_000, help="load: incident updates (default 100k)")
    parser.add_argument("--rowwise-sample", type=int, default=2_000, help="load: rows upserted one by one")
    parser.add_argument(
        "--query-services",
        type=int,
        default=200,
        help="query: services with a year of counts (default 200: 10.0 M rows)",
    )
    parser.add_argument(
        "--query-cap",
        type=float,
        default=60,
        help="query: stop a measured query after this many seconds, shown as '> N s' (0: never)",
    )
    parser.add_argument(
        "--posts",
        type=int,
        default=1_000_000,
        help="posts: user posts over 90 days for 50 services, counted and baselined (default 1M)",
    )
    parser.add_argument("--bulk-services", type=int, default=200, help="bulk: services in each daily CSV (200)")
    parser.add_argument(
        "--bulk-days", type=int, default=60, help="bulk: daily CSV files (default 60: 1.15 M rows; 365 is 7.0 M)"
    )
    parser.add_argument(
        "--bulk-python", action="store_true", help="bulk: also the whole ingest with every body parsed in Python"
    )
    parser.add_argument(
        "--revision-sources", type=int, default=200, help="revisions: Statuspage sources read 2,000 times (default 200)"
    )
    parser.add_argument(
        "--parse-sources", type=int, default=3000, help="parse: Statuspage bodies parsed both ways (default 3000)"
    )
    parser.add_argument("--startup-runs", type=int, default=3, help="startup: runs of each command (median shown)")
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT),
        help=f"comma-separated subset of {','.join(BENCHES)} (default {','.join(DEFAULT)})",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep the files here (default: a temp dir)")
    parser.add_argument("--json", type=Path, default=None, help="also write every raw figure to this JSON file")
    parser.add_argument("--readme", action="store_true", help="write the table into README.md under '## Benchmarks'")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(chosen) - set(BENCHES)
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {', '.join(sorted(unknown))}")

    info = machine()
    print(f"machine: {machine_line(info)}", flush=True)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="outages-bench-"))
    rows: list[Row] = []
    raw: dict[str, Any] = {"machine": info}
    started = time.perf_counter()
    try:
        for name in chosen:
            found, raw[name] = BENCHES[name](args, workdir / name)
            rows += found
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    when = f"{datetime.now(UTC):%Y-%m-%d}"
    took = time.perf_counter() - started
    print(f"\nbenchmarks took {took:.0f} s\n")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2, default=str), encoding="utf-8")
    if args.readme:
        write_readme(readme_section(table(rows), info, when, chosen, took))
        print("\nREADME.md: table written under '## Benchmarks'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
