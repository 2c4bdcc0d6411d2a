"""Streaming GGUF output: tensors are produced one at a time and written to a temp file, renamed at the end."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

from pollama.convert.base import ConvertError

__all__ = ["OUT_TYPES", "OutTensor", "Plan", "tensor_type", "write_plan"]

Q = gguf.GGMLQuantizationType
# out_type -> (type of the big matrices, general.file_type)
OUT_TYPES: dict[str, tuple[gguf.GGMLQuantizationType, gguf.LlamaFileType]] = {
    "f32": (Q.F32, gguf.LlamaFileType.ALL_F32),
    "f16": (Q.F16, gguf.LlamaFileType.MOSTLY_F16),
    "bf16": (Q.BF16, gguf.LlamaFileType.MOSTLY_BF16),
    "q8_0": (Q.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
}
# kept in F32 whatever the out_type, as llama.cpp's converter does
_F32_SUFFIXES = ("_norm.weight", "position_embd.weight", "token_types.weight", "rope_freqs.weight")


@dataclass
class OutTensor:
    """One GGUF tensor: name, numpy-order shape, storage type and a function returning its float32 data."""

    name: str
    shape: tuple[int, ...]
    qtype: gguf.GGMLQuantizationType
    produce: Callable[[], np.ndarray]


@dataclass
class Plan:
    """A writer holding every key/value, and the tensors to write in order."""

    writer: gguf.GGUFWriter
    tensors: list[OutTensor]


def tensor_type(name: str, shape: tuple[int, ...], out_type: str) -> gguf.GGMLQuantizationType:
    """Storage type of a tensor: F32 for vectors, norms and small embeddings; out_type otherwise."""
    if out_type not in OUT_TYPES:
        raise ConvertError(f"unsupported output type {out_type!r} (one of {', '.join(OUT_TYPES)})")
    if len(shape) <= 1 or name.endswith(_F32_SUFFIXES):
        return Q.F32
    qtype = OUT_TYPES[out_type][0]
    block, _ = gguf.GGML_QUANT_SIZES[qtype]
    if shape[-1] % block:
        return Q.F16  # rows that do not split into whole blocks
    return qtype


def _nbytes(shape: tuple[int, ...], qtype: gguf.GGMLQuantizationType) -> int:
    return int(np.prod(gguf.quant_shape_to_byte_shape(shape, qtype), dtype=np.int64))


def _encode(data: np.ndarray, qtype: gguf.GGMLQuantizationType) -> np.ndarray:
    data = np.ascontiguousarray(data, dtype=np.float32)
    if qtype == Q.F32:
        return data
    if qtype == Q.F16:
        return data.astype(np.float16)
    return gguf.quants.quantize(data, qtype)


def write_plan(plan: Plan, dst: Path, progress: Callable[[str], None] | None = None) -> None:
    """Write the plan to a temp file beside dst, then atomically rename it to dst."""
    w = plan.writer
    seen: set[str] = set()
    for t in plan.tensors:
        if t.name in seen:
            raise ConvertError(f"two source tensors map to {t.name}")
        seen.add(t.name)
    for t in plan.tensors:
        w.add_tensor_info(t.name, t.shape, np.dtype(np.float32), _nbytes(t.shape, t.qtype), raw_dtype=t.qtype)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        w.write_header_to_file(tmp)
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        total = len(plan.tensors)
        for i, t in enumerate(plan.tensors, 1):
            if progress is not None:
                progress(f"converting {t.name} ({i}/{total})")
            data = t.produce()
            if tuple(data.shape) != t.shape:
                raise ConvertError(f"tensor {t.name} has shape {data.shape}, expected {t.shape}")
            w.write_tensor_data(_encode(data, t.qtype))
        w.flush()
        assert w.fout is not None
        for f in w.fout:
            os.fsync(f.fileno())
        w.close()
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the result is an ordinary file
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):  # closing flushes, which fails again on a full disk
            w.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
