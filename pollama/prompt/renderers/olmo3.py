"""`olmo3`, `olmo3.1`: Olmo 3 instruct (Ollama's model/renderers/olmo3.go).

Tools are listed as JSON inside `<functions></functions>`; earlier calls are written
`<function_calls>name(key="value", ...)</function_calls>` with the argument keys sorted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import marshal, tool_value, with_spaces
from pollama.prompt.renderers import Think, register

OLMO3_SYSTEM = "You are a helpful function-calling AI assistant. "
OLMO31_SYSTEM = ("You are Olmo, a helpful AI assistant built by Ai2. Your date cutoff is December 2024, and your "
                 "model weights are available at https://huggingface.co/allenai. ")
NO_FUNCTIONS = "You do not currently have access to any functions. "
WITH_FUNCTIONS = ("You are provided with function signatures within <functions></functions> XML tags. You may "
                  "call one or more functions to assist with the user query. Output any function calls within "
                  "<function_calls></function_calls> XML tags. Do not make assumptions about what values to "
                  "plug into functions.")


def split_system(messages: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]]]:
    """(the first system message, every message that is not a system message)."""
    system = next((m for m in messages if m.get("role") == "system"), None)
    return system, [m for m in messages if m.get("role") != "system"]


def _function_call(call: Mapping[str, Any]) -> str:
    fn = call.get("function") or {}
    args = fn.get("arguments") or {}
    return f"{fn.get('name') or ''}({', '.join(f'{k}={marshal(args[k])}' for k in sorted(args))})"


class Olmo3Renderer:
    leading_bos = ""

    def __init__(self, use_extended_system_message: bool) -> None:
        self.default_system = OLMO31_SYSTEM if use_extended_system_message else OLMO3_SYSTEM

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        system, messages = split_system(messages)
        out = ["<|im_start|>system\n", self._system(system, tools), "<|im_end|>\n"]
        for i, m in enumerate(messages):
            out.append(self._message(m, last=i == len(messages) - 1))
        last = messages[-1] if messages else {}
        if not (last.get("role") == "assistant" and not last.get("tool_calls") and last.get("content")):
            out.append("<|im_start|>assistant\n")
        return "".join(out)

    def _system(self, system: Mapping[str, Any] | None, tools: Sequence[Mapping[str, Any]] | None) -> str:
        functions = f"<functions>{with_spaces(marshal([tool_value(t) for t in tools]))}</functions>" if tools else ""
        if system is not None:
            return (system.get("content") or "") + functions
        if tools:
            return self.default_system + WITH_FUNCTIONS + functions
        return self.default_system + NO_FUNCTIONS + "<functions></functions>"

    @staticmethod
    def _message(m: Mapping[str, Any], last: bool) -> str:
        role, content = m.get("role"), m.get("content") or ""
        if role == "user":
            return f"<|im_start|>user\n{content}<|im_end|>\n"
        if role == "tool":
            return f"<|im_start|>environment\n{content}<|im_end|>\n"
        if role != "assistant":
            return ""
        calls = m.get("tool_calls")
        text = "<|im_start|>assistant\n" + content
        if calls:
            text += "<function_calls>" + "\n".join(_function_call(c) for c in calls) + "</function_calls>"
        return text + "<|im_end|>\n" if calls or not last else text


register("olmo3", lambda: Olmo3Renderer(use_extended_system_message=False))
register("olmo3.1", lambda: Olmo3Renderer(use_extended_system_message=True))
