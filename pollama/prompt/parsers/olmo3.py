"""`olmo3`: Olmo 3 instruct output (Ollama's model/parsers/olmo3.go).

Tool calls come as `<function_calls>name(key="value", n=1)\\nother()</function_calls>`: one Python-like call
per line, values quoted strings, numbers, True/False/None (or JSON's spellings), lists and dicts, or bare
words (kept as strings). A block that does not parse is dropped. Output is held back only while
`<function_calls>` may be arriving; `done` returns whatever is left of the content.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from enum import Enum, auto
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers._text import overlap

log = logging.getLogger(__name__)

OPEN = "<function_calls>"
CLOSE = "</function_calls>"
CALL = re.compile(r"(\w+)\((.*)\)", re.ASCII)
INT = re.compile(r"[+-]?[0-9]+")
INT64 = range(-(2**63), 2**63)
FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)", re.I)
HEX_FLOAT = re.compile(r"[+-]?0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?", re.I)
ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r"}
CONSTANTS: dict[str, Any] = {"true": True, "True": True, "false": False, "False": False,
                             "null": None, "None": None, "nil": None}


def split_arguments(s: str) -> list[str]:
    """Split at top-level commas: not inside quotes (with backslash escapes) or brackets of any kind."""
    parts: list[str] = []
    start = depth = 0
    quote = ""
    escaped = False
    for i, c in enumerate(s):
        if escaped:
            escaped = False
        elif quote:
            escaped = c == "\\"
            quote = "" if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(s[start:i])
            start = i + 1
    if start < len(s):
        parts.append(s[start:])
    return parts


def _unescape(s: str) -> str:
    return re.sub(r"\\([\\\"'ntr])", lambda m: ESCAPES[m.group(1)], s)


def _parse_float(s: str) -> float | None:
    """strconv.ParseFloat: decimal, hex (0x1p-2), inf/infinity/nan; out of range is an error."""
    if FLOAT.fullmatch(s):
        value = float(s)
    elif HEX_FLOAT.fullmatch(s):
        value = float.fromhex(s)
    else:
        return None
    if math.isinf(value) and "inf" not in s.lower():
        return None
    return value


def parse_value(s: str) -> Any:
    """A value of the call syntax; anything unrecognised is the string itself."""
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return _unescape(s[1:-1])
    if s in CONSTANTS:
        return CONSTANTS[s]
    if INT.fullmatch(s) and int(s) in INT64:
        return int(s)
    number = _parse_float(s)
    if number is not None:
        return number
    if s.startswith("[") and s.endswith("]"):
        return [parse_value(p) for p in split_arguments(s[1:-1].strip())]
    if s.startswith("{") and s.endswith("}"):
        return _parse_object(s[1:-1])
    return s


def _parse_object(s: str) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in split_arguments(s.strip()))):
        key, colon, value = part.partition(":")
        if not colon:
            raise ValueError(f"invalid object entry: {part}")
        key = key.strip()
        if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
            key = key[1:-1]
        obj[key] = parse_value(value)
    return obj


def _parse_arguments(s: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in split_arguments(s.strip()))):
        key, eq, value = part.partition("=")
        if not eq:
            raise ValueError(f"invalid argument format: {part}")
        args[key.strip()] = parse_value(value)
    return args


def parse_function_calls(s: str) -> list[ToolCall]:
    """The calls inside <function_calls>, one per line, without indexes; ValueError when one is malformed."""
    calls = []
    for line in filter(None, (line.strip() for line in s.strip().split("\n"))):
        m = CALL.fullmatch(line)
        if not m:
            raise ValueError(f"invalid function call format: {line!r}")
        calls.append({"function": {"name": m.group(1), "arguments": _parse_arguments(m.group(2))}})
    return calls


class State(Enum):
    CONTENT = auto()
    TOOL_CALLS = auto()
    AFTER_TOOL_CALLS = auto()


class Olmo3Parser:
    has_tool_support = True
    has_thinking_support = False

    def __init__(self) -> None:
        self._state = State.CONTENT
        self._buf = ""
        self._calls = 0

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._state = State.CONTENT
        self._calls = 0
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        if done:
            rest, self._buf = self._buf, ""
            return (rest if self._state is State.CONTENT else ""), "", []
        content: list[str] = []
        calls: list[ToolCall] = []
        while self._buf and self._step(content, calls):
            pass
        for call in calls:
            call["function"]["index"] = self._calls
            self._calls += 1
        return "".join(content), "", calls

    def _step(self, content: list[str], calls: list[ToolCall]) -> bool:
        if self._state is State.CONTENT:
            before, found, after = self._buf.partition(OPEN)
            if found:
                content.append(before)
                self._buf, self._state = after, State.TOOL_CALLS
                return True
            keep = len(self._buf) - overlap(self._buf, OPEN)
            content.append(self._buf[:keep])
            self._buf = self._buf[keep:]
            return False
        if self._state is State.TOOL_CALLS:
            block, found, after = self._buf.partition(CLOSE)
            if not found:
                return False
            self._buf, self._state = after, State.AFTER_TOOL_CALLS
            try:
                calls.extend(parse_function_calls(block))
            except ValueError as e:
                log.debug("olmo3: dropping function calls %r: %s", block, e)
            return True
        content.append(self._buf)  # after the calls everything is content, with no further calls looked for
        self._buf, self._state = "", State.CONTENT
        return False


register("olmo3", Olmo3Parser)
