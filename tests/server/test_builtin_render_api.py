"""Built-in renderers over HTTP: `_debug_render_only` on /api/chat and /api/generate returns exactly the prompt
Ollama's renderer tests expect, for models created FROM a tiny GGUF with `RENDERER x`.

The cases are the ported unit tests' own (tests/prompt/renderers). A case's think value reaches the renderer
as the request's `think`; an unset one only on a model without a thinking parser (a thinking model's unset
think is true), and tools only on a model whose parser takes tools, so each renderer is created twice: with
its thinking parser, and with a parser that takes tools but does not think.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from model_upload import create_from_gguf
from server_proc import Server

from tests.prompt.renderers import (
    test_cohere,
    test_deepseek,
    test_gemma4,
    test_lfm2,
    test_olmo3,
    test_qwen3coder,
)

# renderer -> (the thinking parser its models use, a parser with tools but no thinking or None): a model with
# the first serves the cases that think, one with the second those that do not (nor is it told to)
FAMILIES = {"deepseek3.1": ("deepseek3", "deepseek3"), "qwen3-coder": (None, "qwen3-coder"),
            "olmo3": (None, "olmo3"), "olmo3-think": ("olmo3-think", "olmo3"), "lfm2": (None, "lfm2"),
            "lfm2-thinking": ("lfm2-thinking", "lfm2"), "gemma4": ("gemma4", "gemma4-no-thinking"),
            "cohere": ("cohere", None), "qwen3.5": ("qwen3.5", "qwen3-coder")}


def _model(renderer: str, think: Any) -> str:
    thinking = think is not None and think is not False
    return ("think-" if thinking else "plain-") + renderer.replace(".", "-")


def _case(renderer: str, name: str, messages: list[dict[str, Any]], tools: Any, think: Any,
          expected: str) -> Any:
    return pytest.param(renderer, messages, tools, think, expected, id=f"{renderer}:{name}")


def _sendable(case: Any) -> bool:
    """A case with no messages is no chat over HTTP: the API loads the model instead (Ollama's too)."""
    return bool(case.values[1])


CASES = [case for case in (
    [_case("deepseek3.1", c["name"], c["messages"], c.get("tools"), c["think_value"], c["expected"])
     for c in test_deepseek.RENDER_CASES]
    + [_case("qwen3-coder", c["name"], c["msgs"], c.get("tools"), None, c["expected"])
       for c in test_qwen3coder.RENDER_CASES]
    + [_case("olmo3", c["name"], c["msgs"], c.get("tools"), None, c["expected"]) for c in test_olmo3.RENDER_CASES]
    + [_case(c["variant"], c["name"], c["msgs"], c.get("tools"), None, c["expected"])
       for c in test_olmo3.THINK_RENDER_CASES if c["variant"] == "olmo3-think"]
    + [_case("lfm2-thinking" if thinking else "lfm2", name, messages, tools, think, expected)
       for name, thinking, messages, tools, think, expected in test_lfm2.PARITY]
    + [_case("gemma4", c["name"], c["messages"], c.get("tools"), c.get("think"), c["expected"])
       for c in test_gemma4.REFERENCE_CASES]
    + [_case("cohere", "user_only", [{"role": "user", "content": "USERMSG"}], None, None,
             test_cohere.SYSTEM_TURN_NO_TOOLS
             + "<|START_OF_TURN_TOKEN|><|USER_TOKEN|><|START_TEXT|>USERMSG<|END_TEXT|><|END_OF_TURN_TOKEN|>"
             + "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|><|START_THINKING|>")]
) if _sendable(case)]


@pytest.fixture(scope="module")
def http(module_server, tiny_llama: Path) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    s: Server = module_server(None, {})
    with s.client() as c:
        for renderer, (thinking, plain) in FAMILIES.items():
            create_from_gguf(c, _model(renderer, None), tiny_llama, renderer=renderer,
                             **({"parser": plain} if plain else {}))
            if thinking:
                create_from_gguf(c, _model(renderer, True), tiny_llama, renderer=renderer, parser=thinking)
        for name in ("gemma4:e4b", "gemma4:31b"):
            create_from_gguf(c, name, tiny_llama, renderer="gemma4")
        create_from_gguf(c, "qwen3.8", tiny_llama, renderer="qwen3.8")
        yield c


def rendered(http: httpx.Client, path: str, body: dict[str, Any]) -> str:
    r = http.post(path, json={**body, "_debug_render_only": True, "stream": False})
    assert r.status_code == 200, r.text
    return str(r.json()["_debug_info"]["rendered_template"])


def chat(http: httpx.Client, model: str, messages: list[dict[str, Any]], tools: Any = None,
         think: Any = None) -> str:
    body: dict[str, Any] = {"model": model, "messages": messages}
    if tools is not None:
        body["tools"] = tools
    if think is not None:
        body["think"] = think
    return rendered(http, "/api/chat", body)


@pytest.mark.parametrize("renderer,messages,tools,think,expected", CASES)
def test_chat_renders_as_ollama(http: httpx.Client, renderer: str, messages: list[dict[str, Any]], tools: Any,
                                think: Any, expected: str) -> None:
    assert chat(http, _model(renderer, think), messages, tools, think) == expected


def test_generate_renders_its_prompt_as_a_user_message(http: httpx.Client) -> None:
    case = test_deepseek.RENDER_CASES[0]  # "basic user message", think false
    body = {"model": _model("deepseek3.1", False), "prompt": case["messages"][0]["content"], "think": False}
    assert rendered(http, "/api/generate", body) == case["expected"]
    with_system = test_deepseek.RENDER_CASES[1]  # the request's system prompt comes first
    body = {**body, "system": with_system["messages"][0]["content"]}
    assert rendered(http, "/api/generate", body) == with_system["expected"]


def test_a_thinking_model_thinks_unless_told_not_to(http: httpx.Client) -> None:
    hello = [{"role": "user", "content": "hello"}]
    opened = "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n<think>\n"
    assert chat(http, _model("qwen3.5", True), hello) == opened  # unset think is true for a thinking model
    assert chat(http, _model("qwen3.5", True), hello, think=False).endswith(
        "<|im_start|>assistant\n<think>\n\n</think>\n\n")  # Ollama's test_no_think_prefill


@pytest.mark.parametrize("model,expected", [
    ("plain-gemma4", "<bos><|turn>user\nHello<turn|>\n<|turn>model\n"),
    ("gemma4:e4b", "<bos><|turn>user\nHello<turn|>\n<|turn>model\n"),
    ("gemma4:31b", "<bos><|turn>user\nHello<turn|>\n<|turn>model\n<|channel>thought\n<channel|>"),
])
def test_gemma4s_legacy_name_resolves_by_size(http: httpx.Client, model: str, expected: str) -> None:
    """Ollama's test_variants_generation_prompt: gemma4-small, unless the name says 12b/26b/31b."""
    assert chat(http, model, [{"role": "user", "content": "Hello"}]) == expected


@pytest.mark.parametrize("debug", [True, False])
def test_a_render_error_is_a_400(http: httpx.Client, debug: bool) -> None:
    r = http.post("/api/chat", json={"model": "qwen3.8", "stream": False, "_debug_render_only": debug,
                                     "messages": [{"role": "system", "content": "only a system prompt"}]})
    assert (r.status_code, r.json()) == (400, {"error": "no user query found in messages"})
