"""The landing-root setting without servers: where WarehouseFiles puts things for each setting, how a published run's
URL is read back, which runs are pending, and the clear refusals (tests/test_lake_landing.py runs it on real S3)."""

from __future__ import annotations

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
