"""Prompt rendering as Ollama does it: Go templates (chat and legacy), GGUF Jinja templates, capabilities."""

from __future__ import annotations

import datetime as _dt
import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pollama.prompt.errors import TemplateError
from pollama.prompt.gofmt import JSONList, JSONMap, PropertyType, Struct
from pollama.prompt.gotemplate import Template

__all__ = [
    "render_chat", "render_generate", "render_jinja", "template_capabilities", "think_values",
    "parse_ollama_template", "template_vars", "ToolProperty", "TemplateMessage", "TemplateTool",
]

ThinkArg = bool | str | None


# ---- the Go-side data Ollama hands its templates -------------------------------------------------------
class ToolProperty(Struct):
    """api.ToolProperty; `toTypeScriptType` understands it."""

    go_type = "api.ToolProperty"
    go_fields = (("AnyOf", "anyOf", True), ("Type", "type", True), ("Items", "items", True),
                 ("Description", "description", True), ("Enum", "enum", True),
                 ("Properties", "properties", True), ("Required", "required", True))

    def to_typescript_type(self) -> str:
        any_of = self.get_field("AnyOf") or []
        if any_of:
            return " | ".join(p.to_typescript_type() for p in any_of)
        types = self.get_field("Type") or []
        if not types:
            return "any"
        return " | ".join(_ts_name(str(t)) for t in types)


def _ts_name(json_type: str) -> str:
    return {"string": "string", "number": "number", "integer": "number", "boolean": "boolean",
            "array": "any[]", "object": "Record<string, any>", "null": "null"}.get(json_type, "any")


class TemplateToolParameters(Struct):
    go_type = "template.templateToolFunctionParameters"
    go_fields = (("Type", "type", False), ("Defs", "$defs", True), ("Items", "items", True),
                 ("Required", "required", True), ("Properties", "properties", False))


class TemplateToolFunction(Struct):
    go_type = "template.templateToolFunction"
    go_fields = (("Name", "name", False), ("Description", "description", False),
                 ("Parameters", "parameters", False))
    go_stringer = True


class TemplateTool(Struct):
    go_type = "template.templateTool"
    go_fields = (("Type", "type", False), ("Items", "items", True), ("Function", "function", False))
    go_stringer = True


class TemplateToolCallFunction(Struct):
    go_type = "template.templateToolCallFunction"
    go_fields = (("Index", None, False), ("Name", None, False), ("Arguments", None, False))


class TemplateToolCall(Struct):
    go_type = "template.templateToolCall"
    go_fields = (("ID", None, False), ("Function", None, False))


class TemplateMessage(Struct):
    go_type = "*template.templateMessage"
    go_fields = (("Role", None, False), ("Content", None, False), ("Thinking", None, False),
                 ("Images", None, False), ("ToolCalls", None, False), ("ToolName", None, False),
                 ("ToolCallID", None, False))


def _property(p: Any) -> ToolProperty:
    if not isinstance(p, Mapping):
        p = {}
    t = p.get("type")
    types = PropertyType([t] if isinstance(t, str) else [str(x) for x in t] if isinstance(t, list) else [])
    props = p.get("properties")
    return ToolProperty(
        AnyOf=[_property(x) for x in p.get("anyOf") or []] or None,
        Type=types,
        Items=p.get("items"),
        Description=p.get("description") or "",
        Enum=list(p["enum"]) if isinstance(p.get("enum"), list) else None,
        Properties=JSONMap({k: _property(v) for k, v in props.items()}) if isinstance(props, Mapping) else None,
        Required=list(p["required"]) if isinstance(p.get("required"), list) else None,
    )


def _tool(t: Mapping[str, Any]) -> TemplateTool:
    fn = t.get("function") or {}
    params = fn.get("parameters") or {}
    props = params.get("properties")
    return TemplateTool(
        Type=t.get("type") or "",
        Items=t.get("items"),
        Function=TemplateToolFunction(
            Name=fn.get("name") or "",
            Description=fn.get("description") or "",
            Parameters=TemplateToolParameters(
                Type=params.get("type") or "",
                Defs=params.get("$defs"),
                Items=params.get("items"),
                Required=list(params["required"]) if isinstance(params.get("required"), list) else None,
                Properties=JSONMap({k: _property(v) for k, v in props.items()}) if isinstance(props, Mapping)
                else JSONMap(),
            ),
        ),
    )


def _tools(tools: Sequence[Mapping[str, Any]] | None) -> JSONList:
    if tools is None:
        return JSONList(nil=True)
    return JSONList([_tool(t) for t in tools])


def _arguments(args: Any) -> JSONMap:
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError:
            args = {}
    return JSONMap(args if isinstance(args, Mapping) else {})


def _message(m: Mapping[str, Any]) -> TemplateMessage:
    calls = []
    for c in m.get("tool_calls") or []:
        fn = c.get("function") or {}
        calls.append(TemplateToolCall(
            ID=c.get("id") or "",
            Function=TemplateToolCallFunction(Index=int(fn.get("index") or 0), Name=fn.get("name") or "",
                                              Arguments=_arguments(fn.get("arguments"))),
        ))
    return TemplateMessage(
        Role=m.get("role") or "", Content=m.get("content") or "", Thinking=m.get("thinking") or "",
        Images=JSONList(m.get("images") or [], nil=not m.get("images")),
        ToolCalls=JSONList(calls, nil=not calls),  # Go's nil slice: empty, and `len` gives 0
        ToolName=m.get("tool_name") or "", ToolCallID=m.get("tool_call_id") or "",
    )


# ---- helpers -------------------------------------------------------------------------------------------
def think_values(think: ThinkArg) -> tuple[bool, str, bool]:
    """(Think, ThinkLevel, IsThinkSet) as Ollama derives them from the request's think value."""
    if think is None:
        return False, "", False
    if isinstance(think, bool):
        return think, "medium" if think else "", True
    level = str(think)
    return level in ("high", "medium", "low", "max"), level, True


@functools.lru_cache(maxsize=64)
def parse_ollama_template(text: str) -> Template:
    """template.Parse as Ollama does it: a template naming neither .Messages nor .Response gets {{ .Response }}."""
    tmpl = Template.parse(text)
    names = {n.lower() for n in tmpl.identifiers()}
    if "messages" not in names and "response" not in names:
        tmpl = Template.parse(text + "{{ .Response }}")
    return tmpl


def template_vars(tmpl: Template) -> set[str]:
    """Ollama's Template.Vars(): every identifier, lower-cased."""
    return {n.lower() for n in tmpl.identifiers()}


def _collate(messages: Sequence[Mapping[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    system: list[str] = []
    out: list[dict[str, Any]] = []
    for m in messages:
        msg = dict(m)
        role = msg.get("role") or ""
        if role == "system":
            system.append(msg.get("content") or "")
        if out and out[-1].get("role") == role and role != "tool":
            out[-1]["content"] = (out[-1].get("content") or "") + "\n\n" + (msg.get("content") or "")
        else:
            out.append(msg)
    return "\n\n".join(system), out


def _tag_images(messages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """chatPrompt's image markers: [img-N] prepended per image, or replacing each [img] placeholder."""
    n = 0
    out: list[Mapping[str, Any]] = []
    for m in messages:
        images = m.get("images") or []
        if images:
            content = m.get("content") or ""
            prefix = ""
            for _ in images:
                tag = f"[img-{n}]"
                n += 1
                if "[img]" in content:
                    content = content.replace("[img]", tag, 1)
                else:
                    prefix += tag
            m = {**m, "content": prefix + content}
        out.append(m)
    return out


def _execute(tmpl: Template, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None,
             think: ThinkArg, extra: Mapping[str, Any] | None) -> str:
    think_val, level, is_set = think_values(think)
    system, collated = _collate(messages)
    base = {"Think": think_val, "ThinkLevel": level, "IsThinkSet": is_set}
    if "messages" in template_vars(tmpl):
        data = {"System": system, "Messages": [_message(m) for m in collated], "Tools": _tools(tools),
                "Response": "", **base, **(extra or {})}
        return tmpl.execute(data)
    out: list[str] = []
    cur = {"System": "", "Prompt": "", "Response": ""}

    def flush() -> None:
        out.append(tmpl.execute({**cur, **base, **(extra or {})}))
        cur.update(System="", Prompt="", Response="")

    for m in collated:
        role = m.get("role")
        content = m.get("content") or ""
        if role == "system":
            if cur["Prompt"] or cur["Response"]:
                flush()
            cur["System"] = content
        elif role == "user":
            if cur["Response"]:
                flush()
            cur["Prompt"] = content
        elif role == "assistant":
            cur["Response"] = content
    out.append(tmpl.cut_after_field("Response").execute({**cur, **base, **(extra or {})}))
    return "".join(out)


# ---- public API ----------------------------------------------------------------------------------------
def render_chat(template: str, messages: Sequence[Mapping[str, Any]], *,
                tools: Sequence[Mapping[str, Any]] | None = None, think: ThinkArg = None,
                extra: Mapping[str, Any] | None = None, image_tags: bool = True) -> str:
    """Render Ollama API messages with a Go template exactly as Ollama's chat endpoint does.

    Templates that use .Messages get {System, Messages, Tools, Response, Think, ThinkLevel, IsThinkSet};
    others are rendered the legacy way, once per user turn with .System/.Prompt/.Response, the last turn
    cut just after .Response. `extra` adds top-level fields; `image_tags` adds Ollama's [img-N] markers.
    """
    tmpl = parse_ollama_template(template)
    msgs = _tag_images(messages) if image_tags else list(messages)
    return _execute(tmpl, msgs, tools, think, extra)


def render_generate(template: str, *, prompt: str, system: str | None = None, suffix: str | None = None,
                    think: ThinkArg = None, messages: Sequence[Mapping[str, Any]] | None = None,
                    images: Sequence[Any] | None = None, extra: Mapping[str, Any] | None = None) -> str:
    """Render a /api/generate prompt: a system message, earlier messages and the prompt as a user turn;
    with a suffix (fill-in-the-middle) only .Prompt and .Suffix are set."""
    tmpl = parse_ollama_template(template)
    think_val, level, is_set = think_values(think)
    if suffix:
        if prompt:
            data = {"Prompt": prompt, "Suffix": suffix, "Response": "", "Think": think_val,
                    "ThinkLevel": level, "IsThinkSet": is_set, **(extra or {})}
            return tmpl.execute(data)
        return _execute(tmpl, [], None, think, extra)
    msgs: list[Mapping[str, Any]] = []
    if system:
        msgs.append({"role": "system", "content": system})
    msgs.extend(messages or [])
    user: dict[str, Any] = {"role": "user", "content": prompt}
    if images:
        user["images"] = list(images)
    msgs.append(user)
    return _execute(tmpl, _tag_images(msgs), None, think, extra)


# ---- Jinja (GGUF tokenizer.chat_template) ------------------------------------------------------------------
def _hf_tojson(x: Any, ensure_ascii: bool = False, indent: int | None = None,
               separators: tuple[str, str] | None = None, sort_keys: bool = False) -> str:
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _raise_exception(message: str) -> None:
    raise TemplateError(message)


def _strftime_now(fmt: str) -> str:
    return _dt.datetime.now().strftime(fmt)


@functools.lru_cache(maxsize=32)
def _jinja_template(source: str) -> Any:
    import jinja2
    from jinja2 import nodes
    from jinja2.ext import Extension, loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _Generation(Extension):
        """HF's {% generation %} block; only its body matters for rendering."""

        tags = {"generation"}

        def parse(self, parser: Any) -> Any:
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
            return nodes.Scope(body).set_lineno(lineno)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[_Generation, loopcontrols])
    env.filters["tojson"] = _hf_tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    try:
        return env.from_string(source)
    except jinja2.TemplateError as e:
        raise TemplateError(f"chat template: {e}") from None


def _hf_message(m: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.get("role") or "", "content": m.get("content") or ""}
    if m.get("thinking"):
        out["thinking"] = out["reasoning_content"] = m["thinking"]
    calls = []
    for c in m.get("tool_calls") or []:
        fn = c.get("function") or {}
        call: dict[str, Any] = {"type": "function",
                                "function": {"name": fn.get("name") or "", "arguments": dict(_arguments(fn.get("arguments")))}}
        if c.get("id"):
            call["id"] = c["id"]
        calls.append(call)
    if calls:
        out["tool_calls"] = calls
    if m.get("tool_name"):
        out["name"] = out["tool_name"] = m["tool_name"]
    if m.get("tool_call_id"):
        out["tool_call_id"] = m["tool_call_id"]
    if m.get("images"):
        out["images"] = list(m["images"])
    return out


def render_jinja(chat_template: str, messages: Sequence[Mapping[str, Any]], *,
                 tools: Sequence[Mapping[str, Any]] | None = None, think: ThinkArg = None, bos_token: str = "",
                 eos_token: str = "", add_generation_prompt: bool = True,
                 extra: Mapping[str, Any] | None = None) -> str:
    """Render a Hugging Face style Jinja chat template (sandboxed, with HF's tojson/raise_exception/strftime_now)."""
    import jinja2

    tmpl = _jinja_template(chat_template)
    ctx: dict[str, Any] = {
        "messages": [_hf_message(m) for m in messages], "tools": [dict(t) for t in tools] if tools else None,
        "add_generation_prompt": add_generation_prompt, "bos_token": bos_token, "eos_token": eos_token,
    }
    if think is not None:
        think_val, level, _ = think_values(think)
        ctx["enable_thinking"] = think_val
        if isinstance(think, str):
            ctx["reasoning_effort"] = level
    ctx.update(extra or {})
    try:
        return str(tmpl.render(**ctx))
    except TemplateError:
        raise
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError) as e:
        raise TemplateError(f"chat template: {e}") from None


# ---- capabilities ---------------------------------------------------------------------------------------
def template_capabilities(go_template: str | None, jinja_template: str | None) -> set[str]:
    """Which of {"tools", "thinking", "insert"} a model's template supports (the Go template wins)."""
    from pollama.prompt.thinking import thinking_tags

    caps: set[str] = set()
    if go_template:
        try:
            names = template_vars(Template.parse(go_template))
        except TemplateError:
            return caps
        if "tools" in names:
            caps.add("tools")
        if "suffix" in names:
            caps.add("insert")
        if "think" in names or "thinking" in names or thinking_tags(go_template) is not None:
            caps.add("thinking")
        return caps
    if jinja_template:
        if re.search(r"\btools\b", jinja_template):
            caps.add("tools")
        if any(k in jinja_template for k in ("<think>", "enable_thinking", "reasoning_content")):
            caps.add("thinking")
    return caps
