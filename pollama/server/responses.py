"""OpenAI's Responses API, as Ollama serves it: POST /v1/responses.

A request becomes an Ollama chat request (Ollama's openai.FromResponsesRequest: `instructions` as the first
system message, `input` text or items, function tools, `text.format`, `reasoning.effort` as think) served by
the inference core like /v1/chat/completions; its events come back as one `response` object or as the
Responses stream events, numbered by `sequence_number` (Ollama's ResponsesStreamConverter). Errors before
the answer are OpenAI's error objects; an error mid-stream is a `response.failed` event. Nothing is stored:
`previous_response_id` and `conversation` are refused rather than ignored.
"""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pollama.api.errors import APIError, BadRequest
from pollama.api.types import ChatRequest
from pollama.inference import Done, Event
from pollama.server.openai import (
    _image,
    _number,
    _openai_calls,
    _think,
    _tool_calls,
    _tool_choice,
    _validate,
    openai_error,
)
from pollama.server.streaming import Encoder, api_route, json_body, respond, sse_event
from pollama.server.tool_choice import chat_events, new_id, plan_tools

__all__ = ["router", "responses_request", "ResponseEvents"]

router = APIRouter()
_route = api_route(lambda err: JSONResponse(openai_error(err), status_code=err.status))


# ---- request translation --------------------------------------------------------------------------
def _parts(content: Any, where: str) -> tuple[str, list[str]]:
    """A message's (or a function output's) content: a string or content parts → (text, images)."""
    if content is None or isinstance(content, str):
        return content or "", []
    if not isinstance(content, list):
        raise BadRequest(f"{where}: content must be a string or array")
    text, images = [], []
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in {"input_text", "output_text"} and isinstance(part.get("text"), str):
            text.append(part["text"])
        elif kind == "input_image":
            if part.get("image_url"):  # a file_id cannot be resolved: skipped, as in Ollama
                images.append(_image(part))
        elif kind == "input_file":
            raise BadRequest("file inputs are not currently supported")
        else:
            raise BadRequest(f"{where}[{i}]: unknown content type: {kind}")
    return "".join(text), images


def _message(item: dict[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    if not isinstance(role, str) or not role:
        raise BadRequest(f"{where}: a message needs a role")
    text, images = _parts(item.get("content"), f"{where}: content")
    msg: dict[str, Any] = {"role": "system" if role == "developer" else role, "content": text}
    if images:
        msg["images"] = images
    return msg


def _call(item: dict[str, Any]) -> dict[str, Any]:
    """A `function_call` item as an Ollama tool call (its call_id as the id)."""
    call = {"id": item.get("call_id"), "function": {"name": item.get("name"), "arguments": item.get("arguments")}}
    return _tool_calls([call])[0]


def _reasoning(item: dict[str, Any]) -> str:
    """The thinking a replayed reasoning item carries: its encrypted_content (where pollama and Ollama put
    it), else its summary's text."""
    if isinstance(item.get("encrypted_content"), str) and item["encrypted_content"]:
        return str(item["encrypted_content"])
    summary = item.get("summary")
    return "".join(s.get("text", "") for s in summary if isinstance(s, dict)) if isinstance(summary, list) else ""


class _History:
    """Input items → chat messages, as Ollama merges them: a reasoning item's thinking goes to the next
    assistant turn, function calls join the assistant message before them, and an assistant message
    replayed between a call and its output joins that call's message."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.thinking = ""
        self.names: dict[str, str] = {}  # call_id -> function name, for the tool messages

    def _last_assistant(self) -> dict[str, Any] | None:
        last = self.messages[-1] if self.messages else None
        return last if last is not None and last["role"] == "assistant" else None

    def _take_thinking(self, msg: dict[str, Any]) -> None:
        if self.thinking:
            msg["thinking"], self.thinking = self.thinking, ""

    def message(self, msg: dict[str, Any], answers: str | None) -> None:
        """`answers`: the call_id of the function_call_output right after this item, if one is."""
        if msg["role"] == "assistant":
            self._take_thinking(msg)
            last = self._last_assistant()
            if answers and last and any(c.get("id") == answers for c in last.get("tool_calls", [])):
                last["content"] = "\n".join(t for t in (last["content"], msg["content"]) if t)
                if msg.get("images"):
                    last.setdefault("images", []).extend(msg["images"])
                if msg.get("thinking"):
                    last["thinking"] = msg["thinking"]
                return
        self.messages.append(msg)

    def call(self, call: dict[str, Any]) -> None:
        if call.get("id"):
            self.names[call["id"]] = call["function"]["name"]
        last = self._last_assistant()
        if last is None:
            last = {"role": "assistant", "content": ""}
            self.messages.append(last)
        last.setdefault("tool_calls", []).append(call)
        self._take_thinking(last)

    def output(self, item: dict[str, Any], where: str) -> None:
        text, images = _parts(item.get("output"), f"{where}: output")
        call_id = item.get("call_id")
        msg: dict[str, Any] = {"role": "tool", "content": text}
        if images:
            msg["images"] = images
        if isinstance(call_id, str):
            msg["tool_call_id"] = call_id
            if call_id in self.names:
                msg["tool_name"] = self.names[call_id]
        self.messages.append(msg)

    def end(self) -> list[dict[str, Any]]:
        if self.thinking:  # reasoning with no turn after it is an assistant turn of its own
            self.messages.append({"role": "assistant", "content": "", "thinking": self.thinking})
        return self.messages


def _item_type(item: Any, where: str) -> str:
    if not isinstance(item, dict):
        raise BadRequest(f"{where}: an input item must be an object")
    kind = item.get("type") or ("message" if item.get("role") else "")
    if not kind:
        raise BadRequest(f"{where}: input item missing required 'type' field")
    return str(kind)


def _input(items: list[Any], history: _History) -> None:
    for i, item in enumerate(items):
        where, kind = f"input[{i}]", _item_type(item, f"input[{i}]")
        following = items[i + 1] if i + 1 < len(items) else None
        answers = following.get("call_id") if isinstance(following, dict) and \
            following.get("type") == "function_call_output" else None
        if kind == "message":
            history.message(_message(item, where), answers)
        elif kind == "function_call":
            history.call(_call(item))
        elif kind == "function_call_output":
            history.output(item, where)
        elif kind == "reasoning":
            history.thinking = _reasoning(item)
        elif kind != "web_search_call":  # a replayed search is history only, as in Ollama
            raise BadRequest(f"{where}: unknown input item type: {json.dumps(kind)}")


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    history = _History()
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise BadRequest("invalid instructions: expected a string")
    if instructions:
        history.messages.append({"role": "system", "content": instructions})
    raw = body.get("input")
    if isinstance(raw, str):
        if raw:
            history.messages.append({"role": "user", "content": raw})
    elif isinstance(raw, list):
        _input(raw, history)
    elif raw is not None:
        raise BadRequest("input must be a string or array")
    return history.end()


def _tools(raw: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Responses tools (flat: type, name, description, parameters) as Ollama tools; a namespace's members
    are named `namespace.member`."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise BadRequest("invalid tools: expected a list of objects")
    out = []
    for tool in raw:
        name = tool.get("name")
        if tool.get("type") == "web_search":
            raise BadRequest("the web_search tool is not supported: this server has no web search")
        if tool.get("type") == "namespace":
            out += _tools(tool.get("tools") or [], f"{prefix}{name}." if name else prefix)
            continue
        if not isinstance(name, str) or not name:
            raise BadRequest("invalid tools: every tool needs a name")
        params = tool.get("parameters")
        out.append({"type": "function", "function": {
            "name": name if name.startswith(prefix) else prefix + name,
            "description": tool.get("description") or "",
            "parameters": params if isinstance(params, dict) else {"type": "object", "properties": {}}}})
    return out


def _format(text: Any) -> Any:
    fmt = text.get("format") if isinstance(text, dict) else None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind in {None, "text"}:
        return None
    if kind == "json_object":
        return "json"
    if kind == "json_schema" and isinstance(fmt, dict) and isinstance(fmt.get("schema"), dict):
        return fmt["schema"]
    raise BadRequest("invalid text.format: expected text, json_object, or json_schema with a schema object")


def _options(body: dict[str, Any]) -> dict[str, Any]:
    """temperature defaults to OpenAI's 1.0, top_p to the model's (as in Ollama)."""
    opts: dict[str, Any] = {"temperature": 1.0}
    for key, option, kind in (("temperature", "temperature", float), ("top_p", "top_p", float),
                              ("max_output_tokens", "num_predict", int)):
        value = _number(body, key, kind)
        if value is not None:
            opts[option] = value
    return opts


def responses_request(body: dict[str, Any]) -> tuple[ChatRequest, str, str | None]:
    """A Responses request → (Ollama ChatRequest, tool choice mode, forced name)."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("model is required")
    for key in ("previous_response_id", "conversation"):
        if body.get(key):
            raise BadRequest(f"{key} is not supported: this server stores no responses, send the whole input")
    data: dict[str, Any] = {
        "model": body["model"], "messages": _messages(body), "options": _options(body),
        "stream": bool(body.get("stream")), "format": _format(body.get("text")), "think": _think(body),
        "tools": _tools(body.get("tools")) or None,
    }
    if body.get("keep_alive") is not None:
        data["keep_alive"] = body["keep_alive"]
    mode, name = _tool_choice(body.get("tool_choice"))
    return _validate(ChatRequest, data), mode, name


# ---- the response object and its stream events ----------------------------------------------------
def _echo(body: dict[str, Any]) -> dict[str, Any]:
    """The request's settings, as every response object repeats them."""
    reasoning, text = body.get("reasoning"), body.get("text")
    reasoning = reasoning if isinstance(reasoning, dict) else {}
    text = text if isinstance(text, dict) else {}
    return {
        "instructions": body.get("instructions") or None, "tools": body.get("tools") or [],
        "tool_choice": body.get("tool_choice") or "auto", "truncation": body.get("truncation") or "disabled",
        "parallel_tool_calls": True, "text": {"format": text.get("format") or {"type": "text"}},
        "top_p": body.get("top_p") if body.get("top_p") is not None else 1.0,
        "presence_penalty": 0, "frequency_penalty": 0, "top_logprobs": 0,
        "temperature": body.get("temperature") if body.get("temperature") is not None else 1.0,
        "reasoning": ({"effort": reasoning.get("effort"), "summary": reasoning.get("summary")}
                      if reasoning.get("effort") or reasoning.get("summary") else None),
        "max_output_tokens": body.get("max_output_tokens"), "max_tool_calls": None, "store": False,
        "background": bool(body.get("background")), "service_tier": "default", "metadata": {},
        "safety_identifier": None, "prompt_cache_key": None,
    }


def _usage(done: Done) -> dict[str, Any]:
    prompt, output = (done.metrics.prompt_eval_count, done.metrics.eval_count) if done.metrics else (0, 0)
    return {"input_tokens": prompt, "output_tokens": output, "total_tokens": prompt + output,
            "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


Frame = tuple[str, dict[str, Any]]


class ResponseEvents:
    """One response's stream: the core's events → Responses events, in order and numbered. At most one
    output item is open at a time (reasoning, then the message; a function call opens and closes at once),
    so an item's output_index is the number of items finished before it. Text after a tool call is dropped,
    as Ollama drops it."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.echo, self.model = _echo(body), body["model"]
        self.id, self.created = new_id("resp_", digits=True), int(time.time())
        self.sequence = 0
        self.items: list[dict[str, Any]] = []  # finished output items
        self.open: dict[str, Any] | None = None  # the reasoning or message item being streamed
        self.called = False

    def response(self, status: str, usage: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        return {"id": self.id, "object": "response", "created_at": self.created, "completed_at": None,
                "status": status, "incomplete_details": None, "model": self.model, "previous_response_id": None,
                "output": list(self.items), "error": None, "usage": usage, **self.echo, **more}

    def _event(self, kind: str, **fields: Any) -> Frame:
        payload = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return kind, payload

    def _where(self) -> dict[str, Any]:
        return {"item_id": self.open["id"] if self.open else "", "output_index": len(self.items)}

    def convert(self, event: Event) -> list[Frame]:
        frames = [] if self.sequence else [self._event("response.created", response=self.response("in_progress")),
                                           self._event("response.in_progress", response=self.response("in_progress"))]
        if isinstance(event, Done):
            return frames + self._close() + [self._event(
                "response.completed", response=self.response("completed", _usage(event),
                                                             completed_at=int(time.time())))]
        if event.thinking:
            frames += self._add("reasoning", event.thinking)
        if event.tool_calls:
            frames += self._close() + [f for call in _openai_calls(event.tool_calls, 0) for f in self._call(call)]
            self.called = True
        if event.content and not self.called:
            frames += self._add("message", event.content)
        return frames

    def failed(self, err: APIError) -> Frame:
        """The event that ends a stream cut by an error."""
        code = "rate_limit_exceeded" if err.status == 429 else "api_error"
        return self._event("response.failed", response=self.response(
            "failed", error={"code": code, "message": err.message}))

    # -- items --
    def _start(self, kind: str) -> list[Frame]:
        """Open a reasoning or message item, unless one of that kind is open already."""
        if self.open is not None and self.open["type"] == kind:
            return []
        frames = self._close()
        if kind == "reasoning":
            item: dict[str, Any] = {"id": new_id("rs_", digits=True), "type": "reasoning", "summary": []}
        else:
            item = {"id": new_id("msg_", digits=True), "type": "message", "status": "in_progress",
                    "role": "assistant", "content": []}
        frames.append(self._event("response.output_item.added", output_index=len(self.items), item=item))
        self.open = {**item, "text": ""}
        if kind == "message":
            frames.append(self._event("response.content_part.added", **self._where(), content_index=0,
                                      part=_text_part("")))
        return frames

    def _add(self, kind: str, text: str) -> list[Frame]:
        frames = self._start(kind)
        assert self.open is not None
        self.open["text"] += text
        if kind == "reasoning":
            return frames + [self._event("response.reasoning_summary_text.delta", **self._where(),
                                         summary_index=0, delta=text)]
        return frames + [self._event("response.output_text.delta", **self._where(), content_index=0, delta=text,
                                     logprobs=[])]

    def _close(self) -> list[Frame]:
        """Finish the open item, if there is one."""
        item, where = self.open, self._where()
        if item is None:
            return []
        text = item["text"]
        if item["type"] == "reasoning":
            done = {"id": item["id"], "type": "reasoning", "summary": [{"type": "summary_text", "text": text}],
                    "encrypted_content": text}
            frames = [self._event("response.reasoning_summary_text.done", **where, summary_index=0, text=text)]
        else:
            done = {"id": item["id"], "type": "message", "status": "completed", "role": "assistant",
                    "content": [_text_part(text)]}
            frames = [self._event("response.output_text.done", **where, content_index=0, text=text, logprobs=[]),
                      self._event("response.content_part.done", **where, content_index=0, part=_text_part(text))]
        self.open = None
        return frames + self._finish(done)

    def _finish(self, item: dict[str, Any]) -> list[Frame]:
        frame = self._event("response.output_item.done", output_index=len(self.items), item=item)
        self.items.append(item)
        return [frame]

    def _call(self, call: dict[str, Any]) -> list[Frame]:
        fn = call["function"]
        item = {"id": new_id("fc_", digits=True), "type": "function_call", "status": "in_progress",
                "call_id": call["id"], "name": fn["name"], "arguments": ""}
        where = {"item_id": item["id"], "output_index": len(self.items)}
        return [self._event("response.output_item.added", output_index=len(self.items), item=item),
                self._event("response.function_call_arguments.delta", **where, delta=fn["arguments"]),
                self._event("response.function_call_arguments.done", **where, arguments=fn["arguments"]),
                *self._finish({**item, "status": "completed", "arguments": fn["arguments"]})]


class _Responses(Encoder[Event]):
    """The stream's events as named server-sent events, or (stream=false) the response object its last
    event carries; errors in OpenAI's shape."""

    media_type: ClassVar[str] = "text/event-stream"
    headers: ClassVar[dict[str, str]] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

    def __init__(self, body: dict[str, Any]) -> None:
        self.events = ResponseEvents(body)

    def frames(self, item: Event) -> list[bytes]:
        return [sse_event(name, payload) for name, payload in self.events.convert(item)]

    def single(self, items: list[Event]) -> Response:
        frames = [frame for item in items for frame in self.events.convert(item)]
        return JSONResponse(frames[-1][1]["response"])

    def error_body(self, err: APIError) -> dict[str, Any]:
        return openai_error(err)

    def error_frame(self, err: APIError) -> bytes:
        return sse_event(*self.events.failed(err))


@router.post("/v1/responses")
@_route
async def responses(request: Request) -> Response:
    t0 = time.perf_counter()
    body = await json_body(request, "missing request body")
    req, mode, name = responses_request(body)
    store, sched = request.app.state.store, request.app.state.scheduler
    tools = [t.model_dump(exclude_none=True) for t in req.tools or []]
    req, plan = await plan_tools(store, req, tools, mode, name)
    events = chat_events(store, sched, req, plan, t0)
    return await respond(request, events, _Responses(body), bool(req.stream))
