"""Ollama's inference routes: /api/generate, /api/chat, /api/embed, /api/embeddings, /api/ps.

Each route parses its request, resolves the model and hands both to the inference core
(pollama.inference); its events come back as Ollama's response objects, streamed as NDJSON or merged
into one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pollama import inference
from pollama.api.duration import FOREVER
from pollama.api.errors import BadRequest
from pollama.api.types import ChatRequest, EmbeddingsRequest, EmbedRequest, GenerateRequest, parse_request
from pollama.inference import Delta, Done, Event, merge, resolve_model
from pollama.sched import Scheduler
from pollama.server.streaming import Encoder, dumps, respond, until_disconnected
from pollama.store import Store

__all__ = ["router", "now_iso"]

router = APIRouter()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


def _state(request: Request) -> tuple[Store, Scheduler]:
    return request.app.state.store, request.app.state.scheduler


# ---- the core's events in Ollama's shapes ---------------------------------------------------------
def _done_fields(done: Done) -> dict[str, Any]:
    out: dict[str, Any] = {"done": True, "done_reason": done.reason}
    if done.metrics is not None:
        m = done.metrics
        out.update(total_duration=m.total_duration, load_duration=m.load_duration,
                   prompt_eval_count=m.prompt_eval_count, prompt_eval_duration=m.prompt_eval_duration,
                   eval_count=m.eval_count, eval_duration=m.eval_duration)
        if m.draft_tokens:
            out.update(draft_tokens=m.draft_tokens, draft_accepted_tokens=m.draft_accepted_tokens)
    if done.rendered is not None:
        out["_debug_info"] = {"rendered_template": done.rendered}
    return out


def _generate_line(name: str, event: Event) -> dict[str, Any]:
    if isinstance(event, Done):
        line = {"model": name, "created_at": now_iso(), "response": "", **_done_fields(event)}
        if event.context is not None:
            line["context"] = event.context
        return line
    return {"model": name, "created_at": now_iso(), **_generated(event), "done": False}


def _generated(delta: Delta) -> dict[str, Any]:
    """A Delta's fields in a generate response (tool calls: a built-in parser's)."""
    out: dict[str, Any] = {"response": delta.content}
    if delta.thinking:
        out["thinking"] = delta.thinking
    if delta.tool_calls:
        out["tool_calls"] = delta.tool_calls
    if delta.logprobs:
        out["logprobs"] = delta.logprobs
    return out


def _generate_answer(name: str, delta: Delta, done: Done) -> dict[str, Any]:
    return {**_generate_line(name, done), **_generated(delta)}


def _message(delta: Delta) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": delta.content}
    if delta.thinking:
        message["thinking"] = delta.thinking
    if delta.tool_calls:
        message["tool_calls"] = delta.tool_calls
    return message


def _chat_line(name: str, event: Event) -> dict[str, Any]:
    if isinstance(event, Done):
        return {"model": name, "created_at": now_iso(), "message": _message(Delta()), **_done_fields(event)}
    line = {"model": name, "created_at": now_iso(), "message": _message(event), "done": False}
    if event.logprobs:
        line["logprobs"] = event.logprobs
    return line


def _chat_answer(name: str, delta: Delta, done: Done) -> dict[str, Any]:
    answer = _chat_line(name, done)
    answer["message"] = _message(delta)
    if delta.logprobs:
        answer["logprobs"] = delta.logprobs
    return answer


class _Ollama(Encoder[Event]):
    """The core's events as one route's NDJSON lines, or (stream=false) one merged object."""

    def __init__(self, name: str, line: Callable[[str, Event], dict[str, Any]],
                 answer: Callable[[str, Delta, Done], dict[str, Any]]) -> None:
        self.name, self.line, self.answer = name, line, answer

    def frames(self, item: Event) -> tuple[bytes]:
        return (dumps(self.line(self.name, item)),)

    def single(self, items: list[Event]) -> Response:
        return JSONResponse(self.answer(self.name, *merge(items)))


# ---- routes --------------------------------------------------------------------------------------
@router.post("/api/generate")
async def generate(request: Request) -> Response:
    t0 = time.perf_counter()
    req = parse_request(await request.body(), GenerateRequest)
    store, sched = _state(request)
    model = await resolve_model(store, req.model_name)
    encoder = _Ollama(model.name.display, _generate_line, _generate_answer)
    return await respond(request, inference.generate(sched, model, req, t0), encoder, req.stream is not False)


@router.post("/api/chat")
async def chat(request: Request) -> Response:
    t0 = time.perf_counter()
    req = parse_request(await request.body(), ChatRequest)
    store, sched = _state(request)
    model = await resolve_model(store, req.model_name)
    encoder = _Ollama(model.name.display, _chat_line, _chat_answer)
    return await respond(request, inference.chat(sched, model, req, t0), encoder, req.stream is not False)


@router.post("/api/embed")
async def embed(request: Request) -> Response:
    t0 = time.perf_counter()
    req = parse_request(await request.body(), EmbedRequest)
    store, sched = _state(request)
    if req.input is None or req.input == "":
        texts: list[str] = []
    elif isinstance(req.input, str):
        texts = [req.input]
    elif all(isinstance(x, str) for x in req.input):
        texts = list(req.input)  # type: ignore[arg-type]
    else:
        raise BadRequest("invalid input type: token ids are accepted on /v1/embeddings only")
    model, vectors, count, load_seconds = await until_disconnected(request, inference.embed_texts(
        store, sched, req.model_name, texts, truncate=req.truncate is not False, dimensions=req.dimensions,
        options=req.options, keep_alive=req.keep_alive))
    return JSONResponse({"model": model.name.display, "embeddings": vectors,
                         "total_duration": int((time.perf_counter() - t0) * 1e9),
                         "load_duration": int(load_seconds * 1e9), "prompt_eval_count": count})


@router.post("/api/embeddings")
async def embeddings(request: Request) -> Response:
    req = parse_request(await request.body(), EmbeddingsRequest)
    store, sched = _state(request)
    texts = [req.prompt] if req.prompt else []
    _, vectors, _, _ = await until_disconnected(request, inference.embed_texts(
        store, sched, req.model_name, texts, normalize=False, options=req.options, keep_alive=req.keep_alive))
    return JSONResponse({"embedding": vectors[0] if vectors else []})


# ---- /api/ps --------------------------------------------------------------------------------------
@router.get("/api/ps")
async def ps(request: Request) -> Response:
    _, sched = _state(request)
    models = []
    for lo in sched.running():
        expires_at = (dt.datetime.fromtimestamp(lo.expires_at, dt.UTC) if 0 < lo.expires_at < FOREVER
                      else dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lo.keep_alive)
                      if lo.keep_alive != FOREVER else dt.datetime(2318, 1, 1, tzinfo=dt.UTC))
        models.append({
            "name": lo.name.display, "model": lo.name.display, "size": lo.size,
            "digest": lo.model.digest.split(":", 1)[1], "details": lo.model.details(),
            "expires_at": expires_at.isoformat().replace("+00:00", "Z"), "size_vram": 0,
            "context_length": lo.key.num_ctx,
            "devices": lo.devices,  # pollama: where its layers are ([{"device": "CPU" or host:port, "layers": n}])
        })
    return JSONResponse({"models": models})
