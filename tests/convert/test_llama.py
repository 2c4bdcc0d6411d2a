"""Tiny random Llama-family checkpoints -> GGUF, logits in llama.cpp checked against a numpy forward pass."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llama_cpp
import numpy as np
import pytest
from convhelp import llama_forward, random_llama

from pollama.convert import convert_safetensors, detect_architecture
from pollama.convert.llama import llama3_rope_factors
from pollama.gguf import read_gguf

TEXT = b"Hello world, 123 cats! <|im_start|>"


def _logits(path: Path, text: bytes = TEXT) -> tuple[list[int], np.ndarray]:
    m = llama_cpp.Llama(str(path), logits_all=True, n_ctx=64, verbose=False)
    try:
        ids = m.tokenize(text, add_bos=False, special=True)
        m.eval(ids)
        return ids, np.array(m.scores[: len(ids)], dtype=np.float64)
    finally:
        m.close()


def _check(src: Path, weights: dict[str, np.ndarray], out: Path, rtol: float) -> None:
    ids, got = _logits(out)
    ref = llama_forward(weights, json.loads((src / "config.json").read_text()), ids)
    scale = np.abs(ref).max()
    assert scale > 1.0  # the random model must produce non-trivial logits
    assert np.abs(got - ref).max() < rtol * scale


@pytest.mark.parametrize(
    ("arch", "tied", "gguf_arch"),
    [
        ("LlamaForCausalLM", False, "llama"),
        ("LlamaForCausalLM", True, "llama"),
        ("MistralForCausalLM", False, "llama"),
        ("Qwen2ForCausalLM", True, "qwen2"),
        ("Qwen3ForCausalLM", True, "qwen3"),
    ],
)
def test_logits_match_reference(tmp_path: Path, with_smol_tokenizer: Callable[[Path], dict[str, Any]],
                                arch: str, tied: bool, gguf_arch: str) -> None:
    info = with_smol_tokenizer(tmp_path)
    weights = random_llama(tmp_path, info["n_vocab"], arch=arch, tied=tied)
    assert detect_architecture(tmp_path) == gguf_arch
    out = tmp_path / "model.gguf"
    convert_safetensors(tmp_path, out, out_type="f32")
    names = {n for n, _, _ in read_gguf(out).tensors}
    assert ("output.weight" in names) is not tied  # tied embeddings: llama.cpp reuses token_embd
    _check(tmp_path, weights, out, rtol=2e-3)


def test_metadata_and_tokenizer(tmp_path: Path, smollm2: Path,
                                with_smol_tokenizer: Callable[[Path], dict[str, Any]]) -> None:
    info = with_smol_tokenizer(tmp_path)
    random_llama(tmp_path, info["n_vocab"], n_head=4, n_kv=2, hidden=64, ffn=96, n_layer=2)
    out = tmp_path / "model.gguf"
    convert_safetensors(tmp_path, out)
    g = read_gguf(out, arrays=True)
    kv = g.kv
    assert kv["general.architecture"] == "llama" and kv["general.file_type"] == 1
    assert (kv["llama.embedding_length"], kv["llama.feed_forward_length"], kv["llama.block_count"]) == (64, 96, 2)
    assert (kv["llama.attention.head_count"], kv["llama.attention.head_count_kv"]) == (4, 2)
    assert kv["llama.rope.dimension_count"] == 16 and kv["llama.rope.freq_base"] == 10000.0
    assert kv["llama.attention.layer_norm_rms_epsilon"] == pytest.approx(1e-5)
    assert kv["llama.context_length"] == 2048 and kv["llama.vocab_size"] == info["n_vocab"]
    assert kv["tokenizer.ggml.model"] == "gpt2" and kv["tokenizer.ggml.pre"] == "smollm"
    assert len(kv["tokenizer.ggml.merges"]) == info["merges"]
    assert (kv["tokenizer.ggml.bos_token_id"], kv["tokenizer.ggml.eos_token_id"]) == (1, 2)
    assert kv["tokenizer.ggml.unknown_token_id"] == 0 and kv["tokenizer.ggml.padding_token_id"] == 2
    assert kv["tokenizer.chat_template"] == info["template"]
    types = {t for n, _, t in g.tensors if n.endswith("_norm.weight")} | {
        t for n, _, t in g.tensors if n == "blk.0.attn_q.weight"}
    assert types == {0, 1}  # norms F32, matrices F16

    # the rebuilt tokenizer tokenizes exactly like SmolLM2's own GGUF in llama.cpp
    ours = llama_cpp.Llama(str(out), vocab_only=True, verbose=False)
    theirs = llama_cpp.Llama(str(smollm2), vocab_only=True, verbose=False)
    try:
        for text in ["Hello world", "  spaces\tand\nnewlines 2024!", "naïve café — 東京", "x<|im_end|>y"]:
            b = text.encode()
            assert ours.tokenize(b, add_bos=False, special=True) == theirs.tokenize(b, add_bos=False, special=True)
    finally:
        ours.close()
        theirs.close()


def test_bf16_sharded_checkpoint(tmp_path: Path, with_smol_tokenizer: Callable[[Path], dict[str, Any]]) -> None:
    """BF16 tensors spread over shards with an index; written as F16 and still close to the reference."""
    info = with_smol_tokenizer(tmp_path)
    weights = random_llama(tmp_path, info["n_vocab"], bf16=True, shards=3)
    assert len(list(tmp_path.glob("model-*.safetensors"))) == 3
    out = tmp_path / "model.gguf"
    convert_safetensors(tmp_path, out, out_type="f16")
    _check(tmp_path, weights, out, rtol=1e-2)
    out_bf16 = tmp_path / "bf16.gguf"
    convert_safetensors(tmp_path, out_bf16, out_type="bf16")
    assert read_gguf(out_bf16).kv["general.file_type"] == 32
    _check(tmp_path, weights, out_bf16, rtol=1e-2)  # bits copied as-is; llama.cpp multiplies in bf16


def test_llama3_rope_scaling(tmp_path: Path, with_smol_tokenizer: Callable[[Path], dict[str, Any]]) -> None:
    scaling = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 8192}
    info = with_smol_tokenizer(tmp_path)
    weights = random_llama(tmp_path, info["n_vocab"], rope_scaling=scaling)
    out = tmp_path / "model.gguf"
    convert_safetensors(tmp_path, out, out_type="f32")
    tensors = {n: (shape, t) for n, shape, t in read_gguf(out).tensors}
    assert tensors["rope_freqs.weight"] == ((8,), 0)
    factors = llama3_rope_factors(scaling, 10000.0, 16)
    assert factors[0] == 1.0 and factors[-1] == 8.0 and np.all(np.diff(factors) >= 0)
    _check(tmp_path, weights, out, rtol=2e-3)


def test_linear_rope_scaling_and_head_dim_keys(tmp_path: Path,
                                               with_smol_tokenizer: Callable[[Path], dict[str, Any]]) -> None:
    info = with_smol_tokenizer(tmp_path)
    random_llama(tmp_path, info["n_vocab"], rope_scaling={"type": "linear", "factor": 2.0}, rope_theta=5e5)
    out = tmp_path / "model.gguf"
    convert_safetensors(tmp_path, out)
    kv = read_gguf(out).kv
    assert kv["llama.rope.scaling.type"] == "linear" and kv["llama.rope.scaling.factor"] == 2.0
    assert kv["llama.rope.freq_base"] == 5e5
    assert "llama.attention.key_length" not in kv  # head_dim is hidden / heads
