"""`qwen3-coder`: content with XML tool calls (Ollama's model/parsers/qwen3coder.go).

    text <tool_call>
    <function=name>
    <parameter=key>
    value
    </parameter>
    </function>
    </tool_call>

A call's parameters are typed by the request's tool schema (parse_value). Also home of what the Qwen
parsers share: the events a buffer splits into, and the hold-back of a possible partial tag.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.parsers import ParseError, Think, ToolCall, register
from pollama.prompt.parsers._text import overlap, trailing_whitespace_len
from pollama.prompt.parsers._values import parse_value, property_types

TOOL_OPEN, TOOL_CLOSE = "<tool_call>", "</tool_call>"

# A parser's buffer splits into events: ("content", text), ("thinking", text) or ("tool_call", raw call).
Event = tuple[str, str]

_SHORTHAND_TAG = re.compile(r"<(\w+)=([^>]+)>", re.ASCII)
_XML_TAG = re.compile(r'</?(?:function|parameter)(?:[\t\n\f\r ]+name="[^"]*")?>')
_ATTR_ESCAPES = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\t": "&#x9;",
                 "\n": "&#xA;", "\r": "&#xD;"}
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def split_ambiguous(buf: str, *tags: str) -> tuple[str, str]:
    """(text that is decided, text to hold back): the hold-back is a suffix that may begin one of `tags`,
    with the whitespace before it (trailing whitespace is held back too, in case the text ends there)."""
    cut = len(buf) - max((overlap(buf, tag) for tag in tags), default=0)
    cut -= trailing_whitespace_len(buf[:cut])
    return buf[:cut], buf[cut:]


def transform_to_xml(raw: str) -> str:
    """`<function=name>` / `<parameter=key>` shorthand as XML elements with a name attribute; every other
    character data escaped."""
    def element(m: re.Match[str]) -> str:
        name = "".join(_ATTR_ESCAPES.get(c, c) for c in m.group(2))
        return f'<{m.group(1)} name="{name}">'

    transformed = _SHORTHAND_TAG.sub(element, raw)
    out, last = [], 0
    for m in _XML_TAG.finditer(transformed):
        out.append("".join(_TEXT_ESCAPES.get(c, c) for c in transformed[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append("".join(_TEXT_ESCAPES.get(c, c) for c in transformed[last:]))
    return "".join(out)


def _function_element(xml: str) -> ET.Element:
    """The document's first element, as Go's xml.Unmarshal reads it: text before it and anything after
    it ignored."""
    start = xml.find("<")
    if start < 0:
        raise ParseError("EOF")
    parser = ET.XMLPullParser(events=("start", "end"))
    parser.feed(xml[start:])
    depth = 0
    try:
        for event, elem in parser.read_events():
            depth += 1 if event == "start" else -1
            if depth == 0:
                return elem
        parser.close()
    except ET.ParseError as e:
        raise ParseError(f"XML syntax error: {e}") from None
    raise ParseError("XML syntax error: unexpected EOF")


def parse_tool_call(raw: str, tools: Sequence[Mapping[str, Any]] | None) -> ToolCall:
    """One XML tool call; arguments typed by the schema of the request's tool of that name."""
    function = _function_element(transform_to_xml(raw))
    if function.tag != "function":
        raise ParseError(f"expected element type <function> but have <{function.tag}>")
    name = function.get("name", "")
    tool = next((t for t in tools or [] if (t.get("function") or {}).get("name") == name), None)
    arguments = {}
    for param in function.findall("parameter"):
        key = param.get("name", "")
        value = (param.text or "") + "".join(child.tail or "" for child in param)
        arguments[key] = parse_value(value, property_types(tool, key))
    return {"function": {"index": 0, "name": name, "arguments": arguments}}


class Qwen3CoderParser:
    has_tool_support = True
    has_thinking_support = False

    def __init__(self) -> None:
        self._buf = ""
        self._in_tool_call = False
        self._tools: Sequence[Mapping[str, Any]] = []
        self._index = 0

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._tools = tools or []
        self._index = 0
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        content, calls = [], []
        for kind, value in self.parse_events(text):
            if kind == "tool_call":
                call = parse_tool_call(value, self._tools)
                call["function"]["index"] = self._index
                self._index += 1
                calls.append(call)
            else:
                content.append(value)
        return "".join(content), "", calls

    def parse_events(self, text: str) -> list[Event]:
        """Buffer `text` and return every event the buffer now decides."""
        self._buf += text
        events: list[Event] = []
        while self._eat(events):
            pass
        return events

    def _eat(self, events: list[Event]) -> bool:
        if self._in_tool_call:
            raw, found, after = self._buf.partition(TOOL_CLOSE)
            if not found:
                return False
            events.append(("tool_call", raw))
            self._buf, self._in_tool_call = after.lstrip(), False
            return True
        before, found, after = self._buf.partition(TOOL_OPEN)
        if found:
            if before.rstrip():
                events.append(("content", before.rstrip()))
            self._buf, self._in_tool_call = after, True
            return True
        decided, self._buf = split_ambiguous(self._buf, TOOL_OPEN)
        if decided:
            events.append(("content", decided))
        return False


register("qwen3-coder", Qwen3CoderParser)
