"""The catalog a run reads, parsed once per process: the CLI validates it, the flow plans and stages from it.

A catalog of thousands of sources takes about a second to parse; the cache is keyed by the file's identity (path,
size, modification time), so an edited file is read again and a long-lived worker never plans from a stale one.
"""

from __future__ import annotations

import functools
from pathlib import Path

from scrapers.catalog import DEFAULT_CATALOG, Catalog, load_catalog


def catalog_for(sources: str | None) -> Catalog:
    """``load_catalog(sources)``, reusing this process's parse of the same unchanged file."""
    path = Path(sources) if sources else DEFAULT_CATALOG
    try:
        stat = path.stat()
    except OSError:
        return load_catalog(sources)  # the loader says what is wrong with the path
    return _parsed(sources, str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _parsed(sources: str | None, resolved: str, size: int, mtime_ns: int) -> Catalog:
    return load_catalog(sources)
