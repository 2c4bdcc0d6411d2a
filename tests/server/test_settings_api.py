"""Settings the server reads once at start-up reach the request path: OLLAMA_CONTEXT_LENGTH sizes a runner
whose request and model leave num_ctx unset; OLLAMA_NOPRUNE keeps unreferenced blobs, at start-up and when a
model is overwritten."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from model_upload import create_from_gguf

pytestmark = pytest.mark.timeout(120)


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_context_length_is_the_num_ctx_nothing_else_sets(server_factory: Any, tiny_llama: Path) -> None:
    srv = server_factory({"OLLAMA_CONTEXT_LENGTH": "1024", "OLLAMA_NUM_PARALLEL": "1"})
    with srv.client(timeout=60) as c:
        create_from_gguf(c, "tiny", tiny_llama)  # trained context 2048
        for options, num_ctx in (({}, 1024), ({"num_ctx": 512}, 512), ({"num_ctx": 0}, 1024)):
            r = c.post("/api/generate", json={"model": "tiny", "prompt": "", "stream": False, "options": options})
            assert r.status_code == 200 and r.json()["done_reason"] == "load", r.text
            [loaded] = c.get("/api/ps").json()["models"]
            assert loaded["context_length"] == num_ctx, options


@pytest.mark.parametrize("noprune", ["1", ""])
def test_noprune_keeps_unreferenced_blobs(server_factory: Any, tmp_path: Path, tiny_llama: Path,
                                          noprune: str) -> None:
    models = tmp_path / "models"
    orphan = models / "blobs" / sha(b"orphan").replace(":", "-")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"orphan")
    srv = server_factory({"OLLAMA_NOPRUNE": noprune}, models)
    assert orphan.exists() is bool(noprune)  # the start-up prune
    with srv.client(timeout=60) as c:
        create_from_gguf(c, "tiny", tiny_llama, system="first")
        create_from_gguf(c, "tiny", tiny_llama, system="second")  # the first system layer is unused now
    assert (models / "blobs" / sha(b"first").replace(":", "-")).exists() is bool(noprune)
