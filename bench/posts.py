"""Posts benchmark: one million user posts over 90 days for 50 services, counted and baselined by the warehouse.

The posts are written into ``raw_posts`` by DuckDB itself (deterministic: every choice is a ``hash()`` of the post's
number). Authors post four times each within 90 minutes, so the 60-minute repeat rule has repeats to drop; a fifth of
an author's posts name another service than their usual one; about half read like complaints (in five languages),
the rest name a service without complaining, one in twenty names two services and one in twenty none. Every tenth
service has an ``exclude`` phrase that some posts use ("app3 rainforest"). 2 % of the posts are 100 surges (2 a
service) of complaints from distinct authors within two hours, so the rule has spikes to find. The 50 services, with
their names and aliases, go into ``raw_services``.

Measured, each in a fresh process on the same file:

- the warehouse: ``build_models`` (which computes the complaint-count series when they are a table), then
  ``complaint_counts`` read in full (15-minute bucket totals of the counted ``complaints``, baseline, spike flag);
- the baseline: the same counting done row by row in plain Python over the same rows fetched from ``raw_posts``:
  word-boundary service match after the service's exclusions, the complaint pattern of ``stg_complaint_rule``, 60
  minutes between counted complaints of one author about one service, 15-minute buckets (totals only, no baselines:
  the comparison favours Python).

Both write their bucket totals (service, bucket, reports > 0) to a CSV file; the table says whether they agree.
Figures are printed, never asserted. ``python -m bench --only posts --posts 50000`` is a quick run.

Where the warehouse's time goes (``EXPLAIN ANALYZE`` of ``complaints`` over 100,000 posts: 1.3 s on 2 cores): every post
meets every service, 5,000,000 pairs. Half of it is finding which pairs have one of the service's names in the text at
all (163,302 do), a sixth making each pair's text (the exclusion phrases blanked out, for the services that have some),
a fifth settling the pairs found by where each name first occurs (word boundaries on both sides, or its only occurrence
without them: all but 698, which the service's word-boundary pattern settles), and the rest the repeat window. The
regular expressions cost this little because the model applies almost none built from row values: DuckDB compiles those
again for every row (about 20 µs a post-and-service pair for the names pattern, 130 µs for the complaint pattern when it
arrived through a cross join with ``stg_complaint_rule``, against 0.3 µs a row once compiled), which took about 10
minutes for 1,000,000 posts when both were applied to every row they met. The complaint pattern is now the macro
``complaint_pattern()``, a constant. The time grows with posts x services: 1,000,000 posts take about 8 s with both of 2
cores busy, against 41 s for the Python loop on one (100,000 posts: 2.9 s, 109 s before).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Row, emit, fmt_mib, fmt_s, run_child

SERVICES = 50
DAYS = 90
POSTS_PER_AUTHOR = 4
SURGES_PER_SERVICE = 2
START = "2021-09-01 00:00:00+00"

# {m} is where a service is named; the complaint ones match stg_complaint_rule, the neutral ones do not.
COMPLAINTS = [
    "{m} is down again?",
    "is {m} down for everyone or just me",
    "{m} not working since this morning",
    "can't log in to {m} at all",
    "{m} outage right now, great timing",
    "getting error 503 from {m} on every request",
    "{m} no funciona desde hace una hora",
    "{m} ne marche pas ce matin",
    "{m} funktioniert nicht",
    "{m} 落ちてる?",
]
NEUTRAL = [
    "just shipped a new feature on {m}",
    "loving the new {m} dashboard",
    "{m} changed their pricing again",
    "anyone using {m} for backups?",
    "migrating our team from {m} next quarter",
    "great talk about {m} at the meetup",
]
NO_SERVICE = ["the internet is down today", "my coffee machine is not working", "what a lovely morning"]


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + "]"


def generate(con: Any, posts: int) -> dict[str, int]:
    """``posts`` rows of ``raw_posts`` and the 50 services they name; returns what was written."""
    con.execute(
        f"""
        INSERT INTO raw_services (service_id, name, aliases, depends_on, exclusions)
        SELECT 'svc' || lpad(s::varchar, 2, '0'), 'Service ' || s, ['app' || s, 'app-' || s], [],
               CASE WHEN s % 10 = 3 THEN ['app' || s || ' rainforest'] ELSE [] END
        FROM range({SERVICES}) t(s)
        """
    )
    surge_posts = posts // 50
    regular = posts - surge_posts
    seconds = DAYS * 86400
    # a service is named by its id, name or an alias, in any case; s2 is a second service for two-service posts
    mention = (
        "list_extract(['svc' || lpad({s}::varchar, 2, '0'), 'Service ' || {s}, 'app' || {s}, 'APP-' || {s}, "
        "'#app' || {s}], (hash(i, 'form') % 5 + 1)::int)"
    )
    con.execute(
        f"""
        INSERT INTO raw_posts (uri, post_id, source_id, native_id, url, posted_at, author_hash, text, lang,
                               first_seen_at, source_url)
        WITH regular AS (
            SELECT i,
                   i // {POSTS_PER_AUTHOR} AS a,
                   CASE WHEN hash(i, 'other') % 5 = 0 THEN hash(i, 'svc') % {SERVICES}
                        ELSE hash(i // {POSTS_PER_AUTHOR}, 'svc') % {SERVICES} END AS s,
                   hash(i, 'second') % {SERVICES} AS s2,
                   -- an author's posts fall within 90 minutes of each other: some are repeats, some are not
                   hash(i // {POSTS_PER_AUTHOR}, 'at') % ({seconds} - 7200) + hash(i, 'dt') % 5400 AS offset_s,
                   hash(i, 'kind') % 20 AS kind
            FROM range({regular}) t(i)
        ),
        regular_text AS (
            SELECT i, a, offset_s,
                   CASE
                       WHEN kind = 0 THEN list_extract({_sql_list(NO_SERVICE)}, (hash(i, 't') % 3 + 1)::int)
                       WHEN kind = 1 THEN {mention.format(s="s")} || ' and ' || {mention.format(s="s2")}
                                          || ' are down'
                       WHEN s % 10 = 3 AND kind = 2 THEN 'photos of the app' || s || ' rainforest'
                       WHEN kind < 12 THEN replace(list_extract({_sql_list(COMPLAINTS)},
                                                   (hash(i, 't') % {len(COMPLAINTS)} + 1)::int), '{{m}}',
                                           {mention.format(s="s")})
                       ELSE replace(list_extract({_sql_list(NEUTRAL)}, (hash(i, 't') % {len(NEUTRAL)} + 1)::int),
                                    '{{m}}', {mention.format(s="s")})
                   END AS text
            FROM regular
        ),
        surge AS (
            -- complaints from distinct authors about one service within two hours
            SELECT {regular} + j AS i, -1 - j AS a, e % {SERVICES} AS s,
                   (hash(e, 'surge') % ({DAYS} - 20) + 10) * 86400 + hash(e, 'slot') % 80000
                       + hash(j, 'in') % 7200 AS offset_s
            FROM (SELECT j, hash(j, 'event') % {SERVICES * SURGES_PER_SERVICE} AS e FROM range({surge_posts}) t(j))
        ),
        surge_text AS (
            SELECT i, a, offset_s,
                   replace(list_extract({_sql_list(COMPLAINTS)}, (hash(i, 't') % {len(COMPLAINTS)} + 1)::int),
                           '{{m}}', 'Service ' || s) AS text
            FROM surge
        ),
        everything AS (
            SELECT * FROM regular_text UNION ALL SELECT * FROM surge_text
        )
        SELECT 'at://bench/' || i, 'bench-posts:' || i, 'bench-posts', i::varchar, 'http://127.0.0.1/p/' || i,
               TIMESTAMPTZ '{START}' + to_seconds(offset_s::bigint), printf('%016x', hash(a, 'author')), text, NULL,
               TIMESTAMPTZ '{START}' + INTERVAL {DAYS} DAY, 'http://127.0.0.1/posts.json'
        FROM everything
        """
    )
    # the one successful read that brought them: it covers the 90 days, so a bucket without posts is a real 0
    con.execute(
        f"""
        INSERT INTO raw_fetches (run_id, source_id, url, fetched_at, http_status, sha256, meta)
        VALUES ('bench', 'bench-posts', 'http://127.0.0.1/posts.json', TIMESTAMPTZ '{START}' + INTERVAL {DAYS} DAY,
                200, repeat('0', 64),
                json_object('since', TIMESTAMPTZ '{START}', 'until', TIMESTAMPTZ '{START}' + INTERVAL {DAYS} DAY))
        """
    )
    written = con.execute("SELECT count(*), count(DISTINCT author_hash) FROM raw_posts").fetchone()
    return {"posts": int(written[0]), "authors": int(written[1]), "services": SERVICES}


def write_totals(path: Path, totals: list[tuple[str, int, int]]) -> str:
    """(service, bucket epoch, reports) sorted, to CSV; returns their sha256 to compare the two sides by."""
    totals = sorted(totals)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(totals)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cpu_seconds() -> float:
    """CPU time of this process so far, all threads: against wall time, how many cores the work used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- child processes -------------------------------------------------------------------------------------------


def child_generate(db: str, posts: int) -> None:
    from warehouse.db import connect, migrate

    con = connect(db)
    migrate(con)
    started = time.perf_counter()
    written = generate(con, posts)
    con.execute("CHECKPOINT")
    con.close()
    emit({"generate_s": time.perf_counter() - started, **written})


def child_warehouse(db: str, totals_csv: str) -> None:
    """The warehouse's own counting: models built, then the public views read in full."""
    from warehouse.db import connect
    from warehouse.models import build_models

    con = connect(db)
    cpu_started = cpu_seconds()
    started = time.perf_counter()
    build_models(con)
    models_s = time.perf_counter() - started

    # every column the analyst sees, so the baselines and the spike flags are computed, not pruned away
    started = time.perf_counter()
    con.execute(
        """
        CREATE TEMP TABLE measured AS
        SELECT service_id, bucket_start, reports, baseline, baseline_quality, over_line, is_spike FROM complaint_counts
        """
    )
    counts_s = time.perf_counter() - started
    cpu_s = cpu_seconds() - cpu_started

    summary = con.execute("SELECT count(*), count(baseline), count_if(is_spike), sum(reports) FROM measured").fetchone()
    totals = con.execute(
        "SELECT service_id, epoch(bucket_start)::bigint, reports FROM measured WHERE reports > 0"
    ).fetchall()
    con.close()
    emit(
        {
            "models_s": models_s,
            "counts_s": counts_s,
            "cpu_s": cpu_s,
            "buckets": summary[0],
            "baselined": summary[1],
            "spike_buckets": summary[2],
            "reports": summary[3],
            "digest": write_totals(Path(totals_csv), totals),
        }
    )


@dataclass
class Service:
    service_id: str
    names: re.Pattern[str]
    exclusions: list[re.Pattern[str]]


def published_rule() -> tuple[re.Pattern[str], timedelta]:
    """The complaint pattern and repeat window as the models publish them (``stg_complaint_rule``)."""
    from warehouse.db import connect, migrate
    from warehouse.models import build_models

    con = connect(":memory:")
    migrate(con)
    build_models(con)
    pattern, window = con.execute("SELECT pattern, repeat_window FROM stg_complaint_rule").fetchone()  # type: ignore[misc]
    con.close()
    return re.compile(pattern), window


def catalog(rows: list[tuple[str, str, list[str], list[str] | None]]) -> list[Service]:
    """Each service's names on word boundaries (RE2's [[:alnum:]] is ASCII), and its exclusion phrases."""
    services = []
    for service_id, name, aliases, exclusions in rows:
        names = dict.fromkeys(n.lower() for n in [service_id, name, *aliases])
        alternation = "|".join(re.escape(n) for n in names)
        services.append(
            Service(
                service_id,
                re.compile(rf"(?:^|[^0-9A-Za-z])(?:{alternation})(?:$|[^0-9A-Za-z])"),
                [re.compile(re.escape(phrase.lower())) for phrase in exclusions or []],
            )
        )
    return services


def count_rowwise(
    posts: list[tuple[str, datetime, str, str]], services: list[Service], rule: re.Pattern[str], window: timedelta
) -> list[tuple[str, int, int]]:
    """The counting of ``stg_complaints`` and ``stg_complaint_counts``, one post and one service at a time."""
    complaints: list[tuple[datetime, str, str, str]] = []
    for uri, posted_at, author, text in posts:
        lowered = text.lower()
        is_complaint: bool | None = None
        for service in services:
            service_text = lowered
            for phrase in service.exclusions:
                service_text = phrase.sub(" ", service_text)
            if not service.names.search(service_text):
                continue
            if is_complaint is None:
                is_complaint = rule.search(lowered) is not None
            if is_complaint:
                complaints.append((posted_at, uri, service.service_id, author))
    # a complaint counts unless the author's previous complaint about the service is less than the window before
    complaints.sort()
    previous: dict[tuple[str, str], datetime] = {}
    buckets: Counter[tuple[str, int]] = Counter()
    for posted_at, _uri, service_id, author in complaints:
        last = previous.get((service_id, author))
        if last is None or posted_at - last >= window:
            epoch = int(posted_at.timestamp())
            buckets[(service_id, epoch - epoch % 900)] += 1
        previous[(service_id, author)] = posted_at
    return [(service_id, bucket, reports) for (service_id, bucket), reports in buckets.items()]


def child_rowwise(db: str, totals_csv: str) -> None:
    from warehouse.db import connect

    rule, window = published_rule()
    con = connect(db, read_only=True)
    started = time.perf_counter()
    posts = con.execute("SELECT uri, posted_at, author_hash, text FROM raw_posts").fetchall()
    services = catalog(con.execute("SELECT service_id, name, aliases, exclusions FROM raw_services").fetchall())
    fetch_s = time.perf_counter() - started
    con.close()
    started = time.perf_counter()
    totals = count_rowwise(posts, services, rule, window)
    count_s = time.perf_counter() - started
    emit(
        {
            "fetch_s": fetch_s,
            "count_s": count_s,
            "posts": len(posts),
            "reports": sum(reports for _s, _b, reports in totals),
            "digest": write_totals(Path(totals_csv), totals),
        }
    )


# --- the benchmark ---------------------------------------------------------------------------------------------


def disagreement(left: Path, right: Path) -> int:
    """How many (service, bucket) totals differ between the two CSV files."""

    def read(path: Path) -> dict[tuple[str, str], str]:
        with path.open(encoding="utf-8", newline="") as handle:
            return {(service, bucket): reports for service, bucket, reports in csv.reader(handle)}

    a, b = read(left), read(right)
    return sum(1 for key in a.keys() | b.keys() if a.get(key) != b.get(key))


def relative(figure: float, baseline: float) -> str:
    """The figure against its baseline, as a factor faster or slower (never a fraction of an x)."""
    return f"{baseline / figure:.1f}x faster" if figure <= baseline else f"{figure / baseline:.1f}x slower"


def run(posts: int, workdir: Path, echo: Any = print) -> tuple[list[Row], dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "posts.duckdb"
    db.unlink(missing_ok=True)
    generated = run_child("bench.posts", ["generate", str(db), str(posts)])
    echo(
        f"  posts: generated {generated['posts']:,} posts by {generated['authors']:,} authors in "
        f"{fmt_s(generated['generate_s'])}"
    )
    sql_csv, python_csv = workdir / "totals-warehouse.csv", workdir / "totals-python.csv"
    wh = run_child("bench.posts", ["warehouse", str(db), str(sql_csv)], timeout=7200)
    sql_s = wh["models_s"] + wh["counts_s"]
    echo(
        f"  posts: warehouse {fmt_s(sql_s)} (build_models {fmt_s(wh['models_s'])}, complaint_counts read "
        f"{fmt_s(wh['counts_s'])}; {wh['cpu_s'] / sql_s:.1f} cores busy on average): {wh['reports']:,} counted "
        "complaints"
    )
    py = run_child("bench.posts", ["rowwise", str(db), str(python_csv)], timeout=7200)
    echo(f"  posts: Python row by row {fmt_s(py['count_s'])} after fetching the rows in {fmt_s(py['fetch_s'])}")
    differing = 0 if wh["digest"] == py["digest"] else disagreement(sql_csv, python_csv)
    agree = "yes" if differing == 0 else f"**no**: {differing:,} buckets differ"
    rows = [
        Row(
            "posts",
            f"count + baseline {generated['posts']:,} posts, {SERVICES} services, {DAYS} days",
            fmt_s(sql_s),
            f"{fmt_s(py['count_s'])} row by row in Python (counts only)",
            relative(sql_s, py["count_s"]),
        ),
        Row(
            "posts",
            "  of which build_models / complaint_counts read in full",
            f"{fmt_s(wh['models_s'])} / {fmt_s(wh['counts_s'])}",
            f"+ {fmt_s(py['fetch_s'])} to fetch the rows into Python",
        ),
        Row(
            "posts",
            "  same bucket totals",
            agree,
            f"{wh['reports']:,} reports in {wh['buckets']:,} buckets, {wh['spike_buckets']:,} spike buckets",
        ),
        Row(
            "posts",
            "  peak RSS warehouse / Python",
            f"{fmt_mib(wh['peak_rss_mib'])} / {fmt_mib(py['peak_rss_mib'])}",
        ),
    ]
    return rows, {"generated": generated, "warehouse": wh, "rowwise": py, "differing_buckets": differing}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("db")
    gen.add_argument("posts", type=int)
    for mode in ("warehouse", "rowwise"):
        side = sub.add_parser(mode)
        side.add_argument("db")
        side.add_argument("totals_csv")
    args = parser.parse_args(argv)
    if args.mode == "generate":
        child_generate(args.db, args.posts)
    elif args.mode == "warehouse":
        child_warehouse(args.db, args.totals_csv)
    else:
        child_rowwise(args.db, args.totals_csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
