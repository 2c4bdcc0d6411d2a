"""`qwen3.5`, `ornith`: reasoning up to </think>, then content with Qwen3-Coder's XML tool calls (Ollama's
model/parsers/qwen35.go).

The prompt opens the think block, so output starts with reasoning; a model that repeats the opening
<think> has it dropped, and a <tool_call> before any </think> ends the reasoning too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers.qwen3coder import TOOL_OPEN, Event, Qwen3CoderParser, split_ambiguous

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


class _State(Enum):
    THINKING = 1
    AFTER_THINKING = 2  # </think> seen; whitespace before the content is dropped
    CONTENT = 3


class Qwen35Parser:
    has_tool_support = True
    has_thinking_support = True

    def __init__(self) -> None:
        self._buf = ""
        self._state = _State.CONTENT
        self._tool_parser = Qwen3CoderParser()
        self._may_open_think = False  # a leading <think> may still arrive (and is dropped)
        self._trim_thinking_start = False  # whitespace after a dropped <think> is dropped too

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._buf = ""
        self._tool_parser = Qwen3CoderParser()
        self._tool_parser.init(tools, None, None)
        prefill = bool(last_message) and last_message.get("role") == "assistant" and bool(
            last_message.get("content"))
        thinking = (think is None or bool(think)) and not prefill
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
            if kind == "thinking":
                thinking.append(value)
                continue
            parsed, _, parsed_calls = self._tool_parser.add(value, done)
            content.append(parsed)
            calls.extend(parsed_calls)
        return "".join(content), "".join(thinking), calls

    def _eat(self, events: list[Event]) -> bool:
        if self._state is _State.AFTER_THINKING:
            self._buf = self._buf.lstrip()
            if not self._buf:
                return False
            self._state = _State.CONTENT
            return True
        if self._state is _State.CONTENT:
            if self._buf:
                events.append(("content", self._buf))
                self._buf = ""
            return False
        return self._eat_thinking(events)

    def _eat_leading_think_open(self) -> bool | None:
        """Drop a leading <think>; True/False: whether to go on now, None: nothing to do here."""
        trimmed = self._buf.lstrip()
        if trimmed.startswith(THINK_OPEN):
            self._buf = trimmed[len(THINK_OPEN):].lstrip()
            self._may_open_think = False
            self._trim_thinking_start = not self._buf
            return bool(self._buf)
        if THINK_OPEN.startswith(trimmed):
            return False
        self._may_open_think = False
        return None

    def _eat_thinking(self, events: list[Event]) -> bool:
        if self._may_open_think and (go_on := self._eat_leading_think_open()) is not None:
            return go_on
        if self._trim_thinking_start:
            self._buf = self._buf.lstrip()
            if not self._buf:
                return False
            self._trim_thinking_start = False
        before, closed, after = self._buf.partition(THINK_CLOSE)
        if closed:
            if before.rstrip():
                events.append(("thinking", before.rstrip()))
            self._buf = after.lstrip()
            self._state = _State.CONTENT if self._buf else _State.AFTER_THINKING
            return True
        if TOOL_OPEN in self._buf:
            # A tool call without </think> before it (seen from qwen3.5:9b) ends the reasoning. (Ollama
            # looks for it only when the buffer does not end in a partial tag, so a chunk that ends in
            # "<" after it leaks the call into the thinking.)
            before, _, calls = self._buf.partition(TOOL_OPEN)
            self._buf = before.rstrip() + THINK_CLOSE + TOOL_OPEN + calls.lstrip()
            return True
        decided, held = split_ambiguous(self._buf, THINK_CLOSE, TOOL_OPEN)
        if decided:
            events.append(("thinking", decided))
        self._buf = held
        return False


register("qwen3.5", Qwen35Parser)
register("ornith", Qwen35Parser)
