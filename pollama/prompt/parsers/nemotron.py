"""`nemotron-3-nano`, `nemotron-3.5-nano`: NVIDIA Nemotron 3 Nano output (Ollama's
model/parsers/nemotron3nano.go).

With thinking on (the default), output is thinking up to `</think>`, or up to a `<tool_call>` when the
model skips the closing tag; an opening `<think>` at the very start is dropped. Content afterwards, with
its Qwen3-Coder style XML tool calls, goes to the qwen3-coder parser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum, auto
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers._text import overlap, trailing_whitespace_len
from pollama.prompt.parsers.qwen3coder import Qwen3CoderParser

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
TOOL_CALL_OPEN = "<tool_call>"
NOTHING: tuple[str, str, list[ToolCall]] = ("", "", [])


class State(Enum):
    THINKING = auto()
    SKIP_WHITESPACE = auto()  # </think> seen, content not started
    CONTENT = auto()


class Nemotron3NanoParser:
    has_tool_support = True
    has_thinking_support = True

    def __init__(self) -> None:
        self._content = Qwen3CoderParser()
        self._state = State.CONTENT
        self._buf = ""
        self._at_start = False  # an opening <think> may still come
        self._skip_leading_space = False

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._content = Qwen3CoderParser()
        self._content.init(tools, None, None)
        self._buf = ""
        self._skip_leading_space = False
        prefilled = bool(last_message and last_message.get("role") == "assistant" and last_message.get("content"))
        thinking = (think is None or bool(think)) and not prefilled
        self._state = State.THINKING if thinking else State.CONTENT
        self._at_start = thinking
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        if self._state is State.SKIP_WHITESPACE:
            text = text.lstrip()
            if not text:
                return NOTHING
            self._state = State.CONTENT
        if self._state is State.CONTENT:
            return self._content.add(text, done)
        self._buf += text
        if self._skip_leading_space:
            self._buf = self._buf.lstrip()
            if not self._buf:
                return NOTHING
            self._skip_leading_space = False
        if self._strip_think_open():
            return self.add("", done)
        if self._at_start and self._may_open_think():
            return NOTHING
        return self._thinking(done)

    def _may_open_think(self) -> bool:
        """Only space and (part of) <think> so far: keep it, without the space."""
        trimmed = self._buf.lstrip()
        if trimmed and overlap(trimmed, THINK_OPEN) != len(trimmed):
            return False
        self._buf = trimmed
        return True

    def _strip_think_open(self) -> bool:
        """Drop a leading <think>; True when it was dropped."""
        if not self._at_start:
            return False
        trimmed = self._buf.lstrip()
        if not trimmed:
            self._buf = ""
            return False
        if trimmed.startswith(THINK_OPEN):
            self._buf = trimmed[len(THINK_OPEN):].lstrip()
            self._at_start = False
            self._skip_leading_space = True
            return True
        if overlap(trimmed, THINK_OPEN) == len(trimmed):
            self._buf = trimmed
        else:
            self._at_start = False
        return False

    def _thinking(self, done: bool) -> tuple[str, str, list[ToolCall]]:
        buf = self._buf
        close, tool = buf.find(THINK_CLOSE), buf.find(TOOL_CALL_OPEN)
        if close >= 0 and (tool < 0 or close < tool):
            end, rest = close, buf[close + len(THINK_CLOSE):].lstrip()
        elif tool >= 0:
            end, rest = tool, buf[tool:]
        else:
            return "", self._emit_thinking(), []
        self._buf = ""
        thinking = buf[:end].rstrip()
        if not rest:
            self._state = State.SKIP_WHITESPACE
            return "", thinking, []
        self._state = State.CONTENT
        content, _, calls = self._content.add(rest, done)
        return content, thinking, calls

    def _emit_thinking(self) -> str:
        """The thinking that is certain; trailing space and a tag that may be arriving stay buffered."""
        buf = self._buf
        keep = len(buf) - max(overlap(buf, THINK_CLOSE), overlap(buf, TOOL_CALL_OPEN))
        keep -= trailing_whitespace_len(buf[:keep])
        self._buf = buf[keep:]
        return buf[:keep]


register("nemotron-3-nano", Nemotron3NanoParser)
register("nemotron-3.5-nano", Nemotron3NanoParser)
