"""From a crawl's fetch records to landing files of normalized records, one JSON Lines file per table.

Pure with respect to the warehouse: it reads stored bodies and writes files; the loader is the only writer of
the database. A source's failure (download or parse) becomes an error row and never stops the other sources.
A body the warehouse already holds the records of (the same bytes as its URL's previous good read) is not parsed
again: a resighting row moves the last sighting of its incident and update versions forward at load time.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson

from scrapers import registry
from scrapers.catalog import Catalog, Source
from scrapers.plausibility import describe_dropped, drop_implausible
from scrapers.records import Document, Parsed, ParseError, record_to_json
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
    "documents",
    "resightings",
)

# Kinds whose records depend on when a body was fetched, not only on its bytes: Better Stack's maintenance phase is
# read against the fetch time, Downdetector's 24-hour series is anchored at it. Their unchanged bodies are parsed
# again (tests/test_conditional.py checks that no other kind reads Document.fetched_at).
CLOCK_DEPENDENT = frozenset({"betterstack", "downdetector"})

# Below this many bytes of bodies to parse, a worker process (about a second to start) costs more than it saves.
PARALLEL_MIN_BYTES = 32 * 1024 * 1024


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
    documents_parsed: int = 0  # bodies parsed
    documents_unchanged: int = 0  # bodies the warehouse already held the records of: not parsed, resighted

    @property
    def sources_failed(self) -> int:
        return len(self.failed_sources)


def _version_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _json_line(row: dict[str, Any]) -> str:
    """One landing row as a line of JSON. orjson writes it several times faster than the json module (encoding was
    the parse stage's biggest cost); what it refuses (an integer beyond 64 bits, a lone surrogate) goes through json,
    as before."""
    try:
        return orjson.dumps(row, default=str, option=orjson.OPT_APPEND_NEWLINE).decode()
    except orjson.JSONEncodeError:
        return json.dumps(row, default=str, ensure_ascii=False) + "\n"


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


class LandingFiles:
    """A landing folder's table files, written row by row as they are produced (a run's rows are never all held in
    memory) under temporary names, and renamed into place together once every row is written."""

    def __init__(self, folder: Path, tables: Iterable[str] = TABLES) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, int] = {}
        self._targets: dict[str, Path] = {}
        self._handles: dict[str, TextIO] = {}
        for table in tables:
            self._targets[table] = folder / f"{table}.jsonl"
            self._handles[table] = self._targets[table].with_suffix(".tmp").open("w", encoding="utf-8")
            self.rows[table] = 0

    def write(self, table: str, row: dict[str, Any]) -> None:
        handle = self._handles[table]
        handle.write(_json_line(row))
        self.rows[table] += 1

    def append(self, folder: Path, rows: dict[str, int]) -> None:
        """Append the committed landing files of ``folder`` (a worker's share) to these."""
        for table, handle in self._handles.items():
            with (folder / f"{table}.jsonl").open(encoding="utf-8") as part:
                shutil.copyfileobj(part, handle)
            self.rows[table] += rows.get(table, 0)

    def commit(self) -> dict[str, int]:
        """Close every file and move it into place; returns the rows written per table."""
        for handle in self._handles.values():
            handle.close()
        for target in self._targets.values():
            target.with_suffix(".tmp").replace(target)
        return dict(self.rows)

    def discard(self) -> None:
        for handle in self._handles.values():
            handle.close()
        for target in self._targets.values():
            target.with_suffix(".tmp").unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Previous:
    """What the warehouse knew of a URL before the run (``plan.json``'s validators): its latest good body, and
    whether that body, read again, needs no parse (``reusable``: see ``raw_documents``)."""

    sha256: str
    reusable: bool


def previous_documents(planned: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Previous]:
    """(source id, url) -> the previous body of that URL, from the plan's validators."""
    found = {}
    for entry in planned:
        for validator in entry.get("validators") or ():
            key = (entry["source_id"], validator["url"])
            found[key] = Previous(sha256=validator["sha256"], reusable=bool(validator.get("reusable")))
    return found


class _Stage:
    """Turns fetch records into landing rows, one record at a time; a source's failure is an error row."""

    def __init__(
        self,
        files: LandingFiles,
        store: Path,
        catalog: Catalog,
        run_id: str,
        salt: bytes,
        previous: dict[tuple[str, str], Previous],
    ) -> None:
        self.files, self.store, self.catalog, self.run_id, self.salt = files, store, catalog, run_id, salt
        self.previous = previous
        self.sources = {source.id: source for source in catalog.sources}  # Catalog.source() scans: once here
        self.part = StagedPart()

    def fail(self, source_id: str, url: str, failed_at: str, reason: str) -> None:
        errors = self.part.errors
        if (source_id, url) in errors:
            errors[(source_id, url)][1].append(reason)
        else:
            errors[(source_id, url)] = (failed_at, [reason])

    def fetch(self, fetch: dict[str, Any]) -> None:
        self.part.seen_sources.add(fetch["source_id"])
        if "skipped" in fetch:
            self.part.skipped[fetch["source_id"]] = fetch["skipped"]
            return
        fetch["run_id"] = self.run_id
        fetch["meta"] = json.dumps(fetch.get("meta") or {}, sort_keys=True)
        self.files.write("fetches", fetch)
        source = self.sources[fetch["source_id"]]
        url, fetched_at = fetch["url"], fetch["fetched_at"]
        if fetch.get("error"):
            reason = _fetch_reason(fetch) + _error_body_reason(self.store, source.kind, fetch)
            self.fail(source.id, url, fetched_at, reason)
            return
        if fetch.get("withheld"):
            return  # a response that carried a secret (an auth token): used by the crawl, never stored or parsed
        observed = parse_iso_utc(fetched_at, what="fetched_at")
        if is_unchanged(self.previous, source.id, source.kind, url, fetch["sha256"]):
            # The same bytes as the URL's previous good read, whose records the warehouse holds: no parse, a sighting.
            key = {"source_id": source.id, "url": url, "sha256": fetch["sha256"]}
            self.files.write("resightings", {"run_id": self.run_id, **key, "observed_at": observed.isoformat()})
            self.part.unchanged += 1
            return
        try:
            body = body_path(self.store, fetch["sha256"]).read_bytes()
        except OSError:
            self.fail(source.id, url, fetched_at, f"stored body {fetch['sha256']} is missing from the body store")
            return
        doc = Document(
            source_id=source.id,
            url=url,
            body=body,
            content_type=fetch.get("content_type"),
            fetched_at=observed,
            meta=json.loads(fetch["meta"]),
        )
        self.part.parsed += 1
        try:
            parsed = registry.get(source.kind).parse(doc)
        except ParseError as exc:
            self.fail(source.id, url, fetched_at, f"parse error ({source.kind}): {exc}")
            return
        self._records(source, doc, fetch["sha256"], parsed)

    def _records(self, source: Source, doc: Document, sha256: str, parsed: Parsed) -> None:
        """Write a parsed document's records. A document with no problem whose records depend on its bytes alone is
        recorded with its incident and update versions, so that reading it again unchanged needs no parse."""
        fetched_at = doc.fetched_at.isoformat()
        implausible = drop_implausible(parsed, doc.fetched_at)
        if implausible:
            self.fail(source.id, doc.url, fetched_at, describe_dropped(implausible))
        incident_versions = self._incidents(source, doc, parsed)
        update_versions = self._updates(source, doc, parsed)
        self._components(source, doc, sha256, parsed)
        self._posts(source, doc, parsed)
        counted = self._counts(source, doc, parsed)
        # Counts take the latest reading of a bucket (a re-read must rewrite them) and a clock-dependent kind may give
        # other records from the same bytes later: such documents are always parsed, so never recorded here.
        if not implausible and counted and not parsed.counts and source.kind not in CLOCK_DEPENDENT:
            document = {"source_id": source.id, "url": doc.url, "sha256": sha256, "parsed_at": fetched_at}
            self.files.write(
                "documents", {**document, "incident_versions": incident_versions, "update_versions": update_versions}
            )

    def _incidents(self, source: Source, doc: Document, parsed: Parsed) -> list[dict[str, str]]:
        """Write the incident versions; return their keys."""
        versions = []
        for incident in parsed.incidents:
            row = record_to_json(incident)
            version = _version_hash(row)
            row["component_ids"] = [f"{source.id}:{c}" for c in incident.component_ids]
            row.update(
                incident_id=f"{source.id}:{incident.native_id}",
                version_hash=version,
                source_id=source.id,
                service_id=source.service,
                observed_at=doc.fetched_at.isoformat(),
                source_url=doc.url,
            )
            self.files.write("incidents", row)
            versions.append({"incident_id": row["incident_id"], "version_hash": version})
        return versions

    def _updates(self, source: Source, doc: Document, parsed: Parsed) -> list[dict[str, str]]:
        """Write the update versions; return their keys."""
        versions = []
        for update in parsed.updates:
            row = record_to_json(update)
            version = _version_hash(row)
            row.update(
                incident_id=f"{source.id}:{update.incident_native_id}",
                update_id=update.native_id,
                version_hash=version,
                source_id=source.id,
                observed_at=doc.fetched_at.isoformat(),
                source_url=doc.url,
            )
            self.files.write("updates", row)
            versions.append({"incident_id": row["incident_id"], "update_id": update.native_id, "version_hash": version})
        return versions

    def _components(self, source: Source, doc: Document, sha256: str, parsed: Parsed) -> None:
        observed = doc.fetched_at.isoformat()
        for component in parsed.components:
            row = record_to_json(component)
            row.update(
                component_id=f"{source.id}:{component.native_id}",
                sha256=sha256,
                source_id=source.id,
                service_id=source.service,
                observed_at=observed,
                source_url=doc.url,
            )
            self.files.write("components", row)
        for change in parsed.component_changes:
            row = record_to_json(change)
            row.update(
                component_id=f"{source.id}:{change.component_native_id}",
                incident_id=f"{source.id}:{change.incident_native_id}" if change.incident_native_id else None,
                source_id=source.id,
                observed_at=observed,
                source_url=doc.url,
            )
            self.files.write("component_changes", row)

    def _posts(self, source: Source, doc: Document, parsed: Parsed) -> None:
        for post in parsed.posts:
            row = record_to_json(post)
            row.update(
                post_id=f"{source.id}:{post.native_id}",
                author_hash=hash_author(post.author, self.salt),
                source_id=source.id,
                observed_at=doc.fetched_at.isoformat(),
                source_url=doc.url,
            )
            del row["author"]  # only the salted hash of an author is ever written
            self.files.write("posts", row)

    def _counts(self, source: Source, doc: Document, parsed: Parsed) -> bool:
        """Write the complaint counts; False when some named a service the catalog lacks (an error row says so)."""
        unknown: dict[str, int] = defaultdict(int)
        observed = doc.fetched_at.isoformat()
        for count in parsed.counts:
            # a count source bound to one service (Downdetector) may name it by its own slug
            service_id = self.catalog.resolve_service(count.service) or source.service
            if service_id is None:
                unknown[count.service] += 1
                continue
            row = record_to_json(count)
            row.update(service_id=service_id, source_id=source.id, observed_at=observed, source_url=doc.url)
            self.files.write("counts", row)
        for name, rows in sorted(unknown.items()):
            reason = f"{rows} row(s) name service {name!r}, which is not in the catalog"
            self.fail(source.id, doc.url, observed, reason)
        return not unknown

    def write_errors(self) -> None:
        for (source_id, url), (failed_at, reasons) in self.part.errors.items():
            self.files.write("errors", _error_row(self.run_id, source_id, url, failed_at, "; ".join(reasons)))


def _error_row(run_id: str, source_id: str, url: str, failed_at: str, error: str) -> dict[str, Any]:
    return {"run_id": run_id, "source_id": source_id, "url": url, "failed_at": failed_at, "error": error}


def is_unchanged(previous: dict[tuple[str, str], Previous], source_id: str, kind: str, url: str, sha256: str) -> bool:
    """Whether a body is the one its URL's previous good read had, and the warehouse holds that body's records."""
    known = previous.get((source_id, url))
    return known is not None and known.reusable and known.sha256 == sha256 and kind not in CLOCK_DEPENDENT


@dataclass(slots=True)
class StagedPart:
    """What staging some sources' fetch records gave besides the rows written: failures, what was seen and skipped."""

    errors: dict[tuple[str, str], tuple[str, list[str]]] = field(default_factory=dict)
    seen_sources: set[str] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)
    parsed: int = 0
    unchanged: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def stage_part(
    files: LandingFiles,
    run_dir: Path,
    store: Path,
    catalog: Catalog,
    run_id: str,
    salt: bytes,
    previous: dict[tuple[str, str], Previous],
    sources: frozenset[str] | None,
) -> StagedPart:
    """Stage the fetch records of ``sources`` (None: every source), in the order the crawl recorded them."""
    stage = _Stage(files, store, catalog, run_id, salt, previous)
    for fetch in read_jsonl(run_dir / "fetches.jsonl"):
        if sources is None or fetch["source_id"] in sources:
            stage.fetch(fetch)
    stage.write_errors()
    return stage.part


def _stage_part_in_worker(
    folder: Path,
    run_dir: Path,
    store: Path,
    catalog: Catalog,
    run_id: str,
    salt: bytes,
    previous: dict[tuple[str, str], Previous],
    sources: frozenset[str],
) -> StagedPart:
    """A worker process's share of the sources: its own landing files in ``folder``, appended by the parent."""
    files = LandingFiles(folder)
    try:
        part = stage_part(files, run_dir, store, catalog, run_id, salt, previous, sources)
    except BaseException:
        files.discard()
        raise
    part.rows = files.commit()
    return part


def shard_sources(
    run_dir: Path, catalog: Catalog, previous: dict[tuple[str, str], Previous], count: int, min_bytes: int
) -> list[frozenset[str]]:
    """Split the run's sources into ``count`` shards of about equal bytes to parse (a source stays whole, so its
    failures stay its own), deterministically; one shard when there is too little to parse to pay for a worker."""
    kinds = {source.id: source.kind for source in catalog.sources}
    weight: dict[str, int] = {}
    for fetch in read_jsonl(run_dir / "fetches.jsonl"):
        source_id = fetch["source_id"]
        weight.setdefault(source_id, 0)
        if fetch.get("error") or fetch.get("withheld") or not fetch.get("sha256"):
            continue
        if not is_unchanged(previous, source_id, kinds.get(source_id, ""), fetch["url"], fetch["sha256"]):
            weight[source_id] += int(fetch.get("bytes") or 0)
    if count < 2 or sum(weight.values()) < min_bytes:
        return [frozenset(weight)]
    shards: list[set[str]] = [set() for _ in range(count)]
    loads = [0] * count
    for source_id, size in sorted(weight.items(), key=lambda item: (-item[1], item[0])):
        lightest = loads.index(min(loads))
        shards[lightest].add(source_id)
        loads[lightest] += size
    return [frozenset(shard) for shard in shards]


def build_landing(
    run_dir: Path,
    store: Path,
    catalog: Catalog,
    run_id: str,
    started_at: datetime,
    salt: bytes = b"",
    *,
    workers: int | None = None,
    min_parallel_bytes: int = PARALLEL_MIN_BYTES,
) -> LandingSummary:
    """Parse every fetched body of the run into ``run_dir/landing/*.jsonl``; return what failed and why.

    A body identical to its URL's previous good read (``plan.json``'s validators; a 304 carries the previous hash) is
    not parsed again when its records depend on its bytes alone: a resighting row stands for it. With more than
    ``min_parallel_bytes`` to parse, the sources are split over ``workers`` processes (default: one per core); each
    writes its own files, appended to the landing files in shard order, so a run's landing is the same every time.
    """
    planned = json.loads((run_dir / "plan.json").read_text(encoding="utf-8"))
    previous = previous_documents(planned)
    count = workers or len(os.sched_getaffinity(0))
    shards = shard_sources(run_dir, catalog, previous, count, min_parallel_bytes)
    files = LandingFiles(run_dir / "landing")
    try:
        parts = _stage_shards(files, run_dir, store, catalog, run_id, salt, previous, shards)
        summary = _summarize(files, run_id, planned, parts)
        _write_run(files, catalog, summary, started_at)
    except BaseException:
        files.discard()
        raise
    summary.rows = files.commit()
    return summary


def _stage_shards(
    files: LandingFiles,
    run_dir: Path,
    store: Path,
    catalog: Catalog,
    run_id: str,
    salt: bytes,
    previous: dict[tuple[str, str], Previous],
    shards: list[frozenset[str]],
) -> list[StagedPart]:
    """Stage the first shard here and the others in worker processes (spawned, not forked: the flow process runs
    threads), then append the workers' files to this process's, in shard order."""
    if len(shards) == 1:
        return [stage_part(files, run_dir, store, catalog, run_id, salt, previous, None)]
    folders = [run_dir / "landing" / f".part-{n}" for n in range(1, len(shards))]
    try:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=len(folders), mp_context=context) as pool:
            futures = [
                pool.submit(_stage_part_in_worker, folder, run_dir, store, catalog, run_id, salt, previous, shard)
                for folder, shard in zip(folders, shards[1:], strict=True)
            ]
            parts = [stage_part(files, run_dir, store, catalog, run_id, salt, previous, shards[0])]
            parts += [future.result() for future in futures]
        for folder, part in zip(folders, parts[1:], strict=True):
            files.append(folder, part.rows)
    finally:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
    return parts


def _summarize(
    files: LandingFiles, run_id: str, planned: list[dict[str, Any]], parts: list[StagedPart]
) -> LandingSummary:
    """Merge the parts; a planned source the crawl recorded nothing for is a failure (its error row written here)."""
    summary = LandingSummary(run_id=run_id, sources_total=len({e["source_id"] for e in planned}))
    errors: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    for part in parts:
        seen |= part.seen_sources
        errors.update({key: reasons for key, (_at, reasons) in part.errors.items()})
        summary.skipped_sources.update(part.skipped)
        summary.documents_parsed += part.parsed
        summary.documents_unchanged += part.unchanged
    for entry in planned:
        key = (entry["source_id"], entry["url"])
        if entry["source_id"] not in seen and key not in errors:
            errors[key] = ["no response recorded: the crawl ended before it"]
            files.write("errors", _error_row(run_id, *key, _now_iso(), errors[key][0]))
    for (source_id, _url), reasons in sorted(errors.items()):
        summary.failed_sources.setdefault(source_id, []).extend(reasons)
    return summary


def _write_run(files: LandingFiles, catalog: Catalog, summary: LandingSummary, started_at: datetime) -> None:
    files.write(
        "runs",
        {
            "run_id": summary.run_id,
            "started_at": started_at.isoformat(),
            "catalog_path": catalog.path,
            "sources_total": summary.sources_total,
            "sources_failed": summary.sources_failed,
        },
    )
    for s in catalog.services:
        files.write(
            "services",
            {
                "service_id": s.id,
                "name": s.name,
                "aliases": list(s.aliases),
                "depends_on": list(s.depends_on),
                "exclusions": list(s.exclude),
                "status_sources": status_sources(catalog, s.id),
            },
        )


def status_sources(catalog: Catalog, service_id: str) -> list[str]:
    """The catalog's sources that read what the provider of ``service_id`` posts (not what users say), by id."""
    return sorted(
        source.id
        for source in catalog.sources
        if source.service == service_id and not registry.get(source.kind).complaints
    )


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
