"""/api/tokenize and /api/detokenize over HTTP: the ids are exactly llama.cpp's own tokenization of the same
text (pollama.runner.llama.Model, loaded in this process), on a tiny llama (SmolLM2's tokenizer, no BOS), a
tiny BERT (an embedding model; its tokenizer adds [CLS] ... [SEP]) and SmolLM2 itself."""

from __future__ import annotations

from pathlib import Path

import httpx
import llama_cpp as lc
import pytest
from fixtures.tiny_gguf import make_tiny_bert
from server_proc import Server, ServerFactory

from pollama.runner.llama import Model, setup_logging

MODELS = ("tiny", "bert", "smollm2")
TEXTS = ("Hello, world! ünïcödé 🦙 12345", "<|im_start|>user\nhi there<|im_end|>\n", "  two  spaces\tand\ttabs")


@pytest.fixture(scope="module")
def paths(tiny_llama: Path, smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"tiny": tiny_llama, "bert": make_tiny_bert(tmp_path_factory.mktemp("bert") / "bert.gguf"),
            "smollm2": smollm2}


@pytest.fixture(scope="module")
def srv(module_server: ServerFactory, paths: dict[str, Path]) -> Server:
    return module_server(models=paths)


@pytest.fixture(scope="module")
def llama(paths: dict[str, Path]) -> dict[str, Model]:
    setup_logging(False)
    return {name: Model(path) for name, path in paths.items()}


def tokenize(http: httpx.Client, model: str, content: str, **flags: bool) -> list[int]:
    r = http.post("/api/tokenize", json={"model": model, "content": content, **flags})
    assert r.status_code == 200, r.text
    assert r.json()["model"].startswith(model)
    return list(r.json()["tokens"])


def detokenize(http: httpx.Client, model: str, tokens: list[int]) -> str:
    r = http.post("/api/detokenize", json={"model": model, "tokens": tokens})
    assert r.status_code == 200, r.text
    return str(r.json()["content"])


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("add_special", [False, True])
@pytest.mark.parametrize("parse_special", [False, True])
def test_ids_are_llama_cpps_own(http: httpx.Client, llama: dict[str, Model], model: str, add_special: bool,
                                parse_special: bool) -> None:
    for text in TEXTS:
        want = llama[model].tokenize(text, add_special=add_special, parse_special=parse_special)
        got = tokenize(http, model, text, add_special=add_special, parse_special=parse_special)
        assert got == want and got


def test_defaults_parse_special_text_and_add_nothing(http: httpx.Client, llama: dict[str, Model]) -> None:
    text = TEXTS[1]
    assert tokenize(http, "smollm2", text) == llama["smollm2"].tokenize(text, add_special=False,
                                                                        parse_special=True)


def test_add_special_adds_bos(http: httpx.Client, llama: dict[str, Model]) -> None:
    bos = lc.llama_vocab_bos(llama["bert"].vocab)
    plain = tokenize(http, "bert", "hello world")
    special = tokenize(http, "bert", "hello world", add_special=True)
    assert bos not in plain and special[0] == bos and plain[0] in special


def test_parse_special_false_keeps_special_text_as_text(http: httpx.Client, llama: dict[str, Model]) -> None:
    im_start = llama["smollm2"].tokenize("<|im_start|>", add_special=False, parse_special=True)
    assert len(im_start) == 1
    parsed = tokenize(http, "smollm2", "<|im_start|>user", parse_special=True)
    literal = tokenize(http, "smollm2", "<|im_start|>user", parse_special=False)
    assert parsed[0] == im_start[0] and im_start[0] not in literal and len(literal) > len(parsed)
    assert detokenize(http, "smollm2", literal) == "<|im_start|>user"


@pytest.mark.parametrize("model", ["tiny", "smollm2"])
def test_detokenize_round_trips(http: httpx.Client, model: str) -> None:
    for text in TEXTS:
        assert detokenize(http, model, tokenize(http, model, text)) == text
    assert detokenize(http, model, []) == ""


def test_empty_content_is_no_tokens(http: httpx.Client) -> None:
    assert tokenize(http, "tiny", "") == []
    r = http.post("/api/tokenize", json={"model": "tiny"})
    assert r.status_code == 200 and r.json()["tokens"] == []


@pytest.mark.parametrize("tokens", [[-1], [10**6], [1, 2**40], [1.5], ["1"], [True], "12"])
def test_bad_token_ids_are_400(http: httpx.Client, llama: dict[str, Model], tokens: object) -> None:
    r = http.post("/api/detokenize", json={"model": "tiny", "tokens": tokens})
    assert r.status_code == 400, r.text
    assert set(r.json()) == {"error"}
    n_vocab = llama["tiny"].n_vocab
    assert detokenize(http, "tiny", [n_vocab - 1]) == llama["tiny"].detokenize([n_vocab - 1])


@pytest.mark.parametrize("path, body", [("/api/tokenize", {"content": "hi"}), ("/api/detokenize", {"tokens": [1]})])
def test_unknown_model_is_404_missing_model_400(http: httpx.Client, path: str, body: dict) -> None:
    r = http.post(path, json={"model": "nope", **body})
    assert r.status_code == 404 and "not found" in r.json()["error"]
    r = http.post(path, json=body)
    assert r.status_code == 400 and r.json() == {"error": "model is required"}
    r = http.post(path, json={"model": "tiny", **body, "options": {"num_ctx": "many"}})
    assert r.status_code == 400 and set(r.json()) == {"error"}
