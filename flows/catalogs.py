"""The catalog a run reads, parsed once per process: the CLI validates it, the flow plans and stages from it; and how
a run or a person chooses among its sources (``--only``, ``--tag``, ``--kind``; ``outages catalog search``).

A catalog of thousands of sources takes about a second to parse; the cache is keyed by the identity (path, size,
modification time) of every file read (the catalog and what it includes), so an edited file is read again and a
long-lived worker never plans from a stale one.
"""

from __future__ import annotations

from pathlib import Path

from scrapers.catalog import DEFAULT_CATALOG, Catalog, Service, Source, load_catalog

_Identity = tuple[tuple[str, int, int], ...]
_CACHE: dict[tuple[str | None, str], tuple[_Identity, Catalog]] = {}
_CACHE_SIZE = 4


def _identity(files: tuple[str, ...]) -> _Identity | None:
    try:
        return tuple((f, (st := Path(f).stat()).st_size, st.st_mtime_ns) for f in files)
    except OSError:
        return None


def catalog_for(sources: str | None) -> Catalog:
    """``load_catalog(sources)``, reusing this process's parse of the same unchanged files."""
    path = Path(sources) if sources else DEFAULT_CATALOG
    try:
        key = (sources, str(path.resolve()))
    except OSError:
        return load_catalog(sources)  # the loader says what is wrong with the path
    cached = _CACHE.get(key)
    if cached is not None and _identity(cached[1].files) == cached[0]:
        return cached[1]
    catalog = load_catalog(sources)
    identity = _identity(catalog.files)
    if identity is not None:
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (identity, catalog)
    return catalog


class SelectionError(ValueError):
    """An ``--only``, ``--tag`` or ``--kind`` value the catalog does not know; the message names the known ones."""


FINDER = "`outages catalog search TEXT` finds them"
LIST_ALL_UP_TO = 40  # above this many known values, an error lists the close ones and how to find the rest


def known_values(what: str, value: str, known: list[str], finder: str = "", close_to: list[str] | None = None) -> str:
    """``unknown <what> 'x'; did you mean 'y'? known: ...`` (every known value, or the close ones and a pointer);
    ``close_to`` widens what "did you mean" looks among (names and aliases as well as ids)."""
    from scrapers.catalog import did_you_mean

    message = f"unknown {what} {value!r}{did_you_mean(value, close_to or known)}"
    if len(known) <= LIST_ALL_UP_TO:
        return f"{message} (known: {', '.join(known)})"
    return f"{message} ({len(known)} known{'; ' + finder if finder else ''})"


def split_values(values: list[str] | tuple[str, ...] | None) -> list[str]:
    """Repeated options and comma-separated lists alike: ``["a,b", "c"]`` -> ``["a", "b", "c"]``."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def tags_of(catalog: Catalog) -> dict[str, int]:
    """Each tag of the catalog's services, with how many services carry it."""
    counts: dict[str, int] = {}
    for service in catalog.services:
        for tag in service.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return dict(sorted(counts.items()))


def choose_sources(
    catalog: Catalog,
    only: list[str] | None = None,
    kinds: list[str] | None = None,
    tags: list[str] | None = None,
) -> list[Source]:
    """The sources a run polls: every enabled source, narrowed by ``only`` (source ids, service ids or any name of a
    service: all of its sources), ``kinds`` and ``tags`` (of the source's service). Every unknown value is one line of
    the :class:`SelectionError`; naming a disabled source is an error that says why it is disabled."""
    from scrapers import registry

    errors: list[str] = []
    by_id = {source.id: source for source in catalog.sources}
    disabled = {source.id: source for source in catalog.disabled}
    wanted: set[str] | None = None
    if only:
        names = [*by_id, *(n for s in catalog.services for n in (s.id, s.name.casefold(), *s.aliases))]
        wanted = set()
        for name in split_values(only):
            if name in by_id:
                wanted.add(name)
                continue
            if name in disabled:
                errors.append(f"source {name!r} is disabled: {disabled[name].disabled}")
                continue
            service = catalog.resolve_service(name)
            chosen = [s.id for s in catalog.sources if service is not None and s.service == service]
            if chosen:
                wanted.update(chosen)
            elif service is not None:
                errors.append(f"service {service!r} has no enabled source in {catalog.path}")
            else:
                errors.append(known_values("--only value", name, sorted(by_id), FINDER, names))
    known_kinds = registry.names()
    errors += [known_values("kind", kind, list(known_kinds)) for kind in split_values(kinds) if kind not in known_kinds]
    known_tags = tags_of(catalog)
    errors += [known_values("tag", tag, list(known_tags)) for tag in split_values(tags) if tag not in known_tags]
    if errors:
        raise SelectionError("\n".join(errors))
    kind_set, tag_set = set(split_values(kinds)), set(split_values(tags))
    tagged = {s.id for s in catalog.services if tag_set & set(s.tags)}
    return [
        source
        for source in catalog.sources
        if (wanted is None or source.id in wanted)
        and (not kind_set or source.kind in kind_set)
        and (not tag_set or source.service in tagged)
    ]


def search(catalog: Catalog, text: str) -> list[tuple[Service, list[Source]]]:
    """Services whose id, name, alias, tag, or source URL or id contains ``text`` (case-insensitive), best first: an
    exact name, then a name that starts with it, then the rest; each with its sources (disabled ones too)."""
    needle = text.strip().casefold()
    sources: dict[str | None, list[Source]] = {}
    for source in (*catalog.sources, *catalog.disabled):
        sources.setdefault(source.service, []).append(source)
    found: list[tuple[int, str, Service]] = []
    for service in catalog.services:
        names = [n.casefold() for n in (service.id, service.name, *service.aliases)]
        hay = [*names, *service.tags, *(s.url.casefold() for s in sources.get(service.id, []))]
        hay += [s.id for s in sources.get(service.id, [])]
        if needle in names:
            rank = 0
        elif any(n.startswith(needle) for n in names):
            rank = 1
        elif any(needle in h for h in hay):
            rank = 2
        else:
            continue
        found.append((rank, service.id, service))
    return [(service, sources.get(service.id, [])) for _, _, service in sorted(found, key=lambda f: (f[0], f[1]))]
