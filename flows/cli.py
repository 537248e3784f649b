"""The ``outages`` command line."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from flows.cli_catalog import catalog as catalog_group
from warehouse.readouts.formats import FORMATS

EXIT_OK, EXIT_SOURCES_FAILED, EXIT_USAGE = 0, 1, 2

# The tool runs offline and on schedules: Prefect's anonymous usage telemetry is off unless the user turns it on.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


class IsoTime(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs
    name = "ISO-8601"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time (e.g. 2021-12-07T15:30Z)", param, ctx)
        if parsed.tzinfo is None:
            self.fail(f"{value!r} has no time zone; add Z or an offset (e.g. 2021-12-07T10:30-05:00)", param, ctx)
        return parsed


class Warehouse(click.ParamType):  # type: ignore[type-arg]
    """``--db``: a DuckDB file, or a DuckLake location (``ducklake:postgres:dbname=… host=…``, ``ducklake:PATH``)."""

    name = "DB"

    def __init__(self, *, exists: bool = False) -> None:
        self.exists = exists

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from warehouse import lake

        text = str(value)
        if lake.is_lake(text):
            return text
        if Path(text).is_dir():
            self.fail(f"{text!r} is a directory; give a DuckDB file or a ducklake: location", param, ctx)
        if self.exists and not Path(text).exists():
            self.fail(f"no warehouse at {text!r}", param, ctx)
        return text


def _set_data_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:  # noqa: ARG001 (click)
    """``--data-path``: where a new DuckLake keeps its data files; passed on as OUTAGES_DATA_PATH (config entry)."""
    if value:
        from warehouse.lake import DATA_PATH_ENV

        os.environ[DATA_PATH_ENV] = value
    return value


DATA_PATH_HELP = (
    "For a new DuckLake --db: a folder or s3://bucket/prefix/ for its data files (or OUTAGES_DATA_PATH); "
    "the lake records it, later runs need no data path."
)


def set_landing(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:  # noqa: ARG001 (click)
    """``--landing``: passed on as OUTAGES_LANDING, which ``warehouse.files.WarehouseFiles`` reads (one place)."""
    if value:
        from warehouse.landing_root import LANDING_ENV

        os.environ[LANDING_ENV] = value
    return value


LANDING_HELP = (
    "Landing root: s3://bucket/prefix/ (crawl workers on any machine publish their runs there, loads read them from "
    "there) or a folder; default OUTAGES_LANDING, else <db name>.landing beside the warehouse."
)


class TimeZoneName(click.ParamType):  # type: ignore[type-arg]
    name = "TZ"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> ZoneInfo:
        if isinstance(value, ZoneInfo):
            return value
        try:
            return ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(f"unknown time zone {value!r} (use an IANA name such as America/New_York)", param, ctx)


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else "(no message)"


def fail(message: str, code: int) -> NoReturn:
    """End the command with one line on standard error, or with the traceback under ``--debug``."""
    ctx = click.get_current_context(silent=True)
    debug = bool(ctx and ctx.find_root().obj and ctx.find_root().obj.get("debug"))
    if debug and sys.exc_info()[1] is not None:
        raise
    hint = "" if debug or code == EXIT_USAGE else "  (outages --debug ... shows the traceback)"
    click.echo(message + hint, err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, envvar="OUTAGES_DEBUG", help="Show the full traceback of an error.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Status dashboards and user complaints, scraped into one queryable history of incidents.

    \b
    Example:
        outages demo
        outages ingest --sources my-sources.yaml --db outages.duckdb
        outages timeline --db outages.duckdb --service aws --tz America/New_York
        outages export --db outages.duckdb --outage aws@2021-12-07T15:30Z --format html --out aws.html
    """
    ctx.obj = {"debug": debug}


@main.command()
@click.option(
    "--sources",
    type=click.Path(dir_okay=False),
    default=None,
    help="Catalog YAML (default: the built-in catalog of live provider URLs).",
)
@click.option(
    "--db",
    type=Warehouse(),
    default="outages.duckdb",
    show_default=True,
    help="DuckDB file to load into (created if missing), or a DuckLake: ducklake:postgres:dbname=… host=….",
)
@click.option("--data-path", default=None, expose_value=False, callback=_set_data_path, help=DATA_PATH_HELP)
@click.option("--landing", default=None, expose_value=False, callback=set_landing, help=LANDING_HELP)
@click.option(
    "--timeout",
    "timeout_seconds",
    type=float,
    default=30.0,
    show_default=True,
    help="Per-request download timeout in seconds.",
)
@click.option(
    "--only",
    multiple=True,
    help="Fetch only these source ids, or every source of these services (ids or aliases); repeatable or a,b,c.",
)
@click.option("--tag", "tags", multiple=True, help="Fetch only the services with this tag (cloud, ai...; or a,b).")
@click.option("--kind", "kinds", multiple=True, help="Fetch only the sources of this kind (repeatable or a,b).")
@click.option("--as-of", type=IsoTime(), default=None, help="Stamp fetches with this time (replays).")
@click.option(
    "--since",
    type=IsoTime(),
    default=None,
    help="Read complaint posts from this time (default: each source's last successful read, or 24 hours back).",
)
def ingest(
    sources: str | None,
    db: str,
    timeout_seconds: float,
    only: tuple[str, ...],
    tags: tuple[str, ...],
    kinds: tuple[str, ...],
    as_of: datetime | None,
    since: datetime | None,
) -> None:
    """Fetch every source of a catalog once and load it into DuckDB.

    Exit status: 0 when every source loaded, 1 when some failed (the rest are loaded and the failures are in the
    ingest_errors view), 2 for bad usage or an invalid catalog.

    \b
    Example:
        outages ingest --sources sources.yaml --db outages.duckdb
        outages ingest --only mastodon-social --since 2021-12-07T15:00Z
        outages ingest --only gh,aws,stripe-status --db outages.duckdb
        outages ingest --tag cloud --db outages.duckdb
        outages ingest --db "ducklake:postgres:dbname=outages host=db.internal" --data-path s3://bucket/outages/
    """
    from flows.cli_catalog import load_or_exit, sources_or_exit
    from flows.paths import absolute

    sources, db = (absolute(sources) if sources else None), absolute(db)  # the crawl runs elsewhere: no relative path
    if not sources_or_exit(load_or_exit(sources), only, kinds, tags):
        click.echo("configuration error: --only, --kind and --tag together choose no source", err=True)
        sys.exit(EXIT_USAGE)
    from flows.preflight import SetupError, check_warehouse
    from flows.runner import run_ingest

    try:
        check_warehouse(db)
        result = run_ingest(
            sources=sources,
            db=db,
            timeout_seconds=timeout_seconds,
            as_of=as_of.isoformat() if as_of else None,
            only=list(only) or None,
            kinds=list(kinds) or None,
            tags=list(tags) or None,
            since=since.isoformat() if since else None,
        )
    except SetupError as exc:
        fail(f"setup error: {exc}", EXIT_USAGE)
    except Exception as exc:
        fail(f"ingest failed: {type(exc).__name__}: {first_line(exc)}", EXIT_SOURCES_FAILED)
    ok = result.sources_total - result.sources_failed
    click.echo(f"run {result.run_id}: {ok}/{result.sources_total} sources loaded into {db}")
    for source_id, reasons in sorted(result.failures.items()):
        click.echo(f"  failed: {source_id}: {'; '.join(reasons)}", err=True)
    for source_id, reason in sorted(result.skipped.items()):
        click.echo(f"  skipped: {source_id}: {reason}", err=True)
    sys.exit(result.exit_code)


@main.command()
@click.option(
    "--db",
    type=Warehouse(),
    default="demo-output/outages-demo.duckdb",
    show_default=True,
    help="DuckDB file the replay builds (replaced on each run), or a new DuckLake location.",
)
@click.option("--data-path", default=None, expose_value=False, callback=_set_data_path, help=DATA_PATH_HELP)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="demo-output",
    show_default=True,
    help="Folder for timeline.csv, timeline.md and the demo catalog.",
)
@click.option("--tz", type=TimeZoneName(), default="UTC", show_default=True, help="Time zone for the printout.")
def demo(db: str, out: str, tz: ZoneInfo) -> None:
    """Replay 7 December 2021 (AWS us-east-1) through the real pipeline and print the timeline.

    A loopback server serves reconstructed AWS, Trello, Bitbucket and Jira status payloads and complaint counts as
    they stood at each moment; the ingest flow runs at each capture time as a schedule would have.

    \b
    Example:
        outages demo --out demo-output --tz America/New_York
    """
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the demo prints its own progress
    from flows.demo import run_demo

    run_demo(Path(db), Path(out), tz=tz, echo=click.echo)


@main.command()
@click.option("--db", type=Warehouse(exists=True), default="outages.duckdb", show_default=True)
@click.option("--service", "services", multiple=True, help="Only these service ids (repeatable).")
@click.option("--since", type=IsoTime(), default=None, help="From this time (ISO 8601).")
@click.option("--until", type=IsoTime(), default=None, help="Up to this time (ISO 8601).")
@click.option("--tz", type=TimeZoneName(), default="UTC", show_default=True, help="Time zone for display.")
def timeline(db: str, services: tuple[str, ...], since: datetime | None, until: datetime | None, tz: ZoneInfo) -> None:
    """Print the timeline: official posts beside complaint spikes, in time order.

    \b
    Example:
        outages timeline --db outages.duckdb --service aws --since 2021-12-07T12:00Z --tz America/New_York
    """
    from flows.cli_catalog import warehouse_services_or_exit
    from warehouse.db import connect
    from warehouse.readouts.notes import source_notes
    from warehouse.timeline import Window, outage_rows, render_text, timeline_rows

    con = connect(db, read_only=True)
    try:
        services = warehouse_services_or_exit(con, services, db)
        window = Window(since, until, services)
        rows = timeline_rows(con, window, ("time_source",))
        notes = source_notes(con, rows)
        click.echo(render_text(rows, outage_rows(con, window), tz, notes=notes), nl=False)
    finally:
        con.close()


EXPORT_FORMATS = FORMATS  # the registry of warehouse/readouts/formats.py


@main.command()
@click.option("--db", type=Warehouse(exists=True), default="outages.duckdb", show_default=True)
@click.option("--outage", "outage_id", default=None, help="An outage id from the outages view (aws@2021-12-07T15:30Z).")
@click.option(
    "--window", nargs=2, type=IsoTime(), default=None, metavar="START END", help="From START to END (ISO 8601)."
)
@click.option("--service", "services", multiple=True, help="Only these service ids (repeatable).")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="What to write.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The file to write.")
@click.option("--tz", type=TimeZoneName(), default="UTC", show_default=True, help="Time zone for md, html, png, svg.")
@click.option("--title", default=None, help="Title for md, html, png, svg (default: from the outage or window).")
def export(
    db: str,
    outage_id: str | None,
    window: tuple[datetime, datetime] | None,
    services: tuple[str, ...],
    fmt: str,
    out: str,
    tz: ZoneInfo,
    title: str | None,
) -> None:
    """Export one outage, or a window of time, for publication: the timeline rows with their sources.

    --outage ID takes an hour before its complaints began to the latest of the spike's end, the incident's
    resolution and the return to baseline, with every service that spiked or posted meanwhile (--service replaces
    that list). --window START END takes every event in between, of the --service ids given or of all.

    \b
    Formats: csv, json (an array) and parquet hold the timeline rows with source_url and fetched_at (UTC);
    md is a chronology with key numbers and sources; html is one self-contained page (chart, chronology, sources)
    that works offline; png and svg are the chart alone.

    \b
    Example:
        outages export --db outages.duckdb --outage aws@2021-12-07T15:30Z --format html --out aws.html
        outages export --window 2021-12-07T15:00Z 2021-12-08T03:00Z --service aws --format csv --out aws.csv
    """
    from warehouse.db import connect
    from warehouse.readouts.export import export as write_export
    from warehouse.readouts.selection import ExportError, Selection

    if (outage_id is None) == (window is None):
        raise click.UsageError("give either --outage ID or --window START END (one of them)")
    from flows.cli_catalog import warehouse_services_or_exit

    con = connect(db, read_only=True)
    try:
        services = warehouse_services_or_exit(con, services, db)
        selection: str | Selection = outage_id or ""
        if window is not None:
            selection = Selection.window(window[0], window[1], services)
        result = write_export(con, selection, fmt, Path(out), services=services, tz=tz, title=title)
    except ExportError as exc:
        click.echo(f"export error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    finally:
        con.close()
    chosen = result.selection
    click.echo(
        f"wrote {result.path} ({fmt}): {result.rows} timeline rows from {chosen.start:%Y-%m-%dT%H:%MZ} "
        f"to {chosen.end:%Y-%m-%dT%H:%MZ}, services: {', '.join(chosen.services) or 'all'}"
    )


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", default=None, help="The payload's source kind (default: detect it).")
@click.option("--url", default=None, help="The URL it was fetched from (shown in error messages).")
def parse(file: str, kind: str | None, url: str | None) -> None:
    """Parse one saved payload and print its normalized records as JSON Lines (no database involved).

    For checking a new provider before adding it to a catalog. Without --kind the format is detected when it can
    be, and the kind chosen is said on standard error. Exit status 1 when the payload cannot be parsed.

    \b
    Example:
        outages parse --kind statuspage summary.json
        outages parse saved-feed.xml
    """
    from datetime import UTC, datetime

    from scrapers import registry
    from scrapers.records import Document, ParseError, record_to_json

    body = Path(file).read_bytes()
    if kind is None:
        found = registry.detect(body)
        if len(found) != 1:
            said = f"it could be any of {', '.join(found)}" if found else "no known kind recognises it"
            click.echo(
                f"cannot tell the format of {file}: {said}; pass --kind ({', '.join(registry.names())})", err=True
            )
            sys.exit(EXIT_USAGE)
        kind = found[0]
        click.echo(f"detected kind: {kind}", err=True)
    elif kind not in registry.names():
        from flows.catalogs import known_values

        click.echo(known_values("kind", kind, list(registry.names())), err=True)
        sys.exit(EXIT_USAGE)
    doc = Document("file", url or Path(file).resolve().as_uri(), body, None, datetime.now(UTC))
    try:
        parsed = registry.get(kind).parse(doc)
    except ParseError as exc:
        click.echo(f"parse error ({kind}): {exc}", err=True)
        sys.exit(EXIT_SOURCES_FAILED)
    for record_type, records in parsed.by_type():
        for record in records:
            click.echo(json.dumps({"record": record_type, **record_to_json(record)}, ensure_ascii=False))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def kinds(as_json: bool) -> None:
    """List the source kinds a catalog can use.

    \b
    Example:
        outages kinds
    """
    from scrapers import registry

    rows = [{"kind": name, "description": registry.get(name).description} for name in registry.names()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    else:
        for row in rows:
            click.echo(f"{row['kind']:<16} {row['description']}")


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), default=4200, show_default=True, help="The server's port.")
@click.option(
    "--prefect-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="The deployments to run (default: the project's prefect.yaml).",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=".prefect-serve",
    show_default=True,
    help="Where the trial's Prefect keeps its database and the server's and workers' logs.",
)
@click.option("--run-now", is_flag=True, help="Once ready, start one run of each ingest deployment.")
def serve(port: int, prefect_file: Path | None, home: Path, run_now: bool) -> None:
    """Run the prefect.yaml deployments on this machine: a local Prefect server, the work pool, every deployment
    and a process worker, until Ctrl-C stops them all (a trial of what the README's "Scheduled ingestion" sets up).

    \b
    Example:
        outages serve --port 4200 --run-now
    """
    from flows.serve import ServeError
    from flows.serve import serve as run_serve

    try:
        code = run_serve(port=port, prefect_file=prefect_file, home=home, say=click.echo, run_now=run_now)
    except ServeError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


def _add_sql_command() -> None:
    from flows.cli_sql import sql

    main.add_command(sql)


_add_sql_command()
main.add_command(catalog_group, "catalog")  # outages catalog search | show | check (flows/cli_catalog.py)
from flows import cli_import, cli_lake  # noqa: E402, F401  (register outages import-counts, outages load)

if __name__ == "__main__":  # `python -m flows.cli`: the imported module's group, which the modules above register on
    from flows.cli import main as registered

    registered()
