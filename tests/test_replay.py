"""The 7 December 2021 replay through the real pipeline: the figures the issue asks the views to show."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.series import Replay
from warehouse.readouts.notes import source_notes
from warehouse.timeline import Window, outage_rows, render_text, timeline_rows


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture(scope="module")
def replay_db(demo_replay: Replay) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(demo_replay.db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    yield con
    con.close()


def test_aws_spike_is_acknowledged_52_minutes_later(replay_db: duckdb.DuckDBPyConnection) -> None:
    row = replay_db.execute(
        "select started_at, acknowledged_at, time_to_acknowledge, incident_id, peak_reports "
        "from outages where service_id = 'aws'"
    ).fetchall()
    assert len(row) == 1
    started, acknowledged, delay, incident_id, peak = row[0]
    assert started == utc("2021-12-07T15:30:00Z")
    assert acknowledged == utc("2021-12-07T16:22:00Z")
    assert delay == timedelta(minutes=52)
    assert incident_id == "aws-health:management-console-1638894176"
    assert peak > 11_000


def test_amazon_and_aws_peaks_and_decline_match_what_was_reported(
    replay_db: duckdb.DuckDBPyConnection,
) -> None:
    peaks = dict(replay_db.execute("select service_id, peak_reports from outages").fetchall())
    assert peaks["amazon"] > 20_000
    at_1845 = dict(
        replay_db.execute(
            "select service_id, reports from complaint_counts where bucket_start = ?",
            [utc("2021-12-07T18:45:00Z")],
        ).fetchall()
    )
    assert 0.4 <= at_1845["aws"] / peaks["aws"] <= 0.6  # "down by about half"
    assert 0.25 <= at_1845["amazon"] / peaks["amazon"] <= 0.42  # "down by about two-thirds"


def test_every_replayed_service_spikes_that_day_and_no_ordinary_day_does(
    replay_db: duckdb.DuckDBPyConnection,
) -> None:
    services = {
        "amazon",
        "aws",
        "netflix",
        "disneyplus",
        "coinbase",
        "robinhood",
        "venmo",
        "mcdonalds",
        "ring",
        "alexa",
    }
    spikes = replay_db.execute("select service_id, started_at from outages").fetchall()
    assert {s for s, _ in spikes} == services
    day = (utc("2021-12-07T15:00:00Z"), utc("2021-12-07T17:00:00Z"))
    assert all(day[0] <= started <= day[1] for _, started in spikes), spikes
    baselined = replay_db.execute(
        "select count(*) from complaint_counts where baseline is not null and bucket_start < ?",
        [utc("2021-12-07T00:00:00Z")],
    ).fetchone()
    assert baselined is not None
    assert baselined[0] > 0


def test_timeline_reads_in_order(replay_db: duckdb.DuckDBPyConnection) -> None:
    rows = replay_db.execute("select occurred_at, service_id, kind from timeline").fetchall()
    times = [r[0] for r in rows]
    assert times == sorted(times)
    aws = [(r[0], r[2]) for r in rows if r[1] == "aws"]
    assert aws[0] == (utc("2021-12-07T15:30:00Z"), "spike_start")
    assert aws[1:3] == [
        (utc("2021-12-07T16:15:00Z"), "spike_peak"),
        (utc("2021-12-07T16:22:00Z"), "official_update"),
    ]
    kinds = {r[2] for r in rows}
    assert {"official_update", "spike_start", "spike_peak", "spike_end"} <= kinds


def test_aws_incidents_accumulate_across_snapshots(replay_db: duckdb.DuckDBPyConnection) -> None:
    incidents = replay_db.execute(
        "select service_key, impact, status, started_at, resolved_at, region from incidents "
        "where source_id = 'aws-health' order by started_at"
    ).fetchall()
    assert len(incidents) == 9
    console = incidents[0]
    assert console[:5] == (
        "management-console",
        "major",
        "resolved",
        utc("2021-12-07T16:22:00Z"),
        utc("2021-12-08T01:14:00Z"),
    )
    ec2 = next(i for i in incidents if i[0] == "ec2-us-east-1")
    assert ec2[1] == "major"
    assert ec2[5] == "us-east-1"
    posts = replay_db.execute("select count(*) from incident_updates where incident_id like 'aws-health:%'").fetchone()
    assert posts == (35,)
    assert replay_db.execute("select count(*) from ingest_errors").fetchone() == (0,)


def test_slack_incident_from_its_own_format(replay_db: duckdb.DuckDBPyConnection) -> None:
    row = replay_db.execute(
        "select status, impact, started_at, resolved_at from incidents where incident_id = 'slack-status:1039'"
    ).fetchone()
    assert row == ("resolved", "minor", utc("2021-12-07T16:42:22Z"), utc("2021-12-08T01:43:17Z"))
    notes = replay_db.execute("select count(*) from incident_updates where incident_id = 'slack-status:1039'")
    assert notes.fetchone() == (13,)


def test_downstream_pages_are_in_utc_and_bitbucket_blames_aws(replay_db: duckdb.DuckDBPyConnection) -> None:
    trello = replay_db.execute(
        "select min(posted_at) from incident_updates where incident_id like 'trello-status:%'"
    ).fetchone()
    assert trello == (utc("2021-12-07T16:19:05.769Z"),)  # the page writes -05:00 offsets
    blamed = replay_db.execute(
        "select count(*) from incident_updates where incident_id like 'bitbucket-status:%' "
        "and body like '%underlying platform provider AWS in us-east-1%'"
    ).fetchone()
    assert blamed is not None
    assert blamed[0] >= 1
    title = replay_db.execute("select title from incidents where source_id = 'bitbucket-status'").fetchone()
    assert title == ("Bitbucket Pipelines are not operational, Webhooks History is unavailable",)


def test_timeline_rows_cite_their_sources(replay_db: duckdb.DuckDBPyConnection) -> None:
    missing = replay_db.execute(
        "select count(*) from timeline where kind = 'official_update' and (source_url is null or fetched_at is null)"
    ).fetchone()
    assert missing == (0,)
    first_seen = replay_db.execute(
        "select fetched_at from timeline where kind = 'official_update' and occurred_at = ?",
        [utc("2021-12-07T16:22:00Z")],
    ).fetchone()
    # the console post was first fetched by the 16:26 run (the simulated schedule's clock)
    assert first_seen == (utc("2021-12-07T16:26:00Z"),)


def test_aws_admitted_start_against_its_first_post(replay_db: duckdb.DuckDBPyConnection) -> None:
    row = replay_db.execute(
        "select declared_start, declared_end, first_posted_at, first_post_after_declared_start from declared_windows "
        "where incident_id = 'aws-health:management-console-1638894176'"
    ).fetchone()
    assert row == (
        utc("2021-12-07T15:32:00Z"),
        utc("2021-12-08T00:56:00Z"),
        utc("2021-12-07T16:22:00Z"),
        timedelta(minutes=50),
    )
    ec2 = replay_db.execute(
        "select declared_start, declared_end from declared_windows where incident_id like 'aws-health:ec2-us-east-1-%'"
    ).fetchone()
    assert ec2 == (utc("2021-12-07T15:32:00Z"), utc("2021-12-07T23:10:00Z"))


def test_complaints_outlast_the_resolved_post(replay_db: duckdb.DuckDBPyConnection) -> None:
    row = replay_db.execute(
        "select resolved_at, returned_to_baseline_at, resolution_gap from outages where service_id = 'aws'"
    ).fetchone()
    assert row is not None
    resolved, back, gap = row
    assert resolved == utc("2021-12-08T01:14:00Z")
    assert back > resolved
    assert gap == back - resolved
    assert gap > timedelta(0)
    never = replay_db.execute("select count(*) from outages where not acknowledged").fetchone()
    assert never == (9,)  # only AWS has a status page among the complaining services of the replay


def test_blast_radius_lists_the_downstream_services_and_bitbucket_blames_aws(
    replay_db: duckdb.DuckDBPyConnection,
) -> None:
    rows = replay_db.execute(
        "select affected_service_id, lag, expected, blames_provider from blast_radius where provider_service_id = 'aws'"
    ).fetchall()
    radius = {r[0]: r[1:] for r in rows}
    assert set(radius) == {
        "amazon",
        "alexa",
        "ring",
        "netflix",
        "disneyplus",
        "coinbase",
        "robinhood",
        "venmo",
        "mcdonalds",
        "trello",
        "bitbucket",
        "jira",
        "slack",
    }
    assert radius["netflix"][0] == timedelta(minutes=15)  # complaints from 15:45Z, AWS's from 15:30Z
    assert radius["trello"][0] == utc("2021-12-07T16:19:05.769Z") - utc("2021-12-07T15:30:00Z")
    assert all(expected for _, expected, _ in radius.values())
    assert [s for s, (_, _, blames) in radius.items() if blames] == ["bitbucket"]


def test_acknowledgment_ledger(replay_db: duckdb.DuckDBPyConnection) -> None:
    aws = replay_db.execute(
        "select incidents, median_time_to_acknowledge, worst_time_to_acknowledge, unacknowledged_spikes "
        "from acknowledgment_ledger where service_id = 'aws'"
    ).fetchone()
    assert aws == (1, timedelta(minutes=52), timedelta(minutes=52), 0)
    period = replay_db.execute(
        "select service_id, unacknowledged_spikes from acknowledgment_ledger_between('2021-12-07', '2021-12-08') "
        "where service_id = 'amazon'"
    ).fetchall()
    assert period == [("amazon", 0)]  # Amazon has no status source in the demo catalog: not "unacknowledged"
    brands = replay_db.execute(
        "select service_id, untracked_spikes from acknowledgment_ledger where untracked_spikes > 0 order by 1"
    ).fetchall()
    assert brands == [(s, 1) for s in NINE_BRANDS]


NINE_BRANDS = ["alexa", "amazon", "coinbase", "disneyplus", "mcdonalds", "netflix", "ring", "robinhood", "venmo"]


def test_the_nine_brands_have_no_status_page_tracked(replay_db: duckdb.DuckDBPyConnection) -> None:
    rows = replay_db.execute(
        "select service_id, acknowledgment, time_to_acknowledge from outages where not acknowledged order by 1"
    ).fetchall()
    assert rows == [(s, "no_status_source", None) for s in NINE_BRANDS]
    text = render_text([], outage_rows(replay_db, Window()), ZoneInfo("UTC"))
    lines = [line for line in text.splitlines() if line.split()[:1] and line.split()[0] in NINE_BRANDS]
    assert len(lines) == 9
    assert all("no status page tracked" in line and "never" not in line for line in lines)
    empty = replay_db.execute("select count(*) from acknowledgment_ledger_between('2022-01-01', '2022-02-01')")
    assert empty.fetchone() == (0,)


def test_timeline_has_component_changes_and_revisions(replay_db: duckdb.DuckDBPyConnection) -> None:
    rows = replay_db.execute(
        "select occurred_at, kind, title from timeline where service_id in ('trello', 'bitbucket') "
        "and kind in ('component_change', 'revision') order by occurred_at"
    ).fetchall()
    assert (utc("2021-12-07T16:19:05.769Z"), "component_change", "Trello.com: operational → degraded") in rows
    assert any(kind == "revision" and "title changed" in title for _, kind, title in rows)
    uncited = replay_db.execute("select count(*) from timeline where source_url is null").fetchone()
    assert uncited == (0,)


def test_posts_from_two_instances_count_once_and_agree_with_the_counts(replay_db: duckdb.DuckDBPyConnection) -> None:
    seen_twice = replay_db.execute(
        "select count(*) from raw_fetches f where f.source_id in ('mastodon-social', 'hachyderm')"
    ).fetchone()
    assert seen_twice is not None
    assert seen_twice[0] > 2
    per_uri = replay_db.execute("select count(*) = count(distinct uri) from complaints where service_id = 'aws'")
    assert per_uri.fetchone() == (True,)
    agreed = replay_db.execute("select sources_agreed from outages where service_id = 'aws'").fetchone()
    assert agreed is not None
    assert {"reports", "mastodon-social", "hachyderm"} <= set(agreed[0].split(","))
    by_source = replay_db.execute(
        "select source_id, sum(reports) from complaint_counts_by_source where service_id = 'aws' group by 1"
    ).fetchall()
    assert {s for s, _ in by_source} >= {"reports", "mastodon-social", "hachyderm", "hackernews"}


def test_the_complaint_rules_on_the_replayed_posts(replay_db: duckdb.DuckDBPyConnection) -> None:
    rainforest = replay_db.execute(
        "select count(*) from complaints where service_id = 'amazon' and text ilike '%amazon rainforest%'"
    ).fetchone()
    assert rainforest == (0,)  # named, but excluded by the catalog's `exclude`
    languages = replay_db.execute(
        "select count(distinct lang) from complaints where counted and lang <> 'en'"
    ).fetchone()
    assert languages is not None
    assert languages[0] >= 4
    repeats = replay_db.execute("select count(*) from complaints where is_complaint and not counted").fetchone()
    assert repeats is not None
    assert repeats[0] > 0
    chatter = replay_db.execute("select count(*) from complaints where not is_complaint").fetchone()
    assert chatter is not None
    assert chatter[0] > 0
    assert replay_db.execute("select count(*) from complaints where counted and not is_complaint").fetchone() == (0,)


def test_the_searched_hashtag_makes_no_complaint(replay_db: duckdb.DuckDBPyConnection) -> None:
    """Every post of the #outage timelines says "outage": before the outage (15:00Z) none of them counts any more
    (319 of 320 did while the search term counted), and the questions Hacker News users asked do."""
    before = replay_db.execute(
        "select count(*), count_if(counted) from complaints where posted_at < ? and source_id <> 'hackernews'",
        [utc("2021-12-07T15:00:00Z")],
    ).fetchone()
    assert before is not None
    assert before[0] >= 300
    assert before[1] == 0
    asked = replay_db.execute(
        "select count_if(is_complaint), count(*) from complaints where source_id = 'hackernews' "
        "and text ilike '%down for%'"
    ).fetchone()
    assert asked is not None
    assert asked[1] > 0
    assert asked[0] == asked[1]
    # and the spike the posts make still agrees with the count source
    during = replay_db.execute(
        "select count_if(counted) from complaints where service_id = 'aws' and source_id <> 'hackernews' "
        "and posted_at >= ?",
        [utc("2021-12-07T15:30:00Z")],
    ).fetchone()
    assert during is not None
    assert during[0] > 100


def test_slack_components_show_the_onset_into_partial_outage(replay_db: duckdb.DuckDBPyConnection) -> None:
    rows = replay_db.execute(
        "select states.changed_at, states.previous_state, states.state, states.time_source "
        "from component_states as states join components using (component_id) "
        "where components.service_id = 'slack' order by states.changed_at"
    ).fetchall()
    onsets = [r for r in rows if r[2] == "partial_outage"]
    ends = [r for r in rows if r[2] == "operational" and r[1] is not None]
    assert onsets, rows
    assert ends, rows
    assert all(r[3] in ("provider", "observed") for r in rows)
    assert min(r[0] for r in onsets) < min(r[0] for r in ends)
    titles = replay_db.execute(
        "select title from timeline where kind = 'component_change' and service_id = 'slack' "
        "and status = 'partial_outage'"
    ).fetchall()
    assert titles


def test_the_demo_says_its_data_is_reconstructed(replay_db: duckdb.DuckDBPyConnection) -> None:
    notes = dict(replay_db.execute("select source_id, note from source_status").fetchall())
    assert notes
    assert all(str(note).startswith(("Reconstruction: ", "Replay: ")) for note in notes.values())
    rows = timeline_rows(replay_db, Window())
    assert rows
    assert all(row["note"] for row in rows)
    text = render_text(rows, outage_rows(replay_db, Window()), ZoneInfo("UTC"), notes=source_notes(replay_db, rows))
    head = text.split("Timeline", 1)[0]
    assert "Note: Reconstruction: replayed from public facts of the 2021-12-07 AWS us-east-1 event" in head
    assert text.count("Note: Reconstruction: replayed from public facts") == 1
