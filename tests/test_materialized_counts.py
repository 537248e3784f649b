"""The complaint-count series are a table refreshed by each load: only where the load's rows fall, with the same
result as computing everything again."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

import warehouse.models
from warehouse.db import connect
from warehouse.load import load_landing, load_steps
from warehouse.models import build_models, service_batches

START = datetime(2021, 10, 4, tzinfo=UTC)  # a Monday
BUCKET = timedelta(minutes=15)
SERVICES = [
    {"service_id": "aws", "name": "AWS", "aliases": ["amazon web services"], "depends_on": [], "exclusions": []},
    {"service_id": "slack", "name": "Slack", "aliases": [], "depends_on": ["aws"], "exclusions": []},
]


def count_rows(source: str, service: str, first: int, last: int, level: int, surge: range = range(0)) -> list[dict]:
    """Buckets ``first``..``last`` (indexes from START) of a daily cycle around ``level``, 12x during ``surge``."""
    rows = []
    for index in range(first, last + 1):
        reports = level + (index % 96) // 24 + index % 3
        rows.append(
            {
                "source_id": source,
                "service_id": service,
                "bucket_start": (START + BUCKET * index).isoformat(),
                "reports": reports * (12 if index in surge else 1),
                "baseline": None,
                "observed_at": (START + BUCKET * (last + 1)).isoformat(),
                "source_url": f"http://127.0.0.1/{source}.csv",
            }
        )
    return rows


def post_rows(source: str, first: int, last: int, every: int) -> list[dict]:
    """A complaint about AWS every ``every`` buckets, each by a new author, from bucket ``first`` to ``last``."""
    rows = []
    for index in range(first, last + 1, every):
        at = START + BUCKET * index
        rows.append(
            {
                "uri": f"https://social.test/{source}/{index}",
                "post_id": f"{source}:{index}",
                "source_id": source,
                "native_id": str(index),
                "url": f"https://social.test/@someone/{index}",
                "posted_at": at.isoformat(),
                "author_hash": f"author-{index}",
                "text": "aws is down again" if index % 2 else "Amazon Web Services not working",
                "lang": "en",
                "observed_at": (at + timedelta(minutes=5)).isoformat(),
                "source_url": f"https://social.test/api/{source}",
            }
        )
    return rows


def read_row(run_id: str, source: str, first: int, last: int) -> dict:
    """A successful read of a post source's window, buckets ``first`` to ``last`` (indexes from START) inclusive."""
    return {
        "run_id": run_id,
        "source_id": source,
        "url": f"https://social.test/api/{source}?run={run_id}",
        "fetched_at": (START + BUCKET * (last + 1)).isoformat(),
        "http_status": 200,
        "sha256": "0" * 64,
        "meta": json.dumps(
            {"since": (START + BUCKET * first).isoformat(), "until": (START + BUCKET * (last + 1)).isoformat()}
        ),
    }


def write_landing(
    folder: Path, run_id: str, counts: Iterable[dict], posts: Iterable[dict] = (), reads: Iterable[dict] = ()
) -> Path:
    """A landing folder as the stage writes it: one JSON Lines file per table the loader reads."""
    folder.mkdir(parents=True)
    rows: dict[str, list[dict[str, Any]]] = {
        "runs": [
            {
                "run_id": run_id,
                "started_at": START.isoformat(),
                "catalog_path": None,
                "sources_total": 1,
                "sources_failed": 0,
            }
        ],
        "services": SERVICES,
        "counts": list(counts),
        "posts": list(posts),
        "fetches": list(reads),
    }
    for table, _sql in load_steps():
        with (folder / f"{table}.jsonl").open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows.get(table, []))
    return folder


def series(db: Path) -> list[tuple]:
    con = connect(db, read_only=True)
    try:
        return con.execute("select * from stg_complaint_counts order by all").fetchall()
    finally:
        con.close()


def rebuilt_in_full(db: Path) -> list[tuple]:
    con = connect(db)
    try:
        build_models(con)
        return con.execute("select * from stg_complaint_counts order by all").fetchall()
    finally:
        con.close()


def built_at(db: Path) -> datetime | None:
    """When the table was last computed in full (an incremental refresh leaves it as it was)."""
    con = connect(db, read_only=True)
    try:
        row = con.execute("select built_at from model_state where model = 'stg_complaint_counts'").fetchone()
        return row[0] if row else None
    finally:
        con.close()


def test_each_load_refreshes_only_what_changed_and_matches_a_full_rebuild(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    day = 96
    # six weeks of one report source for two services and posts about AWS on one instance
    load_landing(
        db,
        write_landing(
            tmp_path / "run1",
            "run1",
            count_rows("reports", "aws", 0, 42 * day - 1, 20, surge=range(30 * day + 40, 30 * day + 44))
            + count_rows("reports", "slack", 0, 42 * day - 1, 6),
            post_rows("mastodon", 0, 42 * day - 1, 7),
            [read_row("run1", "mastodon", 0, 42 * day - 1)],
        ),
    )
    assert built_at(db) is not None  # the first load built the table in full
    first = series(db)
    assert first == rebuilt_in_full(db)
    first_build = built_at(db)

    # the next load: two more weeks with a surge, a revised reading inside the history, a new source for Slack
    # after nothing, the posts going on, and AWS's source going quiet for a day before it comes back
    more = (
        count_rows("reports", "aws", 42 * day, 44 * day - 1, 20)
        + count_rows("reports", "aws", 45 * day, 56 * day - 1, 20, surge=range(50 * day + 10, 50 * day + 16))
        + count_rows("reports", "slack", 40 * day, 56 * day - 1, 6)
        + count_rows("downdetector", "slack", 49 * day, 56 * day - 1, 3, surge=range(50 * day + 10, 50 * day + 14))
    )
    revised = count_rows("reports", "aws", 38 * day, 38 * day + 3, 40)
    for row in revised:
        row["observed_at"] = (START + BUCKET * 56 * day).isoformat()
    load_landing(
        db,
        write_landing(
            tmp_path / "run2",
            "run2",
            more + revised,
            post_rows("mastodon", 42 * day, 56 * day, 5),
            [read_row("run2", "mastodon", 42 * day, 56 * day)],
        ),
    )
    assert built_at(db) == first_build  # refreshed, not rebuilt
    incremental = series(db)
    assert incremental != first
    assert incremental == rebuilt_in_full(db)
    # the day AWS's source said nothing is unknown, not zeros: no reports, not covered, never over the line
    quiet = [
        r
        for r in incremental
        if r[:2] == ("aws", "reports") and START + BUCKET * 44 * day <= r[2] < START + BUCKET * 45 * day
    ]
    assert len(quiet) == day
    assert all(r[3] is None and r[6] is None and r[-1] is False for r in quiet)
    # untouched history was kept as it was, not rewritten: a row from the first week is the same row
    assert [r for r in incremental if r[2] < START + timedelta(days=7)] == [
        r for r in first if r[2] < START + timedelta(days=7)
    ]

    # loading the same landing again changes nothing
    load_landing(db, tmp_path / "run2")
    assert series(db) == incremental


def test_a_changed_catalog_rebuilds_in_full(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    load_landing(
        db,
        write_landing(
            tmp_path / "run1",
            "run1",
            [],
            post_rows("mastodon", 0, 40 * 96, 7),
            [read_row("run1", "mastodon", 0, 40 * 96)],
        ),
    )
    before, first_build = series(db), built_at(db)
    # a new exclusion changes which posts name AWS ("Amazon Web Services not working" no longer does), all the way back
    SERVICES[0]["exclusions"] = ["web services not working"]
    try:
        load_landing(
            db,
            write_landing(
                tmp_path / "run2",
                "run2",
                [],
                post_rows("mastodon", 40 * 96, 41 * 96, 7),
                [read_row("run2", "mastodon", 40 * 96, 41 * 96)],
            ),
        )
    finally:
        SERVICES[0]["exclusions"] = []
    assert built_at(db) != first_build
    after = series(db)
    day_40 = START + timedelta(days=40)
    assert sum(r[3] for r in after if r[2] < day_40) < sum(r[3] for r in before if r[2] < day_40)
    assert after == rebuilt_in_full(db)


def test_a_warehouse_from_before_the_table_gets_it(tmp_path: Path) -> None:
    """Earlier releases had stg_complaint_counts as a view: the next build replaces it with the table."""
    db = tmp_path / "w.duckdb"
    load_landing(db, write_landing(tmp_path / "run1", "run1", count_rows("reports", "aws", 0, 20 * 96, 9)))
    con = connect(db)
    rows = con.execute("select * from stg_complaint_counts order by all").fetchall()
    con.execute("drop table stg_complaint_counts")
    con.execute("create view stg_complaint_counts as select 1 as old_view")
    con.close()
    load_landing(db, write_landing(tmp_path / "run2", "run2", []))
    assert series(db) == rows


@pytest.mark.parametrize("minutes", ["60"])
def test_the_bucket_width_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minutes: str) -> None:
    db = tmp_path / "w.duckdb"
    load_landing(db, write_landing(tmp_path / "run1", "run1", count_rows("reports", "aws", 0, 20 * 96 - 1, 9)))
    first_build = built_at(db)
    monkeypatch.setenv("OUTAGES_BUCKET_MINUTES", minutes)
    load_landing(db, write_landing(tmp_path / "run2", "run2", []))
    assert built_at(db) != first_build
    con: duckdb.DuckDBPyConnection = connect(db, read_only=True)
    try:
        buckets, width = con.execute(
            "select count(*), any_value(bucket_minutes) from complaint_counts, stg_spike_rule"
        ).fetchone()
    finally:
        con.close()
    assert (buckets, width) == (20 * 24, 60)
    monkeypatch.setenv("OUTAGES_BUCKET_MINUTES", "7")
    with pytest.raises(ValueError, match="divide a day"):
        load_landing(db, write_landing(tmp_path / "run3", "run3", []))


def test_a_load_reports_where_its_time_went(tmp_path: Path) -> None:
    """bench/load.py prints this split; each phase is timed once and the phases add up to no more than the load."""
    timings: dict[str, float] = {}
    started = datetime.now(UTC)
    load_landing(
        tmp_path / "w.duckdb",
        write_landing(tmp_path / "run1", "run1", count_rows("reports", "aws", 0, 4 * 96, 9)),
        timings=timings,
    )
    elapsed = (datetime.now(UTC) - started).total_seconds()
    assert list(timings) == ["open", "raw", "models", "commit"]
    assert all(seconds >= 0 for seconds in timings.values())
    assert sum(timings.values()) <= elapsed


def test_a_failed_read_of_a_post_source_leaves_its_window_unknown(tmp_path: Path) -> None:
    """Posts cover what their source read: a run whose read failed covers nothing, so its window is NULL, not 0."""
    db = tmp_path / "w.duckdb"
    day = 96
    load_landing(
        db,
        write_landing(
            tmp_path / "run1",
            "run1",
            [],
            post_rows("mastodon", 0, 10 * day - 1, 7),
            [read_row("run1", "mastodon", 0, 10 * day - 1)],
        ),
    )
    failed = read_row("run2", "mastodon", 10 * day, 11 * day - 1)
    failed.update(http_status=500, sha256=None, error="HTTP 500")
    load_landing(db, write_landing(tmp_path / "run2", "run2", [], [], [failed]))
    load_landing(
        db,
        write_landing(
            tmp_path / "run3",
            "run3",
            [],
            post_rows("mastodon", 11 * day, 12 * day - 1, 7),
            [read_row("run3", "mastodon", 11 * day, 12 * day - 1)],
        ),
    )
    rows = [r for r in series(db) if r[:2] == ("aws", "mastodon")]
    hole = [r for r in rows if START + BUCKET * 10 * day <= r[2] < START + BUCKET * 11 * day]
    assert len(hole) == day
    assert all(r[3] is None and r[-1] is False for r in hole)
    assert all(r[3] is not None and r[-1] is True for r in rows if r not in hole)
    assert series(db) == rebuilt_in_full(db)

    # the window read again later (a backfill with --since): the same buckets are now known, 0 where nobody posted
    load_landing(
        db, write_landing(tmp_path / "run4", "run4", [], [], [read_row("run4", "mastodon", 10 * day, 11 * day - 1)])
    )
    refreshed = series(db)
    assert all(r[3] is not None for r in refreshed if r[:2] == ("aws", "mastodon"))
    assert refreshed == rebuilt_in_full(db)


COMPLAINT_RELATIONS = ("stg_complaint_counts", "complaint_counts", "complaint_counts_by_source", "complaint_spikes")


def complaint_relations(db: Path) -> dict[str, Counter[tuple]]:
    """Each complaint relation's rows as a multiset: two of them are equal when EXCEPT ALL is empty both ways."""
    con = connect(db, read_only=True)
    try:
        return {name: Counter(con.execute(f"select * from {name}").fetchall()) for name in COMPLAINT_RELATIONS}
    finally:
        con.close()


def test_runs_that_each_bring_some_sources_refresh_as_a_full_rebuild_computes(tmp_path: Path) -> None:
    """Runs that each carry some of the sources (workers splitting a catalog): a service read from one source has
    its total written under that source too, so a run that refreshes the total (a post source's run names every
    service) must replace that source's rows, not add them again; every run's refresh equals a full rebuild."""
    db = tmp_path / "w.duckdb"
    day = 96
    runs = [
        # Slack is read from one source, 'reports'
        count_rows("reports", "aws", 0, 20 * day - 1, 20) + count_rows("reports", "slack", 0, 20 * day - 1, 6),
        # posts about AWS only: the run names every service's total, Slack's too, still read from 'reports' alone
        ([], post_rows("mastodon", 10 * day, 22 * day, 7), 10 * day, 22 * day),
        # Slack's second source, overlapping and after the first one's buckets
        count_rows("downdetector", "slack", 18 * day, 24 * day - 1, 3, surge=range(21 * day, 21 * day + 4)),
        # the first source again, later buckets
        count_rows("reports", "aws", 20 * day, 24 * day - 1, 20)
        + count_rows("reports", "slack", 20 * day, 24 * day - 1, 6),
    ]
    for number, run in enumerate(runs, start=1):
        run_id = f"run{number}"
        if isinstance(run, tuple):
            counts, posts, first, last = run
            landing = write_landing(
                tmp_path / run_id, run_id, counts, posts, [read_row(run_id, "mastodon", first, last)]
            )
        else:
            landing = write_landing(tmp_path / run_id, run_id, run)
        load_landing(db, landing)
        rebuilt = tmp_path / f"rebuilt-{run_id}.duckdb"
        shutil.copyfile(db, rebuilt)
        rebuilt_in_full(rebuilt)
        incremental, full = complaint_relations(db), complaint_relations(rebuilt)
        assert full["stg_complaint_counts"]
        assert full["complaint_counts_by_source"]
        for name in COMPLAINT_RELATIONS:
            assert not incremental[name] - full[name], (run_id, name, "rows only the refresh has")
            assert not full[name] - incremental[name], (run_id, name, "rows only the rebuild has")
    assert full["complaint_spikes"]  # the second source's surge


def test_a_full_refresh_in_batches_of_services_computes_what_one_statement_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full refresh runs in batches of services when the series are many (REFRESH_BATCH_WEIGHT): the series of a
    service read only its own readings, so the table is the one a single statement computes, row for row."""
    day = 96
    db = tmp_path / "w.duckdb"
    load_landing(
        db,
        write_landing(
            tmp_path / "run1",
            "run1",
            # AWS from two count sources (a total of its own), Slack from one (its total is that source's series)
            count_rows("reports", "aws", 0, 30 * day - 1, 20, surge=range(25 * day, 25 * day + 4))
            + count_rows("downdetector", "aws", 10 * day, 30 * day - 1, 5)
            + count_rows("reports", "slack", 0, 12 * day - 1, 6)
            + count_rows("reports", "slack", 13 * day, 30 * day - 1, 6, surge=range(20 * day, 20 * day + 3)),
            post_rows("mastodon", 0, 30 * day - 1, 7),
            [read_row("run1", "mastodon", 0, 30 * day - 1)],
        ),
    )
    batched = tmp_path / "batched.duckdb"
    shutil.copyfile(db, batched)
    con = connect(batched)
    try:
        assert service_batches(con, 1) == [["aws"], ["slack"]]
        assert service_batches(con, warehouse.models.REFRESH_BATCH_WEIGHT) == [["aws", "slack"]]
    finally:
        con.close()
    one_statement = complaint_relations(db)
    monkeypatch.setattr(warehouse.models, "REFRESH_BATCH_WEIGHT", 1)  # a batch per service
    rebuilt_in_full(batched)
    in_batches = complaint_relations(batched)
    assert one_statement["complaint_spikes"]
    assert {r[:2] for r in one_statement["stg_complaint_counts"]} == {
        ("aws", "*"),
        ("aws", "downdetector"),
        ("aws", "mastodon"),
        ("aws", "reports"),
        ("slack", "*"),
        ("slack", "reports"),
    }
    for name in COMPLAINT_RELATIONS:
        assert not one_statement[name] - in_batches[name], (name, "rows only one statement has")
        assert not in_batches[name] - one_statement[name], (name, "rows only the batches have")


def with_baseline(rows: list[dict], baseline: float, first: int, last: int) -> list[dict]:
    """``rows`` with a supplied baseline on the buckets ``first``..``last`` (indexes from START)."""
    firsts = {(START + BUCKET * index).isoformat() for index in range(first, last + 1)}
    return [{**row, "baseline": baseline} if row["bucket_start"] in firsts else row for row in rows]


def test_a_supplied_baseline_is_used_where_every_reading_of_the_bucket_supplied_one(tmp_path: Path) -> None:
    """A total takes a supplied baseline (the sum) only for buckets where every source read supplied one; the total
    of a service read from one source is that source's series, supplied baselines included."""
    day = 96
    db = tmp_path / "w.duckdb"
    load_landing(
        db,
        write_landing(
            tmp_path / "run1",
            "run1",
            # AWS: 'reports' supplies a baseline throughout, 'downdetector' (from day 2) from day 6 on
            with_baseline(count_rows("reports", "aws", 0, 10 * day - 1, 20), 21.0, 0, 10 * day - 1)
            + with_baseline(count_rows("downdetector", "aws", 2 * day, 10 * day - 1, 5), 4.5, 6 * day, 10 * day - 1)
            # Slack: one source, supplying a baseline on its first 5 days
            + with_baseline(count_rows("reports", "slack", 0, 10 * day - 1, 6), 7.0, 0, 5 * day - 1),
        ),
    )
    con = connect(db, read_only=True)
    try:
        supplied = con.execute(
            """
            select service_id, source_id, min(bucket_start), max(bucket_start), count(*), min(baseline), max(baseline)
            from stg_complaint_counts where baseline_quality = 'supplied' group by all order by all
            """
        ).fetchall()
        slack = con.execute(
            """
            select count(*) from (
                select * exclude (source_id) from stg_complaint_counts
                where service_id = 'slack' and source_id = '*'
                except all
                select * exclude (source_id) from stg_complaint_counts
                where service_id = 'slack' and source_id = 'reports'
            )
            """
        ).fetchone()
        totals = con.execute(
            "select count(*) from stg_complaint_counts where service_id = 'slack' and source_id = '*'"
        ).fetchone()
    finally:
        con.close()

    def at(index: int) -> datetime:
        return START + BUCKET * index

    assert supplied == [
        # days 0-1 read by 'reports' alone (21), days 6-9 by both (21 + 4.5); days 2-5 not: 'downdetector' supplied none
        ("aws", "*", at(0), at(10 * day - 1), 6 * day, 21.0, 25.5),
        ("aws", "downdetector", at(6 * day), at(10 * day - 1), 4 * day, 4.5, 4.5),
        ("aws", "reports", at(0), at(10 * day - 1), 10 * day, 21.0, 21.0),
        ("slack", "*", at(0), at(5 * day - 1), 5 * day, 7.0, 7.0),
        ("slack", "reports", at(0), at(5 * day - 1), 5 * day, 7.0, 7.0),
    ]
    assert totals == (10 * day,)
    assert slack == (0,)  # Slack's total is its one source's series
