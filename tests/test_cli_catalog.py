"""``outages catalog search | show | check`` and the checks of values users type (``--only``, ``--tag``, ``--kind``,
``--service``): every catalog error at once with file:line and "did you mean"; unknown values exit 2 naming the known
ones; ``include`` merges catalogs and the cache sees an edited included file."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.catalogs import catalog_for
from flows.cli import main
from scrapers.catalog import CatalogError, load_catalog
from warehouse.db import connect, migrate
from warehouse.models import build_models

GOOD = textwrap.dedent(
    """\
    services:
      - {id: aws, name: Amazon Web Services, aliases: [amazon], tags: [cloud]}
      - {id: acme, name: Acme Pay, aliases: [acmepay], depends_on: [aws], tags: [payments]}
    sources:
      - {id: aws-health, kind: aws_health, url: "https://health.aws.amazon.com/public/currentevents", service: aws}
      - {id: acme-status, kind: statuspage, url: "https://status.acme.test", service: acme}
      - {id: old-status, kind: statuspage, url: "https://old.acme.test", service: acme, disabled: "http 401 in May"}
    """
)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(folder: Path, text: str, name: str = "c.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_check_a_good_catalog(tmp_path: Path) -> None:
    code, out, _ = run("catalog", "check", "--sources", str(write(tmp_path, GOOD)))
    assert code == 0, out
    assert "2 services, 2 sources polled, 1 disabled, 2 tags, from 1 file(s); 0 error(s), 0 warning(s)" in out


def test_check_reports_every_load_error_at_once_with_lines_and_suggestions(tmp_path: Path) -> None:
    text = (
        GOOD.replace('kind: statuspage, url: "https://status', 'kind: statuspge, url: "https://status')
        .replace("depends_on: [aws]", "depends_on: [amazon]")
        .replace("service: acme, disabled", "service: acem, disabled")
    )
    path = write(tmp_path, text)
    code, _, err = run("catalog", "check", "--sources", str(path))
    assert code == 2
    assert "3 error(s) in the catalog" in err
    assert f"{path}:{line_of(text, 'id: acme,')}: service 'acme' depends on 'amazon'" in err
    assert "('amazon' is a name of 'aws': use the id)" in err
    assert f"{path}:{line_of(text, 'id: acme-status')}: source 'acme-status' has unknown kind 'statuspge'" in err
    assert "did you mean 'statuspage'" in err
    assert f"{path}:{line_of(text, 'id: old-status')}: source 'old-status' names service 'acem'" in err
    assert "did you mean 'acme'?" in err
    # the same errors stop an ingest before anything is fetched
    code, _, err = run("ingest", "--sources", str(path), "--db", str(tmp_path / "x.duckdb"))
    assert code == 2
    assert err.count(str(path)) == 3
    assert not (tmp_path / "x.duckdb").exists()
    assert not (tmp_path / "x.landing").exists()


@pytest.mark.parametrize(
    ("edit", "level", "fragment"),
    [
        (
            ('url: "https://status.acme.test"', 'url: "https://status.acme.test/api/v2/summary.json"'),
            "warning",
            "points at summary.json alone",
        ),
        (
            (
                "- {id: aws-health,",
                '- {id: slack, kind: slack, url: "https://status.slack.com/api/v2.0.0/current", '
                "service: aws}\n  - {id: aws-health,",
            ),
            "warning",
            "points at current alone",
        ),
        (
            ('url: "https://status.acme.test"', 'url: "https://status.acme.test/api/v2/incidents.json"'),
            None,
            "",
        ),
        (
            ('kind: statuspage, url: "https://status.acme.test"', 'kind: statusio, url: "https://status.acme.test"'),
            "error",
            "has no page id",
        ),
        (
            (
                'url: "https://health.aws.amazon.com/public/currentevents", service: aws}',
                'url: "https://health.aws.amazon.com/public/currentevents", service: aws}\n'
                '  - {id: acme-again, kind: statuspage, url: "https://www.status.acme.test/", service: aws}',
            ),
            "error",
            "source 'acme-status' reads the same page (status.acme.test) as 'acme-again'",
        ),
        (
            ("aliases: [acmepay]", "aliases: [acmepay, Amazon]"),
            "error",
            "the name 'amazon' already names 'aws'",
        ),
    ],
    ids=["summary-alone", "slack-current-alone", "incidents-endpoint-ok", "statusio-no-id", "same-page", "alias-twice"],
)
def test_check_url_forms_duplicates_and_names(
    tmp_path: Path, edit: tuple[str, str], level: str | None, fragment: str
) -> None:
    old, new = edit
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    code, out, err = run("catalog", "check", "--sources", str(path))
    if level is None:
        assert code == 0
        assert "0 error(s), 0 warning(s)" in out
        return
    assert f"{path}:" in out + err
    assert f"{level}: " in out + err
    assert fragment in out + err
    assert code == (1 if level == "error" else 0)
    if level == "warning":
        assert run("catalog", "check", "--sources", str(path), "--strict")[0] == 1


def test_include_merges_and_the_including_file_wins(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "base.yaml")
    top = write(
        tmp_path,
        "include: [base.yaml]\nservices:\n  - {id: acme, name: Acme Payments, tags: [payments]}\nsources:\n"
        '  - {id: extra-status, kind: instatus, url: "https://extra.test", service: acme}\n',
        "top.yaml",
    )
    catalog = load_catalog(top)
    assert [s.id for s in catalog.services] == ["aws", "acme"]
    assert next(s for s in catalog.services if s.id == "acme").name == "Acme Payments"
    assert [s.id for s in catalog.sources] == ["aws-health", "acme-status", "extra-status"]
    assert catalog.files == (str(tmp_path / "base.yaml"), str(top))
    loop = write(tmp_path, "include: [loop.yaml]\n", "loop.yaml")
    with pytest.raises(CatalogError, match=r"includes 'loop\.yaml', which includes this file again"):
        load_catalog(loop)
    with pytest.raises(CatalogError, match=r"cannot read the included catalog 'nope\.yaml'"):
        load_catalog(write(tmp_path, "include: [nope.yaml]\n", "bad.yaml"))


def test_the_cache_sees_an_edited_included_file(tmp_path: Path) -> None:
    base = write(tmp_path, GOOD, "base.yaml")
    top = write(tmp_path, "include: [base.yaml]\n", "top.yaml")
    first = catalog_for(str(top))
    assert catalog_for(str(top)) is first
    base.write_text(GOOD.replace("Acme Pay", "Acme Payments Inc"), encoding="utf-8")
    stat = base.stat()
    os.utime(base, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = catalog_for(str(top))
    assert again is not first
    assert "Acme Payments Inc" in {s.name for s in again.services}


def test_search_and_show(tmp_path: Path) -> None:
    path = str(write(tmp_path, GOOD))
    code, out, _ = run("catalog", "search", "acmepay", "--sources", path)
    assert code == 0
    assert out.split()[0] == "acme"
    assert run("catalog", "search", "nothing-like-it", "--sources", path)[0] == 1
    code, out, _ = run("catalog", "search", "", "--tag", "cloud", "--sources", path, "--json")
    assert code == 0
    assert [s["id"] for s in json.loads(out)] == ["aws"]
    code, out, _ = run("catalog", "show", "Acme Pay", "--sources", path, "--json")
    shown = json.loads(out)
    assert code == 0
    assert shown["id"] == "acme"
    assert shown["depends_on"] == ["aws"]
    assert [(s["id"], s["disabled"]) for s in shown["sources"]] == [
        ("acme-status", None),
        ("old-status", "http 401 in May"),
    ]
    code, out, _ = run("catalog", "show", "amazon", "--sources", path)
    assert code == 0
    assert "depended on by: acme" in out
    code, _, err = run("catalog", "show", "acmee", "--sources", path)
    assert code == 2
    assert "did you mean 'acme'" in err
    assert "known: " in err


def test_ingest_refuses_unknown_only_tag_and_kind_values_before_fetching(tmp_path: Path) -> None:
    path = str(write(tmp_path, GOOD))
    db = tmp_path / "w.duckdb"
    code, _, err = run("ingest", "--sources", path, "--db", str(db), "--only", "acme-stauts,aws", "--tag", "clod")
    assert code == 2
    assert "unknown --only value 'acme-stauts'; did you mean 'acme-status'? (known: acme-status, aws-health)" in err
    assert "unknown tag 'clod'; did you mean 'cloud'? (known: cloud, payments)" in err
    code, _, err = run("ingest", "--sources", path, "--db", str(db), "--kind", "statuspag")
    assert code == 2
    assert "did you mean 'statuspage'" in err
    assert "known: aws_health" in err
    code, _, err = run("ingest", "--sources", path, "--db", str(db), "--only", "old-status")
    assert code == 2
    assert "source 'old-status' is disabled: http 401 in May" in err
    code, _, err = run("ingest", "--sources", path, "--db", str(db), "--tag", "cloud", "--kind", "statuspage")
    assert code == 2
    assert "choose no source" in err
    assert not db.exists()


def test_parse_names_the_close_kind(tmp_path: Path) -> None:
    payload = write(tmp_path, "{}", "x.json")
    code, _, err = run("parse", "--kind", "statuspge", str(payload))
    assert code == 2
    assert "unknown kind 'statuspge'; did you mean 'statuspage'" in err
    assert "known: " in err


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    con = connect(str(db))
    try:
        migrate(con)
        con.execute(
            "insert into raw_services (service_id, name, aliases, depends_on) values "
            "('aws', 'Amazon Web Services', ['amazon'], []), ('slack', 'Slack', [], ['aws'])"
        )
        build_models(con)
    finally:
        con.close()
    return db


def test_timeline_and_export_refuse_an_unknown_service(warehouse: Path, tmp_path: Path) -> None:
    code, _, err = run("timeline", "--db", str(warehouse), "--service", "slak")
    assert code == 2
    assert "unknown --service 'slak'; did you mean 'slack'? (known: aws, slack)" in err
    out = tmp_path / "x.csv"
    window = ("--window", "2021-12-07T00:00Z", "2021-12-08T00:00Z")
    code, _, err = run(
        "export", "--db", str(warehouse), *window, "--service", "nosuch", "--format", "csv", "--out", str(out)
    )
    assert code == 2
    assert "unknown --service 'nosuch'" in err
    assert not out.exists()
    code, stdout, _ = run(
        "export", "--db", str(warehouse), *window, "--service", "Amazon", "--format", "csv", "--out", str(out)
    )
    assert code == 0
    assert "services: aws" in stdout
    assert run("timeline", "--db", str(warehouse), "--service", "AWS")[0] == 0


def test_summary_json_with_the_page_history_feed_beside_it_is_not_alone(tmp_path: Path) -> None:
    # the feed sees incidents close and both endpoints make one incident: no "alone" warning, only the same-page one
    text = GOOD.replace(
        'url: "https://status.acme.test", service: acme}',
        'url: "https://status.acme.test/api/v2/summary.json", service: acme}\n'
        '  - {id: acme-feed, kind: statuspage, url: "https://status.acme.test/history.atom", service: acme}',
        1,
    )
    code, out, err = run("catalog", "check", "--sources", str(write(tmp_path, text)))
    assert code == 0
    assert "alone" not in out + err
    assert "source 'acme-feed' reads the same page (status.acme.test) as 'acme-status'" in out + err
    # the same summary.json beside a feed of another service's page is still alone
    other = text.replace("https://status.acme.test/history.atom", "https://status.other.test/history.atom")
    assert "points at summary.json alone" in "".join(
        run("catalog", "check", "--sources", str(write(tmp_path, other)))[1:]
    )
