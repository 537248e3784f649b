"""warehouse/ owns the warehouse: its files, its writer lock, its reads; flows only call functions.

- every path beside a database comes from one ``WarehouseFiles`` value;
- the parse stage reads bodies without Scrapy or Twisted (the body store is ``scrapers/bodystore.py``);
- ``load_landing`` takes the writer file lock itself (and re-enters it when its caller holds it);
- no SQL is written in ``flows/``;
- the models' build order is derived from what each model reads, and builds every view.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from tests.test_materialized_counts import count_rows, write_landing
from warehouse.db import connect, migrate
from warehouse.files import WarehouseFiles
from warehouse.load import load_landing
from warehouse.lock import WriterLockTimeout, file_lock, writer_file_lock
from warehouse.models import MODEL_ORDER, PUBLIC_VIEWS, build_models, model_names, model_reads

ROOT = Path(__file__).resolve().parent.parent
SQL_WORDS = re.compile(r"\b(select|insert|update|delete|copy|create|attach|export database|import database)\s", re.I)


def test_every_file_beside_a_warehouse_comes_from_one_value(tmp_path: Path) -> None:
    files = WarehouseFiles(tmp_path / "w.duckdb")
    assert files == WarehouseFiles(str(tmp_path / "w.duckdb"))  # a value: equal for equal paths
    assert files.landing == tmp_path / "w.landing"
    assert files.bodies == tmp_path / "w.landing" / "bodies"
    assert files.runs == tmp_path / "w.landing" / "runs"
    assert files.run("r1") == files.runs / "r1"
    assert files.salt == files.landing / "author.salt"
    assert files.lock == tmp_path / "w.duckdb.lock"
    assert files.wal == tmp_path / "w.duckdb.wal"
    assert files.backups == tmp_path / "w.backups"
    moved = WarehouseFiles(tmp_path / "w.duckdb", landing=tmp_path / "elsewhere")
    assert moved.bodies == tmp_path / "elsewhere" / "bodies"
    assert moved.lock == files.lock


def test_the_author_salt_is_made_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OUTAGES_AUTHOR_SALT", raising=False)
    files = WarehouseFiles(tmp_path / "w.duckdb")
    salt = files.author_salt()
    assert len(salt) == 32
    assert files.salt.read_bytes() == salt == files.author_salt()
    monkeypatch.setenv("OUTAGES_AUTHOR_SALT", "configured")
    assert files.author_salt() == b"configured"


def test_the_parse_stage_imports_neither_scrapy_nor_twisted() -> None:
    probe = (
        "import sys, scrapers.landing; print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_load_landing_takes_the_writer_lock_itself(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    landing = write_landing(tmp_path / "run1", "run1", count_rows("reports", "aws", 0, 10, 5))
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:  # another thread waits as another process would
        with writer_file_lock(db):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=other_writer)
    holder.start()
    try:
        assert held.wait(30)
        with pytest.raises(WriterLockTimeout):
            load_landing(db, landing, lock_timeout_seconds=0.3)
        assert not db.exists()  # it waited for the lock before opening anything
    finally:
        release.set()
        holder.join()
    assert load_landing(db, landing)["raw_complaint_counts"] == 11
    with writer_file_lock(db):  # re-entrant: a caller holding the lock does not wait for itself
        assert load_landing(db, landing, lock_timeout_seconds=0.3)["raw_complaint_counts"] == 0


def test_the_file_lock_keeps_out_another_process(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    child = textwrap.dedent(
        f"""
        from warehouse.lock import WriterLockTimeout, writer_file_lock
        try:
            with writer_file_lock({str(db)!r}, timeout_seconds=0.3):
                raise SystemExit(0)
        except WriterLockTimeout:
            raise SystemExit(3)
        """
    )
    with file_lock(WarehouseFiles(db).lock):
        assert subprocess.run([sys.executable, "-c", child], cwd=ROOT, check=False).returncode == 3
    assert subprocess.run([sys.executable, "-c", child], cwd=ROOT, check=False).returncode == 0


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_sql_is_written_in_flows() -> None:
    flows = ROOT / "flows"
    assert not sorted(flows.rglob("*.sql")), "SQL files belong in warehouse/"
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted(flows.rglob("*.py"))
        for line, text in _strings(path)
        if SQL_WORDS.search(text)
    ]
    assert not found, "SQL in flows/ (call warehouse.reads or another warehouse function):\n" + "\n".join(found)


def test_the_sql_check_would_see_a_query() -> None:
    assert SQL_WORDS.search("select count(*) from raw_ingest_runs")
    assert SQL_WORDS.search("COPY (select 1) TO 'x.csv'")
    assert SQL_WORDS.search("EXPORT DATABASE 'x'")
    assert not SQL_WORDS.search("selected sources")


def test_the_derived_model_order_builds_every_view(tmp_path: Path) -> None:
    assert sorted(MODEL_ORDER) == sorted(model_names())
    views = {name.split("/")[1] for name in MODEL_ORDER}
    for position, name in enumerate(MODEL_ORDER):
        earlier = {n.split("/")[1] for n in MODEL_ORDER[:position]}
        assert model_reads(name, views) <= earlier, f"{name} is built before a view it reads"
    con = connect(tmp_path / "w.duckdb")
    try:
        migrate(con)
        build_models(con)
        present = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    finally:
        con.close()
    assert views <= present
    assert set(PUBLIC_VIEWS) == {n.split("/")[1] for n in MODEL_ORDER if n.startswith("marts/")}


def test_the_order_follows_what_a_model_reads() -> None:
    views = {name.split("/")[1] for name in MODEL_ORDER}
    assert {"complaint_spikes", "stg_incidents"} <= model_reads("marts/outages", views)
    assert model_reads("marts/services", views) == set()  # its CTE `services` reads raw_services, not itself
