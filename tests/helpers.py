"""What the kind tests share: one way to build a fetched :class:`Document` (:func:`make_doc`), and the checks every
parser's output must pass (times in UTC, incidents and updates well formed). Each test module keeps its own constants
(URLs, fetch time, content type) and passes them in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapers.bodystore import store_body
from scrapers.records import IMPACTS, UPDATE_STATUSES, Document, Incident, IncidentUpdate, Parsed

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def utc(text: str) -> datetime:
    """An expected instant, written as ISO 8601 (``Z`` or an offset), as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def make_doc(
    url: str,
    body: bytes | str,
    *,
    fetched_at: datetime,
    source_id: str = "test",
    content_type: str | None = "application/json",
    meta: Mapping[str, Any] | None = None,
    carried: Mapping[str, str] | None = None,
) -> Document:
    """A fetched document as a parser or ``follow`` receives it (text bodies are encoded as UTF-8)."""
    return Document(
        source_id=source_id,
        url=url,
        body=body.encode() if isinstance(body, str) else body,
        content_type=content_type,
        fetched_at=fetched_at,
        meta=dict(meta or {}),
        carried=dict(carried or {}),
    )


def assert_aware_utc(value: datetime | None, what: str = "a time") -> None:
    """None, or an aware datetime in UTC: what every time a parser returns must be."""
    if value is not None:
        assert value.tzinfo is not None, f"{what} is naive: {value!r}"
        assert value.utcoffset() == timedelta(0), f"{what} is not UTC: {value!r}"


def assert_incidents_well_formed(parsed: Parsed) -> None:
    """Incidents and updates as every status kind must return them: titled, in our vocabulary, times in UTC, each
    update on an incident of the same document."""
    ids = {incident.native_id for incident in parsed.incidents}
    for incident in parsed.incidents:
        assert isinstance(incident, Incident)
        assert incident.title.strip()
        assert incident.status in UPDATE_STATUSES
        assert incident.impact is None or incident.impact in IMPACTS
        assert_aware_utc(incident.started_at)
        assert_aware_utc(incident.resolved_at)
    for update in parsed.updates:
        assert isinstance(update, IncidentUpdate)
        assert update.incident_native_id in ids
        assert update.status in UPDATE_STATUSES
        assert_aware_utc(update.posted_at)
        assert_aware_utc(update.created_at)


def crawled_run(run_dir: Path, store: Path, fetched: list[tuple[str, str, str, bytes]], **fetch: Any) -> None:
    """A crawl's output as the parse stage reads it: each ``(source_id, kind, url, body)`` fetched once with a 200,
    its body in ``store``, the plan and ``fetches.jsonl`` in ``run_dir``. ``fetch`` sets the fields every fetch shares
    (``fetched_at`` is needed; ``content_type`` defaults to JSON)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    plan, lines = [], []
    for source_id, kind, url, body in fetched:
        plan.append({"source_id": source_id, "kind": kind, "url": url, "validators": []})
        record = {
            "source_id": source_id,
            "url": url,
            "final_url": url,
            "http_status": 200,
            "content_type": "application/json",
            "sha256": store_body(store, body),
            "bytes": len(body),
            "withheld": False,
            "meta": {},
            "error": None,
            **fetch,
        }
        lines.append(json.dumps(record) + "\n")
    (run_dir / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    (run_dir / "fetches.jsonl").write_text("".join(lines), encoding="utf-8")
