"""Real models through the official clients: SmolLM2-135M-Instruct and all-MiniLM-L6-v2 (created from its
safetensors with the `ollama` client's create_blob + create)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import anthropic
import jsonschema
import ollama
import openai
import pytest
from server_proc import Server

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(scope="module")
def real_url(tmp_path_factory: pytest.TempPathFactory, smollm2: Path, minilm: Path) -> Iterator[str]:
    with Server(tmp_path_factory.mktemp("real-compat") / "models") as srv:
        client = ollama.Client(host=srv.url, timeout=300)
        assert client.create(model="smollm2", files={"smol.gguf": client.create_blob(smollm2)}).status == "success"
        files = {p.relative_to(minilm).as_posix(): client.create_blob(p) for p in sorted(minilm.rglob("*"))
                 if p.is_file() and p.suffix in {".json", ".safetensors", ".txt"}}
        assert client.create(model="all-minilm", files=files).status == "success"
        yield srv.url


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_openai_chat_and_forced_tool(real_url: str) -> None:
    with openai.OpenAI(base_url=real_url + "/v1", api_key="x", max_retries=0, timeout=300) as client:
        out = client.chat.completions.create(model="smollm2", messages=QUESTION, temperature=0, max_tokens=40)
        assert "Paris" in out.choices[0].message.content
        streamed = client.chat.completions.create(model="smollm2", messages=QUESTION, temperature=0, max_tokens=40,
                                                  stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in streamed) == out.choices[0].message.content
        params = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 40}},
                  "required": ["city"]}
        tool = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                                 "parameters": params}}
        call = client.chat.completions.create(
            model="smollm2", temperature=0, max_tokens=60, tools=[tool], tool_choice="required",
            messages=[{"role": "user", "content": "What is the weather in Paris?"}]).choices[0].message.tool_calls[0]
        assert call.function.name == "get_weather"
        jsonschema.validate(json.loads(call.function.arguments), params)


def test_openai_embeddings_are_semantic(real_url: str) -> None:
    with openai.OpenAI(base_url=real_url + "/v1", api_key="x", max_retries=0, timeout=300) as client:
        out = client.embeddings.create(model="all-minilm", input=["cat", "kitten", "stock market"])
        cat, kitten, stocks = (d.embedding for d in out.data)
        assert len(cat) == 384 and cosine(cat, kitten) > cosine(cat, stocks) + 0.2
        ids = client.embeddings.create(model="all-minilm", input=[7592, 2088], encoding_format="float")
        text = client.embeddings.create(model="all-minilm", input="hello world", encoding_format="float")
        assert cosine(ids.data[0].embedding, text.data[0].embedding) > 0.999


def test_anthropic_stream(real_url: str) -> None:
    with anthropic.Anthropic(base_url=real_url, api_key="x", max_retries=0, timeout=300) as client:
        with client.messages.stream(model="smollm2", max_tokens=40, messages=QUESTION,
                                    extra_body={"temperature": 0}) as stream:
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        assert "Paris" in text and final.content[0].text == text
        # greedy SmolLM2 may ramble past 40 tokens: the stop reason must say which way it ended
        assert final.stop_reason == ("max_tokens" if final.usage.output_tokens == 40 else "end_turn")
