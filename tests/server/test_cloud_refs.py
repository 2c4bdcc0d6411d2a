"""Ollama's source suffixes on model names: `:local` names the local model, a cloud reference (`:cloud`,
`:tag-cloud`) gets Ollama's answer with its cloud disabled (pollama has no cloud), on every surface."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_proc import Server, ServerFactory

from pollama.api.errors import APIError
from pollama.inference.modelref import local_reference

DISABLED = "ollama cloud is disabled: remote model is unavailable"
HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(("raw", "local"), [("smollm2", "smollm2"), ("smollm2:local", "smollm2"),
                                            ("smollm2:135m:LOCAL", "smollm2:135m"),
                                            ("host:5000/ns/m-cloud", "host:5000/ns/m-cloud"),
                                            ("host:5000/ns/m", "host:5000/ns/m")])
def test_local_references(raw: str, local: str) -> None:
    assert local_reference(raw) == local


@pytest.mark.parametrize(("raw", "status"), [("gpt-oss:cloud", 403), ("gpt-oss:120b-cloud", 403),
                                             ("qwen3: Cloud", 403), ("m:cloud:local", 400), ("m:local:cloud", 400)])
def test_cloud_references_are_refused(raw: str, status: int) -> None:
    with pytest.raises(APIError) as err:
        local_reference(raw)
    assert err.value.status == status


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, tiny_llama: Path) -> Server:
    return module_server({}, {"tiny": tiny_llama})


def test_over_http(srv: Server) -> None:
    short = {"num_predict": 2}
    with srv.client() as c:
        r = c.post("/api/chat", json={"model": "tiny:cloud", "messages": HI, "stream": False})
        assert (r.status_code, r.json()) == (403, {"error": DISABLED})
        r = c.post("/v1/chat/completions", json={"model": "tiny:latest-cloud", "messages": HI})
        assert r.status_code == 403 and r.json()["error"]["message"] == DISABLED
        r = c.post("/api/generate", json={"model": "tiny:cloud:local", "prompt": "x", "stream": False})
        assert (r.status_code, r.json()) == (400, {"error": 'use either :local or :cloud, not both: "tiny:cloud:local"'})
        r = c.post("/api/chat", json={"model": "tiny:local", "messages": HI, "stream": False, "options": short})
        assert r.status_code == 200 and r.json()["model"] == "tiny:latest", r.text  # the local model
