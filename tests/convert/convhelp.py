"""Test helpers: writing safetensors/tokenizer dirs, and numpy reference forward passes of BERT and Llama."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "write_safetensors",
    "bf16_bits",
    "smollm2_tokenizer_files",
    "random_llama",
    "llama_forward",
    "bert_forward",
    "byte_level_alphabet",
    "sentencepiece_model",
]


def bf16_bits(a: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns (round to nearest even)."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], bf16: bool = False) -> None:
    """A safetensors file; float arrays are stored as F32, F16, or BF16 when bf16=True."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    blobs: list[bytes] = []
    offset = 0
    for name, arr in tensors.items():
        if bf16 and arr.dtype == np.float32:
            data, dtype = bf16_bits(arr).tobytes(), "BF16"
        else:
            dtype = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("int64"): "I64"}[arr.dtype]
            data = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def smollm2_tokenizer_files(dst: Path, gguf_path: Path) -> dict[str, Any]:
    """tokenizer.json + tokenizer_config.json rebuilt from SmolLM2's GGUF; returns the vocab facts."""
    from pollama.gguf import read_gguf

    kv = read_gguf(gguf_path, arrays=True, tensors=False).kv
    tokens: list[str] = kv["tokenizer.ggml.tokens"]
    types: list[int] = kv["tokenizer.ggml.token_type"]
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i, (t, ty) in enumerate(zip(tokens, types, strict=True)) if ty == 3
    ]
    tj = {
        "version": "1.0",
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        ]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "vocab": {t: i for i, t in enumerate(tokens)},
                  "merges": [m.split(" ") for m in kv["tokenizer.ggml.merges"]]},
    }
    (dst / "tokenizer.json").write_text(json.dumps(tj), encoding="utf-8")
    template = kv["tokenizer.chat_template"]
    tc = {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "unk_token": "<|endoftext|>",
          "pad_token": "<|im_end|>", "add_prefix_space": False, "chat_template": template,
          "tokenizer_class": "GPT2Tokenizer"}
    (dst / "tokenizer_config.json").write_text(json.dumps(tc), encoding="utf-8")
    return {"n_vocab": len(tokens), "merges": len(kv["tokenizer.ggml.merges"]), "template": template}


def random_llama(
    dst: Path, n_vocab: int, *, arch: str = "LlamaForCausalLM", hidden: int = 64, n_head: int = 4,
    n_kv: int = 2, n_layer: int = 2, ffn: int = 96, tied: bool = False, seed: int = 0,
    bf16: bool = False, shards: int = 1, **extra: Any,
) -> dict[str, np.ndarray]:
    """A tiny random decoder checkpoint (config.json + safetensors) in dst; returns its float32 weights."""
    rng = np.random.default_rng(seed)
    hd = hidden // n_head
    qwen = arch.startswith("Qwen")

    def r(*shape: int, scale: float = 0.08) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    w: dict[str, np.ndarray] = {"model.embed_tokens.weight": r(n_vocab, hidden, scale=0.5)}
    for i in range(n_layer):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1 + r(hidden, scale=0.1)
        w[p + "self_attn.q_proj.weight"] = r(n_head * hd, hidden, scale=0.3)
        w[p + "self_attn.k_proj.weight"] = r(n_kv * hd, hidden, scale=0.3)
        w[p + "self_attn.v_proj.weight"] = r(n_kv * hd, hidden)
        w[p + "self_attn.o_proj.weight"] = r(hidden, n_head * hd)
        if arch == "Qwen2ForCausalLM":
            w[p + "self_attn.q_proj.bias"] = r(n_head * hd, scale=0.3)
            w[p + "self_attn.k_proj.bias"] = r(n_kv * hd, scale=0.3)
            w[p + "self_attn.v_proj.bias"] = r(n_kv * hd)
        if arch == "Qwen3ForCausalLM":
            w[p + "self_attn.q_norm.weight"] = 1 + r(hd, scale=0.1)
            w[p + "self_attn.k_norm.weight"] = 1 + r(hd, scale=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + r(hidden, scale=0.1)
        w[p + "mlp.gate_proj.weight"] = r(ffn, hidden, scale=0.2)
        w[p + "mlp.up_proj.weight"] = r(ffn, hidden, scale=0.2)
        w[p + "mlp.down_proj.weight"] = r(hidden, ffn, scale=0.2)
    w["model.norm.weight"] = 1 + r(hidden, scale=0.1)
    if not tied:
        w["lm_head.weight"] = r(n_vocab, hidden, scale=0.2)
    if bf16:  # the reference must see the rounded weights too
        w = {k: (bf16_bits(v).astype(np.uint32) << 16).view(np.float32) for k, v in w.items()}
    config = {
        "architectures": [arch], "model_type": "qwen2" if qwen else "llama", "hidden_size": hidden,
        "intermediate_size": ffn, "num_attention_heads": n_head, "num_key_value_heads": n_kv,
        "num_hidden_layers": n_layer, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0, "vocab_size": n_vocab, "tie_word_embeddings": tied,
        "hidden_act": "silu", "torch_dtype": "bfloat16" if bf16 else "float32", **extra,
    }
    (dst / "config.json").write_text(json.dumps(config), encoding="utf-8")
    names = list(w)
    if shards == 1:
        write_safetensors(dst / "model.safetensors", w, bf16=bf16)
    else:
        weight_map: dict[str, str] = {}
        for s in range(shards):
            fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            part = {k: w[k] for k in names[s::shards]}
            write_safetensors(dst / fname, part, bf16=bf16)
            weight_map.update(dict.fromkeys(part, fname))
        index = {"metadata": {}, "weight_map": weight_map}
        (dst / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")
    return w


def _rms(x: np.ndarray, g: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g


def _inv_freq(hd: int, base: float, scaling: dict[str, Any] | None) -> np.ndarray:
    """RoPE inverse frequencies, with Hugging Face's "llama3" scaling written out independently."""
    inv = base ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
    if not scaling:
        return inv
    factor, lo, hi = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    orig = scaling["original_max_position_embeddings"]
    wavelen = 2 * np.pi / inv
    smooth = (orig / wavelen - lo) / (hi - lo)
    mid = (1 - smooth) * inv / factor + smooth * inv
    return np.where(wavelen > orig / lo, inv / factor, np.where(wavelen < orig / hi, inv, mid))


def _rope(x: np.ndarray, base: float, scaling: dict[str, Any] | None = None) -> np.ndarray:
    """Hugging Face rotate-half RoPE; x is (T, heads, hd)."""
    t, _, hd = x.shape
    inv = _inv_freq(hd, base, scaling)
    ang = np.arange(t)[:, None] * inv[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, -1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, -1)[:, None, :]
    half = hd // 2
    rot = np.concatenate([-x[..., half:], x[..., :half]], -1)
    return x * cos + rot * sin


def llama_forward(w: dict[str, np.ndarray], config: dict[str, Any], ids: list[int]) -> np.ndarray:
    """Logits (T, vocab) of the Hugging Face Llama/Qwen2/Qwen3 definition, in float64."""
    w64 = {k: v.astype(np.float64) for k, v in w.items()}
    hidden, nh, nkv = config["hidden_size"], config["num_attention_heads"], config["num_key_value_heads"]
    hd, eps, base = hidden // nh, config["rms_norm_eps"], config["rope_theta"]
    x = w64["model.embed_tokens.weight"][ids]
    t = len(ids)
    mask = np.triu(np.full((t, t), -np.inf), 1)
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = _rms(x, w64[p + "input_layernorm.weight"], eps)
        proj = {}
        for n in "qkv":
            y = h @ w64[p + f"self_attn.{n}_proj.weight"].T
            if p + f"self_attn.{n}_proj.bias" in w64:
                y = y + w64[p + f"self_attn.{n}_proj.bias"]
            proj[n] = y.reshape(t, -1, hd)
        q, k, v = proj["q"], proj["k"], proj["v"]
        if p + "self_attn.q_norm.weight" in w64:
            q = _rms(q, w64[p + "self_attn.q_norm.weight"], eps)
            k = _rms(k, w64[p + "self_attn.k_norm.weight"], eps)
        scaling = config.get("rope_scaling")
        q, k = _rope(q, base, scaling), _rope(k, base, scaling)
        k = np.repeat(k, nh // nkv, axis=1)
        v = np.repeat(v, nh // nkv, axis=1)
        att = np.einsum("thd,shd->hts", q, k) / np.sqrt(hd) + mask
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        o = np.einsum("hts,shd->thd", att, v).reshape(t, -1)
        x = x + o @ w64[p + "self_attn.o_proj.weight"].T
        h = _rms(x, w64[p + "post_attention_layernorm.weight"], eps)
        g = h @ w64[p + "mlp.gate_proj.weight"].T
        u = h @ w64[p + "mlp.up_proj.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * u) @ w64[p + "mlp.down_proj.weight"].T
    x = _rms(x, w64["model.norm.weight"], eps)
    head = w64.get("lm_head.weight", w64["model.embed_tokens.weight"])
    return x @ head.T


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from math import erf, sqrt

    return 0.5 * x * (1 + np.vectorize(erf)(x / sqrt(2)))


def bert_forward(w: dict[str, np.ndarray], config: dict[str, Any], ids: list[int]) -> np.ndarray:
    """Mean-pooled, L2-normalised sentence embedding of the Hugging Face BERT definition."""
    w64 = {k: v.astype(np.float64) for k, v in w.items()}
    eps, nh = config["layer_norm_eps"], config["num_attention_heads"]
    t = len(ids)
    x = (w64["embeddings.word_embeddings.weight"][ids] + w64["embeddings.position_embeddings.weight"][:t]
         + w64["embeddings.token_type_embeddings.weight"][0])
    x = _layer_norm(x, w64["embeddings.LayerNorm.weight"], w64["embeddings.LayerNorm.bias"], eps)
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return h @ w64[p + name + ".weight"].T + w64[p + name + ".bias"]

        q, k, v = (lin(x, f"attention.self.{n}").reshape(t, nh, -1) for n in ("query", "key", "value"))
        att = np.einsum("thd,shd->hts", q, k) / np.sqrt(q.shape[-1])
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        o = np.einsum("hts,shd->thd", att, v).reshape(t, -1)
        x = _layer_norm(x + lin(o, "attention.output.dense"), w64[p + "attention.output.LayerNorm.weight"],
                        w64[p + "attention.output.LayerNorm.bias"], eps)
        h = lin(_gelu(lin(x, "intermediate.dense")), "output.dense")
        x = _layer_norm(x + h, w64[p + "output.LayerNorm.weight"], w64[p + "output.LayerNorm.bias"], eps)
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def byte_level_alphabet() -> list[str]:
    """GPT-2's 256 byte-level symbols, in byte order (printable Latin-1 bytes map to themselves)."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    out: dict[int, str] = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in out:
            out[b] = chr(256 + extra)
            extra += 1
    return [out[b] for b in range(256)]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, wire: int, payload: bytes | int) -> bytes:
    key = _varint(num << 3 | wire)
    if wire == 0:
        assert isinstance(payload, int)
        return key + _varint(payload)
    assert isinstance(payload, bytes)
    return key + (_varint(len(payload)) + payload if wire == 2 else payload)


def sentencepiece_model(pieces: list[tuple[str, float, int]], add_dummy_prefix: bool = True) -> bytes:
    """Serialise a minimal sentencepiece ModelProto (pieces, trainer model_type=BPE, normalizer)."""
    out = b""
    for text, score, typ in pieces:
        body = _field(1, 2, text.encode()) + _field(2, 5, struct.pack("<f", score)) + _field(3, 0, typ)
        out += _field(1, 2, body)
    out += _field(2, 2, _field(3, 0, 2))
    out += _field(3, 2, _field(1, 2, b"nmt_nfkc") + _field(3, 0, int(add_dummy_prefix)))
    return out
