"""OpenAI-compatible endpoints: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models.

Requests are translated into Ollama requests and served by the inference core (pollama.inference); its
events come back in OpenAI's shapes, streams as server-sent events, errors as OpenAI's error objects.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import struct
import time
from collections.abc import Callable
from typing import Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from pollama import inference
from pollama.api.errors import APIError, BadRequest, ModelNotFound
from pollama.api.types import ChatRequest, GenerateRequest
from pollama.inference import Delta, Done, Event, merge, resolve_model
from pollama.sched import Scheduler
from pollama.server.streaming import Encoder, api_route, json_body, respond, until_disconnected
from pollama.server.tool_choice import chat_events, new_id, plan_tools
from pollama.store import Model, Store, parse_name
from pollama.store.names import Name

__all__ = ["router", "openai_error", "chat_request", "completion_request", "embedding_inputs",
           "ChatChunks", "chat_completion", "SSE"]

router = APIRouter()
_NO_BODY = "missing request body"
_IMAGE_PREFIXES = ("data:;base64,",) + tuple(f"data:image/{t};base64," for t in ("jpeg", "jpg", "png", "webp", "gif"))


# ---- errors ---------------------------------------------------------------------------------------
def _error_type(status: int) -> str:
    return {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
            404: "not_found_error", 429: "rate_limit_error", 503: "server_busy"}.get(status, "api_error")


def openai_error(err: APIError) -> dict[str, Any]:
    """OpenAI's error body for an APIError (types as Ollama's openai middleware names them)."""
    code = "model_not_found" if isinstance(err, ModelNotFound) else None
    return {"error": {"message": err.message, "type": _error_type(err.status), "param": None, "code": code}}


def _error_response(err: APIError) -> Response:
    return JSONResponse(openai_error(err), status_code=err.status)


_route = api_route(_error_response)  # errors before a response exists, in OpenAI's shape


def _validate(cls: type[Any], data: dict[str, Any]) -> Any:
    try:
        return cls.model_validate(data, strict=False)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise BadRequest(f"invalid request: {loc}: {first.get('msg', 'invalid value')}") from None


# ---- request translation --------------------------------------------------------------------------
def _number(body: dict[str, Any], key: str, kind: type = float) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
        raise BadRequest(f"invalid type for '{key}': expected {'an integer' if kind is int else 'a number'}")
    return kind(value)


def _stop(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return list(value)
    raise BadRequest("invalid type for 'stop' field: expected a string or a list of strings")


def _options(body: dict[str, Any]) -> dict[str, Any]:
    """Sampling options; temperature and top_p default to OpenAI's 1.0 as in Ollama."""
    opts: dict[str, Any] = {"temperature": 1.0, "top_p": 1.0}
    for key in ("temperature", "top_p", "frequency_penalty", "presence_penalty"):
        value = _number(body, key)
        if value is not None:
            opts[key] = value
    for key in ("max_completion_tokens", "max_tokens"):
        value = _number(body, key, int)
        if value is not None:
            opts["num_predict"] = value
            break
    seed = _number(body, "seed", int)
    if seed is not None:
        opts["seed"] = seed
    stop = _stop(body.get("stop"))
    if stop is not None:
        opts["stop"] = stop
    return opts


def _image(part: dict[str, Any]) -> str:
    url = part.get("image_url")
    if isinstance(url, dict):
        url = url.get("url")
    if not isinstance(url, str):
        raise BadRequest("invalid message format: image_url needs a url")
    if url.startswith(("http://", "https://")):  # the server fetches nothing a client names (Ollama's words)
        raise BadRequest("image URLs are not currently supported, please use base64 encoded data instead")
    prefix = next((p for p in _IMAGE_PREFIXES if url.startswith(p)), None)
    if prefix is None:
        raise BadRequest("invalid image input: only base64 data URLs (jpeg, png, webp, gif) are supported")
    data = url[len(prefix):]
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("invalid image input: bad base64 data") from None
    return data


def _content(content: Any) -> tuple[str, list[str]]:
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if not isinstance(content, list):
        raise BadRequest(f"invalid message content type: {type(content).__name__}")
    texts, images = [], []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in {"text", "input_text"} and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            images.append(_image(part))
        elif kind == "refusal":
            texts.append(str(part.get("refusal", "")))
        else:
            raise BadRequest("invalid message format: unsupported content part")
    return "\n".join(texts), images


def _tool_calls(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise BadRequest("invalid message format: tool_calls must be a list")
    calls = []
    for call in raw:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise BadRequest("invalid tool call: a function name is required")
        args = fn.get("arguments")
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except json.JSONDecodeError:
                raise BadRequest("invalid tool call arguments") from None
        if not isinstance(args, dict):
            raise BadRequest("invalid tool call arguments")
        out: dict[str, Any] = {"function": {"name": fn["name"], "arguments": args}}
        if isinstance(call.get("id"), str):
            out["id"] = call["id"]
        calls.append(out)
    return calls


def _messages(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise BadRequest("[] is too short - 'messages'")
    names_by_id: dict[str, str] = {}
    out = []
    for msg in raw:
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            raise BadRequest("invalid message format: each message needs a role")
        role = msg["role"].lower()
        role = "system" if role == "developer" else role
        if msg.get("content") is None and not msg.get("tool_calls") and role != "assistant":
            raise BadRequest(f"invalid message content type: {type(msg.get('content')).__name__}")
        text, images = _content(msg.get("content"))
        m: dict[str, Any] = {"role": role, "content": text}
        if images:
            m["images"] = images
        reasoning = msg.get("reasoning") or msg.get("reasoning_content")
        if isinstance(reasoning, str) and reasoning:
            m["thinking"] = reasoning
        if msg.get("tool_calls"):
            m["tool_calls"] = _tool_calls(msg["tool_calls"])
            for call in m["tool_calls"]:
                if "id" in call:
                    names_by_id[call["id"]] = call["function"]["name"]
        if role == "tool":
            call_id = msg.get("tool_call_id")
            name = msg.get("name") or (names_by_id.get(call_id) if isinstance(call_id, str) else None)
            if name:
                m["tool_name"] = name
            if isinstance(call_id, str):
                m["tool_call_id"] = call_id
        out.append(m)
    return out


def _format(response_format: Any) -> Any:
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise BadRequest("invalid response_format: expected an object")
    kind = str(response_format.get("type", "")).strip().lower()
    if kind in {"", "text"}:
        return None
    if kind == "json_object":
        return "json"
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise BadRequest("invalid response_format: json_schema.schema must be an object")
        return schema
    raise BadRequest(f"invalid response_format type: {kind!r}")


# OpenAI's reasoning efforts as Ollama's think values: the ends of OpenAI's scale clamp to Ollama's
_EFFORTS: dict[str, bool | str] = {"none": False, "minimal": "low", "low": "low", "medium": "medium", "high": "high",
                                   "xhigh": "max", "ultra": "max", "max": "max"}


def _think(body: dict[str, Any]) -> bool | str | None:
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else body.get("reasoning_effort")
    if effort is None or effort == "":
        return None
    if not isinstance(effort, str) or effort not in _EFFORTS:
        raise BadRequest(f"invalid reasoning value: {json.dumps(effort)} (must be \"minimal\", \"low\", \"medium\", "
                         "\"high\", \"xhigh\", \"ultra\", \"max\", or \"none\")")
    return _EFFORTS[effort]


def _tool_choice(value: Any) -> tuple[str, str | None]:
    if value is None or value == "auto":
        return "auto", None
    if isinstance(value, str) and value in {"none", "required"}:
        return value, None
    if isinstance(value, dict):
        fn = value.get("function")
        name = fn.get("name") if isinstance(fn, dict) else value.get("name")
        if isinstance(name, str) and name:
            return "named", name
    raise BadRequest("invalid tool_choice: expected \"none\", \"auto\", \"required\" or a named function")


def _single_choice(body: dict[str, Any]) -> None:
    for key in ("n", "best_of"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or value != 1):
            raise BadRequest(f"only {key}=1 is supported")


def chat_request(body: dict[str, Any]) -> tuple[ChatRequest, str, str | None]:
    """An OpenAI chat completion request → (Ollama ChatRequest, tool choice mode, forced name)."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("model is required")
    _single_choice(body)
    tools = body.get("tools")
    if tools is not None and not isinstance(tools, list):
        raise BadRequest("invalid tools: expected a list")
    data: dict[str, Any] = {
        "model": body["model"], "messages": _messages(body.get("messages")), "options": _options(body),
        "stream": bool(body.get("stream")), "format": _format(body.get("response_format")),
        "think": _think(body), "tools": tools or None,
    }
    if body.get("logprobs"):
        data["logprobs"] = True
        data["top_logprobs"] = _number(body, "top_logprobs", int) or 0
    if body.get("keep_alive") is not None:
        data["keep_alive"] = body["keep_alive"]
    if body.get("_debug_render_only"):
        data["_debug_render_only"] = True
    mode, name = _tool_choice(body.get("tool_choice"))
    return _validate(ChatRequest, data), mode, name


def completion_request(body: dict[str, Any]) -> GenerateRequest:
    """An OpenAI (legacy) completion request → an Ollama GenerateRequest."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("model is required")
    _single_choice(body)
    prompt = body.get("prompt", "")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise BadRequest("invalid prompt: only a single string prompt is supported")
    suffix = body.get("suffix") or ""
    if not isinstance(suffix, str):
        raise BadRequest("invalid suffix: expected a string")
    data: dict[str, Any] = {"model": body["model"], "prompt": prompt, "suffix": suffix, "options": _options(body),
                            "stream": bool(body.get("stream"))}
    if body.get("keep_alive") is not None:
        data["keep_alive"] = body["keep_alive"]
    return _validate(GenerateRequest, data)


# ---- response translation -------------------------------------------------------------------------
def _usage(done: Done) -> dict[str, int]:
    prompt, completion = (done.metrics.prompt_eval_count, done.metrics.eval_count) if done.metrics else (0, 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _finish_reason(reason: str | None, tool_calls: bool) -> str:
    if tool_calls:
        return "tool_calls"
    return "length" if reason == "length" else "stop"


def _logprobs(entries: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if not entries:
        return None
    content = []
    for e in entries:
        top = [{"token": t.get("token", ""), "logprob": t.get("logprob", 0.0), "bytes": t.get("bytes")}
               for t in e.get("top_logprobs") or []]
        content.append({"token": e.get("token", ""), "logprob": e.get("logprob", 0.0), "bytes": e.get("bytes"),
                        "top_logprobs": top})
    return {"content": content}


def _openai_calls(calls: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
    out = []
    for i, call in enumerate(calls):
        fn = call.get("function") or {}
        out.append({"id": call.get("id") or new_id("call_"), "index": start + i, "type": "function",
                    "function": {"name": fn.get("name", ""),
                                 "arguments": json.dumps(fn.get("arguments") or {}, ensure_ascii=False)}})
    return out


def chat_completion(model: str, events: list[Event]) -> dict[str, Any]:
    """One chat.completion object from all of a request's events."""
    delta, done = merge(events)
    calls = _openai_calls(delta.tool_calls, 0)
    message: dict[str, Any] = {"role": "assistant", "content": delta.content}
    if delta.thinking:
        message["reasoning"] = delta.thinking
    if calls:
        message["tool_calls"] = calls
    choice: dict[str, Any] = {"index": 0, "message": message,
                              "finish_reason": _finish_reason(done.reason, bool(calls)),
                              "logprobs": _logprobs(delta.logprobs)}
    out = {"id": new_id("chatcmpl-", digits=True), "object": "chat.completion", "created": int(time.time()),
           "model": model, "system_fingerprint": "fp_ollama", "choices": [choice], "usage": _usage(done)}
    if done.rendered is not None:
        out["_debug_info"] = {"rendered_template": done.rendered}
    return out


class ChatChunks:
    """Turns a request's events into chat.completion.chunk payloads."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.model = model
        self.include_usage = include_usage
        self.id = new_id("chatcmpl-", digits=True)
        self.created = int(time.time())
        self.calls_sent = 0

    def _chunk(self, delta: dict[str, Any], finish: str | None, logprobs: Any = None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
        if logprobs:
            choice["logprobs"] = logprobs
        out = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
               "system_fingerprint": "fp_ollama", "choices": [choice]}
        if self.include_usage:
            out["usage"] = None
        return out

    def convert(self, event: Event) -> list[dict[str, Any]]:
        if isinstance(event, Done):
            last = self._chunk({"role": "assistant", "content": ""},
                               _finish_reason(event.reason, self.calls_sent > 0))
            out = [last]
            if self.include_usage:
                out.append({**last, "choices": [], "usage": _usage(event)})
            return out
        delta: dict[str, Any] = {"role": "assistant", "content": event.content}
        if event.thinking:
            delta["reasoning"] = event.thinking
        if event.tool_calls:
            delta["tool_calls"] = _openai_calls(event.tool_calls, self.calls_sent)
            self.calls_sent += len(event.tool_calls)
        return [self._chunk(delta, None, _logprobs(event.logprobs))]


def _completion_choice(text: str, reason: str | None) -> dict[str, Any]:
    return {"text": text, "index": 0, "logprobs": None, "finish_reason": reason}


# ---- answers -------------------------------------------------------------------------------------
def _sse_line(payload: Any) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


class SSE(Encoder[Event]):
    """A stream of `convert(event)` payloads as server-sent events ending in `data: [DONE]`, or
    (stream=false) the one object `answer(events)` makes; errors in OpenAI's shape."""

    media_type: ClassVar[str] = "text/event-stream"
    headers: ClassVar[dict[str, str]] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

    def __init__(self, convert: Callable[[Event], list[dict[str, Any]]],
                 answer: Callable[[list[Event]], dict[str, Any]]) -> None:
        self.convert, self.answer = convert, answer

    def frames(self, item: Event) -> list[bytes]:
        return [_sse_line(payload) for payload in self.convert(item)]

    def end(self) -> bytes:
        return _sse_line("[DONE]")

    def single(self, items: list[Event]) -> Response:
        return JSONResponse(self.answer(items))

    def error_body(self, err: APIError) -> dict[str, Any]:
        return openai_error(err)

    def error_frame(self, err: APIError) -> bytes:
        return _sse_line(openai_error(err))


def _state(request: Request) -> tuple[Store, Scheduler]:
    return request.app.state.store, request.app.state.scheduler


def _include_usage(body: dict[str, Any]) -> bool:
    opts = body.get("stream_options")
    return bool(isinstance(opts, dict) and opts.get("include_usage"))


# ---- /v1/chat/completions -------------------------------------------------------------------------
@router.post("/v1/chat/completions")
@_route
async def chat_completions(request: Request) -> Response:
    t0 = time.perf_counter()
    body = await json_body(request, _NO_BODY)
    req, mode, name = chat_request(body)
    store, sched = _state(request)
    tools = [t.model_dump(exclude_none=True) for t in req.tools or []]
    req, plan = await plan_tools(store, req, tools, mode, name)
    model = body["model"]
    encoder = SSE(ChatChunks(model, _include_usage(body)).convert, lambda events: chat_completion(model, events))
    return await respond(request, chat_events(store, sched, req, plan, t0), encoder, bool(req.stream))


# ---- /v1/completions ------------------------------------------------------------------------------
class _Completions:
    """A request's events as text_completion objects."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.model, self.include_usage = model, include_usage
        self.id, self.created = new_id("cmpl-", digits=True), int(time.time())

    def _object(self, choices: list[dict[str, Any]], usage: Any) -> dict[str, Any]:
        """`usage` False: the object has none."""
        out = {"id": self.id, "object": "text_completion", "created": self.created, "model": self.model,
               "system_fingerprint": "fp_ollama", "choices": choices}
        if usage is not False:
            out["usage"] = usage
        return out

    def convert(self, event: Event) -> list[dict[str, Any]]:
        usage = None if self.include_usage else False
        if isinstance(event, Delta):
            return [self._object([_completion_choice(event.content, None)], usage)]
        chunk = self._object([_completion_choice("", _finish_reason(event.reason, False))], usage)
        return [chunk, self._object([], _usage(event))] if self.include_usage else [chunk]

    def answer(self, events: list[Event]) -> dict[str, Any]:
        delta, done = merge(events)
        choice = _completion_choice(delta.content, _finish_reason(done.reason, False))
        return self._object([choice], _usage(done))


@router.post("/v1/completions")
@_route
async def completions(request: Request) -> Response:
    t0 = time.perf_counter()
    body = await json_body(request, _NO_BODY)
    req = completion_request(body)
    store, sched = _state(request)
    model = await resolve_model(store, req.model_name)
    out = _Completions(body["model"], _include_usage(body))
    events = inference.generate(sched, model, req, t0)
    return await respond(request, events, SSE(out.convert, out.answer), bool(req.stream))


# ---- /v1/embeddings -------------------------------------------------------------------------------
def embedding_inputs(value: Any) -> list[str | list[int]]:
    """`input` as a list of texts or token-id lists."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        if all(isinstance(x, str) for x in value):
            return list(value)
        if all(isinstance(x, int) and not isinstance(x, bool) for x in value):
            return [list(value)]
        if all(isinstance(x, list) and x and all(isinstance(t, int) and not isinstance(t, bool) for t in x)
               for x in value):
            return [list(x) for x in value]
    raise BadRequest("invalid input: expected a string, a list of strings, a list of token ids or a list of "
                     "token id lists")


def _b64_floats(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


async def _detokenize(store: Store, sched: Scheduler, name: str, ids: list[list[int]]) -> list[str]:
    model = await resolve_model(store, name)
    async with sched.use(model, dict(model.params), None, embedding=True) as (loaded, _):
        runner = loaded.runner
        vocab = await _vocab_size(model)
        for seq in ids:
            if any(t < 0 or (vocab and t >= vocab) for t in seq):
                raise BadRequest("invalid input: token id out of range")
        return list(await asyncio.gather(*(runner.detokenize(seq) for seq in ids)))


async def _texts(store: Store, sched: Scheduler, name: str, inputs: list[str | list[int]]) -> list[str]:
    """The inputs as texts, token-id lists detokenized."""
    token_lists = [x for x in inputs if isinstance(x, list)]
    if not token_lists:
        return [str(x) for x in inputs]
    texts = iter(await _detokenize(store, sched, name, token_lists))
    return [next(texts) if isinstance(x, list) else x for x in inputs]


async def _vocab_size(model: Model) -> int:
    info = await asyncio.to_thread(model.info, arrays=True)
    tokens = info.get("tokenizer.ggml.tokens") if info is not None else None
    return len(tokens) if isinstance(tokens, list) else 0


@router.post("/v1/embeddings")
@_route
async def embeddings(request: Request) -> Response:
    body = await json_body(request, _NO_BODY)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("model is required")
    fmt = body.get("encoding_format") or "float"
    if not isinstance(fmt, str) or fmt.lower() not in {"float", "base64"}:
        raise BadRequest(f"Invalid value for 'encoding_format' = {fmt}. Supported values: ['float', 'base64'].")
    dimensions = _number(body, "dimensions", int)
    inputs = embedding_inputs(body.get("input"))
    store, sched = _state(request)

    async def embed() -> tuple[Model, list[list[float]], int, float]:  # detokenizing may load a runner too
        texts = await _texts(store, sched, model, inputs)
        return await inference.embed_texts(store, sched, model, texts, dimensions=dimensions,
                                 keep_alive=body.get("keep_alive"))

    _, vectors, count, _ = await until_disconnected(request, embed())
    data = [{"object": "embedding", "index": i,
             "embedding": _b64_floats(v) if fmt.lower() == "base64" else v} for i, v in enumerate(vectors)]
    return JSONResponse({"object": "list", "data": data, "model": model,
                         "usage": {"prompt_tokens": count, "total_tokens": count}})


# ---- /v1/models -----------------------------------------------------------------------------------
def _model_entry(name: Name, modified: float) -> dict[str, Any]:
    return {"id": name.display, "object": "model", "created": int(modified), "owned_by": name.namespace}


def _list(store: Store) -> list[dict[str, Any]]:
    out = []
    for name, path in store.iter_manifests():
        try:
            out.append((path.stat().st_mtime, _model_entry(name, path.stat().st_mtime)))
        except OSError:
            continue
    out.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in out]


@router.get("/v1/models")
@_route
async def list_models(request: Request) -> Response:
    store, _ = _state(request)
    return JSONResponse({"object": "list", "data": await asyncio.to_thread(_list, store)})


@router.get("/v1/models/{model:path}")
@_route
async def retrieve_model(model: str, request: Request) -> Response:
    store, _ = _state(request)
    name = parse_name(model)
    path = store.manifest_path(name)
    if not await asyncio.to_thread(path.is_file):
        raise ModelNotFound(model)
    entry = _model_entry(name, path.stat().st_mtime)
    entry["id"] = model
    return JSONResponse(entry)

