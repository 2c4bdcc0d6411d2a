"""The inference core's chat wiring to the runner, with a recording fake runner: thinking + format gets a
grammar that starts after the closing think tag, and the output is split into thinking and content."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fixtures.tiny_gguf import make_tiny_llama

from pollama.api.types import ChatRequest, CreateRequest
from pollama.create import create_model
from pollama.inference import Delta, Event, chat, merge, resolve_model
from pollama.metrics import Metrics
from pollama.runner.protocol import CompletionRequest, Finished, Piece
from pollama.store import Store, parse_name

TEMPLATE = (Path(__file__).parent / "templates" / "qwen3.gotmpl").read_text().rstrip("\n")


class FakeRunner:
    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces
        self.bodies: list[CompletionRequest] = []

    async def tokenize(self, text: str, **_: Any) -> list[int]:
        return list(range(len(text) // 4))

    async def completion(self, body: CompletionRequest) -> AsyncIterator[Piece | Finished]:
        self.bodies.append(body)
        for p in self.pieces:
            yield Piece(p)
        yield Finished(done_reason="stop", prompt_eval_count=3, eval_count=len(self.pieces))


class FakeLoaded:
    def __init__(self, runner: FakeRunner) -> None:
        self.runner = runner
        self.name = parse_name("fake")
        self.key = type("K", (), {"num_ctx": 4096})()


class FakeScheduler:
    def __init__(self, runner: FakeRunner) -> None:
        self.loaded = FakeLoaded(runner)
        self.metrics = Metrics()
        self.cfg = SimpleNamespace(speculative="")

    def keep_alive_of(self, value: Any) -> float:
        return 300.0

    @contextlib.asynccontextmanager
    async def use(self, *args: Any, **kwargs: Any) -> AsyncIterator[tuple[FakeLoaded, float]]:
        yield self.loaded, 0.0


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("wiring")
    tiny = make_tiny_llama(root / "tiny.gguf")
    store = Store(root / "models")

    async def create() -> None:
        req = CreateRequest.model_validate({"model": "qwen3", "from": str(tiny), "template": TEMPLATE}, strict=False)
        async for _ in create_model(store, req):
            pass

    asyncio.run(create())
    return store


def run_chat(store: Store, pieces: list[str], **body: Any) -> tuple[Delta, FakeRunner]:
    runner = FakeRunner(pieces)
    req = ChatRequest.model_validate({"model": "qwen3", "messages": [{"role": "user", "content": "hi"}], **body},
                                     strict=False)

    async def collect() -> list[Event]:
        model = await resolve_model(store, req.model_name)
        return [e async for e in chat(FakeScheduler(runner), model, req)]  # type: ignore[arg-type]

    return merge(asyncio.run(collect()))[0], runner


@pytest.mark.parametrize("cut", [1, 2, 3, 5, 7])
def test_thinking_then_constrained_answer(store: Store, cut: int) -> None:
    text = '<think>I should answer with JSON.</think>\n{"a": 1}'
    pieces = [text[i:i + cut] for i in range(0, len(text), cut)]
    out, runner = run_chat(store, pieces, think=True, format={"type": "object"})
    body = runner.bodies[0]
    assert body.grammar and body.grammar_trigger == "</think>"
    assert out.thinking == "I should answer with JSON."
    assert out.content.strip() == '{"a": 1}'


def test_format_without_thinking_constrains_from_the_start(store: Store) -> None:
    out, runner = run_chat(store, ['{"a"', ": 2}"], think=False, format="json")
    assert runner.bodies[0].grammar and runner.bodies[0].grammar_trigger is None
    assert out.content == '{"a": 2}' and out.thinking == ""


def test_tool_call_split_across_pieces(store: Store) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    text = 'Let me check.<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    pieces = [text[i:i + 3] for i in range(0, len(text), 3)]
    out, _ = run_chat(store, pieces, tools=tools, think=False)
    assert out.content == "Let me check."
    fn = out.tool_calls[0]["function"]
    assert (fn["name"], fn["arguments"]) == ("get_weather", {"city": "Paris"})
