"""Thin layer over llama-cpp-python's low-level (ctypes) API: model, context, tokens, logging."""

from __future__ import annotations

import ctypes
import os
import re
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp as lc
import numpy as np

__all__ = ["LoadError", "Model", "ContextConfig", "make_context", "setup_logging", "last_errors",
           "kv_cache_report", "log_callback", "common_prefix"]

_LOG_WARN = 3
_LOG_ERROR = 4
_LOG_CONT = 5
_errors: deque[str] = deque(maxlen=8)
_log_state = {"verbose": False, "last_level": 0}
_log_cb: Any = None
log_listeners: list[Callable[[str], None]] = []  # called with every llama.cpp log line (pollama.runner.rpc)
# what llama.cpp logs of the last context's KV cache (it offers no getter; _note_kv listens): sizes, types, FA
_KV_SIZE = re.compile(r"llama_kv_cache: size = *([0-9.]+) MiB .*K \((\w+)\): .*V \((\w+)\):")
_FA_AUTO = re.compile(r"Flash Attention (enabled|not supported)")
_kv_log: dict[str, Any] = {}


class LoadError(RuntimeError):
    """The model (or an adapter) could not be loaded."""


def _on_log(level: int, text: bytes | None, _user: Any) -> None:
    msg = (text or b"").decode("utf-8", "replace")
    if level == _LOG_CONT:
        level = int(_log_state["last_level"])
    else:
        _log_state["last_level"] = level
    if level >= _LOG_ERROR and msg.strip():
        _errors.append(msg.strip())
    for listen in log_listeners:
        listen(msg)
    if level >= _LOG_WARN or _log_state["verbose"]:
        sys.stderr.write(msg)


def setup_logging(verbose: bool | None = None) -> None:
    """Route llama.cpp logs to stderr: warnings and errors, everything with OLLAMA_DEBUG set."""
    global _log_cb
    if verbose is None:
        verbose = os.environ.get("OLLAMA_DEBUG", "") not in ("", "0", "false")
    _log_state["verbose"] = verbose
    _log_cb = lc.llama_log_callback(_on_log)
    lc.llama_log_set(_log_cb, ctypes.c_void_p(0))
    lc.llama_backend_init()


def _note_kv(msg: str) -> None:
    if "llama_kv_cache: size" not in msg and "Flash Attention" not in msg:
        return
    if m := _KV_SIZE.search(msg):  # one line per cache (two for a model with sliding-window layers)
        _kv_log["bytes"] = _kv_log.get("bytes", 0) + round(float(m[1]) * (1 << 20))
        _kv_log["type_k"], _kv_log["type_v"] = m[2], m[3]
    elif m := _FA_AUTO.search(msg):
        _kv_log["flash_attn"] = "on" if m[1] == "enabled" else "off"


log_listeners.append(_note_kv)


def kv_cache_report(cfg: ContextConfig) -> dict[str, Any]:
    """The KV cache of the context `make_context(model, cfg)` made last, as llama.cpp logged it: flash attention
    ("on"/"off", what "auto" became), K and V types, and bytes (to 0.01 MiB; 0 for a model without a cache)."""
    flash_attn = cfg.flash_attn if cfg.flash_attn != "auto" else _kv_log.get("flash_attn", "auto")
    return {"flash_attn": flash_attn, "kv_cache_type_k": _kv_log.get("type_k", cfg.cache_type),
            "kv_cache_type_v": _kv_log.get("type_v", cfg.cache_type), "kv_cache_bytes": _kv_log.get("bytes", 0)}


def last_errors() -> list[str]:
    """The last error lines llama.cpp logged."""
    return list(_errors)


def log_callback() -> Any:
    """The callback `setup_logging` gave llama.cpp, for the libraries beside it (mtmd) to log through."""
    return _log_cb


def _load_error(default: str) -> str:
    """The most telling error llama.cpp logged ("error loading model: ..."), else `default`."""
    lines = list(_errors)
    for n, line in enumerate(lines):
        i = line.find("error loading model")
        if i >= 0:
            return line[i:] + (f" ({lines[n - 1]})" if n > 0 else "")
    return lines[-1] if lines else default


class Model:
    """A loaded llama.cpp model and its vocabulary."""

    def __init__(self, path: str | Path, loras: list[str] | None = None, offload: Any = None) -> None:
        path = Path(path)
        if not path.is_file():
            raise LoadError(f"model file not found: {path}")
        params = lc.llama_model_default_params()
        params.n_gpu_layers = 0
        if offload is not None:  # a pollama.runner.rpc.Offload: layers on RPC servers
            offload.apply(params, path)
        self.ptr = lc.llama_model_load_from_file(str(path).encode(), params)
        if not self.ptr:
            raise LoadError(_load_error(f"unable to load model: {path}"))
        self.vocab = lc.llama_model_get_vocab(self.ptr)
        self.n_vocab = int(lc.llama_vocab_n_tokens(self.vocab))
        self.n_ctx_train = int(lc.llama_model_n_ctx_train(self.ptr))
        self.n_embd = int(lc.llama_model_n_embd(self.ptr))
        self.n_embd_out = int(lc.llama_model_n_embd_out(self.ptr)) or self.n_embd
        self.has_encoder = bool(lc.llama_model_has_encoder(self.ptr))
        self.has_decoder = bool(lc.llama_model_has_decoder(self.ptr))
        # a reranker: rank pooling gives n_cls_out scores per sequence instead of an embedding
        arch = self.meta("general.architecture")
        self.ranks = self.meta(f"{arch}.pooling_type") == str(lc.LLAMA_POOLING_TYPE_RANK)
        self.n_pooled = int(lc.llama_model_n_cls_out(self.ptr)) if self.ranks else self.n_embd_out
        template = lc.llama_model_chat_template(self.ptr, b"rerank")
        self.rerank_template: str | None = template.decode("utf-8", "replace") if template else None
        self._pieces: list[bytes | None] = [None] * self.n_vocab
        self._eog = [False] * self.n_vocab
        for t in range(self.n_vocab):
            if lc.llama_vocab_is_eog(self.vocab, t):
                self._eog[t] = True
        self.loras: list[Any] = []
        for lora in loras or []:
            adapter = lc.llama_adapter_lora_init(self.ptr, str(lora).encode())
            if not adapter:
                raise LoadError(f"unable to load LoRA adapter: {lora}")
            self.loras.append(adapter)

    def meta(self, key: str) -> str | None:
        """A GGUF metadata value as text (None if the file has no such key)."""
        size = 256
        while True:
            buf = ctypes.create_string_buffer(size)
            n = lc.llama_model_meta_val_str(self.ptr, key.encode(), buf, size)
            if n < 0:
                return None
            if n < size:
                return buf.value.decode("utf-8", "replace")
            size = n + 1

    # ---- tokens -----------------------------------------------------------------------------------
    def tokenize(self, text: str, *, add_special: bool = True, parse_special: bool = True) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 8
        while True:
            buf = (lc.llama_token * cap)()
            n = lc.llama_tokenize(self.vocab, data, len(data), buf, cap, add_special, parse_special)
            if n >= 0:
                return list(buf[:n])
            cap = -n

    def piece(self, token: int) -> bytes:
        """The bytes of one token, special tokens rendered (cached)."""
        cached = self._pieces[token] if 0 <= token < self.n_vocab else b""
        if cached is not None:
            return cached
        buf = ctypes.create_string_buffer(64)
        n = lc.llama_token_to_piece(self.vocab, token, buf, 64, 0, True)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = lc.llama_token_to_piece(self.vocab, token, buf, -n, 0, True)
        out = buf.raw[:n]
        self._pieces[token] = out
        return out

    def detokenize(self, tokens: list[int]) -> str:
        return b"".join(self.piece(t) for t in tokens if 0 <= t < self.n_vocab).decode("utf-8", "replace")

    def is_eog(self, token: int) -> bool:
        return self._eog[token]

    def valid_tokens(self, tokens: list[int]) -> bool:
        n = self.n_vocab
        return all(isinstance(t, int) and 0 <= t < n for t in tokens)


def common_prefix(a: list[int], b: list[int]) -> int:
    """How many tokens two token lists share from the start."""
    n = min(len(a), len(b))
    if n == 0 or a[0] != b[0]:
        return 0
    if a[:n] == b[:n]:
        return n
    x = np.asarray(a[:n], dtype=np.int32)
    y = np.asarray(b[:n], dtype=np.int32)
    return int(np.argmin(x == y))


@dataclass(frozen=True)
class ContextConfig:
    n_ctx_seq: int
    n_seq: int
    n_batch: int
    threads: int
    embedding: bool = False
    seed: int = -1
    flash_attn: str = "auto"  # "auto", "on" or "off" (pollama.kvcache decides)
    cache_type: str = "f16"  # K and V: "f16", "q8_0" or "q4_0"


_FLASH_ATTN = {"auto": lc.LLAMA_FLASH_ATTN_TYPE_AUTO, "on": lc.LLAMA_FLASH_ATTN_TYPE_ENABLED,
               "off": lc.LLAMA_FLASH_ATTN_TYPE_DISABLED}
_GGML_TYPES = {"f16": lc.GGML_TYPE_F16, "q8_0": lc.GGML_TYPE_Q8_0, "q4_0": lc.GGML_TYPE_Q4_0}


def make_context(model: Model, cfg: ContextConfig) -> Any:
    """A llama context with one KV stream per sequence (ctx*n_seq in all)."""
    params = lc.llama_context_default_params()
    params.n_ctx = cfg.n_ctx_seq * cfg.n_seq
    params.n_seq_max = cfg.n_seq
    params.n_batch = cfg.n_batch
    params.n_ubatch = cfg.n_batch if cfg.embedding else min(cfg.n_batch, 512)
    params.n_threads = cfg.threads
    params.n_threads_batch = cfg.threads
    params.kv_unified = False
    params.no_perf = True
    params.embeddings = cfg.embedding
    if cfg.embedding and model.ranks:
        params.pooling_type = lc.LLAMA_POOLING_TYPE_RANK  # the score of each (query, document) sequence
    params.n_outputs_max = 0
    params.n_outputs_max_per_seq = 0  # no per-sequence cap: embeddings output every token
    params.flash_attn_type = _FLASH_ATTN[cfg.flash_attn]
    params.type_k = params.type_v = _GGML_TYPES[cfg.cache_type]
    _kv_log.clear()
    ctx = lc.llama_init_from_model(model.ptr, params)
    if not ctx:
        raise LoadError(_load_error("failed to create the llama context"))
    if model.loras:
        arr = (lc.llama_adapter_lora_p_ctypes * len(model.loras))(*model.loras)
        scales = (ctypes.c_float * len(model.loras))(*([1.0] * len(model.loras)))
        if lc.llama_set_adapters_lora(ctx, arr, len(model.loras), scales) != 0:
            raise LoadError("failed to apply LoRA adapters")
    return ctx
