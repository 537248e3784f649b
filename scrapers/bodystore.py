"""The content-addressed body store: one file per sha256 under ``<store>/<sha[:2]>/<sha>``, written once.

Free of Scrapy and Twisted: the spider writes bodies through it and the parse stage reads them back through it (the
store's folder comes from ``warehouse.files.WarehouseFiles.bodies``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def body_path(store: Path, sha256: str) -> Path:
    return store / sha256[:2] / sha256


def store_body(store: Path, body: bytes) -> str:
    """Write a body once under its sha256 (atomically: a crash never leaves half a file) and return the hash."""
    digest = hashlib.sha256(body).hexdigest()
    target = body_path(store, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        Path(tmp).replace(target)
    return digest


def read_body(store: Path, sha256: str) -> bytes:
    return body_path(store, sha256).read_bytes()
