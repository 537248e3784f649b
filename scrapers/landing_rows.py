"""The landing row of each record type: the record as JSON, with the identity its source gives it and where and when
it was read. Pure functions; the parse stage (scrapers/landing.py) writes the rows, passing each document's
``observed_at`` (its fetch time in ISO 8601) once computed for all its rows."""

from __future__ import annotations

import hashlib
import json
import json.encoder
from typing import Any

from scrapers.catalog import Source
from scrapers.records import ComplaintCount, Component, ComponentChange, Document, Incident, IncidentUpdate, Post
from scrapers.records import record_to_json as _json


def hash_author(author: str, salt: bytes) -> str:
    """An author id as a salted hash: enough to count one complaint per person, not to identify them."""
    return hashlib.blake2b(author.encode("utf-8"), key=salt[:64], digest_size=16).hexdigest()


# The text hashed is json.dumps(payload, sort_keys=True, default=str). JSONEncoder.encode builds the C encoder (and a
# dict to find cycles in) on every call; one C encoder, built once with those settings, serves them all with the same
# text (a record's payload holds no cycle). Without the C module, the encoder object does it.
_VERSION_ENCODER = json.JSONEncoder(sort_keys=True, default=str)


def _c_version_encoder() -> Any:
    """json's own C encoder with the settings above, or None (the encoder object then does it) without the _json
    module, or when this private constructor does not take these arguments or gives another text for a probe."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    probe = {"b": [1, 2.5, None, True, float("nan")], "a": "\u00e9\u2028", "c": {"z": object}}
    try:
        encoder = make(None, str, json.encoder.encode_basestring_ascii, None, ": ", ", ", True, False, True)
        same = "".join(encoder(probe, 0)) == _VERSION_ENCODER.encode(probe)
    except (TypeError, ValueError):
        return None
    return encoder if same else None


_C_VERSION_ENCODER = _c_version_encoder()


def version_text(payload: dict[str, Any]) -> str:
    """``json.dumps(payload, sort_keys=True, default=str)``: the text a version hash is taken of."""
    if _C_VERSION_ENCODER is None:
        return _VERSION_ENCODER.encode(payload)
    return "".join(_C_VERSION_ENCODER(payload, 0))


def version_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(version_text(payload).encode()).hexdigest()[:32]


def incident_row(source: Source, doc: Document, incident: Incident, observed_at: str | None = None) -> dict[str, Any]:
    row = _json(incident)
    version = version_hash(row)
    row["component_ids"] = [f"{source.id}:{c}" for c in incident.component_ids]
    row.update(
        incident_id=f"{source.id}:{incident.native_id}",
        version_hash=version,
        source_id=source.id,
        service_id=source.service,
        observed_at=observed_at or doc.fetched_at.isoformat(),
        source_url=doc.url,
    )
    return row


def update_row(source: Source, doc: Document, update: IncidentUpdate, observed_at: str | None = None) -> dict[str, Any]:
    row = _json(update)
    version = version_hash(row)
    row.update(
        incident_id=f"{source.id}:{update.incident_native_id}",
        update_id=update.native_id,
        version_hash=version,
        source_id=source.id,
        observed_at=observed_at or doc.fetched_at.isoformat(),
        source_url=doc.url,
    )
    return row


def component_row(
    source: Source, doc: Document, sha256: str, component: Component, observed_at: str | None = None
) -> dict[str, Any]:
    row = _json(component)
    row.update(
        component_id=f"{source.id}:{component.native_id}",
        sha256=sha256,
        source_id=source.id,
        service_id=source.service,
        observed_at=observed_at or doc.fetched_at.isoformat(),
        source_url=doc.url,
    )
    return row


def component_change_row(
    source: Source, doc: Document, change: ComponentChange, observed_at: str | None = None
) -> dict[str, Any]:
    row = _json(change)
    row.update(
        component_id=f"{source.id}:{change.component_native_id}",
        incident_id=f"{source.id}:{change.incident_native_id}" if change.incident_native_id else None,
        source_id=source.id,
        observed_at=observed_at or doc.fetched_at.isoformat(),
        source_url=doc.url,
    )
    return row


def post_row(source: Source, doc: Document, post: Post, salt: bytes, observed_at: str | None = None) -> dict[str, Any]:
    row = _json(post)
    row.update(
        post_id=f"{source.id}:{post.native_id}",
        author_hash=hash_author(post.author, salt),
        source_id=source.id,
        observed_at=observed_at or doc.fetched_at.isoformat(),
        source_url=doc.url,
    )
    del row["author"]  # only the salted hash of an author is ever written
    return row


def count_row(
    source: Source, doc: Document, count: ComplaintCount, service_id: str, observed_at: str | None = None
) -> dict[str, Any]:
    row = _json(count)
    row.update(
        service_id=service_id,
        source_id=source.id,
        observed_at=observed_at or doc.fetched_at.isoformat(),
        source_url=doc.url,
    )
    return row
