"""Docs are tested: the schema page matches the real views, every command has help with an example, and every
prefect.yaml entrypoint imports."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from flows.cli import main
from warehouse.db import connect, migrate
from warehouse.models import PUBLIC_VIEWS, build_models

ROOT = Path(__file__).resolve().parent.parent
TYPE_NAMES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


def documented_views() -> dict[str, list[tuple[str, str]]]:
    text = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    views: dict[str, list[tuple[str, str]]] = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        name = section.split("\n", 1)[0].strip()
        rows = re.findall(r"^\| (\w+) \| ([A-Z\[\] ]+) \|", section, flags=re.M)
        views[name] = [(column, TYPE_NAMES.get(kind.strip(), kind.strip())) for column, kind in rows]
    return views


def test_schema_doc_matches_the_real_views() -> None:
    con = connect(":memory:")
    migrate(con)
    build_models(con)
    documented = documented_views()
    assert set(documented) == set(PUBLIC_VIEWS)
    for view in PUBLIC_VIEWS:
        real = [(r[0], r[1]) for r in con.execute(f'describe "{view}"').fetchall()]
        assert documented[view] == real, view


def test_no_view_column_needs_quoting() -> None:
    con = connect(":memory:")
    migrate(con)
    build_models(con)
    query = "select keyword_name from duckdb_keywords() where keyword_category = 'reserved'"
    reserved = {r[0] for r in con.execute(query).fetchall()}
    for view in PUBLIC_VIEWS:
        for (column,) in con.execute(f'select column_name from (describe "{view}")').fetchall():
            assert column not in reserved, (view, column)
            assert re.fullmatch(r"[a-z_][a-z0-9_]*", column), (view, column)


def commands() -> list[str]:
    return sorted(main.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", ["", *commands()])
def test_every_command_has_help_with_an_example(command: str) -> None:
    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "outages" in result.output.split("Example:")[1]


def test_readme_commands_are_make_targets() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in set(re.findall(r"^\s*make ([a-z-]+)", readme, flags=re.M)):
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"README says `make {target}` but the Makefile lacks it"
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_prefect_yaml_entrypoint_imports() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert config["deployments"]
    for deployment in config["deployments"]:
        path, _, name = deployment["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        assert hasattr(flow, "fn"), f"{deployment['entrypoint']} is not a Prefect flow"
        params = set(deployment.get("parameters", {}))
        assert params <= set(flow.parameters.properties), deployment["name"]
        for schedule in deployment.get("schedules", []):
            assert len({"cron", "interval", "rrule"} & set(schedule)) == 1


def test_every_kind_has_its_vocabulary_documented() -> None:
    from scrapers import registry

    text = (ROOT / "docs" / "vocabulary.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (\w+)", text, flags=re.M)
    status_kinds = [k for k in registry.names() if registry.get(k).category == "status"]
    missing = [k for k in status_kinds if k not in headings]
    assert not missing, f"docs/vocabulary.md has no section for {missing}"
