"""`functiongemma`: FunctionGemma (Ollama's model/renderers/functiongemma.go).

Gemma's `<start_of_turn>` turns; tools are declared in a developer turn, strings wrapped in `<escape>`,
and tool results follow the calls inside the model turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.renderers import Think, register
from pollama.prompt.renderers.gemma4 import format_arg

__all__ = ["FunctionGemmaRenderer"]

E = "<escape>"
DEFAULT_SYSTEM = "You can do function calling with the following functions:"


def _arg(value: Any) -> str:
    return format_arg(value, quote=E, null="<nil>")


def _declaration(tool: Mapping[str, Any]) -> str:
    fn = tool.get("function") or {}
    params = fn.get("parameters") or {}
    props, kind = params.get("properties"), params.get("type") or ""
    out = (f"<start_function_declaration>declaration:{fn.get('name') or ''}"
           f"{{description:{E}{fn.get('description') or ''}{E}")
    if props is not None or kind:
        fields = []
        if props:
            fields.append("properties:{" + ",".join(_property(k, props[k]) for k in sorted(props)) + "}")
        if required := params.get("required"):
            fields.append("required:[" + ",".join(E + r + E for r in required) + "]")
        if kind:
            fields.append(f"type:{E}{kind.upper()}{E}")
        out += ",parameters:{" + ",".join(fields) + "}"
    return out + "}<end_function_declaration>"


def _property(name: str, prop: Mapping[str, Any]) -> str:
    t = prop.get("type")
    types = [t] if isinstance(t, str) else list(t or [])
    kind = f",type:{E}{types[0].upper()}{E}" if types else ""
    return f"{name}:{{description:{E}{prop.get('description') or ''}{E}{kind}}}"


def _tool_call(call: Mapping[str, Any]) -> str:
    fn = call.get("function") or {}
    args = fn.get("arguments") or {}
    body = ",".join(f"{k}:{_arg(args[k])}" for k in sorted(args))
    return f"<start_function_call>call:{fn.get('name') or ''}{{{body}}}<end_function_call>"


def _answered_call(loop: Sequence[Mapping[str, Any]], i: int) -> str:
    """The name of the call tool message `i` answers: the nearest earlier assistant turn with calls, by
    the count of tool messages between them ("" when there is none)."""
    for j in range(i - 1, -1, -1):
        calls = loop[j].get("tool_calls") or []
        if loop[j].get("role") == "assistant" and calls:
            k = sum(1 for m in loop[j + 1:i] if m.get("role") == "tool")
            return ((calls[k].get("function") or {}).get("name") or "") if k < len(calls) else ""
    return ""


class FunctionGemmaRenderer:
    leading_bos = "<bos>"

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        has_system = bool(messages) and messages[0].get("role") in ("system", "developer")
        system = (messages[0].get("content") or "") if has_system else ""
        loop = messages[1:] if has_system else messages
        out = ["<bos>"]
        if system or tools:
            out.append("<start_of_turn>developer\n" + system.strip())
            if tools:
                out.append("\n" if system else "")
                out.append("" if system.strip() == DEFAULT_SYSTEM else DEFAULT_SYSTEM)
            out.extend(_declaration(t) for t in tools or ())
            out.append("<end_of_turn>\n")
        previous = ""
        for i in range(len(loop)):
            previous = self._message(out, loop, i, previous)
        if previous != "tool_response":
            out.append("<start_of_turn>model\n")
        return "".join(out)

    @staticmethod
    def _message(out: list[str], loop: Sequence[Mapping[str, Any]], i: int, previous: str) -> str:
        """Append message `i`; what it leaves open: "tool_call" (results expected), "tool_response" or ""."""
        message = loop[i]
        role, content = message.get("role") or "", message.get("content") or ""
        if role == "tool":
            opener = "" if previous == "tool_call" else "<start_function_response>"
            name = _answered_call(loop, i)
            out.append(f"{opener}response:{name}{{{_arg(content)}}}<end_function_response>")
            return "tool_response"
        if not (role in ("assistant", "user") and previous == "tool_response"):
            out.append(f"<start_of_turn>{'model' if role == 'assistant' else role}\n")
        out.append(content.strip())
        calls = (message.get("tool_calls") or []) if role == "assistant" else []
        out.extend(_tool_call(c) for c in calls)
        if calls and i + 1 < len(loop) and loop[i + 1].get("role") == "tool":
            out.append("<start_function_response>")
            return "tool_call"
        out.append("<end_of_turn>\n")
        return ""


register("functiongemma", FunctionGemmaRenderer)
