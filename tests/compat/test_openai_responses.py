"""The official `openai` client's Responses API (`client.responses`) against a real server running
SmolLM2-135M-Instruct, greedy: text and message input, streamed and not, a json_schema format, and a function
tool round trip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import openai
import pytest
from model_upload import create_from_gguf
from server_proc import Server

QUESTION = "What is the capital of France?"
GREEDY = {"temperature": 0, "max_output_tokens": 24}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, smollm2: Path) -> Iterator[openai.OpenAI]:
    with Server(tmp_path_factory.mktemp("responses") / "models") as srv:
        with srv.client() as http:
            create_from_gguf(http, "smollm2", smollm2)
        with openai.OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0, timeout=300) as c:
            yield c


def test_text_input_streamed_and_not(client: openai.OpenAI) -> None:
    out = client.responses.create(model="smollm2", input=QUESTION, **GREEDY)
    assert out.status == "completed" and "Paris" in out.output_text
    assert 0 < out.usage.output_tokens <= 24 and out.usage.input_tokens > 5
    events = list(client.responses.create(model="smollm2", input=QUESTION, stream=True, **GREEDY))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == out.output_text
    assert events[-1].type == "response.completed" and events[-1].response.output_text == out.output_text


def test_message_list_with_instructions(client: openai.OpenAI) -> None:
    out = client.responses.create(model="smollm2", instructions="You answer in one short sentence.",
                                  input=[{"role": "user", "content": [{"type": "input_text", "text": QUESTION}]}],
                                  **GREEDY)
    assert "Paris" in out.output_text and out.instructions == "You answer in one short sentence."


def test_json_schema_gives_valid_json(client: openai.OpenAI) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30},
                                               "country": {"type": "string", "maxLength": 30}},
              "required": ["city", "country"], "additionalProperties": False}
    out = client.responses.create(model="smollm2", input=QUESTION + " Answer in JSON.", temperature=0,
                                  max_output_tokens=60,
                                  text={"format": {"type": "json_schema", "name": "place", "schema": schema}})
    jsonschema.validate(json.loads(out.output_text), schema)


def test_function_tool_round_trip(client: openai.OpenAI) -> None:
    tool = {"type": "function", "name": "get_weather", "description": "The weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}},
                           "required": ["city"]}}
    ask = {"role": "user", "content": "What is the weather in Paris?"}
    first = client.responses.create(model="smollm2", input=[ask], tools=[tool], tool_choice="required",
                                    temperature=0, max_output_tokens=48)
    [call] = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather" and call.call_id
    jsonschema.validate(json.loads(call.arguments), tool["parameters"])
    result = {"type": "function_call_output", "call_id": call.call_id, "output": "22 degrees and sunny"}
    second = client.responses.create(model="smollm2", temperature=0, max_output_tokens=24,
                                     input=[ask, call.model_dump(exclude_none=True), result])
    assert second.status == "completed" and second.output_text.strip()
