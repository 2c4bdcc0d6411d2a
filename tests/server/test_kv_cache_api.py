"""OLLAMA_KV_CACHE_TYPE and OLLAMA_FLASH_ATTENTION over HTTP on SmolLM2: each server generates, /api/ps counts
the KV cache of the type the model got (q8_0 17/32 of f16, q4_0 9/32), the runner reports that llama.cpp made
that cache, and a type that cannot apply falls back to f16 with Ollama's warning (the other fallbacks:
tests/test_kv_cache.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from model_upload import create_from_gguf
from server_proc import Server, ServerFactory

from pollama.kvcache import cache_cells

# SmolLM2-135M: 30 layers x 3 KV heads x 64 values, K and V (pinned here, not taken from pollama.kvcache)
PER_TOKEN = {"f16": 5760 * 2 * 2, "q8_0": 5760 * 2 * 34 // 32, "q4_0": 5760 * 2 * 18 // 32}
NUM_CTX = 512
PROMPT = "What is the capital of France? Answer in one word."


@pytest.fixture(scope="module")
def store(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model store holding SmolLM2, shared (read only) by the module's servers."""
    models = tmp_path_factory.mktemp("kv") / "models"
    with Server(models) as s, s.client() as http:
        create_from_gguf(http, "smollm2", smollm2)
    return models


@pytest.mark.parametrize(("env", "cache", "warning"), [
    ({}, "f16", None),
    ({"OLLAMA_FLASH_ATTENTION": "1", "OLLAMA_KV_CACHE_TYPE": "q8_0"}, "q8_0", None),
    ({"OLLAMA_FLASH_ATTENTION": "true", "OLLAMA_KV_CACHE_TYPE": "Q4_0"}, "q4_0", None),
    ({"OLLAMA_FLASH_ATTENTION": "1", "OLLAMA_KV_CACHE_TYPE": "q5_1"}, "f16",
     "unsupported OLLAMA_KV_CACHE_TYPE type=q5_1"),
], ids=["default", "q8_0", "q4_0", "unsupported-type"])
def test_cache_type_reaches_llama_cpp_and_api_ps(server_factory: ServerFactory, store: Path, smollm2: Path,
                                                 env: dict[str, str], cache: str, warning: str | None) -> None:
    server = server_factory({"OLLAMA_NUM_PARALLEL": "1", **env}, models=store)
    with server.client() as http:
        r = http.post("/api/generate", json={"model": "smollm2", "prompt": PROMPT, "stream": False,
                                             "options": {"temperature": 0, "num_predict": 8, "num_ctx": NUM_CTX}})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["eval_count"] > 0 and any(c.isalpha() for c in body["response"]), body
        (loaded,) = http.get("/api/ps").json()["models"]
    kv = loaded["size"] - smollm2.stat().st_size
    assert kv == PER_TOKEN[cache] * cache_cells(NUM_CTX), (kv, cache)
    assert loaded["size_vram"] == 0
    logs = server.logs()
    assert f"KV cache K {cache} V {cache}" in logs  # what llama.cpp made, as the runner reported it
    if warning is None:
        assert "OLLAMA_KV_CACHE_TYPE" not in logs
    else:
        assert warning in logs
