"""`lfm2`, `lfm2-thinking`: Liquid AI LFM2 output.

Reasoning, when the model chooses to reason, opens with an explicit <think> (a direct answer has no
tag); tool calls are Python-style `[name(key='value', n=1), …]` between <|tool_call_start|> and
<|tool_call_end|>. On the last chunk, bare `[name(…)]` content naming declared tools is taken as calls.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from enum import Enum, auto
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers._text import overlap, trailing_whitespace_len
from pollama.prompt.parsers._values import go_parse_float, go_parse_int, loads_json

log = logging.getLogger(__name__)

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALL_START, CALL_END = "<|tool_call_start|>", "<|tool_call_end|>"


class _State(Enum):
    LOOKING_FOR_THINKING = auto()
    THINKING = auto()
    CONTENT = auto()
    TOOL_CALLS = auto()


class ToolCallSyntaxError(ValueError):
    """Text that is not a Python-style tool call list."""


def _matching_paren(s: str, open_idx: int) -> int:
    """Index of the ')' closing the '(' at `open_idx` (quotes and nesting respected); -1 if none."""
    depth, i = 1, open_idx + 1
    while i < len(s):
        c = s[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        elif c in "'\"":
            i += 1
            while i < len(s) and s[i] != c:
                i += 2 if s[i] == "\\" and i + 1 < len(s) else 1
        i += 1
    return -1


_PY_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PY_CONSTANTS = {"True": "true", "False": "false", "None": "null"}


def python_literal_to_json(s: str) -> str:
    """Python literal text as JSON text: single-quoted strings double-quoted, True/False/None mapped."""
    out: list[str] = []
    i, quote, escaped = 0, "", False
    while i < len(s):
        c = s[i]
        if quote:
            if escaped:
                escaped = False
                out.append(c)
            elif c == "\\":
                escaped = True
                out.append(c)
            elif c == quote:
                quote = ""
                out.append('"')
            else:
                out.append('\\"' if quote == "'" and c == '"' else c)
        elif c in "'\"":
            quote = c
            out.append('"')
        elif ident := _PY_IDENT.match(s, i):
            out.append(_PY_CONSTANTS.get(ident[0], ident[0]))
            i = ident.end() - 1
        else:
            out.append(c)
        i += 1
    if quote:
        raise ToolCallSyntaxError("unterminated string")
    return "".join(out)


_LITERALS: dict[str, Any] = {"": "", "true": True, "True": True, "false": False, "False": False,
                             "null": None, "None": None}


def python_literal(token: str) -> Any:
    """An unquoted argument value: bool/None, integer, float, JSON or Python list/dict, else the text."""
    if token in _LITERALS:
        return _LITERALS[token]
    for number in (go_parse_int(token), go_parse_float(token)):
        if number is not None:
            return number
    if token.startswith(("[", "{")):
        for convert in (str, python_literal_to_json):
            try:
                return loads_json(convert(token))
            except ValueError:
                pass
    return token


_OPENER = {")": "(", "]": "[", "}": "{"}


def _arg_value(s: str, i: int) -> tuple[Any, int]:
    """The value starting at s[i] and the index after it: a quoted string (escapes kept as written) or
    an unquoted literal running to the next top-level comma."""
    if s[i] in "'\"":
        quote, start = s[i], i + 1
        i = start
        while i < len(s):
            if s[i] == "\\" and i + 1 < len(s):
                i += 2
            elif s[i] == quote:
                return s[start:i], i + 1
            else:
                i += 1
        raise ToolCallSyntaxError("invalid argument: unterminated string")
    start, quote, escaped = i, "", False
    depth = dict.fromkeys("([{", 0)
    while i < len(s):
        c = s[i]
        if escaped:
            escaped = False
        elif quote:
            escaped, quote = c == "\\", "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in depth:
            depth[c] += 1
        elif c in _OPENER:
            depth[_OPENER[c]] = max(depth[_OPENER[c]] - 1, 0)
        elif c == "," and not any(depth.values()):
            break
        i += 1
    return python_literal(s[start:i].strip()), i


def python_args(s: str) -> dict[str, Any]:
    """`key='value', n=1, …` as a dict in the order written."""
    args: dict[str, Any] = {}
    i = 0
    while True:
        while i < len(s) and (s[i] == "," or s[i].isspace()):
            i += 1
        if i >= len(s):
            return args
        key_start = i
        while i < len(s) and s[i] not in "=,":
            i += 1
        if i >= len(s) or s[i] != "=":
            raise ToolCallSyntaxError("invalid argument: expected '='")
        key = s[key_start:i].strip()
        if not key:
            raise ToolCallSyntaxError("invalid argument: empty key")
        i += 1
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s):
            raise ToolCallSyntaxError("invalid argument: missing value")
        args[key], i = _arg_value(s, i)
        if i < len(s) and s[i] == ",":
            i += 1


def parse_tool_calls(text: str) -> list[ToolCall]:
    """`[f(a=1), g()]`, `f(a=1)`, tolerating stray wrapper tags; the calls with index 0."""
    text = text.strip().removeprefix(CALL_START).strip().removesuffix(CALL_END).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    calls: list[ToolCall] = []
    while text := text.strip().removeprefix(",").strip():
        paren = text.find("(")
        if paren < 0:
            raise ToolCallSyntaxError("invalid tool call: no opening parenthesis")
        name = text[:paren].strip()
        if not name:
            raise ToolCallSyntaxError("invalid tool call: empty function name")
        close = _matching_paren(text, paren)
        if close < 0:
            raise ToolCallSyntaxError("invalid tool call: no matching closing parenthesis")
        calls.append({"function": {"index": 0, "name": name, "arguments": python_args(text[paren + 1:close])}})
        text = text[close + 1:]
    if not calls:
        raise ToolCallSyntaxError("no tool calls found")
    return calls


class LFM2Parser:
    has_tool_support = True

    def __init__(self, has_thinking_support: bool) -> None:
        self.has_thinking_support = has_thinking_support
        self._state = _State.CONTENT
        self._buf = ""
        self._call_index = 0
        self._tool_names: set[str] = set()
        self._has_tools = False
        self._trim_thinking_start = self._trim_content_start = False
        self._done = False

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._call_index = 0
        self._has_tools = bool(tools)
        self._tool_names = {n for t in tools or () if (n := (t.get("function") or {}).get("name"))}
        continues_content = (last_message is not None and last_message.get("role") == "assistant"
                             and bool(last_message.get("content")))
        thinking = self.has_thinking_support and bool(think) and not continues_content
        self._state = _State.LOOKING_FOR_THINKING if thinking else _State.CONTENT
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf, self._done = self._buf + text, done
        if done and self._state is _State.LOOKING_FOR_THINKING and not self._buf.lstrip().startswith(THINK_OPEN):
            # A partial "<think>" can no longer complete: the output is a direct answer.
            self._buf, self._state = self._buf.lstrip(), _State.CONTENT
        content: list[str] = []
        thinking: list[str] = []
        calls: list[ToolCall] = []
        step = {_State.LOOKING_FOR_THINKING: self._eat_start, _State.THINKING: self._eat_thinking,
                _State.CONTENT: self._eat_content, _State.TOOL_CALLS: self._eat_tool_calls}
        more = True
        while more and self._buf:
            more = step[self._state](content, thinking, calls)
        if done and not calls and self._has_tools:
            calls = self._bare_calls("".join(content).strip())
            content = [] if calls else content
        for call in calls:
            call["function"]["index"] = self._call_index
            self._call_index += 1
        return "".join(content), "".join(thinking), calls

    def _bare_calls(self, text: str) -> list[ToolCall]:
        """Calls written without the <|tool_call_*|> wrapper, accepted only when all name declared tools."""
        try:
            calls = parse_tool_calls(text)
        except ToolCallSyntaxError:
            return []
        names = {c["function"]["name"] for c in calls}
        return calls if not self._tool_names or names <= self._tool_names else []

    def _eat_start(self, content: list[str], thinking: list[str], calls: list[ToolCall]) -> bool:
        trimmed = self._buf.lstrip()
        if trimmed.startswith(THINK_OPEN):
            self._buf, self._state = trimmed[len(THINK_OPEN):], _State.THINKING
            self._trim_thinking_start = True
            return True
        if not trimmed or THINK_OPEN.startswith(trimmed):
            return False
        self._buf, self._state = trimmed, _State.CONTENT
        return True

    def _eat_thinking(self, content: list[str], thinking: list[str], calls: list[ToolCall]) -> bool:
        if self._buf.startswith(THINK_OPEN):
            self._buf, self._trim_thinking_start = self._buf[len(THINK_OPEN):], True
        if self._trim_thinking_start:
            self._buf = self._buf.lstrip()
            self._trim_thinking_start = not self._buf
        before, found, after = self._buf.partition(THINK_CLOSE)
        if found:
            self._buf, self._state = after.lstrip(), _State.CONTENT
            self._trim_thinking_start, self._trim_content_start = False, not self._buf
            if before.rstrip():
                thinking.append(before.rstrip())
            return True
        partial = overlap(self._buf, THINK_CLOSE)
        keep = partial + trailing_whitespace_len(self._buf[:len(self._buf) - partial])
        if len(self._buf) > keep:
            thinking.append(self._buf[:len(self._buf) - keep])
        self._buf = self._buf[len(self._buf) - keep:]
        return False

    def _eat_content(self, content: list[str], thinking: list[str], calls: list[ToolCall]) -> bool:
        if self._trim_content_start:
            self._buf = self._buf.lstrip()
            self._trim_content_start = not self._buf
        before, found, after = self._buf.partition(CALL_START)
        if found:
            self._buf, self._state = after, _State.TOOL_CALLS
            if before.rstrip():
                content.append(before.rstrip())
            return True
        # Ollama streams all of it; a <|tool_call_start|> split across chunks is held back here instead.
        keep = 0 if self._done else overlap(self._buf, CALL_START)
        if len(self._buf) > keep:
            content.append(self._buf[:len(self._buf) - keep])
        self._buf = self._buf[len(self._buf) - keep:]
        return False

    def _eat_tool_calls(self, content: list[str], thinking: list[str], calls: list[ToolCall]) -> bool:
        body, found, rest = self._buf.partition(CALL_END)
        if not found:
            return False
        try:
            parsed = parse_tool_calls(body)
        except ToolCallSyntaxError as e:
            log.warning("lfm2 tool call parsing failed: %s: %r", e, body)
            return False
        if rest.startswith(CALL_START):
            rest = rest[len(CALL_START):]
        else:
            rest, self._state = rest.lstrip(), _State.CONTENT
        self._buf = rest
        calls.extend(parsed)
        return True


register("lfm2", lambda: LFM2Parser(has_thinking_support=False))
register("lfm2-thinking", lambda: LFM2Parser(has_thinking_support=True))
