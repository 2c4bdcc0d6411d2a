"""`glm-4.7`: GLM-4.7 (Ollama's model/renderers/glm47.go).

Thinking is on unless the request turns it off: the prompt then ends with `<think>`, else `</think>`.
Earlier answers keep their reasoning in `<think>...</think>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import marshal, tool_value, with_spaces
from pollama.prompt.renderers import Think, register

__all__ = ["GLM47Renderer", "tools_section", "tool_arguments"]

_CALL_FORMAT = ("<tool_call>{function-name}<arg_key>{arg-key-1}</arg_key><arg_value>{arg-value-1}</arg_value>"
                "<arg_key>{arg-key-2}</arg_key><arg_value>{arg-value-2}</arg_value>...</tool_call>")


def tools_section(tools: Sequence[Mapping[str, Any]]) -> str:
    """The system block that declares the tools (shared by GLM-4.7 and GLM-OCR)."""
    declared = "".join(with_spaces(marshal(tool_value(t))) + "\n" for t in tools)
    return ("<|system|>\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            f"{declared}</tools>\n\n"
            "For each function call, output the function name and arguments within the following XML "
            "format:\n" + _CALL_FORMAT)


def tool_arguments(arguments: Mapping[str, Any] | None) -> str:
    """`<arg_key>k</arg_key><arg_value>v</arg_value>` per argument in the client's order; strings as they
    are, other values as JSON."""
    return "".join(f"<arg_key>{k}</arg_key><arg_value>{v if isinstance(v, str) else marshal(v)}</arg_value>"
                   for k, v in (arguments or {}).items())


class GLM47Renderer:
    leading_bos = ""

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        out = ["[gMASK]<sop>"]
        if tools:
            out.append(tools_section(tools))
        for i, m in enumerate(messages):
            role, content = m.get("role"), m.get("content") or ""
            if role == "user":
                out.append("<|user|>" + content)
            elif role == "assistant":
                thinking = m.get("thinking") or ""
                reasoning = f"<think>{thinking}</think>" if thinking else "</think>"
                out.append("<|assistant|>" + reasoning + content)
                out.extend(f"<tool_call>{(c.get('function') or {}).get('name') or ''}"
                           f"{tool_arguments((c.get('function') or {}).get('arguments'))}</tool_call>"
                           for c in m.get("tool_calls") or [])
            elif role == "tool":
                opener = "" if i > 0 and messages[i - 1].get("role") == "tool" else "<|observation|>"
                out.append(f"{opener}<tool_response>{content}</tool_response>")
            elif role == "system":
                out.append("<|system|>" + content)
        out.append("<|assistant|>" + ("</think>" if think is not None and not think else "<think>"))
        return "".join(out)


register("glm-4.7", GLM47Renderer)
