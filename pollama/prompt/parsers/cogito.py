"""`cogito`: Deep Cogito output (Ollama's model/parsers/cogito.go).

DeepSeek's format with a different tool-call body (`function<｜tool▁sep｜>name\\n```json\\n{args}\\n````)
and echoed tool output wrapped in `<｜tool▁outputs▁begin｜>...<｜tool▁outputs▁end｜>`, which is dropped.
A request with tools starts in content: Cogito does not think when it may call tools.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers.deepseek import SEP, DeepSeek3Parser, State

OUTPUTS_BEGIN = "<｜tool▁outputs▁begin｜>"
OUTPUTS_END = "<｜tool▁outputs▁end｜>"
OUTPUT_BEGIN = "<｜tool▁output▁begin｜>"
OUTPUT_END = "<｜tool▁output▁end｜>"
JSON_OPEN = "\n```json\n"
JSON_CLOSE = "\n```"


def parse_tool_call(text: str) -> ToolCall:
    """`function<｜tool▁sep｜>name\\n```json\\n{args}\\n```` -> a tool call without index; ValueError when
    malformed."""
    _, sep, rest = text.partition(SEP)
    name, opened, body = rest.partition(JSON_OPEN)
    args, closed, _ = body.partition(JSON_CLOSE)
    if not (sep and opened and closed):
        raise ValueError("invalid format")
    arguments = json.loads(args)
    if arguments is not None and not isinstance(arguments, dict):
        raise ValueError("tool call arguments are not a JSON object")
    return {"function": {"name": name.strip(), "arguments": arguments or {}}}


class CogitoParser(DeepSeek3Parser):
    output_open = OUTPUTS_BEGIN
    trim_before_output = True

    def __init__(self) -> None:
        super().__init__(has_thinking_support=True)

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        super().init(tools, last_message, think)
        if tools:
            self._state = State.CONTENT
        return tools

    @staticmethod
    def parse_tool_call(text: str) -> ToolCall:
        return parse_tool_call(text)

    def _eat_tool_output(self) -> bool:
        """Skip each <｜tool▁output▁begin｜>...<｜tool▁output▁end｜>, back to content after the outputs end."""
        start = self._buf.find(OUTPUT_BEGIN)
        end = self._buf.find(OUTPUT_END, start + len(OUTPUT_BEGIN)) if start >= 0 else -1
        if end >= 0:
            self._buf = self._buf[end + len(OUTPUT_END):].lstrip()
            return True
        _, found, after = self._buf.partition(OUTPUTS_END)
        if found:
            self._buf, self._state = after.lstrip(), State.CONTENT
            return True
        return False


register("cogito", CogitoParser)
