"""all-MiniLM-L6-v2 (sentence-transformers BERT) -> GGUF, checked in llama.cpp against a numpy BERT."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import numpy as np
import pytest
from convhelp import bert_forward
from safetensors.numpy import load_file

from pollama.convert import convert_safetensors, detect_architecture
from pollama.gguf import read_gguf


@pytest.fixture(scope="module")
def minilm_gguf(minilm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("minilm") / "minilm.gguf"
    seen: list[str] = []
    convert_safetensors(minilm, out, progress=seen.append)
    assert any("blk.5.layer_output_norm.weight" in s for s in seen)
    return out


@pytest.fixture(scope="module")
def model(minilm_gguf: Path) -> Iterator[llama_cpp.Llama]:
    m = llama_cpp.Llama(str(minilm_gguf), embedding=True, n_ctx=512, verbose=False,
                        pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN)
    yield m
    m.close()


def _unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    return a / np.linalg.norm(a)


def test_detect_architecture(minilm: Path) -> None:
    assert detect_architecture(minilm) == "bert"


def test_metadata_and_tensors(minilm_gguf: Path, minilm: Path) -> None:
    info = read_gguf(minilm_gguf, arrays=True)
    kv = info.kv
    assert kv["general.architecture"] == "bert"
    assert kv["general.file_type"] == 1
    assert (kv["bert.context_length"], kv["bert.embedding_length"], kv["bert.feed_forward_length"]) == (
        512, 384, 1536)
    assert (kv["bert.block_count"], kv["bert.attention.head_count"]) == (6, 12)
    assert kv["bert.attention.layer_norm_epsilon"] == pytest.approx(1e-12)
    assert kv["bert.attention.causal"] is False
    assert kv["bert.pooling_type"] == 1  # mean, from 1_Pooling/config.json
    assert kv["tokenizer.ggml.model"] == "bert"
    assert kv["tokenizer.ggml.token_type_count"] == 2
    vocab = (minilm / "vocab.txt").read_text(encoding="utf-8").splitlines()
    tokens, types = kv["tokenizer.ggml.tokens"], kv["tokenizer.ggml.token_type"]
    assert len(tokens) == len(vocab) == 30522
    # control tokens stay as they are, word starts gain U+2581, "##" continuations lose the marker
    assert tokens[101] == "[CLS]" and types[101] == 3
    assert tokens[vocab.index("cat")] == "\u2581cat" and types[vocab.index("cat")] == 1
    assert tokens[vocab.index("##ing")] == "ing"
    ids = {k: kv[f"tokenizer.ggml.{k}_token_id"] for k in ("cls", "seperator", "padding", "unknown", "mask")}
    assert ids == {"cls": 101, "seperator": 102, "padding": 0, "unknown": 100, "mask": 103}
    assert kv["tokenizer.ggml.bos_token_id"] == 101

    names = {name: ggml_type for name, _, ggml_type in info.tensors}
    per_layer = ["attn_q", "attn_k", "attn_v", "attn_output", "attn_output_norm", "ffn_up", "ffn_down",
                 "layer_output_norm"]
    expected = {f"{g}.{s}" for g in ("token_embd_norm",) for s in ("weight", "bias")}
    expected |= {"token_embd.weight", "token_types.weight", "position_embd.weight"}
    expected |= {f"blk.{i}.{t}.{s}" for i in range(6) for t in per_layer for s in ("weight", "bias")}
    assert set(names) == expected
    assert names["blk.0.attn_q.weight"] == 1 and names["token_embd.weight"] == 1  # F16
    assert names["blk.0.attn_q.bias"] == 0 and names["position_embd.weight"] == 0  # F32
    assert os.stat(minilm_gguf).st_mode & 0o044 == 0o044  # readable like any other blob


def test_wordpiece_tokenization_in_llama_cpp(model: llama_cpp.Llama, minilm: Path) -> None:
    vocab = (minilm / "vocab.txt").read_text(encoding="utf-8").splitlines()
    words = "the cat sat on the mat".split()
    assert model.tokenize(b"The cat sat on the mat") == [101, *(vocab.index(w) for w in words), 102]
    pieces = model.tokenize(b"unaffable", add_bos=False)
    assert [vocab[i] for i in pieces] == ["una", "##ffa", "##ble"]


def test_embeddings_are_semantic(model: llama_cpp.Llama) -> None:
    cat, kitten, car = (_unit(model.embed(w)) for w in ("cat", "kitten", "car"))
    assert cat @ kitten > cat @ car + 0.1


def test_matches_numpy_reference(model: llama_cpp.Llama, minilm: Path) -> None:
    weights = load_file(str(minilm / "model.safetensors"))
    config = json.loads((minilm / "config.json").read_text())
    for text in ("A man is playing a guitar on stage.", "pollama converts safetensors"):
        ids = model.tokenize(text.encode())
        ref = bert_forward(weights, config, ids)
        got = _unit(model.embed(text))
        assert got @ ref > 1 - 1e-3


def test_vocab_txt_only_and_q8_0(minilm: Path, tmp_path: Path, minilm_gguf: Path) -> None:
    """Without tokenizer.json the WordPiece vocab comes from vocab.txt; q8_0 output still embeds well."""
    src = tmp_path / "src"
    src.mkdir()
    for p in minilm.iterdir():
        if p.name != "tokenizer.json":
            (src / p.name).symlink_to(p)
    out = tmp_path / "q8.gguf"
    convert_safetensors(src, out, out_type="q8_0")
    kv = read_gguf(out, arrays=True, tensors=False).kv
    ref_kv = read_gguf(minilm_gguf, arrays=True, tensors=False).kv
    assert kv["tokenizer.ggml.tokens"] == ref_kv["tokenizer.ggml.tokens"]
    assert kv["tokenizer.ggml.token_type"] == ref_kv["tokenizer.ggml.token_type"]
    assert kv["tokenizer.ggml.seperator_token_id"] == 102 and kv["general.file_type"] == 7
    m = llama_cpp.Llama(str(out), embedding=True, n_ctx=128, verbose=False,
                        pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN)
    try:
        weights = load_file(str(minilm / "model.safetensors"))
        config = json.loads((minilm / "config.json").read_text())
        ids = m.tokenize(b"a quantized sentence")
        assert bert_forward(weights, config, ids) @ _unit(m.embed("a quantized sentence")) > 0.99
    finally:
        m.close()
