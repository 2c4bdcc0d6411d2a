"""Tool-call parsing from streamed model output, with the call format derived from the model's template.

As Ollama does, the template's `{{ if .ToolCalls }}` block is rendered with a sample call; the text before
the JSON gives the tag the model writes first (`<tool_call>`, `[TOOL_CALLS]`, `<|python_tag|>`, or nothing
for bare JSON), the JSON gives the keys of the name and the arguments, the text after it the closing tag.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pollama.prompt.errors import TemplateError
from pollama.prompt.goast import FieldNode, IfNode, ListNode, Node, RangeNode, TextNode, walk
from pollama.prompt.gofmt import JSONList, JSONMap
from pollama.prompt.gotemplate import Template
from pollama.prompt.render import TemplateMessage, TemplateToolCall, TemplateToolCallFunction

__all__ = ["ToolCallFormat", "ToolCallParser", "tool_call_format", "KNOWN_TOOL_TAGS"]

_NAME = "@@name@@"
_ARG = "@@argument@@"
_WS = " \t\r\n"

# Tags recognised in templates whose tool format cannot be rendered (Jinja chat templates, for one).
KNOWN_TOOL_TAGS: tuple[tuple[str, str], ...] = (
    ("<tool_call>", "</tool_call>"), ("[TOOL_CALLS]", ""), ("<|python_tag|>", ""), ("<|tool_call|>", ""),
    ("<function_call>", "</function_call>"),
)


@dataclass(frozen=True)
class ToolCallFormat:
    """How a model writes tool calls: an opening tag ("" = bare JSON), a closing tag, and the JSON keys."""

    prefix: str = ""
    suffix: str = ""
    name_key: str = "name"
    args_key: str = "arguments"
    openers: str = "{"  # characters that may start a bare-JSON call


def _scan_json(s: str, start: int) -> int:
    """End (exclusive) of the bracketed JSON value starting at s[start], -1 if not complete yet."""
    stack: list[str] = []
    in_str = False
    esc = False
    for i in range(start, len(s)):
        c = s[i]
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
            continue
        if c == '"':
            in_str = True
        elif c in "{[":
            stack.append("}" if c == "{" else "]")
        elif c in "}]":
            if not stack or stack.pop() != c:
                return i + 1
            if not stack:
                return i + 1
    return -1


def _tag_at_end(text: str) -> str:
    text = text.strip(_WS)
    if not text:
        return ""
    if text[-1] in ">]":
        opener = text.rfind("<" if text[-1] == ">" else "[")
        if opener >= 0:
            return text[opener:]
    return text.split()[-1]


def _tag_at_start(text: str) -> str:
    text = text.strip(_WS)
    if not text:
        return ""
    if text[0] in "<[":
        closer = text.find(">" if text[0] == "<" else "]")
        if closer >= 0:
            return text[:closer + 1]
    return text.split()[0]


def _dicts(v: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(v, dict):
        out.append(v)
        for x in v.values():
            out.extend(_dicts(x))
    elif isinstance(v, list):
        for x in v:
            out.extend(_dicts(x))
    return out


def _format_from_rendered(rendered: str) -> ToolCallFormat | None:
    at = rendered.find(_NAME)
    if at < 0:
        return None
    for start, c in enumerate(rendered[:at]):
        if c not in "{[":
            continue
        end = _scan_json(rendered, start)
        if end <= at:
            continue
        try:
            value = json.loads(rendered[start:end])
        except ValueError:
            continue
        name_key, args_key = "name", "arguments"
        for d in _dicts(value):
            for k, v in d.items():
                if v == _NAME:
                    name_key = k
                elif isinstance(v, dict) and _ARG in v or isinstance(v, str) and _ARG in v:
                    args_key = k
        return ToolCallFormat(_tag_at_end(rendered[:start]), _tag_at_start(rendered[end:]), name_key, args_key,
                              "{[" if c == "[" else "{")
    return None


def _sample_data() -> dict[str, Any]:
    call = TemplateToolCall(ID="@@id@@", Function=TemplateToolCallFunction(
        Index=0, Name=_NAME, Arguments=JSONMap({_ARG: 1})))
    msg = TemplateMessage(Role="assistant", Content="", Thinking="", Images=None, ToolCalls=[call], ToolName="",
                          ToolCallID="")
    return {"Role": "assistant", "Content": "", "Thinking": "", "Images": None, "ToolCalls": [call],
            "ToolName": "", "ToolCallID": "", "Messages": [msg], "Tools": JSONList(), "System": "",
            "Response": "", "Think": False, "ThinkLevel": "", "IsThinkSet": False}


def _mentions_tool_calls(node: Node) -> bool:
    return any(isinstance(n, FieldNode) and "ToolCalls" in n.ident for n in walk(node))


def _go_format(tmpl: Template) -> ToolCallFormat | None:
    target: Node | None = None
    for node in walk(tmpl.root):
        if isinstance(node, IfNode) and any(isinstance(a, FieldNode) and "ToolCalls" in a.ident
                                            for c in node.pipe.cmds for a in c.args):
            target = node.list
            break
    if target is None:
        target = next((n for n in walk(tmpl.root) if isinstance(n, RangeNode) and _mentions_tool_calls(n.pipe)),
                      None)
    if target is None:
        return None
    try:
        rendered = tmpl.execute_node(target, _sample_data(), lenient=True)
    except TemplateError:
        rendered = ""
    fmt = _format_from_rendered(rendered)
    if fmt is not None:
        return fmt
    lead = ""
    if isinstance(target, ListNode):
        for n in target.nodes:
            if not isinstance(n, TextNode):
                break
            lead += n.text
    return ToolCallFormat(_tag_at_end(lead.split("{")[0]))


@functools.lru_cache(maxsize=64)
def tool_call_format(template: str) -> ToolCallFormat:
    """The tool-call format of a Go template (rendered with a sample call) or, failing that, of any
    template text that shows a known tag; bare JSON otherwise."""
    if template and "{%" not in template:
        try:
            fmt = _go_format(Template.parse(template))
        except TemplateError:
            fmt = None
        if fmt is not None:
            return fmt
    for prefix, suffix in KNOWN_TOOL_TAGS:
        if prefix in (template or ""):
            return ToolCallFormat(prefix, suffix)
    return ToolCallFormat()


_NAMED = re.compile(r"([A-Za-z_][\w.\-]*)(?:\[CALL_ID\]([^\[\]]*))?\[ARGS\]")
_NAMED_PARTIAL = re.compile(r"[A-Za-z_][\w.\-]*(\[[A-Z_]*\]?[^\[\]]*(\[[A-Z]*)?)?")


class ToolCallParser:
    """Separate tool calls from content in streamed output.

    add(chunk) -> (content to emit now, complete calls); finish() -> (held-back content, last calls).
    Calls come back as {"function": {"index", "name", "arguments": dict}} plus "id" when the model gave
    one. Text around calls streams as content; text that starts like a call but does not parse is
    returned as content (at the latest by finish()), never dropped.
    """

    def __init__(self, template: str, tools: Sequence[Mapping[str, Any]] | None) -> None:
        self.format = tool_call_format(template)
        self.names = [str((t.get("function") or {}).get("name") or "") for t in tools or []]
        self._buf = ""
        self._state = "text"
        self._raw = ""  # text of the call region so far, returned if it turns out malformed
        self._region_calls = 0
        self._index = 0

    # -- public
    def add(self, chunk: str) -> tuple[str, list[dict[str, Any]]]:
        self._buf += chunk
        return self._run(final=False)

    def finish(self) -> tuple[str, list[dict[str, Any]]]:
        content, calls = self._run(final=True)
        rest = ""
        if self._state == "call":
            rest = self._raw + self._buf
        elif self._state == "text" or self._buf.strip(_WS):
            rest = self._buf
        self._buf = self._raw = ""
        self._state = "text"
        return content + rest, calls

    # -- machinery
    def _call(self, d: Mapping[str, Any], name: str | None = None, call_id: str | None = None
              ) -> dict[str, Any] | None:
        """A call from a parsed object: {name_key, args_key} or, when `name` is given, `d` as the arguments."""
        fmt = self.format
        args: Any = d
        if name is None:
            name = d.get(fmt.name_key, d.get("name"))
            args = next((d[k] for k in (fmt.args_key, "arguments", "parameters") if k in d), None)
            call_id = d.get("id") if isinstance(d.get("id"), str) else None
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except ValueError:
                return None
        if not isinstance(name, str) or not name or not isinstance(args, dict):
            return None
        if not fmt.prefix and name not in self.names:
            return None
        call: dict[str, Any] = {"function": {"index": self._index, "name": name, "arguments": args}}
        if call_id:
            call["id"] = call_id
        self._index += 1
        return call

    def _extract(self, value: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []

        def visit(v: Any) -> None:
            if isinstance(v, dict):
                call = self._call(v)
                if call is not None:
                    out.append(call)
                    return
                for x in v.values():
                    visit(x)
            elif isinstance(v, list):
                for x in v:
                    visit(x)

        visit(value)
        return out

    def _run(self, final: bool) -> tuple[str, list[dict[str, Any]]]:
        content: list[str] = []
        calls: list[dict[str, Any]] = []
        prefix, suffix = self.format.prefix, self.format.suffix
        while True:
            buf = self._buf
            if self._state == "text":
                if prefix:
                    i = buf.find(prefix)
                    if i >= 0:
                        content.append(buf[:i])
                        self._raw, self._buf = prefix, buf[i + len(prefix):]
                        self._state, self._region_calls = "call", 0
                        continue
                    hold = 0 if final else next((n for n in range(min(len(prefix) - 1, len(buf)), 0, -1)
                                                 if buf.endswith(prefix[:n])), 0)
                    content.append(buf[:len(buf) - hold])
                    self._buf = buf[len(buf) - hold:]
                    break
                i = next((k for k, c in enumerate(buf) if c in self.format.openers), -1)
                if i < 0:
                    content.append(buf)
                    self._buf = ""
                    break
                content.append(buf[:i])
                self._raw, self._buf = "", buf[i:]
                self._state, self._region_calls = "call", 0
                continue
            if self._state == "call":
                stripped = buf.lstrip(_WS)
                self._raw += buf[:len(buf) - len(stripped)]
                buf = self._buf = stripped
                if not buf:
                    break
                if suffix and buf.startswith(suffix):
                    if self._region_calls:
                        self._raw, self._buf, self._state = "", buf[len(suffix):], "after"
                    else:
                        content.append(self._raw + suffix)
                        self._raw, self._buf, self._state = "", buf[len(suffix):], "text"
                    continue
                if prefix and buf.startswith(prefix):
                    self._raw += prefix
                    self._buf = buf[len(prefix):]
                    continue
                if buf[0] in "{[":
                    end = _scan_json(buf, 0)
                    if end < 0:
                        if not final:
                            break
                        return "".join(content), calls  # finish() returns the incomplete call as content
                    try:
                        found = self._extract(json.loads(buf[:end]))
                    except ValueError:
                        found = []
                    if found:
                        calls.extend(found)
                        self._region_calls += len(found)
                        self._raw, self._buf = "", buf[end:]
                        continue
                    content.append(self._raw + buf[:end])
                    self._raw, self._buf, self._state = "", buf[end:], "text"
                    continue
                if self._region_calls and buf[0] in ",;":
                    self._raw += buf[0]
                    self._buf = buf[1:]
                    continue
                named = _NAMED.match(buf)
                if named and prefix:
                    start = named.end()
                    if start < len(buf) and buf[start] == "{":
                        end = _scan_json(buf, start)
                        if end < 0 and not final:
                            break
                        call = None
                        if end > 0:
                            try:
                                args = json.loads(buf[start:end])
                            except ValueError:
                                args = None
                            if isinstance(args, dict):
                                call = self._call(args, name=named.group(1), call_id=named.group(2))
                        if call is not None:
                            calls.append(call)
                            self._region_calls += 1
                            self._raw, self._buf = "", buf[end:]
                            continue
                    elif start >= len(buf) and not final:
                        break
                if not final and (
                        (suffix and suffix.startswith(buf)) or (prefix and prefix.startswith(buf))
                        or (prefix and _NAMED_PARTIAL.fullmatch(buf) is not None)):
                    break  # could still become a closing tag, another call or a named call
                if self._region_calls:
                    self._state = "after"
                else:
                    content.append(self._raw)
                    self._raw, self._state = "", "text"
                continue
            # after calls: hold whitespace; more calls may follow, anything else is content
            stripped = buf.lstrip(_WS)
            if not stripped:
                break
            if prefix and stripped.startswith(prefix) or not prefix and stripped[0] in self.format.openers:
                self._buf, self._state, self._raw, self._region_calls = stripped, "text", "", 0
                continue
            if prefix and prefix.startswith(stripped) and not final:
                break
            self._state = "text"  # ordinary text again, whitespace included
        return "".join(content), calls
