"""`gemma4`, `gemma4-no-thinking`: Gemma 4 output (Ollama's model/parsers/gemma4.go).

Thinking comes in `<|channel>thought\n...<channel|>`, tool calls as `<|tool_call>call:NAME{key:value,...}
<tool_call|>` where strings are wrapped in `<|"|>` and keys are bare. The arguments are turned into JSON;
when that fails, a few schema-guided repairs of common model slips are tried (an unclosed `<|"|>`, a
single-quoted value, a raw string value of a string parameter).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import marshal
from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers._text import overlap, trailing_whitespace_len
from pollama.prompt.parsers._think import take_thinking
from pollama.prompt.parsers._values import loads_json

__all__ = ["Gemma4Parser", "args_to_json", "parse_tool_call", "repair_candidates",
           "repair_missing_object_close", "repair_missing_string_delimiter",
           "repair_raw_terminal_string_value", "repair_single_quoted_values"]

log = logging.getLogger(__name__)

THINK_OPEN, THINK_CLOSE = "<|channel>", "<channel|>"
CALL_OPEN, CALL_CLOSE = "<|tool_call>", "<tool_call|>"
RESPONSE_OPEN = "<|tool_response>"
QUOTE = '<|"|>'
CHANNEL_NAME = "thought\n"

_QUOTED = re.compile(r'<\|"\|>(.*?)<\|"\|>', re.S)
_PLACEHOLDER = re.compile("\x00([0-9]+)\x00")

Event = tuple[str, Any]  # ("content" | "thinking", text) or ("call", tool call)


def _skip_space(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _bare_key_end(s: str, i: int) -> int:
    while i < len(s) and (s[i] == "_" or s[i].isalpha() or s[i].isdecimal()):
        i += 1
    return i


def _json_string_end(s: str, start: int) -> int:
    """Index just past the JSON string that opens at `start`, or -1 when it is not closed."""
    escaped = False
    for i in range(start + 1, len(s)):
        if s[i] == '"' and not escaped:
            return i + 1
        escaped = s[i] == "\\" and not escaped
    return -1


def _quote_bare_keys(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        if s[i] == '"' and (end := _json_string_end(s, i)) != -1:
            out.append(s[i:end])
            i = end
            continue
        out.append(s[i])
        i += 1
        if s[i - 1] not in "{,":
            continue
        j = _skip_space(s, i)
        out.append(s[i:j])
        key_end = _bare_key_end(s, j)
        if j < key_end < len(s) and s[key_end] == ":":
            out.append(f'"{s[j:key_end]}":')
            j = key_end + 1
        i = j
    return "".join(out)


def args_to_json(s: str) -> str:
    """Gemma's `{key:value,...}` as JSON: `<|"|>` strings become JSON strings, bare keys get quoted."""
    strings: list[str] = []

    def stash(m: re.Match[str]) -> str:
        strings.append(m.group(1))
        return f"\x00{len(strings) - 1}\x00"

    text = _quote_bare_keys(_QUOTED.sub(stash, s))
    return _PLACEHOLDER.sub(lambda m: marshal(strings[int(m.group(1))]), text)


def _loads_arguments(s: str) -> dict[str, Any] | None:
    try:
        value = loads_json(args_to_json(s))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def repair_missing_string_delimiter(s: str) -> str:
    """Close an odd `<|"|>` at the end, inside a trailing `}` or `]`."""
    if s.count(QUOTE) % 2 == 0:
        return s
    at = len(s.rstrip())
    if at > 0 and s[at - 1] in "}]":
        at -= 1
    return s[:at] + QUOTE + s[at:]


def repair_missing_object_close(s: str) -> str:
    """Add the final `}` of an object that lacks it (before trailing space)."""
    end = len(s.rstrip())
    if not s.lstrip().startswith("{") or (end > 0 and s[end - 1] == "}"):
        return s
    return s[:end] + "}" + s[end:]


def _single_quoted(s: str, start: int) -> tuple[str, int] | None:
    escaped = False
    for i in range(start + 1, len(s)):
        if s[i] == "'" and not escaped:
            return s[start + 1:i], i + 1
        escaped = s[i] == "\\" and not escaped
    return None


def repair_single_quoted_values(s: str) -> str:
    """`key:'value'` becomes `key:<|"|>value<|"|>` (a stray `<|"|>` right after the quote is dropped)."""
    out, i = [], 0
    while i < len(s):
        if s.startswith(QUOTE, i):
            end = s.find(QUOTE, i + len(QUOTE))
            if end == -1:
                out.append(s[i:])
                break
            out.append(s[i:end + len(QUOTE)])
            i = end + len(QUOTE)
            continue
        if s[i] == '"' and (end := _json_string_end(s, i)) != -1:
            out.append(s[i:end])
            i = end
            continue
        out.append(s[i])
        i += 1
        if s[i - 1] != ":":
            continue
        j = _skip_space(s, i)
        out.append(s[i:j])
        i = j
        if i < len(s) and s[i] == "'" and (quoted := _single_quoted(s, i)):
            out.append(QUOTE + quoted[0] + QUOTE)
            i = quoted[1] + (len(QUOTE) if s.startswith(QUOTE, quoted[1]) else 0)
    return "".join(out)


def _tool_properties(name: str, tools: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for tool in tools:
        fn = tool.get("function") or {}
        if fn.get("name") == name:
            props = (fn.get("parameters") or {}).get("properties")
            return props if isinstance(props, Mapping) else None
    return None


def _accepts_string(prop: Any) -> bool:
    if not isinstance(prop, Mapping):
        return False
    t = prop.get("type")
    types = [t] if isinstance(t, str) else t if isinstance(t, list) else []
    return (any(isinstance(x, str) and x.lower() == "string" for x in types)
            or any(_accepts_string(option) for option in prop.get("anyOf") or []))


def _value_start(s: str, key: str, i: int) -> int | None:
    """Where the value of `key` starts (just past its colon), looking from `i` outside strings."""
    while i < len(s):
        if s.startswith(QUOTE, i):
            end = s.find(QUOTE, i + len(QUOTE))
            if end == -1:
                return None
            i = end + len(QUOTE)
            continue
        if s[i] == '"' and (end := _json_string_end(s, i)) != -1:
            i = end
            continue
        if s[i] in "{,":
            key_start = _skip_space(s, i + 1)
            colon = _skip_space(s, key_start + len(key))
            if s.startswith(key, key_start) and colon < len(s) and s[colon] == ":":
                return colon + 1
        i += 1
    return None


def _starts_structured(s: str, i: int) -> bool:
    return s.startswith(QUOTE, i) or s[i] in "'\"{[-0123456789tfn"


def _raw_value_end(s: str, start: int, props: Mapping[str, Any]) -> int:
    """A raw value runs to the next `,key:` of a declared parameter, else to a final `}`, else the end."""
    for i in range(start, len(s)):
        if s[i] != ",":
            continue
        key_start = _skip_space(s, i + 1)
        key_end = _bare_key_end(s, key_start)
        colon = _skip_space(s, key_end)
        if key_end > key_start and colon < len(s) and s[colon] == ":" and s[key_start:key_end] in props:
            return i
    end = len(s.rstrip())
    return end - 1 if end > start and s[end - 1] == "}" else len(s)


def _wrap_raw_value(s: str, key: str, props: Mapping[str, Any]) -> str | None:
    search = 0
    while search < len(s):
        start = _value_start(s, key, search)
        if start is None:
            return None
        check = _skip_space(s, start)
        if check < len(s) and _starts_structured(s, check):
            search = start
            continue
        end = _raw_value_end(s, start, props)
        return s[:start] + QUOTE + s[start:end] + QUOTE + s[end:]
    return None


def repair_raw_terminal_string_value(s: str, name: str, tools: Sequence[Mapping[str, Any]]) -> str | None:
    """Wrap the raw value of a parameter the tool declares as a string in `<|"|>`; None when no declared
    string parameter has an unquoted value (raw text is too ambiguous without the schema)."""
    props = _tool_properties(name, tools) or {}
    for key, prop in props.items():
        if _accepts_string(prop) and (repaired := _wrap_raw_value(s, key, props)) is not None:
            return repaired
    return None


def repair_candidates(s: str, name: str, tools: Sequence[Mapping[str, Any]]) -> list[str]:
    """The repaired argument texts worth trying, in order, without repeats."""
    candidates: list[str] = []

    def add(candidate: str, close_object: bool) -> None:
        repaired = repair_missing_string_delimiter(repair_single_quoted_values(candidate))
        if close_object or repaired != candidate:
            repaired = repair_missing_object_close(repaired)
        if repaired not in candidates:
            candidates.append(repaired)

    add(s, False)
    if (raw := repair_raw_terminal_string_value(s, name, tools)) is not None:
        add(raw, True)
    return candidates


def parse_tool_call(text: str, tools: Sequence[Mapping[str, Any]]) -> ToolCall | None:
    """`call:NAME{args}` as a tool call (index 0), or None when the arguments cannot be made JSON."""
    if not text.startswith("call:") or (brace := text.find("{")) == -1:
        return None
    name, args_text = text[len("call:"):brace].strip(), text[brace:]
    args = _loads_arguments(args_text)
    for candidate in repair_candidates(args_text, name, tools) if args is None else ():
        if (args := _loads_arguments(candidate)) is not None:
            break
    if args is None:
        return None
    return {"function": {"index": 0, "name": name, "arguments": args}}


def _hold_back(buf: str, tags: Sequence[str]) -> int:
    """How much of the end of `buf` may still turn out to be one of `tags` (with the space before it)."""
    head = buf[:len(buf) - max(overlap(buf, tag) for tag in tags)]
    return len(buf) - len(head) + trailing_whitespace_len(head)


class Gemma4Parser:
    has_tool_support = True

    def __init__(self, has_thinking_support: bool) -> None:
        self.has_thinking_support = has_thinking_support
        self._tools: list[Mapping[str, Any]] = []
        self._buf = ""
        self._index = 0
        self._thinking = False
        self._strip_channel_name = False
        self._eat: Callable[[bool], tuple[list[Event], bool]] = self._eat_content

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._tools = list(tools or [])
        self._index = 0
        self._thinking = self.has_thinking_support and bool(think)
        after_tool = last_message is not None and last_message.get("role") == "tool"
        self._eat = self._eat_thinking if self._thinking and after_tool else self._eat_content
        self._strip_channel_name = False
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        content, thinking, calls = [], [], []
        again = True
        while again and self._buf:
            events, again = self._eat(done)
            for kind, value in events:
                if kind == "call":
                    value["function"]["index"] = self._index
                    self._index += 1
                    calls.append(value)
                elif kind == "content":
                    content.append(value)
                elif self._thinking:
                    thinking.append(value)
        return "".join(content), "".join(thinking), calls

    def _eat_content(self, done: bool) -> tuple[list[Event], bool]:
        buf = self._buf
        for tag, state in ((THINK_OPEN, self._eat_thinking), (CALL_OPEN, self._eat_call)):
            if (at := buf.find(tag)) != -1:
                before = buf[:at].rstrip()
                self._buf, self._eat = buf[at + len(tag):], state
                self._strip_channel_name = tag == THINK_OPEN
                return ([("content", before)] if before else []), True
        tags = (THINK_OPEN, CALL_OPEN)
        partial_tag = not done and any(overlap(buf, tag) for tag in tags)
        return self._emit("content", _hold_back(buf, tags) if partial_tag else 0), False

    def _eat_thinking(self, done: bool) -> tuple[list[Event], bool]:
        if self._strip_channel_name:
            if self._buf.startswith(CHANNEL_NAME):
                self._buf = self._buf[len(CHANNEL_NAME):]
            elif not done and CHANNEL_NAME.startswith(self._buf):
                return [], False
            self._strip_channel_name = False
        if done and THINK_CLOSE not in self._buf:
            return self._emit("thinking", 0), False
        thinking, self._buf, closed = take_thinking(self._buf, THINK_CLOSE)
        if closed:
            self._eat = self._eat_content
        return ([("thinking", thinking)] if thinking else []), closed

    def _eat_call(self, done: bool) -> tuple[list[Event], bool]:
        body, found, rest = self._buf.partition(CALL_CLOSE)
        if not found and not done:
            return [], False
        self._buf, self._eat = rest.lstrip(), self._eat_post_call if found else self._eat_content
        call = parse_tool_call(body, self._tools)
        if call is None:
            log.warning("gemma4 tool call parsing failed: %r", body)
        return ([("call", call)] if call else []), bool(found)

    def _eat_post_call(self, done: bool) -> tuple[list[Event], bool]:
        """Drop the stray `<tool_call|>` / `<|tool_response>` the model sometimes emits after a call."""
        buf = self._buf.lstrip()
        while noise := next((t for t in (CALL_CLOSE, RESPONSE_OPEN) if buf.startswith(t)), None):
            buf = buf[len(noise):].lstrip()
        self._buf = buf
        if not buf:
            return [], False
        if CALL_CLOSE.startswith(buf) or RESPONSE_OPEN.startswith(buf):
            if done:
                self._buf, self._eat = "", self._eat_content
            return [], False
        self._eat = self._eat_content
        return [], True

    def _emit(self, kind: str, held: int) -> list[Event]:
        """Send all but the last `held` characters of the buffer as `kind`."""
        text, self._buf = self._buf[:len(self._buf) - held], self._buf[len(self._buf) - held:]
        return [(kind, text)] if text else []


register("gemma4", lambda: Gemma4Parser(has_thinking_support=True))
register("gemma4-no-thinking", lambda: Gemma4Parser(has_thinking_support=False))
