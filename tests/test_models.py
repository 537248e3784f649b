"""The spike rule and the outage matching, on series built in DuckDB itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from warehouse.db import connect, migrate
from warehouse.models import build_models

START = datetime(2021, 11, 29, tzinfo=UTC)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = connect(":memory:")
    migrate(connection)
    build_models(connection)
    return connection


def fill(con: duckdb.DuckDBPyConnection, level: int, days: int = 10, bumps: dict[int, int] | None = None) -> None:
    """A flat series of ``level`` reports for ``days`` days, plus ``bumps`` {bucket index: extra reports}."""
    con.execute(
        """
        insert into raw_complaint_counts
        select 'src', 'svc', ts, ?, null, now(), 'http://x.test/c.csv'
        from unnest(generate_series(?::timestamptz, ?::timestamptz, interval 15 minute)) as t(ts)
        """,
        [level, START, START + timedelta(days=days) - timedelta(minutes=15)],
    )
    for index, extra in (bumps or {}).items():
        con.execute(
            "update raw_complaint_counts set reports = reports + ? where bucket_start = ?",
            [extra, START + timedelta(minutes=15 * index)],
        )
    build_models(con)  # the counts are a materialized model: refreshed when raw data changes, as a load does


def spikes(con: duckdb.DuckDBPyConnection) -> list[tuple[datetime, datetime, int]]:
    return con.execute("select started_at, ended_at, peak_reports from complaint_spikes order by 1").fetchall()


def test_a_flat_series_never_spikes(con: duckdb.DuckDBPyConnection) -> None:
    fill(con, level=7)
    assert spikes(con) == []
    assert con.execute("select count(*) from complaint_counts where baseline = 7").fetchone()[0] > 0


def test_a_sustained_step_is_a_spike_from_its_first_bucket(con: duckdb.DuckDBPyConnection) -> None:
    step = 8 * 96 + 40  # day 8, 10:00Z
    fill(con, level=7, bumps={step: 200, step + 1: 400, step + 2: 150})
    first = START + timedelta(minutes=15 * step)
    assert spikes(con) == [(first, first + timedelta(minutes=45), 407)]


def test_a_single_bucket_blip_is_not_a_spike(con: duckdb.DuckDBPyConnection) -> None:
    fill(con, level=7, bumps={8 * 96 + 40: 500})
    assert spikes(con) == []


def test_without_three_days_of_history_the_baseline_is_trailing(con: duckdb.DuckDBPyConnection) -> None:
    fill(con, level=7, days=3, bumps={40: 500, 41: 500})
    qualities = dict(con.execute("select baseline_quality, count(*) from complaint_counts group by all").fetchall())
    minimum = con.execute("select trailing_min_buckets from stg_spike_rule").fetchone()
    assert minimum is not None
    # the first buckets have too little behind them for any baseline; then the median of the last hours
    assert qualities == {"insufficient": minimum[0], "trailing": 3 * 96 - minimum[0]}
    first = START + timedelta(minutes=15 * 40)
    assert spikes(con) == [(first, first + timedelta(minutes=30), 507)]
    assert con.execute("select count(*) from complaint_counts where over_line").fetchone() == (2,)


def test_a_dip_of_one_bucket_does_not_split_an_outage(con: duckdb.DuckDBPyConnection) -> None:
    step = 8 * 96 + 40
    bumps = {step + i: 300 for i in range(8) if i != 3}  # a quiet bucket in the middle of two hours of complaints
    fill(con, level=7, bumps=bumps)
    first = START + timedelta(minutes=15 * step)
    row = con.execute("select started_at, ended_at, buckets, dips, dip_buckets from complaint_spikes").fetchall()
    assert row == [(first, first + timedelta(hours=2), 7, 1, 1)]
    assert con.execute("select count(*) from outages").fetchone() == (1,)


def test_a_minor_open_incident_does_not_acknowledge_a_major_outage(con: duckdb.DuckDBPyConnection) -> None:
    step = 8 * 96 + 40
    fill(con, level=7, bumps={step + i: 300 for i in range(6)})  # 90 minutes of complaints
    spike_start = START + timedelta(minutes=15 * step)
    con.execute(
        """
        insert into raw_incident_versions (incident_id, version_hash, source_id, service_id, native_id, title, impact,
            status, started_at, first_seen_at, last_seen_at, source_url)
        values
            ('s:minor', 'v', 's', 'svc', 'minor', 'Minor thing', 'minor', 'investigating', ?, now(), now(), 'u'),
            ('s:major', 'v', 's', 'svc', 'major', 'Big outage', 'major', 'investigating', ?, now(), now(), 'u')
        """,
        [spike_start - timedelta(hours=2), spike_start + timedelta(minutes=50)],
    )
    con.execute(
        """
        insert into raw_update_versions (incident_id, update_id, version_hash, source_id, posted_at, status,
            first_seen_at, last_seen_at, source_url)
        values ('s:minor', 'u1', 'v', 's', ?, 'investigating', now(), now(), 'u'),
               ('s:major', 'u1', 'v', 's', ?, 'investigating', now(), now(), 'u')
        """,
        [spike_start - timedelta(hours=2), spike_start + timedelta(minutes=50)],
    )
    row = con.execute("select incident_id, time_to_acknowledge from outages").fetchall()
    assert row == [("s:major", timedelta(minutes=50))]


# The names pattern applied to every post and service, as stg_complaints once did (one regular expression per pair):
# the model decides most pairs with plain string functions and must name exactly the same services.
NAMED_BY_PATTERN = """
select posts.uri, services.service_id, regexp_matches(lower(posts.text), rule.pattern) as is_complaint
from raw_posts as posts
cross join raw_services as services
cross join stg_complaint_rule as rule
where regexp_matches(
    list_reduce(
        list_prepend(lower(posts.text), coalesce(services.exclusions, [])),
        lambda acc, phrase: regexp_replace(acc, regexp_escape(lower(phrase)), ' ', 'g')
    ),
    '(^|[^[:alnum:]])('
        || array_to_string(list_transform(list_concat([services.service_id, services.name], services.aliases),
                                          lambda n: regexp_escape(lower(n))), '|')
        || ')($|[^[:alnum:]])'
)
"""


def test_complaints_name_the_services_the_names_pattern_names(con: duckdb.DuckDBPyConnection) -> None:
    services = [
        ("aa", "A a", ["a-a", "c++", "(x)"], ["a a x", ""]),  # a name inside itself; an empty exclusion phrase
        ("bb", "Bé", ["b.b", "", "日本"], None),  # an empty alias names every post with a blank in the right place
        ("cc", "Cc", ["cc-cc", "İx"], ["cc rain"]),
    ]
    names = ["a a", "a-a", "a a x", "aa", "a", "b", "bé", "b.b", "bxb", "c++", "(x)", "x", "cc", "cc-cc", "cc rain"]
    others = ["rain", "日本", "日本語", "İx", "i\u0307x", "e\u0301", "-", " ", "\n", "!", "1", "is down", "not working"]
    pieces = names + others
    texts = ["", " ", "a a a a", "ba a a", "a-a-a", "cc-cc-cc", "xcc-cc cc-cc", "Bé\nis down", "c++ is down"]
    texts += ["".join(pieces[(i * 7 + j * 13) % len(pieces)] for j in range(i % 5)) for i in range(300)]
    con.executemany(
        "insert into raw_services (service_id, name, aliases, depends_on, exclusions) values (?, ?, ?, [], ?)",
        services,
    )
    con.executemany(
        "insert into raw_posts values (?, ?, 'src', ?, null, ?, 'author', ?, null, now(), 'http://x.test/p')",
        [(f"at://p/{i}", f"p{i}", str(i), START + timedelta(hours=i), text) for i, text in enumerate(texts)],
    )
    expected = con.execute(f"{NAMED_BY_PATTERN} order by all").fetchall()
    assert len(expected) > 150
    assert con.execute("select uri, service_id, is_complaint from stg_complaints order by all").fetchall() == expected


def test_a_slowly_rising_or_cycling_first_days_flag_nothing(con: duckdb.DuckDBPyConnection) -> None:
    """The trailing baseline follows a series that grows (a new deployment's audience) or swings by day and night."""
    con.execute(
        """
        insert into raw_complaint_counts
        select 'src', svc, ?::timestamptz + to_minutes(15 * i),
               case svc when 'rising' then 5 + i // 8
                        else 25 + round(18 * sin(2 * pi() * i / 96))::bigint + i % 3 end,
               null, now(), 'http://x.test/c.csv'
        from range(3 * 96) as t(i), (values ('rising'), ('cycling')) as s(svc)
        """,
        [START],
    )
    build_models(con)
    qualities = con.execute("select distinct baseline_quality from complaint_counts order by 1").fetchall()
    assert qualities == [("insufficient",), ("trailing",)]
    assert con.execute("select count(*) from complaint_counts where over_line").fetchone() == (0,)
    assert spikes(con) == []
