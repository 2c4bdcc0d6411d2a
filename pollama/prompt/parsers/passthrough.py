"""`passthrough`: everything is content."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register


class PassthroughParser:
    has_tool_support = False
    has_thinking_support = False

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        return text, "", []


register("passthrough", PassthroughParser)
