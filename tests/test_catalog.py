"""Catalog validation: a good catalog loads; every bad entry is reported as ``path:line`` of that entry."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scrapers import registry
from scrapers.catalog import DEFAULT_CATALOG, Catalog, CatalogError, load_catalog, parse_catalog

PATH = "catalogs/test-sources.yaml"

VALID = textwrap.dedent(
    """\
    # services: what complaints are counted for
    services:
      - id: aws
        name: Amazon Web Services
        aliases: [AWS, "Amazon AWS", amazon-web-services]
      - id: slack
        name: Slack
        aliases: [slack.com]
        depends_on: [aws]
      - id: trello
        name: Trello
        depends_on: [aws]

    # sources: what is fetched
    sources:
      - id: aws-shd
        kind: aws_health
        url: https://status.aws.amazon.com/data.json
        service: aws
      - id: trello-status
        kind: statuspage
        url: https://trello.status.atlassian.com
        service: trello
      - id: slack-counts
        kind: report_counts
        url: https://exports.example.test/counts.csv
        service: slack
      - id: complaint-counts
        kind: report_counts
        url: http://exports.example.test/all.csv
    """
)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing ``needle`` (computed here, not by the code under test)."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} times"
    return hits[occurrence - 1]


def catalog_error(text: str) -> str:
    with pytest.raises(CatalogError) as info:
        parse_catalog(text, PATH)
    return str(info.value)


# ------------------------------------------------------------------------------------------------------ valid


def test_valid_catalog_loads() -> None:
    catalog = parse_catalog(VALID, PATH)
    assert isinstance(catalog, Catalog)
    assert catalog.path == PATH
    assert [s.id for s in catalog.services] == ["aws", "slack", "trello"]
    assert [s.id for s in catalog.sources] == ["aws-shd", "trello-status", "slack-counts", "complaint-counts"]
    slack = catalog.services[1]
    assert slack.name == "Slack"
    assert slack.aliases == ("slack.com",)
    assert slack.depends_on == ("aws",)
    assert catalog.services[2].aliases == ()
    trello = catalog.source("trello-status")
    assert (trello.kind, trello.url, trello.service) == (
        "statuspage",
        "https://trello.status.atlassian.com",
        "trello",
    )
    assert trello.line == line_of(VALID, "id: trello-status")
    assert catalog.source("complaint-counts").service is None  # report_counts needs no service
    with pytest.raises(KeyError):
        catalog.source("nope")


def test_service_name_defaults_to_id() -> None:
    catalog = parse_catalog("services:\n  - id: zoom\n", PATH)
    assert catalog.services[0].name == "zoom"
    assert catalog.sources == ()


def test_empty_sections_are_allowed() -> None:
    catalog = parse_catalog("services: []\nsources: []\n", PATH)
    assert catalog.services == ()
    assert catalog.sources == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("aws", "aws"),
        ("AWS", "aws"),
        ("Amazon AWS", "aws"),
        ("amazon aws", "aws"),
        ("AMAZON-WEB-SERVICES", "aws"),
        ("amazon web services", "aws"),  # the display name counts too
        ("  Slack.COM ", "slack"),
        ("SLACK", "slack"),
        ("trello", "trello"),
        ("jira", None),
        ("", None),
    ],
)
def test_resolve_service_is_case_insensitive(name: str, expected: str | None) -> None:
    assert parse_catalog(VALID, PATH).resolve_service(name) == expected


def test_load_catalog_from_a_file(tmp_path: Path) -> None:
    file = tmp_path / "sources.yaml"
    file.write_text(VALID, encoding="utf-8")
    catalog = load_catalog(file)
    assert catalog.path == str(file)
    assert len(catalog.sources) == 4


def test_load_catalog_errors_name_the_file(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(VALID.replace("kind: statuspage", "kind: nagios"), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(file)
    assert f"{file}:{line_of(VALID, 'id: trello-status')}:" in str(info.value)


def test_load_catalog_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(CatalogError, match="cannot read the catalog"):
        load_catalog(missing)


def test_default_catalog_loads() -> None:
    catalog = load_catalog()
    assert catalog.path == str(DEFAULT_CATALOG)
    assert len(catalog.sources) >= 3
    known = set(registry.names())
    assert all(source.kind in known for source in catalog.sources)


# ------------------------------------------------------------------------------------------ errors with lines


def test_unknown_kind() -> None:
    text = VALID.replace("kind: statuspage", "kind: nagios")
    message = catalog_error(text)
    assert f"{PATH}:{line_of(text, 'id: trello-status')}:" in message
    assert "unknown kind 'nagios'" in message
    assert "statuspage" in message  # lists the known kinds


def test_duplicate_source_id() -> None:
    text = VALID.replace("id: slack-counts", "id: aws-shd")
    first, second = line_of(text, "id: aws-shd"), line_of(text, "id: aws-shd", 2)
    message = catalog_error(text)
    assert f"{PATH}:{second}:" in message
    assert "duplicate source id 'aws-shd'" in message
    assert f"first at line {first}" in message


def test_duplicate_service_id() -> None:
    text = VALID.replace("- id: trello\n", "- id: slack\n").replace("service: trello", "service: slack")
    first, second = line_of(text, "- id: slack"), line_of(text, "- id: slack", 2)
    message = catalog_error(text)
    assert f"{PATH}:{second}:" in message
    assert "duplicate service id 'slack'" in message
    assert f"first at line {first}" in message


def test_source_names_unknown_service() -> None:
    text = VALID.replace("service: slack", "service: discord")
    message = catalog_error(text)
    assert f"{PATH}:{line_of(text, 'id: slack-counts')}:" in message
    assert "names service 'discord', which is not in the catalog" in message


def test_source_must_name_a_service_id_not_an_alias() -> None:
    text = VALID.replace("service: trello", "service: AWS")
    message = catalog_error(text)
    assert f"{PATH}:{line_of(text, 'id: trello-status')}:" in message
    assert "'AWS'" in message


def test_depends_on_unknown_service() -> None:
    text = VALID.replace("depends_on: [aws]\n  - id: trello", "depends_on: [aws, azure]\n  - id: trello")
    assert "azure" in text
    message = catalog_error(text)
    assert f"{PATH}:{line_of(text, '- id: slack')}:" in message
    assert "depends on 'azure', which is not in the catalog" in message


@pytest.mark.parametrize(
    "url",
    [
        "ftp://status.aws.amazon.com/data.json",
        "status.aws.amazon.com/data.json",
        "file:///etc/passwd",
        "https://",
        "javascript:alert(1)",
    ],
)
def test_non_http_url(url: str) -> None:
    text = VALID.replace("url: https://status.aws.amazon.com/data.json", f"url: {url!r}")
    message = catalog_error(text)
    assert f"{PATH}:{line_of(text, 'id: aws-shd')}:" in message
    assert "is not an http(s) URL" in message


def test_statuspage_source_without_service() -> None:
    text = VALID.replace("    service: trello\n", "")
    message = catalog_error(text)
    assert f"{PATH}:{line_of(text, 'id: trello-status')}:" in message
    assert "of kind 'statuspage' must name its 'service'" in message


@pytest.mark.parametrize(
    ("edit", "needle", "fragment"),
    [
        (("    kind: aws_health\n", ""), "id: aws-shd", "'kind' is required"),
        (("    url: https://status.aws.amazon.com/data.json\n", ""), "id: aws-shd", "'url' is required"),
        (("- id: aws-shd", "- id: ''"), "id: ''", "'id' is required"),
        (
            ("    service: aws\n", "    service: aws\n    region: us-east-1\n"),
            "id: aws-shd",
            "unknown source key",
        ),
        (("    name: Slack\n", "    name: Slack\n    owner: me\n"), "- id: slack", "unknown service key"),
        (("aliases: [slack.com]", "aliases: slack.com"), "- id: slack", "'aliases' must be a list"),
        (
            ("depends_on: [aws]\n  - id: trello", "depends_on: aws\n  - id: trello"),
            "- id: slack",
            "'depends_on'",
        ),
    ],
    ids=[
        "no-kind",
        "no-url",
        "empty-id",
        "unknown-source-key",
        "unknown-service-key",
        "aliases",
        "depends_on",
    ],
)
def test_other_entry_errors_name_the_line(edit: tuple[str, str], needle: str, fragment: str) -> None:
    old, new = edit
    assert old in VALID
    text = VALID.replace(old, new, 1)
    message = catalog_error(text)
    assert f"{PATH}:{line_of(text, needle)}:" in message
    assert fragment in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- just\n- a list\n", "expected a mapping with 'services' and 'sources'"),
        ("services: []\nsorces: []\n", "unknown top-level key 'sorces'; did you mean 'sources'"),
        ("services:\n  - id: a\n   name: [\n", "not valid YAML"),
    ],
)
def test_whole_file_errors(text: str, fragment: str) -> None:
    message = catalog_error(text)
    assert message.startswith(f"{PATH}:")
    assert fragment in message


def test_every_error_is_reported_at_once_in_file_order() -> None:
    text = (
        VALID.replace("kind: statuspage", "kind: statuspag")
        .replace("service: slack", "service: slakc")
        .replace("depends_on: [aws]\n  - id: trello", "depends_on: [AWS]\n  - id: trello")
        .replace("    service: aws\n", "    service: aws\n    regoin: us-east-1\n")
    )
    with pytest.raises(CatalogError) as info:
        parse_catalog(text, PATH)
    errors = info.value.errors
    assert len(errors) == 4, errors
    assert str(info.value).splitlines() == errors
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == sorted(lines)
    by_line = dict(zip(lines, errors, strict=True))
    assert "did you mean 'aws'" not in by_line[line_of(text, "- id: slack")]  # an alias: says to use the id
    assert "'AWS' is a name of 'aws': use the id" in by_line[line_of(text, "- id: slack")]
    assert "unknown source key 'regoin'" in by_line[line_of(text, "id: aws-shd")]
    assert "unknown kind 'statuspag'; did you mean 'statuspage'" in by_line[line_of(text, "id: trello-status")]
    assert (
        "names service 'slakc', which is not in the catalog; did you mean 'slack'?"
        in by_line[line_of(text, "id: slack-counts")]
    )


def test_unknown_key_suggests_the_known_one() -> None:
    text = VALID.replace("    service: aws\n", "    service: aws\n    servce: aws\n")
    assert "unknown source key 'servce'; did you mean 'service'?" in catalog_error(text)


# ------------------------------------------------------------------------------------------------- edge cases


def test_non_string_service_name_is_a_catalog_error() -> None:
    text = VALID.replace("name: Trello", "name: 123")
    assert f"{PATH}:{line_of(text, '- id: trello')}:" in catalog_error(text)


def test_list_as_source_service_is_a_catalog_error() -> None:
    text = VALID.replace("service: trello", "service: [trello]")
    assert f"{PATH}:{line_of(text, 'id: trello-status')}:" in catalog_error(text)


def test_yaml_syntax_error_names_path_and_line() -> None:
    assert f"{PATH}:3" in catalog_error("services:\n  - id: a\n   name: [\n")


def test_scalar_entry_names_its_line() -> None:
    assert f"{PATH}:3" in catalog_error("services:\n  - id: a\n  - just-a-string\n")
