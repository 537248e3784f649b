"""Which kinds' bodies the parse stage hands to a set-based reader, and when (scrapers/bulk_common.py says how).

A reader takes the bodies of its kind that the parse stage deferred and returns the ones it leaves to the Python
parser. Below ``min_bytes`` of deferred bodies the Python parser reads them (starting DuckDB and its queries costs
more than it saves on a few: bench ``parse``); with ``batch_bytes``, the stage hands over a batch as soon as that many
bytes are deferred, so that a crawl's bodies are read while it goes on and the memory a batch takes stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scrapers.bulk_common import Append, Deferred, bulk_mode
from scrapers.bulk_counts import read_bulk_counts
from scrapers.bulk_statuspage import defers as statuspage_defers
from scrapers.bulk_statuspage import read_bulk_statuspage
from scrapers.catalog import Catalog


@dataclass(frozen=True, slots=True)
class BulkReader:
    read: Callable[[list[Deferred], Path, Catalog, Append], list[Deferred]]
    min_bytes: int = 0  # fewer deferred bytes than this: the Python parser reads them
    batch_bytes: int | None = None  # hand over a batch once this many bytes are deferred (None: all at the end)
    defers: Callable[[dict[str, object]], bool] = lambda _fetch: True  # which fetches of the kind may go this way


def _counts(deferred: list[Deferred], store: Path, catalog: Catalog, append: Append) -> list[Deferred]:
    return read_bulk_counts(deferred, store, catalog, lambda path, rows: append("counts", path, rows))


# Measured (bench parse, one DuckDB thread): a batch costs about 0.09 s of CPU to start and 31 ms per MB of bodies
# against the parser's 36 ms per MB, so the SQL path pays from about 18 MB of Statuspage bodies on.
STATUSPAGE_MIN_BYTES = 16 * 1024 * 1024
STATUSPAGE_BATCH_BYTES = 32 * 1024 * 1024  # DuckDB holds about 200 MB while it reads a batch of this size

READERS: dict[str, BulkReader] = {
    "report_counts": BulkReader(read=_counts),
    "statuspage": BulkReader(
        read=read_bulk_statuspage,
        min_bytes=STATUSPAGE_MIN_BYTES,
        batch_bytes=STATUSPAGE_BATCH_BYTES,
        defers=statuspage_defers,
    ),
}


def reader_for(kind: str, fetch: dict[str, object]) -> BulkReader | None:
    """The reader the parse stage defers this fetched body to, or None (parse it in Python now)."""
    reader = READERS.get(kind)
    if reader is None or bulk_mode(kind) == "off" or not reader.defers(fetch):
        return None
    return reader


def read_batch(kind: str, deferred: list[Deferred], store: Path, catalog: Catalog, append: Append) -> list[Deferred]:
    """The deferred bodies of ``kind`` its reader leaves to the Python parser (all of them below its threshold)."""
    reader = READERS[kind]
    size = sum(int(str(item.fetch.get("bytes") or 0)) for item in deferred)
    if size < reader.min_bytes and bulk_mode(kind) != "all":
        return list(deferred)
    return reader.read(deferred, store, catalog, append)
