"""RENDERER / PARSER in the store: kept in the config blob from /api/create and a Modelfile, shown by
/api/show and `show --modelfile`, inherited through FROM, capabilities from the parser, unknown names 400."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from model_upload import create_from_gguf
from server_proc import Server


@pytest.fixture(scope="module")
def http(module_server, tiny_llama: Path) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    s: Server = module_server(None, {"tiny": tiny_llama})
    with s.client() as c:
        yield c


def show(http: httpx.Client, name: str) -> dict:  # type: ignore[type-arg]
    r = http.post("/api/show", json={"model": name})
    assert r.status_code == 200, r.text
    return r.json()


def test_create_fields_are_kept_shown_and_set_capabilities(http: httpx.Client, tiny_llama: Path) -> None:
    create_from_gguf(http, "q35", tiny_llama, renderer="qwen3.5", parser="qwen3.5")
    body = show(http, "q35")
    assert body["renderer"] == "qwen3.5" and body["parser"] == "qwen3.5"
    assert body["capabilities"] == ["completion", "thinking", "tools"]  # the qwen3.5 parser's support
    assert "\nRENDERER qwen3.5\nPARSER qwen3.5\n" in body["modelfile"]
    plain = show(http, "tiny")
    assert "renderer" not in plain and "parser" not in plain and "RENDERER" not in plain["modelfile"]


def test_the_parser_decides_tools_and_thinking(http: httpx.Client, tiny_llama: Path) -> None:
    create_from_gguf(http, "instruct", tiny_llama, renderer="qwen3-vl-instruct", parser="qwen3-vl-instruct")
    assert show(http, "instruct")["capabilities"] == ["completion", "tools"]
    create_from_gguf(http, "rendered", tiny_llama, renderer="qwen3-coder")  # no parser: neither
    assert show(http, "rendered")["capabilities"] == ["completion"]


def test_a_modelfile_sets_them_and_from_inherits_them(http: httpx.Client, tiny_llama: Path) -> None:
    create_from_gguf(http, "base", tiny_llama)
    r = http.post("/api/create", json={"model": "mf", "stream": False,
                                       "modelfile": "FROM base\nRENDERER gemma4\nPARSER gemma4\n"})
    assert r.status_code == 200, r.text
    r = http.post("/api/create", json={"model": "child", "from": "mf", "system": "Be brief.", "stream": False})
    assert r.status_code == 200, r.text
    body = show(http, "child")
    assert (body["renderer"], body["parser"]) == ("gemma4", "gemma4")
    r = http.post("/api/create", json={"model": "other", "from": "mf", "parser": "passthrough", "stream": False})
    assert r.status_code == 200, r.text
    body = show(http, "other")
    assert (body["renderer"], body["parser"]) == ("gemma4", "passthrough")


@pytest.mark.parametrize("field", ["renderer", "parser"])
def test_an_unknown_name_is_a_400_and_creates_nothing(http: httpx.Client, tiny_llama: Path, field: str) -> None:
    r = http.post("/api/create", json={"model": "bad", "from": "tiny", field: "no-such", "stream": False})
    assert r.status_code == 400 and r.json() == {"error": f'unknown {field} "no-such"'}
    assert http.post("/api/show", json={"model": "bad"}).status_code == 404
