"""Progress output of `pull`, `push` and `create`, laid out as Ollama's: one line per step, one bar per
layer (size, speed, ETA), each run of bars finished before the next step's line is printed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

__all__ = ["render_progress"]


def _bars(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}", markup=False), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn(), TimeRemainingColumn(), console=console, transient=False)


def render_progress(events: Iterable[dict[str, Any]], console: Console | None = None) -> None:
    """Print `events` (Ollama progress objects) as they arrive; errors from `events` propagate."""
    console = console or Console()
    progress: Progress | None = None
    tasks: dict[str, TaskID] = {}
    last_status = None
    try:
        for event in events:
            status = str(event.get("status", ""))
            digest, total = event.get("digest"), event.get("total")
            if digest and total:
                if progress is None:
                    progress = _bars(console)
                    progress.start()
                if digest not in tasks:
                    tasks[digest] = progress.add_task(status, total=total)
                progress.update(tasks[digest], completed=event.get("completed", 0), description=status)
            elif status and status != last_status:
                if progress is not None:  # the layers are done: leave their bars where they are
                    progress.stop()
                    progress, tasks = None, {}
                console.print(status, markup=False, highlight=False)
            last_status = status
    finally:
        if progress is not None:
            progress.stop()
