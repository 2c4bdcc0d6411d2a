"""The official `openai` Python client against pollama's /v1 endpoints."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import jsonschema
import openai
import pytest

GREEDY = {"temperature": 0, "seed": 1}
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 24},
                                                    "unit": {"type": "string", "enum": ["c", "f"]}},
                   "required": ["city", "unit"]}}}
CLOCK = {"type": "function", "function": {
    "name": "get_time", "description": "The time in a time zone",
    "parameters": {"type": "object", "properties": {"hours_offset": {"type": "integer"}},
                   "required": ["hours_offset"]}}}


@pytest.fixture()
def client(base_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=base_url + "/v1", api_key="ollama", max_retries=0, timeout=120) as c:
        yield c


def ask(text: str) -> list[dict]:
    return [{"role": "system", "content": "You are terse."}, {"role": "user", "content": text}]


def test_chat_without_stream(client: openai.OpenAI) -> None:
    out = client.chat.completions.create(model="tiny", messages=ask("Say hi"), max_tokens=8, **GREEDY)
    assert out.object == "chat.completion" and out.id.startswith("chatcmpl-")
    assert out.model == "tiny" and out.system_fingerprint == "fp_ollama"
    choice = out.choices[0]
    assert choice.message.role == "assistant" and isinstance(choice.message.content, str)
    assert choice.finish_reason in ("stop", "length")
    assert out.usage.prompt_tokens > 5 and 0 < out.usage.completion_tokens <= 8
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens
    again = client.chat.completions.create(model="tiny", messages=ask("Say hi"), max_tokens=8, **GREEDY)
    assert again.choices[0].message.content == choice.message.content


def test_chat_stream_matches_non_stream(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="tiny", messages=ask("Count"), max_tokens=10, **GREEDY)
    stream = client.chat.completions.create(model="tiny", messages=ask("Count"), max_tokens=10, stream=True,
                                            stream_options={"include_usage": True}, **GREEDY)
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_chat_stop_and_length(client: openai.OpenAI) -> None:
    out = client.chat.completions.create(model="tiny", messages=ask("Go"), max_completion_tokens=3, **GREEDY)
    assert out.choices[0].finish_reason == "length" and out.usage.completion_tokens == 3
    full = out.choices[0].message.content
    assert full
    stop = full[-1] if full[-1].strip() else full.strip()[-1]
    cut = client.chat.completions.create(model="tiny", messages=ask("Go"), max_tokens=3, stop=[stop], **GREEDY)
    assert stop not in cut.choices[0].message.content and cut.choices[0].finish_reason == "stop"


def test_chat_seed_and_sampling_options(client: openai.OpenAI) -> None:
    args = dict(model="tiny", messages=ask("Tell me"), max_tokens=12, temperature=1.0, top_p=0.95,
                frequency_penalty=0.3, presence_penalty=0.2)
    a = client.chat.completions.create(seed=7, **args).choices[0].message.content
    b = client.chat.completions.create(seed=7, **args).choices[0].message.content
    assert a == b


def test_json_schema_response_format(client: openai.OpenAI) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12},
                                               "age": {"type": "integer", "minimum": 0, "maximum": 150}},
              "required": ["name", "age"], "additionalProperties": False}
    out = client.chat.completions.create(
        model="tiny", messages=ask("A person as JSON"), max_tokens=60, **GREEDY,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}})
    jsonschema.validate(json.loads(out.choices[0].message.content), schema)
    obj = client.chat.completions.create(model="tiny", messages=ask("JSON please"), max_tokens=40, **GREEDY,
                                         response_format={"type": "json_object"})
    assert obj.choices[0].message.content.lstrip().startswith("{")


@pytest.mark.parametrize("model", ["tiny", "tiny-tools"])
def test_tool_choice_required_and_named(client: openai.OpenAI, model: str) -> None:
    out = client.chat.completions.create(model=model, messages=ask("Weather in Paris?"), tools=[WEATHER, CLOCK],
                                         tool_choice="required", max_tokens=80, **GREEDY)
    choice = out.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.id and call.function.name in ("get_weather", "get_time")
    args = json.loads(call.function.arguments)
    schema = (WEATHER if call.function.name == "get_weather" else CLOCK)["function"]["parameters"]
    jsonschema.validate(args, schema)

    named = client.chat.completions.create(model=model, messages=ask("What time is it?"), tools=[WEATHER, CLOCK],
                                           tool_choice={"type": "function", "function": {"name": "get_time"}},
                                           max_tokens=80, **GREEDY)
    (call,) = named.choices[0].message.tool_calls
    assert call.function.name == "get_time"
    jsonschema.validate(json.loads(call.function.arguments), CLOCK["function"]["parameters"])


def test_tool_choice_streamed(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="tiny-tools", messages=ask("Weather?"), tools=[WEATHER],
                                            tool_choice="required", max_tokens=80, stream=True, **GREEDY)
    chunks = list(stream)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert len(calls) == 1 and calls[0].index == 0 and calls[0].function.name == "get_weather"
    jsonschema.validate(json.loads(calls[0].function.arguments), WEATHER["function"]["parameters"])
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_tool_round_trip_and_none(client: openai.OpenAI) -> None:
    messages = ask("Weather in Paris?") + [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_9", "type": "function", "function": {"name": "get_weather",
                                                              "arguments": '{"city": "Paris", "unit": "c"}'}}]},
        {"role": "tool", "tool_call_id": "call_9", "content": "18 degrees"},
    ]
    out = client.chat.completions.create(model="tiny-tools", messages=messages, tools=[WEATHER],
                                         tool_choice="none", max_tokens=6, **GREEDY)
    assert out.choices[0].message.tool_calls is None and out.choices[0].finish_reason in ("stop", "length")


def test_unknown_model_and_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="missing-model", messages=ask("hi"))
    assert "not found" in str(e.value)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="tiny", messages=[])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="tiny", messages=ask("x"), tools=[WEATHER],
                                       tool_choice={"type": "function", "function": {"name": "nope"}})


def test_completions(client: openai.OpenAI) -> None:
    out = client.completions.create(model="tiny", prompt="Once upon a time", max_tokens=6, **GREEDY)
    assert out.object == "text_completion" and out.id.startswith("cmpl-")
    assert out.choices[0].finish_reason == "length" and out.choices[0].text
    assert out.usage.completion_tokens == 6
    stream = client.completions.create(model="tiny", prompt="Once upon a time", max_tokens=6, stream=True,
                                       stream_options={"include_usage": True}, **GREEDY)
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == out.choices[0].text
    assert chunks[-1].usage.completion_tokens == 6


FIM_TEMPLATE = "{{ if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>{{ else }}{{ .Prompt }}{{ end }}"


def test_completions_with_suffix(client: openai.OpenAI, base_url: str) -> None:
    import httpx

    r = httpx.post(base_url + "/api/create", json={"model": "tiny-fim", "from": "tiny", "template": FIM_TEMPLATE,
                                                   "stream": False}, timeout=60)
    assert r.status_code == 200, r.text
    plain = client.completions.create(model="tiny-fim", prompt="def add(a, b):", max_tokens=4, **GREEDY)
    filled = client.completions.create(model="tiny-fim", prompt="def add(a, b):", suffix="    return total",
                                       max_tokens=4, **GREEDY)
    assert filled.choices[0].text and filled.choices[0].finish_reason == "length"
    # the suffix and the template's <PRE>/<SUF>/<MID> markers reach the prompt
    assert filled.usage.prompt_tokens > plain.usage.prompt_tokens + 4
    with pytest.raises(openai.BadRequestError) as e:
        client.completions.create(model="tiny", prompt="x", suffix="y", max_tokens=2)
    assert "insert" in str(e.value)


def test_embeddings(client: openai.OpenAI) -> None:
    # the client asks for base64 by default and decodes it
    out = client.embeddings.create(model="tinybert", input=["hello world", "goodbye"])
    assert out.object == "list" and out.model == "tinybert" and len(out.data) == 2
    assert [d.index for d in out.data] == [0, 1]
    vec = out.data[0].embedding
    assert len(vec) == 64 and math.isclose(sum(x * x for x in vec), 1.0, rel_tol=1e-4)
    floats = client.embeddings.create(model="tinybert", input="hello world", encoding_format="float")
    assert floats.data[0].embedding == pytest.approx(vec, rel=1e-5, abs=1e-6)
    assert floats.usage.prompt_tokens > 0
    short = client.embeddings.create(model="tinybert", input="hello world", dimensions=16)
    assert len(short.data[0].embedding) == 16


def test_embeddings_from_token_ids(client: openai.OpenAI) -> None:
    text = client.embeddings.create(model="tinybert", input="hello world", encoding_format="float")
    tokenized = client.embeddings.create(model="tinybert", input=[[7592, 2088]], encoding_format="float")
    assert tokenized.data[0].embedding == pytest.approx(text.data[0].embedding, abs=1e-4)


def test_models(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert {"tiny:latest", "tiny-tools:latest", "tinybert:latest"} <= set(ids)
    model = client.models.retrieve("tiny")
    assert model.id == "tiny" and model.object == "model" and model.owned_by == "library" and model.created > 0
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nothing-here")


def test_reasoning_effort(client: openai.OpenAI) -> None:
    out = client.chat.completions.create(model="tiny-think", messages=ask("Think"), max_tokens=12,
                                         reasoning_effort="low", **GREEDY)
    message = out.choices[0].message
    assert message.model_extra["reasoning"] and message.content == ""  # the tiny model never closes </think>
    stream = client.chat.completions.create(model="tiny-think", messages=ask("Think"), max_tokens=12,
                                            reasoning_effort="low", stream=True, **GREEDY)
    streamed = "".join((c.choices[0].delta.model_extra or {}).get("reasoning") or "" for c in stream if c.choices)
    assert streamed == message.model_extra["reasoning"]
    off = client.chat.completions.create(model="tiny-think", messages=ask("Think"), max_tokens=12,
                                         reasoning_effort="none", **GREEDY)
    assert not (off.choices[0].message.model_extra or {}).get("reasoning") and off.choices[0].message.content
    with pytest.raises(openai.BadRequestError):  # a model without thinking support
        client.chat.completions.create(model="tiny", messages=ask("x"), max_tokens=2, reasoning_effort="high")


def test_logprobs(client: openai.OpenAI) -> None:
    out = client.chat.completions.create(model="tiny", messages=ask("Hi"), max_tokens=4, logprobs=True,
                                         top_logprobs=2, **GREEDY)
    entries = out.choices[0].logprobs.content
    assert len(entries) == 4 and all(e.logprob <= 0 and len(e.top_logprobs) == 2 for e in entries)
    assert "".join(e.token for e in entries) == out.choices[0].message.content


def test_images_need_a_vision_model(client: openai.OpenAI) -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    content = [{"type": "text", "text": "What is this?"},
               {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}]
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": content}])
    assert "image" in str(e.value)


def test_async_client_streams(base_url: str) -> None:
    import asyncio

    async def main() -> tuple[str, str]:
        async with openai.AsyncOpenAI(base_url=base_url + "/v1", api_key="x", max_retries=0, timeout=120) as c:
            whole = await c.chat.completions.create(model="tiny", messages=ask("Hi"), max_tokens=6, **GREEDY)
            stream = await c.chat.completions.create(model="tiny", messages=ask("Hi"), max_tokens=6, stream=True,
                                                     **GREEDY)
            return whole.choices[0].message.content, "".join([ch.choices[0].delta.content or ""
                                                              async for ch in stream if ch.choices])

    whole, streamed = asyncio.run(main())
    assert whole and streamed == whole
