"""POST /v1/responses through the official `openai` client, and GET /api/status.

The app runs in this process with a scripted runner behind its real scheduler (tests/scripted_runner.py), so
a model "says" exactly what a test needs: text, thinking, a tool call (qwen3.5's renderer and parser), a
broken tool call (harmony). The prompts the Responses requests produce are checked against /api/chat's
rendering of the messages Ollama's conversion makes of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from app_thread import AppThread
from fastapi.testclient import TestClient
from model_upload import create_from_gguf
from pydantic import BaseModel
from scripted_runner import Script

from pollama.config import settings
from pollama.runner.client import RunnerProcess
from pollama.server.app import create_app
from pollama.server.responses import responses_request
from tests.prompt.parsers.test_qwen35 import SF_TOOL_CALL

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather in a place",
           "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}
CHAT_WEATHER = {"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}}
TEXT_EVENTS = ["response.output_item.added", "response.content_part.added", "response.output_text.delta",
               "response.output_text.done", "response.content_part.done", "response.output_item.done"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, tiny_llama: Path) -> Iterator[tuple[httpx.Client, Script, str]]:
    script = Script()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunnerProcess, "start", script.start)
        with AppThread(tmp_path_factory.mktemp("models")) as app, app.client() as http:
            create_from_gguf(http, "tiny", tiny_llama)
            create_from_gguf(http, "qwen35", tiny_llama, renderer="qwen3.5", parser="qwen3.5")
            create_from_gguf(http, "harmony", tiny_llama, parser="harmony")
            yield http, script, app.url


@pytest.fixture()
def client(served: tuple[httpx.Client, Script, str]) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=served[2] + "/v1", api_key="x", max_retries=0, timeout=60) as c:
        yield c


def rendered(http: httpx.Client, model: str, messages: list[dict[str, Any]], **more: Any) -> str:
    """What /api/chat renders for these messages."""
    r = http.post("/api/chat", json={"model": model, "messages": messages, "_debug_render_only": True, **more})
    assert r.status_code == 200, r.text
    return str(r.json()["_debug_info"]["rendered_template"])


def items(output: list[Any]) -> list[dict[str, Any]]:
    """A response's output items, as a client sends them back as input."""
    return [item.model_dump(exclude_none=True) for item in output]


# ---- text ----------------------------------------------------------------------------------------
def test_text_input_with_instructions(served: tuple[httpx.Client, Script, str], client: openai.OpenAI) -> None:
    http, script, _ = served
    script.output = "Hello there"
    r = client.responses.create(model="tiny", input="hi", instructions="Be brief", temperature=0.5, top_p=0.9,
                                max_output_tokens=7)
    assert (r.object, r.status, r.model, r.id[:5]) == ("response", "completed", "tiny", "resp_")
    [message] = r.output
    assert (message.type, message.role, message.status) == ("message", "assistant", "completed")
    assert [(c.type, c.text) for c in message.content] == [("output_text", "Hello there")]
    assert r.output_text == "Hello there"
    assert (r.instructions, r.temperature, r.top_p, r.max_output_tokens) == ("Be brief", 0.5, 0.9, 7)
    sent = script.requests[-1]
    assert script.prompt() == rendered(http, "tiny", [{"role": "system", "content": "Be brief"},
                                                      {"role": "user", "content": "hi"}])
    assert (sent.options["temperature"], sent.options["top_p"], sent.options["num_predict"]) == (0.5, 0.9, 7)
    assert (r.usage.input_tokens, r.usage.output_tokens) == (len(sent.tokens or []), len(script.pieces()))
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens


def test_message_items_become_the_chat(served: tuple[httpx.Client, Script, str], client: openai.OpenAI) -> None:
    http, script, _ = served
    script.output = "ok"
    client.responses.create(model="tiny", input=[
        {"role": "developer", "content": "Be brief"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Say "},
                                                        {"type": "input_text", "text": "hi"}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi!"}]},
        {"role": "user", "content": "again"}])
    assert script.prompt() == rendered(http, "tiny", [
        {"role": "system", "content": "Be brief"}, {"role": "user", "content": "Say hi"},
        {"role": "assistant", "content": "Hi!"}, {"role": "user", "content": "again"}])
    assert script.requests[-1].options["temperature"] == 1.0  # OpenAI's default, as Ollama sets it


def test_stream_events_in_order(served: tuple[httpx.Client, Script, str], client: openai.OpenAI) -> None:
    _, script, _ = served
    script.output = "Hello there"  # four pieces
    events = list(client.responses.create(model="tiny", input="hi", stream=True))
    kinds = [e.type for e in events]
    assert kinds == ["response.created", "response.in_progress", *TEXT_EVENTS[:2],
                     *["response.output_text.delta"] * 4, *TEXT_EVENTS[3:], "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert {e.response.id for e in events if hasattr(e, "response")} == {events[0].response.id}
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "Hello there"
    done = events[-1].response
    assert (done.status, done.output_text, done.usage.output_tokens) == ("completed", "Hello there", 4)
    assert done.output[0].id == events[2].item.id == events[-2].item.id
    with client.responses.stream(model="tiny", input="hi") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        assert text == stream.get_final_response().output_text == "Hello there"


# ---- tools ---------------------------------------------------------------------------------------
def test_function_call_round_trip(served: tuple[httpx.Client, Script, str], client: openai.OpenAI) -> None:
    http, script, _ = served
    script.output = "Need weather.</think>" + SF_TOOL_CALL
    r = client.responses.create(model="qwen35", input="Weather in SF?", tools=[WEATHER])
    reasoning, call = r.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text == "Need weather."
    assert (call.type, call.name, json.loads(call.arguments), call.status) == (
        "function_call", "get_weather", {"location": "SF"}, "completed")
    assert r.tools[0].name == "get_weather" and r.output_text == ""
    script.output = "Checked.</think>Sunny in SF."
    answer = client.responses.create(model="qwen35", tools=[WEATHER], input=[
        {"role": "user", "content": "Weather in SF?"}, *items(r.output),
        {"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21C"}])
    assert answer.output_text == "Sunny in SF."
    assert script.prompt() == rendered(http, "qwen35", [
        {"role": "user", "content": "Weather in SF?"},
        {"role": "assistant", "content": "", "thinking": "Need weather.", "tool_calls": [
            {"id": call.call_id, "function": {"name": "get_weather", "arguments": {"location": "SF"}}}]},
        {"role": "tool", "content": "sunny, 21C", "tool_call_id": call.call_id, "tool_name": "get_weather"}],
        tools=[CHAT_WEATHER])


def test_function_call_stream(served: tuple[httpx.Client, Script, str], client: openai.OpenAI) -> None:
    _, script, _ = served
    script.output = "Need weather.</think>" + SF_TOOL_CALL
    events = list(client.responses.create(model="qwen35", input="Weather in SF?", tools=[WEATHER], stream=True))
    kinds = [e.type for i, e in enumerate(events) if i == 0 or e.type != events[i - 1].type]
    assert kinds == ["response.created", "response.in_progress", "response.output_item.added",
                     "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
                     "response.output_item.done", "response.output_item.added",
                     "response.function_call_arguments.delta", "response.function_call_arguments.done",
                     "response.output_item.done", "response.completed"]
    added = [e for e in events if e.type == "response.output_item.added"]
    assert [(e.output_index, e.item.type) for e in added] == [(0, "reasoning"), (1, "function_call")]
    args = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(args.arguments) == {"location": "SF"} and args.output_index == 1
    final = events[-1].response
    assert [item.type for item in final.output] == ["reasoning", "function_call"]
    assert final.output[1].call_id == added[1].item.call_id


def test_tool_choice_forces_a_call(served: tuple[httpx.Client, Script, str], client: openai.OpenAI) -> None:
    _, script, _ = served
    script.output = 'Plan.</think>{"name": "get_weather", "arguments": {"location": "Oslo"}}'
    r = client.responses.create(model="qwen35", input="hi", tools=[WEATHER], tool_choice="required")
    assert script.requests[-1].grammar and r.tool_choice == "required"
    assert json.loads(r.output[-1].arguments) == {"location": "Oslo"}


# ---- thinking and formats ------------------------------------------------------------------------
def test_reasoning_item_and_effort(served: tuple[httpx.Client, Script, str], client: openai.OpenAI) -> None:
    http, script, _ = served
    script.output = "Let me think...</think>Answer."
    r = client.responses.create(model="qwen35", input="hi", reasoning={"effort": "high"})
    reasoning, message = r.output
    assert [s.text for s in reasoning.summary] == ["Let me think..."] and reasoning.encrypted_content
    assert message.content[0].text == r.output_text == "Answer." and r.reasoning.effort == "high"
    assert script.prompt() == rendered(http, "qwen35", [{"role": "user", "content": "hi"}], think="high")
    script.output = "Answer."
    r = client.responses.create(model="qwen35", input="hi", reasoning={"effort": "none"})
    assert [item.type for item in r.output] == ["message"] and r.output_text == "Answer."
    assert script.prompt() == rendered(http, "qwen35", [{"role": "user", "content": "hi"}], think=False)


def test_json_schema_text_format(served: tuple[httpx.Client, Script, str], client: openai.OpenAI) -> None:
    class Person(BaseModel):
        name: str
        age: int

    _, script, _ = served
    script.output = '{"name": "Ann", "age": 7}'
    r = client.responses.parse(model="tiny", input="Who?", text_format=Person)
    assert r.output_parsed == Person(name="Ann", age=7)
    assert script.requests[-1].grammar and r.text.format.type == "json_schema"
    client.responses.create(model="tiny", input="Who?", text={"format": {"type": "json_object"}})
    assert script.requests[-1].grammar


# ---- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("body,status,message", [
    ({"input": "hi"}, 400, "model is required"),
    ({"model": "tiny", "input": [{"type": "bogus"}]}, 400, 'input[0]: unknown input item type: "bogus"'),
    ({"model": "tiny", "input": [{"content": "x"}]}, 400, "input[0]: input item missing required 'type' field"),
    ({"model": "tiny", "input": [{"role": "user", "content": [{"type": "input_audio"}]}]}, 400,
     "input[0]: content[0]: unknown content type: input_audio"),
    ({"model": "tiny", "input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]}, 400,
     "file inputs are not currently supported"),
    ({"model": "tiny", "input": 5}, 400, "input must be a string or array"),
    ({"model": "tiny", "input": "hi", "reasoning": {"effort": "extreme"}}, 400, 'invalid reasoning value: "extreme"'),
    ({"model": "tiny", "input": "hi", "previous_response_id": "resp_1"}, 400, "previous_response_id is not supported"),
    ({"model": "tiny", "input": "hi", "tools": [{"type": "web_search"}]}, 400, "the web_search tool is not supported"),
    ({"model": "tiny", "input": "hi", "text": {"format": {"type": "json_schema"}}}, 400, "invalid text.format"),
    ({"model": "tiny", "input": "hi", "reasoning": {"effort": "low"}}, 400, '"tiny" does not support thinking'),
    ({"model": "tiny", "input": "hi", "tools": [WEATHER]}, 400, '"tiny" does not support tools'),
    ({"model": "nope", "input": "hi"}, 404, "model 'nope' not found"),
])
def test_errors_in_openai_shape(served: tuple[httpx.Client, Script, str], body: dict[str, Any], status: int,
                                message: str) -> None:
    http, script, _ = served
    before = len(script.requests)
    for stream in (False, True):
        r = http.post("/v1/responses", json={**body, "stream": stream})
        assert r.status_code == status, r.text
        error = r.json()["error"]
        assert error["message"].startswith(message), error
        assert error["type"] == ("not_found_error" if status == 404 else "invalid_request_error")
    assert len(script.requests) == before  # nothing ran


def test_the_client_raises_them(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        client.responses.create(model="nope", input="hi")
    assert e.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError, match="unknown input item type"):
        client.responses.create(model="tiny", input=[{"type": "bogus"}])  # type: ignore[list-item]


def test_an_error_mid_stream_is_response_failed(served: tuple[httpx.Client, Script, str],
                                               client: openai.OpenAI) -> None:
    http, script, _ = served
    script.output = "<|channel|>analysis<|message|>Hmm.<|end|><|start|>assistant<|channel|>commentary " \
                    "to=functions.get_weather<|message|>{not json"
    body = {"model": "harmony", "input": "hi", "tools": [{**WEATHER, "name": "get weather"}]}
    events = list(client.responses.create(**body, stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.failed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    failed = events[-1].response
    assert failed.status == "failed" and failed.error.message.startswith("error parsing tool call: raw='{not json'")
    r = http.post("/v1/responses", json=body)
    assert r.status_code == 500 and r.json()["error"]["message"].startswith("error parsing tool call")


# ---- the request conversion on its own -----------------------------------------------------------
def test_replayed_reasoning_and_calls_merge_as_in_ollama() -> None:
    """Ollama's TestFromResponsesRequest_ReasoningMerge and ...MergesMessageAfterFunctionCall cases."""
    req, _, _ = responses_request({"model": "m", "input": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"type": "reasoning", "id": "rs_1", "encrypted_content": "Call the API.", "summary": []},
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"city":"Paris"}'},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
        {"type": "function_call_output", "call_id": "c1", "output": [{"type": "input_text", "text": "Sunny"}]},
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Format it."}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Sunny!"}]},
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        {"type": "reasoning", "encrypted_content": "Still thinking"}]})
    got = [m.model_dump(exclude_none=True) for m in req.messages]
    assert got == [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": "Checking.", "thinking": "Call the API.", "tool_calls": [
            {"id": "c1", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "Sunny", "tool_call_id": "c1", "tool_name": "get_weather"},
        {"role": "assistant", "content": "Sunny!", "thinking": "Format it."},
        {"role": "assistant", "content": "", "thinking": "Still thinking"}]


@pytest.mark.parametrize("effort,think", [("none", False), ("minimal", "low"), ("low", "low"),
                                          ("medium", "medium"), ("high", "high"), ("xhigh", "max"),
                                          ("ultra", "max"), ("max", "max"), ("", None)])
def test_reasoning_effort_as_ollama_maps_it(effort: str, think: Any) -> None:
    req, _, _ = responses_request({"model": "m", "input": "x", "reasoning": {"effort": effort}})
    assert req.think == think


def test_namespace_tools_and_options() -> None:
    req, mode, name = responses_request({
        "model": "m", "input": "x", "max_output_tokens": 9, "tool_choice": {"type": "function", "name": "fs.read"},
        "tools": [{"type": "namespace", "name": "fs", "tools": [{"type": "function", "name": "read"}]}]})
    assert [t.function["name"] for t in req.tools or []] == ["fs.read"]
    assert (mode, name) == ("named", "fs.read")
    assert req.options == {"temperature": 1.0, "num_predict": 9}


# ---- GET /api/status -----------------------------------------------------------------------------
@pytest.mark.parametrize("env,config,source", [
    ("", None, "none"), ("1", None, "env"), ("false", None, "none"),
    ("yes please", None, "env"),  # Go's ParseBool cannot read it: Ollama counts it as set
    ("", {"disable_ollama_cloud": True}, "config"), ("true", {"disable_ollama_cloud": True}, "both"),
    ("", {"disable_ollama_cloud": False}, "none"), ("", "{not json", "none"),
])
def test_status_reports_the_cloud_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str,
                                          config: Any, source: str) -> None:
    """Cloud is always disabled here (pollama runs no cloud models); `source` names the settings that
    disable it as well, as Ollama names them."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OLLAMA_NO_CLOUD", env)
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "models"))
    if config is not None:
        (tmp_path / ".ollama").mkdir()
        (tmp_path / ".ollama" / "server.json").write_text(config if isinstance(config, str) else json.dumps(config))
    with TestClient(create_app(settings()), base_url="http://127.0.0.1") as http:
        r = http.get("/api/status")
    assert r.status_code == 200 and r.json() == {"cloud": {"disabled": True, "source": source}}


def test_status_on_a_real_server(server_factory: Any, tmp_path: Path) -> None:
    (tmp_path / "home" / ".ollama").mkdir(parents=True)
    (tmp_path / "home" / ".ollama" / "server.json").write_text('{"disable_ollama_cloud": true}')
    srv = server_factory({"HOME": str(tmp_path / "home"), "OLLAMA_NO_CLOUD": "1"})
    with srv.client() as http:
        assert http.get("/api/status").json() == {"cloud": {"disabled": True, "source": "both"}}
        spec = http.get("/openapi.json").json()
    assert "/api/status" in spec["paths"] and "/v1/responses" in spec["paths"]
