"""Complaint counts from a file: `outages import-counts FILE --service ID` and catalog entries that name a local file,
read by the real crawl (Scrapy's file:// handler), parsed, landed and loaded like any source."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from flows.cli import main
from scrapers.catalog import CatalogError, parse_catalog

CATALOG = """\
services:
  - {id: aws, name: Amazon Web Services, aliases: [amazon web services]}
  - {id: slack, name: Slack}
"""

ROWS = [
    "service,bucket_start,reports",
    "aws,2021-12-07T15:00:00Z,5",
    "Amazon Web Services,2021-12-07T15:15:00Z,7",
    "aws,2021-12-07T15:30:00Z,9",
    "aws,2021-12-07T18:00:00Z,4",
]


def counts(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(
            "select source_id, strftime(bucket_start, '%H:%M'), reports, covered from complaint_counts_by_source "
            "order by bucket_start"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.usefixtures("prefect_harness")
def test_a_csv_export_is_imported_once_and_its_holes_stay_unknown(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG, encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    command = ["import-counts", str(export), "--service", "aws", "--sources", str(catalog), "--db", str(db)]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "4 count rows added" in result.output
    rows = counts(db)
    assert rows[:3] == [("import", "15:00", 5, True), ("import", "15:15", 7, True), ("import", "15:30", 9, True)]
    # two and a half hours without a row: not zeros but unknown, and then the last row
    assert all(reports is None and not covered for _, _, reports, covered in rows[3:-1])
    assert rows[-1] == ("import", "18:00", 4, True)

    again = CliRunner().invoke(main, command)  # the same export again changes nothing
    assert again.exit_code == 0, again.output
    assert counts(db) == rows


@pytest.mark.usefixtures("prefect_harness")
def test_a_broken_export_fails_with_its_reason_and_loses_nothing(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG, encoding="utf-8")
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("\n".join(ROWS[:3]) + "\n", encoding="utf-8")
    bad.write_text("service,bucket_start,count\naws,2021-12-07T16:00:00Z,3\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    base = ["--service", "aws", "--sources", str(catalog), "--db", str(db)]
    assert CliRunner().invoke(main, ["import-counts", str(good), *base]).exit_code == 0
    before = counts(db)
    result = CliRunner().invoke(main, ["import-counts", str(bad), *base])
    assert result.exit_code == 1, result.output
    assert "lacks reports" in result.output
    assert counts(db) == before
    con = duckdb.connect(str(db), read_only=True)
    try:
        errors = con.execute("select url, error from ingest_errors").fetchall()
    finally:
        con.close()
    assert [url for url, _ in errors] == [bad.resolve().as_uri()]


def test_import_usage_errors_say_what_is_wrong(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG, encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_text("\n".join(ROWS) + "\n", encoding="utf-8")
    db = tmp_path / "w.duckdb"
    result = CliRunner().invoke(
        main, ["import-counts", str(export), "--service", "nosuch", "--sources", str(catalog), "--db", str(db)]
    )
    assert result.exit_code == 2
    assert "--service 'nosuch' is not a service of the catalog" in result.output
    missing = CliRunner().invoke(main, ["import-counts", str(tmp_path / "none.csv"), "--service", "aws"])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    assert not db.exists()


def source_url(url: str, kind: str = "report_counts", catalog: str = "/srv/catalogs/sources.yaml") -> str:
    service = ", service: aws" if kind != "report_counts" else ""
    text = CATALOG + f"sources:\n  - {{id: s, kind: {kind}, url: '{url}'{service}}}\n"
    return parse_catalog(text, catalog).sources[0].url


def test_a_catalog_names_a_local_file_relative_to_its_own_folder() -> None:
    assert source_url("exports/aws.csv") == "file:///srv/catalogs/exports/aws.csv"
    assert source_url("../aws.csv") == "file:///srv/aws.csv"
    assert source_url("/data/aws counts.csv") == "file:///data/aws%20counts.csv"
    assert source_url("file:///data/aws%20counts.csv") == "file:///data/aws%20counts.csv"
    assert source_url("/data/status.xml", kind="feed") == "file:///data/status.xml"


@pytest.mark.parametrize(
    ("url", "kind", "message"),
    [
        ("ftp://example.org/aws.csv", "report_counts", "is not an http(s) URL, a file:// URL or a local path"),
        ("file://otherhost/aws.csv", "report_counts", "is not a file:///absolute/path URL"),
        ("data/summary.json", "statuspage", "is not an http(s) URL (a local file is read only by kinds"),
        ("file:///data/summary.json", "statuspage", "is not an http(s) URL (a local file is read only by kinds"),
    ],
)
def test_other_schemes_and_kinds_are_still_refused(url: str, kind: str, message: str) -> None:
    with pytest.raises(CatalogError, match=r"sources\.yaml:\d+: source 's' url") as error:
        source_url(url, kind)
    assert message in str(error.value)


def test_only_a_catalog_entrys_own_file_is_read_from_disk() -> None:
    """A file:// URL a payload names (a follow-up) stays refused; the spider marks only the entry's own URL."""
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest

    from scrapers.middlewares import HttpOnlyMiddleware

    middleware = HttpOnlyMiddleware()
    assert middleware.process_request(Request("file:///srv/exports/aws.csv", meta={"catalog_file": True})) is None
    for request in (
        Request("file:///etc/passwd"),
        Request("file:///etc/passwd", meta={"catalog_file": False}),
        Request("ftp://example.org/aws.csv", meta={"catalog_file": True}),
    ):
        with pytest.raises(IgnoreRequest, match="only http and https URLs are fetched"):
            middleware.process_request(request)
