"""Which kinds' bodies the parse stage hands to a set-based reader, and when (scrapers/bulk_common.py says how).

A kind names its reader in its ``Kind`` (``bulk_reader``; today report_counts and statuspage). A reader takes the
bodies of its kind that the parse stage deferred and returns the ones it leaves to the Python parser. Below
``min_bytes`` of deferred bodies the Python parser reads them (starting DuckDB and its queries costs more than it saves
on a few: bench ``parse``); with ``batch_bytes``, the stage hands over a batch as soon as that many bytes are deferred,
so that a crawl's bodies are read while it goes on and the memory a batch takes stays bounded.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

from scrapers import registry
from scrapers.bulk_common import Append, BulkReader, Deferred, bulk_mode
from scrapers.catalog import Catalog


@functools.cache
def _reader(kind: str) -> BulkReader | None:
    """The reader a kind names (``"module:NAME"``), imported the first time a body of the kind is deferred."""
    where = registry.get(kind).bulk_reader
    if where is None:
        return None
    module, _, name = where.partition(":")
    reader = getattr(importlib.import_module(module), name)
    if not isinstance(reader, BulkReader):
        raise TypeError(f"kind {kind!r}: bulk_reader {where!r} is not a BulkReader")
    return reader


def reader_for(kind: str, fetch: dict[str, object]) -> BulkReader | None:
    """The reader the parse stage defers this fetched body to, or None (parse it in Python now)."""
    reader = _reader(kind)
    if reader is None or not reader.defers(fetch):
        return None
    mode = bulk_mode(kind)
    return None if mode == "off" or (mode == "default" and not reader.by_default) else reader


def read_batch(kind: str, deferred: list[Deferred], store: Path, catalog: Catalog, append: Append) -> list[Deferred]:
    """The deferred bodies of ``kind`` its reader leaves to the Python parser (all of them below its threshold)."""
    reader = _reader(kind)
    assert reader is not None, f"bodies of {kind!r} were deferred but it names no bulk reader"
    size = sum(int(str(item.fetch.get("bytes") or 0)) for item in deferred)
    if size < reader.min_bytes and bulk_mode(kind) != "all":
        return list(deferred)
    return reader.read(deferred, store, catalog, append)
