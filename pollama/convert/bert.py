"""BERT encoders (sentence-transformers layout) -> GGUF architecture "bert"."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gguf

from pollama.convert.base import ConvertError, first_float, first_int, read_json
from pollama.convert.safetensors import Checkpoint
from pollama.convert.tokenizer import load_wordpiece_vocab, write_vocab
from pollama.convert.writer import OUT_TYPES, OutTensor, Plan, tensor_type

__all__ = ["ARCHITECTURES", "plan", "pooling_type", "tensor_name"]

ARCHITECTURES = {"BertModel": "bert", "BertForMaskedLM": "bert"}

_GLOBAL = {
    "embeddings.word_embeddings": "token_embd",
    "embeddings.token_type_embeddings": "token_types",
    "embeddings.position_embeddings": "position_embd",
    "embeddings.LayerNorm": "token_embd_norm",
}
_LAYER = {
    "attention.self.query": "attn_q",
    "attention.self.key": "attn_k",
    "attention.self.value": "attn_v",
    "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm",
    "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down",
    "output.LayerNorm": "layer_output_norm",
}
_LAYER_RE = re.compile(r"encoder\.layers?\.(\d+)\.(.+)\.(weight|bias|gamma|beta)$")
_GLOBAL_RE = re.compile(r"(.+)\.(weight|bias|gamma|beta)$")
# tensors of a BertModel that the encoder does not need (pooler head, MLM head, buffers)
_SKIP = re.compile(r"^(pooler\.|cls\.|embeddings\.position_ids$)")
_SUFFIX = {"weight": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}


def tensor_name(name: str) -> str | None:
    """llama.cpp's name for a Hugging Face BERT tensor; None when it is not part of the encoder."""
    if name.startswith("bert."):
        name = name[len("bert."):]
    if _SKIP.match(name):
        return None
    if m := _LAYER_RE.match(name):
        layer, part, kind = m.groups()
        if part in _LAYER:
            return f"blk.{layer}.{_LAYER[part]}.{_SUFFIX[kind]}"
    elif m := _GLOBAL_RE.match(name):
        part, kind = m.groups()
        if part in _GLOBAL:
            return f"{_GLOBAL[part]}.{_SUFFIX[kind]}"
    raise ConvertError(f"unexpected tensor {name} in a BERT checkpoint")


def pooling_type(src: Path) -> gguf.PoolingType | None:
    """Pooling from sentence-transformers' modules.json / Pooling config (None when not a ST model)."""
    modules = read_json(src / "modules.json") if (src / "modules.json").is_file() else None
    folder = "1_Pooling"
    if isinstance(modules, list):
        for m in modules:
            if isinstance(m, dict) and str(m.get("type", "")).endswith("models.Pooling"):
                folder = str(m.get("path") or folder)
    cfg_path = src / folder / "config.json"
    if not cfg_path.is_file():
        return None
    cfg = read_json(cfg_path)
    if not isinstance(cfg, dict):
        raise ConvertError(f"{folder}/config.json is not a JSON object")
    if cfg.get("pooling_mode_mean_tokens"):
        return gguf.PoolingType.MEAN
    if cfg.get("pooling_mode_cls_token"):
        return gguf.PoolingType.CLS
    if cfg.get("pooling_mode_lasttoken"):
        return gguf.PoolingType.LAST
    modes = [k for k, v in cfg.items() if k.startswith("pooling_mode") and v]
    raise ConvertError(f"unsupported sentence-transformers pooling {', '.join(modes) or 'none'}")


def plan(src: Path, config: dict[str, Any], ckpt: Checkpoint, out_type: str, name: str) -> Plan:
    """Key/values and tensors of a BERT model."""
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ConvertError(f"unsupported BERT position_embedding_type {config['position_embedding_type']!r}")
    act = config.get("hidden_act", "gelu")
    if act not in ("gelu", "gelu_new", "gelu_pytorch_tanh"):
        raise ConvertError(f"unsupported BERT hidden_act {act!r}")
    tensors: list[OutTensor] = []
    for hf in ckpt.names():
        gname = tensor_name(hf)
        if gname is None:
            continue
        shape = ckpt.shape(hf)

        def produce(hf: str = hf):  # noqa: ANN202
            return ckpt.load(hf)

        tensors.append(OutTensor(gname, shape, tensor_type(gname, shape, out_type), produce))
    have = {t.name for t in tensors}
    needed = ["token_embd.weight", "position_embd.weight", "token_embd_norm.weight"]
    missing = [n for n in needed if n not in have]
    if missing:
        raise ConvertError(f"BERT checkpoint lacks {', '.join(missing)}")
    n_vocab = next(t.shape[0] for t in tensors if t.name == "token_embd.weight")

    w = gguf.GGUFWriter(None, "bert")
    w.add_type("model")
    w.add_name(name)
    w.add_file_type(OUT_TYPES[out_type][1])
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    w.add_context_length(first_int(config, "max_position_embeddings", "n_ctx"))
    w.add_embedding_length(first_int(config, "hidden_size", "n_embd"))
    w.add_feed_forward_length(first_int(config, "intermediate_size", "n_inner"))
    w.add_block_count(first_int(config, "num_hidden_layers", "n_layers", "n_layer"))
    w.add_head_count(first_int(config, "num_attention_heads", "n_head"))
    w.add_layer_norm_eps(first_float(config, "layer_norm_eps", "layer_norm_epsilon", default=1e-12))
    w.add_causal_attention(False)
    pooling = pooling_type(src)
    if pooling is not None:
        w.add_pooling_type(pooling)
    w.add_token_type_count(first_int(config, "type_vocab_size", default=2))
    write_vocab(load_wordpiece_vocab(src, config, n_vocab), w)
    return Plan(w, tensors)
