"""``outages import-counts FILE --service ID``: a one-off complaint-count CSV (an export from a report-count provider)
loaded exactly as a catalog source is.

The command writes a one-source catalog beside nothing permanent (a temporary folder): the services of ``--sources``
(the built-in catalog by default) and a ``report_counts`` source whose ``url`` is the file. That catalog is validated
by the same code, so the same mistakes give the same errors; then the ``ingest`` flow reads it: Scrapy reads the
file (``file://``), the body is kept, the parse writes landing rows and the load upserts them in one transaction.
Importing the same file again changes nothing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
import yaml

from flows.catalogs import catalog_for
from flows.cli import EXIT_USAGE, main
from scrapers.catalog import Catalog, CatalogError


def import_catalog(catalog: Catalog, file: Path, service_id: str, source_id: str) -> str:
    """The YAML of a catalog holding ``catalog``'s services and one report_counts source reading ``file``."""
    services = [
        {
            "id": service.id,
            "name": service.name,
            "aliases": list(service.aliases),
            "depends_on": list(service.depends_on),
            "exclude": list(service.exclude),
        }
        for service in catalog.services
    ]
    source = {"id": source_id, "kind": "report_counts", "url": str(file), "service": service_id}
    return yaml.safe_dump({"services": services, "sources": [source]}, allow_unicode=True, sort_keys=False)


@main.command("import-counts")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--service",
    "service_id",
    required=True,
    help="The catalog service the counts are about (rows naming a service the catalog lacks count for it).",
)
@click.option(
    "--sources",
    type=click.Path(dir_okay=False),
    default=None,
    help="Catalog YAML whose services the file may name (default: the built-in catalog).",
)
@click.option(
    "--source",
    "source_id",
    default="import",
    show_default=True,
    help="Source id the counts are kept under (complaint_counts_by_source).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default="outages.duckdb",
    show_default=True,
    help="DuckDB file to load into (created if missing).",
)
def import_counts(file: Path, service_id: str, sources: str | None, source_id: str, db: str) -> None:
    """Load one complaint-count CSV (header service,bucket_start,reports[,baseline]) into DuckDB.

    Exit status: 0 when the file loaded, 1 when it could not be read or parsed (the error is in the ingest_errors
    view; nothing else changes), 2 for bad usage.

    \b
    Example:
        outages import-counts exports/aws-2021-12-07.csv --service aws --db outages.duckdb
    """
    from flows.cli_catalog import load_or_exit
    from flows.paths import absolute

    db = absolute(db)  # the crawl runs elsewhere: no relative path
    catalog = load_or_exit(absolute(sources) if sources else None)
    service = catalog.resolve_service(service_id)
    if service is None:
        click.echo(f"configuration error: --service {service_id!r} is not a service of the catalog", err=True)
        sys.exit(EXIT_USAGE)
    from flows.cli import EXIT_SOURCES_FAILED, fail, first_line
    from flows.preflight import SetupError, check_warehouse
    from flows.runner import run_ingest

    with tempfile.TemporaryDirectory(prefix="outages-import-") as folder:
        path = Path(folder) / "import.yaml"
        path.write_text(import_catalog(catalog, file.resolve(), service, source_id), encoding="utf-8")
        try:
            catalog_for(str(path))
        except CatalogError as exc:
            click.echo(f"configuration error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        try:
            check_warehouse(db)
            result = run_ingest(sources=str(path), db=db, only=[source_id])
        except SetupError as exc:
            fail(f"setup error: {exc}", EXIT_USAGE)
        except Exception as exc:
            fail(f"import failed: {type(exc).__name__}: {first_line(exc)}", EXIT_SOURCES_FAILED)
    added = result.rows_added.get("raw_complaint_counts", 0)
    click.echo(f"run {result.run_id}: {file} loaded into {db} as source {source_id!r} ({added} count rows added)")
    for reasons in result.failures.values():
        click.echo(f"  failed: {file}: {'; '.join(reasons)}", err=True)
    sys.exit(result.exit_code)
