"""The official `anthropic` Python client against pollama's /v1/messages."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import jsonschema
import pytest

GREEDY = {"temperature": 0}  # this SDK has no sampling parameters of its own: they travel as extra body fields
WEATHER = {"name": "get_weather", "description": "Current weather for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 24}},
                            "required": ["city"]}}


@pytest.fixture()
def client(base_url: str) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=base_url, api_key="ollama", max_retries=0, timeout=120) as c:
        yield c


def test_messages_create(client: anthropic.Anthropic) -> None:
    out = client.messages.create(model="tiny", max_tokens=8, extra_body=GREEDY, system="Be brief.",
                                 messages=[{"role": "user", "content": "Hello"}])
    assert out.type == "message" and out.role == "assistant" and out.id.startswith("msg_")
    assert out.model == "tiny" and out.stop_reason in ("end_turn", "max_tokens")
    assert out.usage.input_tokens > 5 and 0 < out.usage.output_tokens <= 8
    assert [b.type for b in out.content] == ["text"] and out.content[0].text
    short = client.messages.create(model="tiny", max_tokens=2, extra_body=GREEDY,
                                   messages=[{"role": "user", "content": [{"type": "text", "text": "Hello"}]}])
    assert short.stop_reason == "max_tokens" and short.usage.output_tokens == 2


def test_messages_stream(client: anthropic.Anthropic) -> None:
    args = dict(model="tiny", max_tokens=10, extra_body={"temperature": 0, "top_k": 10, "top_p": 0.9},
                messages=[{"role": "user", "content": "Tell me a story"}])
    whole = client.messages.create(**args)
    with client.messages.stream(**args) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == whole.content[0].text == final.content[0].text
    assert final.stop_reason == whole.stop_reason and final.usage.output_tokens == whole.usage.output_tokens
    raw = list(client.messages.create(stream=True, **args))
    kinds = [e.type for e in raw]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert "content_block_start" in kinds and "content_block_stop" in kinds


def test_stop_sequences(client: anthropic.Anthropic) -> None:
    args = dict(model="tiny", max_tokens=6, extra_body=GREEDY, messages=[{"role": "user", "content": "Go on"}])
    text = client.messages.create(**args).content[0].text
    stop = text.strip()[-1]
    cut = client.messages.create(stop_sequences=["never appears", stop], **args)
    assert stop not in "".join(b.text for b in cut.content if b.type == "text")
    assert cut.stop_reason == "stop_sequence" and cut.stop_sequence == stop
    with client.messages.stream(stop_sequences=[stop], **args) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "stop_sequence" and final.stop_sequence == stop
    assert client.messages.create(stop_sequences=["never appears"], **args).stop_sequence is None


@pytest.mark.parametrize("model", ["tiny", "tiny-tools"])
def test_tools_forced(client: anthropic.Anthropic, model: str) -> None:
    out = client.messages.create(model=model, max_tokens=80, extra_body=GREEDY, tools=[WEATHER],
                                 tool_choice={"type": "any"},
                                 messages=[{"role": "user", "content": "Weather in Paris?"}])
    assert out.stop_reason == "tool_use"
    (use,) = [b for b in out.content if b.type == "tool_use"]
    assert use.id.startswith("toolu_") and use.name == "get_weather"
    jsonschema.validate(use.input, WEATHER["input_schema"])

    with client.messages.stream(model=model, max_tokens=80, extra_body=GREEDY, tools=[WEATHER],
                                tool_choice={"type": "tool", "name": "get_weather"},
                                messages=[{"role": "user", "content": "Weather?"}]) as stream:
        final = stream.get_final_message()
    (use,) = [b for b in final.content if b.type == "tool_use"]
    jsonschema.validate(use.input, WEATHER["input_schema"])
    assert final.stop_reason == "tool_use"


def test_tool_result_round_trip(client: anthropic.Anthropic) -> None:
    out = client.messages.create(
        model="tiny-tools", max_tokens=5, extra_body=GREEDY, tools=[WEATHER], tool_choice={"type": "none"},
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01", "name": "get_weather",
                                               "input": {"city": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "sunny"}]},
        ])
    assert out.stop_reason in ("end_turn", "max_tokens") and all(b.type == "text" for b in out.content)


def test_thinking(client: anthropic.Anthropic) -> None:
    out = client.messages.create(model="tiny-think", max_tokens=24, extra_body=GREEDY,
                                 thinking={"type": "enabled", "budget_tokens": 1024},
                                 messages=[{"role": "user", "content": "Think first"}])
    assert out.content and out.content[0].type == "thinking" and out.content[0].thinking
    with client.messages.stream(model="tiny-think", max_tokens=24, extra_body=GREEDY,
                                thinking={"type": "enabled", "budget_tokens": 1024},
                                messages=[{"role": "user", "content": "Think first"}]) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking" and final.content[0].thinking == out.content[0].thinking


def test_errors(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError) as e:
        client.messages.create(model="missing", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert e.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="tiny", max_tokens=5, messages=[{"role": "user", "content": "x"}],
                               tool_choice={"type": "tool", "name": "nope"}, tools=[WEATHER])


def test_structured_output_and_count_tokens(client: anthropic.Anthropic) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"],
              "additionalProperties": False}
    out = client.messages.create(model="tiny", max_tokens=30, extra_body=GREEDY,
                                 output_config={"format": {"type": "json_schema", "schema": schema}},
                                 messages=[{"role": "user", "content": "2+2?"}])
    jsonschema.validate(json.loads(out.content[0].text), schema)
    count = client.messages.count_tokens(model="tiny", messages=[{"role": "user", "content": "hello " * 20}])
    assert count.input_tokens >= 20


def test_async_client_stream(base_url: str) -> None:
    import asyncio

    async def main() -> tuple[str, str]:
        async with anthropic.AsyncAnthropic(base_url=base_url, api_key="x", max_retries=0, timeout=120) as c:
            args = dict(model="tiny", max_tokens=6, extra_body=GREEDY, messages=[{"role": "user", "content": "Hi"}])
            whole = await c.messages.create(**args)
            async with c.messages.stream(**args) as stream:
                text = "".join([t async for t in stream.text_stream])
            return whole.content[0].text, text

    whole, streamed = asyncio.run(main())
    assert whole and streamed == whole
