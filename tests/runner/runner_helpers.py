"""Helpers for runner tests: a private event loop and completion collection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

from pollama.runner.client import RunnerProcess

__all__ = ["Loop", "collect", "greedy"]

T = TypeVar("T")


class Loop:
    """Runs coroutines on one event loop that lives as long as the module's runners."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coro)  # type: ignore[arg-type]

    def start(self, model: Path, **kw: Any) -> RunnerProcess:
        kw.setdefault("threads", 1)
        return self.run(RunnerProcess.start(model, **kw))


async def collect(runner: RunnerProcess, req: dict[str, Any]) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """(content, done line, all lines) of one completion."""
    lines = [msg async for msg in runner.completion(req)]
    text = "".join(m.get("content", "") for m in lines)
    return text, lines[-1], lines


def greedy(n: int = 24, **extra: Any) -> dict[str, Any]:
    return {"temperature": 0, "num_predict": n, **extra}
