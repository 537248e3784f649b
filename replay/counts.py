"""Generate the reconstructed complaint-count series from its spec (deterministic: a seeded generator)."""

from __future__ import annotations

import bisect
import csv
import io
import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from replay.timefmt import utc

EASTERN = ZoneInfo("America/New_York")


def _interpolate(points: list[tuple[datetime, float]], at: datetime) -> float:
    if not points or at <= points[0][0] or at >= points[-1][0]:
        return 0.0 if not points or at != points[-1][0] else points[-1][1]
    times = [p[0] for p in points]
    i = bisect.bisect_right(times, at)
    (t0, v0), (t1, v1) = points[i - 1], points[i]
    return v0 + (v1 - v0) * ((at - t0) / (t1 - t0))


def series(spec: dict[str, Any]) -> list[tuple[str, datetime, int]]:
    """(label, bucket_start, reports) for every service and bucket of the spec."""
    width = timedelta(minutes=int(spec["bucket_minutes"]))
    start, end = utc(spec["history_start"]), utc(spec["history_end"])
    profile = spec["daily_profile"]
    rows = []
    for service_id, service in spec["services"].items():
        rng = random.Random(f"{spec['seed']}-{service_id}")
        points = [(utc(t), float(v)) for t, v in service["outage"]]
        bucket = start
        while bucket < end:
            ordinary = service["level"] * profile[bucket.astimezone(EASTERN).hour]
            noisy = rng.gauss(ordinary, ordinary**0.5 * 0.5)
            rows.append((service["label"], bucket, max(0, round(noisy + _interpolate(points, bucket)))))
            bucket += width
    return rows


def render_csv(spec: dict[str, Any], at: datetime) -> str:
    """The export as a newsroom would download it at ``at``: only buckets that have ended."""
    width = timedelta(minutes=int(spec["bucket_minutes"]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["service", "bucket_start", "reports"])
    for label, bucket, reports in series(spec):
        if bucket + width <= at:
            writer.writerow([label, bucket.isoformat().replace("+00:00", "Z"), reports])
    return out.getvalue()
