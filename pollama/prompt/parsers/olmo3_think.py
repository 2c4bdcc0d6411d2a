"""`olmo3-think`: Olmo 3 thinking models (Ollama's model/parsers/olmo3_think.go).

The prompt opens `<think>`, so output is thinking up to `</think>` and content after it; no tools. An
assistant prefill with content starts in content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers._think import take_thinking

THINK_END = "</think>"


class Olmo3ThinkParser:
    has_tool_support = False
    has_thinking_support = True

    def __init__(self) -> None:
        self._thinking = True
        self._buf = ""

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        prefilled = bool(last_message and last_message.get("role") == "assistant" and last_message.get("content"))
        self._thinking = not prefilled
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        thinking = ""
        if self._thinking:
            thinking, self._buf, closed = take_thinking(self._buf, THINK_END)
            self._thinking = not closed
        if self._thinking:
            return "", thinking, []
        content, self._buf = self._buf, ""
        return content, thinking, []


register("olmo3-think", Olmo3ThinkParser)
