"""The official `ollama` Python client (sync `Client` and `AsyncClient`): every function, stream on and off."""

from __future__ import annotations

import asyncio
import math
import socket
from pathlib import Path

import ollama
import pytest
from registry_harness import Registry

GREEDY = {"temperature": 0, "num_predict": 8, "seed": 3}


@pytest.fixture()
def client(base_url: str) -> ollama.Client:
    return ollama.Client(host=base_url, timeout=120)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chat(client: ollama.Client) -> None:
    messages = [{"role": "user", "content": "Hello"}]
    out = client.chat(model="tiny", messages=messages, options=GREEDY)
    assert isinstance(out, ollama.ChatResponse) and out.done
    assert out.done_reason == "length" and out.eval_count == GREEDY["num_predict"]  # random weights: no EOS
    assert out.message.role == "assistant" and out.message.content
    assert out.eval_count and out.prompt_eval_count and out.total_duration
    parts = list(client.chat(model="tiny", messages=messages, options=GREEDY, stream=True))
    assert "".join(p.message.content for p in parts) == out.message.content
    assert parts[-1].done and not any(p.done for p in parts[:-1])


def test_chat_tools_and_format(client: ollama.Client) -> None:
    def get_weather(city: str) -> str:
        """Weather for a city.

        Args:
          city: the city
        """
        return "sunny"

    out = client.chat(model="tiny-tools", messages=[{"role": "user", "content": "Weather?"}],
                      tools=[get_weather], options=GREEDY)
    assert out.done and isinstance(out.message.content, str)
    fmt = client.chat(model="tiny", messages=[{"role": "user", "content": "json"}], format="json",
                      options={**GREEDY, "num_predict": 30})
    assert fmt.message.content.lstrip().startswith("{")


def test_generate(client: ollama.Client) -> None:
    out = client.generate(model="tiny", prompt="Once upon a time", options=GREEDY)
    assert isinstance(out, ollama.GenerateResponse) and out.done and out.response
    assert out.context
    parts = list(client.generate(model="tiny", prompt="Once upon a time", options=GREEDY, stream=True))
    assert "".join(p.response for p in parts) == out.response and parts[-1].done
    raw = client.generate(model="tiny", prompt="abc", raw=True, options=GREEDY)
    assert raw.response and not raw.context


def test_embed_and_embeddings(client: ollama.Client) -> None:
    out = client.embed(model="tinybert", input=["hello world", "goodbye"])
    assert isinstance(out, ollama.EmbedResponse) and len(out.embeddings) == 2
    assert math.isclose(sum(x * x for x in out.embeddings[0]), 1.0, rel_tol=1e-4)
    assert out.prompt_eval_count and out.prompt_eval_count > 0
    single = client.embed(model="tinybert", input="hello world")
    assert single.embeddings[0] == pytest.approx(out.embeddings[0], abs=1e-5)
    legacy = client.embeddings(model="tinybert", prompt="hello world")
    norm = math.sqrt(sum(x * x for x in legacy.embedding))
    assert [x / norm for x in legacy.embedding] == pytest.approx(out.embeddings[0], abs=1e-4)


def test_list_show_ps(client: ollama.Client) -> None:
    names = {m.model for m in client.list().models}
    assert {"tiny:latest", "tinybert:latest"} <= names
    info = client.show("tiny")
    assert info.details.format == "gguf" and info.modelinfo["general.architecture"] == "llama"
    assert "completion" in info.capabilities
    client.generate(model="tiny", prompt="x", options={"num_predict": 1})
    running = client.ps().models
    assert any(m.model == "tiny:latest" and m.size > 0 and m.expires_at for m in running)


def test_create_copy_delete(client: ollama.Client, gguf_files: dict[str, Path]) -> None:
    digest = client.create_blob(gguf_files["tiny"])
    assert digest.startswith("sha256:")
    done = client.create(model="made-here", files={"tiny.gguf": digest}, system="You are a pirate.",
                         parameters={"temperature": 0.5})
    assert done.status == "success"
    steps = list(client.create(model="made-too", from_="made-here", system="Arr.", stream=True))
    assert steps[-1].status == "success"
    shown = client.show("made-here")
    assert "You are a pirate." in shown.modelfile and shown.parameters and "temperature" in shown.parameters
    assert client.copy("made-here", "made-copy").status == "success"
    assert "You are a pirate." in client.show("made-copy").modelfile
    for name in ("made-here", "made-too", "made-copy"):
        assert client.delete(name).status == "success"
    with pytest.raises(ollama.ResponseError) as e:
        client.show("made-here")
    assert e.value.status_code == 404
    with pytest.raises(ollama.ResponseError) as e:
        client.delete("made-here")
    assert e.value.status_code == 404


def test_pull_and_push_unreachable_registry(client: ollama.Client) -> None:
    registry = f"127.0.0.1:{closed_port()}/library/nothing:latest"
    with pytest.raises(ollama.ResponseError) as e:
        client.pull(registry, insecure=True)
    assert e.value.error
    with pytest.raises(ollama.ResponseError):
        list(client.pull(registry, insecure=True, stream=True))
    assert client.copy("tiny", registry).status == "success"
    with pytest.raises(ollama.ResponseError):
        client.push(registry, insecure=True)
    with pytest.raises(ollama.ResponseError):
        list(client.push(registry, insecure=True, stream=True))
    client.delete(registry)


def test_push_and_pull_through_a_real_registry(client: ollama.Client, base_url: str, tmp_path: Path) -> None:
    registry = Registry(tmp_path / "registry").start()
    try:
        name = f"{registry.host}/library/tiny-pushed:latest"
        assert client.copy("tiny", name).status == "success"
        steps = list(client.push(name, insecure=True, stream=True))
        assert steps[-1].status == "success"
        assert client.delete(name).status == "success"
        assert client.pull(name, insecure=True).status == "success"
        assert name in {m.model for m in client.list().models}
        assert client.show(name).details.family == client.show("tiny").details.family

        async def again() -> list[str]:
            aclient = ollama.AsyncClient(host=base_url, timeout=120)
            return [p.status async for p in await aclient.pull(name, insecure=True, stream=True)]

        assert asyncio.run(again())[-1] == "success"

        async def push_again() -> tuple[str, list[str]]:
            aclient = ollama.AsyncClient(host=base_url, timeout=120)
            whole = await aclient.push(name, insecure=True)
            return whole.status, [p.status async for p in await aclient.push(name, insecure=True, stream=True)]

        status, steps = asyncio.run(push_again())
        assert status == "success" and steps[-1] == "success"
        client.delete(name)
    finally:
        registry.stop()


def test_errors(client: ollama.Client) -> None:
    with pytest.raises(ollama.ResponseError) as e:
        client.chat(model="missing", messages=[{"role": "user", "content": "x"}])
    assert e.value.status_code == 404
    with pytest.raises(ollama.ResponseError) as e:
        client.embed(model="tiny-nope", input="x")
    assert e.value.status_code == 404


def test_async_client(base_url: str) -> None:
    async def main() -> None:
        client = ollama.AsyncClient(host=base_url, timeout=120)
        chat = await client.chat(model="tiny", messages=[{"role": "user", "content": "Hello"}], options=GREEDY)
        parts = [p async for p in await client.chat(model="tiny", messages=[{"role": "user", "content": "Hello"}],
                                                    options=GREEDY, stream=True)]
        assert "".join(p.message.content for p in parts) == chat.message.content
        gen = await client.generate(model="tiny", prompt="Hi", options=GREEDY)
        gparts = [p async for p in await client.generate(model="tiny", prompt="Hi", options=GREEDY, stream=True)]
        assert "".join(p.response for p in gparts) == gen.response
        emb, many = await asyncio.gather(client.embed(model="tinybert", input="a"),
                                         client.embed(model="tinybert", input=["a", "b"]))
        assert emb.embeddings[0] == pytest.approx(many.embeddings[0], abs=1e-5)
        assert (await client.embeddings(model="tinybert", prompt="a")).embedding
        assert any(m.model == "tiny:latest" for m in (await client.list()).models)
        assert (await client.show("tiny")).details.family
        assert (await client.copy("tiny", "tiny-async")).status == "success"
        assert (await client.delete("tiny-async")).status == "success"
        assert "tinybert:latest" in {m.model for m in (await client.ps()).models}
        with pytest.raises(ollama.ResponseError):
            await client.pull(f"127.0.0.1:{closed_port()}/library/x", insecure=True)
        with pytest.raises(ollama.ResponseError):
            await client.push(f"127.0.0.1:{closed_port()}/library/x", insecure=True)

    asyncio.run(main())


def test_async_create_blob_create_and_push(base_url: str, gguf_files: dict[str, Path]) -> None:
    async def main() -> None:
        client = ollama.AsyncClient(host=base_url, timeout=120)
        digest = await client.create_blob(gguf_files["tiny"])
        assert digest.startswith("sha256:")
        done = await client.create(model="async-made", files={"tiny.gguf": digest}, system="Be a cat.")
        assert done.status == "success"
        steps = [p.status async for p in await client.create(model="async-too", from_="async-made",
                                                             parameters={"top_k": 7}, stream=True)]
        assert steps[-1] == "success"
        shown = await client.show("async-too")
        assert "Be a cat." in shown.modelfile and "top_k" in (shown.parameters or "")
        registry = f"127.0.0.1:{closed_port()}/library/async-made:latest"
        assert (await client.copy("async-made", registry)).status == "success"
        with pytest.raises(ollama.ResponseError):
            [p async for p in await client.push(registry, insecure=True, stream=True)]
        for name in ("async-made", "async-too", registry):
            assert (await client.delete(name)).status == "success"
        with pytest.raises(ollama.ResponseError) as e:
            await client.show("async-made")
        assert e.value.status_code == 404

    asyncio.run(main())
