"""The terminal timeline: fits its width, status in its own column, repeats folded, observed times marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from warehouse.timeline import render_text

T0 = datetime(2021, 12, 7, 16, 42, tzinfo=UTC)
LONG = "Trouble with certain Slack features for some customers in every region, under investigation"


def post(minutes: int, title: str, status: str, service: str = "slack", **extra: Any) -> dict[str, Any]:
    return {
        "occurred_at": T0 + timedelta(minutes=minutes),
        "service_id": service,
        "kind": "official_update",
        "title": f"{title} [{status}]",
        "reports": None,
        "status": status,
        **extra,
    }


def timeline_lines(text: str) -> list[str]:
    return text.splitlines()[2:]  # after "Timeline" and the column heads


def test_every_line_fits_the_width_and_the_status_keeps_its_column() -> None:
    rows = [post(0, LONG, "investigating"), post(60, LONG, "resolved"), post(61, "Other", "resolved", "aws")]
    for width in (60, 80, 132):
        text = render_text(rows, [], ZoneInfo("UTC"), width=width)
        assert all(len(line) <= width for line in text.splitlines()), (width, text)
        assert "investigating" in text
        assert "resolved" in text
        assert "[investigating]" not in text  # the status is a column, not a suffix of the title
    wide = render_text(rows, [], ZoneInfo("UTC"), width=200)
    assert LONG in wide
    assert "…" not in wide


def test_identical_repeats_are_one_line_with_their_count() -> None:
    rows = [post(5 * i, "Trouble with certain Slack features", "investigating") for i in range(13)]
    rows.insert(3, post(12, "EC2 errors", "investigating", "aws"))  # another service in between does not split them
    rows.append(post(70, "Trouble with certain Slack features", "resolved"))
    lines = timeline_lines(render_text(rows, [], ZoneInfo("UTC"), width=120))
    assert len(lines) == 3
    assert lines[0].endswith("\u00d713, last 2021-12-07 17:42Z")
    assert "resolved" in lines[2]
    assert "\u00d7" not in lines[2]


def test_observed_times_are_marked_and_a_missing_column_is_fine() -> None:
    rows = [post(0, "Stated", "investigating", time_source="stated"), post(1, "Seen", "resolved")]
    rows.append(post(2, "Only seen", "resolved", time_source="observed"))
    text = render_text(rows, [], ZoneInfo("UTC"), width=100)
    lines = timeline_lines(text)
    assert lines[0].startswith("   2021")
    assert lines[1].startswith("   2021")
    assert lines[2].startswith("  ~2021")
    assert "~ the source gave no time" in text
    plain = render_text([post(0, "Stated", "investigating")], [], ZoneInfo("UTC"), width=100)
    assert "~" not in plain


def test_the_acknowledgment_table_keeps_its_columns_whatever_the_delay_says() -> None:
    """ "no status page tracked" is wider than any delay: the peak column still starts at one place on every line."""
    spike = {"started_at": T0, "peak_reports": 2491, "peak_at": T0 + timedelta(minutes=45)}
    outages = [
        {
            **spike,
            "service_id": "aws",
            "acknowledged_at": T0 + timedelta(minutes=52),
            "acknowledgment": "acknowledged",
            "time_to_acknowledge": timedelta(minutes=52),
        },
        {
            **spike,
            "service_id": "netflix",
            "acknowledged_at": None,
            "acknowledgment": "no_status_source",
            "time_to_acknowledge": None,
        },
    ]
    table = render_text([], outages, ZoneInfo("UTC"), width=200).split("\n\n")[0].splitlines()[1:]
    assert "no status page tracked" in table[2]
    assert "52 min" in table[1]
    assert len({line.index("peak reports" if n == 0 else "2,491") for n, line in enumerate(table)}) == 1, table
