"""`deepseek3`: DeepSeek V3.1 output (Ollama's model/parsers/deepseek3.go).

Thinking runs up to `</think>` (the prompt opens it); content may hold tool calls
(`<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>name<｜tool▁sep｜>{json}<｜tool▁call▁end｜>...<｜tool▁calls▁end｜>`)
and echoed tool output (`<｜tool▁output▁begin｜>...<｜tool▁output▁end｜>`, kept as content).
Like Ollama, only the `</think>` tag is held back while it may be arriving; the tool tags are single
tokens of DeepSeek's vocabulary and are looked for whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from enum import Enum, auto
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers._think import take_thinking

log = logging.getLogger(__name__)

THINK_END = "</think>"
CALLS_BEGIN = "<｜tool▁calls▁begin｜>"
CALLS_END = "<｜tool▁calls▁end｜>"
CALL_BEGIN = "<｜tool▁call▁begin｜>"
CALL_END = "<｜tool▁call▁end｜>"
SEP = "<｜tool▁sep｜>"
OUTPUT_BEGIN = "<｜tool▁output▁begin｜>"
OUTPUT_END = "<｜tool▁output▁end｜>"


class State(Enum):
    THINKING = auto()
    CONTENT = auto()
    TOOL_CALLS = auto()
    TOOL_OUTPUT = auto()


def parse_tool_call(text: str) -> ToolCall:
    """`name<｜tool▁sep｜>{json}` -> a tool call without index; ValueError when malformed."""
    name, sep, args = text.partition(SEP)
    if not sep:
        raise ValueError("invalid format")
    arguments = json.loads(args.strip())
    if arguments is not None and not isinstance(arguments, dict):
        raise ValueError("tool call arguments are not a JSON object")
    return {"function": {"name": name.strip(), "arguments": arguments or {}}}


class DeepSeek3Parser:
    """Also the base of Cogito's parser, which differs in the tool-call body and how echoed output looks."""

    has_tool_support = True
    output_open = OUTPUT_BEGIN  # in content, the tag that starts echoed tool output
    trim_before_output = False

    def __init__(self, has_thinking_support: bool = True) -> None:
        self.has_thinking_support = has_thinking_support
        self._state = State.CONTENT
        self._buf = ""
        self._calls = 0
        self._content: list[str] = []
        self._thinking: list[str] = []
        self._new_calls: list[ToolCall] = []

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._calls = 0
        prefilled = bool(last_message and last_message.get("role") == "assistant" and last_message.get("content"))
        thinking = self.has_thinking_support and bool(think)
        self._state = State.THINKING if thinking and not prefilled else State.CONTENT
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        self._content, self._thinking, self._new_calls = [], [], []
        while self._buf and self._step():
            pass
        return "".join(self._content), "".join(self._thinking), self._new_calls

    def _step(self) -> bool:
        """Consume what the buffer allows in the current state; True when another step may make progress."""
        return {State.THINKING: self._eat_thinking, State.CONTENT: self._eat_content,
                State.TOOL_CALLS: self._eat_tool_calls, State.TOOL_OUTPUT: self._eat_tool_output}[self._state]()

    def _eat_thinking(self) -> bool:
        thinking, self._buf, closed = take_thinking(self._buf, THINK_END)
        self._thinking.append(thinking)
        if closed:
            self._state = State.CONTENT
        return closed

    def _eat_content(self) -> bool:
        before, found, after = self._buf.partition(CALLS_BEGIN)
        if found:
            self._content.append(before.rstrip())
            self._buf, self._state = after, State.TOOL_CALLS
            return True
        before, found, after = self._buf.partition(self.output_open)
        if found:
            self._content.append(before.rstrip() if self.trim_before_output else before)
            self._buf, self._state = after, State.TOOL_OUTPUT
            return True
        self._content.append(self._buf)
        self._buf = ""
        return False

    def _eat_tool_calls(self) -> bool:
        start = self._buf.find(CALL_BEGIN)
        end = self._buf.find(CALL_END, start + len(CALL_BEGIN)) if start >= 0 else -1
        if end >= 0:
            try:
                call = self.parse_tool_call(self._buf[start + len(CALL_BEGIN):end])
            except ValueError as e:
                log.warning("%s: tool call parsing failed: %s", type(self).__name__, e)
            else:
                call["function"]["index"] = self._calls
                self._calls += 1
                self._new_calls.append(call)
                self._buf = self._buf[end + len(CALL_END):].lstrip()
                return True
        _, found, after = self._buf.partition(CALLS_END)
        if found:
            self._buf, self._state = after.lstrip(), State.CONTENT
            return True
        return False

    @staticmethod
    def parse_tool_call(text: str) -> ToolCall:
        return parse_tool_call(text)

    def _eat_tool_output(self) -> bool:
        output, found, after = self._buf.partition(OUTPUT_END)
        if not found:
            return False
        self._content.append(output)
        self._buf, self._state = after, State.CONTENT
        return True


register("deepseek3", lambda: DeepSeek3Parser(has_thinking_support=True))
