"""Two servers on one model store (the replicas' shared volume): while one of them pulls, creates, copies and
deletes models, the other one reads the store all along and never sees a half-written model, then runs what
the first one pulled."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fixtures.tiny_gguf import make_tiny_llama
from model_upload import create_from_gguf
from registry_harness import Registry, collect, make_model
from server_proc import Server, ServerFactory

from pollama.registry import push
from pollama.store import Store

pytestmark = pytest.mark.timeout(600)


@pytest.fixture()
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = Registry(tmp_path / "registry").start()
    yield reg
    reg.stop()


def _publish(registry: Registry, tmp_path: Path, names: list[str]) -> None:
    """Push a tiny model of its own (other weights each) to the registry under each name."""
    src = Store(tmp_path / "src")
    for seed, name in enumerate(names, 1):
        gguf = make_tiny_llama(tmp_path / f"src{seed}.gguf", seed=seed).read_bytes()
        parsed, _ = make_model(src, name, {"model": gguf})
        events = asyncio.run(collect(push(src, parsed, insecure=True)))
        assert events[-1] == {"status": "success"}


def _write(writer: Server, pulled: list[str], folder: Path, errors: list[str]) -> None:
    with writer.client() as http:
        for i, name in enumerate(pulled):
            r = http.post("/api/pull", json={"model": name, "insecure": True, "stream": False})
            if r.status_code != 200:
                errors.append(f"pull {name}: {r.text}")
            create_from_gguf(http, f"made{i}", make_tiny_llama(folder / f"made{i}.gguf", seed=10 + i))
            for op, body in (("copy", {"source": "alpha", "destination": f"copy{i}"}),
                             ("delete", {"model": f"copy{i - 1}"} if i else None)):
                if body is not None:
                    r = http.request("DELETE" if op == "delete" else "POST", f"/api/{op}", json=body)
                    if r.status_code != 200:
                        errors.append(f"{op}: {r.text}")


def _read(reader: Server, stop: threading.Event, errors: list[str]) -> int:
    """Read the store until told to stop: tags, then every model listed (a 404 only for one deleted meanwhile),
    and a chat now and then. Returns how many reads were made."""
    reads = 0
    with reader.client() as http:
        while not stop.is_set():
            tags = http.get("/api/tags")
            if tags.status_code != 200:
                errors.append(f"tags: {tags.text}")
                continue
            for model in tags.json()["models"]:
                show = http.post("/api/show", json={"model": model["name"]})
                reads += 1
                ok = show.status_code == 200 and show.json()["details"]["format"] == "gguf"
                if not ok and not (show.status_code == 404 and model["name"].startswith("copy")):
                    errors.append(f"show {model['name']}: {show.status_code} {show.text}")
            if reads % 5 == 0:
                chat = http.post("/api/generate", json={"model": "alpha", "prompt": "Hi", "stream": False,
                                                        "options": {"num_predict": 2}})
                if chat.status_code != 200:
                    errors.append(f"generate: {chat.text}")
    return reads


def test_readers_are_safe_while_a_writer_pulls_and_creates(server_factory: ServerFactory, registry: Registry,
                                                           tiny_llama: Path, tmp_path: Path) -> None:
    pulled = [f"{registry.host}/test/m{i}:latest" for i in range(2)]
    _publish(registry, tmp_path, pulled)
    store = tmp_path / "shared"
    writer = server_factory(None, store)
    with writer.client() as http:
        create_from_gguf(http, "alpha", tiny_llama)
    reader = server_factory({"OLLAMA_NOPRUNE": "1"}, store)

    errors: list[str] = []
    stop = threading.Event()
    reads: list[int] = []
    thread = threading.Thread(target=lambda: reads.append(_read(reader, stop, errors)), daemon=True)
    thread.start()
    _write(writer, pulled, tmp_path, errors)
    stop.set()
    thread.join(120)
    assert not thread.is_alive() and reads[0] > 0
    assert errors == []

    listed = {m["name"] for m in httpx.get(reader.url + "/api/tags", timeout=30).json()["models"]}
    assert listed == {"alpha:latest", "made0:latest", "made1:latest", "copy1:latest", *pulled}
    with reader.client() as http:  # the reader runs a model the writer pulled
        r = http.post("/api/generate", json={"model": pulled[1], "prompt": "Hi", "stream": False,
                                             "options": {"num_predict": 2}})
        assert r.status_code == 200, r.text
    assert not list((store / "blobs").glob(".incoming-*"))
