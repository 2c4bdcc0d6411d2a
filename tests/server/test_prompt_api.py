"""Templates, tools, thinking, structured outputs and logprobs through the real server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema
import pytest
from model_upload import create_from_gguf
from server_proc import Server, ServerFactory

TEMPLATES = Path(__file__).parent / "templates"
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "required": ["city"],
                   "properties": {"city": {"type": "string", "description": "the city"}}}}}


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, tiny_llama: Path) -> Server:
    s = module_server(models={"jinja": tiny_llama})
    with s.client() as http:
        for name, template in (("llama32", "llama32.gotmpl"), ("qwen3", "qwen3.gotmpl")):
            create_from_gguf(http, name, tiny_llama, template=(TEMPLATES / template).read_text().rstrip("\n"))
    return s


def chat(http: httpx.Client, **body: object) -> httpx.Response:
    return http.post("/api/chat", json={"stream": False, **body})


def rendered(http: httpx.Client, **body: object) -> str:
    r = chat(http, _debug_render_only=True, **body)
    assert r.status_code == 200, r.text
    return r.json()["_debug_info"]["rendered_template"]


def test_capabilities_come_from_the_template(http: httpx.Client) -> None:
    caps = {m: http.post("/api/show", json={"model": m}).json()["capabilities"] for m in ("llama32", "qwen3")}
    assert "tools" in caps["llama32"] and "thinking" not in caps["llama32"]
    assert {"tools", "thinking"} <= set(caps["qwen3"])


def test_go_template_renders_system_tools_and_history(http: httpx.Client) -> None:
    prompt = rendered(http, model="qwen3", tools=[WEATHER_TOOL], messages=[
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
    ])
    assert prompt.startswith("<|im_start|>system\nBe kind.\n\n# Tools")
    assert '"name":"get_weather"' in prompt.replace(" ", "")
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city":"Paris"}}\n</tool_call>' in prompt
    assert "<tool_response>\nsunny\n</tool_response>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n")
    no_think = rendered(http, model="qwen3", think=False, messages=[{"role": "user", "content": "hi"}])
    assert no_think.endswith("<think>\n\n</think>\n\n")


def test_model_system_and_messages_apply(http: httpx.Client) -> None:
    r = http.post("/api/create", json={"model": "pirate", "from": "llama32", "system": "Talk like a pirate.",
                                       "messages": [{"role": "user", "content": "ahoy"},
                                                    {"role": "assistant", "content": "arr"}], "stream": False})
    assert r.status_code == 200
    prompt = rendered(http, model="pirate", messages=[{"role": "user", "content": "hello"}])
    assert "Talk like a pirate." in prompt
    assert prompt.index("ahoy") < prompt.index("arr") < prompt.index("hello")


def test_generate_uses_the_legacy_variables(http: httpx.Client) -> None:
    r = http.post("/api/generate", json={"model": "llama32", "prompt": "Why?", "system": "S", "stream": False,
                                         "_debug_render_only": True})
    assert r.json()["_debug_info"]["rendered_template"] == (
        "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>"
        "\n\nWhy?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")


TOOL_SCHEMA = {"type": "object", "required": ["name", "parameters"], "properties": {
    "name": {"type": "string", "enum": ["get_weather"]},
    "parameters": {"type": "object", "required": ["city"],
                   "properties": {"city": {"type": "string", "enum": ["Paris", "Rome"]}}}}}


def test_tool_call_is_parsed_out_of_the_output(http: httpx.Client) -> None:
    # the schema forces the model to emit llama3.2's bare-JSON tool call, whatever its weights
    body = {"model": "llama32", "tools": [WEATHER_TOOL], "format": TOOL_SCHEMA,
            "options": {"temperature": 0, "num_predict": 64},
            "messages": [{"role": "user", "content": "Weather in Paris?"}]}
    r = chat(http, **body)
    assert r.status_code == 200, r.text
    calls = r.json()["message"]["tool_calls"]
    assert len(calls) == 1 and calls[0]["function"]["name"] == "get_weather"
    assert calls[0]["function"]["arguments"]["city"] in ("Paris", "Rome")
    assert r.json()["message"]["content"] == ""
    streamed = http.post("/api/chat", json={**body, "stream": True})
    chunks = [json.loads(x) for x in streamed.text.splitlines() if x.strip()]
    stream_calls = [c for ch in chunks for c in ch["message"].get("tool_calls", [])]
    assert [c["function"] for c in stream_calls] == [c["function"] for c in calls]


SCHEMA = {"type": "object", "required": ["name", "age", "ok"], "additionalProperties": False, "properties": {
    "name": {"type": "string", "maxLength": 12}, "age": {"type": "integer", "minimum": 0, "maximum": 120},
    "ok": {"type": "boolean"}}}


@pytest.mark.parametrize("model", ["llama32", "jinja"])
def test_structured_output_matches_the_schema(http: httpx.Client, model: str) -> None:
    for seed in range(3):
        opts = {"seed": seed, "temperature": 1.0, "num_predict": 200}
        r = chat(http, model=model, format=SCHEMA, options=opts, messages=[{"role": "user", "content": "Who?"}])
        assert r.status_code == 200, r.text
        jsonschema.validate(json.loads(r.json()["message"]["content"]), SCHEMA)
        g = http.post("/api/generate", json={"model": model, "prompt": "Who?", "format": SCHEMA, "stream": False,
                                             "options": opts})
        jsonschema.validate(json.loads(g.json()["response"]), SCHEMA)


def test_json_mode_output_parses(http: httpx.Client) -> None:
    r = http.post("/api/generate", json={"model": "llama32", "prompt": "data", "format": "json", "stream": False,
                                         "options": {"temperature": 0, "num_predict": 400}})
    assert r.status_code == 200
    if r.json()["done_reason"] == "stop":
        assert isinstance(json.loads(r.json()["response"]), dict)
    else:  # cut by num_predict: still a valid JSON prefix that starts an object
        assert r.json()["response"].lstrip().startswith("{")


def test_bad_format_is_400(http: httpx.Client) -> None:
    r = chat(http, model="llama32", format="yaml", messages=[{"role": "user", "content": "x"}])
    assert r.status_code == 400


def test_thinking_model_accepts_think_levels(http: httpx.Client) -> None:
    for think in (True, False, "high", "low"):
        r = chat(http, model="qwen3", think=think, options={"num_predict": 4},
                 messages=[{"role": "user", "content": "hi"}])
        assert r.status_code == 200, (think, r.text)
    r = chat(http, model="qwen3", think="extreme", messages=[{"role": "user", "content": "hi"}])
    assert r.status_code == 400
    r = chat(http, model="llama32", think=True, messages=[{"role": "user", "content": "hi"}])
    assert r.status_code == 400 and r.json()["error"] == '"llama32" does not support thinking'


def test_logprobs(http: httpx.Client) -> None:
    r = http.post("/api/generate", json={"model": "llama32", "prompt": "hi", "stream": False, "logprobs": True,
                                         "top_logprobs": 3, "options": {"temperature": 0, "num_predict": 5}})
    assert r.status_code == 200, r.text
    lps = r.json()["logprobs"]
    assert len(lps) == 5
    for lp in lps:
        assert isinstance(lp["token"], str) and lp["logprob"] <= 0 and len(lp["top_logprobs"]) == 3
        assert max(t["logprob"] for t in lp["top_logprobs"]) == pytest.approx(lp["logprob"], abs=1e-4)
    c = chat(http, model="llama32", logprobs=True, options={"num_predict": 3},
             messages=[{"role": "user", "content": "hi"}])
    assert len(c.json()["logprobs"]) == 3
    bad = chat(http, model="llama32", logprobs=True, top_logprobs=21, messages=[{"role": "user", "content": "x"}])
    assert bad.status_code == 400


def test_broken_template_on_create_names_line_and_column(http: httpx.Client, srv: Server) -> None:
    before = sorted(p.relative_to(srv.models) for p in srv.models.rglob("*"))
    for stream in (False, True):
        r = http.post("/api/create", json={"model": "broken", "from": "llama32", "stream": stream,
                                           "template": "ok\n{{ if .System }}unclosed"})
        assert r.status_code == 400
        assert r.json() == {"error": "template: :2:24: unexpected EOF"}
    r = http.post("/api/create", json={"model": "broken", "from": "llama32", "template": "{{ range }}{{ end }}"})
    assert r.json() == {"error": "template: :1:9: missing value for range"}
    assert sorted(p.relative_to(srv.models) for p in srv.models.rglob("*")) == before
    assert http.post("/api/show", json={"model": "broken"}).status_code == 404


@pytest.mark.parametrize(("path", "body", "error"), [
    ("/api/generate", {"model": "llama32", "prompt": "hi", "think": True}, '"llama32" does not support thinking'),
    ("/api/generate", {"model": "llama32", "prompt": "hi", "think": "high"}, '"llama32" does not support thinking'),
    ("/api/chat", {"model": "llama32", "think": "low", "messages": [{"role": "user", "content": "x"}]},
     '"llama32" does not support thinking'),
    ("/api/generate", {"model": "llama32", "prompt": "hi", "top_logprobs": 21},
     "top_logprobs must be between 0 and 20"),
    ("/api/generate", {"model": "llama32", "prompt": "hi", "logprobs": True, "top_logprobs": -1},
     "top_logprobs must be between 0 and 20"),
    ("/api/chat", {"model": "llama32", "top_logprobs": -3, "messages": [{"role": "user", "content": "x"}]},
     "top_logprobs must be between 0 and 20"),
    ("/api/generate", {"model": "llama32", "prompt": "hi", "format": "yaml"}, None),
    ("/api/generate", {"model": "llama32", "prompt": "hi", "format": ["a"]}, None),
    ("/api/chat", {"model": "llama32", "format": {"type": "integer", "minimum": 5, "maximum": 1},
                   "messages": [{"role": "user", "content": "x"}]}, None),
    ("/api/generate", {"model": "qwen3", "prompt": "hi", "think": "extreme"}, None),
])
def test_bad_prompt_options_are_ollama_shaped_400s(http: httpx.Client, path: str, body: dict[str, object],
                                                   error: str | None) -> None:
    for stream in (False, True):
        r = http.post(path, json={**body, "stream": stream})
        assert r.status_code == 400, r.text
        assert list(r.json()) == ["error"] and r.json()["error"]
        if error is not None:
            assert r.json()["error"] == error


def test_gguf_only_model_renders_its_jinja_chat_template(http: httpx.Client) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert rendered(http, model="jinja", messages=messages) == (
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    default_system = rendered(http, model="jinja", messages=messages[1:])
    assert default_system.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    g = http.post("/api/generate", json={"model": "jinja", "prompt": "Hi", "system": "Be brief.", "stream": False,
                                         "_debug_render_only": True})
    assert g.json()["_debug_info"]["rendered_template"] == rendered(http, model="jinja", messages=messages)


def test_template_that_fails_at_execution_is_a_400(http: httpx.Client) -> None:
    r = http.post("/api/create", json={"model": "badexec", "from": "llama32", "stream": False,
                                       "template": "{{ range .Messages }}{{ index .ToolCalls 3 }}{{ end }}"})
    assert r.status_code == 200, r.text
    for stream in (False, True):
        for debug in (False, True):
            r = chat(http, model="badexec", stream=stream, _debug_render_only=debug,
                     messages=[{"role": "user", "content": "x"}])
            assert r.status_code == 400, r.text
            # .ToolCalls is Go's nil []templateToolCall: a typed slice of length 0, not an untyped nil
            assert r.json() == {"error": 'template error: template: :1:24: executing "" at <index .ToolCalls 3>: '
                                         "error calling index: index out of range: 3"}


def test_tools_on_a_model_whose_template_has_none_is_a_400(http: httpx.Client) -> None:
    r = http.post("/api/create", json={"model": "plain", "from": "llama32", "stream": False,
                                       "template": "{{ range .Messages }}{{ .Content }}{{ end }}"})
    assert r.status_code == 200, r.text
    assert "tools" not in http.post("/api/show", json={"model": "plain"}).json()["capabilities"]
    r = chat(http, model="plain", tools=[WEATHER_TOOL], messages=[{"role": "user", "content": "x"}])
    assert r.status_code == 400 and r.json() == {"error": '"plain" does not support tools'}
