"""Ollama's runtime options: one schema for Modelfile PARAMETERs, request `options` and the runner.

Names, types and defaults follow Ollama's `api.Options` / `api.Runner`. Text values (Modelfile, REPL
`/set parameter`) are parsed like Go's strconv (`invalid float value [x]`); JSON values are checked
like `Options.FromMap` (`option "temperature" must be of type float32`). Floats are stored as the
shortest decimal of their float32 value, as Ollama's params blob holds them.
"""

from __future__ import annotations

import logging
import math
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "DEFAULT_OPTIONS",
    "DEPRECATED_OPTIONS",
    "OPTION_TYPES",
    "CHOICES",
    "RUNNER_OPTIONS",
    "OptionsError",
    "default_options",
    "merge_options",
    "params_from_pairs",
    "parse_parameter",
    "validate_options",
]

log = logging.getLogger("pollama")

OPTION_TYPES: dict[str, type] = {
    # Runner: fixed when the model is loaded
    "num_ctx": int,
    "num_batch": int,
    "num_gpu": int,
    "main_gpu": int,
    "use_mmap": bool,
    "num_thread": int,
    # Predict: per request
    "num_keep": int,
    "seed": int,
    "num_predict": int,
    "top_k": int,
    "top_p": float,
    "min_p": float,
    "typical_p": float,
    "repeat_last_n": int,
    "temperature": float,
    "repeat_penalty": float,
    "presence_penalty": float,
    "frequency_penalty": float,
    "stop": list,
    # Speculative decoding (pollama; llama-server's names): "off" | "ngram" | "draft", and the draft sizes
    "speculative": str,
    "draft_max": int,
    "draft_min": int,
    "draft_p_min": float,
}
CHOICES: dict[str, tuple[str, ...]] = {"speculative": ("off", "ngram", "draft")}

RUNNER_OPTIONS: frozenset[str] = frozenset(
    {"num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread"}
)

DEPRECATED_OPTIONS: frozenset[str] = frozenset({
    "mirostat", "mirostat_eta", "mirostat_tau", "penalize_newline", "tfs_z", "numa",
    "low_vram", "f16_kv", "vocab_only", "use_mlock", "logits_all",
})

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_GO_INT = re.compile(r"[+-]?[0-9]+")
_DIGITS = r"[0-9](?:_?[0-9])*"
_GO_DEC_FLOAT = re.compile(
    rf"[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?"
)
_HEX = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_GO_HEX_FLOAT = re.compile(
    rf"[+-]?0[xX]_?(?:{_HEX}(?:\.(?:{_HEX})?)?|\.{_HEX})[pP][+-]?{_DIGITS}"
)
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


class OptionsError(ValueError):
    """An unknown parameter or a value of the wrong type."""


DEFAULT_OPTIONS: dict[str, Any] = {  # Ollama's defaults; treat as read-only (default_options() copies it)
    "num_ctx": None,  # None: the server's OLLAMA_CONTEXT_LENGTH (Settings.context_length), set by the scheduler
    "num_batch": 512,
    "num_gpu": -1,  # -1: decide from available memory
    "main_gpu": 0,
    "use_mmap": None,  # None: let the runtime decide
    "num_thread": 0,  # 0: let the runtime decide
    "num_keep": 4,
    "seed": -1,
    "num_predict": -1,
    "top_k": 40,
    "top_p": 0.9,
    "min_p": 0.0,
    "typical_p": 1.0,
    "repeat_last_n": 64,
    "temperature": 0.8,
    "repeat_penalty": 1.1,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "stop": [],
    "speculative": None,  # None: "draft" for a model with a DRAFT, else OLLAMA_SPECULATIVE's choice
    "draft_max": 16,  # llama-server's defaults
    "draft_min": 0,
    "draft_p_min": 0.75,
}


def default_options() -> dict[str, Any]:
    """A fresh copy of Ollama's defaults (its `stop` list is the caller's own)."""
    return {**DEFAULT_OPTIONS, "stop": []}


def _float32(x: float) -> float | None:
    """x rounded to float32 and written back as its shortest decimal; None if it does not fit."""
    if not math.isfinite(x):
        return None
    try:
        y = struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return None
    for digits in range(1, 10):
        candidate = float(f"{y:.{digits}g}")
        try:
            if struct.unpack("<f", struct.pack("<f", candidate))[0] == y:
                return candidate
        except OverflowError:  # rounded up past the largest float32
            continue
    return y


def _parse_go_float(text: str) -> float | None:
    if _GO_DEC_FLOAT.fullmatch(text):
        return _float32(float(text.replace("_", "")))
    if _GO_HEX_FLOAT.fullmatch(text):
        return _float32(float.fromhex(text.replace("_", "")))
    return None  # also "inf" / "nan": Go parses them, but they cannot be stored as JSON


def _check_choice(name: str, value: str) -> str:
    choices = CHOICES.get(name)
    if choices is not None and value not in choices:
        raise OptionsError(f"option {_go_quote(name)} must be one of {', '.join(choices)}")
    return value


def _parse_text(name: str, kind: type, text: str) -> Any:
    if kind is list:
        return text
    if kind is str:
        return _check_choice(name, text)
    if kind is int:
        if _GO_INT.fullmatch(text) and _INT64_MIN <= int(text) <= _INT64_MAX:
            return int(text)
        label = "int"
    elif kind is float:
        value = _parse_go_float(text)
        if value is not None:
            return value
        label = "float"
    else:
        if text in _GO_TRUE or text in _GO_FALSE:
            return text in _GO_TRUE
        label = "bool"
    raise OptionsError(f"invalid {label} value [{text}] for parameter '{name}'")


def parse_parameter(name: str, value: str | Sequence[str]) -> tuple[str, object]:
    """One PARAMETER from text: ("temperature", "0.7") -> ("temperature", 0.7).

    `stop` keeps its string. A list of strings (REPL `/set parameter stop a b`) gives a list for
    `stop` and uses the first value otherwise. Deprecated names log a warning and give None.
    """
    if name in DEPRECATED_OPTIONS:
        log.warning("parameter %s is deprecated", name)
        return name, None
    kind = OPTION_TYPES.get(name)
    if kind is None:
        raise OptionsError(f"unknown parameter '{name}'")
    if isinstance(value, str):
        return name, _parse_text(name, kind, value)
    values = list(value)
    if not values or not all(isinstance(v, str) for v in values):
        raise OptionsError(f"missing value for parameter '{name}'")
    if kind is list:
        return name, values
    return name, _parse_text(name, kind, values[0])


def params_from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Typed parameters from (name, text) pairs; repeated `stop` values collect into a list."""
    out: dict[str, Any] = {}
    for name, text in pairs:
        key, value = parse_parameter(name, text)
        if value is None:
            continue
        if key == "stop":
            out.setdefault("stop", []).extend(value if isinstance(value, list) else [value])
        else:
            out[key] = value
    return out


def _json_value(key: str, kind: type, val: Any) -> Any:
    if kind is int:
        if isinstance(val, int) and not isinstance(val, bool):
            number = val
        elif isinstance(val, float) and math.isfinite(val):
            number = int(val)  # JSON numbers are floats to Go: truncated, as Ollama does
        else:
            raise OptionsError(f"option {_go_quote(key)} must be of type integer")
        if not _INT64_MIN <= number <= _INT64_MAX:
            raise OptionsError(f"option {_go_quote(key)} must be of type integer")
        return number
    if kind is float:
        if isinstance(val, int | float) and not isinstance(val, bool):
            value = _float32(float(val))
            if value is None:
                raise OptionsError(f"option {_go_quote(key)} is out of range for float32")
            return value
        raise OptionsError(f"option {_go_quote(key)} must be of type float32")
    if kind is bool:
        if isinstance(val, bool):
            return val
        raise OptionsError(f"option {_go_quote(key)} must be of type boolean")
    if kind is str:
        if isinstance(val, str):
            return _check_choice(key, val)
        raise OptionsError(f"option {_go_quote(key)} must be of type string")
    if isinstance(val, str):
        return [val]
    if not isinstance(val, list | tuple):
        raise OptionsError(f"option {_go_quote(key)} must be of type array")
    if not all(isinstance(item, str) for item in val):
        raise OptionsError(f"option {_go_quote(key)} must be of an array of strings")
    return list(val)


def _go_quote(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def validate_options(opts: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check JSON request options: unknown and deprecated keys are logged and dropped, nulls
    skipped, integral floats accepted for ints, `stop` may be one string. Raises OptionsError."""
    if opts is None:
        return {}
    if not isinstance(opts, Mapping):
        raise OptionsError("options must be a JSON object")
    out: dict[str, Any] = {}
    for key, val in opts.items():
        kind = OPTION_TYPES.get(key)
        if kind is None:
            if key in DEPRECATED_OPTIONS:
                log.warning("option %s is deprecated and ignored", key)
            else:
                log.warning("invalid option provided option=%s", key)
            continue
        if val is None:
            continue
        out[key] = _json_value(key, kind, val)
    return out


def merge_options(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults, then each layer in order (model params, then request options); later wins."""
    merged = default_options()
    for layer in layers:
        merged.update(validate_options(layer))
    return merged
