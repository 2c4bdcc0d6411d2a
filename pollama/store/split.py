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
differ (rope base 10000), so they are written explicitly. Other architectures are not split.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gguf

from pollama.api.errors import APIError
from pollama.store.layout import Store
from pollama.store.model import Model

__all__ = ["SPLIT_ARCHS", "SplitError", "vision_arch", "clip_name", "split_model", "runner_files"]

SPLIT_ARCHS = ("gemma3",)

# Ollama's gemma3 tensor names (prefix of the rest) -> llama.cpp's clip names
_TOP = {"v.patch_embedding": "v.patch_embd", "v.position_embedding": "v.position_embd",
        "v.post_layernorm": "v.post_ln", "mm.mm_input_projection": "mm.input_projection",
        "mm.mm_soft_emb_norm": "mm.soft_emb_norm"}
_BLOCK = {"attn_q": "attn_q", "attn_k": "attn_k", "attn_v": "attn_v", "attn_output": "attn_out",
          "layer_norm1": "ln1", "layer_norm2": "ln2", "mlp.fc1": "ffn_up", "mlp.fc2": "ffn_down"}
_BLOCK_RE = re.compile(r"v\.blk\.(\d+)\.(.+)\.(weight|bias)")
_TOP_RE = re.compile(r"(.+)\.(weight|bias)")

# text keys llama.cpp requires or defaults differently, which Ollama's runtime defaults when absent (also what
# Ollama's own llama.cpp shim, llama/compat/llama-ollama-compat.cpp handle_gemma3, fills in): (llama.cpp's key,
# the keys that may carry it in an Ollama file, Ollama's default)
_TEXT_DEFAULTS = (("attention.layer_norm_rms_epsilon", ("attention.layer_norm_rms_epsilon",), 1e-6),
                  ("rope.freq_base", ("rope.freq_base", "rope.global.freq_base"), 1e6),
                  ("rope.freq_base_swa", ("rope.freq_base_swa", "rope.local.freq_base"), 10000.0))
_LONG_CONTEXT = 131072  # gemma3 4B/12B/27B: trained at 16k, linear rope scaling x8 to reach this
_VOCAB_ARRAYS = ("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type")
_F32_TENSORS = ("v.patch_embd.weight", "v.position_embd.weight")  # F32 in llama.cpp's gemma3 mmproj
_VISION_KEYS = (("block_count", "block_count"), ("embedding_length", "embedding_length"),
                ("feed_forward_length", "feed_forward_length"), ("image_size", "image_size"),
                ("patch_size", "patch_size"), ("attention.head_count", "attention.head_count"))
_IMAGE_MEAN = _IMAGE_STD = [0.5, 0.5, 0.5]  # Ollama's gemma3 process_image: imageproc.ImageNetStandard*
_TOKENS_PER_IMAGE = 256  # Ollama's and llama.cpp's default for gemma3


class SplitError(APIError):
    def __init__(self, message: str) -> None:
        super().__init__(f"cannot split the single-file vision model into a text and a projector GGUF: "
                         f"{message}", 500)


def vision_arch(kv: dict[str, Any]) -> str | None:
    """The architecture of a GGUF whose vision tower is inside it (Ollama's format), else None."""
    arch = str(kv.get("general.architecture", ""))
    return arch if arch and f"{arch}.vision.block_count" in kv else None


def clip_name(name: str) -> str | None:
    """llama.cpp's clip name of one of Ollama's gemma3 tensors; None for a text tensor; SplitError for a
    vision tensor it does not know (never dropped silently)."""
    if not name.startswith(("v.", "mm.")):
        return None
    if m := _BLOCK_RE.fullmatch(name):
        if m[2] in _BLOCK:
            return f"v.blk.{m[1]}.{_BLOCK[m[2]]}.{m[3]}"
    elif (m := _TOP_RE.fullmatch(name)) and m[1] in _TOP:
        return f"{_TOP[m[1]]}.{m[2]}"
    raise SplitError(f"unknown vision tensor {name!r}")


def _fields(reader: gguf.GGUFReader) -> Iterator[tuple[str, Any, gguf.GGUFValueType, Any]]:
    """Every key of the file (not the header counts nor the architecture, which a writer adds itself)."""
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "general.alignment"):
            continue
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        yield key, field.contents(), vtype, sub


def _text_kv(w: gguf.GGUFWriter, reader: gguf.GGUFReader, arch: str, kv: dict[str, Any], n_vocab: int) -> None:
    """Every key but the vision ones; the tokenizer cut to the embedding's rows (Ollama's files may list extra
    multimodal tokens, which llama.cpp refuses); the keys llama.cpp needs that Ollama's converter leaves out."""
    for key, value, vtype, sub in _fields(reader):
        if not key.startswith((f"{arch}.vision.", f"{arch}.mm.", f"{arch}.mm_")):
            w.add_key_value(key, value[:n_vocab] if key in _VOCAB_ARRAYS else value, vtype, sub)
    for llama_key, ollama_keys, default in _TEXT_DEFAULTS:
        if f"{arch}.{llama_key}" not in kv:
            value = next((kv[f"{arch}.{k}"] for k in ollama_keys if f"{arch}.{k}" in kv), default)
            w.add_float32(f"{arch}.{llama_key}", float(value))
    if int(kv.get(f"{arch}.context_length", 0)) >= _LONG_CONTEXT and f"{arch}.rope.scaling.type" not in kv:
        w.add_string(f"{arch}.rope.scaling.type", "linear")
        w.add_float32(f"{arch}.rope.scaling.factor", 8.0)


def _clip_kv(w: gguf.GGUFWriter, arch: str, kv: dict[str, Any]) -> None:
    v = f"{arch}.vision."
    missing = [v + key for key, _ in _VISION_KEYS if v + key not in kv] + \
        ([] if f"{arch}.embedding_length" in kv else [f"{arch}.embedding_length"])
    if missing:
        raise SplitError("missing " + ", ".join(missing))
    w.add_string("clip.projector_type", arch)
    w.add_bool("clip.has_vision_encoder", True)
    w.add_bool("clip.use_gelu", True)
    for clip_key, ollama_key in _VISION_KEYS:
        w.add_uint32(f"clip.vision.{clip_key}", int(kv[v + ollama_key]))
    w.add_float32("clip.vision.attention.layer_norm_epsilon", float(kv.get(v + "attention.layer_norm_epsilon", 1e-6)))
    w.add_uint32("clip.vision.projection_dim", int(kv[f"{arch}.embedding_length"]))
    w.add_array("clip.vision.image_mean", _IMAGE_MEAN)
    w.add_array("clip.vision.image_std", _IMAGE_STD)
    tokens = int(kv.get(f"{arch}.mm.tokens_per_image", kv.get(f"{arch}.mm_tokens_per_image", _TOKENS_PER_IMAGE)))
    per_side = int(kv[v + "image_size"]) // int(kv[v + "patch_size"])
    w.add_uint32("clip.vision.projector.scale_factor", max(1, per_side // math.isqrt(tokens)))


def _tensor(name: str, t: Any) -> tuple[str, Any, gguf.GGMLQuantizationType]:
    """A tensor to write: a reader's memory-mapped data, as it is, or made F32 where llama.cpp wants that."""
    if name in _F32_TENSORS and t.tensor_type == gguf.GGMLQuantizationType.F16:
        return name, t.data.astype("float32"), gguf.GGMLQuantizationType.F32
    return name, t.data, t.tensor_type


def _write(path: Path, w: gguf.GGUFWriter, tensors: list[tuple[str, Any, gguf.GGMLQuantizationType]]) -> None:
    """Write `w`'s keys and the tensors (copied one by one, streaming from the memory map)."""
    for name, data, qtype in tensors:
        w.add_tensor_info(name, data.shape, data.dtype, data.nbytes, qtype)
    w.write_header_to_file(path)
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for _, data, _ in tensors:
        w.write_tensor_data(data)
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
    text: list[tuple[str, Any, gguf.GGMLQuantizationType]] = []
    vision: list[tuple[str, Any, gguf.GGMLQuantizationType]] = []
    n_vocab = 0
    for t in reader.tensors:
        new = clip_name(t.name)
        (text if new is None else vision).append(_tensor(new or t.name, t))
        n_vocab = int(t.shape[-1]) if t.name == "token_embd.weight" else n_vocab  # shape [n_embd, n_vocab]
    if not vision or not n_vocab:
        raise SplitError("it has no vision tensors" if not vision else "it has no token_embd.weight")
    clip = gguf.GGUFWriter(None, "clip")
    _clip_kv(clip, arch, kv)
    model = gguf.GGUFWriter(None, arch)
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
