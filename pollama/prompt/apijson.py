"""Ollama's API values as Go's encoding/json writes them, for code that renders prompts or parses output.

Renderers embed tools and tool calls in prompts with `json.Marshal` of Ollama's `api` structs: fields in
struct order, `omitempty` fields left out when empty, tool-call arguments and tool properties in the
order the client sent them (Ollama keeps them in an ordered map), every other object with sorted keys,
and `<`, `>`, `&` escaped. `marshal(tool_value(t))` gives exactly those bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pollama.prompt.gofmt import OrderedMap, json_marshal

__all__ = ["marshal", "tool_value", "property_value", "arguments_value", "tool_call_value", "with_spaces"]


def marshal(v: Any) -> str:
    """encoding/json.Marshal (compact; OrderedMap keeps its key order, other maps are sorted)."""
    return json_marshal(v)


def _put(out: OrderedMap, key: str, value: Any, omitempty: bool = False) -> None:
    if omitempty and (value is None or value == "" or value == [] or value == {}):
        return
    out[key] = value


def property_value(p: Any) -> OrderedMap:
    """api.ToolProperty: anyOf, type (a string when there is one), items, description, enum, properties,
    required; all omitempty."""
    p = p if isinstance(p, Mapping) else {}
    out = OrderedMap()
    _put(out, "anyOf", [property_value(x) for x in p.get("anyOf") or []], True)
    t = p.get("type")
    types = [t] if isinstance(t, str) else [str(x) for x in t] if isinstance(t, list) else []
    _put(out, "type", types[0] if len(types) == 1 else types, True)
    _put(out, "items", p.get("items"), True)
    _put(out, "description", p.get("description") or "", True)
    _put(out, "enum", list(p["enum"]) if isinstance(p.get("enum"), list) else None, True)
    props = p.get("properties")
    if isinstance(props, Mapping):
        out["properties"] = OrderedMap((k, property_value(v)) for k, v in props.items())
    _put(out, "required", list(p["required"]) if isinstance(p.get("required"), list) else None, True)
    return out


def tool_value(t: Mapping[str, Any]) -> OrderedMap:
    """api.Tool: {type, items?, function: {name, description?, parameters: {type, $defs?, items?,
    required?, properties}}} (properties is null when the client sent none)."""
    fn = t.get("function") or {}
    params = fn.get("parameters") or {}
    props = params.get("properties")
    parameters = OrderedMap(type=params.get("type") or "")
    _put(parameters, "$defs", params.get("$defs"), True)
    _put(parameters, "items", params.get("items"), True)
    _put(parameters, "required", list(params["required"]) if isinstance(params.get("required"), list) else None,
         True)
    parameters["properties"] = (OrderedMap((k, property_value(v)) for k, v in props.items())
                                if isinstance(props, Mapping) else None)
    function = OrderedMap(name=fn.get("name") or "")
    _put(function, "description", fn.get("description") or "", True)
    function["parameters"] = parameters
    out = OrderedMap(type=t.get("type") or "")
    _put(out, "items", t.get("items"), True)
    out["function"] = function
    return out


def arguments_value(args: Any) -> OrderedMap:
    """api.ToolCallFunctionArguments: the top level keeps the client's order, nested objects are sorted."""
    return OrderedMap(args) if isinstance(args, Mapping) else OrderedMap()


def tool_call_value(call: Mapping[str, Any]) -> OrderedMap:
    """api.ToolCall: {id?, function: {index, name, arguments}}."""
    fn = call.get("function") or {}
    out = OrderedMap()
    _put(out, "id", call.get("id") or "", True)
    out["function"] = OrderedMap(index=int(fn.get("index") or 0), name=fn.get("name") or "",
                                 arguments=arguments_value(fn.get("arguments")))
    return out


def with_spaces(text: str) -> str:
    """Ollama's marshalWithSpaces: a space after every ':' and ',' outside strings."""
    out: list[str] = []
    in_str = esc = False
    for c in text:
        out.append(c)
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in ":,":
            out.append(" ")
    return "".join(out)
