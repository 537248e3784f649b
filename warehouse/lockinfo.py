"""Who holds a DuckDB file: read from DuckDB's own lock error, so a wait or a refusal can name the process."""

from __future__ import annotations

import re
from pathlib import Path

_HELD = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")


def lock_holder(message: str) -> str:
    """``PID N (its command line)`` from DuckDB's lock error ("Conflicting lock is held in PROGRAM (PID N)"), or
    "another process" when the message does not say."""
    found = _HELD.search(message)
    if not found:
        return "another process"
    program, pid = found.groups()
    return f"PID {pid} ({command_line(int(pid)) or program})"


def command_line(pid: int) -> str:
    """The process's command line (from /proc, on Linux), shortened; empty when it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(raw.decode("utf-8", "replace").replace("\0", " ").split())[:120]
