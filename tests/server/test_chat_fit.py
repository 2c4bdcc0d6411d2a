"""A chat longer than num_ctx drops its oldest non-system messages first (Ollama's chatPrompt)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pollama.inference import prompt as core_prompt


class CharRunner:
    """Tokenizes one token per character."""

    async def tokenize(self, text: str) -> list[int]:
        return [ord(c) for c in text]


def fake_render(_model: Any, messages: list[dict[str, Any]], _tools: Any, _think: Any) -> str:
    return "".join(f"<{m['role']}>{m['content']}" for m in messages)


MESSAGES = [
    {"role": "system", "content": "S" * 10},
    {"role": "user", "content": "first" * 10},
    {"role": "assistant", "content": "reply" * 10},
    {"role": "user", "content": "last"},
]


@pytest.fixture(autouse=True)
def _render(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core_prompt, "render_chat_prompt", fake_render)


def fit(num_ctx: int) -> tuple[str, list[int] | None]:
    prompt, tokens, images = asyncio.run(core_prompt.fit_messages(None, CharRunner(), MESSAGES, None, None, num_ctx))  # type: ignore[arg-type]
    assert images == []
    return prompt, tokens


def test_everything_fits() -> None:
    prompt, tokens = fit(1000)
    assert prompt == fake_render(None, MESSAGES, None, None) and tokens is not None and len(tokens) == len(prompt)


def test_oldest_turns_go_first_and_the_system_prompt_stays() -> None:
    prompt, tokens = fit(90)  # the system prompt, the assistant reply and the last question fit (89 chars)
    assert prompt == "<system>" + "S" * 10 + "<assistant>" + "reply" * 10 + "<user>last"
    assert tokens is not None and len(tokens) <= 90
    prompt, tokens = fit(40)
    assert prompt == "<system>" + "S" * 10 + "<user>last" and tokens is not None


def test_even_the_last_message_too_long_is_left_to_the_runner() -> None:
    prompt, tokens = fit(10)
    assert prompt.endswith("<user>last") and tokens is None  # the runner truncates its front


def test_a_long_history_is_fitted_in_a_few_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    # one render per dropped message made 4096 messages cost minutes of rendering and tokenizing
    renders: list[int] = []

    def counting_render(model: Any, messages: list[dict[str, Any]], tools: Any, think: Any) -> str:
        renders.append(len(messages))
        return fake_render(model, messages, tools, think)

    monkeypatch.setattr(core_prompt, "render_chat_prompt", counting_render)
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i:04d}"} for i in range(4095)]
    history.append({"role": "user", "content": "last"})
    prompt, tokens, _ = asyncio.run(core_prompt.fit_messages(None, CharRunner(), history, None, None, 1000))  # type: ignore[arg-type]
    assert tokens is not None and len(tokens) <= 1000
    kept = prompt.count("<")  # as many of the latest messages as fit, and not one more
    assert prompt == fake_render(None, history[-kept:], None, None)
    assert len(fake_render(None, history[-kept - 1:], None, None)) > 1000
    assert len(renders) <= 16
