"""Helpers for progress streams that poll a background task."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

__all__ = ["TICK", "finished_within", "settle"]

TICK = 0.25  # seconds between progress updates of one layer


async def finished_within(task: asyncio.Future[Any], seconds: float) -> bool:
    """Wait up to `seconds` for `task`; True when it is done (it is never cancelled here)."""
    done, _ = await asyncio.wait({task}, timeout=seconds)
    return bool(done)


async def settle(task: asyncio.Future[Any]) -> None:
    """Cancel `task` if it still runs and wait until it has stopped."""
    if not task.done():
        task.cancel()
    with contextlib.suppress(BaseException):
        await task
