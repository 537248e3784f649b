"""Property-based tests of the baseline and the spike rule, through the real schema and the public views.

For generated 15-minute count series (a flat level over several weeks, optionally with bounded noise), loaded into a
fresh DuckDB file with ``migrate`` and ``build_models``:

- a flat series is never flagged: no bucket over the line in ``complaint_counts``, no ``complaint_spikes``, no
  ``outages``;
- a step of sufficient size, placed after enough history for a baseline, is always flagged: exactly one spike, from
  the step's first bucket to its last, and one outage starting there;
- the same input gives the same answer: two files loaded in different row orders, one of them on a single thread,
  return the same rows from all three views;
- a gap in the series (rows missing, of any length, anywhere) flags nothing the same series without it would not,
  and a gap longer than the rule's count_gap_minutes is unknown (NULL, uncovered), not zeros;
- a 20x step on a series' first day, with no weekday or time-of-day history, is flagged on a 'trailing' baseline;
- a step with one quiet bucket inside it is one spike, with one dip.

"Sufficient" and "quiet" are derived from the rule's own parameters (read from the ``stg_spike_rule`` view), so the
properties keep holding when the parameters change.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse.db import connect, migrate
from warehouse.models import build_models

# When the whole suite runs, the session's Prefect test server keeps background threads that draw from the global
# `random` module while hypothesis generates data; our strategies never do (as in test_fuzz_parsers.py).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:hypothesis.errors.HypothesisDeprecationWarning"
)

# Each example builds its own DuckDB file and the whole model stack (about half a second): a small, repeatable budget.
# database=None: no .hypothesis folder in the working tree; derandomize: CI sees the same examples as a laptop.
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SERVICE = "svc-prop"
SOURCE = "prop-counts"
# A Monday: the weekday baseline's weeks line up with calendar weeks (not needed by the rule, easier to read).
FIRST_DAY = datetime(2021, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Rule:
    """The published parameters of the spike rule, as the ``stg_spike_rule`` view gives them."""

    ratio: float
    z: float
    floor_reports: int
    min_buckets: int
    min_history: int
    bucket_minutes: int
    trailing_min_buckets: int
    count_gap_minutes: int

    @property
    def buckets_per_day(self) -> int:
        return 24 * 60 // self.bucket_minutes


@cache
def spike_rule() -> Rule:
    """Read once from a scratch warehouse: the view is the one place the parameters live."""
    con = connect(":memory:")
    try:
        migrate(con)
        build_models(con)
        row = con.execute(
            "SELECT ratio, z, floor_reports, min_buckets, min_history, bucket_minutes, trailing_min_buckets, "
            "count_gap_minutes FROM stg_spike_rule"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    ratio, z, floor_reports, min_buckets, min_history, bucket_minutes, trailing_min, count_gap = row
    return Rule(
        float(ratio),
        float(z),
        int(floor_reports),
        int(min_buckets),
        int(min_history),
        int(bucket_minutes),
        int(trailing_min),
        int(count_gap),
    )


def can_cross(reports: float, baseline: float, mad: float, rule: Rule) -> bool:
    """Whether ``reports`` would be over the line against ``baseline`` and ``mad`` (the rule, restated)."""
    scale = max(1.4826 * mad, math.sqrt(max(baseline, 0.0)), 1.0)
    return (
        reports >= rule.ratio * max(baseline, 1.0)
        and reports >= baseline + rule.z * scale
        and reports >= rule.floor_reports
    )


def quiet_amplitude(level: int, rule: Rule) -> int:
    """The largest noise amplitude, at most one Poisson standard deviation, that cannot put a bucket over the line.

    The highest reading (level + k) against the lowest baseline any median of the series can have (level - k) and no
    spread at all: every other case has a higher line. Thresholds grow with the baseline, so this is the worst case.
    """
    amplitude = math.isqrt(level)
    while amplitude > 0 and can_cross(level + amplitude, level - amplitude, 0.0, rule):
        amplitude -= 1
    return amplitude


def sufficient_step(level: int, amplitude: int, rule: Rule) -> int:
    """The smallest step that puts every bucket it raises over the line, whatever the noise did.

    The lowest reading (level - k + step) against the highest baseline (level + k) and the widest spread the median
    absolute deviation of readings within [level - k, level + k] can have (2k).
    """
    baseline, mad = level + amplitude, 2 * amplitude
    scale = max(1.4826 * mad, math.sqrt(baseline), 1.0)
    line = max(rule.ratio * max(baseline, 1), baseline + rule.z * scale, rule.floor_reports)
    return math.ceil(line) - (level - amplitude)


@dataclass(frozen=True)
class Series:
    """One service's counts: ``level`` ± ``amplitude`` (hashed from ``seed``), plus ``step`` over ``step_buckets``."""

    start: datetime
    buckets: int
    level: int
    amplitude: int
    seed: int
    step_at: int = 0
    step_buckets: int = 0
    step: int = 0
    dip: int = -1  # a bucket of the step (index within it) left at the level
    gap_at: int = 0  # buckets with no row at all
    gap_buckets: int = 0

    def bucket(self, index: int) -> datetime:
        return self.start + timedelta(minutes=spike_rule().bucket_minutes * index)


@st.composite
def flat_series(draw: st.DrawFn) -> Series:
    rule = spike_rule()
    weeks = draw(st.integers(min_value=2, max_value=5), label="weeks")
    level = draw(st.integers(min_value=0, max_value=400), label="level")
    noisy = draw(st.booleans(), label="noisy")
    amplitude = draw(st.integers(0, quiet_amplitude(level, rule)), label="amplitude") if noisy else 0
    # start anywhere in a day, so slots of the day do not all begin their history at midnight
    offset = draw(st.integers(min_value=0, max_value=rule.buckets_per_day - 1), label="start slot")
    return Series(
        start=FIRST_DAY + timedelta(minutes=rule.bucket_minutes * offset),
        buckets=weeks * 7 * rule.buckets_per_day,
        level=level,
        amplitude=amplitude,
        seed=draw(st.integers(min_value=0, max_value=2**31 - 1), label="seed"),
    )


@st.composite
def stepped_series(draw: st.DrawFn) -> Series:
    rule = spike_rule()
    flat = draw(flat_series())
    length = draw(st.integers(min_value=rule.min_buckets, max_value=rule.min_buckets + 14), label="step buckets")
    # min_history + 1 days of history, not min_history: the first day of a series at or above the floor is left out
    # of the baseline (its rough first-pass baseline is NULL, taken as 1), so the baseline starts a day later.
    first = (rule.min_history + 1) * rule.buckets_per_day
    step_at = draw(st.integers(min_value=first, max_value=flat.buckets - length - 1), label="step at")
    least = sufficient_step(flat.level, flat.amplitude, rule)
    step = draw(st.integers(min_value=least, max_value=least * 4), label="step")
    return Series(
        flat.start, flat.buckets, flat.level, flat.amplitude, flat.seed, step_at=step_at, step_buckets=length, step=step
    )


# --- the warehouse -------------------------------------------------------------------------------------------

# One set-based insert: the series is computed by DuckDB from the bound parameters, never row by row from Python.
INSERT_SERIES = """
INSERT INTO raw_complaint_counts (source_id, service_id, bucket_start, reports, baseline, observed_at, source_url)
SELECT $source, $service,
       $start + to_minutes($bucket_minutes * i),
       $level + (hash($seed, i) % (2 * $amplitude + 1))::BIGINT - $amplitude
         + CASE WHEN i >= $step_at AND i < $step_at + $step_buckets AND i <> $step_at + $dip THEN $step ELSE 0 END,
       NULL, $start, 'http://127.0.0.1/prop.csv'
FROM range($buckets) t(i)
WHERE i < $gap_at OR i >= $gap_at + $gap_buckets
ORDER BY CASE WHEN $shuffled THEN hash(i, 'order') ELSE i END
"""


@contextmanager
def warehouse(folder: Path, series: Series, *, shuffled: bool = False, threads: int | None = None) -> Iterator[Any]:
    """A fresh warehouse file holding one service and its series, with every model built."""
    con = connect(folder / f"prop-{'shuffled' if shuffled else 'ordered'}.duckdb")
    try:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        migrate(con)
        con.execute(
            "INSERT INTO raw_services (service_id, name, aliases, depends_on) VALUES (?, ?, [], [])",
            [SERVICE, "Property Service"],
        )
        con.execute(
            INSERT_SERIES,
            {
                "source": SOURCE,
                "service": SERVICE,
                "start": series.start,
                "bucket_minutes": spike_rule().bucket_minutes,
                "level": series.level,
                "amplitude": series.amplitude,
                "seed": series.seed,
                "step_at": series.step_at,
                "step_buckets": series.step_buckets,
                "step": series.step,
                "dip": series.dip,
                "gap_at": series.gap_at,
                "gap_buckets": series.gap_buckets,
                "buckets": series.buckets,
                "shuffled": shuffled,
            },
        )
        build_models(con)
        yield con
    finally:
        con.close()


def counts(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT bucket_start, reports, baseline, baseline_quality, over_line, is_spike, covered FROM complaint_counts "
        "WHERE service_id = ? ORDER BY bucket_start",
        [SERVICE],
    ).fetchall()


def spikes(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT started_at, ended_at, buckets, peak_reports FROM complaint_spikes WHERE service_id = ? ORDER BY 1",
        [SERVICE],
    ).fetchall()


def outages(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute("SELECT * FROM outages WHERE service_id = ? ORDER BY started_at", [SERVICE]).fetchall()


# --- the properties ------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(series=flat_series())
def test_a_flat_series_is_never_flagged(series: Series, tmp_path_factory: pytest.TempPathFactory) -> None:
    with warehouse(tmp_path_factory.mktemp("flat"), series) as con:
        rows = counts(con)
        assert len(rows) == series.buckets
        assert [row for row in rows if row[4]] == []
        assert spikes(con) == []
        assert outages(con) == []
        # not vacuous: the rule had a baseline to judge by, and it lies within the noise
        baselines = [row[2] for row in rows if row[2] is not None]
        assert baselines
        assert all(series.level - series.amplitude <= b <= series.level + series.amplitude for b in baselines)


@PROPERTY_SETTINGS
@given(series=stepped_series())
def test_a_sufficient_step_is_always_flagged(series: Series, tmp_path_factory: pytest.TempPathFactory) -> None:
    with warehouse(tmp_path_factory.mktemp("step"), series) as con:
        started, ended = series.bucket(series.step_at), series.bucket(series.step_at + series.step_buckets)
        found = spikes(con)
        assert [(s, e, n) for s, e, n, _ in found] == [(started, ended, series.step_buckets)]
        peak = found[0][3]
        low, high = series.level - series.amplitude + series.step, series.level + series.amplitude + series.step
        assert low <= peak <= high
        found_outages = con.execute(
            "SELECT started_at, ended_at, peak_reports, acknowledged FROM outages WHERE service_id = ?", [SERVICE]
        ).fetchall()
        assert found_outages == [(started, ended, peak, False)]


@pytest.mark.slow  # three warehouses per example
@PROPERTY_SETTINGS
@given(series=st.one_of(flat_series(), stepped_series()))
def test_the_same_input_gives_the_same_answer(series: Series, tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("same")
    with warehouse(folder, series) as con:
        first = (counts(con), spikes(con), outages(con))
        build_models(con)  # rebuilt over the same rows
        assert (counts(con), spikes(con), outages(con)) == first
    # the same rows inserted in another order, computed on one thread: the physical layout must not matter
    with warehouse(folder, series, shuffled=True, threads=1) as con:
        assert (counts(con), spikes(con), outages(con)) == first


@st.composite
def gapped_series(draw: st.DrawFn) -> Series:
    series = draw(st.one_of(flat_series(), stepped_series()))
    gap_at = draw(st.integers(min_value=1, max_value=series.buckets - 2), label="gap at")
    longest = min(series.buckets - 1 - gap_at, 4 * spike_rule().buckets_per_day)
    gap_buckets = draw(st.integers(min_value=1, max_value=longest), label="gap buckets")
    return replace(series, gap_at=gap_at, gap_buckets=gap_buckets)


@PROPERTY_SETTINGS
@given(series=gapped_series())
def test_a_gap_flags_nothing_the_full_series_would_not(
    series: Series, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with warehouse(tmp_path_factory.mktemp("full"), replace(series, gap_at=0, gap_buckets=0)) as con:
        full = {row[0]: row for row in counts(con)}
    with warehouse(tmp_path_factory.mktemp("gap"), series) as con:
        gapped = counts(con)
    rule = spike_rule()
    silence = (series.gap_buckets + 1) * rule.bucket_minutes  # minutes between the rows either side of the gap
    for at, reports, _, _, over_line, is_spike, covered in gapped:
        inside = series.bucket(series.gap_at) <= at < series.bucket(series.gap_at + series.gap_buckets)
        if inside:
            # a silence longer than the rule allows is unknown; a shorter one is zeros (the source had nothing)
            assert (reports, covered) == ((None, False) if silence > rule.count_gap_minutes else (0, True))
        if over_line:
            assert full[at][4], at
        if is_spike:
            assert full[at][5], at


@PROPERTY_SETTINGS
@given(
    level=st.integers(min_value=1, max_value=300),
    noisy=st.booleans(),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
    data=st.data(),
)
def test_a_20x_step_on_day_one_is_flagged_on_a_trailing_baseline(
    level: int, noisy: bool, seed: int, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rule = spike_rule()
    amplitude = data.draw(st.integers(0, quiet_amplitude(level, rule)), label="amplitude") if noisy else 0
    length = data.draw(st.integers(min_value=rule.min_buckets, max_value=rule.min_buckets + 14), label="step buckets")
    # after a quarter of a day: the trailing window holds more quiet buckets than step buckets
    first = rule.buckets_per_day // 4
    step_at = data.draw(st.integers(min_value=first, max_value=rule.buckets_per_day - length - 1), label="step at")
    series = Series(FIRST_DAY, rule.buckets_per_day, level, amplitude, seed, step_at, length, 19 * level)
    with warehouse(tmp_path_factory.mktemp("dayone"), series) as con:
        started, ended = series.bucket(step_at), series.bucket(step_at + length)
        assert [(s, e, n) for s, e, n, _ in spikes(con)] == [(started, ended, length)]
        qualities = {row[3] for row in counts(con) if started <= row[0] < ended}
        assert qualities == {"trailing"}


@PROPERTY_SETTINGS
@given(series=stepped_series(), data=st.data())
def test_a_step_with_a_one_bucket_dip_is_one_spike(
    series: Series, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rule = spike_rule()
    length = data.draw(st.integers(2 * rule.min_buckets + 1, 2 * rule.min_buckets + 14), label="step buckets")
    dip = data.draw(st.integers(rule.min_buckets, length - rule.min_buckets - 1), label="dip")
    step_at = min(series.step_at, series.buckets - length - 1)
    series = replace(series, step_at=step_at, step_buckets=length, dip=dip)
    with warehouse(tmp_path_factory.mktemp("dip"), series) as con:
        found = con.execute(
            "SELECT started_at, ended_at, buckets, dips, dip_buckets FROM complaint_spikes WHERE service_id = ?",
            [SERVICE],
        ).fetchall()
        assert found == [(series.bucket(step_at), series.bucket(step_at + length), length - 1, 1, 1)]
        assert len(outages(con)) == 1
