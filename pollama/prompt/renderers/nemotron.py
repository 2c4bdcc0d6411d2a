"""`nemotron-3-nano`, `nemotron-3.5-nano`: NVIDIA Nemotron 3 Nano and 3.5 Nano
(Ollama's model/renderers/nemotron3nano.go, which follows the models' Jinja chat templates).

Tools are listed as XML with Python-style JSON (`", "` and `": "` separators) for schema values; earlier
tool calls are written `<tool_call>\\n<function=name>\\n<parameter=key>\\nvalue\\n</parameter>...`. Thinking
is on unless the request turns it off; Nemotron 3 also obeys `/think` and `/no_think` written in user or
system text (and removes them), 3.5 only the request, where "medium" adds a reasoning-effort note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.apijson import marshal, property_value
from pollama.prompt.gofmt import OrderedMap, format_value, quote
from pollama.prompt.renderers import Think, register
from pollama.prompt.renderers._image_tags import with_image_tags

TOOL_FORMAT = (
    "\n\nIf you choose to call a function ONLY reply in the following format with NO suffix:\n\n"
    "<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n</parameter>\n"
    "<parameter=example_parameter_2>\nThis is the value for the second parameter\nthat can span\nmultiple lines\n"
    "</parameter>\n</function>\n</tool_call>\n\n<IMPORTANT>\nReminder:\n"
    "- Function calls MUST follow the specified format: an inner <function=...></function> block must be nested "
    "within <tool_call></tool_call> XML tags\n"
    "- Required parameters MUST be specified\n"
    "- You may provide optional reasoning for your function call in natural language BEFORE the function call, "
    "but NOT after\n"
    "- If there is no function call available, answer the question like normal with your current knowledge and "
    "do not tell the user about function calls\n</IMPORTANT>"
)
EMPTY_THINK = "<think></think>"


def python_json(v: Any) -> str:
    """JSON as Python's json.dumps writes it (", " and ": "), strings quoted as Go's strconv.Quote; an
    OrderedMap keeps its order, other objects are sorted."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return marshal(v)
    if isinstance(v, Mapping):
        items = v.items() if isinstance(v, OrderedMap) else sorted(v.items())
        return "{" + ", ".join(f"{quote(str(k))}: {python_json(x)}" for k, x in items) + "}"
    if isinstance(v, Sequence):
        return "[" + ", ".join(python_json(x) for x in v) + "]"
    return quote(str(v))


def template_value(v: Any) -> str:
    """A value as the template prints it: containers as Python-style JSON, scalars as Python's str()."""
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, (Mapping, list, tuple)):
        return python_json(v)
    return v if isinstance(v, str) else format_value(v)


def _types(t: Any) -> list[str]:
    return [t] if isinstance(t, str) else [str(x) for x in t] if isinstance(t, list) else []


def _parameter(name: str, prop: Mapping[str, Any]) -> str:
    p = property_value(prop)
    out = [f"\n<parameter>\n<name>{name}</name>"]
    types = _types(prop.get("type"))
    if types:
        out.append("\n<type>" + (types[0] if len(types) == 1 else
                                 "[" + ", ".join(f"'{t}'" for t in types) + "]") + "</type>")
    if prop.get("description"):
        out.append(f"\n<description>{prop['description'].strip()}</description>")
    for key in ("enum", "anyOf", "items", "properties", "required"):
        if key in p:
            out.append(f"\n<{key}>{python_json(p[key])}</{key}>")
    out.append("\n</parameter>")
    return "".join(out)


def _function(tool: Mapping[str, Any]) -> str:
    fn = tool.get("function") or {}
    params = fn.get("parameters") or {}
    out = [f"\n<function>\n<name>{fn.get('name') or ''}</name>"]
    if fn.get("description"):
        out.append(f"\n<description>{fn['description'].strip()}</description>")
    out.append("\n<parameters>")
    out.extend(_parameter(name, prop) for name, prop in (params.get("properties") or {}).items())
    for key in ("$defs", "items"):
        if params.get(key) is not None:
            out.append(f"\n<{key}>{template_value(params[key])}</{key}>")
    if params.get("required"):
        out.append(f"\n<required>{python_json(params['required'])}</required>")
    out.append("\n</parameters>\n</function>")
    return "".join(out)


def render_tools(tools: Sequence[Mapping[str, Any]]) -> str:
    return ("# Tools\n\nYou have access to the following functions:\n\n<tools>"
            + "".join(_function(t) for t in tools) + "\n</tools>" + TOOL_FORMAT)


def strip_think_toggles(s: str) -> str:
    """Remove /think and /no_think, keeping any </think>."""
    return s.replace("</think>", "\0").replace("/think", "").replace("/no_think", "").replace("\0", "</think>")


def _tool_calls(calls: Sequence[Mapping[str, Any]]) -> str:
    out = []
    for call in calls:
        fn = call.get("function") or {}
        params = "".join(f"<parameter={k}>\n{template_value(v)}\n</parameter>\n"
                         for k, v in (fn.get("arguments") or {}).items())
        out.append(f"<tool_call>\n<function={fn.get('name') or ''}>\n{params}</function>\n</tool_call>\n")
    return "".join(out)


def _history_content(content: str) -> str:
    """An assistant message before the last user turn keeps only what follows its last </think>."""
    if "<think>" in content and "</think>" in content:
        content = EMPTY_THINK + content.split("</think>")[-1]
    return content.strip()


def _history_tool_call_content(content: str) -> str:
    if "</think>" in content:
        content = content.split("</think>")[-1]
    elif "<think>" in content:
        content = content.split("<think>")[0]
    return EMPTY_THINK + content.strip()


class Nemotron3NanoRenderer:
    leading_bos = ""

    def __init__(self, v35: bool) -> None:
        self.v35 = v35

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        thinking = self._thinking(messages, think)
        medium = self.v35 and think == "medium"
        system = ""
        if messages and messages[0].get("role") == "system":
            system = messages[0].get("content") or ""
            system = system if self.v35 else strip_think_toggles(system)
            messages = messages[1:]
        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        out = ["<|im_start|>system\n", system]
        if tools:
            out.append(("\n\n" if system else "") + render_tools(tools))
        out.append("<|im_end|>\n")
        images = 0
        for i, m in enumerate(messages):
            role = m.get("role")
            if role in ("user", "system", "tool"):
                content, images = with_image_tags(m.get("content") or "", len(m.get("images") or []), images)
            if role == "assistant":
                out.append(self._assistant(m, history=i < last_user))
            elif role in ("user", "system"):
                if not self.v35:
                    content = strip_think_toggles(content).strip()
                elif role == "user" and i == last_user and medium:
                    content += "\n\n{reasoning effort: efficient}"
                out.append(f"<|im_start|>{role}\n{content}<|im_end|>\n")
            elif role == "tool":
                first = i == 0 or messages[i - 1].get("role") != "tool"
                last = i + 1 == len(messages) or messages[i + 1].get("role") != "tool"
                out.append(("<|im_start|>user\n" if first and i > 0 else "")
                           + f"<tool_response>\n{content}\n</tool_response>\n"
                           + ("<|im_end|>\n" if last else ""))
            else:
                out.append(f"<|im_start|>{role}\n{m.get('content') or ''}<|im_end|>\n")
        out.append("<|im_start|>assistant\n" + ("<think>\n" if thinking else EMPTY_THINK))
        return "".join(out)

    def _thinking(self, messages: Sequence[Mapping[str, Any]], think: Think) -> bool:
        enabled = think is None or bool(think)
        if self.v35:
            return enabled
        for m in messages:
            if m.get("role") in ("user", "system"):
                content = m.get("content") or ""
                if "/think" in content.replace("</think>", ""):
                    enabled = True
                elif "/no_think" in content:
                    enabled = False
        return enabled

    def _assistant(self, m: Mapping[str, Any], history: bool) -> str:
        content = m.get("content") or ""
        if m.get("thinking"):
            content = f"<think>\n{m['thinking']}" + ("</think>" if self.v35 else "\n</think>\n") + content
        elif "<think>" not in content and "</think>" not in content:
            content = EMPTY_THINK + content
        calls = m.get("tool_calls")
        if not calls:
            body = _history_content(content) if history else content.strip()
        elif not content.strip():
            body = EMPTY_THINK
        else:
            body = (_history_tool_call_content(content) if history else content.strip()) + "\n"
        return f"<|im_start|>assistant\n{body}{_tool_calls(calls or [])}<|im_end|>\n"


register("nemotron-3-nano", lambda: Nemotron3NanoRenderer(v35=False))
register("nemotron-3.5-nano", lambda: Nemotron3NanoRenderer(v35=True))
