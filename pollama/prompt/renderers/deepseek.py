"""`deepseek3.1`: DeepSeek V3.1 (Ollama's model/renderers/deepseek3.go)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import arguments_value, marshal, tool_value
from pollama.prompt.parsers.deepseek import (  # the tool-call tokens, one list for both directions
    CALL_BEGIN,
    CALL_END,
    CALLS_BEGIN,
    CALLS_END,
    OUTPUT_BEGIN,
    OUTPUT_END,
    SEP,
)
from pollama.prompt.renderers import Think, register

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"

TOOLS_HEADER = "\n\n## Tools\nYou have access to the following tools:\n"
TOOLS_FOOTER = (
    "\nIMPORTANT: ALWAYS adhere to this exact format for tool use:\n"
    f"{CALLS_BEGIN}{CALL_BEGIN}tool_call_name{SEP}tool_call_arguments{CALL_END}{{{{additional_tool_calls}}}}"
    f"{CALLS_END}\n\n"
    "Where:\n\n"
    "- `tool_call_name` must be an exact match to one of the available tools\n"
    "- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters Schema\n"
    "- For multiple tool calls, chain them directly without separators or spaces\n"
)


def _tools_section(tools: Sequence[Mapping[str, Any]]) -> str:
    parts = [TOOLS_HEADER]
    for tool in tools:
        fn = tool.get("function") or {}
        parameters = tool_value(tool)["function"]["parameters"]
        parts.append(f"\n### {fn.get('name') or ''}\nDescription: {fn.get('description') or ''}"
                     f"\n\nParameters: {marshal(parameters)}\n")
    parts.append(TOOLS_FOOTER)
    return "".join(parts)


def _tool_calls(calls: Sequence[Mapping[str, Any]]) -> str:
    body = "".join(
        f"{CALL_BEGIN}{c['function'].get('name', '')}{SEP}{marshal(arguments_value(c['function'].get('arguments')))}"
        f"{CALL_END}" for c in calls)
    return f"{CALLS_BEGIN}{body}{CALLS_END}{EOS}"


def _after_think(content: str) -> str:
    """An earlier answer loses everything up to its first </think>."""
    _, closed, after = content.partition("</think>")
    return after if closed else content


class DeepSeek3Renderer:
    leading_bos = BOS

    def __init__(self, is_thinking: bool) -> None:
        self.is_thinking = is_thinking

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        thinking = self.is_thinking and bool(think)
        system = "\n\n".join(m.get("content") or "" for m in messages if m.get("role") == "system")
        out = [BOS, system]
        if tools:
            out.append(_tools_section(tools))
        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        after_user = after_tool = False
        for i, m in enumerate(messages):
            role, content = m.get("role"), m.get("content") or ""
            if role == "user":
                out.append(USER + content)
                after_user, after_tool = True, False
            elif role == "tool":
                out.append(OUTPUT_BEGIN + content + OUTPUT_END)
                after_user, after_tool = False, True
            elif role == "assistant" and m.get("tool_calls"):
                if after_user:
                    out.append(ASSISTANT + "</think>")
                out.append(content + _tool_calls(m["tool_calls"]))
                after_user = after_tool = False
            elif role == "assistant":
                if after_user:
                    opens = thinking and bool(m.get("thinking")) and i > last_user
                    out.append(ASSISTANT + ("<think>" if opens else "</think>"))
                if not after_tool:
                    content = _after_think(content)
                out.append(content + EOS)
                after_user = after_tool = False
        if after_user:
            out.append(ASSISTANT + ("<think>" if thinking else "</think>"))
        return "".join(out)


register("deepseek3.1", lambda: DeepSeek3Renderer(is_thinking=True))
