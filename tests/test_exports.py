"""Exports for journalists, on the 7 December 2021 replay: files checked against tests/expected/, read back by DuckDB,
and the HTML page opened in a real headless Chromium. Also the artifacts each ingest run leaves in Prefect.

The expected files are kept in tests/expected/. After a deliberate change to the replay data, the views or the
exports, regenerate them, read them, and commit them:

    OUTAGES_REGENERATE_EXPECTED=1 .venv/bin/pytest tests/test_exports.py

Screenshots of the HTML export (desktop and phone widths) are saved under test-artifacts/exports/ (printed).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from flows.cli import EXPORT_FORMATS, main
from flows.demo import CLOCK
from tests.series import Replay
from warehouse.db import connect
from warehouse.readouts.export import ExportResult, export, export_many
from warehouse.readouts.formats import FORMATS

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).resolve().parent / "expected"
ARTIFACTS = ROOT / "test-artifacts" / "exports"
REGENERATE = os.environ.get("OUTAGES_REGENERATE_EXPECTED") == "1"
AWS = "aws@2021-12-07T15:30Z"
STABLE_BASE = "http://replay.test"  # the loopback server's port changes per run; expected files use this instead


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def stable(replay: Replay, text: str) -> str:
    return text.replace(replay.base_url.rstrip("/"), STABLE_BASE)


@pytest.fixture(scope="module")
def replay(demo_replay: Replay) -> Replay:
    return demo_replay


@pytest.fixture
def con(replay: Replay) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = replay.connect()
    yield connection
    connection.close()


def check_expected(name: str, actual: str) -> None:
    """Compare with tests/expected/<name> exactly, showing a unified diff; regenerate on request."""
    path = EXPECTED / name
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing; run with OUTAGES_REGENERATE_EXPECTED=1 to create it"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"tests/expected/{name}",
                tofile="this export",
                n=1,
            )
        )
        pytest.fail(
            f"the export differs from tests/expected/{name} (if the change is meant, regenerate with "
            f"OUTAGES_REGENERATE_EXPECTED=1, read the file and commit it):\n{diff[:6000]}",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def aws_exports(replay: Replay, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ExportResult]:
    """The AWS outage in every format, written in one go (the views are read once)."""
    folder = tmp_path_factory.mktemp("aws-exports")
    con = replay.connect()
    try:
        results = export_many(con, AWS, {fmt: folder / f"aws.{fmt}" for fmt in FORMATS})
    finally:
        con.close()
    return {result.fmt: result for result in results}


# --- selecting ---------------------------------------------------------------------------------------------------


def test_an_outage_selects_its_window_and_every_service_that_spiked_or_posted(
    aws_exports: dict[str, ExportResult],
) -> None:
    chosen = aws_exports["csv"].selection
    assert chosen.outage_id == AWS
    assert chosen.start == utc("2021-12-07T14:30:00Z")  # an hour before the complaints began
    assert chosen.end >= utc("2021-12-08T02:45:00Z")  # at least to the end of the spike
    assert chosen.services[0] == "aws"
    assert {"amazon", "netflix", "disneyplus", "trello", "bitbucket", "jira"} <= set(chosen.services)


# --- table formats -----------------------------------------------------------------------------------------------


def test_csv_export_of_the_aws_outage_matches_the_expected_file(
    replay: Replay, aws_exports: dict[str, ExportResult]
) -> None:
    text = aws_exports["csv"].path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == (
        "occurred_at,service_id,kind,incident_id,title,reports,source_id,status,detail,source_url,fetched_at,public_url,"
        "note"
    )
    aws = [line for line in lines if ",aws," in line]
    assert aws[0].startswith("2021-12-07 15:30:00+00,aws,spike_start,")
    first_post = next(line for line in aws if ",official_update," in line)
    assert first_post.startswith("2021-12-07 16:22:00+00,aws,official_update,aws-health:management-console-")
    rows = list(csv.DictReader(io.StringIO(text)))
    # cited with the fetch that first saw it; AWS's entries have no page of their own beside the endpoint we read
    post = next(r for r in rows if r["service_id"] == "aws" and r["kind"] == "official_update")
    assert (post["fetched_at"], post["public_url"]) == ("2021-12-07 16:26:00+00", "")
    # the demo catalog's notes: every row says the data is replayed and reconstructed
    assert post["note"].startswith("Reconstruction: replayed from public facts of the 2021-12-07 AWS us-east-1 event")
    assert all(r["note"].startswith(("Reconstruction: ", "Replay: ")) for r in rows)
    # a spike agreed by several complaint sources cites each by its own URL, in the order of source_id
    spike = next(r for r in rows if r["service_id"] == "aws" and r["kind"] == "spike_start")
    ids, urls = spike["source_id"].split(","), spike["source_url"].split(" ")
    assert len(ids) > 1
    assert len(urls) == len(ids)
    own_path = {
        "reports": "/reports.csv",
        "mastodon-social": "/mastodon.social/",
        "hachyderm": "/hachyderm.io/",
        "hackernews": "/hn/",
    }
    for source_id, url in zip(ids, urls, strict=True):
        assert own_path[source_id] in url, (source_id, url)
    assert "Reconstruction: complaint counts written by us" in spike["note"]
    trello = next(r for r in rows if r["service_id"] == "trello" and r["kind"] == "official_update")
    assert trello["public_url"] == "https://stspg.io/ysr4n4cs4m4l"  # the page a reader opens: Statuspage's shortlink
    check_expected("aws-outage.csv", stable(replay, text))


def test_json_and_parquet_exports_hold_the_same_rows_as_the_csv(aws_exports: dict[str, ExportResult]) -> None:
    typed = (
        "cast(occurred_at as timestamptz), service_id, kind, incident_id, title, cast(reports as bigint), source_id, "
        "status, detail, source_url, cast(fetched_at as timestamptz), note"
    )
    readers = {"csv": "read_csv(?, header = true)", "json": "read_json(?)", "parquet": "read_parquet(?)"}
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        read = {
            fmt: con.execute(f"select {typed} from {reader}", [str(aws_exports[fmt].path)]).fetchall()
            for fmt, reader in readers.items()
        }
    finally:
        con.close()
    assert len(read["csv"]) == aws_exports["csv"].rows > 50
    assert read["json"] == read["csv"]
    assert read["parquet"] == read["csv"]
    assert isinstance(json.loads(aws_exports["json"].path.read_text(encoding="utf-8")), list)  # one JSON array


# --- Markdown ----------------------------------------------------------------------------------------------------


def test_markdown_export_of_the_aws_outage_matches_the_expected_file(
    replay: Replay, aws_exports: dict[str, ExportResult]
) -> None:
    text = aws_exports["md"].path.read_text(encoding="utf-8")
    assert text.startswith("# Amazon Web Services outage, 7 December 2021\n")
    assert "- **Complaints began:** 2021-12-07 15:30Z" in text
    assert "- **First official post:** 2021-12-07 16:22Z, 52 min after complaints began" in text
    assert "- **Start admitted by the provider:** 2021-12-07 15:32Z" in text
    assert "underlying platform provider AWS in us-east-1" in text  # Bitbucket's own words
    # the provider's other incidents that went on past the export's window are named, not cut off silently
    assert "- **Continuing after 2021-12-08 03:00Z:** Amazon Web Services: " in text
    # the cited sources' catalog notes, once each, before the chronology
    head = text.split("## Chronology", 1)[0]
    assert "> Note: Reconstruction: replayed from public facts of the 2021-12-07 AWS us-east-1 event" in head
    assert text.count("Note: Reconstruction: replayed from public facts") == 1
    chronology, sources = text.split("## Sources\n", 1)
    cited = set(re.findall(r" \[(\d+)\]", chronology))  # a spike row may cite several complaint sources
    assert "\\[" not in chronology  # reads as plain text: no backslash escapes
    assert "\\_" not in chronology
    assert cited == set(re.findall(r"^(\d+)\. ", sources, flags=re.MULTILINE))  # every citation has its source
    assert "(fetched 2021-12-07 16:26Z" in sources
    check_expected("aws-outage.md", stable(replay, text))


def test_html_export_repeats_the_notes_once_and_cites_each_complaint_source(
    aws_exports: dict[str, ExportResult],
) -> None:
    html = aws_exports["html"].path.read_text(encoding="utf-8")
    header = html.split("</header>", 1)[0]
    assert '<p class="source-note"><strong>Note: Reconstruction: replayed from public facts' in header
    assert "not real counts (replay/data/2021-12-07/complaints.yaml). (reports)" in header
    assert html.count("Note: Reconstruction: replayed from public facts") == 1
    # a spike start agreed by four complaint sources cites four numbered entries, one per source
    start = next(row for row in html.split("<tr>") if "Complaints rise above baseline" in row)
    assert len(re.findall(r'<a href="#source-\d+">', start)) == 4


# --- charts ------------------------------------------------------------------------------------------------------


def test_svg_and_png_charts_render_offline(aws_exports: dict[str, ExportResult]) -> None:
    svg = aws_exports["svg"].path.read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    assert "Amazon Web Services (aws)" in svg
    assert "<title>2021-12-07 16:22Z · investigating · AWS Management Console" in svg  # the post's tooltip
    assert "<script" not in svg
    assert "http://" not in svg.replace("http://www.w3.org/", "")
    png = aws_exports["png"].path.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png) > 20_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(aws_exports["png"].path, ARTIFACTS / "aws-chart.png")


# --- HTML in a real browser --------------------------------------------------------------------------------------

INJECTED_TITLE = (
    "<script>document.title='pwned';document.body.insertAdjacentHTML('beforeend','<div id=pwned>x</div>')</script>"
)
INJECTED_BODY = "<img src=x onerror=\"document.body.insertAdjacentHTML('beforeend','<div id=pwned2>x</div>')\">"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(binary: str, page: Path, screenshot: Path, width: int, height: int, profile: Path) -> tuple[str, str]:
    """Open ``page`` headless: returns (the DOM after load, the browser's log)."""
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--screenshot={screenshot}",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, done.stderr


def poisoned_copy(replay: Replay, folder: Path) -> Path:
    """A copy of the replay warehouse whose AWS incident title and first post carry HTML from a hostile page."""
    db = folder / "poisoned.duckdb"
    shutil.copy(replay.db, db)
    con = connect(db)
    try:
        con.execute(
            "create temp table v as select * from raw_incident_versions "
            "where incident_id = 'aws-health:management-console-1638894176' order by last_seen_at desc limit 1"
        )
        con.execute(
            "update v set version_hash = 'injected', title = ?, last_seen_at = last_seen_at + interval 1 day",
            [INJECTED_TITLE],
        )
        con.execute("insert into raw_incident_versions select * from v")
        con.execute(
            "create temp table u as select * from raw_update_versions "
            "where incident_id = 'aws-health:management-console-1638894176' order by posted_at, last_seen_at desc "
            "limit 1"
        )
        con.execute(
            "update u set version_hash = 'injected', body = ?, last_seen_at = last_seen_at + interval 1 day",
            [INJECTED_BODY],
        )
        con.execute("insert into raw_update_versions select * from u")
    finally:
        con.close()
    return db


def test_html_export_renders_in_a_headless_browser_and_escapes_scraped_text(
    replay: Replay, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium on PATH: install Debian's chromium (make test does it when run as root)")
    db = poisoned_copy(replay, tmp_path)
    page = tmp_path / "aws.html"
    con = connect(db, read_only=True)
    try:
        title = con.execute(
            "select title from incidents where incident_id = 'aws-health:management-console-1638894176'"
        ).fetchone()
        assert title == (INJECTED_TITLE,)  # the poison reached the views
        export(con, AWS, "html", page)
    finally:
        con.close()
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "<img" not in html
    assert 'http-equiv="Content-Security-Policy"' in html

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(page, ARTIFACTS / "aws.html")
    shots = {"desktop": (1280, 2400), "phone": (390, 2400)}
    for label, (width, height) in shots.items():
        shot = ARTIFACTS / f"aws-{label}.png"
        shot.unlink(missing_ok=True)
        dom, log = run_chromium(binary, page, shot, width, height, tmp_path / f"profile-{label}")
        console = [line for line in log.splitlines() if ":CONSOLE" in line]
        assert console == [], "the page logged to the console:\n" + "\n".join(console)
        assert shot.exists()
        assert shot.stat().st_size > 10_000
        assert re.search(r"<svg[^>]*viewBox", dom), "the chart (inline SVG) is not in the DOM"
        assert dom.count('aria-roledescription="point"') >= 10  # the official posts marked on the chart
        assert "<title>Amazon Web Services outage, 7 December 2021</title>" in dom  # the script did not run
        assert 'id="pwned"' not in dom
        assert 'id="pwned2"' not in dom
        assert "&lt;script&gt;document.title='pwned'" in dom  # shown as text, escaped
        assert "&lt;img src=x onerror=" in dom
    with capsys.disabled():
        print(f"\n  HTML export and its screenshots: {ARTIFACTS}")


# --- the command -------------------------------------------------------------------------------------------------


def test_the_export_command(replay: Replay, tmp_path: Path) -> None:
    assert EXPORT_FORMATS == FORMATS
    runner = CliRunner()
    db = ["export", "--db", str(replay.db)]
    out = tmp_path / "aws.csv"
    ok = runner.invoke(main, [*db, "--outage", AWS, "--service", "trello", "--format", "csv", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "from 2021-12-07T14:30Z" in ok.output
    assert "services: aws, trello" in ok.output
    window = ["--window", "2021-12-07T15:00Z", "2021-12-07T17:00Z", "--service", "aws", "--service", "bitbucket"]
    ok = runner.invoke(main, [*db, *window, "--format", "parquet", "--out", str(tmp_path / "window.parquet")])
    assert ok.exit_code == 0, ok.output
    con = duckdb.connect()
    try:
        services = con.execute("select distinct service_id from read_csv(?, header = true)", [str(out)]).fetchall()
        parquet = str(tmp_path / "window.parquet")
        rows = con.execute("select occurred_at, service_id from read_parquet(?)", [parquet]).fetchall()
    finally:
        con.close()
    assert sorted(services) == [("aws",), ("trello",)]
    assert {s for _, s in rows} == {"aws", "bitbucket"}
    assert all(utc("2021-12-07T15:00:00Z") <= t <= utc("2021-12-07T17:00:00Z") for t, _ in rows)
    assert (utc("2021-12-07T15:30:00Z"), "aws") in rows
    assert (utc("2021-12-07T16:22:00Z"), "aws") in rows

    def fails(*args: str) -> str:
        result = runner.invoke(main, ["export", "--db", str(replay.db), *args, "--out", str(tmp_path / "x")])
        assert result.exit_code == 2, result.output
        return result.output

    assert "either --outage ID or --window START END" in fails("--format", "csv")
    assert "either --outage ID or --window START END" in fails("--outage", AWS, *window[:3], "--format", "csv")
    assert f"did you mean {AWS}" in fails("--outage", "aws@2021-12-07T15:00Z", "--format", "csv")
    assert "ends" in fails("--window", "2021-12-07T17:00Z", "2021-12-07T15:00Z", "--format", "csv")
    assert "has no time zone" in fails("--window", "2021-12-07T15:00", "2021-12-07T17:00Z", "--format", "csv")
    assert "'pdf' is not one of" in fails("--outage", AWS, "--format", "pdf")


# --- Prefect artifacts of each ingest run ------------------------------------------------------------------------


def read_artifacts(key: str) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return list(client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))))


def of_run(artifacts: list[Any], run_id: str) -> Any:
    found = [a for a in artifacts if a.description and a.description.endswith((f" {run_id}", f" {run_id} changed"))]
    assert len(found) == 1, f"{len(found)} artifacts for run {run_id}"
    return found[0]


def test_each_ingest_run_leaves_a_summary_and_a_table_of_open_outages(con: duckdb.DuckDBPyConnection) -> None:
    runs = dict(con.execute("select started_at, run_id from raw_ingest_runs").fetchall())
    assert len(runs) == len(CLOCK)
    summaries = {run_id: of_run(read_artifacts("ingest-summary"), run_id) for run_id in runs.values()}
    tables = {run_id: of_run(read_artifacts("open-outages"), run_id) for run_id in runs.values()}
    ours = [summaries[run_id] for _, run_id in sorted(runs.items())]

    # every outage of the day is announced as a new spike exactly once, by one of the runs
    announced = [m for a in ours for m in re.findall(r"^\| (\w+@[\dT:-]+Z) \|", str(a.data), flags=re.MULTILINE)]
    final = {row[0] for row in con.execute("select outage_id from outages").fetchall()}
    assert sorted(announced) == sorted(final)

    at_1626 = str(summaries[runs[utc("2021-12-07T16:26:00Z")]].data)
    assert "AWS Management Console: Increased Error Rates" in at_1626  # first seen by the 16:26 run
    assert "## Failed sources (0)" in at_1626
    open_at_1626 = json.loads(tables[runs[utc("2021-12-07T16:26:00Z")]].data)
    assert AWS in {row["outage_id"] for row in open_at_1626}
    open_at_end = json.loads(tables[runs[utc("2021-12-08T12:00:00Z")]].data)
    assert AWS not in {row["outage_id"] for row in open_at_end}  # resolved, and complaints back to baseline


def test_the_artifact_task_reports_failed_sources_and_escapes_scraped_text(replay: Replay, tmp_path: Path) -> None:
    from flows.artifacts import publish_ingest_artifacts, render_summary

    db = tmp_path / "copy.duckdb"  # a copy without the run records of the replay's landing folder
    shutil.copy(replay.db, db)
    failed = {"bad-source": ["HTTP 503 from https://status.example.com/api | retry"]}
    first = publish_ingest_artifacts(str(db), "99990101T000000-first", 12, failed, {"raw_fetches": 3})
    assert first is not None
    assert first.new_spikes is None
    assert first.rows_added == 0
    assert first.new_incidents == []
    text = render_summary(first)
    assert "## New complaint spikes (?)" in text
    assert "no earlier run recorded" in text
    assert "- **bad-source**: HTTP 503 from https://status.example.com/api \\| retry" in text
    published = of_run(read_artifacts("ingest-summary"), "99990101T000000-first")
    assert "bad-source" in str(published.data)

    second = publish_ingest_artifacts(str(db), "99990101T000100-second", 12, {}, {})
    assert second is not None
    assert second.new_spikes == []
    assert "## Failed sources (0)" in render_summary(second)

    second.new_incidents = [
        {"service_id": "x", "title": "<b>|bold|</b>", "status": "investigating", "impact": "major", "started_at": None}
    ]
    assert "\\<b\\>\\|bold\\|\\</b\\>" in render_summary(second)  # scraped text cannot add markup


# --- the run summary's reads, shortened where nothing can be found, give what the full queries give --------------


def full_run_reads(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The new incidents and the outages of a run as the summary read them before its shortcuts: every query run."""
    from warehouse.reads import sql

    new = con.execute(sql("run_new_incidents"), {"run_id": run_id}).fetchall()
    outages = con.execute(
        "select outages.*, incidents.title, declared_windows.declared_start from outages "
        "left join incidents on incidents.incident_id = outages.incident_id "
        "left join declared_windows on declared_windows.incident_id = outages.incident_id "
        "order by outages.started_at, outages.service_id, outages.outage_id"
    ).fetchall()
    return new, outages


def test_the_run_summary_reads_what_the_full_queries_read(replay: Replay, tmp_path: Path) -> None:
    """read_run skips the incidents view when no raw incident version was first seen in the run, and the outages
    query when there is no complaint spike: on every run of the replay (new incidents in some, none in others;
    spikes), and on a copy without complaint counts (no spike), it reads what the full queries read."""
    from flows.artifacts import record_outages
    from warehouse.files import WarehouseFiles
    from warehouse.reads import read_run

    def as_rows(readout: Any) -> tuple[list[tuple[Any, ...]], int]:
        return [tuple(i.values()) for i in readout.new_incidents], len(readout.outages)

    db = tmp_path / "copy.duckdb"
    shutil.copy(replay.db, db)
    writer = connect(db)
    run_ids = [row[0] for row in writer.execute("select run_id from raw_ingest_runs order by run_id").fetchall()]
    run_ids.append("99990101T000000-nothing")  # a run that fetched nothing: no incident is new in it
    writer.close()
    seen_new = 0
    for emptied in (False, True):
        if emptied:  # no complaint counts: no spike, so no outage
            writer = connect(db)
            writer.execute("delete from stg_complaint_counts")
            writer.close()
        for run_id in run_ids:
            con = connect(db, read_only=True)
            try:
                new, outages = full_run_reads(con, run_id)
            finally:
                con.close()
            readout = read_run(db, run_id)
            assert as_rows(readout) == (new, len(outages)), run_id
            if readout.outages:  # the same outages (the shortcut is not taken): ids, in the same order
                assert [o["outage_id"] for o in readout.outages] == [row[0] for row in outages]
            seen_new += len(new)
            # a run outside Prefect records only the outage ids: the same the summary's reads record
            record_outages(db, run_id)
            recorded = WarehouseFiles(db).run(run_id) / "outages.json"
            assert json.loads(recorded.read_text(encoding="utf-8")) == sorted(row[0] for row in outages)
        assert bool(outages) is not emptied  # both cases were seen: spikes, then none
    assert seen_new > 0
