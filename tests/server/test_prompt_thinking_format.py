"""Structured output with thinking, over HTTP: the thinking runs unconstrained, then the answer follows the
schema. The model is a GGUF whose weights are a hand-made chain (one token determines the next), so it always
thinks "Thinking plan Done" and then leaves every choice to the grammar: whatever follows the closing tag
must come from the grammar, and the thinking could not have been produced under it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import numpy as np
import pytest
from fixtures.tiny_gguf import finish_gguf, llama_writer, smollm2_tokenizer
from model_upload import create_from_gguf
from server_proc import ServerFactory

OPEN, WORD, CLOSE = "Thinking", " plan", "Done"  # single tokens of SmolLM2's vocabulary
TEMPLATE = ('{{- range .Messages }}{{ if eq .Role "user" }}Q: {{ .Content }}\n'
            '{{ else if eq .Role "assistant" }}{{ if .Thinking }}' + OPEN + '{{ .Thinking }}' + CLOSE + '{{ end }}'
            '{{ .Content }}\n{{ end }}{{ end }}<|im_start|>')
SCHEMA = {"type": "object", "required": ["name", "age", "ok"], "additionalProperties": False, "properties": {
    "name": {"type": "string", "maxLength": 8}, "age": {"type": "integer", "minimum": 0, "maximum": 120},
    "ok": {"type": "boolean"}}}


def make_chain_model(path: Path, n_embd: int = 64) -> Path:
    """A one-layer llama whose layers add nothing: the logits depend on the last token only. The prompt's
    last token (<|im_start|>) leads to OPEN, OPEN to WORD, WORD to CLOSE; after CLOSE all logits are equal."""
    tok = smollm2_tokenizer()
    ids = {t: i for i, t in enumerate(tok.tokens)}
    chain = [ids[b"<|im_start|>"]] + [ids[t.replace(" ", "\u0120").encode()] for t in (OPEN, WORD, CLOSE)]
    n_vocab = len(tok.tokens)
    embd = np.zeros((n_vocab, n_embd), np.float32)
    out = np.zeros((n_vocab, n_embd), np.float32)
    for i, (a, b) in enumerate(zip(chain, chain[1:], strict=False)):
        embd[a, i] = 1.0
        out[b, i] = 10.0  # after the norm the logit is 80: the successor is certain at any temperature

    w = llama_writer(path, name="chain", n_embd=n_embd, n_layer=1, n_ff=n_embd, n_head=4, ctx=512)
    w.add_tensor("token_embd.weight", embd)
    w.add_tensor("output_norm.weight", np.ones(n_embd, np.float32))
    w.add_tensor("output.weight", out)
    zero = np.zeros((n_embd, n_embd), np.float32)
    w.add_tensor("blk.0.attn_norm.weight", np.ones(n_embd, np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"):
        w.add_tensor(f"blk.0.{name}.weight", zero)
    w.add_tensor("blk.0.ffn_norm.weight", np.ones(n_embd, np.float32))
    finish_gguf(w)
    return path


@pytest.fixture(scope="module")
def http(module_server: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    gguf_path = make_chain_model(tmp_path_factory.mktemp("chain") / "chain.gguf")
    with module_server().client() as client:
        create_from_gguf(client, "chain", gguf_path, template=TEMPLATE)
        yield client


def lines(r: httpx.Response) -> list[dict[str, object]]:
    assert r.status_code == 200, r.text
    return [json.loads(x) for x in r.text.splitlines() if x.strip()]


def test_the_model_thinks_and_the_server_knows_it(http: httpx.Client) -> None:
    caps = http.post("/api/show", json={"model": "chain"}).json()["capabilities"]
    assert "thinking" in caps
    r = http.post("/api/chat", json={"model": "chain", "think": True, "stream": False,
                                     "options": {"num_predict": 10, "temperature": 0},
                                     "messages": [{"role": "user", "content": "Who?"}]})
    assert r.status_code == 200, r.text
    message = r.json()["message"]
    assert message["thinking"] == "plan" and message["content"]
    with pytest.raises((ValueError, jsonschema.ValidationError)):  # unconstrained, the answer is no object
        jsonschema.validate(json.loads(message["content"]), SCHEMA)


@pytest.mark.parametrize("options", [{"temperature": 0}, {"temperature": 1, "seed": 1}, {"temperature": 1, "seed": 2}])
def test_chat_thinks_freely_then_answers_in_the_schema(http: httpx.Client, options: dict[str, object]) -> None:
    body = {"model": "chain", "think": True, "format": SCHEMA, "options": {**options, "num_predict": 120},
            "messages": [{"role": "user", "content": "Who?"}]}
    r = http.post("/api/chat", json={**body, "stream": False})
    assert r.status_code == 200, r.text
    message = r.json()["message"]
    assert message["thinking"] == "plan"
    jsonschema.validate(json.loads(message["content"]), SCHEMA)
    assert r.json()["done_reason"] == "stop"

    chunks = lines(http.post("/api/chat", json={**body, "stream": True}))
    kinds = ["thinking" if c["message"].get("thinking") else "content"  # type: ignore[union-attr]
             for c in chunks[:-1] if c["message"].get("thinking") or c["message"].get("content")]  # type: ignore[union-attr]
    assert kinds[0] == "thinking" and "thinking" not in kinds[kinds.index("content"):]
    assert "".join(c["message"].get("content", "") for c in chunks) == message["content"]  # type: ignore[union-attr]


def test_generate_thinks_freely_then_answers_in_the_schema(http: httpx.Client) -> None:
    body = {"model": "chain", "prompt": "Who?", "think": True, "format": SCHEMA,
            "options": {"temperature": 1, "seed": 3, "num_predict": 120}}
    r = http.post("/api/generate", json={**body, "stream": False})
    assert r.status_code == 200, r.text
    assert r.json()["thinking"] == "plan"
    jsonschema.validate(json.loads(r.json()["response"]), SCHEMA)
    chunks = lines(http.post("/api/generate", json={**body, "stream": True}))
    assert "".join(str(c.get("thinking", "")) for c in chunks) == "plan"
    jsonschema.validate(json.loads("".join(str(c.get("response", "")) for c in chunks)), SCHEMA)


def test_without_thinking_the_grammar_holds_from_the_first_token(http: httpx.Client) -> None:
    r = http.post("/api/chat", json={"model": "chain", "think": False, "format": SCHEMA, "stream": False,
                                     "options": {"temperature": 1, "seed": 4, "num_predict": 120},
                                     "messages": [{"role": "user", "content": "Who?"}]})
    assert r.status_code == 200, r.text
    assert "thinking" not in r.json()["message"]
    jsonschema.validate(json.loads(r.json()["message"]["content"]), SCHEMA)
