"""`gemma4`, `gemma4-small`, `gemma4-large`: Gemma 4 (Ollama's model/renderers/gemma4.go).

Turns are `<|turn>ROLE\n...<turn|>\n`; strings in declarations and calls are wrapped in `<|"|>`. Tool
results are folded into the assistant turn that made the calls, and adjacent assistant messages share one
model turn. The large variant (26b/31b) opens an empty thought block when thinking is off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.gofmt import format_float_v, format_value
from pollama.prompt.renderers import Think, register
from pollama.prompt.renderers._image_tags import with_image_tags

__all__ = ["Gemma4Renderer", "format_arg", "strip_thinking"]

Q = '<|"|>'
_STANDARD_KEYS = frozenset({"description", "type", "properties", "required", "nullable"})


def _number(v: int | float) -> str:
    """Go's float64 formatting in these templates: whole values as integers, others as %v."""
    if isinstance(v, float) and v.is_integer() and -(2 ** 63) <= v < 2 ** 63:
        return str(int(v))
    return format_float_v(v) if isinstance(v, float) else str(v)


def format_arg(value: Any, quote: str = Q, null: str = "null") -> str:
    """A tool-call argument: strings quoted, object keys bare and sorted."""
    if value is None:
        return null
    if isinstance(value, str):
        return quote + value + quote
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{format_arg(value[k], quote, null)}" for k in sorted(value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(format_arg(v, quote, null) for v in value) + "]"
    return format_value(value)


def _schema_value(value: Any) -> str:
    """A schema keyword's value: like an argument, but object keys are quoted too."""
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{Q}{k}{Q}:{_schema_value(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_schema_value(v) for v in value) + "]"
    return format_arg(value)


def _quoted_list(items: Sequence[Any]) -> str:
    return "[" + ",".join(Q + format_value(x) + Q for x in items) + "]"


def _strings(value: Any) -> list[str]:
    return [x for x in value if isinstance(x, str)] if isinstance(value, list | tuple) else []


def _type_names(value: Any) -> list[str]:
    return [value.upper()] if isinstance(value, str) else [t.upper() for t in _strings(value)]


def _type_field(names: Sequence[str]) -> str:
    if not names:
        return ""
    return f"type:{Q}{names[0]}{Q}" if len(names) == 1 else "type:" + _quoted_list(names)


def _declared_types(prop: Mapping[str, Any]) -> list[str]:
    t = prop.get("type")
    return [t] if isinstance(t, str) else _strings(t)


def _bare_type_only(prop: Any) -> bool:
    return (isinstance(prop, Mapping) and bool(_declared_types(prop)) and not prop.get("anyOf")
            and prop.get("items") is None and not prop.get("description") and not prop.get("enum")
            and prop.get("properties") is None and not prop.get("required"))


def _any_of_types(prop: Mapping[str, Any]) -> list[str]:
    """The types of an anyOf whose branches are all bare types, in order without repeats; else []."""
    branches = prop.get("anyOf") or []
    if not all(_bare_type_only(b) for b in branches):
        return []
    return list(dict.fromkeys(t for b in branches for t in _declared_types(b)))


def _typed_property(prop: Any) -> dict[str, Any]:
    """A declared parameter (api.ToolProperty) as the template sees it: a type union becomes the
    stringified list "['STRING', 'NULL']" (upstream's odd form), a simple anyOf becomes a union, keys
    outside api.ToolProperty are dropped."""
    if not isinstance(prop, Mapping):
        return {}
    out: dict[str, Any] = {}
    types = _declared_types(prop) or _any_of_types(prop)
    if types:
        out["type"] = types[0] if len(types) == 1 else "[" + ", ".join(f"'{t.upper()}'" for t in types) + "]"
    if prop.get("description"):
        out["description"] = prop["description"]
    if prop.get("enum"):
        out["enum"] = prop["enum"]
    if prop.get("items") is not None:
        out["items"] = prop["items"]
    if isinstance(prop.get("properties"), Mapping):
        out["properties"] = {k: _typed_property(v) for k, v in prop["properties"].items()}
    if prop.get("required"):
        out["required"] = prop["required"]
    return out


def _schema_properties(props: Mapping[str, Any]) -> str:
    return ",".join(f"{name}:{{{_schema_property(props[name])}}}" for name in sorted(props)
                    if name not in _STANDARD_KEYS and isinstance(props[name], Mapping))


def _schema_property(prop: Mapping[str, Any]) -> str:
    fields = []
    if isinstance(prop.get("description"), str) and prop["description"]:
        fields.append(f"description:{Q}{prop['description']}{Q}")
    names = _type_names(prop.get("type"))
    kind = names[0] if names else ""
    if kind == "STRING" and isinstance(prop.get("enum"), list | tuple) and prop["enum"]:
        fields.append("enum:" + _quoted_list(prop["enum"]))
    if kind == "ARRAY" and isinstance(prop.get("items"), Mapping) and prop["items"]:
        fields.append(f"items:{{{_items_spec(prop['items'])}}}")
    if prop.get("nullable") is True:
        fields.append("nullable:true")
    if kind == "OBJECT":
        nested = prop.get("properties")
        fields.append(f"properties:{{{_schema_properties(nested if isinstance(nested, Mapping) else prop)}}}")
        if required := _strings(prop.get("required")):
            fields.append("required:" + _quoted_list(required))
    if names:
        fields.append(_type_field(names))
    return ",".join(fields)


def _items_spec(items: Mapping[str, Any]) -> str:
    """An array's `items` schema, every keyword in sorted order (the template's dictsort)."""
    fields = []
    for key in sorted(items):
        value = items[key]
        if value is None:
            continue
        if key == "properties":
            fields.append(f"properties:{{{_schema_properties(value) if isinstance(value, Mapping) else ''}}}")
        elif key == "required":
            fields.append("required:" + _quoted_list(_strings(value)))
        elif key == "type":
            fields.append(_type_field(_type_names(value)))
        else:
            fields.append(f"{key}:{_schema_value(value)}")
    return ",".join(fields)


def _declaration(tool: Mapping[str, Any]) -> str:
    fn = tool.get("function") or {}
    params = fn.get("parameters") or {}
    props, kind = params.get("properties"), params.get("type") or ""
    out = f"<|tool>declaration:{fn.get('name') or ''}{{description:{Q}{fn.get('description') or ''}{Q}"
    if props is not None or kind:
        fields = []
        if props:
            typed = {k: _typed_property(v) for k, v in props.items()}
            fields.append(f"properties:{{{_schema_properties(typed)}}}")
        if required := params.get("required"):
            fields.append("required:" + _quoted_list(required))
        if kind:
            fields.append(f"type:{Q}{kind.upper()}{Q}")
        out += ",parameters:{" + ",".join(fields) + "}"
    return out + "}<tool|>"


def _tool_call(call: Mapping[str, Any]) -> str:
    fn = call.get("function") or {}
    args = fn.get("arguments") or {}
    body = ",".join(f"{k}:{format_arg(args[k])}" for k in sorted(args))
    return f"<|tool_call>call:{fn.get('name') or ''}{{{body}}}<tool_call|>"


def _response_name(message: Mapping[str, Any], calls: Sequence[Mapping[str, Any]]) -> str:
    """The tool a result answers: the call its tool_call_id names, else its tool_name, else "unknown"."""
    call_id = message.get("tool_call_id")
    for call in calls if call_id else ():
        if call.get("id") == call_id:
            return (call.get("function") or {}).get("name") or ""
    return message.get("tool_name") or "unknown"


def strip_thinking(text: str) -> str:
    """Content without its `<|channel>...<channel|>` blocks (an unclosed one runs to the end), trimmed."""
    kept = []
    while (start := text.find("<|channel>")) != -1:
        kept.append(text[:start])
        end = text.find("<channel|>", start)
        text = "" if end == -1 else text[end + len("<channel|>"):]
    kept.append(text)
    return "".join(kept).strip()


def _next_role(messages: Sequence[Mapping[str, Any]], i: int) -> str:
    return next((m.get("role") or "" for m in messages[i + 1:] if m.get("role") != "tool"), "")


def _results(messages: Sequence[Mapping[str, Any]], i: int) -> list[Mapping[str, Any]]:
    """The tool messages right after message `i`."""
    out = []
    for m in messages[i + 1:]:
        if m.get("role") != "tool":
            break
        out.append(m)
    return out


class Gemma4Renderer:
    leading_bos = "<bos>"

    def __init__(self, use_img_tags: bool = False, empty_block_on_nothink: bool = False) -> None:
        self.use_img_tags = use_img_tags
        self.empty_block_on_nothink = empty_block_on_nothink
        self._image_offset = 0

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
               think: Think) -> str:
        self._image_offset = 0
        thinking = bool(think)
        has_system = bool(messages) and messages[0].get("role") in ("system", "developer")
        loop = messages[1:] if has_system else messages
        out = ["<bos>"]
        if has_system or tools or thinking:
            system = (messages[0].get("content") or "").strip() if has_system else ""
            out.append("<|turn>system\n" + ("<|think|>\n" if thinking else "") + system
                       + "".join(_declaration(t) for t in tools or ()) + "<turn|>\n")
        last_user = max((i for i, m in enumerate(loop) if m.get("role") == "user"), default=-1)
        ended, previous = "", ""
        for i, message in enumerate(loop):
            if message.get("role") != "tool":
                ended = self._message(out, loop, i, previous, i > last_user)
                previous = message.get("role") or ""
        if ended not in ("tool_call", "tool_response"):
            out.append("<|turn>model\n")
            if self.empty_block_on_nothink and not thinking:
                out.append("<|channel>thought\n<channel|>")
        elif ended == "tool_response" and thinking:
            out.append("<|channel>thought\n")
        return "".join(out)

    def _message(self, out: list[str], loop: Sequence[Mapping[str, Any]], i: int, previous: str,
                 after_last_user: bool) -> str:
        """Append message `i` and the tool results that follow it; what the turn ended with:
        "tool_call" (results still pending), "tool_response" or ""."""
        message = loop[i]
        role = message.get("role") or ""
        is_model = role in ("assistant", "model")
        if not (is_model and previous == "assistant"):
            out.append(f"<|turn>{'model' if is_model else role}\n")
        if role == "assistant" and message.get("thinking") and after_last_user:
            out.append(f"<|channel>thought\n{message['thinking']}\n<channel|>")
        calls = message.get("tool_calls") or []
        out.extend(_tool_call(c) for c in calls)
        results = _results(loop, i) if calls else []
        for result in results:
            value = format_arg(self._content(result.get("content") or "", result))
            name = _response_name(result, calls)
            out.append(f"<|tool_response>response:{name}{{value:{value}}}<tool_response|>")
        content, images = message.get("content") or "", message.get("images") or []
        if not is_model:
            content = content.strip()
            out.append(self._content(content, message))
        elif content or images:
            content = strip_thinking(content)
            out.append(self._content(content, message))
        following = _next_role(loop, i)
        if calls and not results:
            out.append("<|tool_response>")
            return "tool_call"
        continues = is_model and following == "assistant"
        closes_after_results = results and not (content.strip() or images) and following == ""
        if not continues and not closes_after_results:
            out.append("<turn|>\n")
        return "tool_response" if results else ""

    def _content(self, content: str, message: Mapping[str, Any]) -> str:
        images = message.get("images") or []
        if images and self.use_img_tags:
            content, self._image_offset = with_image_tags(content, len(images), self._image_offset)
        return content


register("gemma4", lambda: Gemma4Renderer(use_img_tags=True))
register("gemma4-small", lambda: Gemma4Renderer(use_img_tags=True))
register("gemma4-large", lambda: Gemma4Renderer(use_img_tags=True, empty_block_on_nothink=True))
