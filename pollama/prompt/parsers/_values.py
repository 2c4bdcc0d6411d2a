"""Tool-call argument values as Ollama's parsers type them (qwen3coder.go's parseValue, shared by the
XML-style formats), plus the Go number and JSON parsing those rules rest on."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["go_parse_int", "go_parse_float", "loads_json", "property_types", "parse_typed_value",
           "parse_value"]

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.I)
_INT64 = range(-(1 << 63), 1 << 63)


def go_parse_int(s: str) -> int | None:
    """strconv.ParseInt(s, 10, 64), or None where Go reports an error."""
    if _INT.fullmatch(s) and int(s) in _INT64:
        return int(s)
    return None


def go_parse_float(s: str) -> float | None:
    """strconv.ParseFloat(s, 64) for decimal text, or None where Go reports an error (overflow included)."""
    if not _FLOAT.fullmatch(s):
        return None
    value = float(s)
    if math.isinf(value) and "inf" not in s.lower():
        return None
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def loads_json(text: str) -> Any:
    """json.Unmarshal into `any`: Python's decoder without its NaN/Infinity extensions."""
    return json.loads(text, parse_constant=_reject_constant)


def _types(prop: Mapping[str, Any]) -> list[str]:
    t = prop.get("type")
    if isinstance(t, str):
        return [t]
    return [str(x) for x in t] if isinstance(t, list) else []


def property_types(tool: Mapping[str, Any] | None, name: str) -> list[str]:
    """The declared type(s) of parameter `name` of `tool` (anyOf options' types concatenated)."""
    params = ((tool or {}).get("function") or {}).get("parameters") or {}
    props = params.get("properties")
    prop = props.get(name) if isinstance(props, Mapping) else None
    if not isinstance(prop, Mapping):
        return []
    options = prop.get("anyOf")
    if options:
        return [t for option in options if isinstance(option, Mapping) for t in _types(option)]
    return _types(prop)


def _parse_number(raw: str) -> Any:
    f = go_parse_float(raw)
    if f is None:
        return None
    return int(f) if math.isfinite(f) and f.is_integer() else f


def _parse_container(raw: str, kind: type) -> Any:
    try:
        value = loads_json(raw)
    except ValueError:
        return None
    return value if isinstance(value, kind) else None


def parse_typed_value(raw: str, types: Sequence[str]) -> Any:
    """The most specific of the declared types that `raw` parses as: null, boolean, integer, number,
    array, object, else the string itself. A sole declared type that does not parse gives the string
    (false for a sole boolean)."""
    if raw.lower() == "null":
        return None
    if not types:
        return raw
    kinds, sole = set(types), len(types) == 1
    if "boolean" in kinds:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if sole:
            return False
    attempts = (("integer", go_parse_int), ("number", _parse_number),
                ("array", lambda r: _parse_container(r, list)), ("object", lambda r: _parse_container(r, dict)))
    for kind, parse in attempts:
        if kind in kinds:
            value = parse(raw)
            if value is not None or sole:
                return raw if value is None else value
    return raw


def parse_value(raw: str, types: Sequence[str]) -> Any:
    """parse_typed_value after dropping one leading and one trailing newline."""
    raw = raw.removeprefix("\n").removesuffix("\n")
    return parse_typed_value(raw, types)
