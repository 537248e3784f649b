"""Offline checks of a whole catalog beyond what loading it validates: the URL form each kind needs, the same page
under two names, names (ids, display names, aliases) that point at two services.

``audit(catalog)`` returns findings; ``outages catalog check`` prints them. Loading (``scrapers/catalog.py``) refuses
what cannot run; these are what runs but says less than it should, or twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from scrapers.catalog import Catalog, Source
from scrapers.kinds.statusio import API_HOSTS as STATUSIO_API_HOSTS
from scrapers.kinds.statusio import PAGE_ID as STATUSIO_PAGE_ID

Level = Literal["error", "warning"]

# Endpoints a page-root kind appends to the root (stripped to find the page a URL belongs to).
_ENDPOINT = re.compile(
    r"/(api/v2/[a-z_]+\.json|api/v2\.0\.0/(current|history)|api/v1/.*|index\.json|history\.(atom|rss))$"
)
# An endpoint given alone that shows only what is open now: an incident that closes between two polls is never seen
# to close, and the page's history is never read.
_CURRENT_ONLY = {
    "statuspage": re.compile(r"/api/v2/(summary|status)\.json$"),
    "slack": re.compile(r"/api/v2\.0\.0/current$"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    where: str  # file:line
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


def _where(source: Source) -> str:
    return f"{source.file or '<catalog>'}:{source.line}"


def page_key(source: Source) -> str:
    """The page a source reads: status.io by page id, others by host (no ``www.``) and path without the endpoint."""
    parts = urlsplit(source.url)
    if source.kind == "statusio":
        found = STATUSIO_PAGE_ID.findall(parts.path.lower())
        if found:
            return f"statusio:{found[-1]}"
    path = _ENDPOINT.sub("", parts.path.rstrip("/")).rstrip("/")
    return f"{(parts.hostname or '').removeprefix('www.')}{path}"


def _current_only(source: Source) -> bool:
    current = _CURRENT_ONLY.get(source.kind)
    return current is not None and bool(current.search(urlsplit(source.url).path.rstrip("/")))


def url_form(source: Source) -> Finding | None:
    """What is wrong with a source's URL for its kind, if anything."""
    parts = urlsplit(source.url)
    path = parts.path.rstrip("/")
    current = _CURRENT_ONLY.get(source.kind)
    if current is not None and current.search(path):
        return Finding(
            "warning",
            _where(source),
            f"source {source.id!r} ({source.kind}) points at {path.rsplit('/', 1)[-1]} alone, which shows only what "
            f"is open now (an incident that closes between polls is never seen closing); give the page root "
            f"{parts.scheme}://{parts.netloc}{_ENDPOINT.sub('', path)}",
        )
    if source.kind == "statusio" and parts.hostname not in STATUSIO_API_HOSTS and not STATUSIO_PAGE_ID.search(path):
        return Finding(
            "error",
            _where(source),
            f"source {source.id!r} (statusio) has no page id in {source.url!r}: the kind would fetch the page's HTML "
            "and fail to parse it; give https://api.status.io/1.0/status/<24-hex page id>",
        )
    return None


def audit(catalog: Catalog) -> list[Finding]:
    """Every finding of the catalog (disabled sources are checked for their URL form only), in file order."""
    by_page: dict[str, list[Source]] = defaultdict(list)
    for source in catalog.sources:
        by_page[page_key(source)].append(source)
    # a current-only endpoint is not alone when another source of the page and service sees incidents close (its
    # incidents.json or history feed: one incident however many endpoints read it)
    covered = {(key, s.service) for key, sources in by_page.items() for s in sources if not _current_only(s)}
    findings = [
        f
        for s in (*catalog.sources, *catalog.disabled)
        if (f := url_form(s)) is not None and not (_current_only(s) and (page_key(s), s.service) in covered)
    ]
    for key, sources in by_page.items():
        first = sources[0]
        for other in sources[1:]:
            same_service = other.service == first.service
            findings.append(
                Finding(
                    "warning" if same_service else "error",
                    _where(other),
                    f"source {other.id!r} reads the same page ({key}) as {first.id!r} ({_where(first)})"
                    + ("" if same_service else f" under another service ({other.service!r}, not {first.service!r})"),
                )
            )
    owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for service in catalog.services:
        for name in dict.fromkeys(n.strip().casefold() for n in (service.id, service.name, *service.aliases)):
            owners[name].append((service.id, f"{service.file or '<catalog>'}:{service.line}"))
    for name, named in owners.items():
        for service_id, where in named[1:]:
            findings.append(
                Finding(
                    "error",
                    where,
                    f"service {service_id!r}: the name {name!r} already names {named[0][0]!r} ({named[0][1]}); "
                    "a name, id or alias must name one service",
                )
            )
    return sorted(findings, key=_order)


def _order(finding: Finding) -> tuple[str, int]:
    path, _, line = finding.where.rpartition(":")
    return (path, int(line) if line.isdigit() else 0)
