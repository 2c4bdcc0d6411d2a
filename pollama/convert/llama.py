"""Llama-family decoders -> GGUF: Llama and Mistral ("llama"), Qwen2 ("qwen2"), Qwen3 ("qwen3").

Hugging Face stores Llama's Q/K projections for "rotate half" RoPE; llama.cpp's "llama" graph rotates
adjacent pairs, so the rows of every head are interleaved back (the permutation of llama.cpp's
converter). Qwen models use NeoX-style RoPE in llama.cpp and are written unpermuted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from pollama.convert.base import ConvertError, first_float, first_int
from pollama.convert.safetensors import Checkpoint
from pollama.convert.tokenizer import load_causal_vocab, write_vocab
from pollama.convert.writer import OUT_TYPES, OutTensor, Plan, tensor_type

__all__ = ["ARCHITECTURES", "plan", "tensor_name", "permute_rope", "llama3_rope_factors"]

ARCHITECTURES = {
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
    "Qwen3ForCausalLM": "qwen3",
}

_GLOBAL = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
_LAYER = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm",
    "self_attn.k_norm": "attn_k_norm",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_LAYER_RE = re.compile(r"model\.layers\.(\d+)\.(.+)\.(weight|bias)$")
_SKIP = re.compile(r"(\.rotary_emb\.inv_freq|\.masked_bias|\.attn\.bias)$")


def tensor_name(name: str) -> str | None:
    """llama.cpp's name for a Hugging Face Llama-family tensor; None for buffers to drop."""
    if _SKIP.search(name):
        return None
    if name in _GLOBAL:
        return _GLOBAL[name]
    if m := _LAYER_RE.match(name):
        layer, part, kind = m.groups()
        if part in _LAYER:
            return f"blk.{layer}.{_LAYER[part]}.{kind}"
    raise ConvertError(f"unexpected tensor {name} in a Llama-family checkpoint")


def permute_rope(w: np.ndarray, n_head: int) -> np.ndarray:
    """Interleave the two rotary halves of every head (rows of a Q/K weight or bias)."""
    rows = w.shape[0]
    if rows % (2 * n_head):
        raise ConvertError(f"cannot split {rows} rows into {n_head} rotary heads")
    return w.reshape(n_head, 2, rows // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama3_rope_factors(scaling: dict[str, Any], base: float, dim: int) -> np.ndarray:
    """Per-frequency divisors of Llama 3.1-style RoPE scaling (tensor rope_freqs.weight)."""
    factor = float(scaling.get("factor", 8.0))
    low = float(scaling.get("low_freq_factor", 1.0))
    high = float(scaling.get("high_freq_factor", 4.0))
    original = float(scaling.get("original_max_position_embeddings", 8192))
    low_wavelen, high_wavelen = original / low, original / high
    out = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi * base ** (i / dim)
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.asarray(out, dtype=np.float32)


def _rope_scaling(w: gguf.GGUFWriter, config: dict[str, Any], base: float, head_dim: int,
                  tensors: list[OutTensor]) -> None:
    scaling = config.get("rope_scaling")
    if not isinstance(scaling, dict):
        return
    kind = scaling.get("rope_type", scaling.get("type"))
    factor = scaling.get("factor")
    if kind == "linear" and isinstance(factor, int | float):
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(float(factor))
    elif kind == "yarn" and isinstance(factor, int | float):
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(float(factor))
        orig = scaling.get("original_max_position_embeddings")
        if isinstance(orig, int):
            w.add_rope_scaling_orig_ctx_len(orig)
    elif kind == "llama3":
        factors = llama3_rope_factors(scaling, base, head_dim)
        tensors.insert(0, OutTensor("rope_freqs.weight", factors.shape, gguf.GGMLQuantizationType.F32,
                                    lambda: factors))
    elif kind not in (None, "default", "dynamic"):
        raise ConvertError(f"unsupported rope_scaling type {kind!r}")


def plan(src: Path, config: dict[str, Any], ckpt: Checkpoint, out_type: str, name: str) -> Plan:
    """Key/values and tensors of a Llama / Mistral / Qwen2 / Qwen3 model."""
    arch = ARCHITECTURES[str(config["architectures"][0])]
    hidden = first_int(config, "hidden_size", "n_embd")
    n_head = first_int(config, "num_attention_heads", "n_head")
    n_kv = first_int(config, "num_key_value_heads", default=n_head)
    head_dim = config.get("head_dim") if isinstance(config.get("head_dim"), int) else hidden // n_head
    n_layer = first_int(config, "num_hidden_layers", "n_layers", "n_layer")
    permute = arch == "llama"

    tensors: list[OutTensor] = []
    for hf in ckpt.names():
        gname = tensor_name(hf)
        if gname is None:
            continue
        shape = ckpt.shape(hf)
        heads = n_head if ".attn_q." in gname else n_kv if ".attn_k." in gname else 0
        transform: Callable[[np.ndarray], np.ndarray] | None = None
        if permute and heads:
            def transform(a: np.ndarray, heads: int = heads) -> np.ndarray:
                return permute_rope(a, heads)

        def produce(hf: str = hf, transform: Callable[[np.ndarray], np.ndarray] | None = transform) -> np.ndarray:
            data = ckpt.load(hf)
            return transform(data) if transform else data

        tensors.append(OutTensor(gname, shape, tensor_type(gname, shape, out_type), produce))
    have = {t.name for t in tensors}
    missing = [n for n in ("token_embd.weight", "output_norm.weight", "blk.0.attn_q.weight") if n not in have]
    if missing:
        raise ConvertError(f"checkpoint lacks {', '.join(missing)}")
    if f"blk.{n_layer - 1}.attn_q.weight" not in have:
        raise ConvertError(f"checkpoint has fewer than num_hidden_layers={n_layer} layers")
    n_vocab = next(t.shape[0] for t in tensors if t.name == "token_embd.weight")

    w = gguf.GGUFWriter(None, arch)
    w.add_type("model")
    w.add_name(name)
    w.add_file_type(OUT_TYPES[out_type][1])
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_vocab_size(n_vocab)
    w.add_context_length(first_int(config, "max_position_embeddings", "n_ctx", default=4096))
    w.add_embedding_length(hidden)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(first_int(config, "intermediate_size", "n_inner"))
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    base = first_float(config, "rope_theta", default=10000.0)
    w.add_rope_freq_base(base)
    w.add_layer_norm_rms_eps(first_float(config, "rms_norm_eps", default=1e-6))
    w.add_rope_dimension_count(head_dim)
    if head_dim != hidden // n_head or arch == "qwen3":
        w.add_key_length(head_dim)
        w.add_value_length(head_dim)
    _rope_scaling(w, config, base, head_dim, tensors)
    write_vocab(load_causal_vocab(src, config, n_vocab), w)
    return Plan(w, tensors)
