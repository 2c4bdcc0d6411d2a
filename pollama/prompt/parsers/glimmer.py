"""`glimmer`: Glimmer output, a sequence of messages after the prompt's `<|start|>assistant`.

Each message is ` to=<recipient><|message|>body` ended by <|eom|> or <|eot|> (or by the next
`<|start|>assistant…<|message|>` header); `self` is reasoning, `user` the answer, a declared tool an ATEM
call. An ATEM block for a declared tool sent to a fumbled recipient is still taken as that call.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from enum import Enum, auto
from typing import Any

from pollama.prompt.gofmt import quote
from pollama.prompt.parsers import ParseError, Think, ToolCall, register
from pollama.prompt.parsers._text import overlap
from pollama.prompt.parsers._values import parse_typed_value, property_types

log = logging.getLogger(__name__)

START, MESSAGE, EOM, EOT = "<|start|>", "<|message|>", "<|eom|>", "<|eot|>"
ASSISTANT_HEADER = START + "assistant"
CALLS_OPEN, CALLS_CLOSE = "<atem:function_calls>", "</atem:function_calls>"
INVOKE_OPEN, INVOKE_CLOSE = '<atem:invoke name="', "</atem:invoke>"
PARAM_OPEN, PARAM_CLOSE = '<atem:parameter name="', "</atem:parameter>"
Tools = Mapping[str, Mapping[str, Any]]


class _State(Enum):
    HEADER = auto()
    CONTENT = auto()
    THINKING = auto()
    TOOL = auto()


class _Header(Enum):
    INVALID = auto()
    PENDING = auto()
    VALID = auto()


def tools_by_name(tools: Sequence[Mapping[str, Any]] | None) -> dict[str, Mapping[str, Any]]:
    by_name = {}
    for tool in tools or ():
        name = ((tool.get("function") or {}).get("name") or "").strip()
        if name:
            by_name[name] = tool
    return by_name


def resolve_tool_name(tools: Tools, name: str) -> tuple[str, bool]:
    """The declared tool a recipient or invoke name means. Exact names win; `ns.fn` also means a
    declared `fn` whose own namespace (first dot-component) is `ns`, as the template advertises `ns.*`."""
    if name in tools:
        return name, True
    ns, dot, fn = name.partition(".")
    if dot and fn in tools and fn.partition(".")[0] == ns:
        return fn, True
    return name, False


def cut_invoke_name(s: str) -> tuple[str, str] | None:
    """(name, text after its `">`) of an invoke element; <|message|> tokens the model fumbled into the
    name are dropped, and one directly before the first parameter stands for the missing `">`."""
    parts: list[str] = []
    rest, fumbled = s, False
    while True:
        term, tag = rest.find('">'), rest.find(MESSAGE)
        if tag >= 0 and (term < 0 or tag < term):
            fumbled = True
            parts.append(rest[:tag])
            rest = rest[tag + len(MESSAGE):]
            if rest.startswith(PARAM_OPEN):
                break
            continue
        if term < 0:
            return None
        parts.append(rest[:term])
        rest = rest[term + 2:]
        break
    if fumbled:
        log.warning("glimmer parser recovered stray message boundary token in ATEM invoke name %r", "".join(parts))
    return "".join(parts), rest


def _invoke_name(body: str) -> str:
    """The invoke element's name in a body known to carry the ATEM wrapper ("" when malformed)."""
    inner = body[len(CALLS_OPEN):len(body) - len(CALLS_CLOSE)].strip()
    cut = cut_invoke_name(inner[len(INVOKE_OPEN):]) if inner.startswith(INVOKE_OPEN) else None
    return cut[0] if cut else ""


def parse_atem(body: str, tool: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """(invoke name, arguments typed by the tool's declared parameters) of one ATEM block."""
    body = body.strip()
    if not body.startswith(CALLS_OPEN) or not body.endswith(CALLS_CLOSE):
        raise ParseError("missing ATEM function_calls wrapper")
    invoke = body[len(CALLS_OPEN):len(body) - len(CALLS_CLOSE)].strip()
    if not invoke.startswith(INVOKE_OPEN) or not invoke.endswith(INVOKE_CLOSE):
        raise ParseError("missing ATEM invoke wrapper")
    cut = cut_invoke_name(invoke[len(INVOKE_OPEN):])
    if cut is None or len(cut[1]) < len(INVOKE_CLOSE):
        raise ParseError("malformed ATEM invoke name")
    name, rest = cut
    params = rest[:len(rest) - len(INVOKE_CLOSE)].removeprefix("\n").removesuffix("\n")
    args: dict[str, Any] = {}
    while params:
        if not params.startswith(PARAM_OPEN):
            raise ParseError("malformed ATEM parameter")
        param, found, params = params[len(PARAM_OPEN):].partition('">')
        if not found:
            raise ParseError("malformed ATEM parameter name")
        value, found, params = params.partition(PARAM_CLOSE)
        if not found:
            raise ParseError(f"unterminated ATEM parameter {quote(param)}")
        params = params.removeprefix("\n")
        args[param] = parse_typed_value(value, property_types(tool, param))
    return name, args


def _body_end(s: str) -> tuple[int, int]:
    """(index, length) of the first <|eom|> or <|eot|> in `s`; (-1, 0) without one."""
    found = [(i, len(m)) for m in (EOM, EOT) if (i := s.find(m)) >= 0]
    return min(found) if found else (-1, 0)


class GlimmerParser:
    has_tool_support = True
    has_thinking_support = True

    def __init__(self) -> None:
        self._state = _State.HEADER
        self._buf = ""
        self._recipient = ""
        self._tools: dict[str, Mapping[str, Any]] = {}
        self._call_index = 0
        self._emit_thinking = True
        # Whether any of the current message streamed as content: such a message never becomes a call.
        self._content_streamed = False

    def init(self, tools: Sequence[Mapping[str, Any]] | None, last_message: Mapping[str, Any] | None,
             think: Think) -> Sequence[Mapping[str, Any]] | None:
        self._state, self._buf, self._recipient = _State.HEADER, "", ""
        self._tools = tools_by_name(tools)
        self._call_index = 0
        self._emit_thinking = think is None or bool(think)
        self._content_streamed = False
        return tools

    def add(self, text: str, done: bool) -> tuple[str, str, list[ToolCall]]:
        self._buf += text
        content: list[str] = []
        thinking: list[str] = []
        calls: list[ToolCall] = []
        progress = True
        while progress:
            if self._state is _State.HEADER:
                progress, fallback = self._eat_header(done)
                content.append(fallback)
                continue
            progress, body, complete = self._eat_body(done)
            if self._state is _State.CONTENT:
                call = self._content_tool_call(body) if complete else None
                if call is not None:
                    calls.append(call)
                elif body:
                    content.append(body)
                    self._content_streamed = True
            elif self._state is _State.THINKING:
                thinking.append(body if self._emit_thinking else "")
            elif complete:
                calls.append(self._tool_call(body))
            if complete:
                self._state, self._recipient, self._content_streamed = _State.HEADER, "", False
        return "".join(content), "".join(thinking), calls

    def _new_call(self, name: str, args: dict[str, Any]) -> ToolCall:
        call = {"function": {"index": self._call_index, "name": name, "arguments": args}}
        self._call_index += 1
        return call

    def _eat_header(self, done: bool) -> tuple[bool, str]:
        """Read ` to=<recipient><|message|>` (after an optional `<|start|>assistant`); without a header at
        the end of output, the text is content."""
        if self._buf.startswith(ASSISTANT_HEADER):
            self._buf = self._buf[len(ASSISTANT_HEADER):]
        elif ASSISTANT_HEADER.startswith(self._buf) and self._buf.startswith("<") and not done:
            return False, ""
        header, found, body = self._buf.partition(MESSAGE)
        if not found:
            if not done:
                return False, ""
            self._buf = ""
            return header != "", header
        self._buf = body
        self._recipient = header.strip().removeprefix("to=").strip()
        if self._recipient == "self":
            self._state = _State.THINKING
        elif resolve_tool_name(self._tools, self._recipient)[1]:
            self._state = _State.TOOL
        else:
            self._state = _State.CONTENT
        return True, ""

    def _holds_content(self, acc: str) -> bool:
        """Whether content so far may be a call sent to a fumbled recipient: it opens with the ATEM
        wrapper. Such content waits for the end of its message."""
        if self._state is not _State.CONTENT or self._content_streamed or not self._tools:
            return False
        trimmed = acc.lstrip(" \t\r\n")
        return CALLS_OPEN.startswith(trimmed) or trimmed.startswith(CALLS_OPEN)

    def _eat_body(self, done: bool) -> tuple[bool, str, bool]:
        """(progress, body text, whether the message is complete). Inside a held ATEM block, markers
        count only after its closing tag, so parameter values may contain them."""
        acc = self._buf
        hold = self._state is _State.TOOL or self._holds_content(acc)
        control_start = 0
        if hold:
            close = acc.find(CALLS_CLOSE)
            control_start = close + len(CALLS_CLOSE) if close >= 0 else len(acc)
        end, marker_len = _body_end(acc[control_start:])
        end = end + control_start if end >= 0 else end
        implicit, wait = self._implicit_header(acc, control_start, done)
        if implicit >= 0 and not wait and (end < 0 or implicit < end):
            self._buf = acc[implicit:]
            return True, acc[:implicit], True
        if end >= 0:
            self._buf = acc[end + marker_len:]
            return True, acc[:end], True
        if done:
            self._buf = ""
            return acc != "" or self._state is _State.TOOL, acc, True
        if hold:
            return False, "", False
        if wait:
            self._buf = acc[implicit:]
            return acc[:implicit] != "", acc[:implicit], False
        keep = max(overlap(acc, EOM), overlap(acc, EOT))
        if keep == len(acc):
            return False, "", False
        self._buf = acc[len(acc) - keep:]
        return True, acc[:len(acc) - keep], False

    def _implicit_header(self, s: str, search: int, done: bool) -> tuple[int, bool]:
        """Where a next `<|start|>assistant…<|message|>` header begins in `s` (from `search`), and
        whether it is still only possibly one; (-1, False) for none."""
        while (i := s.find(START, search)) >= 0:
            status = self._header_status(s[i:], done)
            if status is not _Header.INVALID:
                return i, status is _Header.PENDING
            search = i + len(START)
        keep = 0 if done else overlap(s[search:], ASSISTANT_HEADER)
        return (len(s) - keep, True) if keep else (-1, False)

    def _header_status(self, s: str, done: bool) -> _Header:
        def pending_if(prefix_ok: bool) -> _Header:
            return _Header.PENDING if not done and prefix_ok else _Header.INVALID

        if len(s) < len(ASSISTANT_HEADER):
            return pending_if(ASSISTANT_HEADER.startswith(s))
        if not s.startswith(ASSISTANT_HEADER):
            return _Header.INVALID
        rest = s[len(ASSISTANT_HEADER):]
        if rest.startswith(MESSAGE):
            return _Header.VALID
        if not rest or MESSAGE.startswith(rest):
            return pending_if(True)
        if len(rest) < len(" to="):
            return pending_if(" to=".startswith(rest))
        if not rest.startswith(" to="):
            return _Header.INVALID
        recipient, found, _ = rest[len(" to="):].partition(MESSAGE)
        if found:
            return _Header.VALID if recipient in ("self", "user") or recipient in self._tools else _Header.INVALID
        if done or any(c in recipient for c in " \t\r\n"):
            return _Header.INVALID
        lt = recipient.find("<")
        return pending_if(lt < 0 or MESSAGE.startswith(recipient[lt:]))

    def _content_tool_call(self, body: str) -> ToolCall | None:
        """A complete content message that is only a well-formed ATEM block invoking a declared tool
        (the recipient header was fumbled): the call the invoke element names."""
        if self._content_streamed or not self._tools:
            return None
        trimmed = body.strip()
        if not trimmed.startswith(CALLS_OPEN) or not trimmed.endswith(CALLS_CLOSE):
            return None
        name, ok = resolve_tool_name(self._tools, _invoke_name(trimmed))
        if not ok:
            return None
        try:
            _, args = parse_atem(trimmed, self._tools[name])
        except ParseError:
            return None
        return self._new_call(name, args)

    def _tool_call(self, body: str) -> ToolCall:
        if not self._recipient:
            raise ParseError("empty Glimmer function name")
        recipient, ok = resolve_tool_name(self._tools, self._recipient)
        if not ok:
            raise ParseError(f"undeclared Glimmer function {quote(self._recipient)}")
        try:
            name, args = parse_atem(body, self._tools[recipient])
        except ParseError as e:
            raise ParseError(f"parse Glimmer call to {self._recipient}: {e}") from None
        if resolve_tool_name(self._tools, name) != (recipient, True):
            raise ParseError(f"Glimmer recipient {quote(self._recipient)} does not match ATEM invoke {quote(name)}")
        return self._new_call(recipient, args)


register("glimmer", GlimmerParser)
