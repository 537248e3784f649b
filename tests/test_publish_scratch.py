"""A worker's local scratch copy of a run is removed once the run is published on the S3 landing root (moto's S3
server on loopback), and kept when publishing failed: nothing is lost, and a worker's disk does not fill with runs
every loader reads from S3 anyway."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.ingest import publish
from tests.lake_servers import S3, s3_server
from warehouse.landing_root import PUBLISHED, RemoteLanding, s3_client

BUCKET = "scratch"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    with s3_server(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        server.create_bucket(BUCKET)
        yield server


def staged_run(tmp_path: Path, run_id: str) -> tuple[Path, Path, str]:
    """A staged run as the crawl and the parse stage leave it: plan, fetch records, a body in the store, landing."""
    store, run_dir = tmp_path / "w.landing" / "bodies", tmp_path / "w.landing" / "runs" / run_id
    body = b'{"incidents": []}'
    sha = hashlib.sha256(body).hexdigest()
    (store / sha[:2]).mkdir(parents=True)
    (store / sha[:2] / sha).write_bytes(body)
    (run_dir / "landing").mkdir(parents=True)
    (run_dir / "plan.json").write_text("[]", encoding="utf-8")
    (run_dir / "fetches.jsonl").write_text(json.dumps({"source_id": "s", "sha256": sha}) + "\n", encoding="utf-8")
    (run_dir / "landing" / "runs.jsonl").write_text(json.dumps({"run_id": run_id}) + "\n", encoding="utf-8")
    return run_dir, store, sha


def test_a_published_run_leaves_no_scratch_copy_and_a_failed_publish_keeps_it(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3.environ().items():
        monkeypatch.setenv(name, value)
    run_dir, store, sha = staged_run(tmp_path, "20211207T150000-0000aaaa")
    root = RemoteLanding(f"s3://{BUCKET}/p/")

    copied = publish.fn(root.root, str(run_dir), str(store))

    assert copied == {"bodies": 1, "files": 4}  # plan, fetch records, one landing file, _published.json
    keys = s3.keys(BUCKET, "p/")
    assert root.key("runs", run_dir.name, "landing", PUBLISHED) in keys
    assert root.body_key(sha) in keys
    assert not run_dir.exists()  # the scratch copy is gone once published
    assert (store / sha[:2] / sha).exists()  # the body store stays: the next run asks conditionally against it
    # what was published is the run: a loader downloads its landing files
    into = root.download_landing(run_dir.name, tmp_path / "downloaded", client=s3_client())
    assert json.loads((into / "runs.jsonl").read_text(encoding="utf-8")) == {"run_id": run_dir.name}

    # a bucket that does not exist: publishing fails, and the run stays where it was staged
    kept, kept_store, _ = staged_run(tmp_path / "other", "20211207T150100-0000bbbb")
    with pytest.raises(Exception, match=r"NoSuchBucket|does not exist"):
        publish.fn(f"s3://{BUCKET}-missing/p/", str(kept), str(kept_store))
    assert (kept / "landing" / "runs.jsonl").exists()
    assert (kept / "fetches.jsonl").exists()
