"""``outages load``: load the runs crawl workers published on the S3 landing root that the warehouse has not loaded
(``flows/published.py``)."""

from __future__ import annotations

import click

from flows.cli import EXIT_USAGE, LANDING_HELP, Warehouse, fail, first_line, main, set_landing


@main.command("load")
@click.option("--db", type=Warehouse(), default="outages.duckdb", show_default=True,
              help="Warehouse to load into: a DuckDB file or a ducklake: location.")  # fmt: skip
@click.option("--landing", default=None, expose_value=False, callback=set_landing, help=LANDING_HELP)
def load_command(db: str) -> None:
    """Load every run published on the S3 landing root that the warehouse has not loaded yet (oldest first).

    A crawl worker loads its own run after publishing it; this takes up what was not loaded (a load that was
    killed or refused). Loading a run again changes nothing. Exit status: 0 when every pending run loaded, 1 when
    one failed, 2 for bad usage.

    \b
    Example:
        outages load --db "ducklake:postgres:dbname=outages host=db.internal" --landing s3://my-bucket/landing/
    """
    from flows.paths import absolute
    from flows.published import NO_REMOTE, load_published, remote_root
    from warehouse.landing_root import LandingError

    db = absolute(db)
    try:
        if remote_root(db, None) is None:
            fail(f"configuration error: {NO_REMOTE}", EXIT_USAGE)
    except LandingError as exc:
        fail(f"configuration error: {first_line(exc)}", EXIT_USAGE)
    try:
        added = load_published.fn(db=db)
    except Exception as exc:
        fail(f"load failed: {type(exc).__name__}: {first_line(exc)}", 1)
    for run_id, rows in added.items():
        click.echo(f"run {run_id}: {sum(rows.values())} rows added")
    click.echo(f"{len(added)} published runs loaded into {db}")
