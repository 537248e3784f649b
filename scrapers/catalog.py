"""The sources catalog: a YAML file of services (what complaints are counted for) and sources (what is fetched).

Validation happens before anything is fetched, and every error names the file and line it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import yaml

from scrapers import registry

try:
    from yaml import CSafeLoader as _FastSafeLoader
except ImportError:  # PyYAML built without libyaml: the pure-Python parser serves both paths
    from yaml import SafeLoader as _FastSafeLoader  # type: ignore[assignment]

DEFAULT_CATALOG = Path(__file__).with_name("sources.yaml")


class CatalogError(ValueError):
    """The catalog is not usable; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # phrases that name it without meaning it ("amazon rainforest")


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    kind: str
    url: str
    service: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Catalog:
    path: str
    services: tuple[Service, ...]
    sources: tuple[Source, ...]
    _alias_index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

    def resolve_service(self, name: str) -> str | None:
        """A service id for an id, a name or an alias (case-insensitive), or None."""
        return self._alias_index.get(name.strip().casefold())


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records each mapping's line as ``__line__`` so errors can point at it."""


def _construct_mapping(loader: yaml.SafeLoader | _FastSafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(key): value for key, value in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


class _LineList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    item_lines: list[int]


def _construct_sequence(loader: yaml.SafeLoader | _FastSafeLoader, node: yaml.SequenceNode) -> list[Any]:
    items = _LineList(loader.construct_sequence(node, deep=True))
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


class _FastLineLoader(_FastSafeLoader):
    """The same loader on libyaml's parser (when PyYAML has it): about 3x faster on a 5,000-source catalog."""


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _load_yaml(text: str) -> Any:
    """The document, read by libyaml; a document it rejects is read again by the pure-Python parser.

    Both give the same nodes and marks, so the lines in errors agree; but libyaml words some problems more vaguely
    ("found undefined alias" without its name, "did not find expected '-' indicator"), so the error a person sees
    comes from the pure-Python parser, as it always did. Only a file that fails pays for the second read.
    """
    try:
        return yaml.load(text, Loader=_FastLineLoader)
    except yaml.YAMLError:
        return yaml.load(text, Loader=_LineLoader)


def _str_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CatalogError(f"{where}: {key!r} must be a list of non-empty strings")
    return tuple(value)


def _source_url(url: str, reads_files: bool, catalog_path: str, where: str, source_id: str) -> str:
    """The URL a source is fetched from: an http(s) URL; or, for a kind that reads files, a local path (relative to
    the catalog file's folder) or a ``file://`` URL, returned as an absolute ``file://`` URL. Every other scheme is
    refused. Whether the file exists is the fetch's business: a missing export fails its source, not the catalog."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    file_kinds = ", ".join(name for name in registry.names() if registry.get(name).reads_files)
    if not reads_files:
        hint = f" (a local file is read only by kinds {file_kinds})" if parts.scheme in ("", "file") else ""
        raise CatalogError(f"{where}: source {source_id!r} url {url!r} is not an http(s) URL{hint}")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise CatalogError(f"{where}: source {source_id!r} url {url!r} is not a file:///absolute/path URL")
        return Path(url2pathname(parts.path)).as_uri()
    if parts.scheme or url.startswith("//"):
        raise CatalogError(
            f"{where}: source {source_id!r} url {url!r} is not an http(s) URL, a file:// URL or a local path"
        )
    local = Path(url).expanduser()
    if not local.is_absolute():
        local = Path(catalog_path).parent / local
    return local.resolve().as_uri()


def _require_str(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: {key!r} is required and must be a non-empty string")
    return value.strip()


def _entries(data: dict[str, Any], key: str, path: str, example: str) -> list[dict[str, Any]]:
    """The entries under ``key``, each checked to be a mapping (an error names the entry's line)."""
    value = data.get(key) or []
    if not isinstance(value, list):
        raise CatalogError(f"{path}:{data.get('__line__', 1)}: {key!r} must be a list")
    lines = getattr(value, "item_lines", [0] * len(value))
    for item, line in zip(value, lines, strict=True):
        if not isinstance(item, dict):
            raise CatalogError(f"{path}:{line}: each of {key} must be a mapping like {example}, got {item!r}")
    return value


def parse_catalog(text: str, path: str = "<catalog>") -> Catalog:
    try:
        data = _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(f"{where}: not valid YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a mapping with 'services' and 'sources'")
    unknown_top = sorted(set(data) - {"services", "sources", "__line__"})
    if unknown_top:
        raise CatalogError(f"{path}: unknown top-level key(s) {', '.join(unknown_top)}")

    services: list[Service] = []
    seen_services: dict[str, int] = {}
    for raw in _entries(data, "services", path, "{id: ..., name: ...}"):
        where = f"{path}:{raw['__line__']}"
        extra = sorted(set(raw) - {"id", "name", "aliases", "depends_on", "exclude", "__line__"})
        if extra:
            raise CatalogError(f"{where}: unknown service key(s) {', '.join(extra)}")
        service_id = _require_str(raw, "id", where)
        if service_id in seen_services:
            raise CatalogError(
                f"{where}: duplicate service id {service_id!r} (first at line {seen_services[service_id]})"
            )
        seen_services[service_id] = raw["__line__"]
        name = raw.get("name", service_id)
        if not isinstance(name, str) or not name.strip():
            raise CatalogError(f"{where}: service {service_id!r} 'name' must be a non-empty string")
        services.append(
            Service(
                id=service_id,
                name=name.strip(),
                aliases=_str_list(raw.get("aliases"), where, "aliases"),
                depends_on=_str_list(raw.get("depends_on"), where, "depends_on"),
                exclude=_str_list(raw.get("exclude"), where, "exclude"),
            )
        )
    for service in services:
        for dependency in service.depends_on:
            if dependency not in seen_services:
                where = f"{path}:{seen_services[service.id]}"
                raise CatalogError(
                    f"{where}: service {service.id!r} depends on {dependency!r}, which is not in the catalog"
                )

    sources: list[Source] = []
    seen_sources: dict[str, int] = {}
    known_kinds = registry.names()
    for raw in _entries(data, "sources", path, "{id: ..., kind: ..., url: ...}"):
        line = raw["__line__"]
        where = f"{path}:{line}"
        extra = sorted(set(raw) - {"id", "kind", "url", "service", "__line__"})
        if extra:
            raise CatalogError(f"{where}: unknown source key(s) {', '.join(extra)}")
        source_id = _require_str(raw, "id", where)
        if source_id in seen_sources:
            raise CatalogError(f"{where}: duplicate source id {source_id!r} (first at line {seen_sources[source_id]})")
        seen_sources[source_id] = line
        kind = _require_str(raw, "kind", where)
        if kind not in known_kinds:
            raise CatalogError(
                f"{where}: source {source_id!r} has unknown kind {kind!r}; known: {', '.join(known_kinds)}"
            )
        url = _source_url(_require_str(raw, "url", where), registry.get(kind).reads_files, path, where, source_id)
        service_ref = raw.get("service")
        if service_ref is not None and not isinstance(service_ref, str):
            raise CatalogError(f"{where}: source {source_id!r} 'service' must be one service id, got {service_ref!r}")
        if service_ref is not None and service_ref not in seen_services:
            raise CatalogError(
                f"{where}: source {source_id!r} names service {service_ref!r}, which is not in the catalog"
            )
        if service_ref is None and registry.get(kind).needs_service:
            raise CatalogError(f"{where}: source {source_id!r} of kind {kind!r} must name its 'service'")
        sources.append(Source(id=source_id, kind=kind, url=url, service=service_ref, line=line))

    alias_index: dict[str, str] = {}
    for service in services:
        for name in (service.id, service.name, *service.aliases):
            alias_index.setdefault(name.strip().casefold(), service.id)
    return Catalog(path=path, services=tuple(services), sources=tuple(sources), _alias_index=alias_index)


def load_catalog(path: str | Path | None = None) -> Catalog:
    file = Path(path) if path is not None else DEFAULT_CATALOG
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{file}: cannot read the catalog: {exc.strerror}") from exc
    return parse_catalog(text, str(file))
