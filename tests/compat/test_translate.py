"""The OpenAI / Anthropic translation layer on its own: requests in, Ollama chunks out, no model needed."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pollama.api.errors import APIError, BadRequest, ModelNotFound
from pollama.inference import Delta, Done, Metrics
from pollama.server import anthropic as an
from pollama.server import openai as oa
from pollama.server.streaming import respond
from pollama.server.tool_choice import call_grammar, close_partial_json, parse_forced_call

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                   "required": ["city"]}}}


def chunk(content: str = "", thinking: str = "", calls: list | None = None, logprobs: list | None = None) -> Delta:
    return Delta(content, thinking, calls or [], logprobs)


def done(reason: str = "stop", prompt: int = 7, output: int = 3, stop_sequence: str | None = None) -> Done:
    return Done(reason, stop_sequence, Metrics(prompt_eval_count=prompt, eval_count=output))


# ---- OpenAI requests -----------------------------------------------------------------------------
def test_chat_request_maps_messages_options_and_format() -> None:
    body = {
        "model": "m", "temperature": 0.2, "top_p": 0.9, "max_completion_tokens": 12, "stop": "END", "seed": 4,
        "frequency_penalty": 0.5, "presence_penalty": 0.25, "reasoning_effort": "low",
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        "messages": [
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "what is"},
                                         {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                                         {"type": "text", "text": "this?"}]},
            {"role": "assistant", "content": None, "reasoning": "hmm",
             "tool_calls": [{"id": "call_1", "type": "function",
                             "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
    }
    req, mode, name = oa.chat_request(body)
    assert (mode, name) == ("auto", None)
    assert req.options == {"temperature": 0.2, "top_p": 0.9, "num_predict": 12, "stop": ["END"], "seed": 4,
                           "frequency_penalty": 0.5, "presence_penalty": 0.25}
    assert req.format == {"type": "object"} and req.think == "low" and req.stream is False
    roles = [m.role for m in req.messages]
    assert roles == ["system", "user", "assistant", "tool"]
    assert req.messages[1].content == "what is\nthis?" and req.messages[1].images == [PNG]
    call = req.messages[2].tool_calls[0]
    assert call.function.name == "get_weather" and call.function.arguments == {"city": "Paris"}
    assert req.messages[2].thinking == "hmm"
    assert req.messages[3].tool_name == "get_weather" and req.messages[3].tool_call_id == "call_1"


def test_chat_request_defaults_and_choices() -> None:
    req, mode, _ = oa.chat_request({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                                    "max_tokens": 5, "stop": ["a", "b"], "response_format": {"type": "json_object"},
                                    "reasoning_effort": "none", "tool_choice": "required", "tools": [WEATHER]})
    assert req.options == {"temperature": 1.0, "top_p": 1.0, "num_predict": 5, "stop": ["a", "b"]}
    assert req.format == "json" and req.think is False and mode == "required"
    assert req.tools and req.tools[0].function["name"] == "get_weather"
    _, mode, name = oa.chat_request({"model": "m", "messages": [{"role": "user", "content": "x"}],
                                     "tool_choice": {"type": "function", "function": {"name": "f"}}})
    assert (mode, name) == ("named", "f")
    assert oa.chat_request({"model": "m", "messages": [{"role": "user", "content": "x"}],
                            "tool_choice": "none"})[1] == "none"
    both, _, _ = oa.chat_request({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 50,
                                  "max_completion_tokens": 7, "reasoning": {"effort": "high"}})
    assert both.options["num_predict"] == 7 and both.think == "high"  # the newer field wins


@pytest.mark.parametrize("body, needle", [
    ({"model": "m", "messages": []}, "too short"),
    ({"model": "m"}, "too short"),
    ({"messages": [{"role": "user", "content": "x"}]}, "model is required"),
    ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "content type"),
    ({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url",
                                                                "image_url": {"url": "http://x/y.png"}}]}]},
     "image URLs are not currently supported"),
    ({"model": "m", "messages": [{"role": "assistant", "tool_calls": [
        {"id": "c", "function": {"name": "f", "arguments": "{not json"}}]}]}, "invalid tool call arguments"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": [1]}, "stop"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}, "temperature"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "extreme"}, "reasoning"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "yaml"}},
     "response_format"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": "sometimes"}, "tool_choice"),
    ({"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 2}, "n=1"),
])
def test_chat_request_rejects(body: dict, needle: str) -> None:
    with pytest.raises(BadRequest) as e:
        oa.chat_request(body)
    assert needle in e.value.message


def test_completion_request() -> None:
    req = oa.completion_request({"model": "m", "prompt": ["once"], "suffix": "end", "max_tokens": 3,
                                 "stop": "x", "stream": True})
    assert req.prompt == "once" and req.suffix == "end" and req.stream is True
    assert req.options == {"temperature": 1.0, "top_p": 1.0, "num_predict": 3, "stop": ["x"]}
    with pytest.raises(BadRequest):
        oa.completion_request({"model": "m", "prompt": [1, 2, 3]})
    for extra in ({"n": 3}, {"best_of": 2}, {"n": True}):
        with pytest.raises(BadRequest, match="=1 is supported"):
            oa.completion_request({"model": "m", "prompt": "x", **extra})
    assert oa.completion_request({"model": "m", "prompt": "x", "n": 1, "best_of": 1}).prompt == "x"


def test_embedding_inputs() -> None:
    assert oa.embedding_inputs("a") == ["a"]
    assert oa.embedding_inputs(["a", "b"]) == ["a", "b"]
    assert oa.embedding_inputs([1, 2]) == [[1, 2]]
    assert oa.embedding_inputs([[1], [2, 3]]) == [[1], [2, 3]]
    for bad in ([], None, [1, "a"], [[]], [True], {"a": 1}):
        with pytest.raises(BadRequest):
            oa.embedding_inputs(bad)


def test_openai_error_shape() -> None:
    assert oa.openai_error(BadRequest("nope")) == {
        "error": {"message": "nope", "type": "invalid_request_error", "param": None, "code": None}}
    err = oa.openai_error(ModelNotFound("x"))["error"]
    assert err["type"] == "not_found_error" and err["code"] == "model_not_found"
    assert oa.openai_error(APIError("boom"))["error"]["type"] == "api_error"


# ---- OpenAI responses ----------------------------------------------------------------------------
def test_chat_completion_object() -> None:
    call = {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    out = oa.chat_completion("m", [chunk("Hel", "think"), chunk("lo"), chunk(calls=[call]), done("stop")])
    assert out["object"] == "chat.completion" and out["id"].startswith("chatcmpl-")
    assert out["id"].removeprefix("chatcmpl-").isdigit() and out["system_fingerprint"] == "fp_ollama"
    choice = out["choices"][0]
    assert choice["message"]["content"] == "Hello" and choice["message"]["reasoning"] == "think"
    assert choice["finish_reason"] == "tool_calls"
    tc = choice["message"]["tool_calls"][0]
    assert tc["type"] == "function" and tc["id"].startswith("call_") and tc["index"] == 0
    assert json.loads(tc["function"]["arguments"]) == {"city": "Paris"}
    assert out["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    assert oa.chat_completion("m", [chunk("x"), done("length")])["choices"][0]["finish_reason"] == "length"


def test_chat_chunks_stream_with_usage() -> None:
    conv = oa.ChatChunks("m", include_usage=True)
    call = {"id": "c1", "function": {"name": "f", "arguments": {}}}
    payloads = [p for item in [chunk("a", "t"), chunk(calls=[call]), chunk(calls=[call]), done()]
                for p in conv.convert(item)]
    assert all(p["id"] == conv.id and p["object"] == "chat.completion.chunk" for p in payloads)
    assert payloads[0]["choices"][0]["delta"] == {"role": "assistant", "content": "a", "reasoning": "t"}
    assert [p["choices"][0]["delta"]["tool_calls"][0]["index"] for p in payloads[1:3]] == [0, 1]
    assert payloads[1]["choices"][0]["delta"]["tool_calls"][0]["id"] == "c1"
    assert payloads[3]["choices"][0]["finish_reason"] == "tool_calls" and payloads[3]["usage"] is None
    assert payloads[4]["choices"] == [] and payloads[4]["usage"]["total_tokens"] == 10
    plain = oa.ChatChunks("m", include_usage=False)
    last = plain.convert(done("length"))
    assert len(last) == 1 and "usage" not in last[0] and last[0]["choices"][0]["finish_reason"] == "length"


def test_logprobs_translate() -> None:
    item = chunk("a", logprobs=[{"token": "a", "logprob": -0.5, "bytes": [97],
                                 "top_logprobs": [{"token": "a", "logprob": -0.5, "bytes": [97]}]}])
    out = oa.ChatChunks("m", False).convert(item)[0]["choices"][0]["logprobs"]
    assert out["content"][0]["token"] == "a" and out["content"][0]["top_logprobs"][0]["logprob"] == -0.5


# ---- forced tool calls ---------------------------------------------------------------------------
def test_call_grammar_parses_in_llama_cpp() -> None:
    from llama_cpp import LlamaGrammar

    other = {"type": "function", "function": {"name": "noop"}}
    for names in (["get_weather"], ["get_weather", "noop"]):
        gbnf = call_grammar([WEATHER, other], names)
        assert '"\\"get_weather\\""' in gbnf
        assert LlamaGrammar.from_string(gbnf, verbose=False) is not None


def test_close_partial_json() -> None:
    assert close_partial_json('{"a": 1}') == {"a": 1}
    assert close_partial_json('{"name": "f", "arguments": {"city": "Par') == {
        "name": "f", "arguments": {"city": "Par"}}
    assert close_partial_json('{"name": "f", "arguments": {"city": "P", "da') == {
        "name": "f", "arguments": {"city": "P"}}
    assert close_partial_json('{"a": [1, 2, {"b": tr') == {"a": [1, 2, {}]}
    assert close_partial_json('{"a": "x\\') == {"a": "x"}
    assert close_partial_json('{"a": "line\nbreak"}') == {"a": "line\nbreak"}  # raw control chars
    assert close_partial_json("") is None and close_partial_json("nonsense") is None


def test_parse_forced_call() -> None:
    names = ["get_weather", "get_time"]
    assert parse_forced_call('{"name": "get_time", "arguments": {}}', names) == {
        "function": {"name": "get_time", "arguments": {}}}
    assert parse_forced_call('{"name": "get_we', names) == {"function": {"name": "get_weather", "arguments": {}}}
    assert parse_forced_call('{"name": "get_', names) is None  # ambiguous
    assert parse_forced_call("", ["only"]) == {"function": {"name": "only", "arguments": {}}}
    assert parse_forced_call('```json\n{"name": "get_time", "arguments": {"tz": "UTC"}}\n```', names) == {
        "function": {"name": "get_time", "arguments": {"tz": "UTC"}}}


# ---- Anthropic ------------------------------------------------------------------------------------
def test_messages_request() -> None:
    body = {
        "model": "m", "max_tokens": 50, "system": [{"type": "text", "text": "be "}, {"type": "text", "text": "nice"}],
        "temperature": 0.1, "top_p": 0.8, "top_k": 5, "stop_sequences": ["\n\n"],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [{"name": "get_weather", "description": "w", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "tool", "name": "get_weather"},
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi"},
                                         {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                      "data": PNG}}]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "s"},
                                              {"type": "text", "text": "checking"},
                                              {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                                               "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                          "content": [{"type": "text", "text": "sunny"}]},
                                         {"type": "text", "text": "thanks"}]},
        ],
    }
    req, mode, name = an.messages_request(body)
    assert (mode, name) == ("named", "get_weather") and req.think is True
    assert req.options == {"num_predict": 50, "temperature": 0.1, "top_p": 0.8, "top_k": 5, "stop": ["\n\n"]}
    assert [m.role for m in req.messages] == ["system", "user", "assistant", "tool", "user"]
    assert req.messages[0].content == "be nice" and req.messages[1].images == [PNG]
    assistant = req.messages[2]
    assert assistant.thinking == "hm" and assistant.content == "checking"
    assert assistant.tool_calls[0].function.arguments == {"city": "Paris"}
    assert req.messages[3].content == "sunny" and req.messages[3].tool_name == "get_weather"
    assert req.tools[0].function == {"name": "get_weather", "description": "w", "parameters": {"type": "object"}}


@pytest.mark.parametrize("body, needle", [
    ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
    ({"model": "m", "max_tokens": 0, "messages": []}, "max_tokens"),
    ({"model": "m", "max_tokens": 5}, "messages"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}, "role"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "http://x"}}]}]}, "image source"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
      "tool_choice": {"type": "sometimes"}}, "tool_choice"),
    ({"model": "m", "max_tokens": 5, "messages": []}, "at least one message"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "weird"}]}]},
     "unsupported content block type: 'weird'"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]},
     "text block"),
])
def test_messages_request_rejects(body: dict, needle: str) -> None:
    with pytest.raises(BadRequest) as e:
        an.messages_request(body)
    assert needle in e.value.message


def test_messages_request_drops_redacted_thinking() -> None:
    req, _, _ = an.messages_request({"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "opaque"},
                                          {"type": "text", "text": "hello"}]}]})
    assert [(m.role, m.content, m.thinking) for m in req.messages] == [("user", "hi", None),
                                                                       ("assistant", "hello", None)]


def test_message_response_blocks_and_stop_reasons() -> None:
    call = {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    out = an.message_response("m", [chunk("", "think"), chunk("Hi"), chunk(calls=[call]), done()])
    assert out["type"] == "message" and out["id"].startswith("msg_") and out["role"] == "assistant"
    kinds = [b["type"] for b in out["content"]]
    assert kinds == ["thinking", "text", "tool_use"]
    assert out["content"][2]["id"].startswith("toolu_") and out["content"][2]["input"] == {"city": "Paris"}
    assert out["stop_reason"] == "tool_use" and out["usage"] == {"input_tokens": 7, "output_tokens": 3}
    assert an.message_response("m", [chunk("x"), done("stop")])["stop_reason"] == "end_turn"
    assert an.message_response("m", [chunk("x"), done("length")])["stop_reason"] == "max_tokens"
    assert an.message_response("m", [done("load")])["stop_reason"] == "end_turn"  # never a made-up stop_sequence
    stopped = an.message_response("m", [chunk("x"), done("stop", stop_sequence="END")])
    assert stopped["stop_reason"] == "stop_sequence" and stopped["stop_sequence"] == "END"


def test_message_events_sequence() -> None:
    conv = an.MessageEvents("m", 5)
    call = {"function": {"name": "f", "arguments": {"a": 1}}}
    events = [e for item in [chunk("", "th"), chunk("", "ink"), chunk("Hi"), chunk(" there"), chunk(calls=[call]),
                             done()] for e in conv.convert(item)]
    names = [n for n, _ in events]
    assert names == ["message_start", "ping",
                     "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                     "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                     "content_block_start", "content_block_delta", "content_block_stop",
                     "message_delta", "message_stop"]
    payloads = [p for _, p in events]
    assert payloads[0]["message"]["usage"]["input_tokens"] == 5
    assert payloads[2]["content_block"]["type"] == "thinking" and payloads[2]["index"] == 0
    assert payloads[3]["delta"] == {"type": "thinking_delta", "thinking": "th"}
    assert payloads[6]["content_block"] == {"type": "text", "text": ""} and payloads[6]["index"] == 1
    assert payloads[8]["delta"] == {"type": "text_delta", "text": " there"}
    tool = payloads[10]["content_block"]
    assert tool["type"] == "tool_use" and tool["input"] == {} and payloads[10]["index"] == 2
    assert json.loads(payloads[11]["delta"]["partial_json"]) == {"a": 1}
    assert payloads[13]["delta"]["stop_reason"] == "tool_use" and payloads[13]["usage"]["output_tokens"] == 3


def test_anthropic_error_shape() -> None:
    body = an.anthropic_error(ModelNotFound("x"))
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    assert an.anthropic_error(APIError("busy", 503))["error"]["type"] == "overloaded_error"


# ---- the routes' error paths (no model is ever loaded) ---------------------------------------------
@pytest.fixture()
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from pollama.server.app import create_app

    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "models"))
    with TestClient(create_app(), base_url="http://127.0.0.1") as c:
        yield c


def test_routes_answer_errors_in_their_own_shapes(client: TestClient) -> None:
    msg = [{"role": "user", "content": "hi"}]
    r = client.post("/v1/chat/completions", json={"model": "nope", "messages": msg})
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"
    r = client.post("/v1/chat/completions", json={"model": "nope", "messages": msg, "stream": True})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/json")
    r = client.post("/v1/chat/completions", content=b"{oops")
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = client.post("/v1/completions", json={"model": "nope", "prompt": "x"})
    assert r.status_code == 404 and "message" in r.json()["error"]
    r = client.post("/v1/embeddings", json={"model": "nope", "input": "x", "encoding_format": "int8"})
    assert r.status_code == 400 and "encoding_format" in r.json()["error"]["message"]
    r = client.get("/v1/models/library/nope:latest")
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    assert client.get("/v1/models").json() == {"object": "list", "data": []}
    r = client.post("/v1/messages", json={"model": "nope", "max_tokens": 4, "messages": msg})
    assert r.status_code == 404 and r.json()["type"] == "error"
    r = client.post("/v1/messages", json={"model": "nope", "messages": msg})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = client.post("/v1/messages/count_tokens", json={"model": "m", "messages": [{"role": "user",
                                                                                   "content": "x" * 40}]})
    assert r.json()["input_tokens"] > 5
    r = client.post("/v1/messages/count_tokens", json={"model": "m", "messages": msg, "tools": 5})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = client.post("/v1/messages", json={"model": "nope", "max_tokens": 4, "messages": []})
    assert r.status_code == 400 and "at least one message" in r.json()["error"]["message"]


def test_routes_answer_unexpected_failures_in_their_own_shapes(client: TestClient,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(oa, "chat_request", broken)
    monkeypatch.setattr(an, "messages_request", broken)
    r = client.post("/v1/chat/completions", json={"model": "m", "messages": []})
    assert r.status_code == 500 and r.json() == {"error": {"message": "RuntimeError: bug", "type": "api_error",
                                                           "param": None, "code": None}}
    r = client.post("/v1/messages", json={"model": "m", "max_tokens": 1, "messages": []})
    assert r.status_code == 500 and r.json()["type"] == "error" and r.json()["error"] == {
        "type": "api_error", "message": "RuntimeError: bug"}


def test_base64_embedding_encoding() -> None:
    raw = oa._b64_floats([1.0, -0.5])
    assert struct.unpack("<2f", base64.b64decode(raw)) == (1.0, -0.5)


def test_call_grammar_follows_the_template_format() -> None:
    from llama_cpp import LlamaGrammar

    from pollama.prompt.tools import ToolCallFormat

    tagged = call_grammar([WEATHER], ["get_weather"], ToolCallFormat("<tool_call>", "</tool_call>"))
    assert tagged.startswith('root ::= "<tool_call>" "\\n"? call-json "\\n"? "</tool_call>"')
    listed = call_grammar([WEATHER], ["get_weather"], ToolCallFormat("[TOOL_CALLS]", "", "name", "parameters", "{["))
    assert '"[" space call-json "]" space' in listed and '"\\"parameters\\""' in listed
    for gbnf in (tagged, listed):
        assert LlamaGrammar.from_string(gbnf, verbose=False) is not None
    fmt = ToolCallFormat("[TOOL_CALLS]", "", "name", "parameters", "{[")
    assert parse_forced_call('[TOOL_CALLS][{"name": "get_weather", "parameters": {"city": "Oslo"}}]',
                             ["get_weather"], fmt) == {"function": {"name": "get_weather",
                                                                    "arguments": {"city": "Oslo"}}}
    assert parse_forced_call('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Ri',
                             ["get_weather"]) == {"function": {"name": "get_weather", "arguments": {"city": "Ri"}}}


def test_sse_error_after_the_first_chunk() -> None:
    import asyncio

    def sse() -> oa.SSE:
        return oa.SSE(oa.ChatChunks("m", False).convert, lambda events: oa.chat_completion("m", events))

    async def items():  # type: ignore[no-untyped-def]
        yield chunk("a")
        raise APIError("runner died")

    async def main() -> list[str]:
        resp = await respond(None, items(), sse(), stream=True)
        assert resp.status_code == 200 and resp.media_type == "text/event-stream"
        return [b.decode() if isinstance(b, bytes) else b async for b in resp.body_iterator]

    lines = asyncio.run(main())
    assert lines[0].startswith("data: {") and json.loads(lines[0][6:])["choices"][0]["delta"]["content"] == "a"
    assert json.loads(lines[1][6:]) == {"error": {"message": "runner died", "type": "api_error", "param": None,
                                                  "code": None}}
    assert len(lines) == 2  # no [DONE] after an error

    async def failing():  # type: ignore[no-untyped-def]
        raise ModelNotFound("x")
        yield {}

    resp = asyncio.run(respond(None, failing(), sse(), stream=True))
    assert resp.status_code == 404 and json.loads(resp.body)["error"]["type"] == "not_found_error"
