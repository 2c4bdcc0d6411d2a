"""Hugging Face safetensors model directories -> GGUF files that llama.cpp loads.

`convert_safetensors(src, dst)` reads config.json, the (possibly sharded) *.safetensors and the
tokenizer files of `src` and writes one GGUF file at `dst` (atomically: a temp file beside it is
renamed at the end). Supported: BERT encoders (BertModel, BertForMaskedLM) and the Llama family
(LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pollama.convert import bert, llama
from pollama.convert.base import ConvertError, read_config
from pollama.convert.safetensors import open_checkpoint
from pollama.convert.writer import OUT_TYPES, Plan, write_plan

__all__ = ["ConvertError", "SUPPORTED", "OUT_TYPES", "detect_architecture", "convert_safetensors"]

_PLANNERS: dict[str, Callable[[Path, dict[str, Any], Any, str, str], Plan]] = {
    **{hf: bert.plan for hf in bert.ARCHITECTURES},
    **{hf: llama.plan for hf in llama.ARCHITECTURES},
}
# Hugging Face architecture class -> GGUF general.architecture
SUPPORTED: dict[str, str] = {**bert.ARCHITECTURES, **llama.ARCHITECTURES}


def _hf_architecture(config: dict[str, Any]) -> str:
    archs = config.get("architectures")
    if not isinstance(archs, list) or not archs or not isinstance(archs[0], str):
        raise ConvertError("config.json has no \"architectures\" entry")
    if archs[0] not in SUPPORTED:
        raise ConvertError(
            f"unsupported architecture {archs[0]!r} (supported: {', '.join(sorted(SUPPORTED))})"
        )
    return archs[0]


def detect_architecture(src: Path) -> str:
    """The GGUF architecture ("bert", "llama", "qwen2", "qwen3") of the model in `src`.

    Read from config.json's "architectures"; ConvertError when it is missing or unsupported.
    """
    return SUPPORTED[_hf_architecture(read_config(Path(src)))]


def _model_name(src: Path, config: dict[str, Any]) -> str:
    path = config.get("_name_or_path")
    if isinstance(path, str) and path.strip("/"):
        return path.rstrip("/").rsplit("/", 1)[-1]
    return src.resolve().name


def convert_safetensors(
    src: Path,
    dst: Path,
    *,
    out_type: str = "f16",
    progress: Callable[[str], None] | None = None,
) -> None:
    """Convert the Hugging Face model directory `src` to the GGUF file `dst`.

    out_type is the storage of the weight matrices: "f16" (default), "f32", "bf16" or "q8_0";
    vectors and norms stay F32. Raises ConvertError (a ValueError) naming what is missing or
    unsupported; nothing is left at dst on failure.
    """
    src, dst = Path(src), Path(dst)
    if out_type not in OUT_TYPES:
        raise ConvertError(f"unsupported output type {out_type!r} (one of {', '.join(OUT_TYPES)})")
    config = read_config(src)
    hf_arch = _hf_architecture(config)
    ckpt = open_checkpoint(src)
    try:
        if progress is not None:
            progress(f"converting {hf_arch} ({len(ckpt.refs)} tensors)")
        plan = _PLANNERS[hf_arch](src, config, ckpt, out_type, _model_name(src, config))
        write_plan(plan, dst, progress)
    finally:
        ckpt.close()
