"""A landing root on S3 (``OUTAGES_LANDING=s3://bucket/prefix/``): crawl workers on any machine publish their runs
there and the load reads them from there, so no filesystem is shared.

A worker still crawls and parses in its own local scratch folder (``WarehouseFiles(db).landing``: Scrapy writes files,
the parse stage reads them); then :meth:`RemoteLanding.publish_run` copies the run to the root, in an order that makes
a half-published run recognisable::

    <root>bodies/<sha[:2]>/<sha256>          every body the run fetched, once (content-addressed, like the local store)
    <root>runs/<run id>/…                    plan, fetch records, crawl log and stats
    <root>runs/<run id>/landing/<t>.jsonl    the landing files, after every body they refer to
    <root>runs/<run id>/landing/_published.json   written last: the landing files and their sizes

A loader on any machine takes a run only when its ``_published.json`` is there (:func:`local_landing` downloads the
landing files into a temporary folder and DuckDB reads them there, set-based as from a local run; see README "Scaling
out" for why a download rather than DuckDB reading ``s3://`` itself). :func:`pending_runs` lists the published runs a
warehouse has not loaded yet, so a load that failed or was killed is taken up again (``outages load``).

The author salt lives at ``<root>author.salt`` so that every worker hashes a post's author the same way; the first
worker creates it with a conditional write (``If-None-Match: *``), so of two creating it at once one wins and both use
the winner's. Credentials come from the environment only (the AWS variables warehouse/lake.py reads too).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LANDING_ENV = "OUTAGES_LANDING"
REMOTE_SCHEMES = ("s3://",)
PUBLISHED = "_published.json"
PARALLEL_UPLOADS = 16


class LandingError(RuntimeError):
    """A landing root or a run on it cannot be used as given (not published completely, unreachable, misnamed)."""


def landing_setting(environ: Mapping[str, str] | None = None) -> str | None:
    """The configured landing root (``OUTAGES_LANDING``): an ``s3://`` URL or a local folder; None when unset."""
    value = (environ if environ is not None else os.environ).get(LANDING_ENV, "").strip()
    return value or None


def is_remote(root: str | os.PathLike[str] | None) -> bool:
    return root is not None and str(root).startswith(REMOTE_SCHEMES)


def s3_client(environ: Mapping[str, str] | None = None) -> Any:
    """A boto3 S3 client from the AWS variables alone (keys, session token, region, and ``AWS_ENDPOINT_URL_S3`` or
    ``AWS_ENDPOINT_URL`` for a server other than AWS's); boto3's own chain (profiles, instance roles) fills the rest."""
    import boto3
    from botocore.config import Config

    env = environ if environ is not None else os.environ
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
    style = {"addressing_style": "path"} if endpoint else {}  # a server of one's own seldom has bucket host names
    config = Config(retries={"max_attempts": 8, "mode": "standard"}, s3=style)
    return boto3.client("s3", endpoint_url=endpoint, region_name=region, config=config)


@dataclass(frozen=True, slots=True)
class RemoteLanding:
    """The landing root ``root`` (``s3://bucket/prefix/``, the prefix may be empty)."""

    root: str

    def __post_init__(self) -> None:
        if not self.root.startswith("s3://") or not self.root[len("s3://") :].split("/", 1)[0]:
            raise LandingError(f"{LANDING_ENV}={self.root!r}: give s3://BUCKET/PREFIX/ or a local folder")
        if not self.root.endswith("/"):
            object.__setattr__(self, "root", self.root + "/")

    @property
    def bucket(self) -> str:
        return self.root[len("s3://") :].split("/", 1)[0]

    @property
    def prefix(self) -> str:
        return self.root[len("s3://") :].split("/", 1)[1]

    def key(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    def url(self, *parts: str) -> str:
        return f"s3://{self.bucket}/{self.key(*parts)}"

    def body_key(self, sha256: str) -> str:
        return self.key("bodies", sha256[:2], sha256)

    def landing_url(self, run_id: str) -> str:
        """Where a run's landing files are published (what the load task is given)."""
        return self.url("runs", run_id, "landing") + "/"

    # -- writing (a crawl worker) --------------------------------------------------------------------------------

    def publish_run(self, run_dir: Path, store: Path, *, client: Any = None) -> dict[str, int]:
        """Copy a staged run to the root: its bodies (those not there yet), its files, its landing files, and last
        the ``_published.json`` that lets a loader take it. Publishing again is harmless. Returns what it copied."""
        s3 = client or s3_client()
        landing = run_dir / "landing"
        tables = sorted(p for p in landing.glob("*.jsonl") if p.is_file())
        if not tables:
            raise LandingError(f"{landing} holds no landing files: the run was not staged")

        def put_body(sha: str) -> int:
            local = store / sha[:2] / sha
            if not local.exists():  # a response that carried a secret is never stored (scrapers/spider.py)
                return 0
            key = self.body_key(sha)
            if _exists(s3, self.bucket, key):  # content-addressed: already there is already right
                return 0
            s3.upload_file(str(local), self.bucket, key)
            return 1

        run_id = run_dir.name
        files = sorted(p for p in run_dir.rglob("*") if p.is_file() and landing not in p.parents)
        with ThreadPoolExecutor(max_workers=PARALLEL_UPLOADS) as pool:  # a big run has thousands of small bodies
            bodies = sum(pool.map(put_body, sorted(_fetched_bodies(run_dir / "fetches.jsonl"))))
            keys = [self.key("runs", run_id, p.relative_to(run_dir).as_posix()) for p in files]
            list(pool.map(lambda p, k: s3.upload_file(str(p), self.bucket, k), files, keys))
            # the landing files only after every body they refer to
            keys = [self.key("runs", run_id, "landing", p.name) for p in tables]
            list(pool.map(lambda p, k: s3.upload_file(str(p), self.bucket, k), tables, keys))
        uploaded = len(files) + len(tables)
        manifest = {"run_id": run_id, "files": {p.name: p.stat().st_size for p in tables}}
        s3.put_object(
            Bucket=self.bucket, Key=self.key("runs", run_id, "landing", PUBLISHED), Body=json.dumps(manifest).encode()
        )
        return {"bodies": bodies, "files": uploaded + 1}

    def author_salt(self, *, client: Any = None) -> bytes:
        """The salt every worker hashes post authors with, created once (conditional write) by the first to ask."""
        s3 = client or s3_client()
        key = self.key("author.salt")
        with contextlib.suppress(s3.exceptions.ClientError):
            s3.put_object(Bucket=self.bucket, Key=key, Body=secrets.token_hex(32).encode(), IfNoneMatch="*")
        # whether this worker wrote it or another one did first (412 Precondition Failed), the stored one holds
        salt: bytes = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        if not salt:
            raise LandingError(f"{self.url('author.salt')} is empty: remove it (or set OUTAGES_AUTHOR_SALT)")
        return salt

    # -- reading (a loader) --------------------------------------------------------------------------------------

    def published_runs(self, *, client: Any = None) -> list[str]:
        """The run ids whose publication completed, in run-id order (run ids sort by start time)."""
        s3 = client or s3_client()
        runs = []
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.key("runs") + "/")
        for page in pages:
            for item in page.get("Contents", []):
                parts = item["Key"][len(self.key("runs")) + 1 :].split("/")
                if parts[1:] == ["landing", PUBLISHED]:
                    runs.append(parts[0])
        return sorted(runs)

    def download_landing(self, run_id: str, into: Path, *, client: Any = None) -> Path:
        """Download a published run's landing files into ``into``; a run not published completely is refused."""
        s3 = client or s3_client()
        try:
            body = s3.get_object(Bucket=self.bucket, Key=self.key("runs", run_id, "landing", PUBLISHED))["Body"]
        except s3.exceptions.NoSuchKey:
            raise LandingError(
                f"run {run_id} is not published completely under {self.root} (no landing/{PUBLISHED}): "
                "its worker stopped while publishing; run it again"
            ) from None
        manifest = json.loads(body.read())
        into.mkdir(parents=True, exist_ok=True)
        for name, size in sorted(manifest["files"].items()):
            target = into / name
            s3.download_file(self.bucket, self.key("runs", run_id, "landing", name), str(target))
            if target.stat().st_size != size:
                raise LandingError(f"{self.url('runs', run_id, 'landing', name)}: {target.stat().st_size} bytes, "
                                   f"the run published {size}")  # fmt: skip
        return into


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return False
        raise
    return True


def _fetched_bodies(fetches: Path) -> set[str]:
    """The sha256 of every body the run's fetch records name."""
    if not fetches.exists():
        return set()
    found = set()
    with fetches.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                sha = json.loads(line).get("sha256")
                if sha:
                    found.add(str(sha))
    return found


def split_landing_url(landing: str) -> tuple[RemoteLanding, str]:
    """``s3://b/p/runs/<run id>/landing/`` → (the root ``s3://b/p/``, the run id)."""
    parts = landing.rstrip("/").rsplit("/", 3)
    if len(parts) != 4 or parts[1] != "runs" or parts[3] != "landing":
        raise LandingError(f"{landing!r} is not a published run's landing folder (…/runs/<run id>/landing/)")
    return RemoteLanding(parts[0] + "/"), parts[2]


@contextlib.contextmanager
def local_landing(landing: str | Path) -> Iterator[Path]:
    """A landing folder DuckDB can read: a local one as it is; a published one (``s3://…/runs/<id>/landing/``)
    downloaded into a temporary folder, removed after."""
    if not is_remote(landing):
        yield Path(landing)
        return
    root, run_id = split_landing_url(str(landing))
    folder = Path(tempfile.mkdtemp(prefix=f"outages-landing-{run_id}-"))
    try:
        yield root.download_landing(run_id, folder / "landing")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def pending_runs(published: Iterable[str], loaded: Iterable[str]) -> list[str]:
    """The published runs not loaded yet, oldest first."""
    done = set(loaded)
    return [run for run in sorted(published) if run not in done]
