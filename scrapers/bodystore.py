"""Where the content-addressed store keeps a body: ``<store>/<sha256[:2]>/<sha256>`` (no Scrapy needed to read one)."""

from __future__ import annotations

from pathlib import Path


def body_path(store: Path, sha256: str) -> Path:
    return store / sha256[:2] / sha256
