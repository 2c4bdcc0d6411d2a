"""`cohere`: Cohere North / Command A 2026 output.

The generation prompt ends inside <|START_THINKING|> (reasoning on, the default) or after an empty
thinking block, so output opens with reasoning up to <|END_THINKING|>; then come <|START_TEXT|>content
<|END_TEXT|> or an <|START_ACTION|>[…]<|END_ACTION|> tool call array, and <|END_OF_TURN_TOKEN|>. The older
<|START_RESPONSE|>/<|END_RESPONSE|> markers count as text markers; bare text after thinking is content.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from enum import Enum, auto
from typing import Any

from pollama.prompt.parsers import Think, ToolCall, register
from pollama.prompt.parsers._text import overlap, trailing_whitespace_len
from pollama.prompt.parsers._values import loads_json

log = logging.getLogger(__name__)

END_THINKING = "<|END_THINKING|>"
TEXT_OPENERS = ("<|START_TEXT|>", "<|START_RESPONSE|>")
TEXT_CLOSERS = ("<|END_TEXT|>", "<|END_RESPONSE|>", "<|END_OF_TURN_TOKEN|>")
START_ACTION, END_ACTION = "<|START_ACTION|>", "<|END_ACTION|>"
END_OF_TURN = "<|END_OF_TURN_TOKEN|>"
BLOCK_TAGS = (*TEXT_OPENERS, START_ACTION, END_OF_TURN)


class _State(Enum):
    THINKING = auto()
    BETWEEN_BLOCKS = auto()
    CONTENT = auto()
    ACTION = auto()


def scan_json_objects(s: str) -> list[str]:
    """The balanced top-level {...} pieces of `s`; braces inside JSON strings do not count."""
    objects: list[str] = []
    depth, start = 0, -1
    in_string = escaped = False
    for i, c in enumerate(s):
        if escaped:
            escaped = False
        elif c == "\\" and in_string:
            escaped = True
        elif c == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif c == "{":
            start = i if depth == 0 else start
            depth += 1
        elif c == "}" and depth > 0:
            depth -= 1
            if depth == 0 and start >= 0:
                objects.append(s[start:i + 1])
                start = -1
    return objects


def _tool_call(action: Any) -> ToolCall:
    """One action object ({"tool_call_id", "tool_name", "parameters"}) as an API tool call."""
    if not isinstance(action, Mapping):
        raise ValueError("json: cannot unmarshal into a Cohere action")
    params = action.get("parameters")
    if params is not None and not isinstance(params, dict):
        raise ValueError("json: cannot unmarshal parameters")
    name, call_id = action.get("tool_name"), action.get("tool_call_id")
    if not isinstance(name or "", str) or not isinstance(call_id or "", str):
        raise ValueError("json: cannot unmarshal a non-string name or id")
    call: ToolCall = {"function": {"index": 0, "name": name or "", "arguments": params or {}}}
    if call_id:
        call["id"] = call_id
    return call


def parse_actions(payload: str) -> list[ToolCall]:
    """The calls of an action block's JSON array. Sampled output sometimes breaks the array (a missing
    comma, an unquoted value); then each balanced object is parsed on its own and bad ones are dropped."""
    payload = payload.strip()
    if not payload:
        return []
    try:
        parsed = loads_json(payload)
        if isinstance(parsed, list):
            return [_tool_call(a) for a in parsed]
    except ValueError:
        pass
    calls = []
    for obj in scan_json_objects(payload):
        try:
            calls.append(_tool_call(loads_json(obj)))
        except ValueError as e:
            log.warning("cohere action parsing failed: %s: %.200s", e, obj)
    return calls


class CohereParser:
    has_tool_support = True
    has_thinking_support = True

    def __init__(self) -> None:
        self._state = _State.THINKING
        self._buf = ""
        self._call_index = 0

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._buf, self._call_index = "", 0
        prefill = (last_message is not None and last_message.get("role") == "assistant"
                   and bool(last_message.get("content")))
        if prefill:
            self._state = _State.CONTENT
        else:
            self._state = _State.THINKING if think is None or bool(think) else _State.BETWEEN_BLOCKS
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        content: list[str] = []
        thinking: list[str] = []
        calls: list[ToolCall] = []
        step = {_State.THINKING: self._eat_thinking, _State.BETWEEN_BLOCKS: self._eat_between,
                _State.CONTENT: self._eat_content, _State.ACTION: self._eat_action}
        more = True
        while more and self._buf:
            c, t, tc, more = step[self._state](done)
            content.append(c)
            thinking.append(t)
            calls.extend(tc)
        for call in calls:
            call["function"]["index"] = self._call_index
            self._call_index += 1
        return "".join(content), "".join(thinking), calls

    def _eat_thinking(self, done: bool) -> tuple[str, str, list[ToolCall], bool]:
        before, found, after = self._buf.partition(END_THINKING)
        if found:
            self._buf, self._state = after, _State.BETWEEN_BLOCKS
            return "", before.rstrip(), [], True
        end = len(self._buf) - overlap(self._buf, END_THINKING)
        end -= trailing_whitespace_len(self._buf[:end])
        thinking, self._buf = self._buf[:end], self._buf[end:]
        return "", thinking, [], False

    def _eat_between(self, done: bool) -> tuple[str, str, list[ToolCall], bool]:
        for opener, state in ((TEXT_OPENERS[0], _State.CONTENT), (TEXT_OPENERS[1], _State.CONTENT),
                              (START_ACTION, _State.ACTION)):
            _, found, after = self._buf.partition(opener)
            if found:
                self._buf, self._state = after, state
                return "", "", [], True
        trimmed = self._buf.lstrip()
        if trimmed.startswith(END_OF_TURN):
            self._buf = trimmed[len(END_OF_TURN):]
            return "", "", [], True
        if not trimmed:
            self._buf = "" if done else self._buf
            return "", "", [], False
        if not done and any(len(trimmed) < len(tag) and tag.startswith(trimmed) for tag in BLOCK_TAGS):
            return "", "", [], False
        self._buf, self._state = trimmed, _State.CONTENT
        return "", "", [], True

    def _eat_content(self, done: bool) -> tuple[str, str, list[ToolCall], bool]:
        for closer in TEXT_CLOSERS:
            before, found, after = self._buf.partition(closer)
            if found:
                self._buf, self._state = after, _State.BETWEEN_BLOCKS
                return before, "", [], True
        keep = 0 if done else max(overlap(self._buf, closer) for closer in TEXT_CLOSERS)
        content, self._buf = self._buf[:len(self._buf) - keep], self._buf[len(self._buf) - keep:]
        return content, "", [], False

    def _eat_action(self, done: bool) -> tuple[str, str, list[ToolCall], bool]:
        payload, found, after = self._buf.partition(END_ACTION)
        if found:
            self._buf, self._state = after, _State.BETWEEN_BLOCKS
            return "", "", parse_actions(payload), True
        if done:
            self._buf = ""
            return "", "", parse_actions(payload), False
        return "", "", [], False


register("cohere", CohereParser)
