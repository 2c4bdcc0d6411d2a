"""Ollama's single-file vision models, split into the two files llama.cpp loads.

Ollama's converter writes gemma3 as one GGUF: the text model plus the SigLIP vision tower (`v.*`) and the
projector (`mm.*`), described by `gemma3.vision.*` keys. llama.cpp's text loader refuses the extra tensors and
libmtmd wants a CLIP-format GGUF, so at load time the blob is split once into `model.gguf` (every other tensor
and key) and `mmproj.gguf` (the vision tensors under llama.cpp's clip names, `clip.*` keys), cached in the
store (`Store.split_dir`) and reused.

The mapping, from Ollama's convert/convert_gemma3.go (HF names to Ollama's) and llama.cpp's gguf-py
tensor_mapping.py / tools/mtmd/clip-impl.h (HF names to clip's): the same HF tensor gets both names, and
neither converter transposes or reshapes it (both keep the HF shapes; the one gemma3-specific change, +1 on
`mm_soft_emb_norm`, is made by both). SigLIP's fc1/fc2 become ffn_up/ffn_down as llama.cpp's converter names
them (Ollama's own llama.cpp shim, llama/compat, names them the other way round; clip.cpp swaps such gemma3
weights back, so both load alike). The text model needs keys Ollama's converter leaves out for the
multimodal gemma3 and its runtime defaults instead (model/models/gemma3/model_text.go); llama.cpp's defaults
differ (rope base 10000), so they are written explicitly.

qwen25vl (Qwen2.5-VL) follows Ollama's convert/convert_qwen25vl.go and its shim's handle_qwen25vl /
handle_qwen25vl_clip: the text model is llama.cpp's `qwen2vl` (keys renamed, the 3 M-RoPE sections padded to
the 4 llama.cpp reads), the tower keeps Ollama's block names (already clip's), the merger becomes `v.post_ln` +
`mm.0`/`mm.2`, the two temporal patch kernels `v.patch_embd.weight(.1)` made F32, and the clip keys llama.cpp
needs are derived (window-attention pattern from the full-attention blocks, CLIP's image mean/std).

mistral3 (Mistral Small 3.1, Ministral 3) follows convert_mistral.go and handle_mistral3 / handle_mistral3_clip:
the text model keeps its architecture (the YaRN keys of Ollama's published files copied under llama.cpp's
names; an empty rope.scaling.type, which the converter writes for a model without scaling and llama.cpp
aborts on, dropped), the pixtral tower is renamed, its Q/K rows permuted into llama.cpp's rotary layout (Ollama's
converter repacks only the text model's), and the [IMG_BREAK] embedding the file lacks is zeros, as the shim
makes it.

llama4 follows convert_llama4.go and handle_llama4 / handle_llama4_clip: the text model is loaded as it is
(its MoE tensors already have llama.cpp's names and layout); the tower, the pixel-shuffle adapter MLP and the
projector are renamed to llama.cpp's `llama4` projector, whose scale factor is 1 / pixel_shuffle_ratio.

qwen3vl and qwen3vlmoe (Qwen3-VL) follow the layout of Ollama's published files (convert_qwen3vl.go before it wrote
a separate projector) and handle_qwen3vl / handle_qwen3vl_clip: the text model gets its M-RoPE sections padded to
four (Qwen3-VL's [24, 20, 20] when the file has none) and the deepstack layer count; each vision block's Q, K and
V are merged into one F32 `attn_qkv` (dequantized: a file may mix types), the Conv3D patch kernel is split into
one F32 kernel per temporal slice, the deepstack mergers are renamed after the block they follow, and the image
size comes from the learned positions. Other architectures are not split.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from pollama.api.errors import APIError
from pollama.store.layout import Store
from pollama.store.model import Model

__all__ = ["SPLIT_ARCHS", "SplitError", "vision_arch", "clip_name", "split_model", "runner_files"]

KV = dict[str, Any]
Shapes = dict[str, tuple[int, ...]]  # Ollama's tensor name -> its shape (GGUF order: ne[0] first)


@dataclass(frozen=True)
class _Out:
    """A tensor to write: its header, and its data, read (and changed) only when written, one at a time."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    nbytes: int
    qtype: gguf.GGMLQuantizationType
    load: Callable[[], np.ndarray]


def _f32_tensor(name: str, shape: tuple[int, ...], load: Callable[[], np.ndarray]) -> _Out:
    """An F32 tensor the file lacks, made (by `load`, numpy shape `shape`) only when written."""
    return _Out(name, shape, np.dtype(np.float32), 4 * math.prod(shape), gguf.GGMLQuantizationType.F32, load)


class SplitError(APIError):
    def __init__(self, message: str) -> None:
        super().__init__(f"cannot split the single-file vision model into a text and a projector GGUF: "
                         f"{message}", 500)


def _both(ollama: str, clip: str) -> dict[str, str]:
    return {f"{ollama}.weight": f"{clip}.weight", f"{ollama}.bias": f"{clip}.bias"}


def _require(kv: KV, *keys: str) -> None:
    if missing := [key for key in keys if key not in kv]:
        raise SplitError("missing " + ", ".join(missing))


def _clip_basics(w: gguf.GGUFWriter, kv: KV, arch: str, projector: str, activation: str, keys: tuple[str, ...],
                 eps: float, eps_key: str = "attention.layer_norm_epsilon") -> None:
    """The projector type and its activation (`use_gelu`, `use_silu`), the vision keys `keys` (all required),
    the layer norm epsilon (`eps` unless the file has `eps_key`) and the projection width (the text model's)."""
    v = f"{arch}.vision."
    _require(kv, *(v + key for key in keys), f"{arch}.embedding_length")
    w.add_string("clip.projector_type", projector)
    w.add_bool(f"clip.{activation}", True)
    for key in keys:
        w.add_uint32(f"clip.vision.{key}", int(kv[v + key]))
    w.add_float32("clip.vision.attention.layer_norm_epsilon", float(kv.get(v + eps_key, eps)))
    w.add_uint32("clip.vision.projection_dim", int(kv[f"{arch}.embedding_length"]))


# ---- gemma3 ----------------------------------------------------------------------------------------------
_GEMMA3_TOP = {**_both("v.patch_embedding", "v.patch_embd"), "v.position_embedding.weight": "v.position_embd.weight",
               **_both("v.post_layernorm", "v.post_ln"),
               "mm.mm_input_projection.weight": "mm.input_projection.weight",
               "mm.mm_soft_emb_norm.weight": "mm.soft_emb_norm.weight"}
_GEMMA3_BLOCK = {"attn_q": "attn_q", "attn_k": "attn_k", "attn_v": "attn_v", "attn_output": "attn_out",
                 "layer_norm1": "ln1", "layer_norm2": "ln2", "mlp.fc1": "ffn_up", "mlp.fc2": "ffn_down"}
# text keys llama.cpp requires or defaults differently, which Ollama's runtime defaults when absent (also what
# Ollama's own llama.cpp shim, llama/compat/llama-ollama-compat.cpp handle_gemma3, fills in): (llama.cpp's key,
# the keys that may carry it in an Ollama file, Ollama's default)
_GEMMA3_TEXT_DEFAULTS = (("attention.layer_norm_rms_epsilon", ("attention.layer_norm_rms_epsilon",), 1e-6),
                         ("rope.freq_base", ("rope.freq_base", "rope.global.freq_base"), 1e6),
                         ("rope.freq_base_swa", ("rope.freq_base_swa", "rope.local.freq_base"), 10000.0))
_LONG_CONTEXT = 131072  # gemma3 4B/12B/27B: trained at 16k, linear rope scaling x8 to reach this
_GEMMA3_VISION_KEYS = ("block_count", "embedding_length", "feed_forward_length", "image_size", "patch_size",
                       "attention.head_count")
_GEMMA3_TOKENS_PER_IMAGE = 256  # Ollama's and llama.cpp's default for gemma3


def _gemma3_text_kv(kv: KV) -> KV:
    added: KV = {}
    for llama_key, ollama_keys, default in _GEMMA3_TEXT_DEFAULTS:
        if f"gemma3.{llama_key}" not in kv:
            value = next((kv[f"gemma3.{k}"] for k in ollama_keys if f"gemma3.{k}" in kv), default)
            added[f"gemma3.{llama_key}"] = float(value)
    if int(kv.get("gemma3.context_length", 0)) >= _LONG_CONTEXT and "gemma3.rope.scaling.type" not in kv:
        added.update({"gemma3.rope.scaling.type": "linear", "gemma3.rope.scaling.factor": 8.0})
    return added


def _gemma3_clip_kv(w: gguf.GGUFWriter, kv: KV, shapes: Shapes) -> None:
    v = "gemma3.vision."
    _clip_basics(w, kv, "gemma3", "gemma3", "use_gelu", _GEMMA3_VISION_KEYS, 1e-6)
    w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])  # Ollama's gemma3 process_image: ImageNetStandard*
    w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    tokens = int(next((kv[k] for k in ("gemma3.mm.tokens_per_image", "gemma3.mm_tokens_per_image") if k in kv),
                      _GEMMA3_TOKENS_PER_IMAGE))
    per_side = int(kv[v + "image_size"]) // int(kv[v + "patch_size"])
    w.add_uint32("clip.vision.projector.scale_factor", max(1, per_side // math.isqrt(tokens)))


# ---- qwen25vl (Qwen2.5-VL) -------------------------------------------------------------------------------
_QWEN25VL_TOP = {"v.merger.ln_q.weight": "v.post_ln.weight", **_both("v.merger.mlp.0", "mm.0"),
                 **_both("v.merger.mlp.2", "mm.2"), "v.patch_embd_0.weight": "v.patch_embd.weight",
                 "v.patch_embd_1.weight": "v.patch_embd.weight.1"}
_QWEN25VL_BLOCK = {name: name for name in ("attn_q", "attn_k", "attn_v", "attn_out", "ln1", "ln2", "ffn_gate",
                                           "ffn_up", "ffn_down")}  # Ollama's converter already names them so
_QWEN25VL_VISION_KEYS = ("attention.head_count", "block_count", "embedding_length", "patch_size")  # required
_QWEN25VL_OPTIONAL_KEYS = ("num_channels", "spatial_merge_size", "window_size")
_QWEN25VL_IMAGE_SIZE = 560  # Qwen2VLVisionModel's default (its HF config has none)
_CLIP_MEAN, _CLIP_STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]


def _qwen25vl_text_kv(kv: KV) -> KV:
    sections = list(kv.get("qwen25vl.rope.mrope_section", []))
    if len(sections) < 3:
        return {}
    # llama.cpp reads four M-RoPE sections, the fourth unused by Qwen2.5-VL
    return {"qwen2vl.rope.dimension_sections": [int(x) for x in sections[:3]] + [0]}


def _qwen25vl_clip_kv(w: gguf.GGUFWriter, kv: KV, shapes: Shapes) -> None:
    v = "qwen25vl.vision."
    if "v.blk.0.ffn_up.weight" not in shapes:
        raise SplitError("missing v.blk.0.ffn_up.weight")
    _clip_basics(w, kv, "qwen25vl", "qwen2.5vl_merger", "use_silu", _QWEN25VL_VISION_KEYS, 1e-6)
    for key in _QWEN25VL_OPTIONAL_KEYS:
        if v + key in kv:
            w.add_uint32(f"clip.vision.{key}", int(kv[v + key]))
    w.add_uint32("clip.vision.feed_forward_length", shapes["v.blk.0.ffn_up.weight"][1])
    full_attention = list(kv.get(v + "fullatt_block_indexes", [7]))  # window attention in the blocks between
    w.add_uint32("clip.vision.n_wa_pattern", int(full_attention[0]) + 1 if full_attention else 8)
    w.add_uint32("clip.vision.image_size", int(kv.get(v + "image_size", _QWEN25VL_IMAGE_SIZE)))
    w.add_array("clip.vision.image_mean", _CLIP_MEAN)
    w.add_array("clip.vision.image_std", _CLIP_STD)


# ---- mistral3 (Mistral Small 3.1, Ministral 3: pixtral's tower and patch merger) ---------------------------
_MISTRAL3_TOP = {"v.patch_conv.weight": "v.patch_embd.weight", "v.encoder_norm.weight": "v.pre_ln.weight",
                 **_both("mm.linear_1", "mm.1"), **_both("mm.linear_2", "mm.2"),
                 "mm.patch_merger.merging_layer.weight": "mm.patch_merger.weight", "mm.norm.weight": "mm.input_norm.weight"}
_MISTRAL3_BLOCK = {"attn_q": "attn_q", "attn_k": "attn_k", "attn_v": "attn_v", "attn_output": "attn_out",
                   "attn_norm": "ln1", "ffn_norm": "ln2", "ffn_gate": "ffn_gate", "ffn_up": "ffn_up",
                   "ffn_down": "ffn_down"}
# the YaRN keys of Ollama's published files under llama.cpp's names (copied: the originals stay)
_MISTRAL3_RENAMED = (("rope.scaling.beta_fast", "rope.scaling.yarn_beta_fast"),
                     ("rope.scaling.beta_slow", "rope.scaling.yarn_beta_slow"),
                     ("rope.scaling.mscale_all_dim", "rope.scaling.yarn_log_multiplier"),
                     ("rope.scaling_beta", "attention.temperature_scale"))
_MISTRAL3_VISION_KEYS = ("block_count", "embedding_length", "feed_forward_length", "attention.head_count",
                         "image_size", "patch_size", "num_channels")
_QK_RE = re.compile(r"v\.blk\.\d+\.attn_[qk]\.weight")


def _mistral3_text_kv(kv: KV) -> KV:
    added: KV = {f"mistral3.{new}": float(kv[f"mistral3.{old}"]) for old, new in _MISTRAL3_RENAMED
             if f"mistral3.{old}" in kv}
    if str(kv.get("tokenizer.ggml.pre", "default")) == "default":
        added["tokenizer.ggml.pre"] = "tekken"
    if kv.get("mistral3.rope.scaling.type") == "":  # written empty for a model without rope scaling
        added["mistral3.rope.scaling.type"] = None
    return added


def _mistral3_clip_kv(w: gguf.GGUFWriter, kv: KV, shapes: Shapes) -> None:
    v = "mistral3.vision."
    _clip_basics(w, kv, "mistral3", "pixtral", "use_silu", _MISTRAL3_VISION_KEYS, 1e-5)
    if "mistral3.spatial_merge_size" in kv:
        w.add_uint32("clip.vision.spatial_merge_size", int(kv["mistral3.spatial_merge_size"]))
    if v + "rope.freq_base" in kv:
        w.add_float32("clip.rope.freq_base", float(kv[v + "rope.freq_base"]))
    w.add_array("clip.vision.image_mean", _CLIP_MEAN)  # pixtral's image statistics are CLIP's
    w.add_array("clip.vision.image_std", _CLIP_STD)


def _mistral3_clip_extra(kv: KV, tensors: dict[str, Any]) -> list[_Out]:
    """The [IMG_BREAK] embedding pixtral's graph puts after each row of patches: zeros, as Ollama's shim
    gives it (its files carry no such tensor)."""
    n_embd = int(kv["mistral3.embedding_length"])
    return [_f32_tensor("v.token_embd.img_break", (n_embd,), lambda: np.zeros(n_embd, dtype=np.float32))]


def _mistral3_clip_tensor(name: str, data: np.ndarray, kv: KV) -> np.ndarray:
    """Vision Q/K rows in llama.cpp's rotary layout: Ollama's converter repacks only the text model's, and
    pixtral's graph rotates the vision heads as llama.cpp's converter permutes them (per head, the two halves
    interleaved)."""
    if not _QK_RE.fullmatch(name):
        return data
    rows, heads = data.shape[0], int(kv["mistral3.vision.attention.head_count"])
    head_dim = rows // heads
    out = np.arange(rows)
    return data[(out // head_dim) * head_dim + (out % 2) * (head_dim // 2) + (out % head_dim) // 2]


# ---- llama4 (Llama 4 Scout, Maverick) ----------------------------------------------------------------------
_LLAMA4_TOP = {"v.patch_embedding.weight": "v.patch_embd.weight", "v.class_embedding": "v.class_embd",
               "v.positional_embedding_vlm": "v.position_embd.weight", **_both("v.layernorm_pre", "v.pre_ln"),
               **_both("v.layernorm_post", "v.post_ln"), "v.vision_adapter.mlp.fc1.weight": "mm.model.mlp.1.weight",
               "v.vision_adapter.mlp.fc2.weight": "mm.model.mlp.2.weight", "mm.linear_1.weight": "mm.model.fc.weight"}
_LLAMA4_BLOCK = {"attn_q": "attn_q", "attn_k": "attn_k", "attn_v": "attn_v", "attn_output": "attn_out",
                 "attn_norm": "ln1", "ffn_norm": "ln2", "mlp.fc1": "ffn_up", "mlp.fc2": "ffn_down"}
_LLAMA4_VISION_KEYS = ("block_count", "embedding_length", "feed_forward_length", "attention.head_count",
                       "image_size", "patch_size")


def _llama4_clip_kv(w: gguf.GGUFWriter, kv: KV, shapes: Shapes) -> None:
    _clip_basics(w, kv, "llama4", "llama4", "use_gelu", _LLAMA4_VISION_KEYS, 1e-5, "layer_norm_epsilon")
    w.add_string("clip.vision.projector_type", "llama4")
    ratio = float(kv.get("llama4.vision.pixel_shuffle_ratio", 0.0))
    w.add_uint32("clip.vision.projector.scale_factor", (round(1 / ratio) if ratio > 0 else 0) or 2)
    w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])


def _no_text_kv(kv: KV) -> KV:
    return {}


# ---- qwen3vl, qwen3vlmoe (Qwen3-VL) -----------------------------------------------------------------------
_QWEN3VL_TOP = {"v.patch_embed.weight": "", "v.patch_embed.bias": "v.patch_embd.bias",
                "v.pos_embed.weight": "v.position_embd.weight", **_both("v.merger.norm", "v.post_ln"),
                **_both("v.merger.linear_fc1", "mm.0"), **_both("v.merger.linear_fc2", "mm.2")}
_QWEN3VL_BLOCK = {"attn_q": "", "attn_k": "", "attn_v": "", "attn_out": "attn_out", "norm1": "ln1", "norm2": "ln2",
                  "mlp.linear_fc1": "ffn_up", "mlp.linear_fc2": "ffn_down"}
_QWEN3VL_DEEPSTACK = {"norm": "norm", "linear_fc1": "fc1", "linear_fc2": "fc2"}
_QWEN3VL_MROPE = [24, 20, 20, 0]  # Qwen3-VL's sections, which Ollama's shim assumes when a file has none
# clip key, Ollama's key (under <arch>.vision.), default (a file may carry 0 or [] for "not given")
_QWEN3VL_OPTIONAL_KEYS = (("num_channels", "num_channels", 3), ("spatial_merge_size", "spatial_merge_size", 2),
                          ("temporal_patch_size", "temporal_patch_size", 2),
                          ("image_min_pixels", "shortest_edge", 65536), ("image_max_pixels", "longest_edge", 16777216))


def _qwen3vl_text_kv(kv: KV) -> KV:
    arch = kv["general.architecture"]
    sections = [int(x) for x in kv.get(f"{arch}.rope.mrope_section", [])][:3]
    added: KV = {f"{arch}.rope.dimension_sections": sections + [0] if len(sections) == 3 else _QWEN3VL_MROPE}
    if f"{arch}.n_deepstack_layers" not in kv:
        added[f"{arch}.n_deepstack_layers"] = len(kv.get(f"{arch}.vision.deepstack_visual_indexes", []))
    return added


def _qwen3vl_clip_kv(w: gguf.GGUFWriter, kv: KV, shapes: Shapes) -> None:
    arch = kv["general.architecture"]
    v = f"{arch}.vision."
    if "v.blk.0.mlp.linear_fc1.weight" not in shapes or "v.pos_embed.weight" not in shapes:
        raise SplitError("missing v.blk.0.mlp.linear_fc1.weight or v.pos_embed.weight")
    _clip_basics(w, kv, arch, "qwen3vl_merger", "use_gelu", _QWEN25VL_VISION_KEYS, 1e-6)
    for clip_key, key, default in _QWEN3VL_OPTIONAL_KEYS:
        w.add_uint32(f"clip.vision.{clip_key}", int(kv.get(v + key) or default))
    w.add_float32("clip.vision.rope.freq_base", float(kv.get(v + "rope.freq_base") or 1e4))
    w.add_uint32("clip.vision.feed_forward_length", shapes["v.blk.0.mlp.linear_fc1.weight"][1])
    side = math.isqrt(shapes["v.pos_embed.weight"][1])  # learned positions for a square grid of patches
    w.add_uint32("clip.vision.image_size", side * int(kv[v + "patch_size"]))
    for stat in ("image_mean", "image_std"):
        w.add_array(f"clip.vision.{stat}", [float(x) for x in kv.get(v + stat, [])] or [0.5, 0.5, 0.5])
    deepstack = {int(i) for i in kv.get(v + "deepstack_visual_indexes", [])}
    w.add_array("clip.vision.is_deepstack_layers", [b in deepstack for b in range(int(kv[v + "block_count"]))])


def _numpy_shape(t: Any) -> tuple[int, ...]:
    """A reader tensor's shape in numpy's order (GGUF lists ne[0] first), whatever its type."""
    return tuple(int(n) for n in reversed(t.shape))


def _f32(t: Any) -> np.ndarray:
    return np.asarray(gguf.quants.dequantize(t.data, t.tensor_type), dtype=np.float32)


def _concat_f32(parts: list[Any]) -> np.ndarray:
    return np.concatenate([_f32(p) for p in parts])


def _temporal_slice(patch: Any, kernel: tuple[int, ...], i: int) -> np.ndarray:
    """Slice `i` of a Conv3D kernel stored [out * in, 2, h, w]: [out, in, h, w]."""
    out, channels, height, width = kernel
    return _f32(patch).reshape(out, channels, 2, height, width)[:, :, i]


def _qwen3vl_clip_extra(kv: KV, tensors: dict[str, Any]) -> list[_Out]:
    """What llama.cpp's qwen3vl_merger reads in other forms: each block's Q, K and V (and biases) as one
    `attn_qkv` (in F32: a file may mix types), the Conv3D patch kernel as one F32 Conv2D kernel per temporal
    slice, and the deepstack mergers under the index of the block they follow."""
    arch = kv["general.architecture"]
    out: list[_Out] = []
    for b in range(int(kv[f"{arch}.vision.block_count"])):
        for suffix in ("weight", "bias"):
            names = [f"v.blk.{b}.attn_{x}.{suffix}" for x in "qkv"]
            if all(name in tensors for name in names):
                parts = [tensors[name] for name in names]
                _, *rest = _numpy_shape(parts[0])
                shape = (sum(_numpy_shape(p)[0] for p in parts), *rest)
                out.append(_f32_tensor(f"v.blk.{b}.attn_qkv.{suffix}", shape, partial(_concat_f32, parts)))
    patch = tensors.get("v.patch_embed.weight")
    if patch is None or len(patch.shape) != 4 or _numpy_shape(patch)[1] != 2:
        raise SplitError("v.patch_embed.weight is not a Conv3D kernel of 2 temporal slices")
    channels = int(kv.get(f"{arch}.vision.num_channels") or 3)
    packed, _, height, width = _numpy_shape(patch)
    kernel = (packed // channels, channels, height, width)
    for i, name in enumerate(("v.patch_embd.weight", "v.patch_embd.weight.1")):
        out.append(_f32_tensor(name, kernel, partial(_temporal_slice, patch, kernel, i)))
    spec = _ARCHS[arch]
    for i, block in enumerate(kv.get(f"{arch}.vision.deepstack_visual_indexes", [])):
        for leaf, clip_leaf in _QWEN3VL_DEEPSTACK.items():
            for suffix in ("weight", "bias"):
                if (t := tensors.get(f"v.deepstack_merger.{i}.{leaf}.{suffix}")) is not None:
                    out.append(_clip_tensor(spec, f"v.deepstack.{int(block)}.{clip_leaf}.{suffix}", t, kv))
    return out


def _as_is(name: str, data: np.ndarray, kv: KV) -> np.ndarray:
    return data


def _nothing(kv: KV, tensors: dict[str, Any]) -> list[_Out]:
    return []


@dataclass(frozen=True)
class _Arch:
    """How one architecture's single file splits: llama.cpp's name of its text architecture, its vision
    tensors' clip names (top level, and the leaf names in `v.blk.N.`), the clip tensors llama.cpp wants F32,
    the clip keys, the text keys llama.cpp needs beyond or instead of the file's own (under `text_arch`; None
    drops one), a change to a clip tensor's data (by its clip name), and clip tensors the file lacks or has
    in another form (by Ollama's names: "" in `top`/`block`, or matching `consumed`)."""

    text_arch: str
    top: dict[str, str]
    block: dict[str, str]
    f32: tuple[str, ...]
    clip_kv: Callable[[gguf.GGUFWriter, KV, Shapes], None]
    text_kv: Callable[[KV], KV]
    clip_tensor: Callable[[str, np.ndarray, KV], np.ndarray] = _as_is
    clip_extra: Callable[[KV, dict[str, Any]], list[_Out]] = _nothing
    consumed: re.Pattern[str] | None = None  # more tensors `clip_extra` writes in another form


_ARCHS = {
    "gemma3": _Arch("gemma3", _GEMMA3_TOP, _GEMMA3_BLOCK, ("v.patch_embd.weight", "v.position_embd.weight"),
                    _gemma3_clip_kv, _gemma3_text_kv),
    "qwen25vl": _Arch("qwen2vl", _QWEN25VL_TOP, _QWEN25VL_BLOCK, ("v.patch_embd.weight", "v.patch_embd.weight.1"),
                      _qwen25vl_clip_kv, _qwen25vl_text_kv),
    "mistral3": _Arch("mistral3", _MISTRAL3_TOP, _MISTRAL3_BLOCK, ("v.patch_embd.weight",), _mistral3_clip_kv,
                      _mistral3_text_kv, _mistral3_clip_tensor, _mistral3_clip_extra),
    "llama4": _Arch("llama4", _LLAMA4_TOP, _LLAMA4_BLOCK, (), _llama4_clip_kv, _no_text_kv),
    **{arch: _Arch(arch, _QWEN3VL_TOP, _QWEN3VL_BLOCK, ("v.position_embd.weight",), _qwen3vl_clip_kv, _qwen3vl_text_kv,
                   clip_extra=_qwen3vl_clip_extra,
                   consumed=re.compile(r"v\.deepstack_merger\.\d+\.(norm|linear_fc1|linear_fc2)\.(weight|bias)"))
       for arch in ("qwen3vl", "qwen3vlmoe")},
}
SPLIT_ARCHS = tuple(_ARCHS)
_BLOCK_RE = re.compile(r"v\.blk\.(\d+)\.(.+)\.(weight|bias)")
_VOCAB_ARRAYS = ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type")


def vision_arch(kv: dict[str, Any]) -> str | None:
    """The architecture of a GGUF whose vision tower is inside it (Ollama's format), else None."""
    arch = str(kv.get("general.architecture", ""))
    return arch if arch and f"{arch}.vision.block_count" in kv else None


def clip_name(arch: str, name: str) -> str | None:
    """llama.cpp's clip name of one of Ollama's tensors of `arch`; None for a text tensor; "" for one the
    architecture's `clip_extra` writes in another form; SplitError for a vision tensor it does not know (never
    dropped silently)."""
    if not name.startswith(("v.", "mm.")):
        return None
    spec = _ARCHS[arch]
    if name in spec.top:
        return spec.top[name]
    if (m := _BLOCK_RE.fullmatch(name)) and m[2] in spec.block:
        return f"v.blk.{m[1]}.{spec.block[m[2]]}.{m[3]}" if spec.block[m[2]] else ""
    if spec.consumed and spec.consumed.fullmatch(name):
        return ""
    raise SplitError(f"unknown vision tensor {name!r}")


def _fields(reader: gguf.GGUFReader) -> Iterator[tuple[str, Any, gguf.GGUFValueType, Any]]:
    """Every key of the file (not the header counts nor the architecture, which a writer adds itself)."""
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.alignment"):
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        yield key, field.contents(), vtype, sub


def _add(w: gguf.GGUFWriter, key: str, value: Any) -> None:
    if isinstance(value, str):
        w.add_string(key, value)
    elif isinstance(value, float):
        w.add_float32(key, value)
    elif isinstance(value, int):
        w.add_uint32(key, value)
    elif value is not None:
        w.add_array(key, value)


def _text_kv(w: gguf.GGUFWriter, reader: gguf.GGUFReader, arch: str, kv: KV, n_vocab: int) -> None:
    """Every key but the vision ones, under llama.cpp's architecture name; the tokenizer cut to the embedding's
    rows (Ollama's files may list extra multimodal tokens, which llama.cpp refuses); the keys llama.cpp needs
    that Ollama's converter leaves out or writes otherwise."""
    spec = _ARCHS[arch]
    changed = spec.text_kv(kv)
    for key, value, vtype, sub in _fields(reader):
        if key.startswith((f"{arch}.vision.", f"{arch}.mm.", f"{arch}.mm_")):
            continue
        if key.startswith(f"{arch}."):
            key = spec.text_arch + key[len(arch):]
        if key not in changed:
            w.add_key_value(key, value[:n_vocab] if key in _VOCAB_ARRAYS else value, vtype, sub)
    for key, value in changed.items():
        _add(w, key, value)


def _clip_kv(w: gguf.GGUFWriter, arch: str, kv: KV, shapes: Shapes) -> None:
    w.add_bool("clip.has_vision_encoder", True)
    _ARCHS[arch].clip_kv(w, kv, shapes)


def _text_tensor(t: Any) -> _Out:
    return _Out(t.name, t.data.shape, t.data.dtype, t.data.nbytes, t.tensor_type, lambda: t.data)


def _clip_tensor(spec: _Arch, name: str, t: Any, kv: KV) -> _Out:
    """A vision tensor under its clip name, changed as `spec` says, made F32 where llama.cpp wants that."""
    data = t.data
    if name in spec.f32 and t.tensor_type == gguf.GGMLQuantizationType.F16:
        return _Out(name, data.shape, np.dtype(np.float32), data.size * 4, gguf.GGMLQuantizationType.F32,
                    lambda: spec.clip_tensor(name, data, kv).astype(np.float32))
    return _Out(name, data.shape, data.dtype, data.nbytes, t.tensor_type, lambda: spec.clip_tensor(name, data, kv))


def _write(path: Path, w: gguf.GGUFWriter, tensors: list[_Out]) -> None:
    """Write `w`'s keys and the tensors (copied one by one, streaming from the memory map)."""
    for t in tensors:
        w.add_tensor_info(t.name, t.shape, t.dtype, t.nbytes, t.qtype)
    w.write_header_to_file(path)
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for t in tensors:
        w.write_tensor_data(t.load())
    w.close()


def _split_into(src: Path, out: Path) -> None:
    try:
        reader = gguf.GGUFReader(src)
    except (ValueError, OSError, IndexError, KeyError) as e:
        raise SplitError(f"not a readable GGUF ({e})") from None
    kv = {key: value for key, value, _, _ in _fields(reader)}
    kv["general.architecture"] = arch = str(reader.fields["general.architecture"].contents())
    if arch not in SPLIT_ARCHS:
        raise SplitError(f'architecture "{arch}" is not supported (only {", ".join(SPLIT_ARCHS)})')
    spec = _ARCHS[arch]
    shapes: Shapes = {t.name: tuple(int(n) for n in t.shape) for t in reader.tensors}
    n_vocab = shapes.get("token_embd.weight", (0, 0))[-1]  # shape [n_embd, n_vocab]
    names = {t.name: clip_name(arch, t.name) for t in reader.tensors}
    text = [_text_tensor(t) for t in reader.tensors if names[t.name] is None]
    vision = [_clip_tensor(spec, str(names[t.name]), t, kv) for t in reader.tensors if names[t.name]]
    if not vision or not n_vocab:
        raise SplitError("it has no vision tensors" if not vision else "it has no token_embd.weight")
    vision += spec.clip_extra(kv, {t.name: t for t in reader.tensors})
    clip = gguf.GGUFWriter(None, "clip")
    _clip_kv(clip, arch, kv, shapes)
    model = gguf.GGUFWriter(None, spec.text_arch)
    _text_kv(model, reader, arch, kv, n_vocab)
    _write(out / "mmproj.gguf", clip, vision)
    _write(out / "model.gguf", model, text)


def split_model(src: Path, dest: Path) -> tuple[Path, Path]:
    """`dest`/model.gguf and `dest`/mmproj.gguf split from `src`, written once (into a temporary folder
    renamed into place) and reused afterwards."""
    model, mmproj = dest / "model.gguf", dest / "mmproj.gguf"
    if model.is_file() and mmproj.is_file():
        return model, mmproj
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=dest.parent))
    try:
        _split_into(src, tmp)
        os.replace(tmp, dest)
    except OSError as e:
        if not (model.is_file() and mmproj.is_file()):  # not another process's split finished first
            raise SplitError(str(e)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model, mmproj


def runner_files(store: Store, model: Model, embedding: bool) -> tuple[Path, Path | None]:
    """The text GGUF and the projector (None for none, or for embeddings) a runner of `model` loads: for one
    of Ollama's single-file vision models of an architecture split here, its split (made on first use)."""
    assert model.model_path is not None and model.model_digest is not None
    info = model.info()
    if info is not None and vision_arch(info.kv) in SPLIT_ARCHS:
        text, mmproj = split_model(model.model_path, store.split_dir(model.model_digest))
        return text, None if embedding else mmproj
    return model.model_path, model.projectors[0] if model.projectors and not embedding else None
