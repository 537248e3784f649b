"""Complaint counts as CSV: header ``service,bucket_start,reports`` and optional ``baseline``.

``service`` is a catalog service id or alias; ``bucket_start`` is ISO 8601 with an offset. This is the shape of a
complaint-count export (a newsroom's Downdetector download, say).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from scrapers.jsonbody import decode_text
from scrapers.records import ComplaintCount, Document, Parsed, ParseError
from scrapers.registry import Kind
from scrapers.timeparse import parse_iso_utc

REQUIRED = ("service", "bucket_start", "reports")


def start_urls(url: str) -> list[str]:
    return [url]


def parse(doc: Document) -> Parsed:
    text = decode_text(doc.body)
    if text.lstrip()[:1] in ("<", "{", "["):
        raise ParseError(f"{doc.url}: expected CSV with header {','.join(REQUIRED)}, got markup or JSON")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ParseError(f"{doc.url}: not readable as CSV: {exc}") from None
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ParseError(f"{doc.url}: CSV header {header} lacks {', '.join(missing)} (needs {','.join(REQUIRED)})")
    reader.fieldnames = header
    parsed = Parsed()
    for row in _rows(reader, doc.url):
        line = reader.line_num
        where = f"{doc.url} line {line}"
        service = (row.get("service") or "").strip()
        if not service:
            raise ParseError(f"{where}: empty service")
        try:
            reports = int((row.get("reports") or "").strip())
        except ValueError:
            raise ParseError(f"{where}: reports {row.get('reports')!r} is not a whole number") from None
        if reports < 0:
            raise ParseError(f"{where}: negative reports {reports}")
        raw_baseline = (row.get("baseline") or "").strip()
        try:
            baseline = float(raw_baseline) if raw_baseline else None
        except ValueError:
            raise ParseError(f"{where}: baseline {raw_baseline!r} is not a number") from None
        parsed.counts.append(
            ComplaintCount(
                service=service,
                bucket_start=parse_iso_utc(row.get("bucket_start"), what=f"{where} bucket_start"),
                reports=reports,
                baseline=baseline,
            )
        )
    return parsed


def _rows(reader: csv.DictReader[str], url: str) -> Iterator[dict[str | Any, str | Any]]:
    """The reader's rows; a line the csv module cannot read (a NUL, a field over its size limit) is a ParseError."""
    try:
        yield from reader
    except csv.Error as exc:
        raise ParseError(f"{url} line {reader.line_num}: not readable as CSV: {exc}") from None


def detect(body: bytes) -> bool:
    first_line = body[:500].lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    header = {column.strip() for column in first_line.split(",")}
    return set(REQUIRED) <= header


KIND = Kind(
    name="report_counts",
    description="complaint counts per time bucket as CSV (service,bucket_start,reports[,baseline])",
    start_urls=start_urls,
    parse=parse,
    needs_service=False,
    category="complaints",
    example_urls=("https://exports.example.test/counts.csv",),
    detect=detect,
    reads_files=True,
    bulk_reader="scrapers.bulk_counts:READER",
)
