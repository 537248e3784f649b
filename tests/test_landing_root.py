"""The landing-root setting without servers: where WarehouseFiles puts things for each setting, how a published run's
URL is read back, which runs are pending, and the clear refusals (tests/test_lake_landing.py runs it on real S3)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.cli import main
from warehouse.files import WarehouseFiles
from warehouse.landing_root import (
    LANDING_ENV,
    LandingError,
    RemoteLanding,
    local_landing,
    pending_runs,
    split_landing_url,
)


def test_a_local_landing_root_moves_bodies_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LANDING_ENV, str(tmp_path / "shared"))
    files = WarehouseFiles(tmp_path / "w.duckdb")
    assert files.landing == tmp_path / "shared"
    assert files.bodies == tmp_path / "shared" / "bodies"
    assert files.remote is None
    assert files.lock == tmp_path / "w.duckdb.lock"  # the lock stays beside the database


def test_an_s3_landing_root_keeps_a_local_scratch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LANDING_ENV, "s3://bucket/outages")
    files = WarehouseFiles(tmp_path / "w.duckdb")
    assert files.remote == "s3://bucket/outages"
    assert files.landing == tmp_path / "w.landing"  # where this machine crawls and parses
    remote = files.remote_landing()
    assert remote is not None
    assert remote.root == "s3://bucket/outages/"
    assert remote.body_key("ab" + "0" * 62) == "outages/bodies/ab/ab" + "0" * 62
    url = remote.landing_url("20211207T150000-deadbeef")
    assert url == "s3://bucket/outages/runs/20211207T150000-deadbeef/landing/"
    assert split_landing_url(url) == (remote, "20211207T150000-deadbeef")
    # the argument wins over the variable
    assert WarehouseFiles(tmp_path / "w.duckdb", landing=tmp_path / "x").remote is None


def test_a_bucket_without_prefix_and_bad_urls(tmp_path: Path) -> None:
    assert RemoteLanding("s3://bucket").key("runs", "r") == "runs/r"
    with pytest.raises(LandingError, match="give s3://BUCKET/PREFIX/"):
        RemoteLanding("s3:///prefix")
    with pytest.raises(LandingError, match="not a published run's landing folder"):
        split_landing_url("s3://bucket/prefix/r1/")
    with local_landing(tmp_path) as folder:  # a local landing folder is read where it is
        assert folder == tmp_path


def test_pending_runs_are_the_published_ones_not_loaded_oldest_first() -> None:
    assert pending_runs(["r3", "r1", "r2"], ["r2"]) == ["r1", "r3"]
    assert pending_runs([], ["r1"]) == []


def test_load_without_an_s3_landing_root_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LANDING_ENV, raising=False)
    result = CliRunner().invoke(main, ["load", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "no S3 landing root" in result.output


def scaling_out_commands() -> list[list[str]]:
    """The ``outages`` command lines of the README's "Scaling out" code blocks (continuations joined)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Scaling out**", 1)[1].split("\n### ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "outages":
                commands.append(words[1:])
    return commands


def test_the_scaling_out_commands_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``outages`` line of the README's "Scaling out" names a real command with options it accepts (parsed by
    the CLI itself; their callbacks set variables, restored after the test)."""
    from warehouse.lake import DATA_PATH_ENV

    for name in (LANDING_ENV, DATA_PATH_ENV):
        monkeypatch.setenv(name, "")
    commands = scaling_out_commands()
    assert {words[0] for words in commands} >= {"ingest", "load", "timeline"}
    for words in commands:
        parent = main.make_context("outages", list(words), resilient_parsing=False)
        command = main.get_command(parent, words[0])  # type: ignore[attr-defined]
        assert command is not None, words
        command.make_context(words[0], list(words[1:]), parent=parent)  # raises on an unknown option or bad value
