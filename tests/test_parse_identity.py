"""The parse stage's faster ways of computing a landing row give what the plain ways give: the version hash's text is
``json.dumps(sort_keys=True, default=str)``, a record's JSON is each field's ``isoformat()`` (whatever the zone), the
landing file holds the bytes the text writer wrote, the plausibility pass and the timestamp fast path answer as the
full checks do, and a JSON body is no XML root. Each is compared with its reference on values chosen to tell them
apart (zones, subclasses, big integers, floats, lone surrogates)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from lxml import etree

from scrapers.formats.feeds import xml_root
from scrapers.landing_files import LandingFiles
from scrapers.landing_rows import version_hash, version_text
from scrapers.plausibility import _implausible, _why_implausible
from scrapers.records import ComponentChange, Incident, IncidentUpdate, field_names, record_to_json
from scrapers.timeparse import cached_iso_utc, parse_iso_utc

AT = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)
PLUS5 = timezone(timedelta(hours=5))


class _Stamp(datetime):
    """A datetime subclass with its own text: the cache must not stand in for it."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "stamp:" + super().isoformat(sep, timespec)


def _reference_json(record: Any) -> dict[str, Any]:
    """record_to_json as first written: every datetime's isoformat(), tuples as lists."""
    out: dict[str, Any] = {}
    for name in field_names(type(record)):
        value = getattr(record, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def _records() -> list[Any]:
    same_instant = AT.astimezone(PLUS5)  # equal to AT, another text
    stamp = _Stamp(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)  # equal to AT too
    return [
        IncidentUpdate("i1", "u1", AT, AT, "resolved", "resolved", "Résolu ✓ \u2028 \x00"),
        IncidentUpdate("i1", "u2", same_instant, AT, "monitoring", None, ""),
        IncidentUpdate("i1", "u3", stamp, same_instant, "identified", "identified", "x"),
        IncidentUpdate("i1", "u4", AT, None, "unknown", "odd", "y"),
        ComponentChange("c1", same_instant, "degraded", "degraded_performance", "operational", "i1"),
        ComponentChange("c1", AT, "operational", None),
        Incident("i1", "Title", "minor", "minor", "resolved", "resolved", AT, None, None, component_ids=("a", "b")),
        Incident("i2", "T", None, None, "scheduled", None, same_instant, stamp, "https://x", regions=("eu",)),
    ]


def test_record_json_is_each_fields_isoformat_whatever_the_zone() -> None:
    for _ in range(2):  # the second pass reads the cache the first one filled
        for record in _records():
            assert record_to_json(record) == _reference_json(record)
            assert list(record_to_json(record)) == list(field_names(type(record)))


@pytest.mark.parametrize("record", _records(), ids=lambda r: f"{type(r).__name__}")
def test_the_version_text_is_json_dumps_sorted(record: Any) -> None:
    payload = record_to_json(record)
    assert version_text(payload) == json.dumps(payload, sort_keys=True, default=str)


def test_the_version_text_of_awkward_values() -> None:
    payloads: list[dict[str, Any]] = [
        {"b": 2**70, "a": -(2**64), "c": 1.5, "d": 1e300, "e": float("nan"), "f": float("-inf"), "g": True},
        {"z": ["x", None, 3, {"y": "é", "x": [1, 2.0]}], "a": AT, "m": {"k": AT.astimezone(PLUS5)}},
        {"s": "lone \ud800 surrogate", "t": "\u2028\u2029\x7f\x1f", "u": "𝄞 emoji 😀"},
        {},
    ]
    for payload in payloads:
        expected = json.dumps(payload, sort_keys=True, default=str)
        assert version_text(payload) == expected
        assert len(version_hash(payload)) == 32


def _reference_line(row: dict[str, Any]) -> str:
    """The landing line as the text writer had it (orjson's text, else json with lone surrogates replaced)."""
    try:
        return orjson.dumps(row, default=str, option=orjson.OPT_APPEND_NEWLINE).decode()
    except orjson.JSONEncodeError:
        line = json.dumps(row, default=str, ensure_ascii=False) + "\n"
        return line.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def test_landing_files_hold_the_bytes_the_text_writer_wrote(tmp_path: Path) -> None:
    rows = [
        {"a": "plain", "n": 1, "none": None, "list": [1, "x"]},
        {"a": "Résolu ✓ 😀", "f": 0.1},
        {"a": "lone \ud800 surrogate"},
        {"big": 2**70},
        {"when": AT},
    ]
    files = LandingFiles(tmp_path / "landing", ["t"])
    for row in rows:
        files.write("t", row)
    assert files.commit() == {"t": len(rows)}
    expected = tmp_path / "expected.jsonl"
    with expected.open("w", encoding="utf-8") as handle:
        handle.writelines(_reference_line(row) for row in rows)
    assert (tmp_path / "landing" / "t.jsonl").read_bytes() == expected.read_bytes()
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "t.jsonl").write_bytes(expected.read_bytes())
    again = LandingFiles(tmp_path / "again", ["t"])
    again.append(tmp_path / "part", {"t": len(rows)})
    again.append_file("t", expected, len(rows))
    again.commit()
    assert (tmp_path / "again" / "t.jsonl").read_bytes() == expected.read_bytes() * 2


def test_the_plausibility_pass_answers_as_the_full_check() -> None:
    latest = AT + timedelta(days=1)
    records = [
        *_records(),
        IncidentUpdate("i1", "old", datetime(1970, 1, 1, tzinfo=UTC), AT, "resolved", None, ""),
        IncidentUpdate("i1", "late", AT + timedelta(days=3), AT, "resolved", None, ""),
        Incident("p", "Planned", "maintenance", None, "scheduled", None, AT + timedelta(days=30), None, None),
        Incident("q", "Late", "minor", None, "resolved", None, AT + timedelta(days=30), None, None),
        ComponentChange("c", datetime(1999, 12, 31, 23, 59, tzinfo=UTC), "operational", None),
    ]
    answers = [_implausible(record, AT, latest) for record in records]
    assert answers == [_why_implausible(record, AT, latest) for record in records]
    assert sum(answer is not None for answer in answers) == 4  # the planned incident may lie in the future


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-01T12:00:00Z",
        "2026-11-01T12:00:00.5+05:30",
        " 2026-11-01T12:00:00z ",
        "2026-11-01T12:00:00",
        "",
        None,
        "not a time",
        17,
        "2026-13-01T00:00:00Z",
    ],
)
def test_the_timestamp_fast_path_gives_what_the_parse_gives(value: object) -> None:
    try:
        expected: datetime | None = parse_iso_utc(value, what="t")
    except ValueError:
        expected = None
    assert cached_iso_utc(value) == expected


@pytest.mark.parametrize("body", [b'{"page": {}}', b"[1, 2]", b"{", b"[<rss/>]"])
def test_a_json_body_has_no_xml_root(body: bytes) -> None:
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
    with contextlib.suppress(etree.XMLSyntaxError):  # what xml_root did for every body: lxml finds no element
        parser.feed(body)
    assert not list(parser.read_events())
    assert xml_root(body) is None
