"""The KV cache a model gets: flash attention and the cache type, decided as Ollama decides them, and its size.

OLLAMA_FLASH_ATTENTION unset turns flash attention on for the families Ollama turns it on for by default
(qwen3, gemma3, gpt-oss, ...) and leaves it to llama.cpp for the others ("auto": on where the device runs
it, which the CPU does); set, it forces it on or off, and on is refused (with Ollama's warning) for a model
that cannot use it: an embedding model, gemma2 and grok, or key and value heads of different sizes.
OLLAMA_KV_CACHE_TYPE is f16 (the default), q8_0 or q4_0. As in Ollama, a quantized cache needs flash
attention on (set, or by the family's default); without it, for an unknown type, or (llama.cpp's limits)
for heads that its blocks do not divide or whose context shift it would crash on, the cache stays f16 and
a warning says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pollama.gguf import GGUFInfo

__all__ = ["CACHE_TYPES", "KVCache", "bytes_per_token", "cache_cells", "resolve", "supports_flash_attention"]

log = logging.getLogger("pollama")

# elements per block and bytes per block, as ggml stores each type (q8_0: 32 int8 + an f16 scale)
CACHE_TYPES = {"f16": (1, 2), "q8_0": (32, 34), "q4_0": (32, 18)}
_CELL_PAD = 256  # llama.cpp rounds each sequence's cache up to a multiple of this many cells
# A quantized K cache needs key heads of a multiple of 64 values: llama.cpp makes the Hadamard rotation that its
# context shift of a quantized K cache applies only for those, and shifts without it through a null pointer
# (a segfault at the first context shift; ggml-org/llama.cpp PR #25636). 64 is a multiple of the 32-value blocks.
_KEY_HEAD_STEP = 64
# Ollama's GGML.FlashAttention: the families it enables flash attention for when OLLAMA_FLASH_ATTENTION is unset
_FLASH_ATTN_FAMILIES = frozenset((
    "bert", "gemma3", "gemma4", "glm4moelite", "glmocr", "gptoss", "gpt-oss", "lfm2", "lfm2moe", "mistral3",
    "nemotron_h", "nemotron_h_moe", "nemotron_h_omni", "olmo3", "qwen3", "qwen3moe", "qwen35", "qwen35moe",
    "qwen3next", "qwen3vl", "qwen3vlmoe"))


@dataclass(frozen=True)
class KVCache:
    """What a runner is started with: flash attention "auto", "on" or "off", and the K and V cache type."""

    flash_attn: str = "auto"
    type: str = "f16"


def _head_sizes(info: GGUFInfo) -> tuple[int, int]:
    """The key and value head sizes (Ollama's EmbeddingHeadCountK/V: embedding_length / heads by default)."""
    heads = info.arch_key("attention.head_count", 0) or 0
    heads = max(heads) if isinstance(heads, list) else int(heads)
    default = info.embedding_length // heads if heads else 0
    return (int(info.arch_key("attention.key_length", default) or 0),
            int(info.arch_key("attention.value_length", default) or 0))


def supports_flash_attention(info: GGUFInfo) -> bool:
    """Ollama's GGML.SupportsFlashAttention."""
    if info.arch_key("pooling_type") is not None:
        return False
    if info.architecture in ("qwen35", "qwen35moe", "qwen3next"):
        return True
    if info.architecture in ("gemma2", "grok"):
        return False
    key, value = _head_sizes(info)
    return key != 0 and key == value


def _flash_attn(info: GGUFInfo | None, wanted: bool | None) -> str:
    if wanted is None:  # on by the family's default where the model can use it (no warning: nobody asked)
        on = info is not None and info.architecture in _FLASH_ATTN_FAMILIES and supports_flash_attention(info)
        return "on" if on else "auto"
    if wanted and info is not None and not supports_flash_attention(info):
        log.warning("flash attention enabled but not supported by model")
        return "off"
    return "on" if wanted else "off"


def _cache_type(info: GGUFInfo | None, wanted: str, flash_attn: str) -> str:
    if wanted in ("", "f16"):
        return "f16"
    if wanted not in ("f32", "bf16") and flash_attn != "on":  # quantized, as Ollama counts them
        log.warning("OLLAMA_FLASH_ATTENTION must be enabled to use a quantized OLLAMA_KV_CACHE_TYPE type=%s", wanted)
        return "f16"
    if wanted not in CACHE_TYPES:
        log.warning("unsupported OLLAMA_KV_CACHE_TYPE type=%s", wanted)
        return "f16"
    key, value = _head_sizes(info) if info is not None else (0, 0)
    if key % _KEY_HEAD_STEP or value % CACHE_TYPES[wanted][0]:
        log.warning("OLLAMA_KV_CACHE_TYPE type=%s needs key heads of a multiple of %d values and value heads of "
                    "a multiple of %d (the model's: %d and %d); using f16", wanted, _KEY_HEAD_STEP,
                    CACHE_TYPES[wanted][0], key, value)
        return "f16"
    return wanted


def resolve(info: GGUFInfo | None, flash_attention: bool | None, cache_type: str) -> KVCache:
    """The flash attention mode and cache type a model is loaded with, from the two settings (logging, as
    Ollama does, each setting that cannot apply)."""
    flash_attn = _flash_attn(info, flash_attention)
    return KVCache(flash_attn, _cache_type(info, cache_type.lower(), flash_attn))


def cache_cells(num_ctx: int) -> int:
    """The cache cells llama.cpp allocates for one sequence of `num_ctx` tokens."""
    return -(-num_ctx // _CELL_PAD) * _CELL_PAD


def bytes_per_token(info: GGUFInfo | None, cache_type: str = "f16") -> int:
    """The K and V bytes one cached token takes over every layer (Ollama's GraphSize estimate, with ggml's
    exact block sizes: q8_0 is 17/32 of f16, q4_0 9/32)."""
    if info is None:
        return 0
    layers = int(info.arch_key("block_count", 0) or 0)
    heads_kv = info.arch_key("attention.head_count_kv", None)
    if heads_kv is None:
        heads_kv = info.arch_key("attention.head_count", 1) or 1
    heads_kv = max(heads_kv) if isinstance(heads_kv, list) else int(heads_kv)
    block, block_bytes = CACHE_TYPES.get(cache_type, CACHE_TYPES["f16"])
    key, value = _head_sizes(info)
    return sum(layers * (heads_kv * size // block) * block_bytes for size in (key, value))
