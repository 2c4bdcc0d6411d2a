"""Helpers for runner tests: a private event loop and completion collection; an engine in this process."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import llama_cpp as lc

from pollama.runner.client import RunnerProcess
from pollama.runner.draft import Drafter
from pollama.runner.engine import Completion, Engine
from pollama.runner.llama import ContextConfig, Model, make_context
from pollama.runner.protocol import CompletionRequest, Finished, Piece
from pollama.runner.sampling import Sampler, parse_options

__all__ = ["Loop", "collect", "greedy", "ListSink", "engine_running", "submit"]

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


async def collect(runner: RunnerProcess, req: dict[str, Any]) -> tuple[str, Finished, list[Piece]]:
    """(content, the Finished reply, the pieces) of one completion; `req` holds CompletionRequest's fields."""
    replies = [msg async for msg in runner.completion(CompletionRequest(**req))]
    pieces = [m for m in replies if isinstance(m, Piece)]
    done = replies[-1]
    assert isinstance(done, Finished) and len(pieces) == len(replies) - 1
    return "".join(m.content for m in pieces), done, pieces


def greedy(n: int = 24, **extra: Any) -> dict[str, Any]:
    return {"temperature": 0, "num_predict": n, **extra}


class ListSink:
    """An engine request's reply lines, decoded, as they come."""

    def __init__(self) -> None:
        self.closed = False
        self.lines: list[dict[str, Any]] = []
        self.done = threading.Event()

    def send(self, data: bytes) -> None:
        self.lines.append(json.loads(data))

    def finish(self) -> None:
        self.done.set()

    def content(self) -> list[str]:
        return [m["content"] for m in self.lines if "content" in m]


@contextmanager
def engine_running(model: Model, *, n_ctx: int, parallel: int, flush_interval: float = 0.0, n_batch: int = 64,
                   draft: Model | None = None) -> Iterator[Engine]:
    """An Engine on its own thread (started as the runner starts it; with `draft`, a draft model beside it),
    stopped and freed afterwards."""
    ctx = make_context(model, ContextConfig(n_ctx, parallel, n_batch, 1))
    drafter = Drafter(draft, n_ctx=n_ctx, parallel=parallel, n_batch=n_batch, threads=1) if draft else None
    engine = Engine(model, ctx, n_ctx=n_ctx, parallel=parallel, n_batch=n_batch, flush_interval=flush_interval,
                    drafter=drafter)
    thread = engine.start()
    try:
        yield engine
    finally:
        engine.stop()
        thread.join(10)
        lc.llama_free(ctx)
        if drafter is not None:
            drafter.close()


def submit(engine: Engine, model: Model, prompt: str, n: int) -> ListSink:
    """A greedy completion of `n` tokens."""
    opts = parse_options({"temperature": 0, "num_predict": n})
    sink = ListSink()
    engine.submit(Completion(tokens=model.tokenize(prompt), opts=opts, limit=n, sink=sink,
                             sampler=Sampler(model.vocab, model.n_vocab, opts, engine.n_ctx)))
    return sink
