"""One Statuspage incident read through the JSON API and through the history feed is one incident: the feed links each
entry to /incidents/<id>, the JSON API's id. The API's facts win where both state them (impact, start, update ids,
times to the second); the feed fills in what the API never showed (a resolution after summary.json stopped listing
the incident). Constructed series, then the real GitHub captures of both kinds (skipped without ../shared/samples)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.loopback import LoopbackServer, Route
from tests.series import Read, ingest_series

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
ATOM = "application/atom+xml"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def update(uid: str, status: str, at: str, body: str) -> dict[str, Any]:
    return {"id": uid, "status": status, "body": body, "created_at": at, "display_at": at}


def incident(iid: str, status: str, start: str, resolved: str | None, updates: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": iid,
        "name": f"Incident {iid}",
        "status": status,
        "impact": "major",
        "created_at": start,
        "started_at": start,
        "resolved_at": resolved,
        "shortlink": f"https://stspg.test/{iid}",
        "incident_updates": list(reversed(updates)),  # newest first, as Statuspage lists them
    }


def post(time: str, word: str, text: str) -> str:
    label = f"<small>Jun <var data-var='date'>1</var>, <var data-var='time'>{time}</var> UTC</small><br>"
    return f"<p>{label}<strong>{word}</strong> - {text}</p>"


def entry(iid: str, updated: str, posts: list[str]) -> str:
    trail = "".join(reversed(posts)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"""  <entry>
    <id>tag:status.example.test,2005:Incident/{sum(map(ord, iid))}</id>
    <published>{updated}</published>
    <updated>{updated}</updated>
    <link rel="alternate" type="text/html" href="https://status.example.test/incidents/{iid}"/>
    <title>Incident {iid}</title>
    <content type="html">{trail}</content>
  </entry>
"""


def atom(*entries: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">
  <id>tag:status.example.test,2005:/history</id>
  <title>Example Status - Incident History</title>
  <updated>2024-06-01T11:05:00Z</updated>
{"".join(entries)}</feed>
""".encode()


# abcd1234efgh: two posts in one minute, then monitoring; ghij5678klmn: one post. The API reads them open.
A1 = update("a1", "investigating", "2024-06-01T10:00:05Z", "Errors on checkout.")
A2 = update("a2", "identified", "2024-06-01T10:00:40Z", "A bad deploy.")
A3 = update("a3", "monitoring", "2024-06-01T10:30:12Z", "Rolled back.")
A4 = update("a4", "resolved", "2024-06-01T11:02:31Z", "Fixed.")
G1 = update("g1", "investigating", "2024-06-01T10:10:09Z", "Slow search.")
FEED = atom(
    entry(
        "abcd1234efgh",
        "2024-06-01T11:02:00Z",
        [
            post("10:00", "Investigating", "Errors on checkout."),
            post("10:00", "Identified", "A bad deploy."),
            post("10:30", "Monitoring", "Rolled back."),
            post("11:02", "Resolved", "Fixed."),
        ],
    ),
    entry(
        "ghij5678klmn",
        "2024-06-01T11:05:00Z",
        [post("10:10", "Investigating", "Slow search."), post("11:05", "Resolved", "Ok.")],
    ),
    entry(
        "ffff9999zzzz",
        "2024-06-01T09:30:00Z",
        [post("09:00", "Investigating", "Old."), post("09:30", "Resolved", "Done.")],
    ),
)
# (time, catalog sources read, API body): the API reads both open; the feed, both resolved; the API again,
# abcd1234efgh resolved and ghij5678klmn gone (the feed still lists it: not removed). Ids: Statuspage's 12 characters.
CONSTRUCTED = [
    (
        "2024-06-01T10:35:00+00:00",
        ["api"],
        [incident("abcd1234efgh", "monitoring", "2024-06-01T09:58:00Z", None, [A1, A2, A3]),
         incident("ghij5678klmn", "investigating", "2024-06-01T10:10:00Z", None, [G1])],
    ),
    ("2024-06-01T11:10:00+00:00", ["feed"], []),
    (
        "2024-06-01T11:30:00+00:00",
        ["api"],
        [incident("abcd1234efgh", "resolved", "2024-06-01T09:58:00Z", "2024-06-01T11:02:31Z", [A1, A2, A3, A4])],
    ),
]  # fmt: skip


def catalog_text(server: LoopbackServer, service: str, sources: dict[str, str]) -> str:
    lines = [f"services:\n  - {{id: {service}, name: {service}}}\nsources:"]
    lines += [
        f'  - {{id: {service}-{name}, kind: statuspage, url: "{server.url(path)}", service: {service}}}'
        for name, path in sources.items()
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def constructed_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> duckdb.DuckDBPyConnection:
    paths = {"api": "/api/v2/incidents.json", "feed": "/history.atom"}

    def reads(server: LoopbackServer) -> Iterator[Read]:
        for at, names, incidents in CONSTRUCTED:
            yield (
                at,
                catalog_text(server, "ex", {n: paths[n] for n in names}),
                {
                    paths["feed"]: Route(FEED, content_type=ATOM),
                    paths["api"]: Route(json.dumps({"incidents": incidents}).encode()),
                },
            )

    return ingest_series(tmp_path_factory.mktemp("endpoints") / "endpoints.duckdb", reads)


def test_api_and_feed_make_one_incident_each(constructed_db: duckdb.DuckDBPyConnection) -> None:
    rows = constructed_db.execute(
        "select incident_id, impact, status, started_at, resolved_at, removed_at from incidents order by 1"
    ).fetchall()
    assert rows == [
        # the API's facts: impact, start and resolution to the second
        ("ex-api:abcd1234efgh", "major", "resolved", utc("2024-06-01T09:58:00Z"), utc("2024-06-01T11:02:31Z"), None),
        # the API only saw it open: the feed's resolution fills in; the API's dropping it is not a removal
        ("ex-api:ghij5678klmn", "major", "resolved", utc("2024-06-01T10:10:00Z"), utc("2024-06-01T11:05:00Z"), None),
        ("ex-feed:ffff9999zzzz", "unknown", "resolved", utc("2024-06-01T09:00:00Z"), utc("2024-06-01T09:30:00Z"), None),
    ]


def test_each_post_is_one_row_with_the_api_times(constructed_db: duckdb.DuckDBPyConnection) -> None:
    posts = constructed_db.execute(
        "select incident_id, update_id, status, posted_at from incident_updates "
        "where incident_id like 'ex-api:%' order by incident_id, posted_at"
    ).fetchall()
    assert posts == [
        ("ex-api:abcd1234efgh", "a1", "investigating", utc("2024-06-01T10:00:05Z")),
        ("ex-api:abcd1234efgh", "a2", "identified", utc("2024-06-01T10:00:40Z")),  # second of its minute in both
        ("ex-api:abcd1234efgh", "a3", "monitoring", utc("2024-06-01T10:30:12Z")),
        ("ex-api:abcd1234efgh", "a4", "resolved", utc("2024-06-01T11:02:31Z")),  # the feed's post of 11:02 is this one
        ("ex-api:ghij5678klmn", "g1", "investigating", utc("2024-06-01T10:10:09Z")),
        ("ex-api:ghij5678klmn", "1", "resolved", utc("2024-06-01T11:05:00Z")),  # only the feed showed it: its minute
    ]


def test_revisions_name_the_one_incident(constructed_db: duckdb.DuckDBPyConnection) -> None:
    ids = {i for (i,) in constructed_db.execute("select distinct incident_id from incident_revisions").fetchall()}
    assert "ex-feed:abcd1234efgh" not in ids
    assert "ex-feed:ghij5678klmn" not in ids
    added = constructed_db.execute(
        "select incident_id, new_value from incident_revisions where field = 'update_added' order by 1, 2"
    ).fetchall()
    assert added == [
        ("ex-api:abcd1234efgh", "a4 [resolved] 2024-06-01T11:02:31Z"),
        ("ex-api:ghij5678klmn", "1 [resolved] 2024-06-01T11:05:00Z"),
    ]
    assert constructed_db.execute("select count(*) from timeline where incident_id like 'ex-feed:a%'").fetchone() == (
        0,
    )


# ------------------------------------------------------------------------------------------- real captures

GITHUB = "statuspage/github/"
# (time, source, capture): "Errors on the GitHub Dashboard" (xvk42jkm6fzk) read by summary.json investigating and
# monitoring, by history.rss resolved, then by incidents/xvk42jkm6fzk.json (the final record); bmpybhnrky3x read by
# summary.json in monitoring, then by history.atom
REAL = [
    ("2022-01-28T01:09:39+00:00", "api", "summary_2022-01-28T0109Z_investigating.json"),
    ("2022-01-28T02:05:57+00:00", "api", "summary_2022-01-28T0205Z_monitoring.json"),
    ("2022-03-16T19:46:08+00:00", "rss", "history.rss_2022-03-16_from-elixir-fixture.xml"),
    ("2023-10-06T03:01:43+00:00", "api", "incident_xvk42jkm6fzk.json"),
    ("2026-08-18T11:29:48+00:00", "api", "summary_2026-08-18T1129Z_monitoring.json"),
    ("2026-08-22T04:40:27+00:00", "atom", "history.atom_latest.xml"),
]
REAL_PATHS = {"api": "/api/v2/summary.json", "rss": "/history.rss", "atom": "/history.atom"}


@pytest.fixture(scope="module")
def real_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> duckdb.DuckDBPyConnection:
    if not SAMPLES.is_dir():
        pytest.skip("../shared/samples is not present")

    def reads(server: LoopbackServer) -> Iterator[Read]:
        for at, name, capture in REAL:
            kind = "application/json" if capture.endswith(".json") else "application/xml"
            body = Route((SAMPLES / GITHUB / capture).read_bytes(), content_type=kind)
            yield at, catalog_text(server, "github", {name: REAL_PATHS[name]}), {REAL_PATHS[name]: body}

    return ingest_series(tmp_path_factory.mktemp("endpoints-real") / "real.duckdb", reads)


def test_real_incident_read_three_ways_equals_the_final_record(real_db: duckdb.DuckDBPyConnection) -> None:
    final = json.loads((SAMPLES / GITHUB / "incident_xvk42jkm6fzk.json").read_text(encoding="utf-8"))["incident"]
    rows = real_db.execute(
        "select incident_id, impact, status, resolved_at from incidents where native_id = 'xvk42jkm6fzk'"
    ).fetchall()
    assert rows == [("github-api:xvk42jkm6fzk", final["impact"], final["status"], utc(final["resolved_at"]))]
    posts = real_db.execute(
        "select update_id, status, posted_at from incident_updates where incident_id = 'github-api:xvk42jkm6fzk' "
        "order by posted_at"
    ).fetchall()
    expected = [(u["id"], u["status"], utc(u["display_at"])) for u in reversed(final["incident_updates"])]
    assert posts == expected


def test_real_feed_fills_in_the_resolution_the_api_never_showed(real_db: duckdb.DuckDBPyConnection) -> None:
    rows = real_db.execute(
        "select incident_id, impact, status, resolved_at is not null from incidents where native_id = 'bmpybhnrky3x'"
    ).fetchall()
    summary = json.loads((SAMPLES / GITHUB / "summary_2026-08-18T1129Z_monitoring.json").read_text(encoding="utf-8"))
    (seen,) = [i for i in summary["incidents"] if i["id"] == "bmpybhnrky3x"]
    assert rows == [("github-api:bmpybhnrky3x", seen["impact"], "resolved", True)]
    api_ids = {u["id"] for u in seen["incident_updates"]}
    posts = real_db.execute(
        "select update_id, source_id from incident_updates where incident_id = 'github-api:bmpybhnrky3x'"
    ).fetchall()
    assert {u for u, s in posts if s == "github-api"} == api_ids  # every API post once, under its own id
    assert any(s == "github-atom" for _, s in posts)  # the later ones, from the feed
    assert len(posts) == len({u for u, _ in posts})
