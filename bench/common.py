"""What every benchmark shares: the machine, child processes that report their own peak memory, and the table."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def machine() -> dict[str, str]:
    """nproc, memory, CPU, OS, and the versions the figures depend on."""
    import duckdb
    import prefect
    import scrapy

    mem_kib = 0
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "scrapy": scrapy.__version__,
        "prefect": prefect.__version__,
    }


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory in MiB (Linux reports ``ru_maxrss`` in KiB); for children, the largest waited-for one."""
    return resource.getrusage(who).ru_maxrss / 1024


def run_child(
    module: str, args: list[str], *, env: dict[str, str] | None = None, timeout: float = 1800
) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh process; it prints one JSON object as its last stdout line.

    Adds ``wall_s`` (process start to exit, seen from here) and ``peak_rss_mib`` (the child's own peak, as it
    reported it, or else its peak as the kernel accounted it) to that object.
    """
    before = peak_rss_mib(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} exited {completed.returncode}:\n{completed.stderr[-4000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{module} printed no result:\n{completed.stdout[-2000:]}\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    result["wall_s"] = wall
    after = peak_rss_mib(resource.RUSAGE_CHILDREN)
    result.setdefault("peak_rss_mib", after if after > before else None)
    return result


def emit(result: dict[str, Any]) -> None:
    """The last line a child prints: its result, plus its own peak memory."""
    result.setdefault("peak_rss_mib", peak_rss_mib())
    print(json.dumps(result, default=str), flush=True)


@dataclass
class Row:
    bench: str
    measure: str
    figure: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""


def fmt_s(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s" if seconds < 100 else f"{seconds:.0f} s"


def fmt_mib(mib: float | None) -> str:
    if mib is None:
        return "n/a"
    return f"{mib:.0f} MiB" if mib < 1024 else f"{mib / 1024:.2f} GiB"


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**no**")


def table(rows: list[Row]) -> str:
    header = ("benchmark", "measure", "figure", "baseline", "ratio", "target", "met")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += [
        f"| {r.bench} | {r.measure} | {r.figure} | {r.baseline} | {r.ratio} | {r.target} | {r.met} |" for r in rows
    ]
    return "\n".join(lines)
