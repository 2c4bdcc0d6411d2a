"""End to end on real models: SmolLM2-135M-Instruct (chat) and all-MiniLM-L6-v2 (embeddings)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from model_upload import upload_blob
from server_proc import Server, ServerFactory


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, smollm2: Path, minilm: Path) -> Server:
    s = module_server(models={"smollm2:135m": smollm2})
    with s.client() as http:
        files = {p.relative_to(minilm).as_posix(): upload_blob(http, p) for p in sorted(minilm.rglob("*"))
                 if p.is_file() and p.suffix in {".json", ".safetensors", ".txt"}}
        r = http.post("/api/create", json={"model": "all-minilm", "files": files, "stream": False})
        assert r.status_code == 200, r.text
    return s


@pytest.fixture()
def http(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(timeout=300) as c:
        yield c


def test_smollm2_knows_the_capital_of_france(http: httpx.Client) -> None:
    r = http.post("/api/chat", json={"model": "smollm2:135m", "stream": False, "options": {"temperature": 0},
                                     "messages": [{"role": "user", "content": "What is the capital of France?"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "Paris" in body["message"]["content"]
    assert body["done_reason"] == "stop" and body["eval_count"] > 0


def test_next_chat_turn_reuses_the_cache(http: httpx.Client) -> None:
    messages = [{"role": "user", "content": "Name a color."}]
    first = http.post("/api/chat", json={"model": "smollm2:135m", "stream": False, "messages": messages,
                                         "options": {"temperature": 0, "num_predict": 8}}).json()
    messages += [first["message"], {"role": "user", "content": "Another one."}]
    second = http.post("/api/chat", json={"model": "smollm2:135m", "stream": False, "messages": messages,
                                          "options": {"temperature": 0, "num_predict": 8}}).json()
    assert second["prompt_eval_count"] < first["prompt_eval_count"] + first["eval_count"]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_minilm_embeddings(http: httpx.Client) -> None:
    show = http.post("/api/show", json={"model": "all-minilm"}).json()
    assert show["capabilities"] == ["embedding"]
    assert show["model_info"]["general.architecture"] == "bert"
    r = http.post("/api/embed", json={"model": "all-minilm", "input": ["cat", "kitten", "car"]})
    assert r.status_code == 200, r.text
    body = r.json()
    cat, kitten, car = body["embeddings"]
    assert len(cat) == 384
    assert abs(math.sqrt(sum(x * x for x in cat)) - 1) < 1e-4  # L2-normalized
    assert cosine(cat, kitten) > cosine(cat, car)
    assert body["prompt_eval_count"] >= 3 and body["total_duration"] > 0
    one = http.post("/api/embed", json={"model": "all-minilm", "input": "cat"}).json()["embeddings"]
    assert len(one) == 1 and cosine(one[0], cat) > 0.9999
    legacy = http.post("/api/embeddings", json={"model": "all-minilm", "prompt": "cat"}).json()["embedding"]
    assert cosine(legacy, cat) > 0.9999
    assert abs(math.sqrt(sum(x * x for x in legacy)) - 1) > 1e-3  # not normalized
    dims = http.post("/api/embed", json={"model": "all-minilm", "input": "cat", "dimensions": 64}).json()
    assert len(dims["embeddings"][0]) == 64


def test_embedding_truncation(http: httpx.Client) -> None:
    long = "word " * 2000
    r = http.post("/api/embed", json={"model": "all-minilm", "input": long, "truncate": False})
    assert r.status_code == 400 and "error" in r.json()
    r = http.post("/api/embed", json={"model": "all-minilm", "input": long})
    assert r.status_code == 200 and len(r.json()["embeddings"][0]) == 384


def test_embedding_model_cannot_generate(http: httpx.Client) -> None:
    r = http.post("/api/generate", json={"model": "all-minilm", "prompt": "hi"})
    assert r.status_code == 400 and r.json()["error"] == '"all-minilm" does not support generate'
