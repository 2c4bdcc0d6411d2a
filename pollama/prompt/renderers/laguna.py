"""`laguna` and `poolside-v1`: Poolside's Laguna chat formats (v2 template, and v8 for poolside-v1).

A <system> header carries the system message (a Poolside default unless the first message replaces it;
an empty one drops the header) and the tool signatures; turns are <user>, <assistant>, <tool_response>
and <system> blocks; tool calls are `<tool_call>name<arg_key>k</arg_key><arg_value>v</arg_value>…`. The
generation prompt primes the reasoning mode with <think> (thinking on) or </think> (off, the default).
v2 puts newlines around every block and continues a trailing assistant message in place; v8 is compact
and always closes it before opening a fresh assistant turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import marshal, tool_value, with_spaces
from pollama.prompt.renderers import Message, Think, Tool, register

BOS = "〈|EOS|〉"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
DEFAULT_SYSTEM = ("You are a helpful, conversationally-fluent assistant made by Poolside. You are here to be "
                  "helpful to users through natural language conversations.")
TOOLS_INTRO = ("### Tools\n\nYou may call functions to assist with the user query.\n"
               "All available function signatures are listed below:\n<available_tools>\n")
CALL_FORMAT = ("For each function call, return an unescaped XML-like object with function name and arguments "
               "within '<tool_call>' and '</tool_call>' tags, like here:\n")
THINK_THEN_CALL = ("Wrap your thinking in '<think>', '</think>' tags, followed by a function call. " + CALL_FORMAT
                   + "<think> your thoughts here </think>\n")
CALL_EXAMPLE = "<tool_call>function-name\n<arg_key>argument-key</arg_key>\n<arg_value>value-of-argument-key</arg_value>\n</tool_call>"


def _tool_signatures(tools: Sequence[Tool]) -> str:
    return "".join(with_spaces(marshal(tool_value(t))) + "\n" for t in tools)


def _argument(value: Any) -> str:
    return value if isinstance(value, str) else with_spaces(marshal(value))


def _tool_call(call: Mapping[str, Any], sep: str) -> str:
    """<tool_call>name, then each argument, then </tool_call>; `sep` follows the name and each tag pair."""
    fn = call.get("function") or {}
    args = "".join(f"<arg_key>{k}</arg_key>{sep}<arg_value>{_argument(v)}</arg_value>{sep}"
                   for k, v in (fn.get("arguments") or {}).items())
    return f"<tool_call>{fn.get('name') or ''}{sep}{args}</tool_call>"


def _system(messages: Sequence[Message]) -> tuple[str, bool]:
    """The header's system text and whether the first message supplied it."""
    if messages and messages[0].get("role") == "system":
        return messages[0].get("content") or "", True
    return DEFAULT_SYSTEM, False


def split_reasoning(content: str, reasoning: str) -> tuple[str, str]:
    """An assistant message's (content, reasoning) with inline <think>…</think> taken out of the content;
    the message's own reasoning wins over the inline block."""
    parts = content.split(THINK_CLOSE)
    if len(parts) == 1:
        return content, reasoning
    if not reasoning:
        before = parts[0].rstrip("\n")
        if THINK_OPEN in before:
            before = before[before.rindex(THINK_OPEN) + len(THINK_OPEN):]
        reasoning = before.lstrip("\n")
    return parts[-1].lstrip("\n"), reasoning


class LagunaRenderer:
    """The v2 template (`laguna`)."""

    leading_bos = BOS

    def render(self, messages: Sequence[Message], tools: Sequence[Tool] | None, think: Think) -> str:
        thinking = bool(think)
        system, first_is_system = _system(messages)
        out = [BOS]
        if system.strip() or tools:
            out.append("<system>\n" + ("\n" + system.rstrip() if system.strip() else ""))
            if tools:
                out.append("\n\n" + TOOLS_INTRO + _tool_signatures(tools) + "</available_tools>\n\n"
                           + (THINK_THEN_CALL if thinking else CALL_FORMAT) + CALL_EXAMPLE)
            out.append("\n</system>\n")
        for i, message in enumerate(messages):
            if i == 0 and first_is_system:
                continue
            role, content = message.get("role"), message.get("content") or ""
            if role == "assistant":
                out.append(self._assistant(message, last=i == len(messages) - 1))
            elif role in ("user", "system"):
                out.append(f"<{role}>\n{content}\n</{role}>\n")
            elif role == "tool":
                out.append(f"<tool_response>\n{content}\n</tool_response>\n")
        if not messages or messages[-1].get("role") != "assistant":
            out.append("<assistant>\n" + (THINK_OPEN if thinking else THINK_CLOSE))
        return "".join(out)

    @staticmethod
    def _assistant(message: Message, last: bool) -> str:
        content, reasoning = split_reasoning(message.get("content") or "", message.get("thinking") or "")
        calls = message.get("tool_calls") or []
        reasoning, content = reasoning.strip(), content.strip()
        out = "<assistant>\n" + (f"<think>\n{reasoning}\n</think>\n" if reasoning else "</think>\n")
        out += content + "\n" if content else ""
        out += "".join(_tool_call(c, "\n") + "\n" for c in calls)
        prefill = last and bool(content or reasoning or calls)
        return out if prefill else out + "</assistant>\n"


class LagunaV8Renderer:
    """The v8 template (`poolside-v1`)."""

    leading_bos = BOS

    def render(self, messages: Sequence[Message], tools: Sequence[Tool] | None, think: Think) -> str:
        thinking = bool(think)
        system, first_is_system = _system(messages)
        has_system = bool(system.strip())
        out = [BOS]
        if has_system or tools or thinking:
            out.append("<system>" + (system.rstrip() if has_system else ""))
            if tools:
                out.append(("\n\n" if has_system else "") + TOOLS_INTRO + _tool_signatures(tools)
                           + "</available_tools>")
            out.append("</system>\n")
        for i, message in enumerate(messages):
            if i == 0 and first_is_system:
                continue
            role, content = message.get("role"), message.get("content") or ""
            if role == "assistant":
                reasoning = THINK_OPEN + (message.get("thinking") or "") if thinking else ""
                calls = "".join(_tool_call(c, "") for c in message.get("tool_calls") or [])
                out.append("<assistant>" + reasoning + THINK_CLOSE + content + calls + "</assistant>\n")
            elif role in ("user", "system"):
                out.append(f"<{role}>{content}</{role}>\n")
            elif role == "tool":
                out.append(f"<tool_response>{content}</tool_response>\n")
        out.append("<assistant>" + (THINK_OPEN if thinking else THINK_CLOSE))
        return "".join(out)


register("laguna", LagunaRenderer)
register("poolside-v1", LagunaV8Renderer)
