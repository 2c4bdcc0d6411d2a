"""GGUF metadata for show/list/create: architecture, sizes, quantization, template, capabilities.

`gguf.GGUFReader` decodes every tokenizer array element by element (about 6 s for a 49k-token
vocabulary here), so the header is read with a small streaming parser that skips big arrays unless
they are asked for. Value types, file types and key names still come from the gguf package.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import gguf as _gguf

__all__ = ["GGUFInfo", "GGUFError", "read_gguf", "human_number", "file_type_name", "is_gguf", "draft_mismatch"]

_MAGIC = b"GGUF"
_T = _gguf.GGUFValueType
_SCALAR = {
    _T.UINT8: "<B", _T.INT8: "<b", _T.UINT16: "<H", _T.INT16: "<h", _T.UINT32: "<I", _T.INT32: "<i",
    _T.FLOAT32: "<f", _T.BOOL: "<?", _T.UINT64: "<Q", _T.INT64: "<q", _T.FLOAT64: "<d",
}
_SMALL_ARRAY = 64  # arrays longer than this are elided unless `arrays=True`
_VOCAB_SIZE_SLACK = 128  # llama-server's SPEC_VOCAB_MAX_SIZE_DIFFERENCE
_VOCAB_CHECK_START = 5  # llama-server's SPEC_VOCAB_CHECK_START_TOKEN_ID


class GGUFError(ValueError):
    pass


@dataclass
class GGUFInfo:
    kv: dict[str, Any]
    tensors: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)
    elided: set[str] = field(default_factory=set)

    def get(self, key: str, default: Any = None) -> Any:
        return self.kv.get(key, default)

    @property
    def architecture(self) -> str:
        return str(self.kv.get("general.architecture", ""))

    def arch_key(self, suffix: str, default: Any = None) -> Any:
        return self.kv.get(f"{self.architecture}.{suffix}", default)

    @property
    def parameter_count(self) -> int:
        if self.tensors:
            total = 0
            for _, shape, _ in self.tensors:
                n = 1
                for d in shape:
                    n *= d
                total += n
            return total
        return int(self.kv.get("general.parameter_count", 0))

    @property
    def context_length(self) -> int:
        return int(self.arch_key("context_length", 0) or 0)

    @property
    def embedding_length(self) -> int:
        return int(self.arch_key("embedding_length", 0) or 0)

    @property
    def file_type(self) -> str:
        ft = self.kv.get("general.file_type")
        return file_type_name(int(ft)) if ft is not None else self._guess_file_type()

    def _guess_file_type(self) -> str:
        counts: dict[int, int] = {}
        for _, shape, ggml_type in self.tensors:
            if len(shape) >= 2:
                counts[ggml_type] = counts.get(ggml_type, 0) + 1
        if not counts:
            return "unknown"
        return _gguf.GGMLQuantizationType(max(counts, key=counts.__getitem__)).name

    @property
    def chat_template(self) -> str | None:
        t = self.kv.get("tokenizer.chat_template")
        return t if isinstance(t, str) else None

    @property
    def is_embedding_model(self) -> bool:
        """Encoder models (BERT family) or models that declare a pooling type and no causal attention."""
        arch = self.architecture
        if arch in {"bert", "nomic-bert", "jina-bert-v2", "xlm-roberta", "roberta", "modern-bert", "neo-bert"}:
            return True
        return self.arch_key("pooling_type") is not None and self.arch_key("attention.causal") is False

    @property
    def is_rerank_model(self) -> bool:
        """A reranker: its pooling type is llama.cpp's rank pooling (a relevance score per sequence)."""
        return self.arch_key("pooling_type") == int(_gguf.PoolingType.RANK)

    def model_info(self, verbose: bool = False) -> dict[str, Any]:
        """`model_info` of /api/show: the KV pairs, big arrays elided as [] unless verbose."""
        out: dict[str, Any] = {}
        for k, v in self.kv.items():
            if k.startswith("GGUF."):
                continue
            out[k] = [] if (k in self.elided and not verbose) else v
        out["general.parameter_count"] = self.parameter_count
        return dict(sorted(out.items()))


def draft_mismatch(target: GGUFInfo, draft: GGUFInfo) -> str | None:
    """Why `draft` cannot be a draft model for `target` (llama-server's vocabulary test: same tokenizer type,
    BOS and EOS, sizes within 128, the same token texts from id 5 on), or None. Read both with arrays=True."""
    if draft.is_embedding_model:
        return "it is an embedding model"
    if target.get("tokenizer.ggml.model") != draft.get("tokenizer.ggml.model"):
        return "its tokenizer type differs from the model's"
    ours, theirs = target.get("tokenizer.ggml.tokens") or [], draft.get("tokenizer.ggml.tokens") or []
    if not ours or not theirs:
        return "a vocabulary is missing"
    if abs(len(ours) - len(theirs)) > _VOCAB_SIZE_SLACK:
        return f"its vocabulary has {len(theirs)} tokens, the model's {len(ours)}"
    for key, label in (("tokenizer.ggml.bos_token_id", "BOS"), ("tokenizer.ggml.eos_token_id", "EOS")):
        if target.get(key) != draft.get(key):
            return f"its {label} token differs from the model's"
    n = min(len(ours), len(theirs))
    for i in range(_VOCAB_CHECK_START, n):
        if ours[i] != theirs[i]:
            return f"token {i} differs ({ours[i]!r} vs {theirs[i]!r})"
    return None


def file_type_name(ft: int) -> str:
    try:
        name = _gguf.LlamaFileType(ft).name
    except ValueError:
        return "unknown"
    for prefix in ("MOSTLY_", "ALL_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def human_number(n: int) -> str:
    """Ollama's format.HumanNumber: 134515008 -> "134.52M", 8030261248 -> "8.0B"."""
    for unit, scale, decimals in (("T", 10**12, 1), ("B", 10**9, 1), ("M", 10**6, 2)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f}{unit}" if value == int(value) else f"{value:.{decimals}f}{unit}"
    if n >= 1000:
        return f"{n / 1000:.0f}K"
    return str(n)


def is_gguf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == _MAGIC
    except OSError:
        return False


class _Reader:
    def __init__(self, f: BinaryIO) -> None:
        self.f = f

    def read(self, n: int) -> bytes:
        b = self.f.read(n)
        if len(b) != n:
            raise GGUFError("unexpected end of file in GGUF header")
        return b

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.read(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.scalar("<Q")
        if n > 1 << 30:
            raise GGUFError("corrupt GGUF string length")
        return self.read(n).decode("utf-8", errors="replace")

    def value(self, vtype: int, keep_arrays: bool) -> tuple[Any, bool]:
        if vtype == _T.STRING:
            return self.string(), False
        if vtype in _SCALAR:
            return self.scalar(_SCALAR[vtype]), False
        if vtype != _T.ARRAY:
            raise GGUFError(f"unknown GGUF value type {vtype}")
        itype = self.scalar("<I")
        count = self.scalar("<Q")
        if count > 1 << 32:
            raise GGUFError("corrupt GGUF array length")
        keep = keep_arrays or count <= _SMALL_ARRAY
        if itype in _SCALAR:
            size = struct.calcsize(_SCALAR[itype])
            raw = self.read(size * count)
            if not keep:
                return None, True
            return list(struct.unpack(f"<{count}{_SCALAR[itype][1]}", raw)), False
        items = []
        for _ in range(count):
            item, _ = self.value(itype, keep)
            if keep:
                items.append(item)
        return (items, False) if keep else (None, True)


def read_gguf(path: str | Path, *, arrays: bool = False, tensors: bool = True) -> GGUFInfo:
    """Read a GGUF header. Raises GGUFError for anything that is not a readable GGUF file."""
    try:
        with open(path, "rb") as f:
            r = _Reader(f)
            if r.read(4) != _MAGIC:
                raise GGUFError("not a GGUF file (bad magic)")
            version = r.scalar("<I")
            if version not in (2, 3):
                raise GGUFError(f"unsupported GGUF version {version}")
            n_tensors, n_kv = r.scalar("<Q"), r.scalar("<Q")
            info = GGUFInfo(kv={"GGUF.version": version})
            for _ in range(n_kv):
                key = r.string()
                value, elided = r.value(r.scalar("<I"), arrays)
                info.kv[key] = value
                if elided:
                    info.elided.add(key)
            if tensors:
                for _ in range(n_tensors):
                    name = r.string()
                    dims = tuple(r.scalar("<Q") for _ in range(r.scalar("<I")))
                    ggml_type = r.scalar("<I")
                    r.scalar("<Q")  # offset
                    info.tensors.append((name, dims, ggml_type))
            return info
    except OSError as e:
        raise GGUFError(str(e)) from e
    except (struct.error, UnicodeDecodeError) as e:
        raise GGUFError(f"corrupt GGUF header: {e}") from e
