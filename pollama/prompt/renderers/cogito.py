"""`cogito`: Deep Cogito (Ollama's model/renderers/cogito.go)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import arguments_value, marshal, tool_value
from pollama.prompt.renderers import Think, register

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
DEFAULT_SYSTEM = ("You are Cogito, an AI assistant created by Deep Cogito, which is an AI research lab based in "
                  "San Francisco.")
DEEP_THINKING = "Enable deep thinking subroutine.\n\n"


def indent_json(compact: str, indent: str) -> str:
    """Go's json.Indent of compact JSON (no prefix): one value per line, `": "` after keys, `{}`/`[]`
    kept on one line."""
    out: list[str] = []
    depth = 0
    in_str = esc = False
    for i, c in enumerate(compact):
        if in_str:
            out.append(c)
            esc, in_str = (False, True) if esc else (c == "\\", c != '"')
            continue
        if c == '"':
            in_str = True
            out.append(c)
        elif c in "{[":
            depth += 1
            out.append(c if compact[i + 1:i + 2] in "}]" else c + "\n" + indent * depth)
        elif c in "}]":
            depth -= 1
            out.append(c if compact[i - 1] in "{[" else "\n" + indent * depth + c)
        elif c == ",":
            out.append(",\n" + indent * depth)
        elif c == ":":
            out.append(": ")
        else:
            out.append(c)
    return "".join(out)


def _system_prompt(system: str, tools: Sequence[Mapping[str, Any]] | None, thinking: bool) -> str:
    if thinking:
        prompt = DEEP_THINKING + DEFAULT_SYSTEM + (f"\n\n{system}\n\n" if system else "")
    else:
        prompt = DEFAULT_SYSTEM + (f"\n\n{system}" if system else "")
    if tools:
        prompt += "\nYou have the following functions available:\n"
        prompt += "".join(f"```json\n{indent_json(marshal(tool_value(t)), '    ')}\n```\n" for t in tools)
    return prompt


def _tool_calls(content: str, calls: Sequence[Mapping[str, Any]]) -> str:
    rendered = "\n".join(
        f"<｜tool▁call▁begin｜>function<｜tool▁sep｜>{c['function'].get('name', '')}"
        f"\n```json\n{marshal(arguments_value(c['function'].get('arguments')))}\n```<｜tool▁call▁end｜>"
        for c in calls)
    return f"{content}<｜tool▁calls▁begin｜>{rendered}<｜tool▁calls▁end｜>{EOS}"


class CogitoRenderer:
    leading_bos = BOS

    def __init__(self, is_thinking: bool) -> None:
        self.is_thinking = is_thinking

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        thinking = self.is_thinking and bool(think)
        system = ""
        if messages and messages[0].get("role") == "system":
            system, messages = messages[0].get("content") or "", messages[1:]
        out = [BOS, _system_prompt(system, tools, thinking)]
        last_user = False
        for i, m in enumerate(messages):
            role, content = m.get("role"), m.get("content") or ""
            if role == "user":
                out.append(f"<｜User｜>{content}<｜Assistant｜>")
            elif role == "assistant":
                calls = m.get("tool_calls")
                out.append(_tool_calls(content, calls) if calls else content + EOS)
            elif role == "tool":
                if i == 0 or messages[i - 1].get("role") != "tool":
                    out.append("<｜tool▁outputs▁begin｜>")
                out.append(f"<｜tool▁output▁begin｜>{content}<｜tool▁output▁end｜>")
                more = i + 1 < len(messages) and messages[i + 1].get("role") == "tool"
                out.append("\n" if more else "<｜tool▁outputs▁end｜>")
            if role in ("user", "assistant", "tool"):
                last_user = role == "user"
        if not last_user:
            out.append("<｜Assistant｜>")
        if thinking:
            out.append("<think>\n")
        return "".join(out)


register("cogito", lambda: CogitoRenderer(is_thinking=True))
