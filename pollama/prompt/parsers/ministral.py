"""`ministral`: Mistral's `[THINK]…[/THINK]` reasoning and `[TOOL_CALLS]name[ARGS]{json}` calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum, auto
from typing import Any

from pollama.prompt.parsers import ParseError, Think, ToolCall, register
from pollama.prompt.parsers._text import overlap, trailing_whitespace_len
from pollama.prompt.parsers._values import loads_json

TOOL_CALLS, THINK, THINK_END, ARGS = "[TOOL_CALLS]", "[THINK]", "[/THINK]", "[ARGS]"


class _State(Enum):
    CONTENT = auto()
    THINKING = auto()
    TOOL_NAME = auto()
    TOOL_ARGS = auto()


def find_json_end(s: str) -> int:
    """Index of the bracket that closes the JSON object or array `s` starts with; -1 while incomplete."""
    depth = 0
    in_string = escaped = False
    for i, c in enumerate(s):
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return i
    return -1


class MinistralParser:
    has_tool_support = True

    def __init__(self, has_thinking_support: bool = False) -> None:
        self.has_thinking_support = has_thinking_support
        self._state = _State.CONTENT
        self._buf = ""
        self._tools: Sequence[Mapping[str, Any]] = ()
        self._call_index = 0
        self._pending_name = ""

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._tools = tools or ()
        self._call_index = 0
        prefill = last_message is not None and last_message.get("role") == "assistant"
        continues_content = prefill and bool(last_message.get("content"))
        thinking = self.has_thinking_support and not continues_content
        self._state = _State.THINKING if thinking else _State.CONTENT
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        content: list[str] = []
        thinking: list[str] = []
        calls: list[ToolCall] = []
        for kind, value, args in self._events():
            if kind == "content":
                content.append(value)
            elif kind == "thinking":
                thinking.append(value)
            else:
                calls.append(self._tool_call(value, args))
        return "".join(content), "".join(thinking), calls

    def _tool_call(self, name: str, args: str) -> ToolCall:
        if not any((t.get("function") or {}).get("name") == name for t in self._tools):
            raise ParseError(f"tool '{name}' not found")
        try:
            arguments = loads_json(args)
        except ValueError as e:
            raise ParseError(str(e)) from None
        if not isinstance(arguments, dict):
            raise ParseError("json: cannot unmarshal array into tool call arguments")
        call = {"function": {"index": self._call_index, "name": name, "arguments": arguments}}
        self._call_index += 1
        return call

    def _events(self) -> list[tuple[str, str, str]]:
        events: list[tuple[str, str, str]] = []
        step = {_State.CONTENT: self._eat_content, _State.THINKING: self._eat_thinking,
                _State.TOOL_NAME: self._eat_tool_name, _State.TOOL_ARGS: self._eat_tool_args}
        while step[self._state](events):
            pass
        return events

    def _emit_all_but(self, kind: str, keep: int, events: list[tuple[str, str, str]]) -> bool:
        cut = len(self._buf) - keep
        if cut > 0:
            events.append((kind, self._buf[:cut], ""))
        self._buf = self._buf[cut:]
        return False

    def _eat_content(self, events: list[tuple[str, str, str]]) -> bool:
        for tag, state in ((TOOL_CALLS, _State.TOOL_NAME), (THINK, _State.THINKING)):
            before, found, after = self._buf.partition(tag)
            if found:
                if before.rstrip():
                    events.append(("content", before.rstrip(), ""))
                self._buf, self._state = after, state
                return True
        partial = max(overlap(self._buf, TOOL_CALLS), overlap(self._buf, THINK))
        keep = partial + trailing_whitespace_len(self._buf[:len(self._buf) - partial])
        return self._emit_all_but("content", keep, events)

    def _eat_thinking(self, events: list[tuple[str, str, str]]) -> bool:
        before, found, after = self._buf.partition(THINK_END)
        if found:
            if before:
                events.append(("thinking", before, ""))
            self._buf, self._state = after.lstrip(), _State.CONTENT
            return True
        return self._emit_all_but("thinking", overlap(self._buf, THINK_END), events)

    def _eat_tool_name(self, events: list[tuple[str, str, str]]) -> bool:
        name, found, after = self._buf.partition(ARGS)
        if found:
            self._pending_name, self._buf, self._state = name, after, _State.TOOL_ARGS
        return bool(found)

    def _eat_tool_args(self, events: list[tuple[str, str, str]]) -> bool:
        end = find_json_end(self._buf)
        if end < 0:
            return False
        events.append(("call", self._pending_name, self._buf[:end + 1]))
        self._buf, self._state, self._pending_name = self._buf[end + 1:], _State.CONTENT, ""
        return True


register("ministral", lambda: MinistralParser(has_thinking_support=False))
