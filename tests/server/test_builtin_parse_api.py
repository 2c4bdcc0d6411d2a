"""Built-in parsers over HTTP, through the server's own streaming path: the app runs in this process with a
scripted runner behind its real scheduler (tests/scripted_runner.py), which streams the ported parser tests'
model outputs (tests/prompt/parsers) in 3-character pieces. /api/chat returns Ollama's message fields,
streamed and not; /v1/chat/completions its tool_calls and reasoning; a format or forced call gets a grammar
that starts where the parser family's thinking ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_thread import AppThread
from model_upload import create_from_gguf
from registry_harness import make_model
from scripted_runner import Script

from pollama.runner.client import RunnerProcess
from tests.prompt.parsers import test_deepseek, test_harmony, test_qwen35
from tests.prompt.parsers.streaming import calls

HI = {"role": "user", "content": "hi"}
# a Go template that shows the tool names the prompt was rendered with
NAMES_TEMPLATE = "{{ range .Tools }}{{ .Function.Name }};{{ end }}{{ range .Messages }}{{ .Content }}{{ end }}"
# a gpt-oss template speaks Harmony (it has <|start|> and <|end|>); this one shows the think level
GPTOSS_TEMPLATE = "{{ range .Messages }}<|start|>{{ .Role }}<|message|>{{ .Content }}<|end|>{{ end }}" \
                  "<|start|>assistant {{ .ThinkLevel }}"


def _case(model: str, name: str, output: str, want: tuple[str, str, list[dict[str, Any]]], *,
          tools: Any = None, think: Any = None, last: Any = None) -> Any:
    return pytest.param(model, output, want, tools, think, last, id=f"{model}:{name}")


def _steps(case: dict[str, Any]) -> tuple[str, tuple[str, str, list[dict[str, Any]]]]:
    steps = case["steps"]
    want = ("".join(s[2] for s in steps), "".join(s[3] for s in steps), calls([c for s in steps for c in s[4]]))
    return "".join(s[0] for s in steps), want


CASES = (
    [_case("qwen35", c["name"], *_steps(c), tools=c.get("tools"), think=c.get("think"), last=c.get("last"))
     for c in test_qwen35.CASES]
    + [_case("harmony", c["name"], c["output"], (c.get("content", ""), c.get("thinking", ""), c.get("calls", [])),
             tools=test_harmony.TOOLS) for c in test_harmony.HANDLER_CASES]
    + [_case("deepseek", c["name"], c["input"],
             (c.get("expected_content", ""), c.get("expected_thinking", ""), calls(c.get("expected_calls"))),
             think=c.get("has_thinking", False)) for c in test_deepseek.PARSE_CASES]
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tiny_llama: Path) -> Iterator[tuple[httpx.Client, Script]]:
    script = Script()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunnerProcess, "start", script.start)
        with AppThread(tmp_path_factory.mktemp("models")) as app, app.client() as http:
            create_from_gguf(http, "qwen35", tiny_llama, renderer="qwen3.5", parser="qwen3.5")
            create_from_gguf(http, "harmony", tiny_llama, parser="harmony", template=NAMES_TEMPLATE)
            create_from_gguf(http, "deepseek", tiny_llama, renderer="deepseek3.1", parser="deepseek3")
            make_model(app.store, "gpt-oss", {"model": tiny_llama.read_bytes(), "template": GPTOSS_TEMPLATE.encode()},
                       family="gptoss")
            yield http, script


def chat_body(model: str, tools: Any, think: Any, last: Any, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [HI, last] if last else [HI], **more}
    if tools is not None:
        body["tools"] = tools
    if think is not None:
        body["think"] = think
    return body


def ndjson(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def merged(lines: list[dict[str, Any]]) -> tuple[str, str, list[dict[str, Any]]]:
    assert lines[-1]["done"] is True and all(not line["done"] for line in lines[:-1])
    messages = [line["message"] for line in lines]
    return ("".join(m["content"] for m in messages), "".join(m.get("thinking", "") for m in messages),
            [c for m in messages for c in m.get("tool_calls", [])])


def fields(model: str, got: tuple[str, str, list[dict[str, Any]]]) -> tuple[str, str, list[dict[str, Any]]]:
    """DeepSeek's cases compare without the whitespace beside a tag, which Ollama trims only when it
    arrives in the same chunk (their own test_..._split does the same)."""
    content, thinking, tool_calls = got
    return (content.strip(), thinking.strip(), tool_calls) if model == "deepseek" else got


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "single"])
@pytest.mark.parametrize("model,output,want,tools,think,last", CASES)
def test_chat_returns_the_parsers_fields(served: tuple[httpx.Client, Script], stream: bool, model: str,
                                         output: str, want: Any, tools: Any, think: Any, last: Any) -> None:
    http, script = served
    script.output = output
    r = http.post("/api/chat", json=chat_body(model, tools, think, last, stream=stream))
    if stream:
        got = merged(ndjson(r))
    else:
        assert r.status_code == 200, r.text
        message = r.json()["message"]
        got = message["content"], message.get("thinking", ""), message.get("tool_calls", [])
    assert fields(model, got) == fields(model, want)


def test_harmony_renders_with_its_own_tool_names_and_maps_calls_back(served: tuple[httpx.Client, Script]) -> None:
    http, script = served
    body = chat_body("harmony", test_harmony.TOOLS, None, None, stream=False)
    r = http.post("/api/chat", json={**body, "_debug_render_only": True})
    assert r.json()["_debug_info"]["rendered_template"] == "get_weather;hi"
    script.output = test_harmony.HANDLER_CASES[3]["output"]  # a call to functions.get_weather
    http.post("/api/chat", json=body).raise_for_status()
    assert script.prompt() == "get_weather;hi"


def test_openai_chat_returns_tool_calls_and_reasoning(served: tuple[httpx.Client, Script]) -> None:
    http, script = served
    script.output = test_harmony.HANDLER_CASES[3]["output"]
    body = {"model": "harmony", "messages": [HI], "tools": test_harmony.TOOLS}
    r = http.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["reasoning"] == "Need weather."
    [call] = choice["message"]["tool_calls"]
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == ("get weather",
                                                                                      {"location": "Paris"})
    r = http.post("/v1/chat/completions", json={**body, "stream": True})
    chunks = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert "".join(d.get("reasoning", "") for d in deltas) == "Need weather."
    assert [c["function"]["name"] for d in deltas for c in d.get("tool_calls", [])] == ["get weather"]


def test_generate_splits_thinking_from_the_response(served: tuple[httpx.Client, Script]) -> None:
    http, script = served
    script.output = "Let me think...</think>Answer."
    r = http.post("/api/generate", json={"model": "qwen35", "prompt": "hi", "stream": False})
    assert r.status_code == 200, r.text
    assert (r.json()["thinking"], r.json()["response"]) == ("Let me think...", "Answer.")


def test_a_parse_error_ends_the_answer_with_an_error(served: tuple[httpx.Client, Script]) -> None:
    """Ollama's test_harmony_handler_bad_tool_arguments_end_with_an_error, over HTTP: in the stream once it
    has begun, else a 500."""
    http, script = served
    script.output = "<|channel|>analysis<|message|>Hmm.<|end|><|start|>assistant<|channel|>commentary " \
                    "to=functions.get_weather<|message|>{not json"
    body = chat_body("harmony", test_harmony.TOOLS, None, None)
    lines = ndjson(http.post("/api/chat", json=body))
    assert "".join(line["message"].get("thinking", "") for line in lines[:-1]) == "Hmm."
    assert not any(line["done"] for line in lines[:-1]) and "done" not in lines[-1]
    assert lines[-1]["error"].startswith("error parsing tool call: raw='{not json', err=")
    r = http.post("/api/chat", json={**body, "stream": False})
    assert r.status_code == 500 and r.json()["error"].startswith("error parsing tool call: raw='{not json'")


@pytest.mark.parametrize("model,think,trigger", [
    ("qwen35", None, "</think>"), ("qwen35", False, None), ("deepseek", True, "</think>"),
    ("harmony", None, "<|channel|>final<|message|>"), ("harmony", False, "<|channel|>final<|message|>"),
])
def test_a_format_grammar_starts_where_the_thinking_ends(served: tuple[httpx.Client, Script], model: str,
                                                        think: Any, trigger: str | None) -> None:
    http, script = served
    script.output = ""
    r = http.post("/api/chat", json=chat_body(model, None, think, None, stream=False, format="json"))
    assert r.status_code == 200, r.text
    request = script.requests[-1]
    assert request.grammar and request.grammar_trigger == trigger


def test_a_forced_tool_call_after_thinking(served: tuple[httpx.Client, Script]) -> None:
    http, script = served
    script.output = 'Need the weather.</think>{"name": "get_weather", "arguments": {"location": "SF"}}'
    r = http.post("/v1/chat/completions", json={"model": "qwen35", "messages": [HI], "tools": test_qwen35.WEATHER,
                                                "tool_choice": "required"})
    assert r.status_code == 200, r.text
    assert script.requests[-1].grammar and script.requests[-1].grammar_trigger == "</think>"
    message = r.json()["choices"][0]["message"]
    assert message["reasoning"] == "Need the weather." and message["content"] == ""
    [call] = message["tool_calls"]
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == ("get_weather", {"location": "SF"})


def test_a_gpt_oss_model_gets_harmony(served: tuple[httpx.Client, Script]) -> None:
    """No PARSER: its family and Harmony template choose the harmony parser (Ollama's shouldUseHarmony), and
    a think level of "max" is "high" for it."""
    http, script = served
    assert "thinking" in http.post("/api/show", json={"model": "gpt-oss"}).json()["capabilities"]
    r = http.post("/api/chat", json={"model": "gpt-oss", "messages": [HI], "think": "max", "_debug_render_only": True})
    assert r.json()["_debug_info"]["rendered_template"] == "<|start|>user<|message|>hi<|end|><|start|>assistant high"
    case = test_harmony.HANDLER_CASES[0]  # thinking then final
    script.output = case["output"]
    lines = ndjson(http.post("/api/chat", json={"model": "gpt-oss", "messages": [HI], "think": "max"}))
    assert merged(lines) == (case["content"], case["thinking"], [])
    assert script.prompt().endswith("<|start|>assistant high")
    r = http.post("/api/generate", json={"model": "gpt-oss", "prompt": "hi", "stream": False})
    assert (r.json()["thinking"], r.json()["response"]) == (case["thinking"], case["content"])


def test_generate_sends_the_renderers_bos_as_written(served: tuple[httpx.Client, Script]) -> None:
    """DeepSeek's renderer writes its BOS: the prompt goes as tokens (the runner adds another to a text)."""
    http, script = served
    script.output = "Hello."
    r = http.post("/api/generate", json={"model": "deepseek", "prompt": "hi", "think": False, "stream": False})
    assert (r.status_code, r.json()["response"]) == (200, "Hello."), r.text
    assert script.requests[-1].tokens is not None
    assert script.prompt() == "<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜></think>"


def test_anthropic_messages_return_thinking_and_tool_use(served: tuple[httpx.Client, Script]) -> None:
    http, script = served
    script.output = test_harmony.HANDLER_CASES[3]["output"]  # thinks, then calls functions.get_weather
    fn = test_harmony.TOOLS[0]["function"]
    r = http.post("/v1/messages", json={"model": "harmony", "max_tokens": 64, "messages": [HI],
                                        "tools": [{"name": fn["name"], "input_schema": fn["parameters"]}]})
    assert r.status_code == 200, r.text
    blocks = r.json()["content"]
    assert [b["type"] for b in blocks] == ["thinking", "tool_use"] and blocks[0]["thinking"] == "Need weather."
    assert (blocks[1]["name"], blocks[1]["input"]) == ("get weather", {"location": "Paris"})
    assert r.json()["stop_reason"] == "tool_use"
