"""Forced tool calls for the OpenAI and Anthropic endpoints.

`tool_choice` "required" / a named function (Anthropic: "any" / "tool") is honoured with a grammar that
lets the model write only `{"name": <allowed name>, "arguments": <that tool's parameters>}`; the text is
then turned into a tool call here. `chat_events` wraps the core's chat (pollama.inference) so both
endpoints see ordinary events either way.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from pollama import inference
from pollama.api.errors import BadRequest
from pollama.api.types import ChatRequest, Message
from pollama.grammar import schema_to_grammar
from pollama.inference import Delta, Done, Event, resolve_model
from pollama.inference.output import parser_name
from pollama.prompt.tools import ToolCallFormat, tool_call_format
from pollama.sched import Scheduler
from pollama.store import Store

__all__ = ["ToolPlan", "plan_tools", "call_grammar", "parse_forced_call", "close_partial_json",
           "chat_events", "new_id"]


def new_id(prefix: str, digits: bool = False) -> str:
    """`prefix` + a random suffix: decimal (`chatcmpl-123456789`) or hex (`toolu_1f3a...`)."""
    return prefix + (str(secrets.randbelow(10**9)) if digits else secrets.token_hex(12))


@dataclass
class ToolPlan:
    """How a request's tools reach the model."""

    tools: list[dict[str, Any]] | None = None  # what the chat gets (None: no tools in the prompt)
    forced: list[str] = field(default_factory=list)  # names the model must pick from; empty: not forced
    grammar: str | None = None
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: ToolCallFormat | None = None  # how the model's template writes calls, when it has tools


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    fn = tool.get("function")
    return fn if isinstance(fn, dict) else {}


def _parameters(tool: dict[str, Any]) -> dict[str, Any]:
    params = _function(tool).get("parameters")
    return params if isinstance(params, dict) and params else {"type": "object"}


def _gbnf_literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def call_grammar(tools: list[dict[str, Any]], names: list[str], fmt: ToolCallFormat | None = None) -> str:
    """GBNF for one call whose name is one of `names` and whose arguments fit its schema.

    `fmt` wraps the JSON the way the model's template writes calls, e.g.
    `<tool_call>{"name": ..., "arguments": ...}</tool_call>`; None means bare JSON.
    """
    fmt = fmt or ToolCallFormat()
    name_key, args_key = fmt.name_key, fmt.args_key
    by_name = {_function(t).get("name"): t for t in tools}

    def schema(loose: bool) -> dict[str, Any]:
        alternatives = [{"type": "object", "additionalProperties": False, "required": [name_key, args_key],
                         "properties": {name_key: {"const": n},
                                        args_key: {"type": "object"} if loose else _parameters(by_name[n])}}
                        for n in names]
        return alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives}

    try:
        gbnf = schema_to_grammar(schema(False))
    except Exception:  # a parameters schema the converter cannot express: any object will do
        try:
            gbnf = schema_to_grammar(schema(True))
        except Exception as e:
            raise BadRequest(f"cannot build a grammar for the tools: {e}") from None
    prefix, suffix = fmt.prefix, fmt.suffix
    as_list = "[" in fmt.openers
    if not prefix and not suffix and not as_list:
        return gbnf
    body = '"[" space call-json "]" space' if as_list else "call-json"
    parts = ([_gbnf_literal(prefix), '"\\n"?'] if prefix else []) + [body] + (
        ['"\\n"?', _gbnf_literal(suffix)] if suffix else [])
    renamed = re.sub(r"^root ::= ", "call-json ::= ", gbnf, flags=re.MULTILINE)
    return f"root ::= {' '.join(parts)}\n{renamed}"


def _tool_prompt(tools: list[dict[str, Any]], names: list[str]) -> str:
    listed = [_function(t) for t in tools if _function(t).get("name") in names]
    return ("You must call one of these functions:\n" + json.dumps(listed, ensure_ascii=False) +
            '\nAnswer with only a JSON object {"name": <function name>, "arguments": <arguments object>}.')


async def plan_tools(store: Store, req: ChatRequest, tools: list[dict[str, Any]] | None, mode: str,
                     name: str | None = None) -> tuple[ChatRequest, ToolPlan]:
    """Apply a tool choice (`mode`: auto | none | required | named) to a chat request.

    Models whose template cannot describe tools get the tool list in a system message when a call is
    forced; with "auto" such a model answers 400 as on /api/chat.
    """
    tools = tools or None
    if mode == "none" or not tools:
        if mode in {"required", "named"} and not tools:
            raise BadRequest("tool_choice requires tools")
        return req.model_copy(update={"tools": None}), ToolPlan()
    names = [n for n in (_function(t).get("name") for t in tools) if isinstance(n, str) and n]
    if len(names) != len(tools):
        raise BadRequest("every tool needs a function name")
    plan = ToolPlan(tools=tools)
    if mode == "auto":
        return req, plan
    if mode == "named":
        if name not in names:
            raise BadRequest(f"tool_choice names an unknown function: {name!r}")
        names = [name]
    plan.forced = names
    plan.schemas = {_function(t)["name"]: _parameters(t) for t in tools}
    model = await resolve_model(store, req.model_name)
    if "tools" in model.capabilities:  # a built-in parser's own call format is not JSON: the call is bare JSON
        plan.format = None if parser_name(model) else tool_call_format(model.template or model.chat_template or "")
        plan.grammar = call_grammar(tools, names, plan.format)
        return req, plan
    plan.grammar = call_grammar(tools, names)
    plan.tools = None
    note = _tool_prompt(tools, names)
    messages = list(req.messages)
    if messages and messages[0].role == "system":
        messages[0] = messages[0].model_copy(update={"content": f"{messages[0].content}\n\n{note}".strip()})
    else:
        messages.insert(0, Message(role="system", content=note))
    return req.model_copy(update={"tools": None, "messages": messages}), plan


# ---- turning the forced text into a call ---------------------------------------------------------
def close_partial_json(text: str) -> Any:
    """Best effort: the value a truncated JSON text was heading for (None when nothing usable)."""
    text = text.strip()
    if not text:
        return None
    try:
        return json.JSONDecoder(strict=False).raw_decode(text)[0]  # trailing text (a closing tag) is ignored
    except json.JSONDecodeError:
        pass
    stacks: list[tuple[int, str, bool]] = []  # (cut position, closers, cut is inside a string)
    stack: list[str] = []
    in_string = escape = False
    for i, ch in enumerate(text):
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
            stacks.append((i + 1, "".join(reversed(stack)), False))
        elif ch in "}]":
            if stack:
                stack.pop()
            stacks.append((i + 1, "".join(reversed(stack)), False))
        elif ch == ",":
            stacks.append((i, "".join(reversed(stack)), False))
    tail = text[:-1] if escape else text
    candidates = [(len(tail), "".join(reversed(stack)), in_string)] + list(reversed(stacks))[:200]
    for cut, closers, quote in candidates:
        head = tail[:cut] if cut <= len(tail) else tail
        try:
            return json.loads(head + ('"' if quote else "") + closers, strict=False)
        except json.JSONDecodeError:
            continue
    return None


def parse_forced_call(text: str, names: list[str], fmt: ToolCallFormat | None = None) -> dict[str, Any] | None:
    """An Ollama tool call from the model's `{"name", "arguments"}` text (in the template's wrapper and
    keys when `fmt` is given), repairing a truncated one."""
    fmt = fmt or ToolCallFormat()
    name_key, args_key = fmt.name_key, fmt.args_key
    if fmt.prefix and fmt.prefix in text:
        text = text.split(fmt.prefix, 1)[1]
    value = close_partial_json(_strip_fences(text))
    if isinstance(value, list):
        value = value[0] if value else {}
    if not isinstance(value, dict):
        value = {}
    name = value.get(name_key, value.get("name"))
    if name not in names:
        matches = [n for n in names if isinstance(name, str) and name and n.startswith(name)]
        if len(matches) == 1:
            name = matches[0]
        elif len(names) == 1:
            name = names[0]
        else:
            return None
    args = value.get(args_key, value.get("arguments"))
    if isinstance(args, str):
        args = close_partial_json(args)
    return {"function": {"name": name, "arguments": args if isinstance(args, dict) else {}}}


def _strip_fences(text: str) -> str:
    """From the first bracket on: drops a tag or ``` fence the call is wrapped in."""
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    return text[min(starts):] if starts else text.strip()


# ---- the chat stream with the forced call applied ------------------------------------------------
async def chat_events(store: Store, sched: Scheduler, req: ChatRequest, plan: ToolPlan,
                      t0: float | None = None) -> AsyncGenerator[Event, None]:
    """The core's chat events for the request's model; when a call is forced, its JSON text comes back
    as a tool call."""
    t0 = t0 or time.perf_counter()
    model = await resolve_model(store, req.model_name)
    events = inference.chat(sched, model, req, t0, grammar=plan.grammar if plan.forced else None)
    if plan.forced:
        events = _forced(events, plan)
    async with contextlib.aclosing(events):
        async for event in events:
            yield event


async def _forced(events: AsyncGenerator[Event, None], plan: ToolPlan) -> AsyncGenerator[Event, None]:
    """Holds the answer text back and, at the end, turns it into the forced call (unless the template's
    own parser already found calls); thinking and logprobs pass on at once."""
    text: list[str] = []
    calls: list[dict[str, Any]] = []
    async with contextlib.aclosing(events):
        async for event in events:
            if isinstance(event, Done):
                calls.extend(_forced_calls(calls, "".join(text), plan))
                if calls:
                    yield Delta(tool_calls=calls)
                elif text:
                    yield Delta(content="".join(text))
                yield event
                return
            calls.extend(event.tool_calls)
            if event.content:
                text.append(event.content)
            if event.thinking or event.logprobs:
                yield Delta(thinking=event.thinking, logprobs=event.logprobs)


def _forced_calls(parsed: list[dict[str, Any]], text: str, plan: ToolPlan) -> list[dict[str, Any]]:
    if parsed:  # the template's own parser recognised the call
        return []
    call = parse_forced_call(text, plan.forced, plan.format)
    return [call] if call else []
