"""The inference stream: a request that passed its checks gets a runner from the scheduler, its prompt,
and the runner's output back as `Delta`s and a `Done` (pollama.inference.events)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncGenerator
from typing import Any

from pollama.api.errors import APIError, BadRequest
from pollama.api.options import OptionsError, merge_options, validate_options
from pollama.api.types import ChatRequest, GenerateRequest, Think
from pollama.grammar import grammar_for_format
from pollama.inference.events import Done, Event, Metrics
from pollama.inference.images import decode_images, decode_message_images
from pollama.inference.modelref import local_reference
from pollama.inference.output import OutputParser, TemplateParser, output_parser, uses_harmony
from pollama.inference.prompt import (
    chat_messages,
    fit_messages,
    render_chat_prompt,
    render_generate_prompt,
    renders_generate,
)
from pollama.reqctx import note_generation, note_model, note_prompt_tokens
from pollama.runner.protocol import CompletionRequest, Finished, ImageInput, Piece, Runner
from pollama.sched import Loaded, Scheduler
from pollama.store import Model, Store, load_model, parse_name
from pollama.store.split import SPLIT_ARCHS, vision_arch

__all__ = ["resolve_model", "model_options", "generate", "chat", "embed_texts"]

log = logging.getLogger("pollama")


async def resolve_model(store: Store, raw: str) -> Model:
    if not raw:
        raise BadRequest("model is required")
    name = parse_name(local_reference(raw))
    note_model(name.display)
    return await asyncio.to_thread(load_model, store, name)


# ---- checks every surface shares -----------------------------------------------------------------
def model_options(model: Model, request_options: dict[str, Any] | None) -> dict[str, Any]:
    """The options a request runs with: the model's PARAMETERs overridden by the request's (checked; a 400)."""
    try:
        return merge_options(model.params, validate_options(request_options or {}))
    except OptionsError as e:
        raise BadRequest(str(e)) from None


def _speculation(sched: Scheduler, model: Model, options: dict[str, Any]) -> dict[str, Any]:
    """Fill in the `speculative` option when neither the request nor the model's PARAMETERs set it: a model
    with a DRAFT drafts unless OLLAMA_SPECULATIVE is "off"; any other model uses OLLAMA_SPECULATIVE's
    "ngram" or "off" (its "draft" cannot apply there)."""
    if options.get("speculative") is None:
        default = sched.cfg.speculative
        if model.draft_path is not None:
            options["speculative"] = "off" if default == "off" else "draft"
        else:
            options["speculative"] = "ngram" if default == "ngram" else "off"
    return options


def _require(model: Model, raw_name: str, capability: str, verb: str) -> None:
    if capability not in model.capabilities:
        raise BadRequest(f'"{raw_name}" does not support {verb}')


def _check_images(model: Model, raw_name: str, has_images: bool) -> None:
    if not has_images:
        return
    if "vision" not in model.capabilities:
        raise BadRequest(f'"{raw_name}" does not support images')
    info = model.info()
    arch = vision_arch(info.kv) if info else None
    if not model.projectors and arch not in SPLIT_ARCHS:  # never drop images silently
        raise APIError(f'"{raw_name}" has its vision tower inside the model GGUF (Ollama\'s own format, '
                       f'architecture "{arch}"), which pollama splits for llama.cpp only for '
                       f'{", ".join(SPLIT_ARCHS)}; images need a model with a projector layer', 501)


def _check_logprobs(top: int) -> None:
    if not 0 <= top <= 20:
        raise BadRequest("top_logprobs must be between 0 and 20")


def _thinking_enabled(model: Model, raw_name: str, think: Think) -> bool:
    supports = "thinking" in model.capabilities
    if think is None:
        return supports
    if think is False or think == "false":
        return False
    if isinstance(think, str) and think not in {"true", "high", "medium", "low", "max"}:
        raise BadRequest(f"invalid think value: {think!r} (must be true, false, \"high\", \"medium\", \"low\" "
                         "or \"max\")")
    if not supports:
        raise BadRequest(f'"{raw_name}" does not support thinking')
    return True


def _harmony_level(model: Model, think: Think) -> Think:
    """Harmony knows low, medium and high: a gpt-oss model's "max" is its "high" (as Ollama maps it)."""
    return "high" if think == "max" and uses_harmony(model) else think


def _check_generate(model: Model, req: GenerateRequest) -> None:
    raw_name = req.model_name
    _require(model, raw_name, "completion", "generate")
    if req.raw and (req.template or req.system or req.context):
        raise BadRequest("raw mode does not support template, system, or context")
    _check_images(model, raw_name, bool(req.images))
    if req.suffix and "insert" not in model.capabilities:
        raise BadRequest(f'"{raw_name}" does not support insert')
    _check_logprobs(req.top_logprobs)


def _check_chat(model: Model, req: ChatRequest) -> None:
    raw_name = req.model_name
    _require(model, raw_name, "completion", "chat")
    _check_logprobs(req.top_logprobs)
    _check_images(model, raw_name, any(m.images for m in req.messages))
    if req.tools and "tools" not in model.capabilities:
        raise BadRequest(f'"{raw_name}" does not support tools')


# ---- the runner's output as events ---------------------------------------------------------------
async def _load_only(sched: Scheduler, model: Model, options: dict[str, Any], keep_alive: Any) -> Done:
    """A request with nothing to generate loads the model, or unloads it with keep_alive 0."""
    if sched.keep_alive_of(keep_alive) == 0:
        await sched.unload_name(model.name)
        return Done("unload")
    async with sched.use(model, options, keep_alive):
        pass
    return Done("load")


def _metrics(final: Finished | Piece, t0: float, load_seconds: float) -> Metrics:
    """A generation's Metrics: from its Finished line, or (cut short) from the counts of its last Piece."""
    durations = (final.prompt_eval_duration, final.eval_duration) if isinstance(final, Finished) else (0, 0)
    return Metrics(total_duration=int((time.perf_counter() - t0) * 1e9), load_duration=int(load_seconds * 1e9),
                   prompt_eval_count=final.prompt_eval_count, eval_count=final.eval_count,
                   prompt_eval_duration=durations[0], eval_duration=durations[1],
                   draft_tokens=getattr(final, "draft_tokens", 0),
                   draft_accepted_tokens=getattr(final, "draft_accepted_tokens", 0))


def _count(sched: Scheduler, loaded: Loaded, timings: Metrics, cached: int | None) -> None:
    """One generation, counted once: in the server's metrics and in its request's log line (`cached` None:
    it was cut short before its runner finished it)."""
    sched.metrics.generation(loaded.name.display, timings, cached)
    note_generation(timings, finished=cached is not None)


async def _run(sched: Scheduler, loaded: Loaded, body: CompletionRequest, parser: OutputParser, t0: float,
               load_seconds: float, context: bool = False) -> AsyncGenerator[Event, None]:
    """The runner's output, parsed (counted once, at the end; a generation cut short, by its client leaving
    or its runner failing, counts the tokens its last piece reported). Closing this closes the runner
    connection, which stops generating."""
    async with contextlib.aclosing(loaded.runner.completion(body)) as replies:
        last: Piece | None = None
        try:
            async for reply in replies:
                if isinstance(reply, Finished):
                    last = None
                    metrics = _metrics(reply, t0, load_seconds)
                    _count(sched, loaded, metrics, reply.prompt_cached_count)
                    rest = parser.finish()
                    if not rest.empty:
                        yield rest
                    yield Done(reply.done_reason, reply.stop_sequence, metrics, reply.context if context else None)
                    return
                last = reply
                delta = parser.add(reply.content)
                delta.logprobs = reply.logprobs
                if not delta.empty:
                    yield delta
        finally:
            if last is not None:  # runs before the connection closes: no await comes first
                _count(sched, loaded, _metrics(last, t0, load_seconds), None)


def _completion(prompt: str, tokens: list[int] | None, options: dict[str, Any], grammar: str | None,
                parser: OutputParser, req: GenerateRequest | ChatRequest, images: list[ImageInput] | None = None,
                add_special: bool = True) -> CompletionRequest:
    return CompletionRequest(options=options, prompt=None if tokens is not None else prompt, tokens=tokens,
                             grammar=grammar, grammar_trigger=parser.grammar_trigger if grammar else None,
                             logprobs=req.logprobs or req.top_logprobs > 0, top_logprobs=req.top_logprobs,
                             images=images or None, add_special=add_special)


async def _generate_body(runner: Runner, model: Model, req: GenerateRequest, prompt: str, images: list[ImageInput],
                         options: dict[str, Any], grammar: str | None, parser: OutputParser) -> CompletionRequest:
    # a renderer writes the BOS it wants: its prompt is tokenized as written, as the chat's (the runner
    # would add another to the text)
    as_written = bool(req.context) or renders_generate(model, req)
    if images:  # text for the projector to tokenize, the context's text in front (as Ollama sends it)
        text = (await runner.detokenize(req.context) if req.context else "") + prompt
        return _completion(text, None, options, grammar, parser, req, images, add_special=not as_written)
    tokens = list(req.context or []) + await runner.tokenize(prompt) if as_written else None
    return _completion(prompt, tokens, options, grammar, parser, req)


# ---- the entry points ----------------------------------------------------------------------------
async def generate(sched: Scheduler, model: Model, req: GenerateRequest,
                   t0: float | None = None) -> AsyncGenerator[Event, None]:
    """/api/generate's output for `model` (the request's model, resolved). `t0`: when the request came."""
    t0 = t0 or time.perf_counter()
    _check_generate(model, req)
    images = decode_images(req.images)
    thinking = _thinking_enabled(model, req.model_name, req.think)
    options = _speculation(sched, model, model_options(model, req.options))
    sched.keep_alive_of(req.keep_alive)  # a bad duration is refused before anything happens
    if not req.prompt and not req.images and not req.suffix:
        yield await _load_only(sched, model, options, req.keep_alive)
        return
    asked = _harmony_level(model, req.think)
    think = asked if asked is not None else (True if thinking else None)
    prompt = req.prompt if req.raw else render_generate_prompt(model, req, think)
    log.debug("completion request", extra={"prompt": prompt})
    if req.debug_render_only:
        yield Done("stop", rendered=prompt)
        return
    grammar = grammar_for_format(req.format)
    # a raw prompt is the client's own: no built-in parser; Ollama's parser gets the think value as asked
    parser = TemplateParser(model, thinking, None) if req.raw else output_parser(model, thinking, asked, None, None)
    parser.begin(prompt)
    async with sched.use(model, options, req.keep_alive) as (loaded, load_seconds):
        body = await _generate_body(loaded.runner, model, req, prompt, images, options, grammar, parser)
        events = _run(sched, loaded, body, parser, t0, load_seconds, context=not req.raw)
        async with contextlib.aclosing(events):
            async for event in events:
                yield event


async def chat(sched: Scheduler, model: Model, req: ChatRequest, t0: float | None = None, *,
               grammar: str | None = None) -> AsyncGenerator[Event, None]:
    """/api/chat's output for `model` (the request's model, resolved). `grammar` (a forced tool call)
    overrides the request's `format`."""
    t0 = t0 or time.perf_counter()
    _check_chat(model, req)
    thinking = _thinking_enabled(model, req.model_name, req.think)
    options = _speculation(sched, model, model_options(model, req.options))
    sched.keep_alive_of(req.keep_alive)
    if not req.messages:
        yield await _load_only(sched, model, options, req.keep_alive)
        return
    tools = [t.model_dump(exclude_none=True) for t in req.tools] if req.tools else None
    think = _harmony_level(model, req.think) if req.think is not None else (True if thinking else None)
    messages = chat_messages(model, req)
    decode_message_images(messages)
    parser = output_parser(model, thinking, think, tools, messages[-1])
    if req.debug_render_only:
        yield Done("stop", rendered=render_chat_prompt(model, messages, parser.tools, think))
        return
    grammar = grammar or grammar_for_format(req.format)
    async with sched.use(model, options, req.keep_alive) as (loaded, load_seconds):
        prompt, tokens, images = await fit_messages(model, loaded.runner, messages, parser.tools, think,
                                                    loaded.key.num_ctx)
        log.debug("completion request", extra={"prompt": prompt})
        parser.begin(prompt)
        body = _completion(prompt, None if images else tokens, options, grammar, parser, req, images,
                           add_special=not images)
        events = _run(sched, loaded, body, parser, t0, load_seconds)
        async with contextlib.aclosing(events):
            async for event in events:
                yield event


# ---- embeddings ----------------------------------------------------------------------------------
def _normalize(v: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v] if norm > 0 else v


async def embed_texts(store: Store, sched: Scheduler, raw_name: str, texts: list[str], *,
                      truncate: bool = True, normalize: bool = True, dimensions: int | None = None,
                      options: dict[str, Any] | None = None,
                      keep_alive: Any = None) -> tuple[Model, list[list[float]], int, float]:
    """(model, vectors, prompt tokens, load seconds)."""
    model = await resolve_model(store, raw_name)
    if "rerank" in model.capabilities:  # a reranker's runner pools a relevance score, not a vector
        raise BadRequest(f'"{raw_name}" does not support embedding')
    opts = model_options(model, options)
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
    sched.metrics.prompt_tokens.labels(model.name.display).inc(count)
    note_prompt_tokens(count)
    return model, vectors, count, load_seconds
