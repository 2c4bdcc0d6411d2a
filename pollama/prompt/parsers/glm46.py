"""GLM-4.6's output format (Ollama's model/parsers/glm46.go), the base of `glm-4.7` and `glm-ocr`.

`<think>...</think>` thinking, then content with tool calls as
`<tool_call>NAME<arg_key>k</arg_key><arg_value>v</arg_value>...</tool_call>`; values are typed by the
tool's declared parameter types. Malformed argument tags are repaired; a call cut off by the end of the
output is only accepted when nothing but its closing tag is missing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.gofmt import quote
from pollama.prompt.parsers import ParseError, Think, ToolCall
from pollama.prompt.parsers._text import overlap
from pollama.prompt.parsers._think import take_thinking
from pollama.prompt.parsers._values import parse_value, property_types

__all__ = ["GLM46Parser", "parse_tool_call", "parse_xml", "repair_xml", "State"]

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
KEY_OPEN, KEY_CLOSE = "<arg_key>", "</arg_key>"
VALUE_OPEN, VALUE_CLOSE = "<arg_value>", "</arg_value>"
_CYCLE = (KEY_OPEN, KEY_CLOSE, VALUE_OPEN, VALUE_CLOSE)
# What closes a pair left open after each phase of the cycle.
_UNFINISHED = ("", KEY_CLOSE + VALUE_OPEN + VALUE_CLOSE, VALUE_OPEN + VALUE_CLOSE, VALUE_CLOSE)

Event = tuple[str, str]  # ("thinking" | "content" | "tool_call", text)


class State:
    LOOKING_FOR_THINKING = "looking for thinking"
    THINKING_STARTED = "thinking started"  # eating whitespace after <think>
    THINKING = "thinking"
    THINKING_DONE = "thinking done"  # eating whitespace after </think>
    CONTENT = "content"
    TOOL_STARTED = "tool started"  # eating whitespace after <tool_call>
    TOOL = "tool"


def _escape(s: str) -> str:
    """XML-escape everything but the four argument tags."""
    out, i = [], 0
    while i < len(s):
        tag = next((t for t in _CYCLE if s.startswith(t, i)), None)
        out.append(tag or {"&": "&amp;", "<": "&lt;", ">": "&gt;"}.get(s[i], s[i]))
        i += len(tag) if tag else 1
    return "".join(out)


def _own_text(element: ET.Element) -> str:
    return (element.text or "") + "".join(child.tail or "" for child in element)


def parse_xml(document: str) -> tuple[str, list[str], list[str]]:
    """A `<tool_call>` element as Go's encoding/xml fills Ollama's struct: its own text, and the texts of
    its `arg_key` and `arg_value` children in document order. ValueError when it is not well-formed."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as err:
        raise ValueError(f"XML syntax error: {err}") from None
    if root.tag != "tool_call":
        raise ValueError(f"expected element type <tool_call> but have <{root.tag}>")
    keys = [_own_text(c) for c in root if c.tag == "arg_key"]
    return _own_text(root), keys, [_own_text(c) for c in root if c.tag == "arg_value"]


def _next_tag(s: str) -> tuple[int, int]:
    """(index, phase) of the earliest argument tag in `s`, or (-1, -1)."""
    found = [(s.find(tag), phase) for phase, tag in enumerate(_CYCLE) if tag in s]
    return min(found) if found else (-1, -1)


def repair_xml(s: str) -> str:
    """Follow the key-open, key-close, value-open, value-close cycle, inserting the tags the model left out.

    Text before a first tag other than `<arg_key>` holds the function name and the first key, split at the
    first space (names have none)."""
    idx, phase = _next_tag(s)
    if idx == -1:
        return s
    prefix, s = s[:idx], s[idx:]
    space = next((i for i, c in enumerate(prefix) if c.isspace()), -1)
    if phase != 0 and space != -1:
        out, phase = [prefix[:space], KEY_OPEN, prefix[space:].lstrip()], 1
    else:
        out, phase = [prefix], 0
    while s:
        idx, found = _next_tag(s)
        expected = _CYCLE[phase]
        if idx == -1:
            if phase % 2:
                out.append(s + expected)
                phase = (phase + 1) % 4
            break
        if found == phase:
            out.append(s[:idx] + expected)
            s, phase = s[idx + len(expected):], (phase + 1) % 4
        elif phase % 2 == 0 and idx > 0:
            out.append(expected + s[:idx])
            s, phase = s[idx:], phase + 1
        else:
            while phase != found:
                if phase % 2 and (phase + 1) % 4 == found and idx > 0:
                    out.append(s[:idx])
                    s, idx = s[idx:], 0
                out.append(_CYCLE[phase])
                phase = (phase + 1) % 4
    out.append(_UNFINISHED[phase])
    return "".join(out)


def _find_tool(name: str, tools: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((t for t in tools if (t.get("function") or {}).get("name") == name), None)


def _checked(name_text: str, keys: list[str], values: list[str]) -> str:
    name = name_text.strip()
    if not name:
        raise ValueError("empty function name")
    if len(keys) != len(values):
        raise ValueError(f"mismatched arg_key and arg_value counts: {len(keys)} keys, {len(values)} values")
    return name


def parse_tool_call(raw: str, tools: Sequence[Mapping[str, Any]]) -> ToolCall:
    """The text between `<tool_call>` and `</tool_call>` as a call (index 0); ParseError when it cannot be
    read even after repair."""
    escaped = _escape(raw)
    try:
        parsed = parse_xml(f"<tool_call>{escaped}</tool_call>")
    except ValueError as err:
        try:
            parsed = parse_xml(f"<tool_call>{repair_xml(escaped)}</tool_call>")
        except ValueError:
            raise ParseError(f"failed to parse XML: {err}") from None
    try:
        name = _checked(*parsed)
    except ValueError as err:
        raise ParseError(str(err)) from None
    tool = _find_tool(name, tools)
    args = {key.strip(): parse_value(value, property_types(tool, key.strip()))
            for key, value in zip(parsed[1], parsed[2], strict=True)}
    return {"function": {"index": 0, "name": name, "arguments": args}}


def _check_final(raw: str, tools: Sequence[Mapping[str, Any]]) -> None:
    """A call cut off by the end of the output must be complete but for `</tool_call>`: well-formed, a
    declared tool, every argument named and every required one present."""
    name_text, keys, values = parse_xml(f"<tool_call>{_escape(raw)}</tool_call>")
    name = _checked(name_text, keys, values)
    tool = _find_tool(name, tools)
    if tool is None:
        raise ValueError(f"tool {quote(name)} is not declared")
    given = {key.strip() for key in keys}
    if "" in given:
        raise ValueError("empty argument name")
    for required in ((tool.get("function") or {}).get("parameters") or {}).get("required") or []:
        if required not in given:
            raise ValueError(f"required argument {quote(required)} is missing for tool {quote(name)}")


class GLM46Parser:
    has_tool_support = True
    has_thinking_support = True

    def __init__(self) -> None:
        self.state = State.LOOKING_FOR_THINKING
        self._buf = ""
        self._tools: list[Mapping[str, Any]] = []
        self._index = 0

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._tools = list(tools or [])
        self._index = 0
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        events = self.events(text)
        if done and self.state in (State.TOOL_STARTED, State.TOOL):
            events.append(("tool_call", self._finish_call()))
        content, thinking, calls = [], [], []
        for kind, value in events:
            if kind == "tool_call":
                call = parse_tool_call(value, self._tools)
                call["function"]["index"] = self._index
                self._index += 1
                calls.append(call)
            else:
                (thinking if kind == "thinking" else content).append(value)
        return "".join(content), "".join(thinking), calls

    def events(self, text: str) -> list[Event]:
        """Take `text`; the events that can be decided so far."""
        self._buf += text
        out: list[Event] = []
        again = True
        while again:
            events, again = self._eat()
            out.extend(events)
        return out

    def _finish_call(self) -> str:
        raw = self._buf
        if held := overlap(raw, CALL_CLOSE):
            raw = raw[:len(raw) - held].rstrip()
        try:
            _check_final(raw, self._tools)
        except ValueError as err:
            raise ParseError(f"incomplete GLM tool call: {err}") from None
        self._buf, self.state = "", State.CONTENT
        return raw

    def _eat(self) -> tuple[list[Event], bool]:
        state = self.state
        if state == State.LOOKING_FOR_THINKING:
            return self._look_for_thinking()
        if state in (State.THINKING_STARTED, State.THINKING_DONE, State.TOOL_STARTED):
            return self._eat_whitespace()
        if state == State.TOOL:
            body, found, after = self._buf.partition(CALL_CLOSE)
            if not found:
                return [], False
            self._buf, self.state = after.lstrip(), State.CONTENT
            return [("tool_call", body.rstrip())], True
        kind, tag = ("thinking", THINK_CLOSE) if state == State.THINKING else ("content", CALL_OPEN)
        text, self._buf, found = take_thinking(self._buf, tag)
        if found:
            after_tag = State.THINKING_DONE if kind == "thinking" else State.TOOL_STARTED
            following = State.CONTENT if kind == "thinking" else State.TOOL
            self.state = after_tag if self._buf == "" else following
        return ([(kind, text)] if text else []), found

    def _look_for_thinking(self) -> tuple[list[Event], bool]:
        trimmed = self._buf.lstrip()
        if trimmed.startswith(THINK_OPEN):
            self._buf = trimmed[len(THINK_OPEN):].lstrip()
            self.state = State.THINKING if self._buf else State.THINKING_STARTED
            return [], True
        if THINK_OPEN.startswith(trimmed):
            return [], False
        self.state = State.CONTENT  # no thinking: the text, leading space included, is content
        return [], True

    def _eat_whitespace(self) -> tuple[list[Event], bool]:
        self._buf = self._buf.lstrip()
        if not self._buf:
            return [], False
        self.state = {State.THINKING_STARTED: State.THINKING, State.THINKING_DONE: State.CONTENT,
                      State.TOOL_STARTED: State.TOOL}[self.state]
        return [], True
