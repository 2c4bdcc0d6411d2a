"""`laguna` and `poolside-v1`: Poolside Laguna output.

With thinking on (off by default) the prompt primes <think>, so output opens with reasoning up to
</think>; with it off an emitted <think> block is dropped. Tool calls are `<tool_call>name` followed by
<arg_key>/<arg_value> pairs or a JSON object, or a whole `{"name", "arguments"}` JSON call; the model
also writes calls as `<user>name…</user>` and as bare JSON in content, which count when they name a
declared tool. `poolside-v1` never continues an assistant prefill (its renderer closes the turn).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import Enum, auto
from typing import Any

from pollama.prompt.parsers import ParseError, Think, ToolCall, register
from pollama.prompt.parsers._text import overlap, trailing_whitespace_len
from pollama.prompt.parsers._values import loads_json, parse_value, property_types

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
USER_OPEN, USER_CLOSE = "<user>", "</user>"
_ARG = re.compile(r"<arg_key>(.*?)</arg_key>\s*<arg_value>(.*?)</arg_value>", re.S)
ALIASES = {"read_file": "read", "write_file": "write", "edit_file": "edit", "web_fetch": "webfetch"}
Tools = Sequence[Mapping[str, Any]]


class _State(Enum):
    THINKING = auto()
    CONTENT = auto()
    TOOL = auto()


def _names(tools: Tools) -> list[str]:
    return [(t.get("function") or {}).get("name") or "" for t in tools]


def resolve_tool_name(name: str, tools: Tools) -> tuple[str, bool]:
    """The declared tool `name` means (directly or through a common alias), and whether there is one."""
    names = _names(tools)
    if name in names:
        return name, True
    alias = ALIASES.get(name)
    return (alias, True) if alias in names else (name, False)


def clean_call_text(raw: str) -> str:
    """A call's text without wrapper tags; of a call repeated inside itself, the first."""
    raw = raw.strip()
    while raw.startswith(CALL_OPEN):
        raw = raw[len(CALL_OPEN):].strip()
    raw = raw.partition(CALL_CLOSE)[0].strip()
    before, found, after = raw.partition(CALL_OPEN)
    if found:
        return before.strip() or after.strip()
    return raw


def call_name(raw: str) -> str:
    """The tool name a call's text starts with ("" when there is none)."""
    raw = clean_call_text(raw)
    if raw.startswith("{"):
        try:
            parsed = loads_json(raw)
        except ValueError:
            return ""
        name = parsed.get("name") if isinstance(parsed, dict) else None
        return name.strip() if isinstance(name, str) else ""
    end = next((i for i in (raw.find("<arg_key>"), raw.find("{")) if i >= 0), -1)
    if end < 0:
        end = min((i for i in (raw.find("\r"), raw.find("\n")) if i >= 0), default=len(raw))
    return raw[:end].strip()


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = loads_json(text)
    except ValueError as e:
        raise ParseError(f"failed to parse Laguna {what}: {e}") from None
    if not isinstance(value, dict):
        raise ParseError(f"failed to parse Laguna {what}: not an object")
    return value


def parse_call(raw: str, tools: Tools) -> ToolCall:
    """One call from its text: a JSON call, a name and a JSON object, or a name and arg_key/arg_value
    pairs typed by the tool's declared parameters."""
    raw = clean_call_text(raw)
    if raw.startswith("{"):
        parsed = _json_object(raw, "JSON tool call")
        name, args = parsed.get("name"), parsed.get("arguments")
        if not name or not isinstance(name, str):
            raise ParseError("empty Laguna tool call name")
        if args is not None and not isinstance(args, dict):
            raise ParseError("failed to parse Laguna JSON tool call: arguments are not an object")
        return {"function": {"index": 0, "name": resolve_tool_name(name, tools)[0], "arguments": args or {}}}
    split = raw.find("<arg_key>")
    if split < 0:
        split = raw.find("{")
    name, args_text = (raw[:split], raw[split:]) if split >= 0 else (raw, "")
    name = resolve_tool_name(name.strip(), tools)[0]
    if args_text.strip().startswith("{"):
        args = _json_object(args_text.strip(), "JSON tool call arguments")
    else:
        tool = next((t for t in tools if (t.get("function") or {}).get("name") == name), None)
        args = {m[1].strip(): parse_value(m[2], property_types(tool, m[1].strip())) for m in _ARG.finditer(args_text)}
    return {"function": {"index": 0, "name": name, "arguments": args}}


def _looks_like_json_call(raw: str, done: bool) -> bool:
    trimmed = raw.lstrip()
    if not trimmed.startswith("{"):
        return False
    if '"name"' in trimmed or '"arguments"' in trimmed:
        return True
    # A lone "{" may still become a call (Ollama streams it as content).
    return not done and (trimmed.rstrip() == "{" or trimmed.startswith(('{"', "{\n", "{\r\n")))


def _is_json(text: str) -> bool:
    try:
        loads_json(text)
    except ValueError:
        return False
    return True


class LagunaParser:
    has_tool_support = True
    has_thinking_support = True
    continues_prefill = True

    def __init__(self) -> None:
        self._state = _State.CONTENT
        self._buf = ""
        self._tools: Tools = ()
        self._call_index = 0
        self._thinking = False
        self._leading_think_open = False
        self._at_content_start = True

    def init(self, tools: Tools | None, last_message: Mapping[str, Any] | None, think: Think) -> Tools | None:
        self._tools, self._call_index, self._buf = tools or (), 0, ""
        self._thinking = bool(think)
        self._at_content_start = True
        # A trailing assistant message is continued after its closed </think>: content, not reasoning.
        prefill = self.continues_prefill and last_message is not None and last_message.get("role") == "assistant"
        self._leading_think_open = self._thinking and not prefill
        self._state = _State.THINKING if self._leading_think_open else _State.CONTENT
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        content: list[str] = []
        thinking: list[str] = []
        calls: list[ToolCall] = []
        progress = True
        while progress:
            if self._state is _State.THINKING:
                progress, reasoning = self._eat_thinking(done)
                thinking.append(reasoning if self._thinking else "")
            elif self._state is _State.CONTENT:
                progress, text, found = self._eat_content(done)
                content.append(text)
                calls.extend(found)
            else:
                progress, found = self._eat_tool(done)
                calls.extend(found)
        return "".join(content), "".join(thinking), calls

    def _numbered(self, call: ToolCall) -> ToolCall:
        call["function"]["index"] = self._call_index
        self._call_index += 1
        return call

    def _emit_all_but(self, tags: Sequence[str]) -> tuple[bool, str]:
        """Everything but a tag that may be arriving and the space before it, or trailing space. (Ollama
        holds back either the partial tag or the space, so space before a split tag leaked out.)"""
        partial = max(overlap(self._buf, tag) for tag in tags)
        keep = partial + trailing_whitespace_len(self._buf[:len(self._buf) - partial])
        if keep >= len(self._buf):
            return False, ""
        emit, self._buf = self._buf[:len(self._buf) - keep], self._buf[len(self._buf) - keep:]
        return emit != "", emit

    def _eat_thinking(self, done: bool) -> tuple[bool, str]:
        if self._leading_think_open:
            trimmed = self._buf.lstrip()
            if trimmed.startswith(THINK_OPEN):  # the model echoed the primed <think>
                self._buf, self._leading_think_open = trimmed[len(THINK_OPEN):].lstrip(), False
                return True, ""
            self._buf = trimmed
            if THINK_OPEN.startswith(trimmed) and not done:
                return False, ""
            self._leading_think_open = False
        acc = self._buf
        for tag, state in ((THINK_CLOSE, _State.CONTENT), (CALL_OPEN, _State.TOOL)):
            before, found, after = acc.partition(tag)
            if found:
                self._buf, self._state = after, state
                # Ollama trims the space after </think> only when it arrives in the same chunk.
                self._at_content_start = self._at_content_start or state is _State.CONTENT
                return True, before.rstrip()
        if done:
            self._buf, self._state = "", _State.CONTENT
            return acc.rstrip() != "", acc.rstrip()
        # Ollama emits nothing while nothing is held back; here such thinking streams at once.
        return self._emit_all_but((THINK_CLOSE, CALL_OPEN))

    def _eat_content(self, done: bool) -> tuple[bool, str, list[ToolCall]]:
        if self._at_content_start:
            # The trained format puts a newline after the primed or closed </think>.
            self._buf = self._buf.lstrip()
            if not self._buf:
                return False, "", []
            self._at_content_start = False
        acc = self._buf
        before, found, after = acc.partition(THINK_OPEN)
        if found:
            self._buf, self._state, self._leading_think_open = after.lstrip(), _State.THINKING, False
            return True, before, []
        trimmed = acc.lstrip()
        if trimmed.startswith(THINK_CLOSE):
            self._buf, self._at_content_start = trimmed[len(THINK_CLOSE):], True
            return True, "", []
        if THINK_CLOSE.startswith(trimmed) and not done:
            return False, "", []
        before, found, after = acc.partition(CALL_OPEN)
        if found:
            self._buf, self._state = after, _State.TOOL
            return True, before.rstrip(), []
        if self._tools:
            handled = self._user_tagged_call(done) or self._standalone_json_call(done)
            if handled:
                return handled
        if done:
            self._buf = ""
            return acc.rstrip() != "", acc.rstrip(), []
        tags = (CALL_OPEN, USER_OPEN, THINK_OPEN) + (() if self._thinking else (THINK_CLOSE,))
        return *self._emit_all_but(tags), []

    def _user_tagged_call(self, done: bool) -> tuple[bool, str, list[ToolCall]] | None:
        """A call the model wrote as `<user>name…</user>`; None when the buffer holds none."""
        acc = self._buf
        idx = acc.find(USER_OPEN)
        if idx < 0:
            return None
        before, inner = acc[:idx].rstrip(), acc[idx + len(USER_OPEN):]
        raw, closed, after = inner.partition(USER_CLOSE)
        if closed:
            call = self._alias_call(raw)
            if call is None:
                return None
            self._buf = after.lstrip()
            return True, before, [call]
        if done:
            return None
        self._buf = acc[idx:]
        return idx > 0, before if idx > 0 else "", []

    def _alias_call(self, raw: str) -> ToolCall | None:
        raw = clean_call_text(raw)
        name = call_name(raw)
        if not name or not resolve_tool_name(name, self._tools)[1]:
            return None
        try:
            return self._numbered(parse_call(raw, self._tools))
        except ParseError:
            return None

    def _standalone_json_call(self, done: bool) -> tuple[bool, str, list[ToolCall]] | None:
        """A `{"name": …, "arguments": …}` call in content; None when the buffer holds none."""
        acc = self._buf
        idx = acc.find("{")
        if idx < 0:
            return None
        before, raw = acc[:idx].rstrip(), acc[idx:].lstrip()
        if not _looks_like_json_call(raw, done):
            return None
        if not done and not _is_json(raw.strip()):
            # Ollama also returns an empty tool call here when text precedes the JSON; none is made here.
            self._buf = acc[idx:] if before else acc
            return bool(before), before, []
        call = self._numbered(parse_call(raw, self._tools))
        self._buf = ""
        return True, before, [call]

    def _eat_tool(self, done: bool) -> tuple[bool, list[ToolCall]]:
        raw, found, after = self._buf.partition(CALL_CLOSE)
        if not found and not (done and raw.strip()):
            return False, []
        self._buf, self._state = after.lstrip(), _State.CONTENT
        return True, [self._numbered(parse_call(raw, self._tools))]


class LagunaV8Parser(LagunaParser):
    """poolside-v1: the renderer closes any assistant history and opens a fresh turn."""

    continues_prefill = False


register("laguna", LagunaParser)
register("poolside-v1", LagunaV8Parser)
