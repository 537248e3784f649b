"""Hash every view of a warehouse and the materialized model ``stg_complaint_counts`` (rows in a fixed order), to
show that a refactor left the analyst views unchanged.

    python tests/view_hashes.py WAREHOUSE.duckdb            # one "view  rows  sha256" line per view

Two replays of the same day hash equal once what differs between any two runs is set aside: run ids (the wall-clock
time and a random suffix) are replaced by their rank among the warehouse's run ids, which sort by start time; the
replay server's loopback port in URLs by ``PORT``; and post authors are hashed with a random salt unless one is set, so
build both warehouses with the same ``OUTAGES_AUTHOR_SALT``::

    OUTAGES_AUTHOR_SALT=fixed outages demo --db a/demo.duckdb --out a/out     # on each of the two checkouts
    diff <(python tests/view_hashes.py a/demo.duckdb) <(python tests/view_hashes.py b/demo.duckdb)

Reads only; needs duckdb.
"""

from __future__ import annotations

import hashlib
import re
import sys
from typing import Any

import duckdb

RUN_ID = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{8}$")
LOOPBACK = re.compile(r"http://127\.0\.0\.1:\d+")


def view_hashes(db: str) -> dict[str, tuple[int, str]]:
    con = duckdb.connect(db, read_only=True)
    try:
        runs = [r[0] for r in con.execute("select run_id from raw_ingest_runs order by run_id").fetchall()]
        rank = {run: f"run-{n}" for n, run in enumerate(runs)}

        def stable(value: Any) -> str:
            if isinstance(value, str) and RUN_ID.match(value):
                return rank.get(value, "run-?")
            return LOOPBACK.sub("http://127.0.0.1:PORT", repr(value))

        views = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' "
                "and (table_type = 'VIEW' or table_name = 'stg_complaint_counts') order by table_name"
            ).fetchall()
        ]
        out = {}
        for view in views:
            rows = con.execute(f'select * from "{view}"').fetchall()
            lines = sorted("\x1f".join(stable(v) for v in row) for row in rows)
            digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
            out[view] = (len(rows), digest)
        return out
    finally:
        con.close()


def main(argv: list[str]) -> int:
    for view, (rows, digest) in view_hashes(argv[1]).items():
        print(f"{view:32} {rows:7d}  {digest[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
