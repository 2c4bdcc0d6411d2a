"""`qwen3-coder`: Qwen3-Coder's XML tool format (Ollama's model/renderers/qwen3coder.go).

Also home of what the other Qwen renderers share: the ChatML tags, an XML tool call's argument text, and
the `<tool_response>` blocks that consecutive tool messages share one user turn for.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import marshal, property_value, tool_value
from pollama.prompt.gofmt import format_float_v, format_value, json_marshal
from pollama.prompt.renderers import Think, register

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"

DEFAULT_SYSTEM = "You are Qwen, a helpful AI assistant that can interact with a computer to solve tasks."

XML_TOOL_INSTRUCTIONS = """If you choose to call a function ONLY reply in the following format with NO suffix:

<tool_call>
<function=example_function_name>
<parameter=example_parameter_1>
value_1
</parameter>
<parameter=example_parameter_2>
This is the value for the second parameter
that can span
multiple lines
</parameter>
</function>
</tool_call>

<IMPORTANT>
Reminder:
- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested \
within <tool_call></tool_call> XML tags
- Required parameters MUST be specified
- You may provide optional reasoning for your function call in natural language BEFORE the function call, \
but NOT after
- If there is no function call available, answer the question like normal with your current knowledge and do \
not tell the user about function calls
</IMPORTANT>"""


def format_tool_call_argument(value: Any) -> str:
    """A tool-call argument as the text between <parameter=...> tags: strings bare, objects and arrays as
    JSON, numbers as Go prints the float64 the API decoded them to."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, (Mapping, list, tuple)):
        return json_marshal(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_float_v(float(value))
    return format_value(value)


def format_tool_definition_type(types: Any) -> str:
    """api.PropertyType in a tool definition: one type bare, several as a JSON array, none as []."""
    types = [types] if isinstance(types, str) else list(types or [])
    return types[0] if len(types) == 1 else json_marshal(types)


def _additional_keys(value: Mapping[str, Any], handled: set[str]) -> str:
    """The marshalled fields not rendered elsewhere, one `<key>value</key>` line each (struct order; Go
    walks a map here, in random order)."""
    fields = json.loads(marshal(value), parse_int=float)
    out = []
    for key, v in fields.items():
        if key in handled or v is None:
            continue
        text = json_marshal(v) if isinstance(v, (dict, list)) else format_value(v)
        out.append(f"\n<{key}>{text}</{key}>")
    return "".join(out)


def tool_response(messages: Sequence[Mapping[str, Any]], i: int, content: str) -> str:
    """Tool message i as a <tool_response> block; a run of tool messages shares one user turn."""
    opens = i == 0 or messages[i - 1].get("role") != "tool"
    closes = i == len(messages) - 1 or messages[i + 1].get("role") != "tool"
    return (f"{IM_START}user" if opens else "") + f"\n<tool_response>\n{content}\n</tool_response>" + (
        f"{IM_END}\n" if closes else "")


def xml_tool_call(call: Mapping[str, Any]) -> str:
    """<tool_call>, <function=name>, one <parameter=key> block per argument, each tag on its own line."""
    fn = call.get("function") or {}
    params = "".join(f"\n<parameter={name}>\n{format_tool_call_argument(value)}\n</parameter>"
                     for name, value in (fn.get("arguments") or {}).items())
    return f"<tool_call>\n<function={fn.get('name') or ''}>{params}\n</function>\n</tool_call>"


class Qwen3CoderRenderer:
    leading_bos = ""

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        systems = [m.get("content") or "" for m in messages if m.get("role") == "system"]
        system = next((s for s in systems if s), "")
        rest = [m for m in messages if m.get("role") != "system"]
        out = []
        if system or tools:
            out.append(f"{IM_START}system\n{system or DEFAULT_SYSTEM}")
            if tools:
                out.append(self._tools(tools))
            out.append(f"{IM_END}\n")
        out.extend(self._message(rest, i) for i in range(len(rest)))
        return "".join(out)

    def _tools(self, tools: Sequence[Mapping[str, Any]]) -> str:
        out = ["\n\n# Tools\n\nYou have access to the following functions:\n\n<tools>"]
        for tool in tools:
            fn = tool.get("function") or {}
            out.append(f"\n<function>\n<name>{fn.get('name') or ''}</name>")
            if fn.get("description"):
                out.append(f"\n<description>{fn['description']}</description>")
            out.append("\n<parameters>")
            for name, prop in ((fn.get("parameters") or {}).get("properties") or {}).items():
                out.append(self._parameter(name, prop))
            out.append(_additional_keys(tool_value(tool)["function"]["parameters"], {"type", "properties"}))
            out.append("\n</parameters>\n</function>")
        out.append(f"\n</tools>\n\n{XML_TOOL_INSTRUCTIONS}")
        return "".join(out)

    @staticmethod
    def _parameter(name: str, prop: Any) -> str:
        value = property_value(prop)
        out = [f"\n<parameter>\n<name>{name}</name>"]
        if value.get("type"):
            out.append(f"\n<type>{format_tool_definition_type(value['type'])}</type>")
        if value.get("description"):
            out.append(f"\n<description>{value['description']}</description>")
        out.append(_additional_keys(value, {"type", "description"}))
        out.append("\n</parameter>")
        return "".join(out)

    @staticmethod
    def _message(messages: Sequence[Mapping[str, Any]], i: int) -> str:
        message = messages[i]
        role, content = message.get("role") or "", message.get("content") or ""
        last = i == len(messages) - 1
        prefill = last and role == "assistant"
        if role == "assistant" and message.get("tool_calls"):
            calls = "".join("\n" + xml_tool_call(c) for c in message["tool_calls"])
            text = f"{IM_START}assistant\n" + (content + "\n" if content else "") + calls + f"{IM_END}\n"
        elif role == "assistant":
            text = f"{IM_START}assistant\n{content}" + ("" if prefill else f"{IM_END}\n")
        elif role == "tool":
            text = tool_response(messages, i, content)
        else:
            text = f"{IM_START}{role}\n{content}{IM_END}\n"
        return text + (f"{IM_START}assistant\n" if last and not prefill else "")


register("qwen3-coder", Qwen3CoderRenderer)
