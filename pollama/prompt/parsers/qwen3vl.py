"""`qwen3-vl-instruct`, `qwen3-vl-thinking`: optional reasoning up to </think>, then content with JSON tool
calls in <tool_call> tags (Ollama's model/parsers/qwen3vl.go).

The thinking variant starts in reasoning (the prompt opened the think block) unless it continues an
assistant message that has content; a <tool_call> before any </think> ends the reasoning too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pollama.prompt.parsers import ParseError, Think, ToolCall, register
from pollama.prompt.parsers._text import split_at_tag
from pollama.prompt.parsers.qwen3 import THINK_CLOSE, decode_call
from pollama.prompt.parsers.qwen3coder import TOOL_CLOSE, TOOL_OPEN, Event, split_ambiguous


class _State(Enum):
    THINKING = 1
    CONTENT = 2
    TOOL_CALL = 3
    AFTER_TAG = 4  # after </think> or </tool_call>: whitespace before the content is dropped


def parse_json_tool_call(raw: str) -> ToolCall:
    try:
        name, arguments = decode_call(raw)
    except ValueError as e:
        raise ParseError(str(e)) from None
    return {"function": {"index": 0, "name": name, "arguments": arguments}}


class Qwen3VLParser:
    has_tool_support = True

    def __init__(self, has_thinking_support: bool) -> None:
        self.has_thinking_support = has_thinking_support
        self._buf = ""
        self._state = _State.CONTENT
        self._index = 0

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._index = 0
        continues_content = bool(last_message) and last_message.get("role") == "assistant" and bool(
            last_message.get("content"))
        thinking = self.has_thinking_support and not continues_content
        self._state = _State.THINKING if thinking else _State.CONTENT
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        content, thinking, calls = [], [], []
        for kind, value in self.parse_events(text):
            if kind == "tool_call":
                call = parse_json_tool_call(value)
                call["function"]["index"] = self._index
                self._index += 1
                calls.append(call)
            else:
                (thinking if kind == "thinking" else content).append(value)
        return "".join(content), "".join(thinking), calls

    def parse_events(self, text: str) -> list[Event]:
        """Buffer `text` and return every event the buffer now decides."""
        self._buf += text
        events: list[Event] = []
        while self._eat(events):
            pass
        return events

    def _eat(self, events: list[Event]) -> bool:
        if self._state is _State.AFTER_TAG:
            self._buf = self._buf.lstrip()
            if not self._buf:
                return False
            self._state = _State.CONTENT
            return True
        if self._state is _State.TOOL_CALL:
            raw, found, self._buf = self._buf.partition(TOOL_CLOSE)
            if not found:
                self._buf = raw
                return False
            events.append(("tool_call", raw))
            self._state = _State.AFTER_TAG
            return True
        kind = "thinking" if self._state is _State.THINKING else "content"
        close_at, tool_at = self._buf.find(THINK_CLOSE), self._buf.find(TOOL_OPEN)
        if tool_at >= 0 and (kind == "content" or close_at < 0 or tool_at < close_at):
            before, self._buf = split_at_tag(self._buf, TOOL_OPEN, False)
            if before:
                events.append((kind, before))
            self._state = _State.TOOL_CALL
            return True
        if kind == "thinking" and close_at >= 0:
            thinking, self._buf = split_at_tag(self._buf, THINK_CLOSE, True)
            if thinking:
                events.append(("thinking", thinking))
            self._state = _State.CONTENT if self._buf else _State.AFTER_TAG
            return True
        decided, self._buf = split_ambiguous(self._buf, *((THINK_CLOSE, TOOL_OPEN) if kind == "thinking"
                                                            else (TOOL_OPEN,)))
        if decided:
            events.append((kind, decided))
        return False


register("qwen3-vl-instruct", lambda: Qwen3VLParser(has_thinking_support=False))
register("qwen3-vl-thinking", lambda: Qwen3VLParser(has_thinking_support=True))
