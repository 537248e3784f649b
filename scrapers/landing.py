"""From a crawl's fetch records to landing files of normalized records, one JSON Lines file per table.

Pure with respect to the warehouse: it reads stored bodies and writes files; the loader is the only writer of
the database. A source's failure (download or parse) becomes an error row and never stops the other sources.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapers import registry
from scrapers.catalog import Catalog
from scrapers.plausibility import describe_dropped, drop_implausible
from scrapers.records import Document, ParseError, record_to_json
from scrapers.spider import body_path
from scrapers.timeparse import parse_iso_utc

TABLES = (
    "runs",
    "services",
    "fetches",
    "incidents",
    "updates",
    "counts",
    "components",
    "component_changes",
    "posts",
    "errors",
)


def hash_author(author: str, salt: bytes) -> str:
    """An author id as a salted hash: enough to count one complaint per person, not to identify them."""
    return hashlib.blake2b(author.encode("utf-8"), key=salt[:64], digest_size=16).hexdigest()


@dataclass(slots=True)
class LandingSummary:
    run_id: str
    sources_total: int
    failed_sources: dict[str, list[str]] = field(default_factory=dict)  # source id -> reasons
    skipped_sources: dict[str, str] = field(default_factory=dict)  # source id -> why it did not run (not a failure)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def sources_failed(self) -> int:
        return len(self.failed_sources)


def _version_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, default=str, ensure_ascii=False))
            handle.write("\n")
            count += 1
    tmp.replace(path)
    return count


def build_landing(
    run_dir: Path, store: Path, catalog: Catalog, run_id: str, started_at: datetime, salt: bytes = b""
) -> LandingSummary:
    """Parse every fetched body of the run into ``run_dir/landing/*.jsonl``; return what failed and why."""
    fetches = list(read_jsonl(run_dir / "fetches.jsonl"))
    planned = json.loads((run_dir / "plan.json").read_text(encoding="utf-8"))
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    errors: dict[tuple[str, str], tuple[str, list[str]]] = {}

    def fail(source_id: str, url: str, failed_at: str, reason: str) -> None:
        key = (source_id, url)
        if key in errors:
            errors[key][1].append(reason)
        else:
            errors[key] = (failed_at, [reason])

    seen_sources = set()
    skipped: dict[str, str] = {}
    for fetch in fetches:
        seen_sources.add(fetch["source_id"])
        if "skipped" in fetch:
            skipped[fetch["source_id"]] = fetch["skipped"]
            continue
        fetch["run_id"] = run_id
        fetch["meta"] = json.dumps(fetch.get("meta") or {}, sort_keys=True)
        out["fetches"].append(fetch)
        source = catalog.source(fetch["source_id"])
        url, fetched_at = fetch["url"], fetch["fetched_at"]
        if fetch.get("error"):
            fail(source.id, url, fetched_at, _fetch_reason(fetch) + _error_body_reason(store, source.kind, fetch))
            continue
        if fetch.get("withheld"):
            continue  # a response that carried a secret (an auth token): used by the crawl, never stored or parsed
        body = body_path(store, fetch["sha256"]).read_bytes()
        doc = Document(
            source_id=source.id,
            url=url,
            body=body,
            content_type=fetch.get("content_type"),
            fetched_at=parse_iso_utc(fetched_at, what="fetched_at"),
            meta=json.loads(fetch["meta"]),
        )
        try:
            parsed = registry.get(source.kind).parse(doc)
        except ParseError as exc:
            fail(source.id, url, fetched_at, f"parse error ({source.kind}): {exc}")
            continue
        implausible = drop_implausible(parsed, doc.fetched_at)
        if implausible:
            fail(source.id, url, fetched_at, describe_dropped(implausible))
        observed = doc.fetched_at.isoformat()
        for incident in parsed.incidents:
            row = record_to_json(incident)
            version = _version_hash(row)
            row["component_ids"] = [f"{source.id}:{c}" for c in incident.component_ids]
            row.update(
                incident_id=f"{source.id}:{incident.native_id}",
                version_hash=version,
                source_id=source.id,
                service_id=source.service,
                observed_at=observed,
                source_url=url,
            )
            out["incidents"].append(row)
        for update in parsed.updates:
            row = record_to_json(update)
            version = _version_hash(row)
            row.update(
                incident_id=f"{source.id}:{update.incident_native_id}",
                update_id=update.native_id,
                version_hash=version,
                source_id=source.id,
                observed_at=observed,
                source_url=url,
            )
            out["updates"].append(row)
        for component in parsed.components:
            row = record_to_json(component)
            row.update(
                component_id=f"{source.id}:{component.native_id}",
                sha256=fetch["sha256"],
                source_id=source.id,
                service_id=source.service,
                observed_at=observed,
                source_url=url,
            )
            out["components"].append(row)
        for change in parsed.component_changes:
            row = record_to_json(change)
            row.update(
                component_id=f"{source.id}:{change.component_native_id}",
                incident_id=f"{source.id}:{change.incident_native_id}" if change.incident_native_id else None,
                source_id=source.id,
                observed_at=observed,
                source_url=url,
            )
            out["component_changes"].append(row)
        for post in parsed.posts:
            row = record_to_json(post)
            row.update(
                post_id=f"{source.id}:{post.native_id}",
                author_hash=hash_author(post.author, salt),
                source_id=source.id,
                observed_at=observed,
                source_url=url,
            )
            del row["author"]  # only the salted hash of an author is ever written
            out["posts"].append(row)
        unknown: dict[str, int] = defaultdict(int)
        for count in parsed.counts:
            # a count source bound to one service (Downdetector) may name it by its own slug
            service_id = catalog.resolve_service(count.service) or source.service
            if service_id is None:
                unknown[count.service] += 1
                continue
            row = record_to_json(count)
            row.update(service_id=service_id, source_id=source.id, observed_at=observed, source_url=url)
            out["counts"].append(row)
        for name, rows in sorted(unknown.items()):
            fail(
                source.id,
                url,
                fetched_at,
                f"{rows} row(s) name service {name!r}, which is not in the catalog",
            )

    for entry in planned:
        if entry["source_id"] not in seen_sources:
            fail(entry["source_id"], entry["url"], _now_iso(), "no response recorded: the crawl ended before it")

    for (source_id, url), (failed_at, reasons) in errors.items():
        out["errors"].append(
            {
                "run_id": run_id,
                "source_id": source_id,
                "url": url,
                "failed_at": failed_at,
                "error": "; ".join(reasons),
            }
        )

    summary = LandingSummary(
        run_id=run_id, sources_total=len({e["source_id"] for e in planned}), skipped_sources=skipped
    )
    for (source_id, _url), (_at, reasons) in sorted(errors.items()):
        summary.failed_sources.setdefault(source_id, []).extend(reasons)
    out["runs"].append(
        {
            "run_id": run_id,
            "started_at": started_at.isoformat(),
            "catalog_path": catalog.path,
            "sources_total": summary.sources_total,
            "sources_failed": summary.sources_failed,
        }
    )
    out["services"].extend(
        {
            "service_id": s.id,
            "name": s.name,
            "aliases": list(s.aliases),
            "depends_on": list(s.depends_on),
            "exclusions": list(s.exclude),
        }
        for s in catalog.services
    )
    landing = run_dir / "landing"
    landing.mkdir(exist_ok=True)
    for table in TABLES:
        summary.rows[table] = _write_jsonl(landing / f"{table}.jsonl", out[table])
    return summary


def _error_body_reason(store: Path, kind: str, fetch: dict[str, Any]) -> str:
    """What the error body itself says, when the kind can read it (Mastodon: "hashtag timelines are disabled")."""
    if not fetch.get("sha256"):
        return ""
    path = body_path(store, fetch["sha256"])
    if not path.exists():
        return ""
    doc = Document(
        source_id=fetch["source_id"],
        url=fetch["url"],
        body=path.read_bytes(),
        content_type=fetch.get("content_type"),
        fetched_at=parse_iso_utc(fetch["fetched_at"], what="fetched_at"),
        meta=json.loads(fetch.get("meta") or "{}"),
    )
    try:
        registry.get(kind).parse(doc)
    except ParseError as exc:
        return f": {exc}"
    return ""


def _fetch_reason(fetch: dict[str, Any]) -> str:
    status = fetch.get("http_status")
    error = str(fetch.get("error") or "")
    if status is not None:
        # "HTTP 503" → "HTTP 503 from the server"; a longer error (a refused redirect, why no retry) is kept whole
        detail = error.removeprefix(f"HTTP {status}").lstrip(":; ")
        return f"HTTP {status} from the server" + (f"; {detail}" if detail else "")
    return error


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()
