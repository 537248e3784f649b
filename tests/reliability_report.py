"""``make reliability``: the reliability suite with its large budgets, summed up in one table.

Runs (with pytest, in one session) the hostile-server suite, the parser fuzzing with the ``reliability`` hypothesis
profile, the crash-safety test at every named kill point, every request of the crawl and random delays, the reader
and writer-lock tests and the security tests; then prints, per category, how many cases were tried and how many
passed, and the crash-safety figures. The table is Markdown, ready for README.md's "Reliability" section.

    python -m tests.reliability_report [--random N] [--fuzz-profile reliability] [extra pytest args]

Exit status: pytest's (0 when everything passed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    "tests/test_reliability.py",
    "tests/test_fuzz_parsers.py",
    "tests/test_crash_safety.py",
    "tests/test_readers.py",
    "tests/test_writer_lock.py",
    "tests/test_security.py",
]


@dataclass
class Row:
    tried: int = 0
    passed: int = 0
    notes: list[str] = field(default_factory=list)


def outcomes(junit: Path) -> list[tuple[str, str, bool]]:
    """(module, test name with parameters, passed) for every test case of the run."""
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        failed = any(child.tag in ("failure", "error") for child in case)
        skipped = any(child.tag == "skipped" for child in case)
        if not skipped:
            out.append((case.get("classname", ""), case.get("name", ""), not failed))
    return out


def hostile_categories() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    from tests.test_reliability import CASES

    return {case.name: case.category for case in CASES}


def table(results: list[tuple[str, str, bool]], stats: list[dict[str, Any]], seconds: float) -> str:
    categories = hostile_categories()
    rows: dict[str, Row] = defaultdict(Row)
    for module, name, ok in results:
        test, _, param = name.partition("[")
        param = param.rstrip("]")
        if module.endswith("test_reliability") and test == "test_each_hostile_case_is_recorded_or_parsed":
            key = f"hostile server: {categories.get(param, 'other')}"
        elif module.endswith("test_reliability"):
            key = "retries, robots.txt, schemes, no stale copy"
        elif module.endswith("test_fuzz_parsers"):
            key = "fuzzing: kinds (parse, follow, detect)"
        elif module.endswith("test_crash_safety") and test.startswith("test_killed"):
            key = "crash safety: kill points"
        elif module.endswith("test_crash_safety"):
            key = "idempotency: either order, twice"
        elif module.endswith(("test_readers", "test_writer_lock")):
            key = "concurrency: writers and readers"
        elif module.endswith("test_security"):
            key = "security: credentials, SQL, escaping"
        else:
            key = module
        rows[key].tried += 1
        rows[key].passed += ok

    examples = sum(s["examples"] for s in stats if s["category"] == "fuzz")
    kinds = len([s for s in stats if s["category"] == "fuzz"])
    if examples:
        rows["fuzzing: kinds (parse, follow, detect)"].notes.append(f"{examples} generated payloads over {kinds} kinds")
    crashes = [s for s in stats if s["category"] == "crash"]
    if crashes:
        killed = sum(s["killed"] for s in crashes)
        mismatches = sum(not s["match"] for s in crashes)
        kinds_of: dict[str, int] = defaultdict(int)
        for s in crashes:
            kinds_of[s["case"].split(":")[0]] += 1
        spread = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds_of.items()))
        rows["crash safety: kill points"].notes.append(
            f"{len(crashes)} kill points ({spread}); killed {killed}; content-hash mismatches {mismatches}"
        )
    for s in stats:
        if s["category"] == "readers":
            rows["concurrency: writers and readers"].notes.append(
                f"reader refused {s['measured']:.2f}s during a {s['bound']:.2f}s load, never while waiting or crawling"
            )

    lines = ["| category | cases tried | passed | figures |", "|---|---:|---:|---|"]
    for key in sorted(rows):
        row = rows[key]
        lines.append(f"| {key} | {row.tried} | {row.passed} | {'; '.join(row.notes)} |")
    total_tried = sum(r.tried for r in rows.values())
    total_passed = sum(r.passed for r in rows.values())
    lines.append(f"| **total** | **{total_tried}** | **{total_passed}** | {seconds / 60:.1f} min |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--random", type=int, default=8, help="random-delay kill points (default 8)")
    parser.add_argument("--fuzz-profile", default="reliability", help="hypothesis profile (default reliability)")
    args, extra = parser.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="reliability-") as folder:
        junit, stats_file = Path(folder) / "junit.xml", Path(folder) / "stats.jsonl"
        env = {
            **os.environ,
            "HYPOTHESIS_PROFILE": args.fuzz_profile,
            "OUTAGES_CRASH_POINTS": "all",
            "OUTAGES_CRASH_RANDOM": str(args.random),
            "OUTAGES_RELIABILITY_STATS": str(stats_file),
        }
        started = time.monotonic()
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
        completed = subprocess.run([*command, *FILES, *extra], cwd=ROOT, env=env, check=False)
        seconds = time.monotonic() - started
        if not junit.exists():
            print("pytest wrote no report", file=sys.stderr)
            return completed.returncode or 1
        stats = (
            [json.loads(line) for line in stats_file.read_text(encoding="utf-8").splitlines()]
            if (stats_file.exists())
            else []
        )
        print()
        print(table(outcomes(junit), stats, seconds))
    return completed.returncode


if __name__ == "__main__":
    raise SystemExit(main())
