"""`qwen3`, `qwen3-thinking`: reasoning up to </think>, content, and JSON tool calls in <tool_call> tags
(Ollama's model/parsers/qwen3.go).

    reasoning</think>text<tool_call>{"name": "f", "arguments": {...}}</tool_call>

With thinking on the prompt opens the think block, so output starts with reasoning (a repeated opening
<think> is dropped); a <tool_call> before any </think> ends the reasoning too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pollama.prompt.parsers import ParseError, Think, ToolCall, register
from pollama.prompt.parsers._text import split_at_tag
from pollama.prompt.parsers._values import loads_json
from pollama.prompt.parsers.qwen3coder import TOOL_CLOSE, TOOL_OPEN, Event, split_ambiguous

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def decode_call(raw: str) -> tuple[str, dict[str, Any]]:
    """(name, arguments) of a JSON tool call as Go decodes it into a struct: keys matched without regard
    to case (the last match wins), other keys ignored, an integer "index" allowed."""
    value = loads_json(raw)
    if not isinstance(value, dict):
        raise ValueError(f"json: cannot unmarshal {type(value).__name__} into a tool call")
    name, arguments = "", {}
    for key, v in value.items():
        field = key.lower()
        if v is None or field not in ("name", "arguments", "index"):
            continue
        expected = {"name": str, "arguments": dict, "index": int}[field]
        if not isinstance(v, expected) or isinstance(v, bool):
            raise ValueError(f"json: cannot unmarshal {type(v).__name__} into tool call field {field}")
        if field == "name":
            name = v
        elif field == "arguments":
            arguments = v
    return name, arguments


def parse_json_tool_call(raw: str) -> ToolCall:
    try:
        name, arguments = decode_call(raw)
    except ValueError as e:
        raise ParseError(f"failed to parse JSON: {e}") from None
    if not name:
        raise ParseError("empty function name")
    return {"function": {"index": 0, "name": name, "arguments": arguments}}


class _State(Enum):
    THINKING = 1
    AFTER_THINKING = 2  # </think> seen; whitespace before the content is dropped
    CONTENT = 3
    TOOL_START = 4  # <tool_call> seen; whitespace before the call is dropped
    TOOL_CALL = 5


class Qwen3Parser:
    has_tool_support = True

    def __init__(self, has_thinking_support: bool, default_thinking: bool) -> None:
        self.has_thinking_support = has_thinking_support
        self._default_thinking = default_thinking
        self._buf = ""
        self._state = _State.CONTENT
        self._tools: Sequence[Mapping[str, Any]] | None = None
        self._index = 0
        self._may_open_think = False  # a leading <think> may still arrive (and is dropped)
        self._trim_thinking_start = False  # whitespace after a dropped <think> is dropped too

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._tools = tools
        self._buf = ""
        self._index = 0
        thinking = self.has_thinking_support and (self._default_thinking if think is None else bool(think))
        self._state = _State.THINKING if thinking else _State.CONTENT
        self._may_open_think = thinking
        self._trim_thinking_start = False
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        events: list[Event] = []
        while self._eat(events):
            pass
        content, thinking, calls = [], [], []
        for kind, value in events:
            if kind == "tool_call":
                call = parse_json_tool_call(value)
                call["function"]["index"] = self._index
                self._index += 1
                calls.append(call)
            else:
                (thinking if kind == "thinking" else content).append(value)
        return "".join(content), "".join(thinking), calls

    def _eat(self, events: list[Event]) -> bool:
        if self._state in (_State.AFTER_THINKING, _State.TOOL_START):
            self._buf = self._buf.lstrip()
            if not self._buf:
                return False
            self._state = _State.CONTENT if self._state is _State.AFTER_THINKING else _State.TOOL_CALL
            return True
        if self._state is _State.TOOL_CALL:
            if TOOL_CLOSE not in self._buf:
                return False
            raw, self._buf = split_at_tag(self._buf, TOOL_CLOSE, True)
            events.append(("tool_call", raw))
            self._state = _State.CONTENT
            return True
        if self._state is _State.THINKING:
            return self._eat_thinking(events)
        if TOOL_OPEN in self._buf:
            return self._open_tool_call("content", events)
        decided, self._buf = split_ambiguous(self._buf, TOOL_OPEN)
        if decided:
            events.append(("content", decided))
        return False

    def _open_tool_call(self, kind: str, events: list[Event]) -> bool:
        before, self._buf = split_at_tag(self._buf, TOOL_OPEN, True)
        if before:
            events.append((kind, before))
        self._state = _State.TOOL_CALL if self._buf else _State.TOOL_START
        return True

    def _eat_leading_think_open(self) -> bool | None:
        """Drop a leading <think>; True/False: whether to go on now, None: nothing to do here."""
        trimmed = self._buf.lstrip()
        if trimmed.startswith(THINK_OPEN):
            self._buf = trimmed[len(THINK_OPEN):].lstrip()
            self._may_open_think = self._trim_thinking_start = not self._buf
            return bool(self._buf)
        if THINK_OPEN.startswith(trimmed):
            return False
        self._may_open_think = False
        return None

    def _eat_thinking(self, events: list[Event]) -> bool:
        if self._may_open_think and (go_on := self._eat_leading_think_open()) is not None:
            return go_on
        if self._trim_thinking_start:
            # (Ollama keeps it when the <think> and the whitespace arrive in different chunks.)
            self._buf = self._buf.lstrip()
            if not self._buf:
                return False
            self._trim_thinking_start = False
        close_at, tool_at = self._buf.find(THINK_CLOSE), self._buf.find(TOOL_OPEN)
        if tool_at >= 0 and (close_at < 0 or tool_at < close_at):
            return self._open_tool_call("thinking", events)
        if close_at >= 0:
            thinking, self._buf = split_at_tag(self._buf, THINK_CLOSE, True)
            if thinking:
                events.append(("thinking", thinking))
            self._state = _State.CONTENT if self._buf else _State.AFTER_THINKING
            return True
        decided, self._buf = split_ambiguous(self._buf, THINK_CLOSE, TOOL_OPEN)
        if decided:
            events.append(("thinking", decided))
        return False


register("qwen3", lambda: Qwen3Parser(has_thinking_support=False, default_thinking=False))
register("qwen3-thinking", lambda: Qwen3Parser(has_thinking_support=True, default_thinking=True))
