"""Anthropic-compatible endpoint: /v1/messages (and /v1/messages/count_tokens, an estimate).

Requests become Ollama chat requests served by the inference core (pollama.inference); its events come
back as Anthropic messages, streams as Anthropic's SSE events, errors as `{"type": "error", "error": {...}}`.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from pollama.api.errors import APIError, BadRequest
from pollama.api.types import ChatRequest
from pollama.inference import Done, Event, merge
from pollama.server.streaming import Encoder, api_route, json_body, respond, sse_event
from pollama.server.tool_choice import chat_events, new_id, plan_tools

__all__ = ["router", "anthropic_error", "messages_request", "message_response", "MessageEvents"]

router = APIRouter()
_NO_BODY = "request body must be a JSON object"


# ---- errors ---------------------------------------------------------------------------------------
def _error_type(status: int) -> str:
    return {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
            404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
            503: "overloaded_error", 529: "overloaded_error"}.get(status, "api_error")


def anthropic_error(err: APIError) -> dict[str, Any]:
    return {"type": "error", "error": {"type": _error_type(err.status), "message": err.message},
            "request_id": new_id("req_")}


def _error_response(err: APIError) -> Response:
    return JSONResponse(anthropic_error(err), status_code=err.status)


_route = api_route(_error_response)  # errors before a response exists, in Anthropic's shape


# ---- request translation --------------------------------------------------------------------------
def _image(block: dict[str, Any]) -> str:
    source = block.get("source")
    if not isinstance(source, dict):
        raise BadRequest("invalid image source")
    if source.get("type") != "base64":
        raise BadRequest(f"invalid image source type: {source.get('type')}. Only base64 images are supported.")
    data = source.get("data")
    try:
        base64.b64decode(data if isinstance(data, str) else "", validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("invalid base64 image data") from None
    if not data:
        raise BadRequest("invalid base64 image data")
    return data


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list) or not all(isinstance(b, dict) for b in content):
        raise BadRequest("messages: content must be a string or a list of content blocks")
    return content


def _tool_result(block: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    texts, images = [], []
    content = block.get("content")
    for part in [] if content is None else _blocks(content):
        if part.get("type") == "text":
            texts.append(str(part.get("text", "")))
        elif part.get("type") == "image":
            images.append(_image(part))
    msg: dict[str, Any] = {"role": "tool", "content": "".join(texts)}
    if block.get("is_error") and msg["content"]:
        msg["content"] = "Error: " + msg["content"]
    if images:
        msg["images"] = images
    call_id = block.get("tool_use_id")
    if isinstance(call_id, str):
        msg["tool_call_id"] = call_id
        if call_id in names:
            msg["tool_name"] = names[call_id]
    return msg


_IGNORED_BLOCKS = {"redacted_thinking"}  # encrypted reasoning from Anthropic's own models: nothing to show a model


def _message(msg: Any, names: dict[str, str]) -> list[dict[str, Any]]:
    if not isinstance(msg, dict) or msg.get("role") not in {"user", "assistant"}:
        raise BadRequest("messages: role must be \"user\" or \"assistant\"")
    role = msg["role"]
    texts, images, calls, thinking, results = [], [], [], "", []
    for block in _blocks(msg.get("content")):
        kind = block.get("type")
        if kind == "text":
            if not isinstance(block.get("text"), str):
                raise BadRequest("messages: a text block needs a string 'text'")
            texts.append(block["text"])
        elif kind == "image":
            images.append(_image(block))
        elif kind in {"tool_use", "server_tool_use"}:
            if not block.get("id") or not block.get("name"):
                raise BadRequest("tool_use block missing required 'id' or 'name' field")
            args = block.get("input") or {}
            if not isinstance(args, dict):
                raise BadRequest("tool_use input must be an object")
            calls.append({"id": block["id"], "function": {"name": block["name"], "arguments": args}})
            names[block["id"]] = block["name"]
        elif kind == "tool_result":
            results.append(_tool_result(block, names))
        elif kind == "thinking":
            thinking = str(block.get("thinking") or "")
        elif kind not in _IGNORED_BLOCKS:
            raise BadRequest(f"messages: unsupported content block type: {kind!r}")
    out = []
    if role == "user":
        out.extend(results)
    if texts or images or calls or thinking:
        m: dict[str, Any] = {"role": role, "content": "".join(texts)}
        if images:
            m["images"] = images
        if calls:
            m["tool_calls"] = calls
        if thinking:
            m["thinking"] = thinking
        out.append(m)
    if role != "user":
        out.extend(results)
    return out


def _system(system: Any) -> str:
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    if isinstance(system, list):
        return "".join(str(b.get("text", "")) for b in system if isinstance(b, dict) and b.get("type") == "text")
    raise BadRequest("system: expected a string or a list of text blocks")


def _tools(tools: Any) -> list[dict[str, Any]] | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise BadRequest("tools: expected a list")
    out = []
    for t in tools:
        if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not t["name"]:
            raise BadRequest("tools: every tool needs a name")
        schema = t.get("input_schema") or {"type": "object"}
        if not isinstance(schema, dict):
            raise BadRequest(f"invalid input_schema for tool {t['name']!r}")
        fn = {"name": t["name"], "description": t.get("description") or "", "parameters": schema}
        out.append({"type": "function", "function": fn})
    return out or None


def _tool_choice(choice: Any) -> tuple[str, str | None]:
    if choice is None:
        return "auto", None
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind in {"auto", "none"}:
        return kind, None
    if kind == "any":
        return "required", None
    if kind == "tool" and isinstance(choice.get("name"), str):
        return "named", choice["name"]
    raise BadRequest("tool_choice: expected type auto, any, tool (with a name) or none")


def _think(body: dict[str, Any]) -> bool | str | None:
    thinking = body.get("thinking")
    if isinstance(thinking, dict):
        if thinking.get("type") in {"enabled", "adaptive", "between_tools"}:
            return True
        if thinking.get("type") == "disabled":
            return False
    effort = body.get("output_config", {}).get("effort") if isinstance(body.get("output_config"), dict) else None
    if isinstance(effort, str) and effort.lower() in {"low", "medium", "high", "max", "xhigh"}:
        return "high" if effort.lower() in {"max", "xhigh"} else effort.lower()
    return None


def _format(body: dict[str, Any]) -> dict[str, Any] | None:
    """Structured outputs: `output_config.format` = {"type": "json_schema", "schema": {...}}."""
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), dict):
        raise BadRequest("output_config.format: expected {\"type\": \"json_schema\", \"schema\": {...}}")
    return fmt["schema"]


def _int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{key}: Input should be a valid integer")
    return value


def messages_request(body: dict[str, Any]) -> tuple[ChatRequest, str, str | None]:
    """An Anthropic messages request → (Ollama ChatRequest, tool choice mode, forced tool name)."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("model: Field required")
    max_tokens = _int(body, "max_tokens")
    if max_tokens is None:
        raise BadRequest("max_tokens: Field required")
    if max_tokens < 1:
        raise BadRequest("max_tokens: must be at least 1")
    if not isinstance(body.get("messages"), list):
        raise BadRequest("messages: Field required")
    if not body["messages"]:
        raise BadRequest("messages: at least one message is required")
    options: dict[str, Any] = {"num_predict": max_tokens}
    for key in ("temperature", "top_p"):
        value = body.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise BadRequest(f"{key}: Input should be a valid number")
            options[key] = float(value)
    top_k = _int(body, "top_k")
    if top_k is not None:
        options["top_k"] = top_k
    stops = body.get("stop_sequences")
    if stops:
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise BadRequest("stop_sequences: expected a list of strings")
        options["stop"] = list(stops)
    messages: list[dict[str, Any]] = []
    system = _system(body.get("system"))
    if system:
        messages.append({"role": "system", "content": system})
    names: dict[str, str] = {}
    for msg in body["messages"]:
        messages.extend(_message(msg, names))
    data: dict[str, Any] = {"model": body["model"], "messages": messages, "options": options,
                            "stream": bool(body.get("stream")), "think": _think(body),
                            "tools": _tools(body.get("tools")), "format": _format(body)}
    mode, name = _tool_choice(body.get("tool_choice"))
    try:
        return ChatRequest.model_validate(data, strict=False), mode, name
    except ValidationError as e:
        raise BadRequest(f"invalid request: {e.errors()[0].get('msg', 'invalid value')}") from None


# ---- response translation -------------------------------------------------------------------------
def _stop_reason(done_reason: str | None, tool_use: bool) -> str:
    if tool_use:
        return "tool_use"
    return "max_tokens" if done_reason == "length" else "end_turn"


def _stop_sequence(done: Done) -> str | None:
    return done.stop_sequence or None


def _tool_use(call: dict[str, Any]) -> dict[str, Any]:
    fn = call.get("function") or {}
    call_id = call.get("id")
    return {"type": "tool_use", "id": call_id if isinstance(call_id, str) and call_id.startswith("toolu_")
            else new_id("toolu_"), "name": fn.get("name", ""), "input": fn.get("arguments") or {}}


def _usage(done: Done) -> dict[str, int]:
    m = done.metrics
    return {"input_tokens": m.prompt_eval_count if m else 0, "output_tokens": m.eval_count if m else 0}


def message_response(model: str, events: list[Event]) -> dict[str, Any]:
    """One Anthropic message from all of a request's events."""
    delta, done = merge(events)
    content: list[dict[str, Any]] = []
    if delta.thinking:
        content.append({"type": "thinking", "thinking": delta.thinking, "signature": ""})
    if delta.content:
        content.append({"type": "text", "text": delta.content})
    calls = delta.tool_calls
    content.extend(_tool_use(c) for c in calls)
    stop = _stop_sequence(done)
    return {"id": new_id("msg_"), "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": "stop_sequence" if stop and not calls else _stop_reason(done.reason, bool(calls)),
            "stop_sequence": None if calls else stop, "usage": _usage(done)}


class MessageEvents:
    """Turns a request's events into Anthropic stream events (name, payload)."""

    def __init__(self, model: str, input_estimate: int) -> None:
        self.model = model
        self.input_estimate = input_estimate
        self.id = new_id("msg_")
        self.started = False
        self.index = 0
        self.open: str | None = None
        self.tool_use = False

    def _start(self) -> list[tuple[str, dict[str, Any]]]:
        self.started = True
        message: dict[str, Any] = {"id": self.id, "type": "message", "role": "assistant", "model": self.model,
                                   "content": [], "stop_reason": None, "stop_sequence": None,
                                   "usage": {"input_tokens": self.input_estimate, "output_tokens": 0}}
        return [("message_start", {"type": "message_start", "message": message}), ("ping", {"type": "ping"})]

    def _close(self) -> list[tuple[str, dict[str, Any]]]:
        if self.open is None:
            return []
        self.open = None
        self.index += 1
        return [("content_block_stop", {"type": "content_block_stop", "index": self.index - 1})]

    def _open(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        if self.open == kind:
            return []
        events = self._close()
        block = {"type": "thinking", "thinking": "", "signature": ""} if kind == "thinking" else {"type": "text",
                                                                                                  "text": ""}
        events.append(("content_block_start", {"type": "content_block_start", "index": self.index,
                                               "content_block": block}))
        self.open = kind
        return events

    def _delta(self, delta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return ("content_block_delta", {"type": "content_block_delta", "index": self.index, "delta": delta})

    def convert(self, event: Event) -> list[tuple[str, dict[str, Any]]]:
        events = [] if self.started else self._start()
        if isinstance(event, Done):
            return events + self._end(event)
        if event.thinking:
            events += self._open("thinking")
            events.append(self._delta({"type": "thinking_delta", "thinking": event.thinking}))
        if event.content:
            events += self._open("text")
            events.append(self._delta({"type": "text_delta", "text": event.content}))
        for call in event.tool_calls:
            events += self._close()
            block = _tool_use(call)
            args = json.dumps(block["input"], ensure_ascii=False)
            events.append(("content_block_start", {"type": "content_block_start", "index": self.index,
                                                   "content_block": {**block, "input": {}}}))
            events.append(self._delta({"type": "input_json_delta", "partial_json": args}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": self.index}))
            self.index += 1
            self.tool_use = True
        return events

    def _end(self, done: Done) -> list[tuple[str, dict[str, Any]]]:
        stop = None if self.tool_use else _stop_sequence(done)
        reason = "stop_sequence" if stop else _stop_reason(done.reason, self.tool_use)
        delta = {"stop_reason": reason, "stop_sequence": stop}
        return self._close() + [("message_delta", {"type": "message_delta", "delta": delta, "usage": _usage(done)}),
                                ("message_stop", {"type": "message_stop"})]


class _Messages(Encoder[Event]):
    """A request's events as Anthropic's stream events, or (stream=false) one message; errors in
    Anthropic's shape."""

    media_type: ClassVar[str] = "text/event-stream"
    headers: ClassVar[dict[str, str]] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

    def __init__(self, model: str, input_estimate: int) -> None:
        self.model = model
        self.events = MessageEvents(model, input_estimate)

    def frames(self, item: Event) -> list[bytes]:
        return [sse_event(name, payload) for name, payload in self.events.convert(item)]

    def single(self, items: list[Event]) -> Response:
        return JSONResponse(message_response(self.model, items))

    def error_body(self, err: APIError) -> dict[str, Any]:
        return anthropic_error(err)

    def error_frame(self, err: APIError) -> bytes:
        return sse_event("error", {"type": "error", "error": anthropic_error(err)["error"]})


def estimate_tokens(body: dict[str, Any]) -> int:
    """Ollama's rough count: characters of system, messages and tools over 4."""
    size = len(_system(body.get("system")))
    for msg in body.get("messages") or []:
        if isinstance(msg, dict):
            size += len(str(msg.get("role", ""))) + len(json.dumps(msg.get("content"), ensure_ascii=False))
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        size += len(json.dumps(tool, ensure_ascii=False))
    return max(size // 4, 1 if body.get("messages") or body.get("system") else 0)


# ---- routes ---------------------------------------------------------------------------------------
@router.post("/v1/messages")
@_route
async def messages(request: Request) -> Response:
    t0 = time.perf_counter()
    body = await json_body(request, _NO_BODY)
    req, mode, name = messages_request(body)
    store, sched = request.app.state.store, request.app.state.scheduler
    tools = [t.model_dump(exclude_none=True) for t in req.tools or []]
    req, plan = await plan_tools(store, req, tools, mode, name)
    encoder = _Messages(body["model"], estimate_tokens(body))
    return await respond(request, chat_events(store, sched, req, plan, t0), encoder, bool(req.stream))


@router.post("/v1/messages/count_tokens")
@_route
async def count_tokens(request: Request) -> Response:
    body = await json_body(request, _NO_BODY)
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("model: Field required")
    if not isinstance(body.get("messages"), list):
        raise BadRequest("messages: Field required")
    _system(body.get("system"))
    _tools(body.get("tools"))
    return JSONResponse({"input_tokens": estimate_tokens(body)})
