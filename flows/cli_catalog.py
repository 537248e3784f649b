"""``outages catalog search | show | check``: find providers in a catalog and check it offline; and the checks the
other commands share for values a user types (``--only``, ``--tag``, ``--kind``, ``--service``): an unknown one is
exit 2 with "did you mean" and the known ones."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

import click

from flows.catalogs import SelectionError, catalog_for, choose_sources, known_values, search, tags_of
from scrapers.catalog import Catalog, CatalogError, Service, Source
from scrapers.catalog_check import audit

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

SOURCES_OPTION = click.option(
    "--sources",
    type=click.Path(dir_okay=False),
    default=None,
    help="Catalog YAML (default: the built-in catalog, scrapers/sources.yaml and the providers.yaml it includes).",
)


def load_or_exit(sources: str | None) -> Catalog:
    """The catalog, or exit 2 with every error it has (one line each, ``file:line``)."""
    try:
        return catalog_for(sources)
    except CatalogError as exc:
        click.echo(f"configuration error: {len(exc.errors)} error(s) in the catalog:", err=True)
        for error in exc.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(EXIT_USAGE)


def sources_or_exit(
    catalog: Catalog, only: Iterable[str] = (), kinds: Iterable[str] = (), tags: Iterable[str] = ()
) -> list[Source]:
    """The sources ``--only``/``--kind``/``--tag`` choose, or exit 2 naming every unknown value and the known ones."""
    try:
        return choose_sources(catalog, list(only) or None, list(kinds) or None, list(tags) or None)
    except SelectionError as exc:
        for line in str(exc).splitlines():
            click.echo(f"configuration error: {line}", err=True)
        sys.exit(EXIT_USAGE)


@click.group()
def catalog() -> None:
    """Find providers in the catalog and check it offline.

    \b
    Example:
        outages catalog search github
        outages catalog show gh
        outages catalog check --sources my-sources.yaml
    """


def _line(service: Service, sources: list[Source]) -> str:
    kinds = ",".join(dict.fromkeys(s.kind for s in sources)) or "-"
    tags = ",".join(service.tags) or "-"
    off = "  (disabled)" if sources and all(s.disabled for s in sources) else ""
    return f"{service.id:<28} {service.name[:30]:<30} {kinds:<12} {tags}{off}"


@catalog.command("search")
@click.argument("text")
@SOURCES_OPTION
@click.option("--tag", "tags", multiple=True, help="Only services with this tag (repeatable, or a,b).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def search_command(text: str, sources: str | None, tags: tuple[str, ...], as_json: bool) -> None:
    """Find services by id, name, alias, tag, source id or URL (case-insensitive; exact names first).

    Exit status 1 when nothing matches.

    \b
    Example:
        outages catalog search stripe
        outages catalog search "" --tag payments
    """
    found = search(load_or_exit(sources), text)
    if tags:
        wanted = {t for value in tags for t in value.split(",") if t}
        found = [(service, srcs) for service, srcs in found if wanted & set(service.tags)]
    if as_json:
        click.echo(json.dumps([_as_dict(service, srcs) for service, srcs in found], indent=1))
    else:
        for service, srcs in found:
            click.echo(_line(service, srcs))
        click.echo(f"{len(found)} service(s)", err=True)
    sys.exit(EXIT_OK if found else EXIT_PROBLEMS)


def _as_dict(service: Service, sources: list[Source]) -> dict[str, object]:
    return {
        "id": service.id,
        "name": service.name,
        "aliases": list(service.aliases),
        "tags": list(service.tags),
        "depends_on": list(service.depends_on),
        "defined_at": f"{service.file}:{service.line}",
        "sources": [
            {"id": s.id, "kind": s.kind, "url": s.url, "disabled": s.disabled, "defined_at": f"{s.file}:{s.line}"}
            for s in sources
        ],
    }


@catalog.command("show")
@click.argument("name")
@SOURCES_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def show_command(name: str, sources: str | None, as_json: bool) -> None:
    """Show one service (by id, name or alias) or source id: its names, tags, dependencies and sources.

    Exit status 2 when the catalog has no such name (with the closest ones).

    \b
    Example:
        outages catalog show gh
        outages catalog show stripe-status --json
    """
    cat = load_or_exit(sources)
    every = {s.id: s for s in (*cat.sources, *cat.disabled)}
    service_id = cat.resolve_service(name) or (every[name].service if name in every else None)
    service = next((s for s in cat.services if s.id == service_id), None)
    if service is None:
        names = sorted({*(s.id for s in cat.services), *every})
        hint = known_values("service or source", name, names, "`outages catalog search TEXT` finds them")
        click.echo(f"configuration error: {hint}", err=True)
        sys.exit(EXIT_USAGE)
    data = _as_dict(service, [s for s in every.values() if s.service == service.id])
    dependents = [s.id for s in cat.services if service.id in s.depends_on]
    if as_json:
        click.echo(json.dumps({**data, "depended_on_by": dependents}, indent=1))
        return
    click.echo(f"{service.name} ({service.id})  defined at {data['defined_at']}")
    click.echo(f"  names:      {', '.join(dict.fromkeys((service.id, service.name, *service.aliases)))}")
    click.echo(f"  tags:       {', '.join(service.tags) or '-'}")
    click.echo(f"  depends on: {', '.join(service.depends_on) or '-'}")
    click.echo(f"  depended on by: {', '.join(dependents) or '-'}")
    for source in data["sources"]:  # type: ignore[attr-defined]
        state = f"disabled: {source['disabled']}" if source["disabled"] else "polled"
        click.echo(f"  source {source['id']}: {source['kind']} {source['url']} ({state})")


@catalog.command("check")
@SOURCES_OPTION
@click.option("--strict", is_flag=True, help="Warnings count as problems too (exit 1).")
def check_command(sources: str | None, strict: bool) -> None:
    """Validate the whole catalog offline: every error at once, each with file:line.

    Checks what loading checks (keys, kinds, URLs, ids, services, dependencies, with "did you mean"), then the URL
    form each kind needs (a status.io page id; a Statuspage or Slack endpoint that shows only open incidents), the
    same page under two names, and names or aliases that point at two services. Nothing is fetched.

    Exit status: 0 valid (warnings are printed), 1 problems found (or warnings with --strict), 2 the catalog does not
    load.

    \b
    Example:
        outages catalog check
        outages catalog check --sources my-sources.yaml --strict
    """
    cat = load_or_exit(sources)
    findings = audit(cat)
    for finding in findings:
        click.echo(str(finding), err=finding.level == "error")
    errors = sum(1 for f in findings if f.level == "error")
    warnings = len(findings) - errors
    kinds: dict[str, int] = {}
    for source in cat.sources:
        kinds[source.kind] = kinds.get(source.kind, 0) + 1
    click.echo(
        f"{cat.path}: {len(cat.services)} services, {len(cat.sources)} sources polled, {len(cat.disabled)} disabled, "
        f"{len(tags_of(cat))} tags, from {len(cat.files)} file(s); {errors} error(s), {warnings} warning(s)"
    )
    click.echo("  by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))))
    sys.exit(EXIT_PROBLEMS if errors or (strict and warnings) else EXIT_OK)


def warehouse_services_or_exit(con: object, values: Iterable[str], where: str) -> tuple[str, ...]:
    """``--service`` values as service ids of the warehouse (an id, name or alias, case-insensitive); exit 2 naming
    every unknown value, the close ones and the known ids."""
    import duckdb

    from warehouse.reads import known_services

    assert isinstance(con, duckdb.DuckDBPyConnection)
    values = tuple(values)
    if not values:
        return ()
    rows = known_services(con)
    if not rows:
        return values  # a warehouse without services yet: nothing to check against
    ids = [row[0] for row in rows]
    by_name = {str(name).strip().casefold(): row[0] for row in rows for name in row[1] or ()}
    resolved, unknown = [], []
    for value in values:
        found = value if value in ids else by_name.get(value.strip().casefold())
        if found is None:
            unknown.append(value)
        else:
            resolved.append(found)
    for value in unknown:
        click.echo(f"configuration error: {known_values('--service', value, ids)} in {where}", err=True)
    if unknown:
        sys.exit(EXIT_USAGE)
    return tuple(dict.fromkeys(resolved))
