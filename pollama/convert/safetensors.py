"""Lazy reading of (possibly sharded) safetensors checkpoints with numpy, BF16 included.

The format is an 8-byte little-endian header length, a JSON header mapping tensor names to
{dtype, shape, data_offsets}, then the raw little-endian data. Files are memory-mapped, so a
tensor is only read when it is asked for.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pollama.convert.base import ConvertError, read_json

__all__ = ["TensorRef", "Checkpoint", "open_checkpoint"]

_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # raw bits; widened to float32 on load
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_MAX_HEADER = 100 * 1024 * 1024


@dataclass(frozen=True)
class TensorRef:
    """Where one tensor lives: file, dtype name as in the header, shape, byte range."""

    name: str
    path: Path
    dtype: str
    shape: tuple[int, ...]
    start: int
    end: int

    @property
    def is_float(self) -> bool:
        return self.dtype in ("F64", "F32", "F16", "BF16")


class Checkpoint:
    """All tensors of a model directory, by name; arrays are loaded on demand."""

    def __init__(self, refs: dict[str, TensorRef]) -> None:
        self.refs = refs
        self._maps: dict[Path, np.memmap] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.refs

    def __iter__(self) -> Iterator[str]:
        return iter(self.refs)

    def names(self) -> list[str]:
        return list(self.refs)

    def shape(self, name: str) -> tuple[int, ...]:
        return self.refs[name].shape

    def raw(self, name: str) -> np.ndarray:
        """The tensor as stored (BF16 as uint16 bits), read-only view of the mapped file."""
        ref = self.refs[name]
        mm = self._maps.get(ref.path)
        if mm is None:
            mm = self._maps[ref.path] = np.memmap(ref.path, dtype=np.uint8, mode="r")
        dtype = _DTYPES[ref.dtype]
        return mm[ref.start:ref.end].view(dtype).reshape(ref.shape)

    def load(self, name: str) -> np.ndarray:
        """The tensor as float32 (a fresh array)."""
        ref = self.refs[name]
        if not ref.is_float:
            raise ConvertError(f"tensor {name} has dtype {ref.dtype}, expected a float type")
        data = self.raw(name)
        if ref.dtype == "BF16":
            return (data.astype(np.uint32) << 16).view(np.float32)
        return data.astype(np.float32)

    def close(self) -> None:
        self._maps.clear()


def _read_header(path: Path) -> dict[str, TensorRef]:
    try:
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) != 8:
                raise ConvertError(f"{path.name} is not a safetensors file (too short)")
            (n,) = struct.unpack("<Q", head)
            if n > _MAX_HEADER:
                raise ConvertError(f"{path.name} is not a safetensors file (header of {n} bytes)")
            header = json.loads(f.read(n))
        size = path.stat().st_size
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConvertError(f"cannot read {path.name}: {e}") from None
    if not isinstance(header, dict):
        raise ConvertError(f"{path.name}: malformed safetensors header")
    base = 8 + n
    refs: dict[str, TensorRef] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = str(info["dtype"])
            shape = tuple(int(d) for d in info["shape"])
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ConvertError(f"{path.name}: malformed entry for tensor {name}") from None
        if dtype not in _DTYPES:
            raise ConvertError(f"{path.name}: tensor {name} has unsupported dtype {dtype}")
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * _DTYPES[dtype].itemsize or base + end > size or begin < 0:
            raise ConvertError(f"{path.name}: tensor {name} has inconsistent size or offsets")
        refs[name] = TensorRef(name, path, dtype, shape, base + begin, base + end)
    return refs


def _shard_files(src: Path) -> list[Path]:
    index = src / "model.safetensors.index.json"
    if index.is_file():
        data = read_json(index)
        weight_map = data.get("weight_map") if isinstance(data, dict) else None
        if not isinstance(weight_map, dict) or not weight_map:
            raise ConvertError("model.safetensors.index.json has no weight_map")
        files = sorted({str(v) for v in weight_map.values()})
        missing = [f for f in files if not (src / f).is_file()]
        if missing:
            raise ConvertError(f"missing safetensors shard(s): {', '.join(missing)}")
        return [src / f for f in files]
    files = sorted(p for p in src.glob("*.safetensors") if p.is_file())
    # Mistral repositories ship both HF shards and a "consolidated" file with other tensor names.
    hf = [p for p in files if not p.name.startswith("consolidated")]
    files = hf or files
    if not files:
        raise ConvertError(f"no *.safetensors files in {src}")
    return files


def open_checkpoint(src: Path) -> Checkpoint:
    """Index every tensor of the safetensors files in `src` (following the shard index if present)."""
    refs: dict[str, TensorRef] = {}
    for path in _shard_files(src):
        for name, ref in _read_header(path).items():
            if name in refs:
                raise ConvertError(f"tensor {name} appears in both {refs[name].path.name} and {path.name}")
            refs[name] = ref
    if not refs:
        raise ConvertError("the safetensors files hold no tensors")
    return Checkpoint(refs)
