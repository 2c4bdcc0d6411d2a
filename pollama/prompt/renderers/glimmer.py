"""`glimmer`: the Glimmer chat format (<|start|>header<|message|>body<|eot|>, with <|eom|> between
messages of one turn).

Assistant messages name a recipient: `to=self` carries reasoning, `to=user` the answer, `to=<tool>` an ATEM
call (`<atem:function_calls><atem:invoke name=…><atem:parameter name=…>value…`). Without a system
message a default one states the knowledge cutoff and the date; every system message gets the
reasoning strength (from think) unless it states one, the tool definitions and the valid recipients.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import tool_value
from pollama.prompt.gofmt import sprint
from pollama.prompt.renderers import Message, Think, Tool, register
from pollama.prompt.renderers._image_tags import with_image_tags
from pollama.prompt.renderers._tojson import tojson

BOS = "<|begin_of_text|>"
START, MESSAGE, EOM, EOT = "<|start|>", "<|message|>", "<|eom|>", "<|eot|>"
DEFAULT_SYSTEM = "You are a helpful AI assistant."
KNOWLEDGE_CUTOFF = "2026-01-04"
TOOLS_PREFIX = """In this environment you have access to a set of tools you can use to answer the user's question.

You can invoke a function by writing a "<atem:function_calls>" block like the following:
<atem:function_calls>
<atem:invoke name="$FUNCTION_NAME">
<atem:parameter name="$PARAMETER_NAME">$PARAMETER_VALUE</atem:parameter>
...
</atem:invoke>
</atem:function_calls>

String and scalar parameters should be specified as is, while lists and objects should use JSON format. \
Note that spaces for string values are not stripped. The output is not expected to be valid XML and is \
parsed with regular expressions.
Here are the functions available in JSONSchema format:
// Tool metadata
"""
TOOLS_SUFFIX = """

Here's an example of how to call a function in the tool set:
(If the tool namespace is not specified, invoke the function directly as `example_function_name` rather \
than `example_tool_name.example_function_name`)

to=example_tool_name.example_function_name

<atem:function_calls>
<atem:invoke name="example_tool_name.example_function_name">
<atem:parameter name="example_parameter_1">value_1</atem:parameter>
<atem:parameter name="example_parameter_2">This is the value for the second parameter
that can span
"multiple" lines
</atem:parameter>
</atem:invoke>
</atem:function_calls>"""
REASONING_WORDING = (("Reasoning effort", "Reasoning strength"), ("Reasoning Effort", "Reasoning Strength"),
                     ("reasoning effort", "reasoning strength"), ("REASONING EFFORT", "REASONING STRENGTH"))


def reasoning_strength(think: Think) -> str:
    if think is None:
        return "high"
    if not think:
        return "none"
    return think if isinstance(think, str) else "high"


def _name(tool: Tool) -> str:
    return (tool.get("function") or {}).get("name") or ""


def _namespaces(tools: Sequence[Tool]) -> list[str]:
    """First dot-component of each tool name, in order, without repeats."""
    return list(dict.fromkeys(_name(t).split(".", 1)[0] for t in tools))


def _tool_definitions(tools: Sequence[Tool]) -> str:
    metadata = "".join(f'{{"name": {tojson(ns)}, "description": {tojson("")}}}\n' for ns in _namespaces(tools))
    schemas = "".join(
        f'\n{{"name": {tojson(_name(t))}, "description": {tojson((t.get("function") or {}).get("description") or "")}'
        f', "parameters": {tojson(tool_value(t)["function"]["parameters"])}}}' for t in tools)
    return TOOLS_PREFIX + metadata + "// Function schemas" + schemas + TOOLS_SUFFIX


def _system(content: str, tools: Sequence[Tool], strength: str, date: str | None) -> str:
    """A system message; `date` is given for the default one, which also states the knowledge cutoff."""
    if date is None:
        for old, new in REASONING_WORDING:
            content = content.replace(old, new)
    else:
        content += f"\nKnowledge cutoff: {KNOWLEDGE_CUTOFF}.\nCurrent date: {date}."
    if date is not None or "reasoning strength" not in content.lower():
        content += f"\n\nReasoning strength: {strength}."
    if tools:
        content += "\n\n" + _tool_definitions(tools)
    recipients = "".join(f', "{ns}.*"' for ns in _namespaces(tools))
    return START + "system" + MESSAGE + content + f'\n\n# Valid recipients: "self"{recipients}, "user".' + EOT


def _atem_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (list, tuple, Mapping)):
        return tojson(value)
    return sprint([value])


def _atem(call: Mapping[str, Any]) -> str:
    fn = call.get("function") or {}
    params = "".join(f'<atem:parameter name="{k}">{_atem_value(v)}</atem:parameter>\n'
                     for k, v in (fn.get("arguments") or {}).items())
    return (f'<atem:function_calls>\n<atem:invoke name="{fn.get("name") or ""}">\n{params}</atem:invoke>\n'
            "</atem:function_calls>")


def _tool_result_name(message: Message, messages: Sequence[Message]) -> str:
    """The tool's name, or the name of the call the result answers (its id when no call matches)."""
    if message.get("tool_name"):
        return message["tool_name"]
    call_id = message.get("tool_call_id") or ""
    names = [(c.get("function") or {}).get("name") or "" for m in messages for c in m.get("tool_calls") or []
             if call_id and c.get("id") == call_id]
    return names[-1] if names else call_id


class GlimmerRenderer:
    leading_bos = BOS

    def __init__(self, use_img_tags: bool = True, current_date: str | None = None) -> None:
        self.use_img_tags = use_img_tags
        self.current_date = current_date

    def _content(self, message: Message, offset: int) -> tuple[str, int]:
        content, count = message.get("content") or "", len(message.get("images") or [])
        if self.use_img_tags:
            return with_image_tags(content, count, offset)
        return "<|patch|>" * count + content, offset + count

    def render(self, messages: Sequence[Message], tools: Sequence[Tool] | None, think: Think) -> str:
        tools = tools or []
        strength = reasoning_strength(think)
        out = [BOS]
        if not any(m.get("role") == "system" for m in messages):
            date = self.current_date or datetime.date.today().isoformat()
            out.append(_system(DEFAULT_SYSTEM, tools, strength, date))
        offset = 0
        for i, message in enumerate(messages):
            content, offset = self._content(message, offset)
            role = message.get("role")
            if role == "system":
                out.append(_system(content, tools, strength, None))
            elif role == "user":
                out.append(START + "user" + MESSAGE + content + EOT)
            elif role == "tool":
                name = _tool_result_name(message, messages)
                out.append(f'{START}tool {name}{MESSAGE}<tool_output name="{name}">\n{content}\n</tool_output>{EOT}')
            elif role == "assistant":
                same_role_next = i + 1 < len(messages) and messages[i + 1].get("role") == role
                out.append(self._assistant(message, content, EOM if same_role_next else EOT))
        return "".join(out) + START + "assistant"

    @staticmethod
    def _assistant(message: Message, content: str, end: str) -> str:
        thinking = message.get("thinking") or ""
        out = START + "assistant to=self" + MESSAGE + thinking + EOM if thinking else ""
        calls = message.get("tool_calls") or []
        for j, call in enumerate(calls):
            name = (call.get("function") or {}).get("name") or ""
            out += START + "assistant to=" + name + MESSAGE + _atem(call) + (end if j == len(calls) - 1 else EOM)
        if not calls and (content or not thinking):
            # A final message with only thinking is an unfinished self segment: no answer after it.
            out += START + "assistant to=user" + MESSAGE + content + EOT
        return out


register("glimmer", GlimmerRenderer)
