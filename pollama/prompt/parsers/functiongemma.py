"""`functiongemma`: FunctionGemma output (Ollama's model/parsers/functiongemma.go).

Tool calls are `<start_function_call>call:NAME{key:value,...}<end_function_call>`; strings are wrapped in
`<escape>`, other values are bare numbers, booleans, `[...]` lists and `{...}` objects. No thinking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers._text import overlap

__all__ = ["FunctionGemmaParser", "parse_tool_call"]

OPEN, CLOSE = "<start_function_call>", "<end_function_call>"
ESCAPE = "<escape>"

_CALL = re.compile(r"call:([^{]+)\{(.*)\}")
_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]*")
_FLOAT_PREFIX = re.compile(r"[ \t\r]*(nan|[+-]?inf|[+-]?[0-9_]*(?:\.[0-9_]*)?(?:[eEpP][+-]?[0-9_]*)?)", re.I)


def _scan_number(s: str) -> int | float | None:
    """Go's `fmt.Sscanf(s, "%d")` when it reads all of `s`, else `fmt.Sscanf(s, "%f")`: the number at the
    start of `s` (trailing text ignored), or None."""
    if _CANONICAL_INT.fullmatch(s) and -(2 ** 63) <= int(s) < 2 ** 63:
        return int(s)
    m = _FLOAT_PREFIX.match(s)
    token = m.group(1) if m else ""
    if "_" in token or re.match(r"[+-]?0[xX]", s.lstrip(" \t\r")):
        return None
    mantissa, _, exponent = token.lower().partition("p")
    try:
        value = float(mantissa) * (2.0 ** int(exponent) if exponent else 1.0)
    except (ValueError, OverflowError):
        return None
    return None if math.isinf(value) and "inf" not in mantissa else value


def _split(s: str) -> list[str]:
    """`s` cut at the commas outside brackets and `<escape>` strings (empty pieces dropped)."""
    parts, current, depth, escaped, i = [], "", 0, False, 0
    while i < len(s):
        if s.startswith(ESCAPE, i):
            escaped = not escaped
            current += ESCAPE
            i += len(ESCAPE)
            continue
        c = s[i]
        i += 1
        if not escaped and c in "{[":
            depth += 1
        elif not escaped and c in "}]":
            depth -= 1
        elif not escaped and c == "," and depth == 0:
            if current:
                parts.append(current)
            current = ""
            continue
        current += c
    return parts + [current] if current else parts


def _pairs(s: str) -> dict[str, Any]:
    """`key:value` pieces (those without a colon are skipped)."""
    out = {}
    for part in _split(s):
        key, colon, value = part.partition(":")
        if colon:
            out[key] = _value(value)
    return out


def _value(s: str) -> Any:
    if s.startswith(ESCAPE) and s.endswith(ESCAPE):
        return s[len(ESCAPE):len(s) - len(ESCAPE)]
    if s in ("true", "false"):
        return s == "true"
    if (number := _scan_number(s)) is not None:
        return number
    if s.startswith("[") and s.endswith("]"):
        return [_value(p) for p in _split(s[1:-1])] or None  # Go's nil slice: an empty list is null
    if s.startswith("{") and s.endswith("}"):
        return _pairs(s[1:-1])
    return s


def parse_tool_call(text: str) -> ToolCall:
    """`call:NAME{args}`; text that does not look like a call gives a call with no name (as Ollama's)."""
    m = _CALL.search(text)
    name, args = (m.group(1), _pairs(m.group(2))) if m else ("", {})
    return {"function": {"index": 0, "name": name, "arguments": args}}


class FunctionGemmaParser:
    has_tool_support = True
    has_thinking_support = False

    def __init__(self) -> None:
        self._buf = ""
        self._in_call = False
        self._index = 0

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._in_call = False
        self._index = 0
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        """A partial `<start_function_call>` at the end stays buffered, even when done (as Ollama's)."""
        self._buf += text
        content, calls = [], []
        while self._buf:
            if not self._in_call:
                before, found, after = self._buf.partition(OPEN)
                if not found:
                    keep = len(before) - overlap(before, OPEN)
                    content.append(before[:keep])
                    self._buf = before[keep:]
                    break
                content.append(before)
                self._buf, self._in_call = after, True
                continue
            body, found, after = self._buf.partition(CLOSE)
            if not found:
                break
            self._buf = after
            self._in_call = OPEN in after
            calls.append(parse_tool_call(body))
        for call in calls:
            call["function"]["index"] = self._index
            self._index += 1
        return "".join(content), "", calls


register("functiongemma", FunctionGemmaParser)
