"""Inference routes: /api/generate, /api/chat, /api/embed, /api/embeddings, /api/ps.

`generate_stream` and `chat_stream` yield Ollama's response objects; the OpenAI and Anthropic
routes reuse them and only translate shapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from pollama.api.duration import FOREVER
from pollama.api.errors import APIError, BadRequest
from pollama.api.types import ChatRequest, EmbeddingsRequest, EmbedRequest, GenerateRequest, parse_request
from pollama.grammar import grammar_for_format
from pollama.runner.protocol import CompletionRequest, Finished, Piece, Runner
from pollama.sched import Scheduler
from pollama.server.streaming import ndjson_or_single, until_disconnected
from pollama.store import Model, Store, load_model, parse_name

__all__ = ["router", "generate_stream", "chat_stream", "embed_texts", "now_iso", "resolve_model"]

log = logging.getLogger("pollama")
router = APIRouter()


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


def _state(request: Request) -> tuple[Store, Scheduler]:
    return request.app.state.store, request.app.state.scheduler


async def resolve_model(store: Store, raw: str) -> Model:
    if not raw:
        raise BadRequest("model is required")
    return await asyncio.to_thread(load_model, store, parse_name(raw))


def _options(model: Model, request_options: dict[str, Any] | None) -> dict[str, Any]:
    from pollama.api.options import OptionsError, merge_options, validate_options

    try:
        req_opts = validate_options(request_options or {})
        return merge_options(model.params, req_opts)
    except OptionsError as e:
        raise BadRequest(str(e)) from None


def _require(model: Model, raw_name: str, capability: str, verb: str) -> None:
    if capability not in model.capabilities:
        raise BadRequest(f'"{raw_name}" does not support {verb}')


def _check_images(model: Model, raw_name: str, has_images: bool) -> None:
    if not has_images:
        return
    if "vision" not in model.capabilities:
        raise BadRequest(f'"{raw_name}" does not support images')
    # a projector is stored and shown, but the runner cannot encode images yet: never drop them silently
    raise APIError("image input is not supported by this server yet", 501)


def _check_logprobs(top: int) -> None:
    if not 0 <= top <= 20:
        raise BadRequest("top_logprobs must be between 0 and 20")


def _thinking_enabled(model: Model, raw_name: str, think: Any) -> bool:
    supports = "thinking" in model.capabilities
    if think is None:
        return supports
    if think is False or think == "false":
        return False
    if isinstance(think, str) and think not in {"true", "high", "medium", "low"}:
        raise BadRequest(f"invalid think value: {think!r} (must be true, false, \"high\", \"medium\" or \"low\")")
    if not supports:
        raise BadRequest(f'"{raw_name}" does not support thinking')
    return True


def _done_object(model_name: str, final: Finished, t0: float, load_seconds: float) -> dict[str, Any]:
    return {
        "done": True,
        "done_reason": final.done_reason,
        "total_duration": int((time.perf_counter() - t0) * 1e9),
        "load_duration": int(load_seconds * 1e9),
        "prompt_eval_count": final.prompt_eval_count,
        "prompt_eval_duration": final.prompt_eval_duration,
        "eval_count": final.eval_count,
        "eval_duration": final.eval_duration,
        **({"stop_sequence": final.stop_sequence} if final.stop_sequence is not None else {}),
    }


async def _ollama_fields(items: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    """Drop what only the other APIs use (the stop string that ended the generation)."""
    async with contextlib.aclosing(items):
        async for item in items:
            if "stop_sequence" in item:
                item = {k: v for k, v in item.items() if k != "stop_sequence"}
            yield item


class _Output:
    """Splits raw model text into thinking / content / tool calls, across any chunk boundary."""

    def __init__(self, model: Model, thinking: bool, prompt: str, tools: list[dict[str, Any]] | None) -> None:
        self.thinking = None
        self.tools = None
        self.close_tag: str | None = None
        if thinking:
            from pollama.prompt.thinking import ThinkingParser, thinking_tags

            tags = thinking_tags(model.template or model.chat_template or "") or ("<think>", "</think>")
            self.thinking = ThinkingParser(*tags)
            if prompt.rstrip().endswith(tags[0]):  # the template opened the thinking block already
                self.thinking.add(tags[0])
            self.close_tag = tags[1]
        if tools:
            from pollama.prompt.tools import ToolCallParser

            self.tools = ToolCallParser(model.template or model.chat_template or "", tools)

    def add(self, text: str) -> tuple[str, str, list[dict[str, Any]]]:
        thinking, content = self.thinking.add(text) if self.thinking else ("", text)
        calls: list[dict[str, Any]] = []
        if self.tools and content:
            content, calls = self.tools.add(content)
        return thinking, content, calls

    def finish(self) -> tuple[str, str, list[dict[str, Any]]]:
        thinking, content = self.thinking.finish() if self.thinking else ("", "")
        calls: list[dict[str, Any]] = []
        if self.tools:
            if content:
                content, calls = self.tools.add(content)
            more, more_calls = self.tools.finish()
            content += more
            calls += more_calls
        return thinking, content, calls


async def _runner_stream(runner: Runner, body: CompletionRequest) -> AsyncIterator[Piece | Finished]:
    """The runner's replies; closing this closes the connection, which cancels the generation."""
    async with contextlib.aclosing(runner.completion(body)) as stream:
        async for item in stream:
            yield item


def _runner_request(prompt: str, tokens: list[int] | None, options: dict[str, Any], grammar: str | None,
                    grammar_trigger: str | None, logprobs: bool, top_logprobs: int) -> CompletionRequest:
    return CompletionRequest(options=options, prompt=None if tokens is not None else prompt, tokens=tokens,
                             grammar=grammar or None, grammar_trigger=grammar_trigger if grammar else None,
                             logprobs=logprobs or top_logprobs > 0, top_logprobs=top_logprobs)


# ---- /api/generate --------------------------------------------------------------------------------
async def generate_stream(store: Store, sched: Scheduler, req: GenerateRequest,
                          t0: float | None = None) -> AsyncIterator[dict[str, Any]]:
    t0 = t0 or time.perf_counter()
    raw_name = req.model_name
    model = await resolve_model(store, raw_name)
    _require(model, raw_name, "completion", "generate")
    if req.raw and (req.template or req.system or req.context):
        raise BadRequest("raw mode does not support template, system, or context")
    _check_images(model, raw_name, bool(req.images))
    if req.suffix and "insert" not in model.capabilities:
        raise BadRequest(f'"{raw_name}" does not support insert')
    _check_logprobs(req.top_logprobs)
    thinking = _thinking_enabled(model, raw_name, req.think)
    options = _options(model, req.options)
    keep_alive = sched.keep_alive_of(req.keep_alive)
    name = model.name.display

    if not req.prompt and not req.images and not req.suffix:
        if keep_alive == 0:
            await sched.unload_name(model.name)
            yield {"model": name, "created_at": now_iso(), "response": "", "done": True, "done_reason": "unload"}
            return
        async with sched.use(model, options, req.keep_alive):
            pass
        yield {"model": name, "created_at": now_iso(), "response": "", "done": True, "done_reason": "load"}
        return

    prompt = req.prompt if req.raw else _render_generate(model, req, thinking)
    if req.debug_render_only:
        yield {"model": name, "created_at": now_iso(), "response": "", "done": True, "done_reason": "stop",
               "debug_info": {"rendered_template": prompt}}
        return
    grammar = grammar_for_format(req.format)
    out = _Output(model, thinking, prompt, None)
    async with sched.use(model, options, req.keep_alive) as (loaded, load_seconds):
        tokens = None
        if req.context:
            tokens = list(req.context) + await loaded.runner.tokenize(prompt)
        body = _runner_request(prompt, tokens, options, grammar, out.close_tag if grammar else None,
                               req.logprobs, req.top_logprobs)
        async for item in _runner_stream(loaded.runner, body):
            if isinstance(item, Finished):
                think_text, content, _ = out.finish()
                if think_text or content:
                    yield _gen_chunk(name, content, think_text, None)
                final = {"model": name, "created_at": now_iso(), "response": "",
                         **_done_object(name, item, t0, load_seconds)}
                if not req.raw:
                    final["context"] = item.context
                yield final
                return
            think_text, content, _ = out.add(item.content)
            if think_text or content or item.logprobs:
                yield _gen_chunk(name, content, think_text, item.logprobs)


def _gen_chunk(name: str, content: str, thinking: str, logprobs: Any) -> dict[str, Any]:
    chunk: dict[str, Any] = {"model": name, "created_at": now_iso(), "response": content, "done": False}
    if thinking:
        chunk["thinking"] = thinking
    if logprobs:
        chunk["logprobs"] = logprobs
    return chunk


def _render_generate(model: Model, req: GenerateRequest, thinking: bool) -> str:
    from pollama.prompt.render import render_chat, render_generate, render_jinja

    system = req.system if req.system is not None else model.system
    think = req.think if req.think is not None else (True if thinking else None)
    template = req.template or model.template
    if template:
        if req.context:  # continuing: the earlier turns (and system) are already in the context
            system = None
        try:
            return render_generate(template, prompt=req.prompt, system=system, suffix=req.suffix or None,
                                   think=think)
        except Exception as e:
            raise BadRequest(f"template error: {e}") from None
    if model.chat_template:
        messages = []
        if system and not req.context:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": req.prompt})
        return render_jinja(model.chat_template, messages, think=think, **_special_tokens(model))
    return render_chat("{{ .Prompt }}", [{"role": "user", "content": req.prompt}])


def _special_tokens(model: Model) -> dict[str, str]:
    info = model.info(arrays=True)
    if info is None:
        return {}
    tokens = info.get("tokenizer.ggml.tokens") or []
    out = {}
    for key, kv in (("bos_token", "tokenizer.ggml.bos_token_id"), ("eos_token", "tokenizer.ggml.eos_token_id")):
        idx = info.get(kv)
        if isinstance(idx, int) and 0 <= idx < len(tokens):
            out[key] = tokens[idx]
    return out


@router.post("/api/generate")
async def generate(request: Request) -> Response:
    t0 = time.perf_counter()
    req = parse_request(await request.body(), GenerateRequest)
    store, sched = _state(request)
    return await ndjson_or_single(_ollama_fields(generate_stream(store, sched, req, t0)), req.stream is not False,
                                  collapse=_collapse_generate, request=request)


def _collapse_generate(items: list[dict[str, Any]]) -> dict[str, Any]:
    final = dict(items[-1])
    final["response"] = "".join(i.get("response", "") for i in items)
    thinking = "".join(i.get("thinking", "") for i in items)
    if thinking:
        final["thinking"] = thinking
    logprobs = [lp for i in items for lp in i.get("logprobs", []) or []]
    if logprobs:
        final["logprobs"] = logprobs
    return final


# ---- /api/chat ------------------------------------------------------------------------------------
def _chat_messages(model: Model, req: ChatRequest) -> list[dict[str, Any]]:
    messages = [m.to_dict() for m in req.messages]
    for m in messages:
        for call in m.get("tool_calls") or []:
            call.get("function", {}).pop("index", None)
    history = list(model.messages or [])
    if model.system and not any(m.get("role") == "system" for m in messages):
        history.insert(0, {"role": "system", "content": model.system})
    return history + messages


def render_chat_prompt(model: Model, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None,
                       think: Any) -> str:
    from pollama.prompt.render import render_chat, render_jinja

    try:
        if model.template:
            return render_chat(model.template, messages, tools=tools, think=think)
        if model.chat_template:
            return render_jinja(model.chat_template, messages, tools=tools, think=think, **_special_tokens(model))
        return render_chat("{{ .Prompt }}", messages, tools=tools, think=think)
    except APIError:
        raise
    except Exception as e:
        raise BadRequest(f"template error: {e}") from None


async def _fit_messages(model: Model, runner: Runner, messages: list[dict[str, Any]], tools: Any, think: Any,
                        num_ctx: int) -> tuple[str, list[int] | None]:
    """Drop the oldest non-system messages until the prompt fits num_ctx (Ollama's chatPrompt).

    A longer history never renders shorter, so the first message to keep is found by bisection: a
    few renders even for thousands of messages (one render per dropped message was quadratic)."""
    prompt = render_chat_prompt(model, messages, tools, think)
    tokens = await runner.tokenize(prompt)
    if len(tokens) <= num_ctx:
        return prompt, tokens
    system = [m for m in messages if m.get("role") == "system"]
    rest = [m for m in messages if m.get("role") != "system"]
    best: tuple[str, list[int] | None] | None = None
    lo, hi = 1, len(rest) - 1  # the last message is always kept
    while lo <= hi:
        start = (lo + hi) // 2
        prompt = render_chat_prompt(model, system + rest[start:], tools, think)
        tokens = await runner.tokenize(prompt)
        if len(tokens) <= num_ctx:
            best, hi = (prompt, tokens), start - 1
        else:
            lo = start + 1
    if best is not None:
        return best
    # not even the last message fits: the runner truncates the front of its prompt
    return render_chat_prompt(model, system + rest[-1:], tools, think), None


async def chat_stream(store: Store, sched: Scheduler, req: ChatRequest, t0: float | None = None, *,
                      grammar: str | None = None) -> AsyncIterator[dict[str, Any]]:
    """Ollama chat chunks. `grammar` (from tool_choice) overrides `format`."""
    t0 = t0 or time.perf_counter()
    raw_name = req.model_name
    model = await resolve_model(store, raw_name)
    _require(model, raw_name, "completion", "chat")
    _check_logprobs(req.top_logprobs)
    _check_images(model, raw_name, any(m.images for m in req.messages))
    if req.tools and "tools" not in model.capabilities:
        raise BadRequest(f'"{raw_name}" does not support tools')
    thinking = _thinking_enabled(model, raw_name, req.think)
    options = _options(model, req.options)
    keep_alive = sched.keep_alive_of(req.keep_alive)
    name = model.name.display

    if not req.messages:
        if keep_alive == 0:
            await sched.unload_name(model.name)
            reason = "unload"
        else:
            async with sched.use(model, options, req.keep_alive):
                pass
            reason = "load"
        yield {"model": name, "created_at": now_iso(), "message": {"role": "assistant", "content": ""},
               "done": True, "done_reason": reason}
        return

    tools = [t.model_dump(exclude_none=True) for t in req.tools] if req.tools else None
    think = req.think if req.think is not None else (True if thinking else None)
    messages = _chat_messages(model, req)
    if req.debug_render_only:
        yield {"model": name, "created_at": now_iso(), "message": {"role": "assistant", "content": ""},
               "done": True, "done_reason": "stop",
               "debug_info": {"rendered_template": render_chat_prompt(model, messages, tools, think)}}
        return
    grammar = grammar or grammar_for_format(req.format)
    async with sched.use(model, options, req.keep_alive) as (loaded, load_seconds):
        prompt, tokens = await _fit_messages(model, loaded.runner, messages, tools, think, loaded.key.num_ctx)
        out = _Output(model, thinking, prompt, tools)
        body = _runner_request(prompt, tokens, options, grammar, out.close_tag if grammar else None,
                               req.logprobs, req.top_logprobs)
        async for item in _runner_stream(loaded.runner, body):
            if isinstance(item, Finished):
                think_text, content, calls = out.finish()
                if think_text or content or calls:
                    yield _chat_chunk(name, content, think_text, calls, None)
                yield {"model": name, "created_at": now_iso(), "message": {"role": "assistant", "content": ""},
                       **_done_object(name, item, t0, load_seconds)}
                return
            think_text, content, calls = out.add(item.content)
            if think_text or content or calls or item.logprobs:
                yield _chat_chunk(name, content, think_text, calls, item.logprobs)


def _chat_chunk(name: str, content: str, thinking: str, calls: list[dict[str, Any]],
                logprobs: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking:
        message["thinking"] = thinking
    if calls:
        message["tool_calls"] = calls
    chunk: dict[str, Any] = {"model": name, "created_at": now_iso(), "message": message, "done": False}
    if logprobs:
        chunk["logprobs"] = logprobs
    return chunk


def collapse_chat(items: list[dict[str, Any]]) -> dict[str, Any]:
    final = dict(items[-1])
    message: dict[str, Any] = {"role": "assistant",
                               "content": "".join(i["message"].get("content", "") for i in items)}
    thinking = "".join(i["message"].get("thinking", "") for i in items)
    if thinking:
        message["thinking"] = thinking
    calls = [c for i in items for c in i["message"].get("tool_calls", []) or []]
    if calls:
        message["tool_calls"] = calls
    final["message"] = message
    logprobs = [lp for i in items for lp in i.get("logprobs", []) or []]
    if logprobs:
        final["logprobs"] = logprobs
    return final


@router.post("/api/chat")
async def chat(request: Request) -> Response:
    t0 = time.perf_counter()
    req = parse_request(await request.body(), ChatRequest)
    store, sched = _state(request)
    return await ndjson_or_single(_ollama_fields(chat_stream(store, sched, req, t0)), req.stream is not False,
                                  collapse=collapse_chat, request=request)


# ---- embeddings -----------------------------------------------------------------------------------
def _normalize(v: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v] if norm > 0 else v


async def embed_texts(store: Store, sched: Scheduler, raw_name: str, texts: list[str], *,
                      truncate: bool = True, normalize: bool = True, dimensions: int | None = None,
                      options: dict[str, Any] | None = None,
                      keep_alive: Any = None) -> tuple[Model, list[list[float]], int, float]:
    """(model, vectors, prompt tokens, load seconds)."""
    model = await resolve_model(store, raw_name)
    opts = _options(model, options)
    if dimensions is not None and dimensions <= 0:
        raise BadRequest("dimensions must be a positive number")
    if sched.keep_alive_of(keep_alive) == 0 and not texts:
        await sched.unload_name(model.name)
        return model, [], 0, 0.0
    async with sched.use(model, opts, keep_alive, embedding=True) as (loaded, load_seconds):
        results = await asyncio.gather(*(loaded.runner.embed(t, truncate) for t in texts))
    vectors, count = [], 0
    for r in results:
        v = [float(x) for x in r.embedding]
        if dimensions is not None:
            v = v[:dimensions]
        vectors.append(_normalize(v) if normalize else v)
        count += r.prompt_eval_count
    return model, vectors, count, load_seconds


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
    model, vectors, count, load_seconds = await until_disconnected(request, embed_texts(
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
    _, vectors, _, _ = await until_disconnected(request, embed_texts(
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
        })
    return JSONResponse({"models": models})
