"""What a test can see of the server's runner processes through /proc (Linux)."""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["children", "cpu_seconds", "cpu_share"]


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (the server's runners)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(out)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def cpu_share(pid: int, seconds: float) -> float:
    """CPU time `pid` uses over the next `seconds`, per second (1.0: one core busy)."""
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - t0)
